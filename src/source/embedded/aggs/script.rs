//! `bucket_script`: a value computed per bucket from other aggregations of that bucket,
//! e.g. the share of 5xx responses, `params.errors / params.total`.
//!
//! Scripts are Painless in Elasticsearch; the store evaluates the arithmetic subset such
//! ratios need — numbers, `params.name`, `+ - * / %`, parentheses, unary minus and
//! `Math.abs/min/max/sqrt/log/pow` — and refuses anything else by name. Like Elasticsearch,
//! a bucket where a path has no value is skipped (`gap_policy: skip`) or reads it as 0
//! (`insert_zeros`), and a result that is not a finite number is shown as null.

use serde_json::{Map, Value};

use super::super::error::StoreError;
use super::super::reply::{self, Reply};
use super::{body_object, paths};

pub struct BucketScript {
    /// Script variable → buckets path.
    paths: Vec<(String, String)>,
    constants: Map<String, Value>,
    expression: Expr,
    insert_zeros: bool,
}

impl BucketScript {
    pub fn parse(body: &Value, path: &str) -> Result<BucketScript, StoreError> {
        let object = body_object(body, path)?;
        let mut paths_by_name = Vec::new();
        let mut source = None;
        let mut constants = Map::new();
        let mut insert_zeros = false;
        for (key, value) in object {
            match key.as_str() {
                "buckets_path" => {
                    let map = value.as_object().ok_or_else(|| {
                        StoreError::parsing(
                            path,
                            "[buckets_path] must map script variables to paths",
                        )
                    })?;
                    for (name, bucket_path) in map {
                        let bucket_path = bucket_path
                            .as_str()
                            .filter(|p| paths::is_well_formed(p))
                            .ok_or_else(|| {
                                StoreError::parsing(
                                    path,
                                    format!(
                                        "[buckets_path.{name}] must be a path such as errors>_count"
                                    ),
                                )
                            })?;
                        paths_by_name.push((name.clone(), bucket_path.to_string()));
                    }
                }
                "script" => match value {
                    Value::String(text) => source = Some(text.clone()),
                    Value::Object(script) => {
                        for (key, value) in script {
                            match (key.as_str(), value) {
                                ("source" | "inline", Value::String(text)) => {
                                    source = Some(text.clone())
                                }
                                ("lang", Value::String(lang))
                                    if lang == "painless" || lang == "expression" => {}
                                ("params", Value::Object(params)) => constants = params.clone(),
                                (other, _) => {
                                    return Err(StoreError::unsupported(
                                        path,
                                        format!("script option [{other}]"),
                                    ));
                                }
                            }
                        }
                    }
                    _ => {
                        return Err(StoreError::parsing(
                            path,
                            "[script] must be a string or an object",
                        ));
                    }
                },
                "gap_policy" => match value.as_str() {
                    Some("skip") => insert_zeros = false,
                    Some("insert_zeros") => insert_zeros = true,
                    _ => {
                        return Err(StoreError::parsing(
                            path,
                            format!("unknown [gap_policy] {value}: expected skip or insert_zeros"),
                        ));
                    }
                },
                other => {
                    return Err(StoreError::unsupported(
                        path,
                        format!("bucket_script option [{other}]"),
                    ));
                }
            }
        }
        let source =
            source.ok_or_else(|| StoreError::parsing(path, "bucket_script needs a [script]"))?;
        if paths_by_name.is_empty() {
            return Err(StoreError::parsing(
                path,
                "bucket_script needs a [buckets_path]",
            ));
        }
        let expression = Parser::new(&source).parse().map_err(|reason| {
            StoreError::unsupported(path, format!("script [{source}]: {reason}"))
        })?;
        Ok(BucketScript {
            paths: paths_by_name,
            constants,
            expression,
            insert_zeros,
        })
    }

