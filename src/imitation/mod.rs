//! Placeholder owned by the imitation work.
