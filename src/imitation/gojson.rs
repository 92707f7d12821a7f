//! Decoding the POST device body the way Go's `json.Decoder` does, down to its error text:
//! the first JSON value is read (trailing data ignored), syntax errors carry the scanner's
//! wording, type errors name `ExternalAuthDeviceExchange.device_code`, keys match
//! case-insensitively and unknown keys are ignored.

/// Go's nesting limit (`maxNestingDepth` in encoding/json).
const MAX_DEPTH: usize = 10_000;

const TARGET: &str = "codersdk.ExternalAuthDeviceExchange";

/// The `device_code` of an `ExternalAuthDeviceExchange` body, or the Go error text.
pub(crate) fn decode_device_exchange(body: &[u8]) -> Result<String, String> {
    let start = skip_ws(body, 0);
    if start == body.len() {
        return Err("EOF".to_owned());
    }
    match scan_value(body, start) {
        Ok(_) => {}
        Err(Scan::UnexpectedEof) => return Err("unexpected EOF".to_owned()),
        Err(Scan::Syntax(message)) => return Err(message),
    }
    match body[start] {
        b'{' => Ok(object_fields(body, start)?),
        b'n' => Ok(String::new()),
        other => Err(format!(
            "json: cannot unmarshal {} into Go value of type {TARGET}",
            kind_name(other)
        )),
    }
}

/// Go's `UnmarshalTypeError.Value` for a value starting with this byte.
fn kind_name(first: u8) -> &'static str {
    match first {
        b'"' => "string",
        b'[' => "array",
        b'{' => "object",
        b't' | b'f' => "bool",
        _ => "number",
    }
}

/// Walks an object already known to be well-formed and applies it to the struct.
fn object_fields(body: &[u8], start: usize) -> Result<String, String> {
    let mut code = String::new();
    let mut first_error = None;
    let mut pos = skip_ws(body, start + 1);
    if body[pos] == b'}' {
        return Ok(code);
    }
    loop {
        let (key, after_key) = decode_string(body, pos);
        pos = skip_ws(body, after_key);
        pos = skip_ws(body, pos + 1); // ':'
        let value_start = pos;
        let value_end = match scan_value(body, value_start) {
            Ok(end) => end,
            Err(_) => unreachable!("the whole value was scanned already"),
        };
        if matches_field(&key) {
            match body[value_start] {
                b'"' => code = decode_string(body, value_start).0,
                b'n' => {}
                other => {
                    // Go keeps decoding and reports the first type error at the end.
                    first_error.get_or_insert_with(|| {
                        format!(
                            "json: cannot unmarshal {} into Go struct field ExternalAuthDeviceExchange.device_code of type string",
                            kind_name(other)
                        )
                    });
                }
            }
        }
        pos = skip_ws(body, value_end);
        if body[pos] == b'}' {
            break;
        }
        pos = skip_ws(body, pos + 1); // ','
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(code),
    }
}

/// Go matches a key to `device_code` exactly or by Unicode case folding.
fn matches_field(key: &str) -> bool {
    const FIELD: &str = "device_code";
    if key == FIELD {
        return true;
    }
    let fold = |c: char| {
        let lower = c.to_lowercase().next().unwrap_or(c);
        lower.to_uppercase().next().unwrap_or(lower)
    };
    key.chars().count() == FIELD.len() && key.chars().map(fold).eq(FIELD.chars().map(fold))
}

