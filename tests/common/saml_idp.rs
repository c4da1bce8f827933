//! A loopback SAML 2.0 identity provider for the tests (copied from tests/saml.rs, which
//! may move to it): a sign-in page (user and password) that sets a session cookie, and the
//! usual self-submitting form posting a base64 SAMLResponse to
//! `https://signin.aws.amazon.com/saml`. It records each request, and whether it came with
//! the session cookie.

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use base64::Engine as _;

/// The role the tests' federated sessions assume.
pub const ROLE: &str = "arn:aws:iam::123456789012:role/Fed";
/// The IdP's ARN in IAM.
pub const IDP: &str = "arn:aws:iam::123456789012:saml-provider/TestIdP";
/// The user the IdP signs in.
pub const USER: &str = "alice";
/// Their password.
pub const PASSWORD: &str = "correct horse";

#[derive(Default)]
pub struct IdpLog {
    /// Every request line, in order ("GET /", "POST /login").
    pub requests: Vec<String>,
    /// Request lines that came with the session cookie.
    pub with_cookie: Vec<String>,
    /// The session cookie it sets and accepts.
    pub cookie: String,
}

pub struct Idp {
    pub port: u16,
    pub log: Arc<Mutex<IdpLog>>,
    /// The base64 SAMLResponse it hands out (the same each time).
    pub assertion: String,
    /// A string in the assertion's XML that appears nowhere else.
    pub marker: String,
}

impl Idp {
    /// An IdP whose assertion offers `roles` ("role,provider" values). With `remembered`,
    /// every visitor is already signed in.
    pub fn start(roles: &[&str], remembered: bool) -> Idp {
        let marker = format!("credtray-test-assertion-{}", uuid_like());
        let values: String = roles
            .iter()
            .map(|r| format!("<saml:AttributeValue>{r}</saml:AttributeValue>"))
            .collect();
        let xml = format!(
            r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{marker}" Version="2.0" IssueInstant="2024-01-01T00:00:00Z"><saml:Issuer>http://127.0.0.1/idp</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion ID="a-{marker}" Version="2.0" IssueInstant="2024-01-01T00:00:00Z"><saml:Issuer>http://127.0.0.1/idp</saml:Issuer><saml:Subject><saml:NameID>{USER}</saml:NameID></saml:Subject><saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">{values}</saml:Attribute><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>{USER}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion></samlp:Response>"#
        );
        let assertion = base64::engine::general_purpose::STANDARD.encode(xml);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the IdP");
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(IdpLog {
            cookie: format!("idp_session={}", uuid_like()),
            ..IdpLog::default()
        }));
        {
            let log = log.clone();
            let assertion = assertion.clone();
            thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    let log = log.clone();
                    let assertion = assertion.clone();
                    thread::spawn(move || {
                        serve(stream, &log, &assertion, remembered);
                    });
                }
            });
        }
        Idp {
            port,
            log,
            assertion,
            marker,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    pub fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().requests.clone()
    }

    pub fn count(&self, line: &str) -> usize {
        self.requests().iter().filter(|r| *r == line).count()
    }

    /// The IdP's sessions end: the cookie it handed out is no longer accepted.
    pub fn forget(&self) {
        self.log.lock().unwrap().cookie = format!("idp_session={}", uuid_like());
    }

    /// How many `line` requests came with the session cookie.
    pub fn count_with_cookie(&self, line: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .with_cookie
            .iter()
            .filter(|r| *r == line)
            .count()
    }
}

fn uuid_like() -> String {
    let mut b = [0u8; 12];
    getrandom_fill(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn getrandom_fill(b: &mut [u8]) {
    let mut f = fs::File::open("/dev/urandom").expect("/dev/urandom");
    f.read_exact(b).expect("read /dev/urandom");
}

const SIGN_IN_PAGE: &str = r#"<!doctype html><html><head><title>Test IdP</title></head><body>
<h1>Test IdP</h1><form method="post" action="/login">
<p>User <input name="user" id="user" autofocus></p>
<p>Password <input name="password" id="password" type="password"></p>
<p><input type="submit" value="Sign in"></p></form>
<script>document.getElementById("user").focus();</script></body></html>"#;

fn saml_post_page(assertion: &str) -> String {
    format!(
        r#"<!doctype html><html><body onload="document.forms[0].submit()"><form method="post" action="https://signin.aws.amazon.com/saml"><input type="hidden" name="SAMLResponse" value="{assertion}"><noscript><input type="submit" value="Continue"></noscript></form><script>document.forms[0].submit()</script></body></html>"#
    )
}

fn serve(stream: TcpStream, log: &Mutex<IdpLog>, assertion: &str, remembered: bool) {
    let cookie = log.lock().unwrap().cookie.clone();
    let cookie = cookie.as_str();
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    let _ = reader.read_exact(&mut body);
    let body = String::from_utf8_lossy(&body).into_owned();
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let line = format!("{method} {path}");
    log.lock().unwrap().requests.push(line.clone());
    let has_cookie = headers
        .get("cookie")
        .is_some_and(|c| c.split(';').any(|p| p.trim() == cookie));
    if has_cookie {
        log.lock().unwrap().with_cookie.push(line.clone());
    }
    let signed_in = remembered || has_cookie;
    let (status, extra, page) = match line.as_str() {
        "GET /" if signed_in => ("200 OK", String::new(), saml_post_page(assertion)),
        "GET /" => ("200 OK", String::new(), SIGN_IN_PAGE.to_string()),
        "POST /login" => {
            let form: HashMap<String, String> = body
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), url_decode(v)))
                .collect();
            if form.get("user").map(String::as_str) == Some(USER)
                && form.get("password").map(String::as_str) == Some(PASSWORD)
            {
                (
                    "200 OK",
                    format!("Set-Cookie: {cookie}; Max-Age=3600; Path=/; HttpOnly\r\n"),
                    saml_post_page(assertion),
                )
            } else {
                (
                    "200 OK",
                    String::new(),
                    SIGN_IN_PAGE.replace("<h1>Test IdP</h1>", "<h1>Wrong user or password</h1>"),
                )
            }
        }
        _ => ("404 Not Found", String::new(), "not found".to_string()),
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{page}",
        page.len()
    );
    let _ = stream.flush();
}

fn url_decode(s: &str) -> String {
    let s = s.replace('+', " ");
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
