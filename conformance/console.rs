//! The only writer of stdout and stderr. Every text passes the terminal sanitiser
//! ([`crate::text::for_terminal`]) on its way out, so no escape sequence a server or a file
//! put in a text (OSC 52 clipboard writes, screen clears, concealed text) reaches a terminal,
//! whatever command printed it. Writes never panic: a reader that went away (`list | head`)
//! ends the output quietly; any other failure (a full disk behind `2>file`) is remembered, and
//! the process then exits 2 (README, "Exit codes").

use std::io::{ErrorKind, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::text;

/// The first write failure that was not a closed pipe, to say why the run exits 2.
static FAILURE: Mutex<Option<String>> = Mutex::new(None);
/// Set once a reader closed its end: nothing more is written to that stream.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to stdout (machine output: lists, annotations, a report sent to `-`).
pub fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    write(&mut stdout, "stdout", &STDOUT_CLOSED, text);
}

/// Writes `text` to stderr (the human report, progress, errors).
pub fn err(text: &str) {
    let mut stderr = std::io::stderr().lock();
    write(&mut stderr, "stderr", &STDERR_CLOSED, text);
}

/// A line on stderr.
pub fn err_line(text: &str) {
    err(&format!("{text}\n"));
}

/// A line on stdout.
pub fn out_line(text: &str) {
    out(&format!("{text}\n"));
}

/// Why an output could not be written, if one could not (a closed pipe does not count).
pub fn failure() -> Option<String> {
    FAILURE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}

/// Remembers that an output other than stdout or stderr failed (the job summary).
pub fn record_failure(what: String) {
    let mut failure = FAILURE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    failure.get_or_insert(what);
}

fn write(stream: &mut dyn Write, name: &str, closed: &AtomicBool, text: &str) {
    if closed.load(Ordering::Relaxed) {
        return;
    }
    let clean = text::for_terminal(text);
    match stream
        .write_all(clean.as_bytes())
        .and_then(|()| stream.flush())
    {
        Ok(()) => {}
        Err(error) if error.kind() == ErrorKind::BrokenPipe => {
            closed.store(true, Ordering::Relaxed);
        }
        Err(error) => {
            closed.store(true, Ordering::Relaxed);
            record_failure(format!("cannot write to {name}: {error}"));
        }
    }
}
