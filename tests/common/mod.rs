//! Helpers shared by the integration tests.

// Each test crate uses only some of them.
#![allow(dead_code)]

pub mod damage;
pub mod secrets;

use std::io::Write;
use std::sync::{Arc, Mutex};

/// A writer that keeps what notifiers write, for assertions.
#[derive(Clone, Default)]
pub struct Capture(pub Arc<Mutex<Vec<u8>>>);

impl Capture {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An embedded store holding `fleet`'s generated documents.
pub fn load_fleet(
    fleet: &trendwatch::scenario::Fleet,
) -> trendwatch::source::embedded::EmbeddedStore {
    let mut builder = trendwatch::source::embedded::StoreBuilder::new("@timestamp").unwrap();
    fleet.generate(|index, document| builder.add(index, &document).unwrap());
    builder.finish().unwrap()
}

/// The URL of a loopback port nothing listens on.
pub fn dead_node() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

/// Two days of every scenario on three hosts: small enough to load in a moment, with every
/// kind of document the example rules search.
pub fn small_fleet() -> trendwatch::scenario::Fleet {
    trendwatch::scenario::Fleet {
        days: 2,
        ..trendwatch::scenario::Fleet::with_hosts(3, trendwatch::scenario::Scenario::All)
    }
}

/// Seven minutes before the small fleet's data ends.
pub fn small_fleet_now() -> chrono::DateTime<chrono::Utc> {
    small_fleet().end() - chrono::TimeDelta::minutes(7)
}

/// The small fleet in an embedded store, loaded once per test binary.
pub static SMALL_STORE: std::sync::LazyLock<trendwatch::source::embedded::EmbeddedStore> =
    std::sync::LazyLock::new(|| load_fleet(&small_fleet()));

/// Property-test settings: `cases` cases, and failing cases kept beside the test's source
/// (`*.proptest-regressions`) so they run first next time.
pub fn property_cases(cases: u32) -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        cases,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..proptest::test_runner::Config::default()
    }
}

/// Runs `future` to its end on the calling thread, for tests that are not async
/// (property tests).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

/// The example rule of `rules/` named `name`.
pub fn example_rule(name: &str) -> trendwatch::rules::Rule {
    trendwatch::cli::demo::example_rules()
        .unwrap()
        .into_iter()
        .find(|rule| rule.name == name)
        .unwrap()
}

/// The one rule `text` defines, which must validate.
pub fn rule_from(text: &str) -> trendwatch::rules::Rule {
    let (mut rules, problems) = trendwatch::rules::parse_rules(
        std::path::Path::new("test.yaml"),
        text,
        &trendwatch::rules::ValidationContext::default(),
    );
    assert!(problems.is_empty(), "{problems:?}");
    rules.remove(0)
}