/// Decodes the string literal at `pos` (known to be valid); returns it and the index after it.
/// Bad UTF-8 and lone surrogates become U+FFFD, as in Go.
fn decode_string(body: &[u8], pos: usize) -> (String, usize) {
    let mut bytes = Vec::new();
    let mut i = pos + 1;
    let mut pending_high: Option<u16> = None;
    let push_char = |bytes: &mut Vec<u8>, c: char| {
        let mut buf = [0u8; 4];
        bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    };
    loop {
        let b = body[i];
        // A high surrogate not followed by another \u escape stands alone: U+FFFD.
        if (b != b'\\' || body[i + 1] != b'u') && pending_high.take().is_some() {
            push_char(&mut bytes, char::REPLACEMENT_CHARACTER);
        }
        match b {
            b'"' => return (String::from_utf8_lossy(&bytes).into_owned(), i + 1),
            b'\\' => {
                let escaped = body[i + 1];
                i += 2;
                let simple = match escaped {
                    b'b' => Some(b'\x08'),
                    b'f' => Some(b'\x0c'),
                    b'n' => Some(b'\n'),
                    b'r' => Some(b'\r'),
                    b't' => Some(b'\t'),
                    b'u' => None,
                    other => Some(other),
                };
                if let Some(byte) = simple {
                    bytes.push(byte);
                    continue;
                }
                let hex = std::str::from_utf8(&body[i..i + 4]).unwrap_or("0000");
                let unit = u16::from_str_radix(hex, 16).unwrap_or(0xFFFD);
                i += 4;
                match (pending_high.take(), unit) {
                    (Some(high), 0xDC00..=0xDFFF) => {
                        let c = 0x10000
                            + ((u32::from(high) - 0xD800) << 10)
                            + (u32::from(unit) - 0xDC00);
                        push_char(
                            &mut bytes,
                            char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER),
                        );
                    }
                    (previous, 0xD800..=0xDBFF) => {
                        if previous.is_some() {
                            push_char(&mut bytes, char::REPLACEMENT_CHARACTER);
                        }
                        pending_high = Some(unit);
                    }
                    (previous, _) => {
                        if previous.is_some() {
                            push_char(&mut bytes, char::REPLACEMENT_CHARACTER);
                        }
                        push_char(
                            &mut bytes,
                            char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER),
                        );
                    }
                }
            }
            other => {
                bytes.push(other);
                i += 1;
            }
        }
    }
}

fn skip_ws(body: &[u8], mut pos: usize) -> usize {
    while pos < body.len() && matches!(body[pos], b' ' | b'\t' | b'\n' | b'\r') {
        pos += 1;
    }
    pos
}

/// Why a scan stopped.
#[derive(Debug, PartialEq)]
enum Scan {
    UnexpectedEof,
    Syntax(String),
}

/// Go's `SyntaxError` text: `invalid character 'x' <context>`.
fn syntax(c: u8, context: &str) -> Scan {
    Scan::Syntax(format!("invalid character {} {context}", quote_char(c)))
}

/// Go's `quoteChar`: the byte as a rune in single quotes, escaped like `strconv.Quote`.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => r"'\''".to_owned(),
        b'"' => r#"'"'"#.to_owned(),
        b'\\' => r"'\\'".to_owned(),
        0x07 => r"'\a'".to_owned(),
        0x08 => r"'\b'".to_owned(),
        0x0c => r"'\f'".to_owned(),
        b'\n' => r"'\n'".to_owned(),
        b'\r' => r"'\r'".to_owned(),
        b'\t' => r"'\t'".to_owned(),
        0x0b => r"'\v'".to_owned(),
        0x00..=0x1f | 0x7f => format!(r"'\x{c:02x}'"),
        0x20..=0x7e => format!("'{}'", c as char),
        // Go converts the byte to the rune U+00XX; non-printable ones are \u-escaped.
        0x80..=0xa0 | 0xad => format!(r"'\u{c:04x}'"),
        _ => format!("'{}'", char::from(c)),
    }
}

