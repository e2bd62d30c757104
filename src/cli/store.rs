//! `trendwatch store serve` and `trendwatch store generate`: the embedded store over HTTP
//! on loopback, and the demo's seeded data as NDJSON for users to load and test rules on.

use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};

use crate::scenario::{Fleet, Scenario};
use crate::source::embedded::{EmbeddedStore, StoreBuilder, http, load_documents};

/// How `store serve` builds its store.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub time_field: String,
    /// Index for documents that name none.
    pub default_index: String,
    /// Write the finished index here and serve it from disk instead of from memory.
    pub index_dir: Option<PathBuf>,
    pub max_buckets: usize,
}

/// Loads `data` and serves it on `listen` until Ctrl-C.
pub fn serve(data: &[PathBuf], listen: SocketAddr, options: &ServeOptions) -> Result<ExitCode> {
    if data.is_empty() {
        bail!("nothing to serve: give one or more data files with --data");
    }
    let (store, failed_lines) = load_store(
        data,
        &options.time_field,
        &options.default_index,
        options.index_dir.as_deref(),
    )
    .context("nothing to serve")?;
    let store = Arc::new(store.with_max_buckets(options.max_buckets));
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let address = listener.local_addr().unwrap_or(listen);
        let indices: Vec<&str> = store.index_names().collect();
        eprintln!(
            "serving {} documents in {} indices ({}) on http://{address} — Ctrl-C stops",
            store.document_count(),
            indices.len(),
            abbreviate(&indices)
        );
        let shutdown = async {
            // Without a signal handler the server runs until the process is killed.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        http::serve(store, listener, shutdown)
            .await
            .context("serving HTTP")
    })?;
    Ok(if failed_lines > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Loads data files into a new embedded store, reporting on stderr what was loaded and
/// up to 20 lines per file that were not. Returns the store and how many lines failed;
/// fails when no document at all could be loaded.
pub fn load_store(
    data: &[PathBuf],
    time_field: &str,
    default_index: &str,
    index_dir: Option<&Path>,
) -> Result<(EmbeddedStore, usize)> {
    let mut builder = match index_dir {
        Some(dir) => StoreBuilder::in_directory(time_field, dir)
            .with_context(|| format!("creating the embedded store in {}", dir.display()))?,
        None => StoreBuilder::new(time_field).context("creating the embedded store")?,
    };
    let mut failed_lines = 0usize;
    for file in data {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let loaded = load_documents(&mut builder, &text, file, default_index);
        for error in loaded.errors.iter().take(20) {
            eprintln!("warning: {error}");
        }
        if loaded.errors.len() > 20 {
            eprintln!(
                "warning: … and {} more lines of {} not loaded",
                loaded.errors.len() - 20,
                file.display()
            );
        }
        failed_lines += loaded.errors.len();
        eprintln!(
            "loaded {} documents from {}",
            loaded.documents,
            file.display()
        );
    }
    let store = builder.finish().context("building the embedded store")?;
    if store.document_count() == 0 {
        bail!("no document could be loaded ({failed_lines} lines failed)");
    }
    Ok((store, failed_lines))
}

fn abbreviate(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [first, .., last] if names.len() > 4 => format!("{first} … {last}"),
        _ => names.join(", "),
    }
}

/// What `store generate` generates.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// One of [`Scenario::NAMES`].
    pub scenario: String,
    pub hosts: usize,
    pub days: u32,
    pub start: Option<DateTime<Utc>>,
    pub seed: Option<u64>,
}

/// Writes the seeded fleet's documents as NDJSON (each with its `_index`) to `out`.
pub fn generate(options: &GenerateOptions, out: &Path) -> Result<ExitCode> {
    let days = options.days;
    if days == 0 {
        bail!("--days must be at least 1");
    }
    if options.hosts < Fleet::MIN_HOSTS {
        bail!(
            "--hosts must be at least {} (two API hosts serve the requests, one web host)",
            Fleet::MIN_HOSTS
        );
    }
    let scenario = Scenario::parse(&options.scenario).with_context(|| {
        format!(
            "unknown scenario `{}`: expected one of {}",
            options.scenario,
            Scenario::NAMES.join(", ")
        )
    })?;
    let defaults = Fleet::with_hosts(options.hosts, scenario);
    let fleet = Fleet {
        days,
        start: options.start.unwrap_or(defaults.start),
        seed: options.seed.unwrap_or(defaults.seed),
        ..defaults
    };
    let file = std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut writer = BufWriter::new(file);
    let mut failure: Option<std::io::Error> = None;
    let generated = fleet.generate(|index, mut document| {
        if failure.is_some() {
            return;
        }
        if let Some(object) = document.as_object_mut() {
            object.insert("_index".to_string(), index.into());
        }
        let written = serde_json::to_writer(&mut writer, &document)
            .map_err(std::io::Error::from)
            .and_then(|()| writer.write_all(b"\n"));
        if let Err(error) = written {
            failure = Some(error);
        }
    });
    if let Some(error) = failure {
        return Err(error).with_context(|| format!("writing {}", out.display()));
    }
    writer
        .flush()
        .with_context(|| format!("writing {}", out.display()))?;
    eprintln!(
        "wrote {} documents ({} scenario, {} API and {} web hosts, {days} day{} from {}) to {}",
        generated.documents,
        options.scenario,
        fleet.api_hosts,
        fleet.web_hosts,
        if days == 1 { "" } else { "s" },
        fleet.start.format("%Y-%m-%d"),
        out.display()
    );
    // What happens within the generated days (the disk's fill continues past them).
    for truth in generated
        .truths
        .iter()
        .filter(|truth| truth.at < fleet.end())
    {
        eprintln!("  {}  {}", truth.at.format("%Y-%m-%d %H:%M"), truth.what);
    }
    Ok(ExitCode::SUCCESS)
}
