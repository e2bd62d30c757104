//! Scenario: deterministic, seeded Metricbeat/Filebeat-shaped documents for a small fleet
//! in which the seed incidents happen — a memory leak on one API host, a disk filling with
//! log-rotation sawteeth, a 5xx rise after a deploy — among healthy, noisy hosts with daily
//! seasonality. Also returns the ground truth (when each incident really happened), so the
//! demo and the tests can say how early an alert came.

mod random;

use chrono::{DateTime, Duration as TimeDelta, Utc};
use serde_json::{Value, json};

use random::Random;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// The fleet and the incidents' timing.
#[derive(Debug, Clone)]
pub struct Fleet {
    pub start: DateTime<Utc>,
    pub days: u32,
    pub seed: u64,
    /// Day (from `start`) and hour of the deploy that starts the memory leak on `api-3`.
    pub leak_starts: TimeDelta,
    /// Bytes per day the leaking process loses.
    pub leak_bytes_per_day: f64,
    /// When the checkout deploy raises its 5xx share.
    pub bad_deploy: TimeDelta,
}

impl Default for Fleet {
    /// The demo's fleet: 8 days from 2026-11-12 00:00 UTC.
    fn default() -> Self {
        Fleet {
            start: DateTime::from_timestamp(1_794_441_600, 0).unwrap_or_default(), // 2026-11-12T00:00:00Z
            days: 8,
            seed: 20_261_112,
            leak_starts: TimeDelta::days(5) + TimeDelta::hours(9),
            leak_bytes_per_day: 700e6,
            bad_deploy: TimeDelta::days(7) + TimeDelta::hours(10),
        }
    }
}

pub const API_HOSTS: [&str; 4] = ["api-1", "api-2", "api-3", "api-4"];
pub const WEB_HOSTS: [&str; 2] = ["web-1", "web-2"];
pub const LEAKING_HOST: &str = "api-3";
pub const FILLING_HOST: &str = "web-2";
pub const FILLING_MOUNT: &str = "/var";
pub const FAILING_SERVICE: &str = "checkout";

/// Something that really happened in the generated data.
#[derive(Debug, Clone, PartialEq)]
pub struct GroundTruth {
    pub at: DateTime<Utc>,
    pub what: String,
}

/// What generation produced besides the documents.
#[derive(Debug, Clone, Default)]
pub struct Generated {
    pub documents: u64,
    pub truths: Vec<GroundTruth>,
    /// When the leaking host first ran out of memory.
    pub memory_exhausted_at: Option<DateTime<Utc>>,
    /// When the filling disk reaches 0 free bytes (extrapolated past the end if needed).
    pub disk_full_at: Option<DateTime<Utc>>,
}

impl Fleet {
    pub fn end(&self) -> DateTime<Utc> {
        self.start + TimeDelta::days(i64::from(self.days))
    }

    /// Generates every document, in time order per source, passing each with its index name.
    pub fn generate(&self, mut emit: impl FnMut(&str, Value)) -> Generated {
        let mut generated = Generated::default();
        let mut documents = 0u64;
        let mut counted = |index: &str, document: Value| {
            documents += 1;
            emit(index, document);
        };
        self.memory(&mut counted, &mut generated);
        self.filesystems(&mut counted, &mut generated);
        self.requests(&mut counted, &mut generated);
        generated.documents = documents;
        generated.truths.sort_by_key(|truth| truth.at);
        generated
    }

    fn index(&self, prefix: &str, millis: i64) -> String {
        let day = DateTime::from_timestamp_millis(millis).unwrap_or_default();
        format!("{prefix}-{}", day.format("%Y.%m.%d"))
    }

    fn at(&self, millis: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(millis).unwrap_or_default()
    }

    /// Hours since local midnight (UTC here) as a fraction.
    fn hour_of_day(millis: i64) -> f64 {
        millis.rem_euclid(DAY_MS) as f64 / HOUR_MS as f64
    }

    /// Daily load: 0 at 03:00, 1 at 15:00.
    fn daily_load(millis: i64) -> f64 {
        0.5 - 0.5 * (2.0 * std::f64::consts::PI * (Self::hour_of_day(millis) - 3.0) / 24.0).cos()
    }

    fn memory(&self, emit: &mut impl FnMut(&str, Value), generated: &mut Generated) {
        let start = self.start.timestamp_millis();
        let end = self.end().timestamp_millis();
        let leak_start = start + self.leak_starts.num_milliseconds();
        generated.truths.push(GroundTruth {
            at: self.at(leak_start),
            what: format!(
                "{LEAKING_HOST}: deploy v2.14 starts leaking ~{} MB/day",
                self.leak_bytes_per_day / 1e6
            ),
        });
        for (host_index, host) in API_HOSTS.iter().chain(WEB_HOSTS.iter()).enumerate() {
            let mut random = Random::new(self.seed ^ (0x4D45_4D00 + host_index as u64));
            let is_api = host.starts_with("api");
            let (total, base, swing) = if is_api {
                (4.0e9, 1.6e9, 250e6)
            } else {
                (8.0e9, 3.2e9, 400e6)
            };
            let mut leak_since = leak_start;
            let mut time = start;
            while time < end {
                let healthy = base - swing * Self::daily_load(time) + 25e6 * random.normal();
                let mut free = healthy;
                if *host == LEAKING_HOST && time >= leak_since {
                    free -= self.leak_bytes_per_day * (time - leak_since) as f64 / DAY_MS as f64;
                    if free <= 0.0 {
                        if generated.memory_exhausted_at.is_none() {
                            generated.memory_exhausted_at = Some(self.at(time));
                        }
                        generated.truths.push(GroundTruth { at: self.at(time), what: format!("{host}: out of memory; the OOM killer restarts the service (the leak starts over)") });
                        leak_since = time;
                        free = healthy;
                    }
                }
                let free = free.max(5e6).round();
                emit(
                    &self.index("metricbeat", time),
                    json!({
                        "@timestamp": time + 7_000,
                        "host": { "name": host },
                        "metricset": { "name": "memory" },
                        "system": { "memory": { "total": total, "actual": { "free": free } } }
                    }),
                );
                time += MINUTE_MS;
            }
        }
    }

