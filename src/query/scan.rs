//! A JSON scanner over a byte slice for readers that know the shape they expect: it
//! hands out object keys, strings, numbers and literals in place and skips whole values
//! it is not asked about, without building anything. It does not explain failures:
//! every method answers `None` on anything unexpected, and the caller falls back to a
//! reader that does (`serde_json`).
//!
//! Strings containing escapes are reported as unexpected rather than unescaped; the
//! fallback reader handles them. Strings that are skipped have their escapes checked, but
//! not their UTF-8 or raw control characters: no JSON encoder writes those, and nothing
//! is read from a skipped string.

/// Nesting deeper than this is refused rather than skipped.
const MAX_DEPTH: usize = 128;

/// What kind of value comes next.
pub(super) enum Kind {
    String,
    Number,
    Boolean,
    Other,
}

/// The bytes being read and how far the reading has come. A clone reads ahead without
/// moving the original.
#[derive(Clone)]
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

    /// The next byte that is not whitespace, not consumed. (Compact answers have no
    /// whitespace: the common case is one comparison.)
    #[inline]
    fn peek(&mut self) -> Option<u8> {
        match self.bytes.get(self.at) {
            Some(&byte) if byte > b' ' => Some(byte),
            _ => {
                self.skip_whitespace();
                self.bytes.get(self.at).copied()
            }
        }
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
            if self.end_after_item(b'}')? {
                return Some(());
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
            if self.end_after_item(b']')? {
                return Some(());
            }
        }
    }

    /// After an entry or element: a comma (`false`, more follow) or the container's
    /// `close` (`true`), consumed.
    fn end_after_item(&mut self, close: u8) -> Option<bool> {
        let next = self.peek()?;
        if next != b',' && next != close {
            return None;
        }
        self.at += 1;
        Some(next == close)
    }

    /// A string without escapes, in place.
    pub fn string(&mut self) -> Option<&'a str> {
        let bytes = self.string_bytes()?;
        // Raw control characters are not JSON (keys, only compared, are not checked).
        if bytes.iter().any(|&b| b < 0x20) {
            return None;
        }
        std::str::from_utf8(bytes).ok()
    }

    /// The bytes of a string without escapes, in place.
    fn string_bytes(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.at;
        let length = quote_or_backslash(&self.bytes[start..])?;
        self.at = start + length;
        self.eat_raw(b'"')?;
        Some(&self.bytes[start..start + length])
    }

    /// Consumes `literal` when the bytes at hand are exactly it (no whitespace skipped):
    /// the way to step over keys and punctuation of a compact answer in one comparison.
    pub fn eat_literal(&mut self, literal: &[u8]) -> bool {
        let matches = self
            .bytes
            .get(self.at..self.at + literal.len())
            .is_some_and(|bytes| bytes == literal);
        if matches {
            self.at += literal.len();
        }
        matches
    }

    /// Skips a string without escapes (compact answers' `key_as_string`).
    pub fn skip_plain_string(&mut self) -> Option<()> {
        self.string_bytes().map(|_| ())
    }

    fn eat_raw(&mut self, byte: u8) -> Option<()> {
        (self.bytes.get(self.at) == Some(&byte)).then(|| self.at += 1)
    }

    /// The text of a number, checked against JSON's number grammar.
    pub fn number_text(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.number()?.text).ok()
    }

    /// A number checked against JSON's number grammar, its digits gathered on the way
    /// so that most numbers need no second look.
    fn number(&mut self) -> Option<Number<'a>> {
        self.skip_whitespace();
        let start = self.at;
        let negative = self.eat_raw(b'-').is_some();
        let mut digits = Digits::default();
        match self.bytes.get(self.at)? {
            b'0' => self.at += 1,
            b'1'..=b'9' => {
                self.gather_digits(&mut digits);
            }
            _ => return None,
        }
        let mut integral = true;
        let mut exponent: i64 = 0;
        if self.eat_raw(b'.').is_some() {
            integral = false;
            let fraction = self.gather_digits(&mut digits);
            if fraction == 0 {
                return None;
            }
            exponent = -(fraction as i64);
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            integral = false;
            self.at += 1;
            let sign = match self.bytes.get(self.at) {
                Some(b'-') => -1,
                Some(b'+') => 1,
                _ => 0,
            };
            if sign != 0 {
                self.at += 1;
            }
            let written_start = self.at;
            let mut written: i64 = 0;
            while let Some(&byte @ b'0'..=b'9') = self.bytes.get(self.at) {
                // Beyond any float's range either way; the full parser decides.
                written = (written * 10 + i64::from(byte - b'0')).min(1 << 20);
                self.at += 1;
            }
            if self.at == written_start {
                return None;
            }
            exponent += if sign < 0 { -written } else { written };
        }
        Some(Number {
            text: &self.bytes[start..self.at],
            negative,
            mantissa: (!digits.overflowed).then_some(digits.mantissa),
            exponent,
            integral,
        })
    }

    /// Consumes a run of digits into `digits`; answers how many there were.
    #[inline]
    fn gather_digits(&mut self, digits: &mut Digits) -> usize {
        // Locals, not fields, so that the loop runs in registers.
        let bytes = self.bytes;
        let start = self.at;
        let mut at = start;
        let mut gathered = *digits;
        while let Some(&byte) = bytes.get(at) {
            let digit = byte.wrapping_sub(b'0');
            if digit > 9 {
                break;
            }
            gathered.push(digit);
            at += 1;
        }
        *digits = gathered;
        self.at = at;
        at - start
    }

    /// An integer written without fraction or exponent, in `T`'s range. `-0` is not one:
    /// the fallback reader takes it for the float -0.0, as `serde_json` does.
    pub fn integer<T: TryFrom<i128>>(&mut self) -> Option<T> {
        let number = self.number()?;
        if !number.integral {
            return None;
        }
        let magnitude = match number.mantissa {
            Some(mantissa) => i128::from(mantissa),
            // More digits than the gathering keeps: at most one more is worth reading.
            None => {
                let digits = &number.text[usize::from(number.negative)..];
                if digits.len() > 20 {
                    return None;
                }
                std::str::from_utf8(digits).ok()?.parse::<i128>().ok()?
            }
        };
        match (number.negative, magnitude) {
            (true, 0) => None,
            (true, _) => T::try_from(-magnitude).ok(),
            (false, _) => T::try_from(magnitude).ok(),
        }
    }

    /// A finite number, or `None` inside for `null`. (A number too large for a float is
    /// unexpected: the fallback reader refuses it.)
    pub fn nullable_f64(&mut self) -> Option<Option<f64>> {
        if self.peek()? == b'n' {
            return self.literal("null").map(|()| None);
        }
        let number = self.number()?;
        let value = match number.exact() {
            Some(value) => value,
            None => std::str::from_utf8(number.text).ok()?.parse().ok()?,
        };
        value.is_finite().then_some(Some(value))
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
            _ => self.number().map(|_| ()),
        }
    }

    fn skip_string(&mut self) -> Option<()> {
        self.eat_raw(b'"')?;
        loop {
            let rest = self.bytes.get(self.at..)?;
            let stop = quote_or_backslash(rest)?;
            self.at += stop;
            if self.bytes[self.at] == b'"' {
                self.at += 1;
                return Some(());
            }
            self.skip_escape()?;
        }
    }

    /// Steps over one escape at the backslash, if JSON has it: `\"`, `\\`, `\/`, `\b`,
    /// `\f`, `\n`, `\r`, `\t`, or `\u` and four hex digits.
    fn skip_escape(&mut self) -> Option<()> {
        let length = match self.bytes.get(self.at + 1)? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => 2,
            b'u' => {
                let digits = self.bytes.get(self.at + 2..self.at + 6)?;
                digits.iter().all(u8::is_ascii_hexdigit).then_some(6)?
            }
            _ => return None,
        };
        self.at += length;
        Some(())
    }
}

