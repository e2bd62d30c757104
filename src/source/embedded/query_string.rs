//! `query_string`: the Lucene syntax users paste from Kibana, rewritten into the query DSL
//! the rest of the store evaluates — `field:value`, `AND`/`OR`/`NOT` (and `&&`, `||`, `!`,
//! `+`, `-`), parentheses, `field:(a OR b)`, quoted phrases, `*`/`?` wildcards, ranges
//! (`[a TO b]`, `{a TO *}`, `>=5`) and `_exists_:field`.
//!
//! Fields hold keywords, not analysed text: a value matches a whole keyword, and a phrase
//! matches the keyword equal to it. An unquoted number matches the number or the keyword
//! spelled the same. A value without a field needs `default_field` (or `fields`); the
//! store has no "all fields" search and says so instead of guessing.

use serde_json::{Map, Value, json};

use super::error::StoreError;

/// The `query_string` body → an equivalent query clause.
pub fn to_dsl(body: &Value, path: &str) -> Result<Value, StoreError> {
    let object = body
        .as_object()
        .ok_or_else(|| StoreError::parsing(path, "[query_string] must be an object"))?;
    let mut query = None;
    let mut default_fields: Vec<String> = Vec::new();
    let mut and_by_default = false;
    let mut time_zone = None;
    for (key, value) in object {
        match key.as_str() {
            "query" => query = value.as_str(),
            "default_field" => default_fields = vec![string(value, key, path)?],
            "fields" => {
                default_fields = value
                    .as_array()
                    .ok_or_else(|| {
                        StoreError::parsing(path, "[fields] must be an array of field names")
                    })?
                    .iter()
                    .map(|f| string(f, key, path))
                    .collect::<Result<_, _>>()?;
            }
            "default_operator" => {
                and_by_default = match string(value, key, path)?.to_ascii_uppercase().as_str() {
                    "AND" => true,
                    "OR" => false,
                    other => {
                        return Err(StoreError::parsing(
                            path,
                            format!("[default_operator] must be AND or OR, found [{other}]"),
                        ));
                    }
                }
            }
            "time_zone" => time_zone = Some(string(value, key, path)?),
            // Wildcards are always evaluated exactly, leading ones included.
            "analyze_wildcard" | "allow_leading_wildcard" => {}
            other => {
                return Err(StoreError::unsupported(
                    path,
                    format!("[query_string] option [{other}]"),
                ));
            }
        }
    }
    let query = query.ok_or_else(|| StoreError::parsing(path, "[query_string] needs [query]"))?;
    let tokens =
        lex(query).map_err(|reason| StoreError::parsing(path, format!("{reason} in [{query}]")))?;
    let mut parser = Parser {
        tokens,
        at: 0,
        default_fields,
        and_by_default,
        time_zone,
    };
    let clause = parser
        .query()
        .map_err(|reason| StoreError::parsing(path, format!("{reason} in [{query}]")))?;
    if parser.at < parser.tokens.len() {
        return Err(StoreError::parsing(
            path,
            format!(
                "unexpected {} in [{query}]",
                parser.tokens[parser.at].describe()
            ),
        ));
    }
    Ok(clause)
}

fn string(value: &Value, key: &str, path: &str) -> Result<String, StoreError> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| StoreError::parsing(path, format!("[{key}] must be a string")))
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// A bare word; `wildcard` when it has an unescaped `*` or `?`.
    Word {
        text: String,
        wildcard: bool,
    },
    Phrase(String),
    Colon,
    Open,
    Close,
    RangeOpen(bool),
    RangeClose(bool),
    And,
    Or,
    Not,
    Plus,
    Minus,
    Compare(&'static str),
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Word { text, .. } => format!("[{text}]"),
            Token::Phrase(text) => format!("[\"{text}\"]"),
            Token::Colon => "[:]".to_string(),
            Token::Open => "[(]".to_string(),
            Token::Close => "[)]".to_string(),
            Token::RangeOpen(_) | Token::RangeClose(_) => "a range bracket".to_string(),
            Token::And => "[AND]".to_string(),
            Token::Or => "[OR]".to_string(),
            Token::Not => "[NOT]".to_string(),
            Token::Plus => "[+]".to_string(),
            Token::Minus => "[-]".to_string(),
            Token::Compare(op) => format!("[{op}]"),
        }
    }
}

