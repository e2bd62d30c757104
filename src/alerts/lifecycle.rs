//! The alert state machine: inactive → pending → firing → resolved, as one pure step
//! function of (previous state, verdict status, now, settings). No I/O, no clock.
//!
//! A verdict without data leaves the state as it is: a host that stops reporting neither
//! resolves its alert nor fires a new one (an `absent` rule watches for silence).

use serde::{Deserialize, Serialize};

use crate::analysis::Status;

/// Where one alert is in its life. Times are epoch milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AlertState {
    #[default]
    Inactive,
    /// The condition holds, `for` has not yet elapsed.
    Pending { since: i64 },
    /// Notified; `since` is when it fired, `notified` the last notification, `clear_since`
    /// when the condition stopped holding (while `keep_firing_for` runs).
    Firing {
        since: i64,
        notified: i64,
        clear_since: Option<i64>,
    },
}

/// The rule settings the lifecycle needs, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LifecycleSettings {
    pub pending_for_ms: i64,
    pub realert_ms: i64,
    /// How long the condition must stay clear before a firing alert resolves (Prometheus'
    /// `keep_firing_for`), so a value hovering at the bound does not page over and over.
    pub keep_firing_for_ms: i64,
    pub notify_on_resolve: bool,
}

impl LifecycleSettings {
    /// The settings `rule` asks for.
    pub fn of(rule: &crate::rules::Rule) -> Self {
        LifecycleSettings {
            pending_for_ms: rule.pending_for.as_millis_i64(),
            realert_ms: rule.realert.as_millis_i64(),
            keep_firing_for_ms: rule.keep_firing_for.as_millis_i64(),
            notify_on_resolve: rule.notify_on_resolve,
        }
    }
}

/// What a step asks the caller to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// The condition started to hold; not yet notified.
    Pending,
    /// The condition stopped holding before `for` elapsed; nobody was told.
    PendingCancelled,
    /// Notify: the alert fires.
    Fired,
    /// Notify again: still firing and the realert interval has passed.
    Reminded,
    /// The condition stopped holding; `notify` says whether to tell anyone.
    Resolved { notify: bool, firing_since: i64 },
}

impl Event {
    /// Whether this event sends a notification.
    pub fn notifies(&self) -> bool {
        match self {
            Event::Fired | Event::Reminded => true,
            Event::Resolved { notify, .. } => *notify,
            Event::Pending | Event::PendingCancelled => false,
        }
    }
}

