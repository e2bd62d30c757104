//! Scheduler: when each rule runs — `every` intervals aligned to the epoch, or cron
//! expressions in a time zone (DST-correct, via croner). The daemon's loop arrives with
//! its issue; this is the arithmetic it and the demo share.

use chrono::{DateTime, Utc};

use crate::rules::Schedule;

/// The first run strictly after `after`, or `None` when a cron expression never matches again.
pub fn next_run(schedule: &Schedule, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match schedule {
        Schedule::Every(every) => {
            let step = every.as_millis_i64().max(1);
            let next = (after.timestamp_millis().div_euclid(step) + 1).checked_mul(step)?;
            DateTime::from_timestamp_millis(next)
        }
        Schedule::Cron { cron, timezone, .. } => {
            let local = after.with_timezone(timezone);
            cron.find_next_occurrence(&local, false)
                .ok()
                .map(|next| next.with_timezone(&Utc))
        }
    }
}

/// Every run strictly after `after` and no later than `until`, in order.
pub fn runs_between(
    schedule: &Schedule,
    after: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    runs(schedule, after, until).collect()
}

/// [`runs_between`] one at a time, for callers that stop early.
pub fn runs(
    schedule: &Schedule,
    after: DateTime<Utc>,
    until: DateTime<Utc>,
) -> impl Iterator<Item = DateTime<Utc>> + '_ {
    std::iter::successors(next_run(schedule, after), move |at| next_run(schedule, *at))
        .take_while(move |next| *next <= until)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Duration;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn runs_between_excludes_the_start_and_includes_the_end() {
        let every = Schedule::Every(Duration::from_secs(600));
        assert_eq!(
            runs_between(
                &every,
                at("2026-11-20T10:00:00Z"),
                at("2026-11-20T10:30:00Z")
            ),
            [
                at("2026-11-20T10:10:00Z"),
                at("2026-11-20T10:20:00Z"),
                at("2026-11-20T10:30:00Z")
            ]
        );
        assert!(
            runs_between(
                &every,
                at("2026-11-20T10:01:00Z"),
                at("2026-11-20T10:09:00Z")
            )
            .is_empty()
        );
    }

    #[test]
    fn intervals_align_to_the_epoch() {
        let every = Schedule::Every(Duration::from_secs(600));
        assert_eq!(
            next_run(&every, at("2026-11-20T10:03:12Z")),
            Some(at("2026-11-20T10:10:00Z"))
        );
        assert_eq!(
            next_run(&every, at("2026-11-20T10:10:00Z")),
            Some(at("2026-11-20T10:20:00Z"))
        );
    }

    #[test]
    fn cron_runs_in_its_time_zone_across_a_dst_change() {
        let cron = Schedule::Cron {
            expression: "0 9 * * *".to_string(),
            cron: Box::new("0 9 * * *".parse().unwrap()),
            timezone: chrono_tz::Europe::Berlin,
        };
        // Berlin leaves summer time on 2026-10-25: 09:00 local is 07:00 UTC before, 08:00 after.
        assert_eq!(
            next_run(&cron, at("2026-10-24T12:00:00Z")),
            Some(at("2026-10-25T08:00:00Z"))
        );
        assert_eq!(
            next_run(&cron, at("2026-10-23T12:00:00Z")),
            Some(at("2026-10-24T07:00:00Z"))
        );
    }
}
