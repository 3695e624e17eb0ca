//! The tensor-source seam: every engine (requant's plan and execute, the
//! quality estimate, comparison, the whole-file operations' writer) reads a
//! model only through `TensorSource`, so a source that makes its bytes on
//! request — no memory map, no file, nothing borrowed — gives the same
//! output as the zero-copy `Model` it stands for. This is the way in for
//! sources that are not GGUF files (an importer).

use gguf_format::{ops, split::SplitLimit, ByteOrder, Gguf, ModelFiles, TensorInfo, TensorSource};
use gguf_quant::compare::{compare, Options as CompareOptions};
use gguf_quant::requant::{self, parse_target, quality, Options};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};

/// A source that copies every chunk it is asked for into the caller's
/// scratch buffer (as a converting source must), never lends a file, and
/// counts what it hands out and gets back.
struct Made<'m, 'a> {
    inner: &'m gguf_format::Model<'a>,
    handed: AtomicU64,
    released: AtomicU64,
}

impl<'m, 'a> Made<'m, 'a> {
    fn new(inner: &'m gguf_format::Model<'a>) -> Self {
        Made {
            inner,
            handed: AtomicU64::new(0),
            released: AtomicU64::new(0),
        }
    }
}

impl<'a> TensorSource<'a> for Made<'_, 'a> {
    fn name(&self) -> &str {
        "made"
    }
    fn header(&self) -> &Gguf<'a> {
        self.inner.header()
    }
    fn tensors(&self) -> &[TensorInfo<'a>] {
        self.inner.tensors()
    }
    fn byte_order(&self, t: &TensorInfo<'_>) -> ByteOrder {
        TensorSource::byte_order(self.inner, t)
    }
    fn rows<'s>(
        &'s self,
        t: &TensorInfo<'_>,
        rows: Range<u64>,
        scratch: &'s mut Vec<u8>,
    ) -> gguf_format::Result<&'s [u8]> {
        let mut unused = Vec::new();
        let bytes = self.inner.rows(t, rows, &mut unused)?;
        scratch.clear();
        scratch.extend_from_slice(bytes);
        self.handed.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        Ok(scratch)
    }
    fn release(&self, t: &TensorInfo<'_>, rows: Range<u64>) {
        let per = gguf_format::row_bytes(t).unwrap();
        self.released
            .fetch_add((rows.end - rows.start) * per, Ordering::Relaxed);
    }
}

fn model_path(name: &str) -> String {
    format!("{}/../testdata/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn requant_through_a_made_source_writes_the_same_file() {
    let files = ModelFiles::open(model_path("tiny-llama-f32.gguf")).unwrap();
    let model = files.parse().unwrap();
    let made = Made::new(&model);
    for target in ["Q4_K_M", "Q8_0", "F16"] {
        let opts = Options::new(parse_target(target).unwrap());
        let plan = requant::plan(&model, &opts, false).unwrap();
        let want = requant::execute(&model, &plan, &opts, 0, Vec::new(), &mut |_| {}).unwrap();
        let plan_made = requant::plan(&made, &opts, false).unwrap();
        assert_eq!(plan_made.out_file_size, plan.out_file_size);
        let got = requant::execute(&made, &plan_made, &opts, 0, Vec::new(), &mut |_| {}).unwrap();
        assert!(got == want, "{target}: the made source's output differs");
    }
    // Every byte the source handed out was given back.
    assert!(made.handed.load(Ordering::Relaxed) > 0);
    assert!(made.released.load(Ordering::Relaxed) >= made.handed.load(Ordering::Relaxed));
}

#[test]
fn quality_and_compare_through_a_made_source_agree_with_the_model() {
    let files = ModelFiles::open(model_path("tiny-llama-f32.gguf")).unwrap();
    let model = files.parse().unwrap();
    let made = Made::new(&model);
    let opts = Options::new(parse_target("Q4_0").unwrap());
    let plan = requant::plan(&model, &opts, true).unwrap();
    let q = quality::QualityOptions::default();
    let a = quality::estimate(&model, &[&plan], &q, &mut |_| {}).unwrap();
    let b = quality::estimate(&made, &[&plan], &q, &mut |_| {}).unwrap();
    assert_eq!(a, b);

    let f16 = ModelFiles::open(model_path("tiny-llama-f16.gguf")).unwrap();
    let f16 = f16.parse().unwrap();
    let o = CompareOptions::default();
    let (x, y) = (compare(&model, &f16, &o), compare(&made, &f16, &o));
    assert_eq!(
        x.summary.relative_rmse.to_bits(),
        y.summary.relative_rmse.to_bits()
    );
    assert_eq!(x.summary.compared, y.summary.compared);
    assert!(x.summary.compared > 0 && !y.tensors.iter().all(|t| t.identical));
    // Identical bytes are found identical chunk by chunk, as whole tensors.
    let same = compare(&made, &model, &o);
    assert!(!same.has_differences());
    assert_eq!(same.summary.identical, same.summary.compared);
}

#[test]
fn split_through_a_made_source_writes_the_same_shards() {
    let files = ModelFiles::open(model_path("tiny-llama-f32.gguf")).unwrap();
    let model = files.parse().unwrap();
    let made = Made::new(&model);
    let want: Vec<Vec<u8>> = ops::split(&model, SplitLimit::Tensors(8), false)
        .unwrap()
        .iter()
        .map(|o| o.write_to(&model, Vec::new(), &mut |_| {}).unwrap())
        .collect();
    let got: Vec<Vec<u8>> = ops::split(&made, SplitLimit::Tensors(8), false)
        .unwrap()
        .iter()
        .map(|o| o.write_to(&made, Vec::new(), &mut |_| {}).unwrap())
        .collect();
    assert_eq!(got.len(), 3);
    assert!(got == want);
}
