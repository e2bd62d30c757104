//! Scenario: deterministic, seeded Metricbeat/Filebeat-shaped documents for a fleet in
//! which the seed incidents happen — a memory leak on some API hosts, a disk filling with
//! log-rotation sawteeth, a 5xx rise after a deploy, a host going silent — among healthy,
//! noisy hosts with daily seasonality. Which incidents happen and how many hosts there are
//! is chosen per [`Scenario`]. Also returns the ground truth (when each incident really
//! happened), so the demo and the tests can say how early an alert came.

mod random;

use chrono::{DateTime, Duration as TimeDelta, Utc};
use serde_json::{Value, json};

use random::Random;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Which seed incidents happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Incidents {
    /// Every fourth API host (api-3, api-7, …) leaks memory after a deploy.
    pub memory_leak: bool,
    /// `/var` on web-2 fills up, with nightly log rotation.
    pub disk_fill: bool,
    /// A checkout deploy raises its 5xx share.
    pub error_rise: bool,
    /// web-1 stops sending anything a day and a half before the end.
    pub host_silent: bool,
}

/// The named scenarios `store generate --scenario` offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// The demo's fleet: the leak, the disk and the 5xx rise.
    Demo,
    /// Every incident, the silent host included.
    All,
    MemoryLeak,
    DiskFill,
    ErrorRise,
    HostSilent,
    /// Noise and daily cycles only.
    Healthy,
}

impl Scenario {
    pub const NAMES: [&'static str; 7] = [
        "demo",
        "all",
        "memory-leak",
        "disk-fill",
        "error-rise",
        "host-silent",
        "healthy",
    ];

    pub fn parse(name: &str) -> Option<Scenario> {
        Some(match name {
            "demo" => Scenario::Demo,
            "all" => Scenario::All,
            "memory-leak" => Scenario::MemoryLeak,
            "disk-fill" => Scenario::DiskFill,
            "error-rise" => Scenario::ErrorRise,
            "host-silent" => Scenario::HostSilent,
            "healthy" => Scenario::Healthy,
            _ => return None,
        })
    }

    pub fn incidents(self) -> Incidents {
        let none = Incidents {
            memory_leak: false,
            disk_fill: false,
            error_rise: false,
            host_silent: false,
        };
        match self {
            Scenario::Demo => Incidents {
                host_silent: false,
                ..Scenario::All.incidents()
            },
            Scenario::All => Incidents {
                memory_leak: true,
                disk_fill: true,
                error_rise: true,
                host_silent: true,
            },
            Scenario::MemoryLeak => Incidents {
                memory_leak: true,
                ..none
            },
            Scenario::DiskFill => Incidents {
                disk_fill: true,
                ..none
            },
            Scenario::ErrorRise => Incidents {
                error_rise: true,
                ..none
            },
            Scenario::HostSilent => Incidents {
                host_silent: true,
                ..none
            },
            Scenario::Healthy => none,
        }
    }
}

/// The fleet and the incidents' timing.
#[derive(Debug, Clone)]
pub struct Fleet {
    pub start: DateTime<Utc>,
    pub days: u32,
    pub seed: u64,
    /// API hosts (`api-1` …) and web hosts (`web-1` …).
    pub api_hosts: usize,
    pub web_hosts: usize,
    pub incidents: Incidents,
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
            api_hosts: API_HOSTS.len(),
            web_hosts: WEB_HOSTS.len(),
            incidents: Scenario::Demo.incidents(),
            leak_starts: TimeDelta::days(5) + TimeDelta::hours(9),
            leak_bytes_per_day: 700e6,
            bad_deploy: TimeDelta::days(7) + TimeDelta::hours(10),
        }
    }
}