    /// The script's `{"value": …}` for a bucket, or `None` when a gap skips it.
    pub fn evaluate(
        &self,
        bucket: &reply::Fields,
        doc_count: u64,
    ) -> Result<Option<Reply>, StoreError> {
        let mut variables: Vec<(&str, f64)> = Vec::with_capacity(self.paths.len());
        for (name, path) in &self.paths {
            match paths::resolve(bucket, doc_count, path).filter(|v| !v.is_nan()) {
                Some(value) => variables.push((name, value)),
                None if self.insert_zeros => variables.push((name, 0.0)),
                None => return Ok(None),
            }
        }
        let lookup = |name: &str| {
            variables
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| *v)
                .or_else(|| self.constants.get(name).and_then(Value::as_f64))
        };
        let value = self.expression.evaluate(&lookup)?;
        Ok(Some(Reply::object([(
            "value",
            Reply::number(value.filter(|v| v.is_finite())),
        )])))
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Number(f64),
    Param(String),
    Negate(Box<Expr>),
    Binary(char, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
}

impl Expr {
    /// `Ok(None)` when a parameter is unknown to this bucket.
    fn evaluate(&self, lookup: &dyn Fn(&str) -> Option<f64>) -> Result<Option<f64>, StoreError> {
        Ok(Some(match self {
            Expr::Number(n) => *n,
            Expr::Param(name) => match lookup(name) {
                Some(v) => v,
                None => {
                    return Err(StoreError::parsing(
                        "bucket_script",
                        format!(
                            "the script reads params.{name}, which is neither in [buckets_path] nor in the script's params"
                        ),
                    ));
                }
            },
            Expr::Negate(inner) => match inner.evaluate(lookup)? {
                Some(v) => -v,
                None => return Ok(None),
            },
            Expr::Binary(op, left, right) => {
                let (Some(a), Some(b)) = (left.evaluate(lookup)?, right.evaluate(lookup)?) else {
                    return Ok(None);
                };
                match op {
                    '+' => a + b,
                    '-' => a - b,
                    '*' => a * b,
                    '/' => a / b,
                    _ => a % b,
                }
            }
            Expr::Call(name, args) => {
                let mut values = Vec::with_capacity(args.len());
                for arg in args {
                    match arg.evaluate(lookup)? {
                        Some(v) => values.push(v),
                        None => return Ok(None),
                    }
                }
                match (name.as_str(), values.as_slice()) {
                    ("abs", [x]) => x.abs(),
                    ("sqrt", [x]) => x.sqrt(),
                    ("log", [x]) => x.ln(),
                    ("min", [x, y]) => x.min(*y),
                    ("max", [x, y]) => x.max(*y),
                    ("pow", [x, y]) => x.powf(*y),
                    _ => {
                        return Err(StoreError::parsing(
                            "bucket_script",
                            format!("Math.{name} does not take {} arguments", values.len()),
                        ));
                    }
                }
            }
        }))
    }
}

/// A recursive-descent parser for the arithmetic subset.
struct Parser<'s> {
    text: &'s str,
    at: usize,
}

impl<'s> Parser<'s> {
    fn new(text: &'s str) -> Self {
        let text = text.trim();
        let text = text.strip_prefix("return ").unwrap_or(text);
        let text = text.strip_suffix(';').unwrap_or(text);
        Parser { text, at: 0 }
    }

    fn parse(mut self) -> Result<Expr, String> {
        let expr = self.sum()?;
        self.skip_space();
        match self.peek() {
            None => Ok(expr),
            Some(c) => Err(format!(
                "unexpected [{c}] at character {}; supported: numbers, params.name, + - * / %, parentheses, Math.abs/min/max/sqrt/log/pow",
                self.at + 1
            )),
        }
    }

    fn sum(&mut self) -> Result<Expr, String> {
        let mut left = self.product()?;
        while let Some(op @ ('+' | '-')) = self.peek_token() {
            self.at += 1;
            left = Expr::Binary(op, Box::new(left), Box::new(self.product()?));
        }
        Ok(left)
    }

