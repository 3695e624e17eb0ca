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

/// The datasets an importance matrix names (`imatrix.datasets`), none
/// when the key is absent or not a list of strings.
fn datasets(g: &Gguf<'_>) -> Vec<String> {
    g.get_array("imatrix.datasets")
        .ok()
        .and_then(|a| a.strings().map(|s| s.map(|x| x.to_string()).collect()))
        .unwrap_or_default()
}

/// Calls `f(name, sums, counts)` for every `NAME.in_sum2` tensor of an
/// importance matrix and its `NAME.counts`, both read as f32 (counts as
/// stored, not rounded) and checked: the counts present, both F32, the
/// sums splitting into as many matrices as there are counts. Errors name
/// the tensor.
fn for_each_entry(
    g: &Gguf<'_>,
    mut f: impl FnMut(&str, Vec<f32>, Vec<f32>) -> Result<(), String>,
) -> Result<(), String> {
    let order = g.byte_order();
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
        f(name, sums, counts)?;
    }
    Ok(())
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
        for key in ["imatrix.datasets", "imatrix.chunk_count", "imatrix.chunk_size"] {
            if g.get(key).is_none() {
                return Err(format!("missing imatrix metadata ({key})"));
            }
        }
        let datasets = datasets(g);
        let chunk_count = g.get_u32("imatrix.chunk_count").map_err(|e| e.to_string())?;
        let mut entries = BTreeMap::new();
        for_each_entry(g, |name, sums, counts| {
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
            Ok(())
        })?;
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
    fn statistics_by_hand() {
        // Two experts of 4 columns; the second has a zero count and is left out.
        let s = tensor_statistics(
            "blk.3.ffn_up_exps.weight",
            &[1.0, 2.0, 3.0, 0.0, 9.0, 9.0, 9.0, 9.0],
            &[2, 0],
        )
        .unwrap();
        // Activations 0.5, 1, 1.5, 0: Σ 3, μ 0.75, σ² = 3.5/4 − 0.5625.
        assert_eq!((s.layer.as_str(), s.name.as_str()), ("3", "ffn_up_exps"));
        assert_eq!((s.sum, s.min, s.max, s.mean), (3.0, 0.0, 1.5, 0.75));
        assert_eq!(s.stddev, (3.5f32 / 4.0 - 0.5625).sqrt());
        assert_eq!((s.elements, s.active), (4, 0.75));
        // p = 1/6, 1/3, 1/2: the entropy in bits, over log2(4) = 2.
        let h =
            -(1.0f32 / 6.0 * (1.0f32 / 6.0).log2() + 1.0 / 3.0 * (1.0f32 / 3.0).log2() + 0.5 * 0.5f32.log2());
        assert!((s.entropy - h).abs() < 1e-6, "{} {h}", s.entropy);
        assert!((s.entropy_norm - 50.0 * h).abs() < 1e-4);
        // (1.5 − 0.75) / σ > 1 only for 1.5: one of four.
        assert_eq!(s.zd, 0.25);
        assert!(tensor_statistics("output.weight", &[1.0, 2.0], &[0]).is_none());
        assert_eq!(
            layer_and_name("output.weight"),
            ("-".to_string(), "output".to_string())
        );
        assert_eq!(layer_and_name("odd"), ("-".to_string(), "odd".to_string()));
        assert_eq!((stoi("12"), stoi("-"), stoi(" 7x")), (Some(12), None, Some(7)));
    }

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

/// Whether a parsed GGUF file is an importance matrix (`general.type` is
/// `imatrix`, as llama-imatrix writes it).
pub fn is_imatrix_file(g: &Gguf<'_>) -> bool {
    g.get("general.type").and_then(gguf_format::Value::as_str) == Some("imatrix")
}

/// What `llama-imatrix --show-statistics` shows of an importance matrix:
/// its metadata, each tensor's statistics and the per-layer averages.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ImatrixStatistics {
    /// `imatrix.datasets`.
    pub datasets: Vec<String>,
    /// `imatrix.chunk_count`: chunks of text the data was collected on.
    pub chunk_count: Option<u32>,
    /// `imatrix.chunk_size`: tokens per chunk.
    pub chunk_size: Option<u32>,
    /// One entry per tensor, in llama-imatrix's order (by short name, then
    /// by Σ(Act²), largest first).
    pub tensors: Vec<TensorStatistics>,
    /// Weighted averages per block, in block order.
    pub layers: Vec<LayerStatistics>,
}

