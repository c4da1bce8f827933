//! Sends [`Notice`]s as desktop notifications through `notify-rust` (the freedesktop
//! notification service over D-Bus on Linux). Sending happens on a thread of its own, so
//! a slow or missing notification daemon never holds the UI thread. A notice about a
//! session replaces the previous one about that session. Where the platform has actions,
//! choosing one is reported through `on_action`.
//!
//! Texts are plain. The freedesktop protocol reads a body as markup (a subset of HTML:
//! `<b>`, `&amp;`…) when the server lists the `body-markup` capability, and shows it as it
//! is otherwise; the summary is always plain text. So a body is escaped ([`body_text`]),
//! here and nowhere else, when the server reads markup: an alias such as `<b>x</b> & y`
//! then shows as typed. (On Windows the toast library escapes its XML itself; macOS takes
//! plain text.)

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::Arc;

use uuid::Uuid;

use super::notices::Notice;

/// The body as sent to a server that reads it as markup (`markup`) or as plain text:
/// `&`, `<` and `>` escaped in the first case, untouched in the second.
pub fn body_text(body: &str, markup: bool) -> Cow<'_, str> {
    if !markup || !body.contains(['&', '<', '>']) {
        return Cow::Borrowed(body);
    }
    let mut out = String::with_capacity(body.len() + 16);
    for c in body.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Called with the session and the action's key when the user picks an action.
pub type OnAction = Arc<dyn Fn(Uuid, &str) + Send + Sync>;

/// The sending side; cheap to keep on the UI thread.
pub struct Notifier {
    tx: mpsc::Sender<Notice>,
}

impl Notifier {
    /// Starts the sending thread.
    pub fn start(on_action: OnAction) -> Notifier {
        let (tx, rx) = mpsc::channel::<Notice>();
        let spawned = std::thread::Builder::new()
            .name("credtray-notify".into())
            .spawn(move || {
                #[cfg(target_os = "macos")]
                set_macos_application();
                let mut slots: HashMap<Uuid, u32> = HashMap::new();
                // Asked of the server once, at the first notice.
                let mut markup: Option<bool> = None;
                for notice in rx {
                    let markup = *markup.get_or_insert_with(server_reads_markup);
                    send(&notice, markup, &mut slots, &on_action);
                }
            });
        if let Err(e) = spawned {
            tracing::error!("cannot start the notification thread: {e}; notifications are off");
        }
        Notifier { tx }
    }

    /// Queues a notice; never blocks.
    pub fn show(&self, notice: Notice) {
        tracing::info!(summary = %notice.summary, "notification: {}", notice.body);
        let _ = self.tx.send(notice);
    }
}

/// Whether the notification server reads bodies as markup (its `body-markup`
/// capability). When it cannot be asked, yes: escaped text on a plain-text server shows
/// entities, which is better than markup on a markup server hiding or restyling text.
#[cfg(all(unix, not(target_os = "macos")))]
fn server_reads_markup() -> bool {
    match notify_rust::get_capabilities() {
        Ok(caps) => {
            let markup = caps.iter().any(|c| c == "body-markup");
            tracing::debug!(?caps, markup, "notification server capabilities");
            markup
        }
        Err(e) => {
            tracing::debug!("cannot read the notification server's capabilities: {e}");
            true
        }
    }
}

/// Bodies are plain text on macOS, and the Windows toast library escapes its own XML.
#[cfg(not(all(unix, not(target_os = "macos"))))]
fn server_reads_markup() -> bool {
    false
}

#[cfg(all(unix, not(target_os = "macos")))]
fn send(notice: &Notice, markup: bool, slots: &mut HashMap<Uuid, u32>, on_action: &OnAction) {
    use notify_rust::{Notification, Timeout, Urgency};
    let mut n = Notification::new();
    n.appname("credtray")
        .summary(&notice.summary)
        .body(&body_text(&notice.body, markup))
        .icon("credtray")
        .urgency(if notice.critical {
            Urgency::Critical
        } else {
            Urgency::Normal
        })
        .timeout(if notice.critical {
            Timeout::Never
        } else {
            Timeout::Default
        });
    if let Some(id) = notice.slot.and_then(|s| slots.get(&s)) {
        n.id(*id);
    }
    if let Some((key, label)) = &notice.action {
        // "default" is what a click on the notification itself does; the named action is
        // the button, for servers that show buttons.
        n.action("default", label);
        n.action(key, label);
    }
    match n.show() {
        Ok(handle) => {
            if let Some(s) = notice.slot {
                slots.insert(s, handle.id());
            }
            if let (Some(session), Some(_)) = (notice.slot, &notice.action) {
                let on_action = on_action.clone();
                // Waiting for the answer blocks; one short-lived thread per actionable
                // notice, which ends when the notice is acted on or closed.
                let _ = std::thread::Builder::new()
                    .name("credtray-notify-action".into())
                    .spawn(move || {
                        handle.wait_for_action(|action| {
                            if action != "__closed" {
                                on_action(session, action)
                            }
                        })
                    });
            }
        }
        Err(e) => tracing::warn!("cannot show a notification ({e}): {}", notice.summary),
    }
}

/// Names the app the notifications come from (credtray.app's bundle identifier) before
/// the first one. Otherwise mac-notification-sys looks up an application called
/// "use_default", which makes macOS ask the user "Where is use_default?".
#[cfg(target_os = "macos")]
fn set_macos_application() {
    if let Err(e) = notify_rust::set_application(crate::autostart::BUNDLE_ID) {
        tracing::debug!("cannot set the notifications' application: {e}");
    }
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn send(notice: &Notice, markup: bool, _slots: &mut HashMap<Uuid, u32>, _on_action: &OnAction) {
    let mut n = notify_rust::Notification::new();
    n.appname("credtray")
        .summary(&notice.summary)
        .body(&body_text(&notice.body, markup));
    if let Err(e) = n.show() {
        tracing::warn!("cannot show a notification ({e}): {}", notice.summary);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_escaped_for_markup_servers_only() {
        let body = "Session '<b>x</b> & y' could not start: a_b && <i>";
        assert_eq!(
            body_text(body, true),
            "Session '&lt;b&gt;x&lt;/b&gt; &amp; y' could not start: a_b &amp;&amp; &lt;i&gt;"
        );
        assert_eq!(body_text(body, false), body);
        // Already-escaped text is text too: its `&` is escaped again.
        assert_eq!(body_text("&amp;", true), "&amp;amp;");
        assert!(matches!(body_text("plain 'text'", true), Cow::Borrowed(_)));
    }
}
