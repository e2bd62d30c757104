//! The stdout notifier: writes each notification as one line to a writer (standard output
//! by default). For demos, dry runs and debugging.

use std::io::Write;
use std::sync::Mutex;

use super::{Delivery, DeliveryError, Notification, NotificationStatus, Notifier};

pub struct StdoutNotifier {
    name: String,
    out: Mutex<Box<dyn Write + Send>>,
}

impl StdoutNotifier {
    pub fn new(name: impl Into<String>) -> Self {
        Self::with_writer(name, Box::new(std::io::stdout()))
    }

    pub fn with_writer(name: impl Into<String>, out: Box<dyn Write + Send>) -> Self {
        StdoutNotifier {
            name: name.into(),
            out: Mutex::new(out),
        }
    }

    /// The line written for a notification.
    pub fn line(&self, notification: &Notification) -> String {
        let status = match notification.status {
            NotificationStatus::Firing => "FIRING",
            NotificationStatus::Resolved => "RESOLVED",
        };
        format!(
            "[{}] {status} {} ({}): {}",
            self.name,
            notification.rule,
            notification.severity,
            notification.summary()
        )
    }
}

impl Notifier for StdoutNotifier {
    fn kind(&self) -> &'static str {
        "stdout"
    }

    fn deliver<'a>(&'a self, notification: &'a Notification) -> Delivery<'a> {
        Box::pin(async move {
            let line = self.line(notification);
            let mut out = self.out.lock().map_err(|_| DeliveryError {
                transient: false,
                reason: "output lock poisoned".to_string(),
            })?;
            writeln!(out, "{line}").map_err(|error| DeliveryError {
                transient: true,
                reason: format!("cannot write: {error}"),
            })
        })
    }
}
