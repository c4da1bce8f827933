#!/usr/bin/python3
"""Figures of the release tray with 1,000 sessions (run by benches/tray.sh, which makes the
desktop, the bus and the state): time from launch to the menu exported on D-Bus, idle RSS,
context switches over an idle period, menu rebuild times (from the tray's debug log), how
long the exported menu takes to follow a change made by the CLI, and the Sessions window:
how long "Sessions…" takes to show it, and the memory with it open."""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "tray"))
import dbus  # noqa: E402
import dbusmenu  # noqa: E402

BIN, TMP, IDLE = sys.argv[1], sys.argv[2], int(sys.argv[3])
bus = dbus.SessionBus()


def exported(pid):
    try:
        _, _, root = dbusmenu.layout(bus, pid)
        return root
    except dbus.DBusException:
        return None


def launch(log):
    t0 = time.monotonic()
    p = subprocess.Popen([BIN], stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    while True:
        root = exported(p.pid)
        if root is not None:
            return p, time.monotonic() - t0, root
        if p.poll() is not None or time.monotonic() - t0 > 60:
            sys.exit(f"the tray did not export its menu (exit {p.poll()}); see {log.name}")
        time.sleep(0.005)


def count(node):
    return 1 + sum(count(c) for c in node.get("children", []))


def switches(pid):
    """Context switches of every thread, by thread id."""
    out = {}
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/status") as f:
                out[t] = sum(
                    int(line.split()[1])
                    for line in f
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"))
                )
        except FileNotFoundError:
            pass
    return out


def idle_switches(pid, seconds):
    """Switches over `seconds`, sampled every second so that a thread that ends counts
    what it did until its last sample, and one that starts counts from zero."""
    first = switches(pid)
    last = dict(first)
    for _ in range(seconds):
        time.sleep(1)
        last.update(switches(pid))
    return sum(v - first.get(t, 0) for t, v in last.items())


def rss(pid):
    """Resident memory: total, and its anonymous (the process's own) and file-backed
    (shared libraries, fonts, icon caches) parts, in MB."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                fields[key] = int(value.split()[0]) / 1024
    return (
        f"{fields['VmRSS']:.1f} MB (anonymous {fields['RssAnon']:.1f} MB, "
        f"file-backed {fields['RssFile']:.1f} MB, shared memory {fields['RssShmem']:.1f} MB)"
    )


def stop(p):
    p.terminate()
    p.wait(timeout=30)


# For comparison: the tray with no session at all.
empty_env = dict(os.environ, CREDTRAY_CONFIG_DIR=f"{TMP}/empty-cfg")
with open(f"{TMP}/tray-empty.log", "w") as log:
    q = subprocess.Popen([BIN], stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=empty_env)
    t0 = time.monotonic()
    while exported(q.pid) is None and time.monotonic() - t0 < 30:
        time.sleep(0.005)
    took = time.monotonic() - t0
    time.sleep(5)
    print(f"no session: menu exported in {took * 1000:.0f} ms, RSS {rss(q.pid)}")
    stop(q)

times = []
for i in range(3):
    with open(f"{TMP}/tray-{i}.log", "w") as log:
        p, took, root = launch(log)
        times.append(took)
        if i < 2:
            stop(p)
print(f"menu entries exported: {count(root) - 1}")
print("launch → menu exported on D-Bus: " + ", ".join(f"{t * 1000:.0f} ms" for t in times))

# tokio's blocking threads end after 10 idle seconds: let them go first.
time.sleep(15)
threads = len(os.listdir(f"/proc/{p.pid}/task"))
print(f"idle RSS: {rss(p.pid)}, {threads} threads")
print(f"context switches over {IDLE} idle seconds (all threads): {idle_switches(p.pid, IDLE)}")


# The menu object, found once; a tray host reads only what changed, and so do the probes.
name, path = dbusmenu.find_menu(bus, p.pid)
menu_obj = dbus.Interface(bus.get_object(name, path, introspect=False), dbusmenu.IFACE)


def top_labels():
    _, root = menu_obj.GetLayout(0, 1, dbus.Array(["label"], signature="s"))
    return [dbusmenu.plain(str(c[1].get("label", ""))) for c in root[2]]


def label_of(item_id):
    props = menu_obj.GetGroupProperties(dbus.Array([dbus.Int32(item_id)], signature="i"),
                                        dbus.Array(["label"], signature="s"))
    return dbusmenu.plain(str(props[0][1].get("label", ""))) if props else ""


def follow(cmd, probe, label):
    """Runs the CLI, then polls `probe` (a read of the part of the menu that changes, as a
    host reads it after the menu's signal) until it sees the change."""
    t0 = time.monotonic()
    subprocess.run([BIN] + cmd, check=True, capture_output=True)
    t1 = time.monotonic()
    while not probe():
        if time.monotonic() - t1 > 30:
            sys.exit(f"the menu did not follow: {label}")
        time.sleep(0.002)
    t2 = time.monotonic()
    print(f"{label}: CLI command {1000 * (t1 - t0):.0f} ms, then the exported menu followed in {1000 * (t2 - t1):.0f} ms")


follow(["profile", "add", "bench-new"], lambda: "bench-new" in top_labels(), "a profile added (one submenu inserted)")
# The item's id as now exported (a host reads the layout again after a layout change;
# credtray's own StatusNotifierItem numbers the items anew then).
root = exported(p.pid)
s0001 = next(
    c["id"] for prof in root["children"] for c in prof.get("children", [])
    if c["label"].startswith("s0001 ")
)
follow(
    ["session", "edit", "s0001", "--alias", "s0001-renamed"],
    lambda: label_of(s0001).startswith("s0001-renamed"),
    "a session renamed (in place)",
)
t = time.monotonic()
root = exported(p.pid)
print(f"the whole menu read back by a client: {1000 * (time.monotonic() - t):.0f} ms, {count(root) - 1} entries")

def window_shown(title):
    out = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", title], capture_output=True, text=True
    )
    return out.returncode == 0 and out.stdout.strip() != ""


# The Sessions window, made the first time it is asked for: how long until it is on
# screen, and what it adds to the memory.
menu, _, root = dbusmenu.layout(bus, p.pid)
item = next(c for c in root["children"] if c["label"] == "Sessions…")
t0 = time.monotonic()
menu.Event(dbus.Int32(item["id"]), "clicked", dbus.Int32(0, variant_level=1), dbus.UInt32(0))
while not window_shown("credtray — Sessions"):
    if time.monotonic() - t0 > 30:
        sys.exit("the Sessions window did not show")
    time.sleep(0.005)
print(f"Sessions… → the window on screen: {1000 * (time.monotonic() - t0):.0f} ms")
time.sleep(3)
print(f"RSS with the Sessions window open: {rss(p.pid)}")
stop(p)
with open(f"{TMP}/tray-2.log") as f:
    for line in f:
        m = re.search(r"menu refreshed update=Ok\((\w+)\) took=([\d.]+)(\w+)", line)
        if m and m.group(1) != "Unchanged":
            print(f"menu update in the tray ({m.group(1)}): {m.group(2)} {m.group(3)}")
