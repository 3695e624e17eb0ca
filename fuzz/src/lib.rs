//! Shared checks of the fuzz targets (see `checks.rs`).
mod checks;
pub use checks::*;