/// One tensor's activation statistics (`compute_statistics` in
/// tools/imatrix/imatrix.cpp): the "activations" are the mean squared
/// activations of each column, `in_sum2 / counts` per matrix (experts with a
/// zero count left out).
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TensorStatistics {
    /// The weight's name (`blk.0.attn_q.weight`).
    pub tensor: String,
    /// Its block number as text, or `-` outside blocks.
    pub layer: String,
    /// The short name (`attn_q`): the part before `.weight`.
    pub name: String,
    /// Σ(Act²): the sum of the activations.
    pub sum: f32,
    /// The smallest activation.
    pub min: f32,
    /// The largest activation.
    pub max: f32,
    /// The mean μ.
    pub mean: f32,
    /// The standard deviation σ.
    pub stddev: f32,
    /// The share of activations above 1e-5, 0..1.
    pub active: f32,
    /// The number of activations N.
    pub elements: u32,
    /// The entropy of the activations as a distribution, in bits.
    pub entropy: f32,
    /// The entropy over its largest possible value, log2(N), in percent.
    pub entropy_norm: f32,
    /// The share of activations more than one σ above μ (ZD), 0..1.
    pub zd: f32,
    /// The cosine similarity of the raw sums with the same tensor of the
    /// previous block (0 when there is none).
    pub cossim: f32,
}

/// A block's averages, each tensor weighted by its number of activations.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct LayerStatistics {
    /// The block number.
    pub layer: u32,
    /// μΣ(Act²).
    pub sum: f32,
    /// μZD, 0..1.
    pub zd: f32,
    /// μCosSim.
    pub cossim: f32,
}

/// `llama-imatrix`'s split of a tensor name into block and short name.
fn layer_and_name(tensor: &str) -> (String, String) {
    let parts: Vec<&str> = tensor.split('.').collect();
    let layer = parts
        .iter()
        .position(|p| *p == "blk")
        .and_then(|i| parts.get(i + 1))
        .map_or("-".to_string(), |s| s.to_string());
    let name = parts
        .iter()
        .enumerate()
        .find(|&(i, p)| *p == "weight" && i > 0)
        .map_or(tensor.to_string(), |(i, _)| parts[i - 1].to_string());
    let layer = if layer.is_empty() { "-".to_string() } else { layer };
    (layer, if name.is_empty() { tensor.to_string() } else { name })
}

/// `std::stoi` as llama-imatrix uses it on a layer: leading digits (after
/// an optional sign and blanks), else none.
fn stoi(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let (sign, digits) = match t.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, t.strip_prefix('+').unwrap_or(t)),
    };
    let end = digits.find(|c: char| !c.is_ascii_digit()).unwrap_or(digits.len());
    digits[..end].parse::<i64>().ok().map(|v| sign * v)
}

/// The statistics of one tensor, in f32 in llama-imatrix's order of
/// operations; `None` when it has no activations (every count zero).
fn tensor_statistics(tensor: &str, sums: &[f32], counts: &[i64]) -> Option<TensorStatistics> {
    if counts.is_empty() || !sums.len().is_multiple_of(counts.len()) {
        return None;
    }
    let row = sums.len() / counts.len();
    let mut act: Vec<f32> = Vec::with_capacity(sums.len());
    for (i, &c) in counts.iter().enumerate() {
        if c == 0 {
            continue;
        }
        act.extend(sums[i * row..(i + 1) * row].iter().map(|&v| v / c as f32));
    }
    if act.is_empty() {
        return None;
    }
    let n = act.len() as f32;
    let total = act.iter().fold(0.0f32, |s, &a| s + a);
    let max = act.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let min = act.iter().copied().fold(f32::INFINITY, f32::min);
    let mean = total / n;
    let sq_total = act.iter().fold(0.0f32, |s, &a| s + a * a);
    let var = sq_total / n - mean * mean;
    let dev = var.max(0.0).sqrt();
    let inactive = act.iter().filter(|a| a.abs() <= 1e-5).count();
    let active = 1.0 - inactive as f32 / n;
    let mut entropy = 0.0f32;
    if total > 0.0 {
        for &a in &act {
            let p = a / total;
            if p > 0.0 {
                entropy -= p * p.log2();
            }
        }
    }
    let mut z = 0usize;
    if dev > 0.0 {
        z = act.iter().filter(|&&a| (a - mean) / dev > 1.0).count();
    }
    let elements = act.len() as u32;
    let (layer, name) = layer_and_name(tensor);
    Some(TensorStatistics {
        tensor: tensor.to_string(),
        layer,
        name,
        sum: total,
        min,
        max,
        mean,
        stddev: dev,
        active,
        elements,
        entropy,
        // As llama-imatrix: log2 of an int is a double.
        entropy_norm: (100.0 * (f64::from(entropy) / f64::from(elements).log2())) as f32,
        zd: z as f32 / elements as f32,
        cossim: 0.0,
    })
}

