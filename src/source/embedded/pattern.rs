//! Glob patterns as Elasticsearch uses them: `*` for any run of characters (index patterns,
//! `_field_caps` field lists, `wildcard` queries) and `?` for exactly one (`wildcard`).

/// Whether `text` matches `pattern` as a whole. Linear in practice: a mismatch after a `*`
/// retries from one character further along the last `*` only.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (pattern, text): (Vec<char>, Vec<char>) =
        (pattern.chars().collect(), text.chars().collect());
    let (mut p, mut t) = (0, 0);
    let mut last_star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                last_star = Some((p, t));
                p += 1;
            }
            Some('?') => {
                p += 1;
                t += 1;
            }
            Some(c) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match last_star {
                Some((star, matched)) => {
                    p = star + 1;
                    t = matched + 1;
                    last_star = Some((star, matched + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// The characters before the first `*` or `?`: every match starts with them.
pub fn literal_prefix(pattern: &str) -> &str {
    let end = pattern.find(['*', '?']).unwrap_or(pattern.len());
    &pattern[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_and_question_marks_match_like_elasticsearch() {
        assert!(glob_match("metricbeat-*", "metricbeat-2026.11.20"));
        assert!(glob_match("*beat-*", "filebeat-x"));
        assert!(glob_match("exact", "exact"));
        assert!(!glob_match("exact", "exactly"));
        assert!(!glob_match("metricbeat-*", "filebeat-1"));
        assert!(glob_match("a*b*c", "a-b-b-c"));
        assert!(!glob_match("ab*ba", "aba"));
        assert!(glob_match("api-?", "api-3"));
        assert!(!glob_match("api-?", "api-10"));
        assert!(glob_match("*", ""));
        assert!(glob_match("wéb-*", "wéb-2"));
        assert_eq!(literal_prefix("api-?*x"), "api-");
        assert_eq!(literal_prefix("*x"), "");
    }
}
