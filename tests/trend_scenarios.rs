//! The trend rules in rules/ on 30 days of generated fleet data, judged step by step through
//! the real judge and alert lifecycle: the leak and the filling disk are caught early with
//! honest forecasts, and the healthy hosts — noisy, with daily cycles and nightly log
//! rotation — never page anyone.
//!
//! The buckets are computed here by plain iteration over the generated documents (min or
//! avg per bucket and group), so the test exercises the analysis, not the store.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Duration as TimeDelta, Utc};
use serde_json::Value;
use trendwatch::alerts::{AlertState, Event, LifecycleSettings, step};
use trendwatch::analysis::Status;
use trendwatch::engine::judge;
use trendwatch::query::{GroupKey, Series, time_grid};
use trendwatch::rules::{FieldAggregation, Metric, Rule, ValidationContext, parse_rules};
use trendwatch::scenario::{FILLING_HOST, FILLING_MOUNT, Fleet, LEAKING_HOST};

const DAYS: u32 = 30;

fn example_rule(name: &str) -> Rule {
    let path = format!("rules/{name}.yaml");
    let text = std::fs::read_to_string(&path).expect("example rule");
    let (mut rules, problems) = parse_rules(Path::new(&path), &text, &ValidationContext::default());
    assert!(problems.is_empty(), "{problems:?}");
    rules.remove(0)
}

/// Time-ordered (epoch ms, value) samples per group.
type Samples = BTreeMap<Vec<(String, String)>, Vec<(i64, f64)>>;

fn field<'a>(document: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted
        .split('.')
        .try_fold(document, |value, key| value.get(key))
}

/// The samples a memory rule (`metricset.name: memory`, hosts `api-*`) or a filesystem
/// rule sees, grouped by the rule's `group_by`.
fn samples(documents: &[Value], rule: &Rule, metricset: &str, value_field: &str) -> Samples {
    let mut samples = Samples::new();
    for document in documents {
        if field(document, "metricset.name").and_then(Value::as_str) != Some(metricset) {
            continue;
        }
        let host = field(document, "host.name")
            .and_then(Value::as_str)
            .unwrap_or("");
        if metricset == "memory" && !host.starts_with("api-") {
            continue;
        }
        let group: Option<Vec<(String, String)>> = rule
            .group_by
            .iter()
            .map(|key| Some((key.clone(), field(document, key)?.as_str()?.to_string())))
            .collect();
        let (Some(group), Some(time), Some(value)) = (
            group,
            field(document, "@timestamp").and_then(Value::as_i64),
            field(document, value_field).and_then(Value::as_f64),
        ) else {
            continue;
        };
        samples.entry(group).or_default().push((time, value));
    }
    for points in samples.values_mut() {
        points.sort_by_key(|(time, _)| *time);
    }
    samples
}

/// The series `rule` would get at `now` for one group, bucketed by plain iteration.
fn series_at(
    rule: &Rule,
    group: &[(String, String)],
    points: &[(i64, f64)],
    now: DateTime<Utc>,
) -> Series {
    let grid = time_grid(rule, now);
    let Metric::Field { aggregation, .. } = &rule.metric else {
        panic!("scenario rules use a field metric");
    };
    let mut values = vec![None; grid.len()];
    let mut counts = vec![0u64; grid.len()];
    let mut sums = vec![0.0; grid.len()];
    let first = points.partition_point(|(time, _)| *time < grid.start_ms);
    for (time, value) in points[first..]
        .iter()
        .take_while(|(time, _)| *time < grid.end_ms)
    {
        let Some(bucket) = grid.index_of(*time) else {
            continue;
        };
        counts[bucket] += 1;
        sums[bucket] += value;
        let slot: &mut Option<f64> = &mut values[bucket];
        *slot = Some(match (aggregation, *slot) {
            (FieldAggregation::Min, Some(v)) => v.min(*value),
            (FieldAggregation::Min, None) => *value,
            (FieldAggregation::Avg, _) => sums[bucket] / counts[bucket] as f64,
            (other, _) => panic!("unexpected aggregation {other:?}"),
        });
    }
    Series {
        group: GroupKey(group.to_vec()),
        grid,
        values: values.into(),
        counts: counts.into(),
    }
}

/// One firing: when, and the forecast the verdict gave (seconds).
struct Firing {
    at: DateTime<Utc>,
    forecast: Option<f64>,
}

/// Runs `rule` on its schedule over the fleet's days, per group, through the lifecycle.
fn firings(rule: &Rule, samples: &Samples, fleet: &Fleet) -> BTreeMap<String, Vec<Firing>> {
    let every = TimeDelta::milliseconds(match rule.schedule {
        trendwatch::rules::Schedule::Every(every) => every.as_millis_i64(),
        _ => panic!("scenario rules run on an interval"),
    });
    let settings = LifecycleSettings::of(rule);
    let mut fired = BTreeMap::new();
    for (group, points) in samples {
        let label = group
            .iter()
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let mut state = AlertState::Inactive;
        let mut now = fleet.start + TimeDelta::milliseconds(rule.lookback.as_millis_i64());
        let entry: &mut Vec<Firing> = fired.entry(label).or_default();
        while now <= fleet.end() {
            let verdict = judge(rule, &series_at(rule, group, points, now));
            let (next, event) = step(state, verdict.status, now.timestamp_millis(), settings);
            if event == Some(Event::Fired) {
                assert_eq!(verdict.status, Status::Breached);
                entry.push(Firing {
                    at: now,
                    forecast: verdict.time_to_bound,
                });
            }
            state = next;
            now += every;
        }
    }
    fired
}