/// `llama-imatrix --show-statistics` as data: the statistics of every tensor
/// of an importance matrix (GGUF), the cosine similarity of each with the
/// same tensor one block earlier, and the per-block weighted averages. Errors
/// (a missing `.counts`, a type that is not F32, sums that do not split into
/// the counts' matrices) name the tensor.
pub fn statistics(g: &Gguf<'_>) -> Result<ImatrixStatistics, String> {
    let datasets = datasets(g);
    let mut raw: Vec<(String, Vec<f32>)> = Vec::new();
    let mut ts: Vec<TensorStatistics> = Vec::new();
    for_each_entry(g, |name, sums, counts| {
        let counts: Vec<i64> = counts.iter().map(|c| c.round() as i64).collect();
        if let Some(s) = tensor_statistics(name, &sums, &counts) {
            ts.push(s);
            raw.push((name.to_string(), sums));
        }
        Ok(())
    })?;
    // Cosine similarity with the same tensor one block earlier, on the raw sums.
    let sums_of = |name: &str| raw.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    for s in &mut ts {
        let Some(start) = s.tensor.find("blk.") else {
            continue;
        };
        let digits = &s.tensor[start + 4..];
        let end = digits.find(|c: char| !c.is_ascii_digit()).unwrap_or(digits.len());
        if end == 0 || !digits[end..].starts_with('.') {
            continue;
        }
        let Ok(blk) = digits[..end].parse::<i64>() else {
            continue;
        };
        let prev = format!("{}{}{}", &s.tensor[..start + 4], blk - 1, &digits[end..]);
        if let (Some(cur), Some(prev)) = (sums_of(&s.tensor), sums_of(&prev)) {
            let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).fold(0.0f32, |s, (x, y)| s + x * y);
            let (c, p) = (cur.as_slice(), prev.as_slice());
            s.cossim = dot(c, p) / (dot(c, c).sqrt() * dot(p, p).sqrt());
        }
    }
    ts.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then(b.sum.partial_cmp(&a.sum).unwrap_or(std::cmp::Ordering::Equal))
    });
    let mut blocks: BTreeMap<i64, (f32, f32, f32, u32)> = BTreeMap::new();
    for s in &ts {
        let blk = stoi(&s.layer).unwrap_or(-1);
        let e = blocks.entry(blk).or_insert((0.0, 0.0, 0.0, 0));
        let n = s.elements as f32;
        e.0 += n * s.sum;
        e.1 += n * s.zd;
        e.2 += n * s.cossim;
        e.3 += s.elements;
    }
    let layers = blocks
        .into_iter()
        .filter(|&(blk, (_, _, _, n))| blk >= 0 && n > 0)
        .map(|(blk, (sum, zd, cs, n))| LayerStatistics {
            layer: blk as u32,
            sum: sum / n as f32,
            zd: zd / n as f32,
            cossim: cs / n as f32,
        })
        .collect();
    Ok(ImatrixStatistics {
        datasets,
        chunk_count: g
            .get("imatrix.chunk_count")
            .and_then(gguf_format::Value::as_uint)
            .map(|v| v as u32),
        chunk_size: g
            .get("imatrix.chunk_size")
            .and_then(gguf_format::Value::as_uint)
            .map(|v| v as u32),
        tensors: ts,
        layers,
    })
}
