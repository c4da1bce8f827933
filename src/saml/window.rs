//! The sign-in window: a tao window holding a wry web view on the IdP's SAML URL, titled
//! with the session's alias. An initialization script wraps form submission (`submit`,
//! `requestSubmit`, the `submit` event) so that a form posting to an AWS SAML endpoint
//! hands its `SAMLResponse` to Rust through the IPC channel instead of being sent; a
//! navigation handler refuses those endpoints as a backstop. The web view keeps the IdP's
//! cookies in a folder of credtray's own per SAML URL. Lives on the event loop's thread.

use std::collections::HashMap;
use std::path::PathBuf;

use tao::event_loop::{EventLoopProxy, EventLoopWindowTarget};
use tao::window::{Window, WindowBuilder, WindowId};
use tokio::sync::oneshot;
use wry::{WebContext, WebView, WebViewBuilder};

use super::{is_aws_saml_endpoint, Assertion, AWS_SAML_ENDPOINTS};

/// Why a sign-in gave no assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInFailure {
    /// The user closed the window.
    Closed,
    /// The window or web view could not be made.
    Window(String),
}

/// A request to open the sign-in window for one session.
#[derive(Debug)]
pub struct SignInRequest {
    /// The session's alias: the window's title.
    pub alias: String,
    /// The IdP's SAML sign-in URL.
    pub url: String,
    /// Where the web view keeps the IdP's cookies.
    pub data_dir: PathBuf,
    /// Answered once: the assertion, or why there is none.
    pub reply: oneshot::Sender<Result<Assertion, SignInFailure>>,
}

/// What the web views report to the event loop.
#[derive(Debug)]
pub enum SamlEvent {
    /// The page handed over a SAMLResponse.
    Captured(WindowId, Assertion),
}

struct OpenWindow {
    // Dropped in this order: the web view, then its window and context.
    _webview: WebView,
    _window: Window,
    _context: WebContext,
    reply: Option<oneshot::Sender<Result<Assertion, SignInFailure>>>,
}

/// The sign-in windows open in this process.
#[derive(Default)]
pub struct SignInWindows {
    open: HashMap<WindowId, OpenWindow>,
}

/// The initialization script: wraps form submission so that a form posting to an AWS SAML
/// endpoint hands its SAMLResponse over through `window.ipc` and is never sent.
pub fn capture_script() -> String {
    let endpoints = serde_json::to_string(&AWS_SAML_ENDPOINTS).unwrap_or_else(|_| "[]".into());
    format!(
        r#"(function () {{
  var endpoints = {endpoints};
  var proto = HTMLFormElement.prototype;
  var actionOf = Object.getOwnPropertyDescriptor(proto, "action").get;
  var elementsOf = Object.getOwnPropertyDescriptor(proto, "elements").get;
  var realSubmit = proto.submit;
  var realRequestSubmit = proto.requestSubmit;
  function isAws(action) {{
    try {{
      var u = new URL(action, document.baseURI);
      var base = (u.protocol + "//" + u.host + u.pathname).replace(/\/$/, "").toLowerCase();
      return endpoints.indexOf(base) >= 0;
    }} catch (e) {{ return false; }}
  }}
  function capture(form) {{
    if (!(form instanceof HTMLFormElement) || !isAws(actionOf.call(form))) return false;
    var field = elementsOf.call(form).namedItem("SAMLResponse");
    var value = field && field.value;
    window.ipc.postMessage(JSON.stringify({{ samlResponse: value || "" }}));
    return true;
  }}
  proto.submit = function () {{
    if (capture(this)) return;
    return realSubmit.call(this);
  }};
  if (realRequestSubmit) {{
    proto.requestSubmit = function (submitter) {{
      if (capture(this)) return;
      return submitter === undefined ? realRequestSubmit.call(this) : realRequestSubmit.call(this, submitter);
    }};
  }}
  window.addEventListener("submit", function (e) {{
    if (capture(e.target)) {{ e.preventDefault(); e.stopImmediatePropagation(); }}
  }}, true);
}})();"#
    )
}

impl SignInWindows {
    /// Opens a window for `req`. A failure is answered on the request's channel.
    pub fn open<T: From<SamlEvent> + 'static>(
        &mut self,
        target: &EventLoopWindowTarget<T>,
        proxy: EventLoopProxy<T>,
        req: SignInRequest,
    ) {
        let SignInRequest {
            alias,
            url,
            data_dir,
            reply,
        } = req;
        match build(target, proxy, &alias, &url, data_dir) {
            Ok((window, webview, context)) => {
                self.open.insert(
                    window.id(),
                    OpenWindow {
                        _webview: webview,
                        _window: window,
                        _context: context,
                        reply: Some(reply),
                    },
                );
            }
            Err(e) => {
                let _ = reply.send(Err(SignInFailure::Window(e)));
            }
        }
    }

    /// Whether `id` is one of these windows.
    pub fn owns(&self, id: WindowId) -> bool {
        self.open.contains_key(&id)
    }

    /// The user closed window `id`: the sign-in is cancelled.
    pub fn close_requested(&mut self, id: WindowId) {
        if let Some(mut w) = self.open.remove(&id) {
            if let Some(reply) = w.reply.take() {
                let _ = reply.send(Err(SignInFailure::Closed));
            }
        }
    }

    /// A web view reported something: the assertion is answered and its window closes.
    pub fn handle(&mut self, event: SamlEvent) {
        match event {
            SamlEvent::Captured(id, assertion) => {
                if let Some(mut w) = self.open.remove(&id) {
                    if let Some(reply) = w.reply.take() {
                        let _ = reply.send(Ok(assertion));
                    }
                }
            }
        }
    }

    /// How many windows are open.
    pub fn len(&self) -> usize {
        self.open.len()
    }

    /// Whether none is open.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }
}

fn build<T: From<SamlEvent> + 'static>(
    target: &EventLoopWindowTarget<T>,
    proxy: EventLoopProxy<T>,
    alias: &str,
    url: &str,
    data_dir: PathBuf,
) -> Result<(Window, WebView, WebContext), String> {
    let window = WindowBuilder::new()
        .with_title(alias)
        .with_inner_size(tao::dpi::LogicalSize::new(900.0, 700.0))
        .build(target)
        .map_err(|e| e.to_string())?;
    let id = window.id();
    let mut context = WebContext::new(Some(data_dir));
    let builder = WebViewBuilder::new_with_web_context(&mut context)
        .with_url(url)
        .with_initialization_script(capture_script())
        .with_ipc_handler(move |req: wry::http::Request<String>| {
            let value = serde_json::from_str::<serde_json::Value>(req.body())
                .ok()
                .and_then(|v| v.get("samlResponse")?.as_str().map(str::to_string))
                .unwrap_or_default();
            if !value.is_empty() {
                let _ = proxy.send_event(T::from(SamlEvent::Captured(id, Assertion::new(value))));
            }
        })
        .with_navigation_handler(|to: String| !is_aws_saml_endpoint(&to));
    #[cfg(any(
        target_os = "linux",
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "netbsd",
        target_os = "openbsd"
    ))]
    let webview = {
        use tao::platform::unix::WindowExtUnix;
        use wry::WebViewBuilderExtUnix;
        let vbox = window
            .default_vbox()
            .ok_or_else(|| "the window has no GTK container".to_string())?;
        builder.build_gtk(vbox).map_err(|e| e.to_string())?
    };
    #[cfg(not(any(
        target_os = "linux",
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "netbsd",
        target_os = "openbsd"
    )))]
    let webview = builder.build(&window).map_err(|e| e.to_string())?;
    Ok((window, webview, context))
}
