//! `trendwatch store generate` and `store serve` as a user runs them: real processes, a
//! real file, a real socket.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

fn trendwatch() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trendwatch"));
    command.env_remove("TRENDWATCH_LOG");
    command
}

/// A server process that is killed when the test ends, also when an assertion fails first
/// (an orphaned `store serve` would hold its port and memory until someone noticed).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        // It may already have exited; either way it must not outlive the test.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A minimal HTTP/1.1 GET, so the test depends on nothing but the socket.
fn http_get(address: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn generated_data_can_be_served_and_queried() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fleet.ndjson");
    let generate = trendwatch()
        .args(["store", "generate", "--days", "1", "--out"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(generate.status.code(), Some(0));
    let said = String::from_utf8_lossy(&generate.stderr);
    let text = std::fs::read_to_string(&data).unwrap();
    let lines = text.lines().count();
    assert!(
        said.starts_with(&format!(
            "wrote {lines} documents (demo scenario, 4 API and 2 web hosts, 1 day from 2026-11-12)"
        )),
        "{said}"
    );
    // Within one day only the disk's steady fill has begun; later incidents are not listed.
    assert!(
        said.contains("web-2 /var: logs grow") && !said.contains("api-3"),
        "{said}"
    );
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["_index"], "metricbeat-2026.11.12");

    let mut server = Server(
        trendwatch()
            .args(["store", "serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(&data)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stderr = BufReader::new(server.0.stderr.take().unwrap());
    let mut address = None;
    for _ in 0..5 {
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        if let Some(rest) = line.split("on http://").nth(1) {
            address = rest.split_whitespace().next().map(str::to_string);
            break;
        }
    }
    let address = address.expect("the server says where it listens");
    let answer = http_get(&address, "/");
    drop(server);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains("\"tagline\":\"You Know, for Search\""),
        "{answer}"
    );
}

#[test]
fn serving_a_file_without_documents_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("bad.ndjson");
    std::fs::write(&data, "{\"no\": \"timestamp\"}\nnot json\n").unwrap();
    let output = trendwatch()
        .args(["store", "serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("bad.ndjson:1: the document has no `@timestamp` timestamp"),
        "{said}"
    );
    assert!(said.contains("bad.ndjson:2: not valid JSON"), "{said}");
    assert!(
        said.contains("error: nothing to serve: no document could be loaded (2 lines failed)"),
        "{said}"
    );
}

#[test]
fn scenarios_and_fleet_size_are_chosen_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("silent.ndjson");
    let generate = trendwatch()
        .args([
            "store",
            "generate",
            "--scenario",
            "all",
            "--hosts",
            "9",
            "--days",
            "3",
            "--out",
        ])
        .arg(&data)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&generate.stderr);
    assert_eq!(generate.status.code(), Some(0), "{said}");
    assert!(
        said.contains("all scenario, 6 API and 3 web hosts"),
        "{said}"
    );
    assert!(said.contains("web-1: the agent crashes"), "{said}");
    let text = std::fs::read_to_string(&data).unwrap();
    let mut hosts = std::collections::BTreeSet::new();
    let mut last_from_silent_host = 0;
    for line in text.lines() {
        let document: serde_json::Value = serde_json::from_str(line).unwrap();
        let host = document["host"]["name"].as_str().unwrap().to_string();
        if host == "web-1" {
            last_from_silent_host =
                last_from_silent_host.max(document["@timestamp"].as_i64().unwrap());
        }
        hosts.insert(host);
    }
    let expected: Vec<String> = (1..=6)
        .map(|n| format!("api-{n}"))
        .chain((1..=3).map(|n| format!("web-{n}")))
        .collect();
    assert_eq!(hosts.into_iter().collect::<Vec<_>>(), expected);
    // 2026-11-15T00:00Z is the end; web-1 stops 36 hours before it.
    let silent_from = 1_794_700_800_000 - 36 * 3_600_000;
    assert!(last_from_silent_host < silent_from && last_from_silent_host > silent_from - 600_000);

    for (args, complaint) in [
        (vec!["--scenario", "meltdown"], "meltdown"),
        (vec!["--hosts", "2"], "--hosts must be at least 3"),
    ] {
        let refused = trendwatch()
            .args(["store", "generate", "--out"])
            .arg(dir.path().join("x.ndjson"))
            .args(&args)
            .output()
            .unwrap();
        assert_ne!(refused.status.code(), Some(0));
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(said.contains(complaint), "{said}");
    }
}
