//! Importance matrices: llama.cpp's GGUF imatrix files (`<tensor>.in_sum2` and
//! `<tensor>.counts`) and the legacy `.dat` format, turned into one f32 weight
//! per column (per expert for 3-D tensors) as llama-quantize computes them.

use super::RequantError;
use gguf_format::{ByteOrder, GgmlType, Gguf, GgufFile};
use std::collections::BTreeMap;

/// A loaded importance matrix.
#[derive(Debug, Clone, Default)]
pub struct Imatrix {
    /// Weight name → one value per column (× experts).
    pub entries: BTreeMap<String, Vec<f32>>,
    /// Datasets it was computed on (the first one is written to the output).
    pub datasets: Vec<String>,
    /// Number of chunks it was computed on.
    pub chunk_count: u32,
}

/// F32 values stored in byte order `order`.
fn f32s(bytes: &[u8], order: ByteOrder) -> impl Iterator<Item = f32> + '_ {
    bytes.chunks_exact(4).map(move |b| {
        let b = [b[0], b[1], b[2], b[3]];
        match order {
            ByteOrder::Little => f32::from_le_bytes(b),
            ByteOrder::Big => f32::from_be_bytes(b),
        }
    })
}

impl Imatrix {
    /// Loads a GGUF imatrix (either byte order), or a legacy `.dat` file
    /// when the bytes are not GGUF; errors name the file.
    pub fn load(path: &str) -> Result<Imatrix, RequantError> {
        let file = GgufFile::open(path)?;
        let bad = |reason: String| RequantError::Imatrix {
            path: path.to_string(),
            reason,
        };
        match file.parse() {
            Ok(g) => Self::from_gguf(&g).map_err(bad),
            Err(gguf_err) if !file.as_bytes().starts_with(b"GGUF") => Self::from_legacy(file.as_bytes())
                .map_err(|e| bad(format!("not GGUF ({gguf_err}) nor a legacy imatrix: {e}"))),
            Err(e) => Err(bad(e.to_string())),
        }
    }

    /// From a parsed GGUF imatrix file.
    pub fn from_gguf(g: &Gguf<'_>) -> Result<Imatrix, String> {
        let order = g.byte_order();
        for key in ["imatrix.datasets", "imatrix.chunk_count", "imatrix.chunk_size"] {
            if g.get(key).is_none() {
                return Err(format!("missing imatrix metadata ({key})"));
            }
        }
        let datasets = g
            .get_array("imatrix.datasets")
            .ok()
            .and_then(|a| a.strings().map(|s| s.map(|x| x.to_string()).collect()))
            .unwrap_or_default();
        let chunk_count = g.get_u32("imatrix.chunk_count").map_err(|e| e.to_string())?;
        let mut entries = BTreeMap::new();
        for t in g.tensors() {
            let Some(name) = t.name.strip_suffix(".in_sum2") else {
                continue;
            };
            let counts = g
                .tensor(&format!("{name}.counts"))
                .ok_or_else(|| format!("mismatched sums and counts for {name}"))?;
            if t.ggml_type != GgmlType::F32 || counts.ggml_type != GgmlType::F32 {
                return Err(format!("sums and counts for {name} must be F32"));
            }
            let sums: Vec<f32> = f32s(g.tensor_data(t).map_err(|e| e.to_string())?, order).collect();
            let counts: Vec<f32> = f32s(g.tensor_data(counts).map_err(|e| e.to_string())?, order).collect();
            if counts.is_empty() || !sums.len().is_multiple_of(counts.len()) {
                return Err(format!(
                    "{name}: {} sums do not split into {} matrices",
                    sums.len(),
                    counts.len()
                ));
            }
            let ne0 = sums.len() / counts.len();
            let mut values = Vec::with_capacity(sums.len());
            for (j, &c) in counts.iter().enumerate() {
                // llama.cpp rounds the stored counts to integers first.
                let count = c.round() as i64 as f32;
                let row = &sums[j * ne0..(j + 1) * ne0];
                if count > 0.0 {
                    values.extend(row.iter().map(|s| s / count));
                } else {
                    values.extend(std::iter::repeat_n(1.0, ne0));
                }
            }
            entries.insert(name.to_string(), values);
        }
        if entries.is_empty() {
            return Err("no importance data in the file".into());
        }
        Ok(Imatrix {
            entries,
            datasets,
            chunk_count,
        })
    }

