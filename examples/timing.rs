use std::time::Instant;
fn main() {
    let fleet = trendwatch::scenario::Fleet::default();
    let (store, _) = trendwatch::cli::demo::demo_store(&fleet).unwrap();
    let rules = trendwatch::cli::demo::example_rules().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let only = std::env::args().nth(1);
    for rule in &rules {
        if only.as_deref().is_some_and(|o| o != rule.name) {
            continue;
        }
        let t = Instant::now();
        let now = fleet.end() - chrono::Duration::hours(30);
        for i in 0..200 {
            let at = now + chrono::Duration::minutes(i * 5);
            rt.block_on(trendwatch::engine::evaluate_rule(rule, &store, at))
                .unwrap();
        }
        println!("{}: {:?} per evaluation", rule.name, t.elapsed() / 200);
    }
}
