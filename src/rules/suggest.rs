//! "Did you mean" hints for misspelt names and names borrowed from other alerting tools.

/// The candidate closest to `word` by edit distance, when it is close enough to be a typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let allowed = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|candidate| (strsim::damerau_levenshtein(word, candidate), candidate))
        .filter(|(distance, _)| *distance <= allowed)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Rule keys that ElastAlert or Prometheus users reach for, and what they are called here.
const BORROWED_KEYS: [(&str, &str); 11] = [
    ("run_every", "every"),
    ("interval", "every"),
    ("timeframe", "window"),
    ("buffer_time", "lookback"),
    ("query_key", "group_by"),
    ("alert", "notify"),
    ("alerts", "notify"),
    ("type", "condition"),
    ("expr", "metric"),
    ("alert_text", "annotations"),
    ("timestamp", "timestamp_field"),
];

/// A hint for an unknown key: a near spelling among `expected`, or our name for a key
/// borrowed from another tool.
pub fn hint_for_unknown(word: &str, expected: &[&str]) -> Option<String> {
    if let Some(near) = closest(word, expected.iter().copied()) {
        return Some(format!("did you mean `{near}`?"));
    }
    BORROWED_KEYS
        .iter()
        .find(|(borrowed, ours)| *borrowed == word && expected.contains(ours))
        .map(|(_, ours)| format!("did you mean `{ours}`? (`{word}` is another tool's name for it)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_field() {
        let fields = ["window", "bucket", "lookback", "group_by"];
        assert_eq!(closest("windw", fields), Some("window"));
        assert_eq!(closest("grop_by", fields), Some("group_by"));
        assert_eq!(closest("bukcet", fields), Some("bucket"));
        assert_eq!(closest("severity", fields), None);
    }

    #[test]
    fn borrowed_names_are_translated() {
        let hint = hint_for_unknown("run_every", &["every", "window"]).unwrap();
        assert_eq!(
            hint,
            "did you mean `every`? (`run_every` is another tool's name for it)"
        );
    }
}