    fn filesystems(&self, emit: &mut impl FnMut(&str, Value), generated: &mut Generated) {
        let start = self.start.timestamp_millis();
        let end = self.end().timestamp_millis();
        let total = 100e9;
        for (host_index, host) in API_HOSTS.iter().chain(WEB_HOSTS.iter()).enumerate() {
            for mount in ["/", FILLING_MOUNT] {
                let mut random = Random::new(
                    self.seed ^ (0x4653_0000 + host_index as u64 * 2 + u64::from(mount == "/")),
                );
                let filling = *host == FILLING_HOST && mount == FILLING_MOUNT;
                // Logs written per day, and how much of them nightly rotation frees.
                let (base, written_per_day, freed_share) = match (mount, filling) {
                    ("/", _) => (62e9, 0.0, 1.0),
                    (_, true) => (32e9, 6e9, 0.47),
                    (_, false) => (48e9, 1.5e9, 1.0),
                };
                if filling {
                    let net = written_per_day * (1.0 - freed_share);
                    generated.truths.push(GroundTruth { at: self.at(start), what: format!("{host} {mount}: logs grow 6 GB/day, rotation frees 47 % nightly: net {} GB/day", net / 1e9) });
                }
                let mut retained = 0.0; // bytes kept after rotations so far
                let mut time = start;
                let horizon = if filling { end + 30 * DAY_MS } else { end };
                while time < horizon {
                    let since_rotation = (time - 3 * HOUR_MS).rem_euclid(DAY_MS);
                    if since_rotation == 0 && time > start {
                        retained += written_per_day * (1.0 - freed_share);
                    }
                    let todays_logs = written_per_day * since_rotation as f64 / DAY_MS as f64;
                    let available = base - retained - todays_logs;
                    if filling && available <= 0.0 {
                        generated.disk_full_at = Some(self.at(time));
                        generated.truths.push(GroundTruth {
                            at: self.at(time),
                            what: format!("{host} {mount}: disk full"),
                        });
                        break;
                    }
                    if time < end {
                        let noisy = (available + 20e6 * random.normal())
                            .clamp(0.0, total)
                            .round();
                        emit(
                            &self.index("metricbeat", time),
                            json!({
                                "@timestamp": time + 3_000,
                                "host": { "name": host },
                                "metricset": { "name": "filesystem" },
                                "system": { "filesystem": { "mount_point": mount, "total": total, "available": noisy } }
                            }),
                        );
                    }
                    time += 5 * MINUTE_MS;
                }
            }
        }
    }

    fn requests(&self, emit: &mut impl FnMut(&str, Value), generated: &mut Generated) {
        let start = self.start.timestamp_millis();
        let end = self.end().timestamp_millis();
        let deploy = start + self.bad_deploy.num_milliseconds();
        generated.truths.push(GroundTruth {
            at: self.at(deploy),
            what: format!("{FAILING_SERVICE}: deploy raises the 5xx share from 0.5 % to 4 %"),
        });
        let services = [(FAILING_SERVICE, 40.0, "api-1"), ("search", 30.0, "api-2")];
        for (service_index, (service, peak_per_minute, host)) in services.iter().enumerate() {
            let mut random = Random::new(self.seed ^ (0x5245_5100 + service_index as u64));
            let mut time = start;
            while time < end {
                let rate = peak_per_minute * (0.2 + 0.8 * Self::daily_load(time));
                let failure_share = if *service == FAILING_SERVICE && time >= deploy {
                    0.04
                } else {
                    0.005
                };
                let requests = random.poisson(rate);
                for i in 0..requests {
                    let failed = random.unit() < failure_share;
                    let status = if failed {
                        500 + 3 * (random.next_u64() % 2)
                    } else if random.unit() < 0.03 {
                        404
                    } else {
                        200
                    };
                    let offset = (i * 60_000 / requests.max(1)) as i64;
                    emit(
                        &self.index("filebeat", time),
                        json!({
                            "@timestamp": time + offset,
                            "service": { "name": service },
                            "host": { "name": host },
                            "url": { "path": format!("/{service}") },
                            "http": { "response": { "status_code": status } }
                        }),
                    );
                }
                time += MINUTE_MS;
            }
        }
    }
}