fn thirty_days() -> (Fleet, Vec<Value>, trendwatch::scenario::Generated) {
    let fleet = Fleet {
        days: DAYS,
        ..Fleet::default()
    };
    let mut documents = Vec::new();
    let generated = fleet.generate(|_, document| {
        if document.get("metricset").is_some() {
            documents.push(document);
        }
    });
    (fleet, documents, generated)
}

#[test]
fn trend_rules_catch_the_leak_and_the_disk_early_and_leave_healthy_hosts_alone() {
    let (fleet, documents, generated) = thirty_days();

    let leak_rule = example_rule("api-memory-leak");
    let memory = samples(
        &documents,
        &leak_rule,
        "memory",
        "system.memory.actual.free",
    );
    let leak = firings(&leak_rule, &memory, &fleet);
    for (host, fired) in &leak {
        if host != LEAKING_HOST {
            assert!(
                fired.is_empty(),
                "{host} is healthy but fired at {:?}",
                fired.iter().map(|f| f.at).collect::<Vec<_>>()
            );
        }
    }
    // The leaking host runs out of memory and restarts again and again; the first page must
    // come at least 12 hours before the first time.
    let exhausted = generated
        .memory_exhausted_at
        .expect("the leak exhausts memory");
    let first = leak[LEAKING_HOST].first().expect("the leak fires");
    let lead = exhausted - first.at;
    println!(
        "api-memory-leak first fired {} h before memory ran out",
        lead.num_minutes() as f64 / 60.0
    );
    assert!(
        lead >= TimeDelta::hours(12),
        "fired only {lead} before memory ran out"
    );

    let disk_rule = example_rule("disk-filling-up");
    let disks = samples(
        &documents,
        &disk_rule,
        "filesystem",
        "system.filesystem.available",
    );
    let disk = firings(&disk_rule, &disks, &fleet);
    let filling = format!("{FILLING_HOST} {FILLING_MOUNT}");
    for (group, fired) in &disk {
        if *group != filling {
            assert!(
                fired.is_empty(),
                "{group} is healthy but fired at {:?}",
                fired.iter().map(|f| f.at).collect::<Vec<_>>()
            );
        }
    }
    let full = generated.disk_full_at.expect("the disk fills");
    let fired = &disk[&filling];
    assert!(!fired.is_empty(), "the filling disk never fired");
    for firing in fired.iter().filter(|f| f.at < full) {
        let truth = (full - firing.at).num_seconds() as f64;
        let forecast = firing.forecast.expect("a forecast");
        let error = (forecast - truth) / truth;
        println!(
            "disk-filling-up fired {}: forecast {:.1} h, truth {:.1} h ({:+.0} %)",
            firing.at,
            forecast / 3600.0,
            truth / 3600.0,
            error * 100.0
        );
        assert!(
            error.abs() <= 0.2,
            "forecast {forecast} s vs truth {truth} s at {}",
            firing.at
        );
    }
}

/// The named scenarios switch incidents on and off, and bigger fleets leak on every
/// fourth API host.
#[test]
fn scenarios_choose_incidents_and_fleet_size() {
    use trendwatch::scenario::Scenario;
    let leaking_fleet = Fleet {
        days: 8,
        ..Fleet::with_hosts(12, Scenario::MemoryLeak)
    };
    assert_eq!(leaking_fleet.api_hosts, 8);
    let leakers: Vec<String> = leaking_fleet
        .api_host_names()
        .into_iter()
        .filter(|h| leaking_fleet.leaks(h))
        .collect();
    assert_eq!(leakers, ["api-3", "api-7"]);
    let generated = leaking_fleet.generate(|_, _| {});
    let said: Vec<&str> = generated.truths.iter().map(|t| t.what.as_str()).collect();
    assert!(
        said.iter().any(|w| w.starts_with("api-7: deploy")),
        "{said:?}"
    );
    assert!(
        !said.iter().any(|w| w.contains("5xx") || w.contains("/var")),
        "{said:?}"
    );

    let healthy = Fleet::with_hosts(6, Scenario::Healthy);
    let mut free_by_host: std::collections::HashMap<String, Vec<f64>> = Default::default();
    let truths = healthy.generate(|_, document| {
        if let Some(free) = document
            .pointer("/system/memory/actual/free")
            .and_then(Value::as_f64)
        {
            let host = document["host"]["name"].as_str().unwrap().to_string();
            free_by_host.entry(host).or_default().push(free);
        }
    });
    assert!(truths.truths.is_empty() && truths.memory_exhausted_at.is_none());
    // No host loses memory: the last day's mean is within 2 % of the first day's.
    for (host, free) in free_by_host {
        let day = 1_440;
        let first: f64 = free[..day].iter().sum::<f64>() / day as f64;
        let last: f64 = free[free.len() - day..].iter().sum::<f64>() / day as f64;
        assert!(
            (last - first).abs() / first < 0.02,
            "{host}: {first} → {last}"
        );
    }
}
