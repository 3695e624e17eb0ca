//! llama-quantize's `--tensor-type-file` format.

use super::{Options, RequantError};

impl Options {
    /// The entries of a tensor-type file, `text`: whitespace-separated
    /// `PATTERN=TYPE` entries, each added as by [`Options::tensor_type`] in
    /// their order (after any given before).
    pub fn tensor_type_file(&mut self, text: &str) -> Result<&mut Self, RequantError> {
        for spec in text.split_whitespace() {
            self.tensor_type(spec)?;
        }
        Ok(self)
    }
}
