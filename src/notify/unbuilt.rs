//! Stands in for integrations whose delivery is not built yet (email, SMS, webhook,
//! Slack arrive with the delivery issue): every delivery fails, permanently and loudly,
//! so a notification is never reported as sent when it was not.

use super::{Delivery, DeliveryError, Notification, Notifier};

pub struct NotBuiltNotifier {
    kind: &'static str,
}

impl NotBuiltNotifier {
    pub fn new(kind: &'static str) -> Self {
        NotBuiltNotifier { kind }
    }
}

impl Notifier for NotBuiltNotifier {
    fn kind(&self) -> &'static str {
        self.kind
    }

    fn deliver<'a>(&'a self, _notification: &'a Notification) -> Delivery<'a> {
        Box::pin(async move {
            Err(DeliveryError {
                transient: false,
                reason: format!(
                    "{} delivery is not built in this version of trendwatch; the notification was not sent",
                    self.kind
                ),
            })
        })
    }
}
