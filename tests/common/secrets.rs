//! Secrets as people paste them, for the tests that no secret reaches a message: each
//! carries a marker the messages must never show.

use proptest::prelude::*;

/// Stands for a password: no message may contain it.
pub const MARKER: &str = "Hunter2xQ";

/// A secret as a person might paste it as a value: a literal, a broken `${…}` reference, a
/// list, a map, a block scalar, an unterminated quote, a tag, an anchor…
pub fn pasted_secret() -> impl Strategy<Value = String> {
    let shapes = [
        "{m}",
        "\"{m}\"",
        "'{m}'",
        "\"${{{m} }}\"",
        "\"${{{m}-1}}\"",
        "${{{m}",
        "\"${{{m}\"",
        "\"{m}}}\"",
        "[{m}]",
        "[\"${{{m}}}\", x]",
        "{{ a: {m} }}",
        "{{ {m}: 1 }}",
        "|\n          {m}",
        "\"{m}",
        "'{m}",
        "&anchor {m}",
        "!!binary {m}",
        "!tag {m}",
        "{m} # comment",
        "\"{m}\\u00e9\"",
        "\"\\x{m}\"",
        "{m}: {m}",
    ];
    (
        prop::sample::select(shapes.to_vec()),
        "[ -~]{0,3}",
        "[ -~]{0,3}",
    )
        .prop_map(|(shape, before, after)| {
            let marked = shape
                .replace("{m}", MARKER)
                .replace("{{", "{")
                .replace("}}", "}");
            format!("{before}{marked}{after}")
        })
}