fn lex(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => push(&mut tokens, &mut i, Token::Open, 1),
            ')' => push(&mut tokens, &mut i, Token::Close, 1),
            ':' => push(&mut tokens, &mut i, Token::Colon, 1),
            '[' => push(&mut tokens, &mut i, Token::RangeOpen(true), 1),
            '{' => push(&mut tokens, &mut i, Token::RangeOpen(false), 1),
            ']' => push(&mut tokens, &mut i, Token::RangeClose(true), 1),
            '}' => push(&mut tokens, &mut i, Token::RangeClose(false), 1),
            '&' if next == Some('&') => push(&mut tokens, &mut i, Token::And, 2),
            '|' if next == Some('|') => push(&mut tokens, &mut i, Token::Or, 2),
            '!' => push(&mut tokens, &mut i, Token::Not, 1),
            '+' => push(&mut tokens, &mut i, Token::Plus, 1),
            '-' => push(&mut tokens, &mut i, Token::Minus, 1),
            '>' | '<' if tokens.last() == Some(&Token::Colon) => {
                let op = match (c, next) {
                    ('>', Some('=')) => ">=",
                    ('<', Some('=')) => "<=",
                    ('>', _) => ">",
                    _ => "<",
                };
                push(&mut tokens, &mut i, Token::Compare(op), op.len());
            }
            '"' => {
                let mut phrase = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("an unclosed quote".to_string()),
                        Some('"') => break,
                        Some('\\') if i + 1 < chars.len() => {
                            phrase.push(chars[i + 1]);
                            i += 2;
                        }
                        Some(ch) => {
                            phrase.push(*ch);
                            i += 1;
                        }
                    }
                }
                i += 1;
                tokens.push(Token::Phrase(phrase));
            }
            _ => {
                let mut word = String::new();
                let mut wildcard = false;
                while i < chars.len() {
                    let ch = chars[i];
                    if ch.is_whitespace() || "():[]{}\"".contains(ch) {
                        break;
                    }
                    if ch == '\\' {
                        let escaped = chars.get(i + 1).ok_or("a trailing backslash")?;
                        word.push(*escaped);
                        i += 2;
                        continue;
                    }
                    wildcard |= ch == '*' || ch == '?';
                    word.push(ch);
                    i += 1;
                }
                tokens.push(match word.as_str() {
                    "AND" => Token::And,
                    "OR" => Token::Or,
                    "NOT" => Token::Not,
                    _ => Token::Word {
                        text: word,
                        wildcard,
                    },
                });
            }
        }
    }
    Ok(tokens)
}

fn push(tokens: &mut Vec<Token>, at: &mut usize, token: Token, width: usize) {
    tokens.push(token);
    *at += width;
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    default_fields: Vec<String>,
    and_by_default: bool,
    time_zone: Option<String>,
}

/// A clause and whether it is negated (`NOT`, `-`, `!`).
struct Item {
    clause: Value,
    negated: bool,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    /// `a OR b AND c d`: OR-separated groups of AND-joined items; juxtaposed items join
    /// with the default operator.
    fn query(&mut self) -> Result<Value, String> {
        let mut alternatives = vec![self.conjunction()?];
        loop {
            match self.peek() {
                Some(Token::Or) => {
                    self.at += 1;
                    alternatives.push(self.conjunction()?);
                }
                Some(Token::Close) | None => break,
                Some(_) if !self.and_by_default => alternatives.push(self.conjunction()?),
                Some(other) => return Err(format!("unexpected {}", other.describe())),
            }
        }
        Ok(combine(alternatives))
    }

    fn conjunction(&mut self) -> Result<Vec<Item>, String> {
        let mut items = vec![self.unary()?];
        loop {
            match self.peek() {
                Some(Token::And) => {
                    self.at += 1;
                    items.push(self.unary()?);
                }
                Some(Token::Or | Token::Close) | None => break,
                Some(_) if self.and_by_default => items.push(self.unary()?),
                Some(_) => break,
            }
        }
        Ok(items)
    }

    fn unary(&mut self) -> Result<Item, String> {
        match self.peek() {
            Some(Token::Not | Token::Minus) => {
                self.at += 1;
                let inner = self.unary()?;
                Ok(Item {
                    clause: inner.clause,
                    negated: !inner.negated,
                })
            }
            Some(Token::Plus) => {
                self.at += 1;
                self.unary()
            }
            _ => Ok(Item {
                clause: self.primary()?,
                negated: false,
            }),
        }
    }

    fn primary(&mut self) -> Result<Value, String> {
        match self.next() {
            Some(Token::Open) => {
                let inner = self.query()?;
                self.expect_close()?;
                Ok(inner)
            }
            Some(Token::Word { text, wildcard }) if self.peek() == Some(&Token::Colon) => {
                self.at += 1;
                if text == "_exists_" {
                    return match self.next() {
                        Some(Token::Word { text: field, .. }) => {
                            Ok(json!({ "exists": { "field": field } }))
                        }
                        _ => Err("[_exists_:] needs a field name".to_string()),
                    };
                }
                if wildcard {
                    return Err(format!(
                        "wildcards in field names ([{text}]) are not supported"
                    ));
                }
                self.field_value(&text)
            }
            Some(token @ (Token::Word { .. } | Token::Phrase(_))) => {
                if self.default_fields.is_empty() {
                    return Err(format!(
                        "{} has no field: write field:value, or set [default_field] (the embedded store does not search all fields)",
                        token.describe()
                    ));
                }
                let fields = self.default_fields.clone();
                let clauses: Vec<Value> = fields
                    .iter()
                    .map(|field| self.value_clause(field, &token))
                    .collect::<Result<_, _>>()?;
                Ok(any(clauses))
            }
            Some(other) => Err(format!("unexpected {}", other.describe())),
            None => Err("the query ends too early".to_string()),
        }
    }