/// Where the first `"` or `\\` in `bytes` is. Eight bytes at a time: strings in answers
/// are short keys and labels, too short for vector search to pay off.
fn quote_or_backslash(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // The lowest byte of `word` that is zero gets its high bit set (bytes above it may
    // be wrong, which the lowest-first search never looks at).
    let zero_bytes = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in chunks.by_ref() {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let hits = zero_bytes(word ^ u64::from_ne_bytes([b'"'; 8]))
            | zero_bytes(word ^ u64::from_ne_bytes([b'\\'; 8]));
        if hits != 0 {
            return Some(offset + hits.trailing_zeros() as usize / 8);
        }
        offset += 8;
    }
    let rest = chunks.remainder();
    let at = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
    Some(offset + at)
}

/// Up to 19 decimal digits, exactly; more only mark it overflowed. (Leading zeros count
/// too: a long zero-padded fraction goes to the full parser, which is only slower.)
#[derive(Default, Clone, Copy)]
struct Digits {
    mantissa: u64,
    count: u32,
    overflowed: bool,
}

impl Digits {
    #[inline]
    fn push(&mut self, digit: u8) {
        self.count += 1;
        if self.count > 19 {
            self.overflowed = true;
        } else {
            self.mantissa = self.mantissa * 10 + u64::from(digit);
        }
    }
}

/// A number as scanned: its text, and its value as `±mantissa × 10^exponent` when it has
/// at most 19 digits.
struct Number<'a> {
    text: &'a [u8],
    negative: bool,
    mantissa: Option<u64>,
    exponent: i64,
    /// Written without fraction or exponent.
    integral: bool,
}

