//! Alerts: identity (rule + group labels), the lifecycle state machine, and the book of
//! current states. Persistence (durable state) and silences arrive with their issues; the
//! book is plain data so they can wrap it without changing the state machine.

mod lifecycle;

use std::collections::BTreeMap;

pub use lifecycle::{AlertState, Event, LifecycleSettings, step};

/// An alert's identity: one per rule and group.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AlertKey {
    pub rule: String,
    /// The group's field values, in `group_by` order (empty for an ungrouped rule).
    pub group: Vec<(String, String)>,
}

/// The current state of every alert that is not inactive.
#[derive(Debug, Clone, Default)]
pub struct AlertBook {
    states: BTreeMap<AlertKey, AlertState>,
}

impl AlertBook {
    pub fn state(&self, key: &AlertKey) -> AlertState {
        self.states.get(key).copied().unwrap_or_default()
    }

    /// Stores a state; inactive alerts are forgotten.
    pub fn set(&mut self, key: AlertKey, state: AlertState) {
        if state == AlertState::Inactive {
            self.states.remove(&key);
        } else {
            self.states.insert(key, state);
        }
    }

    /// Alerts of a rule that are pending or firing.
    pub fn active_for_rule<'a>(
        &'a self,
        rule: &'a str,
    ) -> impl Iterator<Item = (&'a AlertKey, &'a AlertState)> + 'a {
        self.states.iter().filter(move |(key, _)| key.rule == rule)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&AlertKey, &AlertState)> {
        self.states.iter()
    }
}
