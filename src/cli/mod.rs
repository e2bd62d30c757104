//! The command line: subcommands, their options and output. Errors are reported with
//! context here (anyhow); exit codes are documented on each subcommand.

mod backtest;
mod chart;
mod data_source;
pub mod demo;
mod demo_output;
mod field_check;
mod import;
mod rule_tests;
mod sparkline;
mod store;
mod test_rule;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "trendwatch",
    version,
    about = "Watches the data you keep in Elasticsearch and alerts when something drifts the wrong way",
    long_about = "trendwatch runs YAML rules (a query, time windows, a comparison) against Elasticsearch \
                  indices and notifies people when a threshold is crossed, a window changes against an \
                  earlier one, or a robust trend is heading for a bound.\n\n\
                  Start with `trendwatch demo`, then write rules like those in rules/ and check them \
                  with `trendwatch validate`.\n\n\
                  Try a rule before merging it: `test-rule` judges it once and shows each group's \
                  series and verdict and the message it would send; `backtest` replays it over a \
                  past range and shows when it would have fired and resolved. Both run on a cluster \
                  (--es URL) or on data files (--data, e.g. from `store generate`).\n\n\
                  Not built yet: the `run` daemon and email/SMS delivery (notifiers say so instead \
                  of pretending to send)."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check rule files (and the engine config) without running anything.
    ///
    /// Every problem is listed with file:line:col. With a cluster (--es, or an
    /// `elasticsearch` source in the config) every field the rules name is also checked
    /// with `_field_caps`: that it exists, aggregates where it is grouped by, is numeric
    /// where it is averaged, is a date where it is the time field. Exit codes: 0 all valid,
    /// 1 a rule or the config is invalid, 2 usage error, 3 the --es cluster could not be
    /// asked. A cluster named only in the config is checked when it can be reached, and the
    /// summary says when it could not.
    Validate {
        /// Rule files or directories (searched for *.yaml / *.yml). Default: the config's
        /// rules directories, or ./rules.
        paths: Vec<PathBuf>,
        /// Engine config; notifier names in rules are checked against it. Default:
        /// ./trendwatch.yaml when it exists.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Elasticsearch or OpenSearch node URL to check the rules' fields on (no
        /// credentials in the URL: use the config's `auth` for a secured cluster).
        #[arg(long, value_name = "URL", conflicts_with = "offline")]
        es: Option<String>,
        /// Do not contact the config's cluster (fields are then not checked).
        #[arg(long)]
        offline: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Dry-run one rule at one instant and show what it sees and would do.
    ///
    /// Prints the search (with --show-query), how long the answer took, each group's
    /// series as a sparkline with its verdict (value, baseline, slope, p-value, forecast),
    /// the groups that would fire and the message each of the rule's notifiers would carry.
    /// Sends nothing unless --notify. With --data the default instant is the newest
    /// document's time. Exit codes: 0 done, 1 something would fire and --fail-on-fire was
    /// given, 2 the rule or an option is invalid, 3 the data could not be read.
    TestRule {
        /// The rule file.
        rule: PathBuf,
        /// Which rule, when the file holds several.
        #[arg(long = "rule", value_name = "NAME")]
        name: Option<String>,
        /// The instant to judge at: RFC 3339, a date, `now` or `now-2h` (default: now, or
        /// the newest document with --data).
        #[arg(long)]
        at: Option<String>,
        #[command(flatten)]
        source: data_source::SourceArgs,
        /// Print the search body sent.
        #[arg(long)]
        show_query: bool,
        /// Deliver the messages through the config's notifiers.
        #[arg(long)]
        notify: bool,
        /// Exit with 1 when some group would fire (for CI checks).
        #[arg(long)]
        fail_on_fire: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Replay one rule over a past range: when it would have fired and resolved.
    ///
    /// Reads the whole range with one search (more only when it exceeds the cluster's
    /// search.max_buckets), then judges the rule at every instant its schedule would have
    /// run, on exactly the buckets a live run would have seen, through the real alert
    /// lifecycle (for, realert, keep_firing_for; no silences). Prints the timeline and a
    /// summary (notifications per week, time firing per group). Sends nothing. Times are
    /// RFC 3339, dates, `now` or `now-7d`; with --data `now` is the newest document.
    /// Defaults: --to now, --from 7 days earlier (at most back to the oldest document).
    /// Exit codes: 0 done, 2 the rule, a time or the range is invalid, 3 the data could
    /// not be read.
    Backtest {
        /// The rule file.
        rule: PathBuf,
        /// Which rule, when the file holds several.
        #[arg(long = "rule", value_name = "NAME")]
        name: Option<String>,
        /// Start of the range.
        #[arg(long)]
        from: Option<String>,
        /// End of the range.
        #[arg(long)]
        to: Option<String>,
        #[command(flatten)]
        source: data_source::SourceArgs,
        /// Draw each group that fired — its series, the rule's bound, the trend line at
        /// each firing, fire and resolve marks — into FILE.svg or FILE.html.
        #[arg(long, value_name = "FILE")]
        chart: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Run rule unit tests: input series in a compact notation, expected alerts.
    ///
    /// Each *.test.yaml names rule files, gives series per group (`8000-50x96`: from 8000,
    /// minus 50 per point, 96 points; `_` for a gap; `7x3`; plain numbers; units like
    /// 100MB) and which groups must be firing at given times. Every test loads its series
    /// into a fresh embedded store and replays the rules through the real searches,
    /// analysis and alert lifecycle; offline. Directories are searched for *.test.yaml.
    /// See tests/rules/ for examples. Exit codes: 0 all passed, 1 a test failed, 2 a test
    /// file could not be run.
    Test {
        /// Test files, or directories holding *.test.yaml files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    ///
    /// For example: `trendwatch completions bash > /etc/bash_completion.d/trendwatch`, or
    /// `trendwatch completions zsh > "${fpath[1]}/_trendwatch"`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per subcommand with --out-dir.
    ///
    /// For example: `trendwatch man --out-dir /usr/local/share/man/man1`.
    Man {
        /// Write trendwatch.1 and trendwatch-SUBCOMMAND.1 into this directory.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
    /// Run the example rules over generated data for a small fleet, in process.
    ///
    /// Generates 8 days of Metricbeat/Filebeat-shaped data in which an API host leaks
    /// memory, a disk fills with log-rotation sawteeth and a deploy raises the 5xx share,
    /// among healthy hosts; then runs the rules over the last 3 days on their schedules and
    /// prints what fired, when, and how early. Needs no server, config or network;
    /// notifications are printed instead of sent.
    Demo {
        /// Rule files or directories to run instead of the built-in examples.
        #[arg(long = "rules")]
        rules: Vec<PathBuf>,
    },
    /// Work with rule files written for other tools.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// The embedded store: serve documents over HTTP, or generate test data.
    #[command(subcommand)]
    Store(StoreCommand),
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// Convert ElastAlert 2 rules into trendwatch rules.
    ///
    /// Converts the types that map onto an aggregated series — frequency, flatline, spike,
    /// metric_aggregation, percentage_match, cardinality — with query_key as group_by,
    /// timeframe/buffer_time as the window and the alerters as notifier names. Every
    /// approximation is written as a NOTE comment in the rule; rules that cannot be
    /// converted (change, any, blacklist, whitelist, new_term, scripts) are listed with the
    /// reason. Prints the rules (YAML documents separated by ---) unless --out-dir is given.
    /// Exit codes: 0 all converted, 1 some rules could not be converted, 2 a file could not
    /// be read as an ElastAlert rule.
    ImportElastalert {
        /// ElastAlert 2 rule files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Write one NAME.yaml per converted rule into this directory.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum StoreCommand {
    /// Serve documents with Elasticsearch's search API on a local address.
    ///
    /// Loads NDJSON (one document per line; an `_index` key names its index), the `_bulk`
    /// format, or a saved search response (`hits.hits[]._source`), then answers `GET /`,
    /// `_search`, `_msearch`, `_mapping` and `_field_caps` like Elasticsearch, so curl, the
    /// official clients and trendwatch can query it. Runs until Ctrl-C. Exit codes: 0, or 1
    /// when some lines could not be loaded or the server could not start.
    Serve {
        /// Files to load (NDJSON, _bulk, or a saved search response).
        #[arg(long = "data", required = true, num_args = 1..)]
        data: Vec<PathBuf>,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9200")]
        listen: std::net::SocketAddr,
        /// The documents' time field.
        #[arg(long, default_value = "@timestamp")]
        time_field: String,
        /// Index for documents that name none.
        #[arg(long, default_value = "documents")]
        index: String,
        /// Write the finished index to this directory (created, must be empty) and serve
        /// it from there instead of from memory. Loading still buffers the index in
        /// memory: about 150 MB per million metric documents, at most 3 GiB.
        #[arg(long)]
        index_dir: Option<PathBuf>,
        /// Most buckets one search may create (Elasticsearch's search.max_buckets).
        #[arg(long, default_value_t = crate::source::embedded::MAX_BUCKETS)]
        max_buckets: usize,
    },
    /// Write a seeded fleet as NDJSON: Metricbeat memory and filesystem documents (every
    /// minute / 5 minutes per host) and Filebeat request logs, healthy and noisy with daily
    /// cycles, plus the scenario's incidents:
    ///
    ///   demo         memory leak on api-3, /var filling on web-2, 5xx rise on checkout
    ///   all          the demo's incidents, and web-1 going silent 36 h before the end
    ///   memory-leak  every fourth API host (api-3, api-7, …) leaks memory after a deploy
    ///   disk-fill    /var on web-2 fills up, with nightly log-rotation sawteeth
    ///   error-rise   a checkout deploy raises its 5xx share from 0.5 % to 4 %
    ///   host-silent  web-1 stops sending anything 36 h before the end
    ///   healthy      no incident
    ///
    /// The same seed gives the same documents; what happens when is printed. Exit code 0,
    /// or 1 on error.
    #[command(verbatim_doc_comment)]
    Generate {
        /// Which incidents happen.
        #[arg(long, default_value = "demo", value_parser = clap::builder::PossibleValuesParser::new(crate::scenario::Scenario::NAMES))]
        scenario: String,
        /// Hosts in the fleet (at least 3): two thirds API hosts, the rest web hosts.
        #[arg(long, default_value_t = 6)]
        hosts: usize,
        /// Days of data.
        #[arg(long, default_value_t = 8)]
        days: u32,
        /// First day (RFC 3339); default 2026-11-12T00:00:00Z.
        #[arg(long)]
        start: Option<chrono::DateTime<chrono::Utc>>,
        /// Random seed; default the demo's.
        #[arg(long)]
        seed: Option<u64>,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Log lines (retries, insecure TLS) go to stderr; `TRENDWATCH_LOG` sets the level or a
/// filter such as `trendwatch=debug` (default `warn`).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TRENDWATCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Prints the main man page, or writes every page (trendwatch.1, trendwatch-backtest.1,
/// …) into `out_dir`.
fn man_pages(out_dir: Option<&std::path::Path>) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    let command = <Cli as clap::CommandFactory>::command();
    match out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            clap_mangen::generate_to(command, dir)
                .with_context(|| format!("writing man pages to {}", dir.display()))?;
            eprintln!("man pages written to {}", dir.display());
        }
        None => clap_mangen::Man::new(command).render(&mut std::io::stdout())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let outcome = match cli.command {
        Command::Validate {
            paths,
            config,
            es,
            offline,
            format,
        } => validate::run(
            &paths,
            config.as_deref(),
            es.as_deref(),
            offline,
            format == Format::Json,
        ),
        Command::TestRule {
            rule,
            name,
            at,
            source,
            show_query,
            notify,
            fail_on_fire,
            format,
        } => test_rule::run(&test_rule::TestRuleOptions {
            rule_file: rule,
            rule_name: name,
            at,
            source,
            as_json: format == Format::Json,
            show_query,
            notify,
            fail_on_fire,
        }),
        Command::Backtest {
            rule,
            name,
            from,
            to,
            source,
            chart,
            format,
        } => backtest::run(&backtest::BacktestOptions {
            rule_file: rule,
            rule_name: name,
            from,
            to,
            source,
            as_json: format == Format::Json,
            chart,
        }),
        Command::Test { paths } => rule_tests::run(&paths),
        Command::Rules(RulesCommand::ImportElastalert { files, out_dir }) => {
            import::import_elastalert(&files, out_dir.as_deref())
        }
        Command::Completions { shell } => {
            // Into memory first: the generator panics on a failed write (a closed pipe).
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "trendwatch", &mut script);
            std::io::Write::write_all(&mut std::io::stdout(), &script)
                .map(|()| ExitCode::SUCCESS)
                .map_err(anyhow::Error::from)
        }
        Command::Man { out_dir } => man_pages(out_dir.as_deref()),
        Command::Demo { rules } => demo_output::run(&rules),
        Command::Store(StoreCommand::Serve {
            data,
            listen,
            time_field,
            index,
            index_dir,
            max_buckets,
        }) => store::serve(
            &data,
            listen,
            &store::ServeOptions {
                time_field,
                default_index: index,
                index_dir,
                max_buckets,
            },
        ),
        Command::Store(StoreCommand::Generate {
            scenario,
            hosts,
            days,
            start,
            seed,
            out,
        }) => store::generate(
            &store::GenerateOptions {
                scenario,
                hosts,
                days,
                start,
                seed,
            },
            &out,
        ),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}