    fn field_value(&mut self, field: &str) -> Result<Value, String> {
        match self.next() {
            Some(Token::Open) => {
                // field:(a OR b): the group's values all apply to `field`.
                let saved = std::mem::replace(&mut self.default_fields, vec![field.to_string()]);
                let inner = self.query();
                self.default_fields = saved;
                let inner = inner?;
                self.expect_close()?;
                Ok(inner)
            }
            Some(Token::RangeOpen(inclusive_low)) => self.range(field, inclusive_low),
            Some(Token::Compare(op)) => {
                let bound = match self.next() {
                    Some(Token::Word { text, .. } | Token::Phrase(text)) => text,
                    _ => return Err(format!("[{field}:{op}] needs a value")),
                };
                let key = match op {
                    ">=" => "gte",
                    ">" => "gt",
                    "<=" => "lte",
                    _ => "lt",
                };
                Ok(self.range_clause(field, [(key, bound)]))
            }
            Some(token @ (Token::Word { .. } | Token::Phrase(_))) => {
                self.value_clause(field, &token)
            }
            _ => Err(format!("[{field}:] needs a value")),
        }
    }

    fn value_clause(&self, field: &str, token: &Token) -> Result<Value, String> {
        Ok(match token {
            Token::Phrase(text) => json!({ "match_phrase": { field: text } }),
            Token::Word {
                text,
                wildcard: true,
            } if text == "*" => json!({ "exists": { "field": field } }),
            Token::Word {
                text,
                wildcard: true,
            } => json!({ "wildcard": { field: { "value": text } } }),
            Token::Word { text, .. } => {
                let as_text = json!({ "term": { field: text } });
                let typed = match text.as_str() {
                    "true" => Some(json!(true)),
                    "false" => Some(json!(false)),
                    _ => text.parse::<f64>().ok().filter(|n| n.is_finite()).map(|n| {
                        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
                    }),
                };
                match typed {
                    Some(value) if !value.is_null() => {
                        any(vec![as_text, json!({ "term": { field: value } })])
                    }
                    _ => as_text,
                }
            }
            other => return Err(format!("unexpected {}", other.describe())),
        })
    }

    fn range(&mut self, field: &str, inclusive_low: bool) -> Result<Value, String> {
        let bound = |parser: &mut Parser| match parser.next() {
            Some(Token::Word { text, .. } | Token::Phrase(text)) => Ok(text),
            _ => Err(format!("[{field}:[…]] needs two bounds: [low TO high]")),
        };
        let low = bound(self)?;
        match self.next() {
            Some(Token::Word { text, .. }) if text == "TO" => {}
            _ => return Err(format!("[{field}:[…]] needs TO between its bounds")),
        }
        let high = bound(self)?;
        let inclusive_high = match self.next() {
            Some(Token::RangeClose(inclusive)) => inclusive,
            _ => return Err(format!("[{field}:[…]] is not closed with ] or }}")),
        };
        let mut bounds = Vec::new();
        if low != "*" {
            bounds.push((if inclusive_low { "gte" } else { "gt" }, low));
        }
        if high != "*" {
            bounds.push((if inclusive_high { "lte" } else { "lt" }, high));
        }
        if bounds.is_empty() {
            return Ok(json!({ "exists": { "field": field } }));
        }
        Ok(self.range_clause(field, bounds))
    }

    fn range_clause<'b>(
        &self,
        field: &str,
        bounds: impl IntoIterator<Item = (&'b str, String)>,
    ) -> Value {
        let mut spec = Map::new();
        for (key, text) in bounds {
            let value = text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or(Value::String(text), Value::Number);
            spec.insert(key.to_string(), value);
        }
        if let Some(zone) = &self.time_zone {
            spec.insert("time_zone".to_string(), json!(zone));
        }
        json!({ "range": { field: spec } })
    }

    fn expect_close(&mut self) -> Result<(), String> {
        match self.next() {
            Some(Token::Close) => Ok(()),
            _ => Err("a parenthesis is not closed".to_string()),
        }
    }
}

