//! The `Host` header as Go's net/http server and coderd treat it: requests whose Host Go would
//! refuse never reach a handler (400 before any middleware), and the Host that does reach the
//! `WWW-Authenticate` builder is URL-escaped and Go-quoted (`%q`), so no client-chosen byte can
//! end the quoted string or the header.

use http::{HeaderMap, Method, Version, header};

use super::gojson::go_quote;

/// Why Go's server refuses a request's Host, as its 400 body words it.
pub(crate) fn check(
    version: Version,
    method: &Method,
    headers: &HeaderMap,
) -> Result<(), &'static str> {
    let mut hosts = headers.get_all(header::HOST).iter();
    match (hosts.next(), hosts.next()) {
        (None, _) if version >= Version::HTTP_11 && method != Method::CONNECT => {
            Err("missing required Host header")
        }
        (None, _) => Ok(()),
        (Some(_), Some(_)) => Err("too many Host headers"),
        (Some(host), None) if host.as_bytes().iter().all(|&b| valid_host_byte(b)) => Ok(()),
        (Some(_), None) => Err("malformed Host header"),
    }
}

/// `httpguts.ValidHostHeader`'s byte set: letters, digits and `!$%&'()*+,-.:;=[]_~`.
fn valid_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!$%&'()*+,-.:;=[]_~".contains(&b)
}

/// The `resource_metadata` parameter's value, quoted as Go's `%q` quotes
/// `url.URL{Scheme: "http", Host: host}.JoinPath("/.well-known/oauth-protected-resource")`.
pub(crate) fn quoted_resource_metadata(host: &str) -> String {
    let url = format!(
        "http://{}/.well-known/oauth-protected-resource",
        escape_host(host)
    );
    go_quote(&url)
}

/// Go's `escape(host, encodeHost)`: what `URL.String` writes for the host.
fn escape_host(host: &str) -> String {
    let mut out = String::with_capacity(host.len());
    for &b in host.as_bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-_.~!$&'()*+,;=:[]<>\"".contains(&b);
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn with_hosts(hosts: &[&[u8]]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for host in hosts {
            map.append(header::HOST, HeaderValue::from_bytes(host).unwrap());
        }
        map
    }

    #[test]
    fn go_refuses_what_it_cannot_route() {
        let get = Method::GET;
        let v11 = Version::HTTP_11;
        assert_eq!(check(v11, &get, &with_hosts(&[b"127.0.0.1:3000"])), Ok(()));
        assert_eq!(check(v11, &get, &with_hosts(&[b"[::1]:80"])), Ok(()));
        assert_eq!(check(v11, &get, &with_hosts(&[b"a%25b"])), Ok(()));
        assert_eq!(
            check(v11, &get, &HeaderMap::new()),
            Err("missing required Host header")
        );
        assert_eq!(check(Version::HTTP_10, &get, &HeaderMap::new()), Ok(()));
        assert_eq!(
            check(v11, &get, &with_hosts(&[b"a", b"b"])),
            Err("too many Host headers")
        );
        for bad in [
            &b"x\"y"[..],
            b"x y",
            b"x/y",
            b"x\\y",
            b"x<y",
            b"caf\xc3\xa9",
            b"x\tz",
        ] {
            assert_eq!(
                check(v11, &get, &with_hosts(&[bad])),
                Err("malformed Host header"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn resource_metadata_is_escaped_then_quoted() {
        assert_eq!(
            quoted_resource_metadata("127.0.0.1:3000"),
            "\"http://127.0.0.1:3000/.well-known/oauth-protected-resource\""
        );
        assert_eq!(
            quoted_resource_metadata("[fe80::1%en0]"),
            "\"http://[fe80::1%25en0]/.well-known/oauth-protected-resource\""
        );
        // Never reached behind `check`, but still cannot break out of the quotes.
        assert_eq!(
            quoted_resource_metadata("a\"b\\c\r\nd"),
            "\"http://a\\\"b%5Cc%0D%0Ad/.well-known/oauth-protected-resource\""
        );
    }
}
