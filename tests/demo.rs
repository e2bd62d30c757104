//! The demo's promise, checked against the generator's ground truth: every seed incident is
//! caught, early, and nothing fires for the healthy hosts and services.

use std::collections::BTreeSet;

mod common;

use chrono::Duration;
use common::Capture;
use trendwatch::cli::demo::{DemoReport, SharedWriter, example_rules, run_demo};
use trendwatch::scenario::Fleet;

fn set(groups: &[&str]) -> BTreeSet<String> {
    groups.iter().map(|g| g.to_string()).collect()
}

fn assert_report(report: &DemoReport, output: &str) {
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    let exhausted = report
        .generated
        .memory_exhausted_at
        .expect("the leak exhausts memory");

    // The first check the users asked for: fires for the leaking host before it runs out.
    assert_eq!(report.fired_groups("api-memory-low"), set(&["api-3"]));
    let low = report.first_fired("api-memory-low", "api-3").unwrap();
    assert!(
        low < exhausted,
        "memory alert at {low}, memory exhausted at {exhausted}"
    );
    assert!(
        output.contains("[oncall-sms] FIRING api-memory-low (critical): api-3 has"),
        "{output}"
    );

    // The leak trend fires well before, and only for the leaking host.
    assert_eq!(report.fired_groups("api-memory-leak"), set(&["api-3"]));
    let leak = report.first_fired("api-memory-leak", "api-3").unwrap();
    assert!(
        exhausted - leak >= Duration::hours(12),
        "leak alert only {} before exhaustion",
        exhausted - leak
    );

    // The disk forecast fires for the filling mount only, within 48 h of it being full.
    assert_eq!(report.fired_groups("disk-filling-up"), set(&["web-2 /var"]));
    let full = report.generated.disk_full_at.unwrap();
    let disk = report.first_fired("disk-filling-up", "web-2 /var").unwrap();
    assert!(
        full - disk <= Duration::hours(49) && full - disk >= Duration::hours(24),
        "disk alert {} before full",
        full - disk
    );

    // The 5xx rise fires for checkout after the deploy, never for the healthy service.
    assert_eq!(
        report.fired_groups("http-5xx-share-rising"),
        set(&["checkout"])
    );
    let deploy = Fleet::default().start + Fleet::default().bad_deploy;
    let rise = report
        .first_fired("http-5xx-share-rising", "checkout")
        .unwrap();
    assert!(
        rise > deploy && rise - deploy <= Duration::hours(1),
        "5xx alert at {rise}, deploy at {deploy}"
    );
}

#[tokio::test]
async fn the_demo_catches_every_seed_incident_and_nothing_else() {
    let capture = Capture::default();
    let out = SharedWriter::new(capture.clone());
    let report = run_demo(&Fleet::default(), &example_rules().unwrap(), out)
        .await
        .unwrap();
    let output = capture.text();
    assert_report(&report, &output);
}
