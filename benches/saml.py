#!/usr/bin/python3
"""Figures of a SAML federated start (run by benches/saml.sh, which makes the desktop, the
bus and the keychain): the time from `credtray session start` to the credentials written
with a remembered sign-in (median of N starts; the IdP's cookie from one first start), and
the memory of a federated start while its window is open against an iam-user start.

A loopback IdP plays the tests' one (tests/saml.rs): its sign-in page submits itself with
the right password (nobody types), sets a session cookie, and answers the self-submitting
form that posts a SAMLResponse to https://signin.aws.amazon.com/saml; with the cookie, GET /
answers that form at once. moto's STS answers AssumeRoleWithSAML and GetSessionToken."""
import base64
import http.server
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

BIN, TMP, VENV, RUNS = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ROLE = "arn:aws:iam::123456789012:role/Fed"
IDP = "arn:aws:iam::123456789012:saml-provider/TestIdP"
COOKIE = "idp_session=bench0123456789"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ the loopback IdP
XML = (
    '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
    'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="bench" Version="2.0" '
    'IssueInstant="2024-01-01T00:00:00Z"><saml:Issuer>http://127.0.0.1/idp</saml:Issuer>'
    '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
    '</samlp:Status><saml:Assertion ID="a-bench" Version="2.0" '
    'IssueInstant="2024-01-01T00:00:00Z"><saml:Issuer>http://127.0.0.1/idp</saml:Issuer>'
    "<saml:Subject><saml:NameID>alice</saml:NameID></saml:Subject><saml:AttributeStatement>"
    '<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">'
    f"<saml:AttributeValue>{ROLE},{IDP}</saml:AttributeValue></saml:Attribute>"
    '<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName">'
    "<saml:AttributeValue>alice</saml:AttributeValue></saml:Attribute>"
    "</saml:AttributeStatement></saml:Assertion></samlp:Response>"
)
ASSERTION = base64.b64encode(XML.encode()).decode()
POST_PAGE = (
    '<!doctype html><html><body><form method="post" '
    'action="https://signin.aws.amazon.com/saml"><input type="hidden" name="SAMLResponse" '
    f'value="{ASSERTION}"></form><script>document.forms[0].submit()</script></body></html>'
)
SIGN_IN_PAGE = (
    '<!doctype html><html><body><form method="post" action="/login">'
    '<input name="user" value="alice"><input name="password" type="password" '
    'value="correct horse"></form><script>document.forms[0].submit()</script></body></html>'
)
requests = []


class Idp(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, page, extra=None):
        body = page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        requests.append("GET " + self.path)
        signed_in = COOKIE in self.headers.get("Cookie", "")
        self.answer(POST_PAGE if signed_in else SIGN_IN_PAGE)

    def do_POST(self):
        requests.append("POST " + self.path)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.answer(POST_PAGE, {"Set-Cookie": f"{COOKIE}; Max-Age=3600; Path=/; HttpOnly"})


idp = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Idp)
threading.Thread(target=idp.serve_forever, daemon=True).start()
idp_url = f"http://127.0.0.1:{idp.server_address[1]}/"

