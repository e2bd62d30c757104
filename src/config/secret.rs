//! Secrets in the config: only ever `${ENV_VAR}` references, resolved when used, and never
//! printed — `Debug` and `Display` show the reference, not the value.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A reference to an environment variable that holds a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    variable: String,
}

/// A secret that could not be resolved; names the variable, never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable `{variable}` (needed by {needed_by}) is not set")]
pub struct MissingSecret {
    pub variable: String,
    pub needed_by: String,
}

impl Secret {
    /// The name of the environment variable.
    pub fn variable(&self) -> &str {
        &self.variable
    }

    /// Reads the value from the environment. `needed_by` names the user of the secret in
    /// the error (`notifier oncall-email`).
    pub fn reveal(&self, needed_by: &str) -> Result<String, MissingSecret> {
        std::env::var(&self.variable)
            .ok()
            .filter(|value| !value.is_empty())
            .ok_or_else(|| MissingSecret {
                variable: self.variable.clone(),
                needed_by: needed_by.to_string(),
            })
    }

    fn parse(text: &str) -> Result<Self, String> {
        let expected = "secrets are read from the environment: write a reference such as `${SMTP_PASSWORD}` (the value found is not shown)";
        let variable = text
            .trim()
            .strip_prefix("${")
            .and_then(|rest| rest.strip_suffix('}'))
            .ok_or_else(|| expected.to_string())?;
        let valid = variable
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && variable
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        // Not echoed either: a secret pasted between the braces is still a secret.
        if !valid {
            return Err(
                "`${…}` must name an environment variable: letters, digits and `_`, \
                 not starting with a digit (the text found is not shown)"
                    .to_string(),
            );
        }
        Ok(Secret {
            variable: variable.to_string(),
        })
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(${{{}}})", self.variable)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${{{}}}", self.variable)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SecretVisitor;
        impl serde::de::Visitor<'_> for SecretVisitor {
            type Value = Secret;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an environment variable reference such as `${SMTP_PASSWORD}`")
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Secret, E> {
                Secret::parse(value).map_err(E::custom)
            }
            // Numbers and booleans are refused without echoing them: they may be the secret.
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Secret, E> {
                Secret::parse("").map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Secret, E> {
                Secret::parse("").map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Secret, E> {
                Secret::parse("").map_err(E::custom)
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Secret, E> {
                Secret::parse("").map_err(E::custom)
            }
        }
        deserializer.deserialize_any(SecretVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_and_display_as_references() {
        let secret = Secret::parse("${SMTP_PASSWORD}").unwrap();
        assert_eq!(secret.variable(), "SMTP_PASSWORD");
        assert_eq!(
            format!("{secret} {secret:?}"),
            "${SMTP_PASSWORD} Secret(${SMTP_PASSWORD})"
        );
    }

    #[test]
    fn literal_values_are_refused_without_being_echoed() {
        let error = Secret::parse("hunter2").unwrap_err();
        assert!(!error.contains("hunter2"), "{error}");
        let error = Secret::parse("${hunter 2}").unwrap_err();
        assert!(!error.contains("hunter"), "{error}");
        assert!(
            error.contains("must name an environment variable"),
            "{error}"
        );
        assert!(Secret::parse("${1BAD}").is_err());
        assert!(Secret::parse("${}").is_err());
    }

    #[test]
    fn a_missing_variable_names_the_variable_and_its_user() {
        let secret = Secret::parse("${TRENDWATCH_TEST_SURELY_UNSET}").unwrap();
        let error = secret.reveal("notifier oncall-email").unwrap_err();
        assert_eq!(
            error.to_string(),
            "environment variable `TRENDWATCH_TEST_SURELY_UNSET` (needed by notifier oncall-email) is not set"
        );
    }
}