impl Number<'_> {
    /// A decimal whose digits fit a float's 53-bit mantissa and whose exponent is at most
    /// 22 either way is one correctly rounded multiplication or division of two exact
    /// floats (Clinger's fast path); others are left to the full parser.
    fn exact(&self) -> Option<f64> {
        const POWERS: [f64; 23] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        ];
        let mantissa = self.mantissa.filter(|&m| m < 1 << 53)?;
        let power = *POWERS.get(usize::try_from(self.exponent.unsigned_abs()).ok()?)?;
        let magnitude = if self.exponent < 0 {
            mantissa as f64 / power
        } else {
            mantissa as f64 * power
        };
        Some(if self.negative { -magnitude } else { magnitude })
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
            (r#""\/\b\f\n\r\t\u00e9\uD83D\uDE00"x"#, "x"),
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
            r#""\7""#,
            r#""\x41""#,
            r#""\u12G4""#,
            r#""\u12""#,
            r#""\"#,
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
        assert_eq!(Scanner::new(b"-0").integer::<i64>(), None);
        assert_eq!(Scanner::new(b"-0").integer::<u64>(), None);
        assert_eq!(Scanner::new(b"0").integer::<u64>(), Some(0));
        let mut scanner = Scanner::new(br#" {"a": [1]} ,"#);
        assert_eq!(scanner.raw_value(), Some(&br#"{"a": [1]}"#[..]));
    }

    #[test]
    fn quotes_and_backslashes_are_found_at_any_offset() {
        for length in 0..40 {
            for stop in [b'"', b'\\'] {
                let mut text = vec![b'a'; length];
                text.push(stop);
                text.extend_from_slice(b"x\"y");
                assert_eq!(quote_or_backslash(&text), Some(length), "{length}");
            }
            // Bytes one off either stop are not stops.
            assert_eq!(quote_or_backslash(&vec![b'!'; length]), None);
            assert_eq!(quote_or_backslash(&vec![b'#'; length]), None);
            assert_eq!(quote_or_backslash(&vec![b'['; length]), None);
        }
    }

    /// The fast decimal path gives exactly the correctly rounded value the full parser
    /// gives, and leaves what it cannot do exactly to it.
    #[test]
    fn exact_decimals_equal_the_full_parse() {
        let mut texts: Vec<String> = [
            "0",
            "-0",
            "0.0",
            "1228200000.0",
            "-1.5e-7",
            "12",
            "3.14159",
            "1e22",
            "1e-22",
            "9007199254740991",
            "0.1",
            "0.30000000000000004",
            "1.7976931348623157e308",
            "123456789012345678",
            "4.9e-324",
            "2.5E+3",
            "00.5",
            "1e23",
            "9007199254740993",
        ]
        .iter()
        .map(|t| t.to_string())
        .collect();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let mantissa = state >> (11 + state % 40);
            let exponent = (state >> 3) % 50;
            texts.push(format!("{mantissa}e-{exponent}"));
            texts.push(format!("{}.{}", mantissa / 1000, mantissa % 1000));
        }
        for text in &texts {
            let full: f64 = text.parse().unwrap();
            if let Some(fast) = exact_decimal(text.as_bytes()) {
                assert_eq!(fast.to_bits(), full.to_bits(), "{text}");
            }
            let mut scanner = Scanner::new(text.as_bytes());
            if full.is_finite() && !text.starts_with("00") {
                assert_eq!(
                    scanner.nullable_f64().map(|v| v.map(f64::to_bits)),
                    Some(Some(full.to_bits())),
                    "{text}"
                );
            }
        }
        assert_eq!(exact_decimal(b"1e23"), None, "beyond 10^22");
        assert_eq!(exact_decimal(b"9007199254740993"), None, "beyond 2^53");
    }

    /// Numbers keep their text, and their digits when there are at most 19.
    #[test]
    fn numbers_gather_their_digits() {
        for text in [
            "1795131900000,",
            "99999999999999999999",
            "123",
            "0.000000001234567",
        ] {
            let mut scanner = Scanner::new(text.as_bytes());
            let number = scanner.number().unwrap();
            assert_eq!(number.text, text.trim_end_matches(',').as_bytes());
            let digits: String = text.chars().filter(char::is_ascii_digit).collect();
            match digits.len() {
                0..=19 => assert_eq!(number.mantissa, Some(digits.parse().unwrap()), "{text}"),
                _ => assert_eq!(number.mantissa, None, "{text}"),
            }
        }
    }

    #[test]
    fn nesting_beyond_the_limit_is_refused() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(Scanner::new(deep.as_bytes()).skip(), None);
        let fine = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert_eq!(Scanner::new(fine.as_bytes()).skip(), Some(()));
    }

    /// The fast decimal path alone, on a whole text.
    fn exact_decimal(text: &[u8]) -> Option<f64> {
        let mut scanner = Scanner::new(text);
        let number = scanner.number()?;
        scanner.at_end().then(|| number.exact())?
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
