//! The loopback listener of the authorization-code sign-in: `http://127.0.0.1:PORT/oauth/callback`
//! receives the browser's redirect with `code` and `state` (or `error`), answers with a
//! small page saying the tab can be closed, and hands the code over.

use std::collections::HashMap;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The path the redirect comes to.
pub const CALLBACK_PATH: &str = "/oauth/callback";

/// What the redirect said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redirect {
    /// The user approved: the authorization code (the state was checked).
    Code(String),
    /// The IdP or the user refused: its `error` (and description).
    Refused(String),
}

/// A bound listener waiting for one redirect.
pub struct Callback {
    listener: TcpListener,
    port: u16,
}

impl Callback {
    /// Binds 127.0.0.1 on a free port.
    pub async fn bind() -> std::io::Result<Callback> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        Ok(Callback { listener, port })
    }

    /// `http://127.0.0.1:PORT/oauth/callback`.
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{CALLBACK_PATH}", self.port)
    }

    /// Waits for the redirect whose `state` is `state`; other requests (a favicon, a
    /// stray or forged redirect) get an error page and are ignored.
    pub async fn wait(&self, state: &str) -> std::io::Result<Redirect> {
        loop {
            let (stream, _) = self.listener.accept().await?;
            if let Some(r) = serve(stream, state).await {
                return Ok(r);
            }
        }
    }
}

const DONE_PAGE: &str =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>credtray</title></head>\
<body style=\"font-family:sans-serif;margin:3em\"><h2>credtray is signed in</h2>\
<p>You can close this tab.</p></body></html>";

const REFUSED_PAGE: &str =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>credtray</title></head>\
<body style=\"font-family:sans-serif;margin:3em\"><h2>Sign-in was not completed</h2>\
<p>credtray did not get access. You can close this tab.</p></body></html>";

/// Reads one request and answers it; returns the redirect if it was the awaited one.
async fn serve(mut stream: TcpStream, state: &str) -> Option<Redirect> {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
        match tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut chunk)).await
        {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf);
    let target = head
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("GET "))
        .and_then(|l| l.split(' ').next())
        .unwrap_or("");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let params = parse_query(query);
    let outcome = if path != CALLBACK_PATH || params.get("state").map(String::as_str) != Some(state)
    {
        None
    } else if let Some(code) = params.get("code").filter(|c| !c.is_empty()) {
        Some(Redirect::Code(code.clone()))
    } else {
        let error = params
            .get("error")
            .cloned()
            .unwrap_or_else(|| "no code".into());
        let detail = params
            .get("error_description")
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        Some(Redirect::Refused(format!("{error}{detail}")))
    };
    let (status, body) = match &outcome {
        Some(Redirect::Code(_)) => ("200 OK", DONE_PAGE),
        Some(Redirect::Refused(_)) => ("200 OK", REFUSED_PAGE),
        None => ("404 Not Found", REFUSED_PAGE),
    };
    let answer = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
    outcome
}

/// Decodes `a=b&c=d` with percent-escapes and `+` for space.
pub fn parse_query(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a query value (everything but unreserved characters).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_round_trip() {
        let q = format!("code={}&state=a%2Bb&x=1+2", encode("c/d e"));
        let p = parse_query(&q);
        assert_eq!(p["code"], "c/d e");
        assert_eq!(p["state"], "a+b");
        assert_eq!(p["x"], "1 2");
        assert_eq!(parse_query("bad=%zz")["bad"], "%zz");
        assert_eq!(parse_query("end=%4")["end"], "%4");
    }

    async fn get(addr: &str, path: &str) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn the_redirect_with_the_right_state_is_taken() {
        let cb = Callback::bind().await.unwrap();
        let addr = cb
            .redirect_uri()
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap()
            .to_string();
        let client = tokio::spawn(async move {
            let stray = get(&addr, "/oauth/callback?code=forged&state=other").await;
            assert!(stray.starts_with("HTTP/1.1 404"));
            let ok = get(&addr, "/oauth/callback?code=the-code&state=s1").await;
            assert!(ok.contains("You can close this tab"));
        });
        assert_eq!(
            cb.wait("s1").await.unwrap(),
            Redirect::Code("the-code".into())
        );
        client.await.unwrap();
    }
}