/// Scans one JSON value starting at `pos` (no leading whitespace) with Go's scanner rules and
/// returns the index just after it. Iterative, so deep nesting cannot overflow the stack.
fn scan_value(body: &[u8], mut pos: usize) -> Result<usize, Scan> {
    // true = inside an object, false = inside an array.
    let mut stack: Vec<bool> = Vec::new();
    let peek = |pos: usize| body.get(pos).copied().ok_or(Scan::UnexpectedEof);
    'value: loop {
        pos = skip_ws(body, pos);
        let c = peek(pos)?;
        match c {
            b'{' | b'[' => {
                stack.push(c == b'{');
                if stack.len() > MAX_DEPTH {
                    return Err(syntax(c, "exceeded max depth"));
                }
                pos = skip_ws(body, pos + 1);
                let close = if c == b'{' { b'}' } else { b']' };
                if peek(pos)? == close {
                    pos += 1;
                    stack.pop();
                } else if c == b'{' {
                    pos = scan_key(body, pos)?;
                    continue 'value;
                } else {
                    continue 'value;
                }
            }
            b'"' => pos = scan_string(body, pos)?,
            b'-' | b'0'..=b'9' => pos = scan_number(body, pos)?,
            b't' => pos = scan_literal(body, pos, b"true")?,
            b'f' => pos = scan_literal(body, pos, b"false")?,
            b'n' => pos = scan_literal(body, pos, b"null")?,
            _ => return Err(syntax(c, "looking for beginning of value")),
        }
        // A value ended: climb out of every container it closes.
        loop {
            let Some(&in_object) = stack.last() else {
                return Ok(pos);
            };
            pos = skip_ws(body, pos);
            let c = peek(pos)?;
            match (in_object, c) {
                (true, b',') => {
                    pos = scan_key(body, skip_ws(body, pos + 1))?;
                    continue 'value;
                }
                (false, b',') => {
                    pos += 1;
                    continue 'value;
                }
                (true, b'}') | (false, b']') => {
                    pos += 1;
                    stack.pop();
                }
                (true, _) => return Err(syntax(c, "after object key:value pair")),
                (false, _) => return Err(syntax(c, "after array element")),
            }
        }
    }
}

/// An object key and its colon; returns the index after the colon.
fn scan_key(body: &[u8], pos: usize) -> Result<usize, Scan> {
    let c = body.get(pos).copied().ok_or(Scan::UnexpectedEof)?;
    if c != b'"' {
        return Err(syntax(c, "looking for beginning of object key string"));
    }
    let pos = skip_ws(body, scan_string(body, pos)?);
    match body.get(pos) {
        None => Err(Scan::UnexpectedEof),
        Some(b':') => Ok(pos + 1),
        Some(&c) => Err(syntax(c, "after object key")),
    }
}

fn scan_string(body: &[u8], mut pos: usize) -> Result<usize, Scan> {
    pos += 1;
    loop {
        let c = body.get(pos).copied().ok_or(Scan::UnexpectedEof)?;
        match c {
            b'"' => return Ok(pos + 1),
            b'\\' => {
                let e = body.get(pos + 1).copied().ok_or(Scan::UnexpectedEof)?;
                match e {
                    b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => pos += 2,
                    b'u' => {
                        for k in 0..4 {
                            let h = body.get(pos + 2 + k).copied().ok_or(Scan::UnexpectedEof)?;
                            if !h.is_ascii_hexdigit() {
                                return Err(syntax(h, "in \\u hexadecimal character escape"));
                            }
                        }
                        pos += 6;
                    }
                    _ => return Err(syntax(e, "in string escape code")),
                }
            }
            0x00..=0x1f => return Err(syntax(c, "in string literal")),
            _ => pos += 1,
        }
    }
}

