//! The checks behind every fuzz target, in one place so that the workspace
//! tests can replay the checked-in seeds (`fuzz/seeds/<target>/`) with the
//! very same code on stable Rust (`gguf-cli/tests/fuzz_replay.rs` includes
//! this file). Each function must not panic on any input.

use gguf_format::{write_gguf, GgmlType, Gguf, Value};

fn touch(v: &Value<'_>) -> usize {
    match v {
        Value::String(s) => s.len() + usize::from(s.as_str().is_some()),
        Value::Array(a) => a.iter().map(|x| touch(&x)).sum::<usize>() + a.strings().map_or(0, |s| s.count()),
        other => usize::from(other.as_f64().is_some()),
    }
}

/// `parse`: parse, then touch every key, value, array element and tensor slice.
pub fn parse(data: &[u8]) {
    for g in [Gguf::parse(data), Gguf::parse_header(data)]
        .into_iter()
        .flatten()
    {
        let mut n = 0;
        for kv in g.metadata() {
            n += kv.key.len() + touch(&kv.value) + kv.value.type_name().len();
            assert!(g.get(kv.key).is_some());
        }
        for t in g.tensors() {
            n += t.dims().len() + t.n_rows() as usize % 7;
            if let Ok(d) = g.tensor_data(t) {
                n += d.first().copied().unwrap_or(0) as usize;
            }
        }
        std::hint::black_box(n);
    }
}

/// `roundtrip`: a file that parses is written back; the copy parses to the
/// same metadata and tensors, and writing the copy again is a fixed point.
pub fn roundtrip(data: &[u8]) {
    let Ok(g) = Gguf::parse(data) else { return };
    let Ok(out) = write_gguf(&g, Vec::new()) else {
        return;
    };
    let h = Gguf::parse(&out).expect("our own output must parse");
    assert_eq!(g.version(), h.version());
    assert_eq!(g.byte_order(), h.byte_order());
    assert_eq!(g.metadata().len(), h.metadata().len());
    for (a, b) in g.metadata().iter().zip(h.metadata()) {
        assert_eq!(a.key, b.key);
        assert_eq!(a.value.type_name(), b.value.type_name());
    }
    for (a, b) in g.tensors().iter().zip(h.tensors()) {
        assert_eq!((a.name, a.ggml_type, a.dims()), (b.name, b.ggml_type, b.dims()));
        assert_eq!(g.tensor_data(a).unwrap(), h.tensor_data(b).unwrap());
    }
    assert_eq!(write_gguf(&h, Vec::new()).unwrap(), out);
}

/// `decode`: first byte picks a type id, the rest are blocks; a length that
/// is not whole blocks or a type without a decoder is an error, never a panic.
pub fn decode(data: &[u8]) {
    let Some((&id, bytes)) = data.split_first() else {
        return;
    };
    let ty = GgmlType(u32::from(id % 48));
    let Some(info) = ty.info() else {
        assert!(gguf_quant::decode_row(ty, bytes, &mut []).is_err());
        return;
    };
    let blocks = bytes.len() / info.type_size as usize;
    let mut out = vec![0f32; blocks * info.block_size as usize];
    let r = gguf_quant::decode_row(ty, bytes, &mut out);
    if bytes.len() % info.type_size as usize != 0 {
        assert!(r.is_err(), "{ty}: partial block accepted");
    }
    let mut short = vec![0f32; out.len().saturating_sub(1)];
    let _ = gguf_quant::decode_row(ty, bytes, &mut short);
    let _ = gguf_quant::validate_row(ty, bytes);
}

