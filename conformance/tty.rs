//! The one place the user code may be shown: the controlling terminal, never stdout or
//! stderr, so it cannot end up in a CI log or a captured report.

use std::io::Write;
use std::time::Duration;

/// Writes the verification URL and user code to the terminal.
pub fn show_user_code(verification_uri: &str, user_code: &str) -> std::io::Result<()> {
    let mut tty = terminal()?;
    writeln!(
        tty,
        "\n  To approve the device flow, open {verification_uri}\n  and enter the code: {user_code}\n"
    )
}

/// Said once when there is no terminal to show the user code on (on stderr: it holds no code).
pub fn no_terminal(deadline: Duration) {
    eprintln!(
        "{:>12} no terminal to show the user code on (it is never printed to stdout or stderr): \
         waiting up to {} s for the target to approve the device code by itself",
        "Note",
        deadline.as_secs()
    );
}

/// A progress line while polling (on stderr: it holds no code).
pub fn waiting(left: Duration) {
    eprintln!("{:>12} for approval ({} s left)", "Waiting", left.as_secs());
}

fn terminal() -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().write(true).open("/dev/tty")
}
