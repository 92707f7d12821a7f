//! google/uuid v1.6.0's `Parse`, the parser Coder runs on agent tokens and on the
//! `{templateversion}` path segment: the same accepted forms and the same error texts, which
//! reach the client in 400 and 401 details.

use super::gojson::go_quote;

/// A parsed UUID in canonical form (36 characters, lower case).
pub(crate) fn parse(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let body: &[u8] = match bytes.len() {
        36 => bytes,
        // `urn:uuid:` + 36, the prefix compared case-insensitively.
        45 => {
            let (prefix, rest) = bytes.split_at(9);
            if !prefix.eq_ignore_ascii_case(b"urn:uuid:") {
                return Err(format!(
                    "invalid urn prefix: {}",
                    go_quote(&String::from_utf8_lossy(prefix))
                ));
            }
            rest
        }
        // `{` + 36 + `}`: Go drops the first byte and checks neither brace.
        38 => &bytes[1..],
        32 => {
            let mut out = [0u8; 16];
            for (i, byte) in out.iter_mut().enumerate() {
                *byte = xtob(bytes[i * 2], bytes[i * 2 + 1]).ok_or(FORMAT)?;
            }
            return Ok(canonical(&out));
        }
        n => return Err(format!("invalid UUID length: {n}")),
    };
    if body[8] != b'-' || body[13] != b'-' || body[18] != b'-' || body[23] != b'-' {
        return Err(FORMAT.to_owned());
    }
    const AT: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
    let mut out = [0u8; 16];
    for (byte, x) in out.iter_mut().zip(AT) {
        *byte = xtob(body[x], body[x + 1]).ok_or(FORMAT)?;
    }
    Ok(canonical(&out))
}

/// `ErrInvalidUUIDFormat`.
const FORMAT: &str = "invalid UUID format";

fn xtob(a: u8, b: u8) -> Option<u8> {
    let hex = |c: u8| char::from(c).to_digit(16);
    u8::try_from((hex(a)? << 4) | hex(b)?).ok()
}

fn canonical(b: &[u8; 16]) -> String {
    let hex: String = b.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// A random version-4 UUID, as Coder issues agent tokens.
pub(crate) fn new_v4() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    canonical(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const U: &str = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";

    #[test]
    fn accepts_the_four_forms_of_go() {
        assert_eq!(parse(U).unwrap(), U);
        assert_eq!(parse(&U.to_uppercase()).unwrap(), U);
        assert_eq!(parse(&format!("URN:uuid:{U}")).unwrap(), U);
        assert_eq!(parse(&format!("{{{U}}}")).unwrap(), U);
        // The braces are not checked.
        assert_eq!(parse(&format!("x{U}y")).unwrap(), U);
        assert_eq!(parse(&U.replace('-', "")).unwrap(), U);
    }

    #[test]
    fn errors_read_as_gos() {
        assert_eq!(parse("abc").unwrap_err(), "invalid UUID length: 3");
        assert_eq!(parse("").unwrap_err(), "invalid UUID length: 0");
        assert_eq!(
            parse(&format!("urn:uuix:{U}")).unwrap_err(),
            "invalid urn prefix: \"urn:uuix:\""
        );
        assert_eq!(parse(&U.replace('-', "_")).unwrap_err(), FORMAT);
        assert_eq!(parse(&U.replace('f', "g")).unwrap_err(), FORMAT);
        // A session token is 33 bytes.
        assert_eq!(
            parse("abcdefghij-0123456789abcdefghijkl").unwrap_err(),
            "invalid UUID length: 33"
        );
    }

    #[test]
    fn new_v4_is_a_version_4_uuid() {
        let u = new_v4();
        assert_eq!(parse(&u).unwrap(), u);
        assert_eq!(&u[14..15], "4");
        assert!("89ab".contains(&u[19..20]));
    }

    #[test]
    fn quotes_like_go() {
        assert_eq!(go_quote("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\x01é\"");
    }
}
