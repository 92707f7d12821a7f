//! HAR 1.2 files: read bounded into exchanges (`check --har`), and written from the
//! exchanges the proxy judged with their secrets replaced (`proxy --har-out`).

mod read;
mod write;

pub use read::read;
pub use write::document;