/// `encode`: the bytes as f32 (NaN, Inf, subnormals, huge values), repeated
/// to one 256-element row, through every encoder with and without an
/// importance matrix, then decoded; finite inputs of moderate size must
/// decode to finite values.
pub fn encode(data: &[u8]) {
    let values: Vec<f32> = data
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    if values.is_empty() {
        return;
    }
    let row: Vec<f32> = values.iter().copied().cycle().take(256).collect();
    let weights: Vec<f32> = row
        .iter()
        .map(|x| if x.is_finite() { x.abs() + 1.0 } else { 1.0 })
        .collect();
    let moderate = row.iter().all(|x| x.is_finite() && x.abs() < 1e4);
    for c in gguf_quant::codecs().iter().filter(|c| c.can_encode()) {
        let Some(n) = c.row_size(row.len()) else { continue };
        let mut q = vec![0u8; n];
        for imatrix in [None, Some(&weights[..])] {
            if c.encode_row(&row, &mut q, imatrix).is_err() || !c.can_decode() {
                continue;
            }
            let mut back = vec![0f32; row.len()];
            c.decode_row(&q, &mut back).expect("decoding our own encoding");
            if moderate {
                assert!(
                    back.iter().all(|x| x.is_finite()),
                    "{}: non-finite decode of finite input",
                    c.ty
                );
            }
        }
    }
}

/// `inspect`: the library behind `gguf inspect` (text and `--json`) renders
/// whatever parses.
pub fn inspect(data: &[u8]) {
    use gguf_cli::inspect::{self, InspectOptions};
    let Ok(g) = Gguf::parse_header(data) else { return };
    let m = gguf_format::Model::single(gguf_format::Shard::new("fuzz.gguf", g.clone()));
    let opts = InspectOptions {
        tensors: Some(gguf_cli::glob::Glob::new("blk.*")),
        ctx: Some(4096),
        max_array: Some(8),
    };
    let report = inspect::report("fuzz.gguf", &m, &opts);
    let text = gguf_cli::render::text(&report, gguf_cli::render::TextOptions::default());
    assert!(text.starts_with("fuzz.gguf"));
    serde_json::to_string(&report).expect("JSON always serialises");
    for kv in g.metadata() {
        let mut sink = Vec::new();
        inspect::raw_value(&kv.value, &mut sink).expect("writing to memory");
    }
}

/// The files of a `shards` input: the first byte says how many (1 to 4),
/// then each is a u32 (little-endian) length and that many bytes; a short
/// last file takes what is left.
pub fn shard_files(data: &[u8]) -> Vec<&[u8]> {
    let Some((&n, mut rest)) = data.split_first() else {
        return vec![];
    };
    let mut files = Vec::new();
    for _ in 0..(n % 4) + 1 {
        let Some((len, tail)) = rest.split_first_chunk::<4>() else {
            break;
        };
        let len = (u32::from_le_bytes(*len) as usize).min(tail.len());
        files.push(&tail[..len]);
        rest = &tail[len..];
    }
    files
}

/// Encodes files as a `shards` input (for seeds).
pub fn encode_shard_files(files: &[&[u8]]) -> Vec<u8> {
    let mut v = vec![(files.len().max(1) - 1) as u8];
    for f in files {
        v.extend_from_slice(&(f.len() as u32).to_le_bytes());
        v.extend_from_slice(f);
    }
    v
}

