//! The one shape of every `--json` document: `{"schema_version": 1, KEY: …}`,
//! where KEY is `report` (requant, diff) or `files` (inspect).

use serde::ser::{Serialize, SerializeStruct, Serializer};
use std::io::{self, Write};

/// A `--json` document: the schema version and one field.
pub struct Document<'a, T: ?Sized> {
    key: &'static str,
    body: &'a T,
}

impl<'a, T: Serialize + ?Sized> Document<'a, T> {
    /// `{"schema_version": JSON_SCHEMA_VERSION, key: body}`.
    pub fn new(key: &'static str, body: &'a T) -> Self {
        Document { key, body }
    }

    /// Pretty-printed, with a final newline. A failed write is returned as
    /// the writer's own error (its kind kept: a closed pipe stays
    /// [`io::ErrorKind::BrokenPipe`]).
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self).map_err(io::Error::from)?;
        writeln!(out)
    }
}

impl<T: Serialize + ?Sized> Serialize for Document<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut doc = s.serialize_struct("Document", 2)?;
        doc.serialize_field("schema_version", &crate::JSON_SCHEMA_VERSION)?;
        doc.serialize_field(self.key, self.body)?;
        doc.end()
    }
}
