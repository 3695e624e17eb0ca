//! What `gguf split`, `merge`, `edit` and `convert` print: the planned
//! output files (for `--dry-run` and the closing summary) and the metadata
//! changes of an edit. The work itself is `gguf_format::ops`.

use crate::human::{bytes, short_meta, short_value, thousands};
use gguf_format::ops::Output;
use gguf_format::{Gguf, GgufBuilder, MetaValue};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::PathBuf;

/// One planned output file.
#[derive(Serialize)]
pub struct FilePlan {
    /// Where it will be written.
    pub path: String,
    /// Its size in bytes.
    pub file_size: u64,
    /// Tensor data bytes in it.
    pub tensor_bytes: u64,
    /// Its metadata keys.
    pub key_count: usize,
    /// Its tensors, in order.
    pub tensors: Vec<String>,
}

/// The files an operation will write.
#[derive(Serialize)]
pub struct FilesPlan {
    /// The files, in order.
    pub files: Vec<FilePlan>,
    /// All of them together.
    pub total_size: u64,
}

impl FilesPlan {
    /// From planned outputs and the names they get.
    pub fn new(outputs: &[Output<'_>], names: &[PathBuf]) -> Result<FilesPlan, gguf_format::Error> {
        let mut files = Vec::with_capacity(outputs.len());
        for (o, n) in outputs.iter().zip(names) {
            files.push(FilePlan {
                path: n.display().to_string(),
                file_size: o.file_size()?,
                tensor_bytes: o.tensor_bytes(),
                key_count: o.builder.metadata().len(),
                tensors: o.builder.tensors().iter().map(|t| t.name.to_string()).collect(),
            });
        }
        Ok(FilesPlan {
            total_size: files.iter().map(|f| f.file_size).sum(),
            files,
        })
    }

    /// As text: one line per file, then (with `list_tensors`) its tensors.
    pub fn text(&self, list_tensors: bool) -> String {
        let mut t = crate::render::table(&["file", "tensors", "keys", "size"]);
        for f in &self.files {
            t.add_row(vec![
                f.path.clone(),
                f.tensors.len().to_string(),
                f.key_count.to_string(),
                format!("{} ({})", thousands(f.file_size), bytes(f.file_size)),
            ]);
        }
        crate::render::right_align(&mut t, &[1, 2, 3]);
        let mut s = crate::render::trimmed(&t);
        let _ = write!(
            s,
            "\n{} files, {} bytes ({})\n",
            self.files.len(),
            thousands(self.total_size),
            bytes(self.total_size)
        );
        if list_tensors {
            for f in &self.files {
                let _ = writeln!(s, "\n{}", f.path);
                for name in &f.tensors {
                    let _ = writeln!(s, "  {name}");
                }
            }
        }
        s
    }
}

/// How one key differs after an edit.
#[derive(Serialize)]
pub struct KeyChange {
    /// `+` added, `-` removed, `~` changed value or type, `>` renamed.
    pub change: &'static str,
    /// The key (its new name for a rename).
    pub key: String,
    /// Old type and value, shortened (absent when added).
    pub old: Option<String>,
    /// New type and value, shortened (absent when removed).
    pub new: Option<String>,
}

/// The metadata differences between a file and its edited copy, in the
/// copy's key order (removed keys last), plus whether the order changed.
#[derive(Serialize)]
pub struct MetadataChanges {
    /// The differing keys.
    pub changes: Vec<KeyChange>,
    /// Whether the keys that stay are in another order (gguf-new-metadata
    /// moves `general.architecture` first and new chat templates last).
    pub reordered: bool,
}

fn typed(ty: String, shown: String) -> String {
    format!("{ty} {shown}")
}

fn meta_type(v: &MetaValue<'_>) -> String {
    match v {
        MetaValue::Array(gguf_format::MetaArray::View(a)) => gguf_format::Value::Array(*a).type_name(),
        MetaValue::Array(gguf_format::MetaArray::Items { elem, .. }) => format!("ARRAY[{elem}]"),
        other => other.value_type().to_string(),
    }
}

impl MetadataChanges {
    /// Compares `before` with the builder of its edited copy; `renames` maps
    /// old names to new ones.
    pub fn new(before: &Gguf<'_>, after: &GgufBuilder<'_>, renames: &[(String, String)]) -> MetadataChanges {
        let renamed = |k: &str| {
            renames
                .iter()
                .find(|(o, _)| o == k)
                .map_or(k.to_string(), |(_, n)| n.clone())
        };
        let old_of = |new_key: &str| before.metadata().iter().find(|kv| renamed(kv.key) == new_key);
        let mut changes = Vec::new();
        for (k, v) in after.metadata() {
            let new = Some(typed(meta_type(v), short_meta(v, 60, 5)));
            match old_of(k) {
                None => changes.push(KeyChange {
                    change: "+",
                    key: k.to_string(),
                    old: None,
                    new,
                }),
                Some(kv) => {
                    let old = Some(typed(kv.value.type_name(), short_value(&kv.value, 60, 5)));
                    if MetaValue::from(kv.value) != *v {
                        changes.push(KeyChange {
                            change: "~",
                            key: k.to_string(),
                            old,
                            new,
                        });
                    } else if kv.key != k.as_ref() {
                        changes.push(KeyChange {
                            change: ">",
                            key: k.to_string(),
                            old: Some(kv.key.to_string()),
                            new: None,
                        });
                    }
                }
            }
        }
        for kv in before.metadata() {
            if after.get(&renamed(kv.key)).is_none() {
                changes.push(KeyChange {
                    change: "-",
                    key: kv.key.to_string(),
                    old: Some(typed(kv.value.type_name(), short_value(&kv.value, 60, 5))),
                    new: None,
                });
            }
        }
        let kept_before: Vec<String> = before
            .metadata()
            .iter()
            .map(|kv| renamed(kv.key))
            .filter(|k| after.get(k).is_some())
            .collect();
        let kept_after: Vec<String> = after
            .metadata()
            .iter()
            .map(|(k, _)| k.to_string())
            .filter(|k| kept_before.contains(k))
            .collect();
        MetadataChanges {
            changes,
            reordered: kept_before != kept_after,
        }
    }

    /// As text, one line per key.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for c in &self.changes {
            let _ = match (c.change, &c.old, &c.new) {
                ("~", Some(o), Some(n)) => writeln!(s, "~ {}: {o} → {n}", c.key),
                (">", Some(o), _) => writeln!(s, "> {o} renamed to {}", c.key),
                (_, _, Some(n)) => writeln!(s, "{} {}: {n}", c.change, c.key),
                (_, Some(o), _) => writeln!(s, "{} {}: {o}", c.change, c.key),
                _ => writeln!(s, "{} {}", c.change, c.key),
            };
        }
        if self.changes.is_empty() {
            s.push_str("no metadata changes\n");
        }
        if self.reordered {
            s.push_str("(keys reordered: general.architecture first, chat templates last, as gguf-new-metadata writes them)\n");
        }
        s
    }
}
