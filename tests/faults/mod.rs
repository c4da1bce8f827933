//! A fake STS on 127.0.0.1 that answers from a script: the tests push the answers they
//! want (an AccessDenied, a Throttling, a slow answer…) and the fake pops one per request,
//! falling back to a success for the request's Action. It speaks the real wire format
//! (the Query protocol: form-encoded POST in, XML out), which `tests/errors.rs` checks
//! against the real AWS CLI.
//!
//! Plain std: a `TcpListener` on port 0, one thread accepting, one thread per connection
//! (so that a delayed answer does not hold up the client's retry on a new connection).
//! Every answer closes its connection.
//!
//! It records what reached it ([`FakeSts::requests`]): every form parameter (`Action`,
//! `TokenCode`, `SerialNumber`, `RoleArn`, `RoleSessionName`, `ExternalId`,
//! `DurationSeconds`…), the access key id that signed the request (the `Credential=` of its
//! `Authorization` header), whether it carried a session token, and the access key id of
//! the credentials it answered with. So a test can assert what credtray sent, and with
//! which credentials — e.g. that an AssumeRole was signed with the key a GetSessionToken
//! just returned:
//!
//! ```ignore
//! let reqs = fake.requests();
//! assert_eq!(reqs[0].param("TokenCode"), Some("123456"));
//! assert_eq!(reqs[1].access_key_id(), reqs[0].issued_access_key_id());
//! ```
//!
//! [`FakeSts::forwarding_to`] makes it a recording proxy instead: each request goes on,
//! unchanged, to a real endpoint (moto), whose answer comes back unchanged — the same record
//! of what was sent, with the real service checking it.

#![allow(dead_code)]

// Included by each fake: a test crate may load both (it is the same code twice).
#[allow(clippy::duplicate_mod)]
#[path = "../common/http.rs"]
mod http;

pub use http::parse_form;
use http::{read_request, Headers};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The XML namespace of every STS answer.
pub const STS_NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// The expiration of every credentials the fake hands out.
pub const FAKE_EXPIRATION: &str = "2030-01-01T00:00:00Z";

/// The message real STS gives for a wrong MFA code.
pub const WRONG_MFA_MESSAGE: &str =
    "MultiFactorAuthentication failed with invalid MFA one time pass code. ";

/// One scripted answer.
#[derive(Clone, Debug)]
pub struct Reply {
    /// Wait this long before answering (to provoke the client's timeouts).
    pub delay: Duration,
    /// What to answer.
    pub kind: ReplyKind,
}

/// What an answer says.
#[derive(Clone, Debug)]
pub enum ReplyKind {
    /// The success answer for the request's Action.
    Success,
    /// An STS `ErrorResponse`.
    Error {
        /// HTTP status.
        status: u16,
        /// `Sender` or `Receiver`.
        kind: &'static str,
        /// The error code (`AccessDenied`, `Throttling`, …).
        code: String,
        /// The message.
        message: String,
    },
}

impl Reply {
    /// A success for whatever was asked.
    pub fn success() -> Reply {
        Reply {
            delay: Duration::ZERO,
            kind: ReplyKind::Success,
        }
    }

