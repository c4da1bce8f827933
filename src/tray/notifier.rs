//! Sends [`Notice`]s as desktop notifications through `notify-rust` (the freedesktop
//! notification service over D-Bus on Linux). Sending happens on a thread of its own, so
//! a slow or missing notification daemon never holds the UI thread. A notice about a
//! session replaces the previous one about that session. Where the platform has actions,
//! choosing one is reported through `on_action`.

use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::Arc;

use uuid::Uuid;

use super::notices::Notice;

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
                let mut slots: HashMap<Uuid, u32> = HashMap::new();
                for notice in rx {
                    send(&notice, &mut slots, &on_action);
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

#[cfg(all(unix, not(target_os = "macos")))]
fn send(notice: &Notice, slots: &mut HashMap<Uuid, u32>, on_action: &OnAction) {
    use notify_rust::{Notification, Timeout, Urgency};
    let mut n = Notification::new();
    n.appname("credtray")
        .summary(&notice.summary)
        .body(&notice.body)
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

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn send(notice: &Notice, _slots: &mut HashMap<Uuid, u32>, _on_action: &OnAction) {
    let mut n = notify_rust::Notification::new();
    n.appname("credtray")
        .summary(&notice.summary)
        .body(&notice.body);
    if let Err(e) = n.show() {
        tracing::warn!("cannot show a notification ({e}): {}", notice.summary);
    }
}