    fn product(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        while let Some(op @ ('*' | '/' | '%')) = self.peek_token() {
            self.at += 1;
            left = Expr::Binary(op, Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        match self.peek_token() {
            Some('-') => {
                self.at += 1;
                Ok(Expr::Negate(Box::new(self.unary()?)))
            }
            Some('(') => {
                self.at += 1;
                let inner = self.sum()?;
                self.expect(')')?;
                Ok(inner)
            }
            Some(c) if c.is_ascii_digit() || c == '.' => self.number(),
            Some(c) if c.is_ascii_alphabetic() => self.name(),
            Some(c) => Err(format!("unexpected [{c}] at character {}", self.at + 1)),
            None => Err("the script ends too early".to_string()),
        }
    }

    fn number(&mut self) -> Result<Expr, String> {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || c == '.' || c == 'e' || c == 'E')
        {
            self.at += 1;
        }
        let text = &self.text[start..self.at];
        text.parse()
            .map(Expr::Number)
            .map_err(|_| format!("[{text}] is not a number"))
    }

    fn name(&mut self) -> Result<Expr, String> {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            self.at += 1;
        }
        let name = &self.text[start..self.at];
        if let Some(param) = name.strip_prefix("params.") {
            return Ok(Expr::Param(param.to_string()));
        }
        if let Some(function) = name.strip_prefix("Math.") {
            self.expect('(')?;
            let mut args = vec![self.sum()?];
            while self.peek_token() == Some(',') {
                self.at += 1;
                args.push(self.sum()?);
            }
            self.expect(')')?;
            if !["abs", "sqrt", "log", "min", "max", "pow"].contains(&function) {
                return Err(format!("Math.{function} is not supported"));
            }
            return Ok(Expr::Call(function.to_string(), args));
        }
        Err(format!(
            "[{name}] is not supported; read values with params.name"
        ))
    }

    fn expect(&mut self, wanted: char) -> Result<(), String> {
        if self.peek_token() == Some(wanted) {
            self.at += 1;
            Ok(())
        } else {
            Err(format!("expected [{wanted}] at character {}", self.at + 1))
        }
    }

    fn peek_token(&mut self) -> Option<char> {
        self.skip_space();
        self.peek()
    }

    fn peek(&self) -> Option<char> {
        self.text[self.at..].chars().next()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(script: &str, a: f64, b: f64) -> Option<f64> {
        let expr = Parser::new(script).parse().unwrap();
        let lookup = |name: &str| match name {
            "a" => Some(a),
            "b" => Some(b),
            _ => None,
        };
        expr.evaluate(&lookup).unwrap()
    }

    #[test]
    fn arithmetic_follows_precedence_and_parentheses() {
        assert_eq!(run("params.a / params.b * 100", 1.0, 4.0), Some(25.0));
        assert_eq!(run("params.a - params.b * 2", 10.0, 3.0), Some(4.0));
        assert_eq!(run("(params.a - params.b) * 2", 10.0, 3.0), Some(14.0));
        assert_eq!(run("return -params.a + 1.5;", 1.0, 0.0), Some(0.5));
        assert_eq!(run("Math.max(params.a, params.b) % 4", 7.0, 3.0), Some(3.0));
    }

    #[test]
    fn anything_else_is_refused_with_a_reason() {
        assert!(
            Parser::new("params.a > 1 ? 1 : 0")
                .parse()
                .unwrap_err()
                .contains("unexpected [>]")
        );
        assert!(
            Parser::new("doc['x'].value")
                .parse()
                .unwrap_err()
                .contains("params.name")
        );
        assert!(Parser::new("Math.random()").parse().is_err());
    }

    #[test]
    fn gaps_skip_or_insert_zeros() {
        let body = json!({ "buckets_path": { "e": "errors>_count", "t": "_count" }, "script": "params.e / params.t" });
        let script = BucketScript::parse(&body, "x").unwrap();
        let bucket = Reply::from(&json!({ "errors": { "doc_count": 2 } }));
        let bucket = bucket.as_fields().unwrap();
        let evaluate = |bucket, doc_count| {
            script
                .evaluate(bucket, doc_count)
                .unwrap()
                .map(Reply::into_value)
        };
        assert_eq!(evaluate(bucket, 8), Some(json!({ "value": 0.25 })));
        assert_eq!(evaluate(bucket, 0), Some(json!({ "value": null })));
        let missing = reply::Fields::new();
        assert_eq!(evaluate(&missing, 8), None);
        let zeros = json!({ "buckets_path": { "e": "errors>_count" }, "script": "params.e + 1", "gap_policy": "insert_zeros" });
        let zeros = BucketScript::parse(&zeros, "x").unwrap();
        assert_eq!(
            zeros.evaluate(&missing, 8).unwrap().map(Reply::into_value),
            Some(json!({ "value": 1.0 }))
        );
    }
}