fn scan_number(body: &[u8], mut pos: usize) -> Result<usize, Scan> {
    let at = |pos: usize| body.get(pos).copied();
    if at(pos) == Some(b'-') {
        pos += 1;
        match at(pos) {
            None => return Err(Scan::UnexpectedEof),
            Some(b'0'..=b'9') => {}
            Some(c) => return Err(syntax(c, "in numeric literal")),
        }
    }
    if at(pos) == Some(b'0') {
        pos += 1;
    } else {
        while matches!(at(pos), Some(b'0'..=b'9')) {
            pos += 1;
        }
    }
    if at(pos) == Some(b'.') {
        pos += 1;
        match at(pos) {
            None => return Err(Scan::UnexpectedEof),
            Some(b'0'..=b'9') => {}
            Some(c) => return Err(syntax(c, "after decimal point in numeric literal")),
        }
        while matches!(at(pos), Some(b'0'..=b'9')) {
            pos += 1;
        }
    }
    if matches!(at(pos), Some(b'e' | b'E')) {
        pos += 1;
        if matches!(at(pos), Some(b'+' | b'-')) {
            pos += 1;
        }
        match at(pos) {
            None => return Err(Scan::UnexpectedEof),
            Some(b'0'..=b'9') => {}
            Some(c) => return Err(syntax(c, "in exponent of numeric literal")),
        }
        while matches!(at(pos), Some(b'0'..=b'9')) {
            pos += 1;
        }
    }
    Ok(pos)
}

fn scan_literal(body: &[u8], pos: usize, word: &[u8]) -> Result<usize, Scan> {
    let name = std::str::from_utf8(word).unwrap_or_default();
    for (k, &want) in word.iter().enumerate().skip(1) {
        let c = body.get(pos + k).copied().ok_or(Scan::UnexpectedEof)?;
        if c != want {
            let context = format!("in literal {name} (expecting '{}')", want as char);
            return Err(syntax(c, &context));
        }
    }
    Ok(pos + word.len())
}