    /// From the legacy `.dat` layout: `i32 n`, then per entry `i32 len, name,
    /// i32 ncall, i32 nval, f32[nval]`, then optionally `i32 chunks, i32 len, dataset`.
    pub fn from_legacy(bytes: &[u8]) -> Result<Imatrix, String> {
        let mut pos = 0usize;
        let mut take = |n: usize, what: &str| -> Result<&[u8], String> {
            let s = bytes
                .get(pos..pos.checked_add(n).ok_or("length overflow")?)
                .ok_or_else(|| format!("file ends inside {what} at byte {pos}"))?;
            pos += n;
            Ok(s)
        };
        let i32_at = |b: &[u8]| i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let n = i32_at(take(4, "the entry count")?);
        if n < 1 {
            return Err("no data in file".into());
        }
        let mut entries = BTreeMap::new();
        for i in 0..n {
            let len = i32_at(take(4, "a name length")?);
            let len = usize::try_from(len).map_err(|_| format!("entry {i}: negative name length"))?;
            let name = String::from_utf8_lossy(take(len, "a name")?).into_owned();
            let ncall = i32_at(take(4, "a call count")?);
            let nval = i32_at(take(4, "a value count")?);
            let nval = usize::try_from(nval)
                .ok()
                .filter(|&v| v >= 1)
                .ok_or(format!("entry {name}: bad value count"))?;
            let raw = take(nval.checked_mul(4).ok_or("length overflow")?, "values")?;
            let values = f32s(raw, ByteOrder::Little)
                .map(|v| if ncall > 0 { v / ncall as f32 } else { v })
                .collect();
            entries.insert(name, values);
        }
        let mut imatrix = Imatrix {
            entries,
            ..Default::default()
        };
        if let Ok(c) = take(4, "the chunk count") {
            imatrix.chunk_count = i32_at(c).max(0) as u32;
            if let Ok(l) = take(4, "the dataset length") {
                let l = i32_at(l);
                if l > 0 {
                    if let Ok(d) = take(l as usize, "the dataset name") {
                        imatrix.datasets.push(String::from_utf8_lossy(d).into_owned());
                    }
                }
            }
        }
        Ok(imatrix)
    }

    /// Keeps only entries whose names contain one of `include` (when given) and
    /// none of `exclude`, as `--include-weights` / `--exclude-weights` do.
    pub fn filter(&mut self, include: &[String], exclude: &[String]) {
        self.entries
            .retain(|name, _| !exclude.iter().any(|x| name.contains(x.as_str())));
        if !include.is_empty() {
            self.entries
                .retain(|name, _| include.iter().any(|x| name.contains(x.as_str())));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_format() {
        let mut b = Vec::new();
        b.extend(2i32.to_le_bytes());
        for (name, ncall, vals) in [("a.weight", 2i32, [2.0f32, 4.0]), ("b.weight", 0, [3.0, 5.0])] {
            b.extend((name.len() as i32).to_le_bytes());
            b.extend(name.as_bytes());
            b.extend(ncall.to_le_bytes());
            b.extend(2i32.to_le_bytes());
            for v in vals {
                b.extend(v.to_le_bytes());
            }
        }
        b.extend(7i32.to_le_bytes());
        b.extend(4i32.to_le_bytes());
        b.extend(b"wiki");
        let m = Imatrix::from_legacy(&b).unwrap();
        assert_eq!(m.entries["a.weight"], [1.0, 2.0]);
        assert_eq!(m.entries["b.weight"], [3.0, 5.0]);
        assert_eq!(m.chunk_count, 7);
        assert_eq!(m.datasets, ["wiki"]);
        assert!(Imatrix::from_legacy(&b[..20]).is_err());

        let mut f = m.clone();
        f.filter(&[], &["a.".into()]);
        assert_eq!(f.entries.len(), 1);
        let mut f = m;
        f.filter(&["a.".into()], &[]);
        assert!(f.entries.contains_key("a.weight") && f.entries.len() == 1);
    }
}
