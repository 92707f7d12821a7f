//! The one place the user code may be shown: the controlling terminal, never stdout or
//! stderr, so it cannot end up in a CI log or a captured report.

use std::io::Write;
use std::time::Duration;

/// Writes the verification URL and user code to the terminal; for Coder's imitation, the
/// control API call that approves the code instead (its codes mean nothing to the provider
/// whose verification URL it names).
pub fn show_user_code(
    verification_uri: &str,
    user_code: &str,
    control: Option<&str>,
) -> std::io::Result<()> {
    // Both come from the server: the terminal sees them only sanitised.
    let verification_uri = crate::text::line(verification_uri);
    let user_code = crate::text::line(user_code);
    let control = control.map(crate::text::line);
    let mut tty = terminal()?;
    match control {
        Some(control) => writeln!(
            tty,
            "\n  The target is Coder's imitation: approve the device flow with\n    \
             curl -s -X POST {control}/device/approve -d '{{\"user_code\": \"{user_code}\"}}'\n  \
             (or start it with `conformance serve --device-auto-approve-after 1`)\n"
        ),
        None => writeln!(
            tty,
            "\n  To approve the device flow, open {verification_uri}\n  and enter the code: {user_code}\n"
        ),
    }
}

/// Says on stderr that the target approves by itself (no code in it: none is needed).
pub fn approves_by_itself(polls: u64) {
    crate::console::err_line(&format!(
        "{:>12} device flow: the target approves each code by itself on poll {polls} \
         (--device-auto-approve-after), so the user code is not shown",
        "Unattended"
    ));
}

/// Said once when there is no terminal to show the user code on (on stderr: it holds no code).
pub fn no_terminal(deadline: Duration) {
    crate::console::err_line(&format!(
        "{:>12} no terminal to show the user code on (it is never printed to stdout or stderr): \
         waiting up to {} s for the target to approve the device code by itself",
        "Note",
        deadline.as_secs()
    ));
}

/// A progress line while polling (on stderr: it holds no code).
pub fn waiting(left: Duration) {
    crate::console::err_line(&format!(
        "{:>12} for approval ({} s left)",
        "Waiting",
        left.as_secs()
    ));
}

fn terminal() -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().write(true).open("/dev/tty")
}