/// Joins OR-alternatives, each a list of AND-joined items, into one bool clause.
fn combine(alternatives: Vec<Vec<Item>>) -> Value {
    let mut should = Vec::new();
    let mut negated_alternatives = Vec::new();
    for items in alternatives {
        if items.len() == 1 && !items[0].negated {
            should.extend(items.into_iter().map(|i| i.clause));
            continue;
        }
        let (positive, negative): (Vec<Item>, Vec<Item>) =
            items.into_iter().partition(|i| !i.negated);
        let must: Vec<Value> = positive.into_iter().map(|i| i.clause).collect();
        let must_not: Vec<Value> = negative.into_iter().map(|i| i.clause).collect();
        let clause = json!({ "bool": { "must": must, "must_not": must_not } });
        if must.is_empty() {
            negated_alternatives.push(clause);
        } else {
            should.push(clause);
        }
    }
    // Lucene: `a -b` is a AND NOT b; a group of negations alone matches everything else.
    let mut must_not = Vec::new();
    for clause in negated_alternatives {
        if let Some(list) = clause.pointer("/bool/must_not").and_then(Value::as_array) {
            must_not.extend(list.iter().cloned());
        }
    }
    if must_not.is_empty() && should.len() == 1 {
        return should.remove(0);
    }
    let mut bool_clause = Map::new();
    if !should.is_empty() {
        bool_clause.insert("should".to_string(), json!(should));
        bool_clause.insert("minimum_should_match".to_string(), json!(1));
    }
    if !must_not.is_empty() {
        bool_clause.insert("must_not".to_string(), json!(must_not));
    }
    json!({ "bool": bool_clause })
}

fn any(mut clauses: Vec<Value>) -> Value {
    if clauses.len() == 1 {
        return clauses.remove(0);
    }
    json!({ "bool": { "should": clauses, "minimum_should_match": 1 } })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dsl(query: &str) -> Value {
        to_dsl(&json!({ "query": query }), "q").unwrap()
    }

    #[test]
    fn fields_values_and_booleans() {
        assert_eq!(
            dsl("host.name:api-1"),
            json!({ "term": { "host.name": "api-1" } })
        );
        assert_eq!(
            dsl("service:api AND NOT host.name:api-2"),
            json!({ "bool": { "must": [{ "term": { "service": "api" } }], "must_not": [{ "term": { "host.name": "api-2" } }] } })
        );
        assert_eq!(
            dsl("a:x OR b:y"),
            json!({ "bool": { "should": [{ "term": { "a": "x" } }, { "term": { "b": "y" } }], "minimum_should_match": 1 } })
        );
        assert_eq!(
            dsl("status:500"),
            json!({ "bool": { "should": [{ "term": { "status": "500" } }, { "term": { "status": 500.0 } }], "minimum_should_match": 1 } })
        );
    }

    #[test]
    fn phrases_wildcards_ranges_and_exists() {
        assert_eq!(
            dsl("msg:\"disk full\""),
            json!({ "match_phrase": { "msg": "disk full" } })
        );
        assert_eq!(
            dsl("host.name:api-*"),
            json!({ "wildcard": { "host.name": { "value": "api-*" } } })
        );
        assert_eq!(dsl("path:a\\*b"), json!({ "term": { "path": "a*b" } }));
        assert_eq!(
            dsl("code:[500 TO 599}"),
            json!({ "range": { "code": { "gte": 500.0, "lt": 599.0 } } })
        );
        assert_eq!(
            dsl("code:>=500"),
            json!({ "range": { "code": { "gte": 500.0 } } })
        );
        assert_eq!(
            dsl("@timestamp:[now-1h TO *]"),
            json!({ "range": { "@timestamp": { "gte": "now-1h" } } })
        );
        assert_eq!(
            dsl("_exists_:error"),
            json!({ "exists": { "field": "error" } })
        );
    }

    #[test]
    fn field_groups_and_default_fields() {
        assert_eq!(
            dsl("host.name:(api-1 OR api-2)"),
            json!({ "bool": { "should": [{ "term": { "host.name": "api-1" } }, { "term": { "host.name": "api-2" } }], "minimum_should_match": 1 } })
        );
        let with_default = to_dsl(
            &json!({ "query": "api-1", "default_field": "host.name" }),
            "q",
        )
        .unwrap();
        assert_eq!(with_default, json!({ "term": { "host.name": "api-1" } }));
    }

    #[test]
    fn mistakes_are_named() {
        let error = |q: &str| to_dsl(&json!({ "query": q }), "q").unwrap_err().to_string();
        assert!(
            error("api-1").contains("has no field"),
            "{}",
            error("api-1")
        );
        assert!(error("a:(b").contains("not closed"));
        assert!(error("a:\"b").contains("unclosed quote"));
        assert!(error("a:[1 TO").contains("two bounds"));
    }
}