/// One step of the lifecycle.
pub fn step(
    previous: AlertState,
    status: Status,
    now: i64,
    settings: LifecycleSettings,
) -> (AlertState, Option<Event>) {
    let fire = || {
        (
            AlertState::Firing {
                since: now,
                notified: now,
                clear_since: None,
            },
            Some(Event::Fired),
        )
    };
    match (previous, status) {
        (state, Status::NoData) => (state, None),
        (AlertState::Inactive, Status::Ok) => (AlertState::Inactive, None),
        (AlertState::Inactive, Status::Breached) if settings.pending_for_ms <= 0 => fire(),
        (AlertState::Inactive, Status::Breached) => {
            (AlertState::Pending { since: now }, Some(Event::Pending))
        }
        (AlertState::Pending { since }, Status::Breached)
            if now - since >= settings.pending_for_ms =>
        {
            fire()
        }
        (state @ AlertState::Pending { .. }, Status::Breached) => (state, None),
        (AlertState::Pending { .. }, Status::Ok) => {
            (AlertState::Inactive, Some(Event::PendingCancelled))
        }
        (
            AlertState::Firing {
                since, notified, ..
            },
            Status::Breached,
        ) if now - notified >= settings.realert_ms => (
            AlertState::Firing {
                since,
                notified: now,
                clear_since: None,
            },
            Some(Event::Reminded),
        ),
        (
            AlertState::Firing {
                since, notified, ..
            },
            Status::Breached,
        ) => (
            AlertState::Firing {
                since,
                notified,
                clear_since: None,
            },
            None,
        ),
        (
            AlertState::Firing {
                since,
                notified,
                clear_since,
            },
            Status::Ok,
        ) => {
            let clear_since = clear_since.unwrap_or(now);
            if now - clear_since >= settings.keep_firing_for_ms {
                (
                    AlertState::Inactive,
                    Some(Event::Resolved {
                        notify: settings.notify_on_resolve,
                        firing_since: since,
                    }),
                )
            } else {
                (
                    AlertState::Firing {
                        since,
                        notified,
                        clear_since: Some(clear_since),
                    },
                    None,
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;
    const SETTINGS: LifecycleSettings = LifecycleSettings {
        pending_for_ms: 3 * MINUTE,
        realert_ms: 60 * MINUTE,
        keep_firing_for_ms: 0,
        notify_on_resolve: true,
    };

    /// Runs statuses one minute apart and returns the events.
    fn run(statuses: &[Status], settings: LifecycleSettings) -> Vec<(i64, Event)> {
        let mut state = AlertState::Inactive;
        let mut events = Vec::new();
        for (minute, status) in statuses.iter().enumerate() {
            let now = minute as i64 * MINUTE;
            let (next, event) = step(state, *status, now, settings);
            state = next;
            events.extend(event.map(|e| (minute as i64, e)));
        }
        events
    }

    use Status::{Breached as B, NoData as N, Ok as O};

    #[test]
    fn fires_only_after_the_condition_held_for_the_pending_duration() {
        assert_eq!(
            run(&[B, B, B, B, B], SETTINGS),
            vec![(0, Event::Pending), (3, Event::Fired)]
        );
    }

    #[test]
    fn a_short_blip_is_cancelled_without_notifying() {
        assert_eq!(
            run(&[B, B, O, O], SETTINGS),
            vec![(0, Event::Pending), (2, Event::PendingCancelled)]
        );
    }

    #[test]
    fn without_for_it_fires_at_once_and_resolves_with_a_notification() {
        let settings = LifecycleSettings {
            pending_for_ms: 0,
            ..SETTINGS
        };
        assert_eq!(
            run(&[B, O], settings),
            vec![
                (0, Event::Fired),
                (
                    1,
                    Event::Resolved {
                        notify: true,
                        firing_since: 0
                    }
                )
            ]
        );
    }

    #[test]
    fn reminds_once_per_realert_interval_while_firing() {
        let settings = LifecycleSettings {
            pending_for_ms: 0,
            realert_ms: 2 * MINUTE,
            keep_firing_for_ms: 0,
            notify_on_resolve: false,
        };
        let events = run(&[B, B, B, B, B, O], settings);
        assert_eq!(
            events,
            vec![
                (0, Event::Fired),
                (2, Event::Reminded),
                (4, Event::Reminded),
                (
                    5,
                    Event::Resolved {
                        notify: false,
                        firing_since: 0
                    }
                )
            ]
        );
    }

    #[test]
    fn keep_firing_for_rides_out_a_value_hovering_at_the_bound() {
        let settings = LifecycleSettings {
            pending_for_ms: 0,
            keep_firing_for_ms: 3 * MINUTE,
            ..SETTINGS
        };
        let events = run(&[B, O, B, O, O, O, O], settings);
        assert_eq!(
            events,
            vec![
                (0, Event::Fired),
                (
                    6,
                    Event::Resolved {
                        notify: true,
                        firing_since: 0
                    }
                )
            ]
        );
    }

    #[test]
    fn missing_data_neither_resolves_nor_fires() {
        let settings = LifecycleSettings {
            pending_for_ms: 0,
            ..SETTINGS
        };
        assert_eq!(run(&[B, N, N, B], settings), vec![(0, Event::Fired)]);
        assert_eq!(run(&[N, N], settings), vec![]);
    }
}