# ------------------------------------------------------------------ moto
moto_port = free_port()
moto_log = open(os.path.join(TMP, "moto.log"), "w")
moto = subprocess.Popen(
    [os.path.join(VENV, "bin", "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)],
    stdout=moto_log, stderr=moto_log, stdin=subprocess.DEVNULL,
)
deadline = time.monotonic() + 60
while True:
    try:
        socket.create_connection(("127.0.0.1", moto_port), timeout=1).close()
        break
    except OSError:
        if time.monotonic() > deadline or moto.poll() is not None:
            sys.exit("moto_server did not start; see " + moto_log.name)
        time.sleep(0.1)

env = dict(os.environ)
env.update(
    HOME=os.path.join(TMP, "home"),
    CREDTRAY_CONFIG_DIR=os.path.join(TMP, "cfg"),
    AWS_SHARED_CREDENTIALS_FILE=os.path.join(TMP, "aws", "credentials"),
    AWS_CONFIG_FILE=os.path.join(TMP, "aws", "config"),
    AWS_ENDPOINT_URL_STS=f"http://127.0.0.1:{moto_port}",
    AWS_EC2_METADATA_DISABLED="true",
    XDG_DATA_HOME=os.path.join(TMP, "data"),
    XDG_CACHE_HOME=os.path.join(TMP, "cache"),
    GDK_BACKEND="x11",
    NO_AT_BRIDGE="1",
)
os.makedirs(env["HOME"], exist_ok=True)


def credtray(*args, stdin=None):
    p = subprocess.run([BIN, *args], env=env, input=stdin, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"credtray {' '.join(args)} failed:\n{p.stderr}")
    return p


# ------------------------------------------------------------------ memory sampling
def descendants(pid):
    """pid and every process below it (WebKit's web and network processes)."""
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def kib(path, key):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed_start(alias):
    """Runs `session start ALIAS` (the credentials file without credentials): seconds to
    the credentials in the file (sampled every 10 ms) and to the process's exit, the
    process's peak RSS (VmHWM, KiB), the peak sums over it and its helper processes (WebKit's
    web and network processes) of RSS and of PSS (KiB)."""
    t0 = time.monotonic()
    p = subprocess.Popen(
        [BIN, "session", "start", alias], env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    hwm = rss_sum = pss_sum = 0
    written = None
    while p.poll() is None:  # VmHWM is the kernel's peak so far; read until the end
        if written is None and "aws_session_token" in read(env["AWS_SHARED_CREDENTIALS_FILE"]):
            written = time.monotonic() - t0
        procs = descendants(p.pid)
        hwm = max(hwm, kib(f"/proc/{p.pid}/status", "VmHWM"))
        rss_sum = max(rss_sum, sum(kib(f"/proc/{q}/status", "VmRSS") for q in procs))
        pss_sum = max(pss_sum, sum(kib(f"/proc/{q}/smaps_rollup", "Pss") for q in procs))
        time.sleep(0.01)
    wall = time.monotonic() - t0
    out, err = p.communicate()
    if p.returncode != 0:
        sys.exit(f"credtray session start {alias} failed:\n{err}")
    return written or wall, wall, hwm, rss_sum, pss_sum


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def timed_stop(alias):
    credtray("session", "stop", alias)


def mib(k):
    return f"{k / 1024:.1f} MiB"


try:
    credtray("session", "add", "iam-role-federated", "--alias", "fed", "--role-arn", ROLE,
             "--idp-arn", IDP, "--saml-url", idp_url, "--profile", "fed")
    credtray("session", "add", "iam-user", "--alias", "user", "--profile", "user",
             stdin="AKIABENCHEXAMPLE0001\nbenchSecret000000000000000000000000000001\n")

    # First start: the IdP's page signs in by itself (POST /login) and sets the cookie.
    first = timed_start("fed")
    timed_stop("fed")
    logins = requests.count("POST /login")
    walls, exits, fed_mem = [], [], []
    for _ in range(RUNS):
        written, wall, hwm, rss, pss = timed_start("fed")
        timed_stop("fed")
        walls.append(written)
        exits.append(wall)
        fed_mem.append((hwm, rss, pss))
    if requests.count("POST /login") != logins:
        sys.exit(f"the sign-in was not remembered: {requests}")
    user_mem, user_walls = [], []
    for _ in range(RUNS):
        written, wall, hwm, rss, pss = timed_start("user")
        timed_stop("user")
        user_walls.append(written)
        user_mem.append((hwm, rss, pss))

    def med(xs, i):
        return statistics.median(x[i] for x in xs)

    print(f"binary: {BIN}")
    print(f"first federated start (signs in, no typing): {first[0] * 1000:.0f} ms to credentials")
    print(
        f"federated start, remembered sign-in, {RUNS} runs: start to credentials written: median "
        f"{statistics.median(walls) * 1000:.0f} ms (min {min(walls) * 1000:.0f}, max "
        f"{max(walls) * 1000:.0f}); to the process's exit: median "
        f"{statistics.median(exits) * 1000:.0f} ms; IdP sign-ins in all: {logins}"
    )
    print(
        f"iam-user start, {RUNS} runs: start to credentials written: median "
        f"{statistics.median(user_walls) * 1000:.0f} ms "
        f"(min {min(user_walls) * 1000:.0f}, max {max(user_walls) * 1000:.0f})"
    )
    print("memory (medians over the runs; peaks sampled every 10 ms, VmHWM is the kernel's):")
    for name, i in (("credtray process peak RSS (VmHWM)", 0),
                    ("credtray + WebKit helpers, peak summed RSS", 1),
                    ("credtray + WebKit helpers, peak summed PSS", 2)):
        f, u = med(fed_mem, i), med(user_mem, i)
        print(f"  {name}: federated {mib(f)}, iam-user {mib(u)}, extra {mib(f - u)}")
finally:
    moto.terminate()
    moto.wait()
    idp.shutdown()