/// The demo fleet's hosts.
pub const API_HOSTS: [&str; 4] = ["api-1", "api-2", "api-3", "api-4"];
pub const WEB_HOSTS: [&str; 2] = ["web-1", "web-2"];
/// The first leaking host (every fourth API host leaks).
pub const LEAKING_HOST: &str = "api-3";
/// The host that goes silent in the `host-silent` scenario.
pub const SILENT_HOST: &str = "web-1";
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
    /// The fewest hosts a fleet can have: the two request-serving API hosts and a web host.
    pub const MIN_HOSTS: usize = 3;

    /// A fleet of `hosts` hosts, two thirds API hosts (rounded up), in `scenario`.
    pub fn with_hosts(hosts: usize, scenario: Scenario) -> Fleet {
        let hosts = hosts.max(Self::MIN_HOSTS);
        let api_hosts = (hosts * 2).div_ceil(3).min(hosts - 1);
        Fleet {
            api_hosts,
            web_hosts: hosts - api_hosts,
            incidents: scenario.incidents(),
            ..Fleet::default()
        }
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.start + TimeDelta::days(i64::from(self.days))
    }

    pub fn api_host_names(&self) -> Vec<String> {
        (1..=self.api_hosts).map(|n| format!("api-{n}")).collect()
    }

    pub fn web_host_names(&self) -> Vec<String> {
        (1..=self.web_hosts).map(|n| format!("web-{n}")).collect()
    }

    /// Whether `host` leaks memory in this fleet (every fourth API host, from api-3).
    pub fn leaks(&self, host: &str) -> bool {
        self.incidents.memory_leak
            && host
                .strip_prefix("api-")
                .and_then(|n| n.parse::<usize>().ok())
                .is_some_and(|n| n % 4 == 3)
    }

    /// When the silent host sends its last document, if it goes silent.
    pub fn silent_from(&self) -> Option<i64> {
        self.incidents
            .host_silent
            .then(|| self.end().timestamp_millis() - 36 * HOUR_MS)
    }

    /// Whether `host` still reports at `millis`.
    fn reports(&self, host: &str, millis: i64) -> bool {
        match self.silent_from() {
            Some(from) if host == SILENT_HOST => millis < from,
            _ => true,
        }
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
        let hosts: Vec<String> = self
            .api_host_names()
            .into_iter()
            .chain(self.web_host_names())
            .collect();
        for host in hosts.iter().filter(|host| self.leaks(host)) {
            generated.truths.push(GroundTruth {
                at: self.at(leak_start),
                what: format!(
                    "{host}: deploy v2.14 starts leaking ~{} MB/day",
                    self.leak_bytes_per_day / 1e6
                ),
            });
        }
        if let Some(from) = self.silent_from() {
            generated.truths.push(GroundTruth {
                at: self.at(from),
                what: format!("{SILENT_HOST}: the agent crashes; nothing is sent from here on"),
            });
        }
        for (host_index, host) in hosts.iter().enumerate() {
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
                if self.leaks(host) && time >= leak_since {
                    free -= self.leak_bytes_per_day * (time - leak_since) as f64 / DAY_MS as f64;
                    if free <= 0.0 {
                        if generated.memory_exhausted_at.is_none() && host == LEAKING_HOST {
                            generated.memory_exhausted_at = Some(self.at(time));
                        }
                        generated.truths.push(GroundTruth { at: self.at(time), what: format!("{host}: out of memory; the OOM killer restarts the service (the leak starts over)") });
                        leak_since = time;
                        free = healthy;
                    }
                }
                let free = free.max(5e6).round();
                if !self.reports(host, time) {
                    break;
                }
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
        let hosts: Vec<String> = self
            .api_host_names()
            .into_iter()
            .chain(self.web_host_names())
            .collect();
        for (host_index, host) in hosts.iter().enumerate() {
            for mount in ["/", FILLING_MOUNT] {
                let mut random = Random::new(
                    self.seed ^ (0x4653_0000 + host_index as u64 * 2 + u64::from(mount == "/")),
                );
                let filling =
                    self.incidents.disk_fill && host == FILLING_HOST && mount == FILLING_MOUNT;
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
                    if time < end && self.reports(host, time) {
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
        if self.incidents.error_rise {
            generated.truths.push(GroundTruth {
                at: self.at(deploy),
                what: format!("{FAILING_SERVICE}: deploy raises the 5xx share from 0.5 % to 4 %"),
            });
        }
        let services = [(FAILING_SERVICE, 40.0, "api-1"), ("search", 30.0, "api-2")];
        for (service_index, (service, peak_per_minute, host)) in services.iter().enumerate() {
            let mut random = Random::new(self.seed ^ (0x5245_5100 + service_index as u64));
            let mut time = start;
            while time < end {
                let rate = peak_per_minute * (0.2 + 0.8 * Self::daily_load(time));
                let failure_share =
                    if self.incidents.error_rise && *service == FAILING_SERVICE && time >= deploy {
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