    /// An error answer as STS sends it.
    pub fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply {
            delay: Duration::ZERO,
            kind: ReplyKind::Error {
                status,
                kind: if status >= 500 { "Receiver" } else { "Sender" },
                code: code.to_string(),
                message: message.to_string(),
            },
        }
    }

    /// AccessDenied, 403.
    pub fn access_denied(message: &str) -> Reply {
        Reply::error(403, "AccessDenied", message)
    }

    /// The answer to a wrong MFA code: AccessDenied, 403, with STS's own message.
    pub fn wrong_mfa() -> Reply {
        Reply::error(403, "AccessDenied", WRONG_MFA_MESSAGE)
    }

    /// ExpiredToken, 400.
    pub fn expired_token() -> Reply {
        Reply::error(
            400,
            "ExpiredToken",
            "The security token included in the request is expired",
        )
    }

    /// InvalidClientTokenId, 403.
    pub fn invalid_client_token_id() -> Reply {
        Reply::error(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
    }

    /// Throttling, 400 (what STS sends for its rate limit).
    pub fn throttling() -> Reply {
        Reply::error(400, "Throttling", "Rate exceeded")
    }

    /// The same answer, after `delay`.
    pub fn after(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}

/// What the fake saw of one request, and what it answered.
#[derive(Clone, Debug)]
pub struct Request {
    /// The `Action` parameter (`GetSessionToken`, `AssumeRole`, …), or "" when none.
    pub action: String,
    /// The access key id in the `Authorization` header's `Credential=` (the key that
    /// signed), or None when the request was not signed with SigV4.
    pub signed_by: Option<String>,
    /// The `X-Amz-Security-Token` header: the session token sent with temporary credentials
    /// (the fake's own made-up tokens, or moto's example token; never a long-term secret).
    pub session_token: Option<String>,
    /// The HTTP status of the answer, once it was sent (None while it is delayed).
    pub status: Option<u16>,
    /// The access key id of the credentials in the answer (`<AccessKeyId>`), if any.
    pub issued: Option<String>,
    /// Whether `TokenCode` was sent.
    pub has_token_code: bool,
    /// Whether `SerialNumber` was sent.
    pub has_serial_number: bool,
    /// Every form parameter, decoded (names and values; the tests' secrets never appear
    /// in a form: they only sign it).
    pub params: Vec<(String, String)>,
    /// When it arrived, relative to the fake's start.
    pub at: Duration,
}

impl Request {
    /// The value of form parameter NAME (`Action`, `TokenCode`, `SerialNumber`, `RoleArn`,
    /// `RoleSessionName`, `ExternalId`, `DurationSeconds`, …), decoded; None when absent.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The access key id that signed the request (`Credential=AKID/…` of the
    /// `Authorization` header).
    pub fn access_key_id(&self) -> Option<&str> {
        self.signed_by.as_deref()
    }

    /// The access key id of the credentials the answer carried (what a GetSessionToken or
    /// an AssumeRole handed out), if it carried any.
    pub fn issued_access_key_id(&self) -> Option<&str> {
        self.issued.as_deref()
    }

    /// One line: time, Action, signer (a long-term key id masked), parameter names (never
    /// values: a TokenCode is shown only through [`Request::param`]), status, key id issued.
    pub fn summary(&self) -> String {
        let names: Vec<&str> = self.params.iter().map(|(k, _)| k.as_str()).collect();
        format!(
            "{:>7.3}s {} signed_by={} token={} params={names:?} status={} issued={}",
            self.at.as_secs_f64(),
            self.action,
            self.signed_by
                .as_deref()
                .map_or("-".to_string(), mask_key_id),
            if self.session_token.is_some() {
                "yes"
            } else {
                "no"
            },
            self.status.map_or("-".to_string(), |s| s.to_string()),
            self.issued.as_deref().unwrap_or("-"),
        )
    }
}

/// A long-term access key id (`AKIA…`) shortened to its first and last four characters,
/// for messages (credtray keeps key ids in the keychain as secrets); others unchanged.
pub fn mask_key_id(key_id: &str) -> String {
    if key_id.starts_with("AKIA") && key_id.len() > 12 {
        format!("{}…{}", &key_id[..4], &key_id[key_id.len() - 4..])
    } else {
        key_id.to_string()
    }
}

/// The access key id in an `Authorization: AWS4-HMAC-SHA256 Credential=AKID/date/region/
/// service/aws4_request, SignedHeaders=…, Signature=…` header.
pub fn credential_access_key_id(authorization: &str) -> Option<String> {
    let rest = &authorization[authorization.find("Credential=")? + "Credential=".len()..];
    let scope = rest.split([',', ' ']).next()?;
    let akid = scope.split('/').next()?;
    (!akid.is_empty()).then(|| akid.to_string())
}

/// The text of the first `<AccessKeyId>` element of an XML answer.
fn issued_access_key_id(xml: &str) -> Option<String> {
    let start = xml.find("<AccessKeyId>")? + "<AccessKeyId>".len();
    let len = xml[start..].find("</AccessKeyId>")?;
    Some(xml[start..start + len].to_string())
}

struct Shared {
    script: Mutex<VecDeque<Reply>>,
    default: Mutex<Reply>,
    requests: Mutex<Vec<Request>>,
    upstream: Option<String>,
    started: Instant,
    stop: AtomicBool,
    serial: AtomicU64,
}

/// The fake STS. Stops accepting when dropped.
pub struct FakeSts {
    shared: Arc<Shared>,
    port: u16,
    acceptor: Option<thread::JoinHandle<()>>,
}

impl FakeSts {
    /// Starts the fake on 127.0.0.1 at a free port.
    pub fn start() -> FakeSts {
        FakeSts::start_inner(None)
    }

    /// Starts a recording proxy on 127.0.0.1 at a free port: every request is recorded as
    /// by the fake, then sent unchanged (same path, headers and body, so its SigV4 signature
    /// still holds) to UPSTREAM (`http://127.0.0.1:PORT`, e.g. moto), and the upstream's
    /// answer is returned unchanged (except `Connection: close`). Scripts are ignored.
    pub fn forwarding_to(upstream: &str) -> FakeSts {
        let host = upstream
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("the proxy forwards to http:// only, not {upstream}"))
            .trim_end_matches('/')
            .to_string();
        FakeSts::start_inner(Some(host))
    }

    fn start_inner(upstream: Option<String>) -> FakeSts {
        let listener =
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind the fake STS to 127.0.0.1:0");
        let port = listener.local_addr().expect("fake STS address").port();
        let shared = Arc::new(Shared {
            script: Mutex::new(VecDeque::new()),
            default: Mutex::new(Reply::success()),
            requests: Mutex::new(Vec::new()),
            upstream,
            started: Instant::now(),
            stop: AtomicBool::new(false),
            serial: AtomicU64::new(0),
        });
        let s = shared.clone();
        let acceptor = thread::spawn(move || {
            for conn in listener.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = conn else { continue };
                let s = s.clone();
                thread::spawn(move || serve(stream, &s));
            }
        });
        FakeSts {
            shared,
            port,
            acceptor: Some(acceptor),
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Queues answers, answered in order, one per request.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.shared.script.lock().unwrap().extend(replies);
    }

    /// The answer given once the script is used up (a success at first).
    pub fn set_default(&self, reply: Reply) {
        *self.shared.default.lock().unwrap() = reply;
    }

    /// Every request so far, in the order they arrived.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// The requests with Action ACTION, in the order they arrived.
    pub fn requests_for(&self, action: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.action == action)
            .collect()
    }

    /// How many requests there were with Action ACTION (any Action: None).
    pub fn count(&self, action: Option<&str>) -> usize {
        self.requests()
            .iter()
            .filter(|r| action.is_none_or(|a| r.action == a))
            .count()
    }

    /// The requests, one line each, for failure messages.
    pub fn describe(&self) -> String {
        let reqs = self.requests();
        if reqs.is_empty() {
            return "(the fake STS received no request)".into();
        }
        reqs.iter()
            .map(|r| format!("  {}", r.summary()))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for FakeSts {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor so that it sees the flag.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
        if let Some(h) = self.acceptor.take() {
            let _ = h.join();
        }
    }
}

fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut writer = stream;
    // One request per connection: the answer says `Connection: close`.
    let Some((method, target, headers, body)) = read_request(&mut reader) else {
        return;
    };
    if shared.stop.load(Ordering::SeqCst) {
        return;
    }
    let params = if method == "POST" {
        parse_form(&String::from_utf8_lossy(&body))
    } else {
        Vec::new()
    };
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let action = params
        .iter()
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let request = Request {
        has_token_code: params.iter().any(|(k, _)| k == "TokenCode"),
        has_serial_number: params.iter().any(|(k, _)| k == "SerialNumber"),
        action: action.clone(),
        signed_by: header("authorization").and_then(|a| credential_access_key_id(&a)),
        session_token: header("x-amz-security-token"),
        status: None,
        issued: None,
        params,
        at: shared.started.elapsed(),
    };
    let index = {
        let mut requests = shared.requests.lock().unwrap();
        requests.push(request);
        requests.len() - 1
    };
    let answered = |status: u16, body: &str| {
        let mut requests = shared.requests.lock().unwrap();
        requests[index].status = Some(status);
        requests[index].issued = issued_access_key_id(body);
    };
    if let Some(upstream) = &shared.upstream {
        let (status, head, body) = forward(upstream, &method, &target, &headers, &body)
            .unwrap_or_else(|e| {
                let body = error_body("Receiver", "ProxyError", &e.to_string(), "proxy");
                (
                    502,
                    "Content-Type: text/xml\r\n".to_string(),
                    body.into_bytes(),
                )
            });
        answered(status, &String::from_utf8_lossy(&body));
        let head = format!(
            "HTTP/1.1 {status} {}\r\n{head}Content-Length: {}\r\nConnection: close\r\n\r\n",
            reason(status),
            body.len()
        );
        let _ = writer.write_all(head.as_bytes());
        let _ = writer.write_all(&body);
        let _ = writer.flush();
        let _ = writer.shutdown(Shutdown::Write);
        let mut sink = [0u8; 1024];
        let _ = reader
            .get_mut()
            .set_read_timeout(Some(Duration::from_millis(200)));
        while matches!(reader.read(&mut sink), Ok(n) if n > 0) {}
        return;
    }
    let reply = shared
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| shared.default.lock().unwrap().clone());
    if !reply.delay.is_zero() {
        thread::sleep(reply.delay);
    }
    let n = shared.serial.fetch_add(1, Ordering::SeqCst);
    let request_id = format!("c0ffee00-0000-4000-8000-{:012x}", n);
    let (status, body) = match &reply.kind {
        ReplyKind::Success => (200, success_body(&action, &request_id, n)),
        ReplyKind::Error {
            status,
            kind,
            code,
            message,
        } => (*status, error_body(kind, code, message, &request_id)),
    };
    answered(status, &body);
    let head = format!(
        "HTTP/1.1 {status} {}\r\nx-amzn-RequestId: {request_id}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nDate: {}\r\nConnection: close\r\n\r\n",
        reason(status),
        body.len(),
        http_date(),
    );
    let _ = writer.write_all(head.as_bytes());
    let _ = writer.write_all(body.as_bytes());
    let _ = writer.flush();
    let _ = writer.shutdown(Shutdown::Write);
    // Drain whatever the client still sends, so that closing does not reset the connection
    // before it read the answer.
    let mut sink = [0u8; 1024];
    let _ = reader
        .get_mut()
        .set_read_timeout(Some(Duration::from_millis(200)));
    while matches!(reader.read(&mut sink), Ok(n) if n > 0) {}
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// Sends one request to UPSTREAM (`host:port`) as it came (path, headers, body; the body
/// with its length, the connection closed after), and returns the answer's status, its
/// headers as `Name: value\r\n` lines (without Connection, Content-Length and
/// Transfer-Encoding) and its body (de-chunked).
fn forward(
    upstream: &str,
    method: &str,
    target: &str,
    headers: &Headers,
    body: &[u8],
) -> std::io::Result<(u16, String, Vec<u8>)> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    let mut stream = TcpStream::connect(upstream)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!("{method} {target} HTTP/1.1\r\n");
    for (k, v) in headers {
        if !matches!(
            k.as_str(),
            "connection" | "content-length" | "transfer-encoding"
        ) {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line)?;
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(&format!("no status line from upstream: {status_line:?}")))?;
    let mut kept = String::new();
    let mut length = None;
    let mut chunked = false;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            break;
        }
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        let Some((k, v)) = h.split_once(':') else {
            continue;
        };
        match k.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = v.trim().parse::<usize>().ok(),
            "transfer-encoding" => chunked = v.to_ascii_lowercase().contains("chunked"),
            "connection" => {}
            _ => kept.push_str(&format!("{}: {}\r\n", k.trim(), v.trim())),
        }
    }
    let mut out = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size =
                usize::from_str_radix(size.trim().split(';').next().unwrap_or("").trim(), 16)
                    .map_err(|_| bad("bad chunk size from upstream"))?;
            if size == 0 {
                break;
            }
            let mut chunk = vec![0u8; size];
            reader.read_exact(&mut chunk)?;
            out.extend_from_slice(&chunk);
            let mut crlf = String::new();
            reader.read_line(&mut crlf)?;
        }
    } else if let Some(len) = length {
        out.resize(len, 0);
        reader.read_exact(&mut out)?;
    } else {
        reader.read_to_end(&mut out)?;
    }
    Ok((status, kept, out))
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn error_body(kind: &str, code: &str, message: &str, request_id: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"{STS_NS}\">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
        xml_escape(code),
        xml_escape(message)
    )
}