/// `shards`: several files joined as the shards of one model; whatever
/// joins is touched tensor by tensor, planned as a split and a merge, and
/// converted to the other byte order and back in memory, which must give
/// each shard exactly as a plain rewrite does.
pub fn shards(data: &[u8]) {
    use gguf_format::split::SplitLimit;
    use gguf_format::{ops, ByteOrder, Model, Shard};
    let files = shard_files(data);
    let parsed: Vec<Gguf<'_>> = files.iter().filter_map(|b| Gguf::parse(b).ok()).collect();
    if parsed.is_empty() || parsed.len() != files.len() {
        return;
    }
    let shards = parsed
        .into_iter()
        .enumerate()
        .map(|(i, g)| Shard::new(format!("m-{:05}-of-{:05}.gguf", i + 1, files.len()), g))
        .collect();
    let Ok(m) = Model::from_shards(shards) else { return };
    let mut n = 0usize;
    for t in m.tensors() {
        assert!(m.tensor(t.name).is_some());
        n += m.tensor_data(t).map_or(0, <[u8]>::len);
    }
    std::hint::black_box(n);
    for limit in [SplitLimit::Tensors(2), SplitLimit::Bytes(64)] {
        if let Ok(outs) = ops::split(&m, limit, n.is_multiple_of(2)) {
            assert!(!outs.is_empty());
            let planned: usize = outs.iter().map(|o| o.tensors.len()).sum();
            assert_eq!(planned, m.tensors().len(), "a split keeps every tensor once");
        }
    }
    if let Ok(out) = ops::merge(&m) {
        if let Ok(bytes) = out.write_to(&m, Vec::new(), &mut |_| {}) {
            let merged = Gguf::parse(&bytes).expect("our merge parses");
            assert_eq!(merged.tensors().len(), m.tensors().len());
        }
    }
    let other = match m.first().byte_order() {
        ByteOrder::Little => ByteOrder::Big,
        ByteOrder::Big => ByteOrder::Little,
    };
    let Ok(there) = ops::convert(&m, other, None) else {
        return;
    };
    for (i, o) in there.iter().enumerate() {
        let Ok(bytes) = o.write_to(&m, Vec::new(), &mut |_| {}) else {
            continue;
        };
        let g = Gguf::parse(&bytes).expect("a converted file parses");
        let back_model = Model::single(Shard::new("x", g));
        let back = ops::convert(&back_model, m.first().byte_order(), None).expect("converts back");
        let again = back[0]
            .write_to(&back_model, Vec::new(), &mut |_| {})
            .expect("writes back");
        let plain = write_gguf(&m.shards()[i].gguf, Vec::new()).expect("a plain rewrite");
        assert!(
            again == plain,
            "shard {i}: there and back differs from a plain rewrite"
        );
    }
}

/// `import`: the bytes as each file `gguf import` parses before anything
/// else — a safetensors file (header checked against the file's size), a
/// `model.safetensors.index.json` and a `config.json` (then every
/// architecture's class defaults applied and its hyperparameters read).
/// Errors are fine; a parse that succeeds must describe only bytes inside
/// the input, each tensor exactly as long as its dtype and shape make it.
pub fn import(data: &[u8]) {
    use gguf_import::config::Config;
    use gguf_import::{arch, ModelDir, StShard};
    use std::path::Path;
    if let Ok(tensors) = StShard::parse(Path::new("fuzz.safetensors"), data) {
        let mut end = 0;
        for w in tensors.windows(2) {
            assert!(w[0].name < w[1].name, "sorted by name, no duplicates");
        }
        for t in &tensors {
            assert!(t.bytes.start <= t.bytes.end && t.bytes.end <= data.len());
            let bits = t.shape.iter().product::<u64>() as usize * t.dtype.bitsize();
            assert_eq!(bits.div_ceil(8), t.bytes.len(), "{}", t.name);
            end = end.max(t.bytes.end);
        }
        if !tensors.is_empty() {
            assert_eq!(end, data.len(), "the data ends at the end of the file");
        }
    }
    if let Ok(listed) = ModelDir::parse_index(Path::new("model.safetensors.index.json"), data) {
        for (file, tensors) in &listed {
            assert!(!file.contains('/') && !file.contains('\\') && file != "..");
            assert!(!tensors.is_empty());
        }
    }
    let Ok(config) = Config::parse(Path::new("config.json"), data) else {
        return;
    };
    let mut n = config.architecture().map_or(0, str::len);
    for a in arch::ARCHES {
        let mut c = config.clone();
        if c.apply_defaults(a.defaults).is_err() {
            continue;
        }
        for (key, _) in a.defaults {
            n += c.u64(key).map_or(0, |v| v as usize % 7);
            n += c.f64(key).map_or(0, |v| usize::from(v.is_finite()));
            n += usize::from(c.flag(key));
        }
    }
    std::hint::black_box(n);
}
