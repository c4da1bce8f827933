//! The window: a tao window titled with the session's alias holding a wry web view on the
//! IdP's SAML URL. The capture script (`credtray::saml::capture`) hands a SAMLResponse
//! bound for AWS to the IPC handler instead of sending it; a navigation handler refuses
//! the AWS SAML endpoints as a backstop. The web view keeps the IdP's cookies in the
//! folder the request names (one per SAML URL).

use std::io::Read;

use tao::event::{Event, WindowEvent};
use tao::event_loop::{ControlFlow, EventLoop, EventLoopBuilder, EventLoopProxy};
use tao::window::{Window, WindowBuilder};
use wry::{WebContext, WebView, WebViewBuilder};

use credtray::saml::capture::capture_script;
use credtray::saml::helper::{Reply, Request};
use credtray::saml::is_aws_saml_endpoint;

use super::answer;

enum HelperEvent {
    /// The page handed over a SAMLResponse.
    Captured(String),
    /// Standard input closed: the parent gave up or is gone.
    ParentGone,
}

/// Shows the window and runs its event loop until there is an answer; never returns.
pub fn run(request: Request) -> ! {
    let event_loop = EventLoopBuilder::<HelperEvent>::with_user_event().build();
    // A shown window makes this a regular app (tao's default: a Dock icon, brought to the
    // front). A hidden sign-in (rotation) must neither show in the Dock nor take the focus
    // from the app the user is in.
    #[cfg(target_os = "macos")]
    let event_loop = {
        use tao::platform::macos::{ActivationPolicy, EventLoopExtMacOS};
        let mut event_loop = event_loop;
        if !request.visible {
            event_loop.set_activation_policy(ActivationPolicy::Accessory);
            event_loop.set_activate_ignoring_other_apps(false);
        }
        event_loop
    };
    let watcher = event_loop.create_proxy();
    let spawned = std::thread::Builder::new()
        .name("credtray-signin-stdin".into())
        .spawn(move || {
            let mut rest = Vec::new();
            let _ = std::io::stdin().lock().read_to_end(&mut rest);
            let _ = watcher.send_event(HelperEvent::ParentGone);
        });
    if let Err(e) = spawned {
        answer(&Reply::Failed {
            message: format!("cannot start a thread: {e}"),
        });
        std::process::exit(1);
    }
    let built = build(&event_loop, event_loop.create_proxy(), &request);
    let (window, webview, context) = match built {
        Ok(parts) => parts,
        Err(message) => {
            answer(&Reply::Failed { message });
            std::process::exit(1);
        }
    };
    let mut held = Some((webview, window, context));
    event_loop.run(move |event, _, control_flow| {
        *control_flow = ControlFlow::Wait;
        let reply = match event {
            Event::UserEvent(HelperEvent::Captured(saml_response)) => {
                Some(Reply::Assertion { saml_response })
            }
            Event::WindowEvent {
                event: WindowEvent::CloseRequested,
                ..
            } => Some(Reply::Closed),
            Event::UserEvent(HelperEvent::ParentGone) => {
                held = None;
                *control_flow = ControlFlow::ExitWithCode(0);
                None
            }
            _ => None,
        };
        if let Some(reply) = reply {
            if held.take().is_some() {
                answer(&reply);
            }
            *control_flow = ControlFlow::ExitWithCode(0);
        }
    })
}

fn build(
    event_loop: &EventLoop<HelperEvent>,
    proxy: EventLoopProxy<HelperEvent>,
    request: &Request,
) -> Result<(Window, WebView, WebContext), String> {
    let window = WindowBuilder::new()
        .with_title(&request.alias)
        .with_visible(request.visible)
        .with_inner_size(tao::dpi::LogicalSize::new(900.0, 700.0))
        .build(event_loop)
        .map_err(|e| format!("cannot open the sign-in window: {e}"))?;
    let mut context = WebContext::new(Some(request.data_dir.clone()));
    let builder = WebViewBuilder::new_with_web_context(&mut context)
        .with_url(&request.url)
        .with_initialization_script(capture_script())
        .with_ipc_handler(move |req: wry::http::Request<String>| {
            let value = serde_json::from_str::<serde_json::Value>(req.body())
                .ok()
                .and_then(|v| v.get("samlResponse")?.as_str().map(str::to_string))
                .unwrap_or_default();
            if !value.is_empty() {
                let _ = proxy.send_event(HelperEvent::Captured(value));
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
            .ok_or_else(|| "the sign-in window has no GTK container".to_string())?;
        builder
            .build_gtk(vbox)
            .map_err(|e| format!("cannot make the web view: {e}"))?
    };
    #[cfg(not(any(
        target_os = "linux",
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "netbsd",
        target_os = "openbsd"
    )))]
    let webview = builder
        .build(&window)
        .map_err(|e| format!("cannot make the web view: {e}"))?;
    Ok((window, webview, context))
}
