//! A JSON scanner over a byte slice for readers that know the shape they expect: it
//! hands out object keys, strings, numbers and literals in place and skips whole values
//! it is not asked about, without building anything. It does not explain failures:
//! every method answers `None` on anything unexpected, and the caller falls back to a
//! reader that does (`serde_json`).
//!
//! Strings containing escapes are reported as unexpected rather than unescaped; the
//! fallback reader handles them.

/// Nesting deeper than this is refused rather than skipped.
const MAX_DEPTH: usize = 128;

/// What kind of value comes next.
pub(super) enum Kind {
    String,
    Number,
    Boolean,
    Other,
}

pub(super) struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scanner<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Scanner { bytes, at: 0 }
    }

    /// Whether only whitespace is left.
    pub fn at_end(&mut self) -> bool {
        self.skip_whitespace();
        self.at == self.bytes.len()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    /// The next byte that is not whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.bytes.get(self.at).copied()
    }

    /// The kind of the next value, not consumed.
    pub fn peek_kind(&mut self) -> Option<Kind> {
        Some(match self.peek()? {
            b'"' => Kind::String,
            b'-' | b'0'..=b'9' => Kind::Number,
            b't' | b'f' => Kind::Boolean,
            _ => Kind::Other,
        })
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// Calls `entry` with each key of an object (its bytes: keys are compared, not
    /// read), the scanner placed before its value; `entry` must consume the value (or
    /// `skip` it).
    pub fn object(
        &mut self,
        mut entry: impl FnMut(&mut Self, &'a [u8]) -> Option<()>,
    ) -> Option<()> {
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            let key = self.string_bytes()?;
            self.eat(b':')?;
            entry(self, key)?;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Calls `item` for each element of an array, the scanner placed before it; `item`
    /// must consume it. `item` gets the element's index.
    pub fn array(&mut self, mut item: impl FnMut(&mut Self, usize) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        if self.eat(b']').is_some() {
            return Some(());
        }
        let mut index = 0;
        loop {
            item(self, index)?;
            index += 1;
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A string without escapes, in place.
    pub fn string(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.string_bytes()?).ok()
    }

    /// The bytes of a string without escapes, in place.
    fn string_bytes(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.at;
        let length = self.bytes[start..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        self.at = start + length;
        self.eat_raw(b'"')?;
        Some(&self.bytes[start..start + length])
    }

    fn eat_raw(&mut self, byte: u8) -> Option<()> {
        (self.bytes.get(self.at) == Some(&byte)).then(|| self.at += 1)
    }

    /// The text of a number, checked against JSON's number grammar.
    pub fn number_text(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.number_bytes()?).ok()
    }

    fn number_bytes(&mut self) -> Option<&'a [u8]> {
        self.skip_whitespace();
        let start = self.at;
        self.eat_raw(b'-');
        match self.bytes.get(self.at)? {
            b'0' => self.at += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.eat_raw(b'.').is_some() {
            self.required_digits()?;
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            self.required_digits()?;
        }
        Some(&self.bytes[start..self.at])
    }

    fn digits(&mut self) {
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
    }

    fn required_digits(&mut self) -> Option<()> {
        let start = self.at;
        self.digits();
        (self.at > start).then_some(())
    }

    /// An integer written without fraction or exponent, in `T`'s range.
    pub fn integer<T: TryFrom<i128>>(&mut self) -> Option<T> {
        let text = self.number_bytes()?;
        let (negative, digits) = match text.split_first()? {
            (b'-', digits) => (true, digits),
            _ => (false, text),
        };
        // More digits than any 64-bit integer has, or a fraction or exponent: not ours.
        if digits.len() > 20 || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let magnitude = digits
            .iter()
            .fold(0i128, |n, digit| n * 10 + i128::from(digit - b'0'));
        T::try_from(if negative { -magnitude } else { magnitude }).ok()
    }

    /// A finite number, or `None` inside for `null`. (A number too large for a float is
    /// unexpected: the fallback reader refuses it.)
    pub fn nullable_f64(&mut self) -> Option<Option<f64>> {
        if self.literal("null").is_some() {
            return Some(None);
        }
        let number: f64 = self.number_text()?.parse().ok()?;
        number.is_finite().then_some(Some(number))
    }

    /// `true` or `false`.
    pub fn boolean(&mut self) -> Option<bool> {
        if self.literal("true").is_some() {
            Some(true)
        } else {
            self.literal("false").map(|()| false)
        }
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        self.skip_whitespace();
        let end = self.at + word.len();
        (self.bytes.get(self.at..end)? == word.as_bytes()).then(|| self.at = end)
    }

    /// The raw text of the next value, skipped.
    pub fn raw_value(&mut self) -> Option<&'a [u8]> {
        self.skip_whitespace();
        let start = self.at;
        self.skip()?;
        Some(&self.bytes[start..self.at])
    }

    /// Skips the next value, whatever it is, checking its grammar on the way.
    pub fn skip(&mut self) -> Option<()> {
        self.skip_nested(0)
    }

    fn skip_nested(&mut self, depth: usize) -> Option<()> {
        if depth >= MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => self.object(|scanner, _| scanner.skip_nested(depth + 1)),
            b'[' => self.array(|scanner, _| scanner.skip_nested(depth + 1)),
            b'"' => self.skip_string(),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            _ => self.number_bytes().map(|_| ()),
        }
    }

    fn skip_string(&mut self) -> Option<()> {
        self.eat_raw(b'"')?;
        loop {
            let rest = self.bytes.get(self.at..)?;
            let stop = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
            self.at += stop;
            if self.bytes[self.at] == b'"' {
                self.at += 1;
                return Some(());
            }
            // A backslash escapes the next byte (`\u` is followed by plain hex digits).
            self.at += 2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_any_value_and_stops_after_it() {
        for (text, rest) in [
            (r#"{"a":[1,2,{"b":"x\"}y"}],"c":null} ,1"#, " ,1"),
            (r#"[ true , false , -1.5e-3 , "\\" ]]"#, "]"),
            (r#""plain"x"#, "x"),
            ("0.5}", "}"),
            ("{}", ""),
            ("[]", ""),
        ] {
            let mut scanner = Scanner::new(text.as_bytes());
            assert!(scanner.skip().is_some(), "{text}");
            assert_eq!(&text[scanner.at..], rest, "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_json() {
        for text in [
            "{",
            "[1,",
            r#"{"a" 1}"#,
            "tru",
            "-",
            "1.",
            "1e",
            "01x",
            r#""open"#,
            "+1",
        ] {
            let mut scanner = Scanner::new(text.as_bytes());
            let skipped = scanner.skip();
            assert!(
                skipped.is_none() || !scanner.at_end(),
                "{text} was taken as one whole value"
            );
        }
    }

    #[test]
    fn reads_keys_numbers_and_literals_in_place() {
        let text =
            r#" { "n" : 12 , "f" : -2.5E2, "z": null, "t": true, "s": "host-1", "e": "a\"b" } "#;
        let mut scanner = Scanner::new(text.as_bytes());
        let mut seen = Vec::new();
        let read = scanner.object(|scanner, key| {
            let key = std::str::from_utf8(key).unwrap();
            let value = match key {
                "n" => scanner.integer::<i64>()?.to_string(),
                "f" | "z" => format!("{:?}", scanner.nullable_f64()?),
                "t" => scanner.boolean()?.to_string(),
                "s" => scanner.string()?.to_string(),
                _ => {
                    // Escaped strings are not read in place.
                    assert_eq!(scanner.clone_at().string(), None);
                    scanner.skip()?;
                    "skipped".to_string()
                }
            };
            seen.push(format!("{key}={value}"));
            Some(())
        });
        assert!(read.is_some());
        assert!(scanner.at_end());
        assert_eq!(
            seen,
            [
                "n=12",
                "f=Some(-250.0)",
                "z=None",
                "t=true",
                "s=host-1",
                "e=skipped"
            ]
        );
    }

    #[test]
    fn integers_refuse_fractions_and_raw_values_keep_their_text() {
        assert_eq!(Scanner::new(b"1.0").integer::<i64>(), None);
        assert_eq!(Scanner::new(b"-7").integer::<i64>(), Some(-7));
        assert_eq!(Scanner::new(b"-7").integer::<u64>(), None);
        let mut scanner = Scanner::new(br#" {"a": [1]} ,"#);
        assert_eq!(scanner.raw_value(), Some(&br#"{"a": [1]}"#[..]));
    }

    #[test]
    fn nesting_beyond_the_limit_is_refused() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(Scanner::new(deep.as_bytes()).skip(), None);
        let fine = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert_eq!(Scanner::new(fine.as_bytes()).skip(), Some(()));
    }

    impl<'a> Scanner<'a> {
        fn clone_at(&self) -> Scanner<'a> {
            Scanner {
                bytes: self.bytes,
                at: self.at,
            }
        }
    }
}
