//! Notifier definitions as written in the engine config: one named entry per destination,
//! referenced by name from rules. Delivery itself lives in `notify`.

use serde::Deserialize;

use super::secret::Secret;

/// One named notifier: `oncall-email: { email: { ... } }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum NotifierConfig {
    /// Prints each notification to standard output (demos, dry runs, debugging).
    Stdout {},
    Email(EmailConfig),
    Sms(SmsConfig),
    Webhook(WebhookConfig),
    Slack(SlackConfig),
}

impl NotifierConfig {
    pub fn kind(&self) -> &'static str {
        match self {
            NotifierConfig::Stdout {} => "stdout",
            NotifierConfig::Email(_) => "email",
            NotifierConfig::Sms(_) => "sms",
            NotifierConfig::Webhook(_) => "webhook",
            NotifierConfig::Slack(_) => "slack",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    pub smtp: SmtpConfig,
    pub from: String,
    pub to: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    /// Defaults by `tls`: 587 for starttls, 465 for tls, 25 for none.
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<Secret>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    #[default]
    Starttls,
    Tls,
    /// Plain text; only for a relay on the same host or network.
    None,
}

/// SMS through one provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum SmsConfig {
    Twilio(TwilioConfig),
    Sns(SnsConfig),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioConfig {
    pub account_sid: String,
    pub auth_token: Secret,
    pub from: String,
    pub to: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnsConfig {
    pub region: String,
    pub access_key_id: Secret,
    pub secret_access_key: Secret,
    pub to: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    pub url: String,
    pub bearer_token: Option<Secret>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    /// Incoming-webhook URLs carry their credential, so they are secrets too.
    pub webhook_url: Secret,
}
