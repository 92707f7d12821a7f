//! The one sanitiser for text from outside (a server's bodies and headers, a file's names,
//! a URL the user typed) on its way into any output. [`clean`] runs once on every text of the
//! report, after masking; each output then adds only its own syntax ([`line`] for one-line
//! terminal text, [`markdown`] for the job summary; XML escaping is quick-junit's). What it
//! removes, and why:
//!
//! - control characters (C0 but tab and newline, DEL, C1): terminal escape sequences (OSC 52
//!   clipboard writes, screen clears, concealed text), carriage returns that overwrite a line,
//!   and the C0 characters XML 1.0 cannot carry even escaped;
//! - U+FFFE and U+FFFF, which XML 1.0 cannot carry either;
//! - bidirectional and invisible formatting characters, which make text read other than it is.
//!
//! Each is written as `\u{..}`, so what was sent can still be read. [`shell_word`] quotes a
//! text for a command a report prints.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` is never passed through as it is (tab and newline are handled by the caller).
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{FFFE}'
            | '\u{FFFF}')
}

/// `text` with every unsafe character escaped; tab and newline kept (a diff has lines).
pub fn clean(text: &str) -> Cow<'_, str> {
    escape_where(
        text,
        |c| is_unsafe(c) && c != '\n' && c != '\t',
        rust_escape,
    )
}

/// One line: [`clean`], and tab and newline escaped too.
pub fn line(text: &str) -> Cow<'_, str> {
    escape_where(text, is_unsafe, rust_escape)
}

/// Text for a line or a table cell of GitHub Markdown: one line, and nothing Markdown or
/// HTML would read as syntax: no `<!--` that hides what follows, no tag, no `|` that ends a
/// cell, no backtick that ends a code span, no link brackets.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in line(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' | '`' | '[' | ']' | '*' | '_' | '\\' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// What reaches a terminal: every unsafe character but tab and newline escaped the way JSON
/// escapes it (`\u001b`), so a JSON report sent to stdout stays JSON.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    escape_where(
        text,
        |c| is_unsafe(c) && c != '\n' && c != '\t',
        json_escape,
    )
}

fn rust_escape(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

fn json_escape(out: &mut String, c: char) {
    // Every unsafe character is in the Basic Multilingual Plane: four hex digits hold it.
    let _ = write!(out, "\\u{:04x}", c as u32);
}

fn escape_where(
    text: &str,
    unsafe_here: impl Fn(char) -> bool,
    escape: fn(&mut String, char),
) -> Cow<'_, str> {
    if !text.chars().any(&unsafe_here) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_here(c) {
            escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` as one word for a POSIX shell: as it is when it needs no quoting, else in single
/// quotes.
pub fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-:@=+,%".contains(c));
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character the sanitiser must stop, one of each class.
    const HOSTILE: &[char] = &[
        '\u{1b}', '\u{7}', '\r', '\u{0}', '\u{7f}', '\u{9b}', '\u{85}', '\u{202e}', '\u{2066}',
        '\u{200b}', '\u{feff}', '\u{fffe}', '\u{ffff}', '\u{61c}',
    ];

    #[test]
    fn nothing_unsafe_survives_any_sanitiser() {
        for &c in HOSTILE {
            let text = format!("a{c}b\nc\td");
            for (name, out) in [
                ("clean", clean(&text).into_owned()),
                ("line", line(&text).into_owned()),
                ("markdown", markdown(&text)),
                ("terminal", for_terminal(&text).into_owned()),
            ] {
                assert!(!out.contains(c), "{name} let {c:?} through: {out:?}");
            }
        }
        assert_eq!(clean("a\u{1b}]52;c;x\u{7}"), "a\\u{1b}]52;c;x\\u{7}");
        assert_eq!(line("a\nb"), "a\\nb");
        assert_eq!(clean("a\nb\tc"), "a\nb\tc");
        assert_eq!(for_terminal("\u{202e}x"), "\\u202ex");
    }

    #[test]
    fn markdown_cannot_hide_or_forge_what_follows() {
        assert_eq!(
            markdown("v2.36.1<!-- | Exit status **0** `x` [a](b)\n"),
            "v2.36.1&lt;!-- \\| Exit status \\*\\*0\\*\\* \\`x\\` \\[a\\](b)\\\\n"
        );
    }

    #[test]
    fn text_for_the_terminal_keeps_json_valid() {
        let json = serde_json::to_string(&"a\u{202e}b\u{1b}c").unwrap();
        let shown = for_terminal(&json);
        let back: String = serde_json::from_str(&shown).unwrap();
        assert_eq!(back, "a\u{202e}b\u{1b}c");
    }
}
