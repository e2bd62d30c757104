//! Damage for the "never panics" property tests: to JSON trees (one node swapped for an odd
//! value, removed, its key misspelled, or a meaningful key inserted, chosen by its place in
//! a depth-first walk), and to text files (a few bytes replaced somewhere).

use proptest::prelude::*;
use serde_json::{Value, json};

/// One change to a JSON tree; the `usize` picks the node (modulo the tree's size).
#[derive(Debug, Clone)]
pub enum TreeDamage {
    /// The node becomes another value.
    Swap(usize, Value),
    /// The node is removed from its object or array.
    Remove(usize),
    /// The node's key, in an object, is misspelled.
    Rename(usize),
    /// The node, if an object, gains (or has replaced) a key that means something
    /// somewhere in a search or an answer.
    Insert(usize, String, Value),
}

/// Keys with a meaning in searches and answers, to add where they may not belong.
const MEANINGFUL_KEYS: &[&str] = &[
    "offset",
    "extended_bounds",
    "hard_bounds",
    "time_zone",
    "format",
    "size",
    "min_doc_count",
    "missing",
    "order",
    "after",
    "keyed",
    "script",
    "buckets_path",
    "minimum_should_match",
    "boost",
    "gte",
    "lt",
    "value",
    "key",
    "doc_count",
    "buckets",
    "after_key",
];

/// Values nodes are swapped for: other types, extremes, near misses.
fn odd_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(-1),
        json!(0),
        json!(-0.0),
        json!(1.5e308),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(0.1),
        json!(""),
        json!("x"),
        json!("*"),
        json!("1795086300000"),
        json!("now-1d/d"),
        json!("now+300000y"),
        json!("-9223372036854775808"),
        json!("1h"),
        json!("+6h"),
        json!("Europe/Paris"),
        json!(-1e15),
        json!({ "min": 0, "max": 9_000_000_000_000_i64 }),
        json!({ "min": "now-1d", "max": "now" }),
        json!({ "_count": "desc" }),
        json!([]),
        json!({}),
        json!({ "value": null }),
        json!([{ "key": 0 }]),
        serde_json::from_str("18446744073709551616").unwrap(),
    ]
}

pub fn tree_damage() -> impl Strategy<Value = TreeDamage> {
    prop_oneof![
        (any::<usize>(), prop::sample::select(odd_values()))
            .prop_map(|(at, value)| TreeDamage::Swap(at, value)),
        any::<usize>().prop_map(TreeDamage::Remove),
        any::<usize>().prop_map(TreeDamage::Rename),
        (
            any::<usize>(),
            prop::sample::select(MEANINGFUL_KEYS),
            prop::sample::select(odd_values())
        )
            .prop_map(|(at, key, value)| TreeDamage::Insert(at, key.to_string(), value)),
    ]
}

/// Applies `damage` to `tree`. Removing or renaming the root changes nothing.
pub fn damage_tree(tree: &mut Value, damage: &TreeDamage) {
    let (TreeDamage::Swap(at, _)
    | TreeDamage::Remove(at)
    | TreeDamage::Rename(at)
    | TreeDamage::Insert(at, ..)) = *damage;
    let mut left = at % nodes(tree);
    edit(tree, &mut left, damage);
}

fn nodes(value: &Value) -> usize {
    1 + match value {
        Value::Object(map) => map.values().map(nodes).sum(),
        Value::Array(items) => items.iter().map(nodes).sum(),
        _ => 0,
    }
}

/// Applies the damage to the node `left` counts down to; true once it is done.
fn edit(value: &mut Value, left: &mut usize, damage: &TreeDamage) -> bool {
    if *left == 0 {
        match (damage, &mut *value) {
            (TreeDamage::Swap(_, replacement), _) => *value = replacement.clone(),
            (TreeDamage::Insert(_, key, inserted), Value::Object(map)) => {
                map.insert(key.clone(), inserted.clone());
            }
            _ => {}
        }
        return true;
    }
    *left -= 1;
    match value {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                if *left == 0 && matches!(damage, TreeDamage::Remove(_) | TreeDamage::Rename(_)) {
                    let child = map.remove(&key).unwrap();
                    if matches!(damage, TreeDamage::Rename(_)) {
                        map.insert(format!("{key}_"), child);
                    }
                    return true;
                }
                if edit(map.get_mut(&key).unwrap(), left, damage) {
                    return true;
                }
            }
            false
        }
        Value::Array(items) => {
            for index in 0..items.len() {
                if *left == 0 && matches!(damage, TreeDamage::Remove(_)) {
                    items.remove(index);
                    return true;
                }
                if edit(&mut items[index], left, damage) {
                    return true;
                }
            }
            false
        }
        _ => false,
    }
}

/// One edit of a text file: up to 7 bytes at some place replaced by up to 6 printable
/// characters or newlines (kept on character boundaries).
#[derive(Debug, Clone)]
pub struct TextEdit {
    at: prop::sample::Index,
    cut: usize,
    replacement: String,
}

pub fn text_edit() -> impl Strategy<Value = TextEdit> {
    (any::<prop::sample::Index>(), 0..8_usize, "[ -~\\n]{0,6}").prop_map(
        |(at, cut, replacement)| TextEdit {
            at,
            cut,
            replacement,
        },
    )
}

impl TextEdit {
    pub fn apply(&self, text: &str) -> String {
        let mut text = text.to_string();
        let start = text.floor_char_boundary(self.at.index(text.len().max(1)));
        let end = text.floor_char_boundary((start + self.cut).min(text.len()));
        text.replace_range(start..end, &self.replacement);
        text
    }
}

/// A copy of `tree` with every damage applied in turn.
pub fn damaged(tree: &Value, damages: &[TreeDamage]) -> Value {
    let mut tree = tree.clone();
    for damage in damages {
        damage_tree(&mut tree, damage);
    }
    tree
}