/// Fresh-looking temporary keys, distinct per answer.
pub fn fake_keys(n: u64) -> (String, String, String) {
    (
        format!("ASIAFAKE{:012}", n),
        format!("fakeSecret{:030}", n),
        format!("FwoGZXIvYXdzEFakeSessionToken{:040}", n),
    )
}

fn credentials_xml(n: u64) -> String {
    let (id, secret, token) = fake_keys(n);
    format!(
        "<Credentials>\n      <AccessKeyId>{id}</AccessKeyId>\n      <SecretAccessKey>{secret}</SecretAccessKey>\n      <SessionToken>{token}</SessionToken>\n      <Expiration>{FAKE_EXPIRATION}</Expiration>\n    </Credentials>"
    )
}

fn success_body(action: &str, request_id: &str, n: u64) -> String {
    let metadata = format!(
        "<ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>"
    );
    match action {
        "AssumeRole" => format!(
            "<AssumeRoleResponse xmlns=\"{STS_NS}\">\n  <AssumeRoleResult>\n    <AssumedRoleUser>\n      <AssumedRoleId>AROAFAKEROLEID:credtray</AssumedRoleId>\n      <Arn>arn:aws:sts::123456789012:assumed-role/Fake/credtray</Arn>\n    </AssumedRoleUser>\n    {}\n    <PackedPolicySize>6</PackedPolicySize>\n  </AssumeRoleResult>\n  {metadata}\n</AssumeRoleResponse>\n",
            credentials_xml(n)
        ),
        "GetCallerIdentity" => format!(
            "<GetCallerIdentityResponse xmlns=\"{STS_NS}\">\n  <GetCallerIdentityResult>\n    <Arn>arn:aws:iam::123456789012:user/fake</Arn>\n    <UserId>AIDAFAKEUSERID</UserId>\n    <Account>123456789012</Account>\n  </GetCallerIdentityResult>\n  {metadata}\n</GetCallerIdentityResponse>\n"
        ),
        // GetSessionToken, and anything else
        _ => format!(
            "<GetSessionTokenResponse xmlns=\"{STS_NS}\">\n  <GetSessionTokenResult>\n    {}\n  </GetSessionTokenResult>\n  {metadata}\n</GetSessionTokenResponse>\n",
            credentials_xml(n)
        ),
    }
}

/// The current time as an HTTP date (RFC 7231), computed without a date crate.
fn http_date() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // civil_from_days (Howard Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[days.rem_euclid(7) as usize],
        d,
        MONTHS[(month - 1) as usize],
        year,
        h,
        m,
        s
    )
}
