//! Notify: the `Notifier` trait, one file per integration, and message templates.
//! A notifier delivers one rendered notification or says why not, and whether trying
//! again could help; retry and the durable outbox are written once, around notifiers.

mod stdout;
pub mod template;
mod unbuilt;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use serde::Serialize;

pub use stdout::StdoutNotifier;
pub use unbuilt::NotBuiltNotifier;

/// Firing or resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationStatus {
    Firing,
    Resolved,
}

/// One rendered message about one alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    pub rule: String,
    pub status: NotificationStatus,
    pub severity: String,
    /// The group's labels and the rule's labels.
    pub labels: BTreeMap<String, String>,
    /// Rendered annotations (`summary`, `description`, ...).
    pub annotations: BTreeMap<String, String>,
    /// When the evaluation that caused it ran (RFC 3339).
    pub at: String,
}

impl Notification {
    /// The one-line text (the `summary` annotation, or a default).
    pub fn summary(&self) -> &str {
        self.annotations
            .get("summary")
            .map_or(self.rule.as_str(), String::as_str)
    }
}

/// Why a delivery failed, and whether a retry may succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct DeliveryError {
    pub transient: bool,
    pub reason: String,
}

pub type Delivery<'a> = Pin<Box<dyn Future<Output = Result<(), DeliveryError>> + Send + 'a>>;

/// A destination for notifications.
pub trait Notifier: Send + Sync {
    /// The integration (`stdout`, `email`, ...), for messages.
    fn kind(&self) -> &'static str;
    /// Delivers one notification.
    fn deliver<'a>(&'a self, notification: &'a Notification) -> Delivery<'a>;
}

/// Notifiers by the names rules use.
pub type NotifierRegistry = BTreeMap<String, Box<dyn Notifier>>;