/// Go's `%q` (`strconv.Quote`): `"` and `\` escaped, control characters as `\n`, `\r`, `\t`,
/// `\xNN` or `\uNNNN`; other characters, Unicode included, as they are.
pub(crate) fn go_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(body: &str) -> String {
        decode_device_exchange(body.as_bytes()).unwrap_err()
    }

    fn ok(body: &str) -> String {
        decode_device_exchange(body.as_bytes()).unwrap()
    }

    #[test]
    fn empty_and_truncated_bodies() {
        assert_eq!(err(""), "EOF");
        assert_eq!(err(" \n\t"), "EOF");
        assert_eq!(err("{"), "unexpected EOF");
        assert_eq!(err("{\"device_code\":\"abc\""), "unexpected EOF");
        assert_eq!(err("{\"device_code\":\"ab"), "unexpected EOF");
        assert_eq!(err("-"), "unexpected EOF");
        assert_eq!(err("tr"), "unexpected EOF");
        assert_eq!(err("[1,"), "unexpected EOF");
    }

    #[test]
    fn syntax_errors_use_go_wording() {
        assert_eq!(
            err("x"),
            "invalid character 'x' looking for beginning of value"
        );
        assert_eq!(
            err("}"),
            "invalid character '}' looking for beginning of value"
        );
        assert_eq!(
            err("{x"),
            "invalid character 'x' looking for beginning of object key string"
        );
        assert_eq!(err("{\"a\" 1}"), "invalid character '1' after object key");
        assert_eq!(
            err("{\"a\":1 2}"),
            "invalid character '2' after object key:value pair"
        );
        assert_eq!(err("[1 2]"), "invalid character '2' after array element");
        assert_eq!(
            err("{\"a\":tx}"),
            "invalid character 'x' in literal true (expecting 'r')"
        );
        assert_eq!(
            err("nul!"),
            "invalid character '!' in literal null (expecting 'l')"
        );
        assert_eq!(err("-x"), "invalid character 'x' in numeric literal");
        assert_eq!(
            err("[1.x]"),
            "invalid character 'x' after decimal point in numeric literal"
        );
        assert_eq!(
            err("[1ex]"),
            "invalid character 'x' in exponent of numeric literal"
        );
        assert_eq!(
            err("\"a\\x\""),
            "invalid character 'x' in string escape code"
        );
        assert_eq!(
            err("\"\\u12g4\""),
            "invalid character 'g' in \\u hexadecimal character escape"
        );
        assert_eq!(err("\"a\nb\""), "invalid character '\\n' in string literal");
        assert_eq!(
            err("'a'"),
            "invalid character '\\'' looking for beginning of value"
        );
        assert_eq!(
            err("\u{1}"),
            "invalid character '\\x01' looking for beginning of value"
        );
        assert_eq!(
            err("{\"a\":[[01]]}"),
            "invalid character '1' after array element"
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = "[".repeat(MAX_DEPTH + 1);
        assert_eq!(err(&deep), "invalid character '[' exceeded max depth");
        let ok_depth = "[".repeat(MAX_DEPTH);
        assert_eq!(err(&ok_depth), "unexpected EOF");
    }

    #[test]
    fn type_errors_name_the_go_field() {
        assert_eq!(
            err("{\"device_code\":5}"),
            "json: cannot unmarshal number into Go struct field ExternalAuthDeviceExchange.device_code of type string"
        );
        assert_eq!(
            err("{\"DEVICE_CODE\":true}"),
            "json: cannot unmarshal bool into Go struct field ExternalAuthDeviceExchange.device_code of type string"
        );
        assert_eq!(
            err("[]"),
            "json: cannot unmarshal array into Go value of type codersdk.ExternalAuthDeviceExchange"
        );
        assert_eq!(
            err("\"x\""),
            "json: cannot unmarshal string into Go value of type codersdk.ExternalAuthDeviceExchange"
        );
        assert_eq!(
            err("12x"),
            "json: cannot unmarshal number into Go value of type codersdk.ExternalAuthDeviceExchange"
        );
    }

    #[test]
    fn decodes_like_go() {
        assert_eq!(ok("{\"device_code\":\"abc\"}"), "abc");
        assert_eq!(ok("null"), "");
        assert_eq!(ok("{}"), "");
        assert_eq!(
            ok("{\"other\":[1,{\"x\":null}],\"Device_Code\":\"a\\u0062c\"}"),
            "abc"
        );
        assert_eq!(
            ok("{\"device_code\":\"a\",\"device_code\":\"b\"} trailing junk"),
            "b"
        );
        assert_eq!(ok("{\"device_code\":null}"), "");
        assert_eq!(ok("{\"device_code\":\"\\ud83d\\ude00\"}"), "😀");
        assert_eq!(ok("{\"device_code\":\"\\ud83d\"}"), "\u{fffd}");
    }

    /// Every prefix, and thousands of byte-level mutations, of realistic bodies: the decoder
    /// answers each with a code or an error and never panics (a panic would drop the
    /// connection instead of answering 400).
    #[test]
    fn arbitrary_bodies_never_panic() {
        let seeds: [&[u8]; 6] = [
            br#"{"device_code":"3584d83530557fdd1f46af8289938c8ef79f9dc5"}"#,
            br#"{"DEVICE_CODE":"a\u00e9\ud83d\ude00","x":[1,2.5e3,{"y":null}],"z":true}"#,
            br#"  [ {"device_code": 5}, "tail" ] "#,
            br#"{"device_code":"\ud800"} {"device_code":"second"}"#,
            b"\xef\xbb\xbf{\"device_code\":\"\xff\xfe\"}",
            b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"{}[]\",:\\ \tnultrefas0123456789.eE+-u\xff\x00";
        for seed in seeds {
            for end in 0..=seed.len() {
                let _ = decode_device_exchange(&seed[..end]);
            }
            for _ in 0..2_000 {
                let mut body = seed.to_vec();
                for _ in 0..(next() % 4 + 1) {
                    let at = (next() as usize) % (body.len() + 1);
                    let byte = alphabet[(next() as usize) % alphabet.len()];
                    match next() % 3 {
                        0 if at < body.len() => body[at] = byte,
                        1 if at < body.len() => {
                            body.remove(at);
                        }
                        _ => body.insert(at, byte),
                    }
                }
                let _ = decode_device_exchange(&body);
            }
        }
    }
}
