//! The requant engine reproduces llama-quantize's output byte for byte, for
//! every llama-quantize file of the golden set (`testdata/golden/README.md`
//! gives the commands; the outputs are kept there as digests, compared with
//! [`golden::assert_same`], which names the first differing tensor), and
//! llama-gguf-split's shards of such an output.

use gguf_format::split::{shard_path, SplitLimit};
use gguf_format::{ops, write_atomic_all, GgmlType, Gguf, Model, ModelFiles};
use gguf_quant::requant::{self, parse_target, Imatrix, Options};
use gguf_testdata::golden;
use std::path::{Path, PathBuf};

/// A golden input, kept in full.
fn golden(name: &str) -> PathBuf {
    golden::path(name)
}

/// Writes gguf-format outputs as `names` in `dir` and returns their bytes.
fn write_outputs(m: &Model<'_>, outputs: &[ops::Output<'_>], dir: &Path, names: &[String]) -> Vec<Vec<u8>> {
    let paths: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
    write_atomic_all(&paths, |i, w| outputs[i].write(m, w, &mut |_| {})).unwrap();
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// llama-gguf-split's shards of tiny-Q4_K_M.gguf (8 tensors each), made by
/// gguf-format's split and checked by digest, in `dir`; returns the first.
fn tiny_q4_k_m_shards(dir: &Path) -> PathBuf {
    let files = ModelFiles::open(golden("tiny-Q4_K_M.gguf")).unwrap();
    let m = files.parse().unwrap();
    let outputs = ops::split(&m, SplitLimit::Tensors(8), false).unwrap();
    let names: Vec<String> = (0..3).map(|i| shard_path("tiny-Q4_K_M", i, 3)).collect();
    for (bytes, n) in write_outputs(&m, &outputs, dir, &names).iter().zip(&names) {
        golden::assert_same(&format!("edit-split/{n}"), bytes);
    }
    dir.join(&names[0])
}

/// llama-quantize's options for one golden file.
struct Case {
    out: &'static str,
    input: &'static str,
    to: &'static str,
    imatrix: Option<&'static str>,
    pure: bool,
    leave_output: bool,
    output_type: Option<GgmlType>,
    token_embd_type: Option<GgmlType>,
    tensor_types: &'static [(&'static str, GgmlType)],
    allow_requantize: bool,
}

fn case(out: &'static str, input: &'static str, to: &'static str) -> Case {
    Case {
        out,
        input,
        to,
        imatrix: None,
        pure: false,
        leave_output: false,
        output_type: None,
        token_embd_type: None,
        tensor_types: &[],
        allow_requantize: false,
    }
}

fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    for ft in [
        "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M",
        "Q5_K_S", "Q5_K_M", "Q6_K", "F16", "BF16",
    ] {
        v.push(case(
            Box::leak(format!("tiny-{ft}.gguf").into_boxed_str()),
            "tiny-f32.gguf",
            ft,
        ));
    }
    for ft in ["Q4_K_M", "Q2_K", "Q2_K_S", "Q3_K_S", "Q4_0", "IQ4_XS"] {
        v.push(Case {
            imatrix: Some("tiny.imatrix.gguf"),
            ..case(
                Box::leak(format!("tiny-{ft}-imat.gguf").into_boxed_str()),
                "tiny-f32.gguf",
                ft,
            )
        });
    }
    v.push(Case {
        pure: true,
        ..case("tiny-Q4_K-pure.gguf", "tiny-f32.gguf", "Q4_K_M")
    });
    v.push(Case {
        output_type: Some(GgmlType::Q8_0),
        token_embd_type: Some(GgmlType::Q4_0),
        ..case("tiny-Q4_K_M-out-q8_0-embd-q4_0.gguf", "tiny-f32.gguf", "Q4_K_M")
    });
    v.push(Case {
        tensor_types: &[("attn_q", GgmlType::Q8_0)],
        ..case("tiny-Q5_K_M-attn_q-q8_0.gguf", "tiny-f32.gguf", "Q5_K_M")
    });
    v.push(Case {
        leave_output: true,
        ..case("tiny-Q4_K_S-leave-output.gguf", "tiny-f32.gguf", "Q4_K_S")
    });
    v.push(Case {
        allow_requantize: true,
        ..case("tiny-Q4_K_M-requant-Q8_0.gguf", "tiny-Q4_K_M.gguf", "Q8_0")
    });
    for ft in ["Q4_K_M", "Q2_K", "Q3_K_M", "Q5_K_S", "Q6_K", "Q4_0"] {
        v.push(case(
            Box::leak(format!("odd-{ft}.gguf").into_boxed_str()),
            "odd-f16.gguf",
            ft,
        ));
    }
    v.push(Case {
        imatrix: Some("odd.imatrix.gguf"),
        ..case("odd-Q4_K_M-imat.gguf", "odd-f16.gguf", "Q4_K_M")
    });
    v
}

fn options(c: &Case) -> Options {
    let mut o = Options::new(parse_target(c.to).unwrap());
    o.pure(c.pure)
        .leave_output_tensor(c.leave_output)
        .output_tensor_type(c.output_type)
        .token_embedding_type(c.token_embd_type)
        .allow_requantize(c.allow_requantize);
    for (p, t) in c.tensor_types {
        o.tensor_type(&format!("{p}={t}")).unwrap();
    }
    if let Some(p) = c.imatrix {
        let m = Imatrix::load(golden(p).to_str().unwrap()).unwrap();
        // The key records the path exactly as given on llama-quantize's command line.
        o.imatrix(p, m, &[], &[]).unwrap();
    }
    o
}

#[test]
fn requant_matches_llama_quantize_byte_for_byte() {
    let mut failures = Vec::new();
    for c in cases() {
        let opts = options(&c);
        let input = ModelFiles::open(golden(c.input)).unwrap();
        let g = input.parse().unwrap();
        let plan = requant::plan(&g, &opts, false).unwrap_or_else(|e| panic!("{}: plan: {e}", c.out));
        let ours: Vec<u8> = match requant::execute(&g, &plan, &opts, 0, Vec::new(), &mut |_| {}) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{}: {e}", c.out));
                continue;
            }
        };
        assert_eq!(plan.out_file_size, ours.len() as u64, "{}: planned size", c.out);
        if let Err(e) = golden::check(c.out, &ours) {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        cases().len(),
        failures.join("\n")
    );
}

#[test]
fn type_choices_match_llama_quantize() {
    // The plan alone (no codecs involved): every tensor's name, type, shape
    // and offset, against llama.cpp's tensor list of the golden file.
    for c in cases() {
        let opts = options(&c);
        let input = ModelFiles::open(golden(c.input)).unwrap();
        let g = input.parse().unwrap();
        let plan = requant::plan(&g, &opts, false).unwrap();
        assert_eq!(plan.outputs.len(), 1);
        let b = &plan.outputs[0].builder;
        let data_offset = b.metadata_size().unwrap();
        let ours: Vec<_> = b
            .tensors()
            .iter()
            .map(|d| {
                (
                    d.name.to_string(),
                    d.ggml_type.to_string(),
                    d.dims().to_vec(),
                    data_offset + d.offset,
                )
            })
            .collect();
        let want: Vec<_> = golden::tensors(c.out)
            .into_iter()
            .map(|t| (t.name, t.ty, t.shape, t.offset))
            .collect();
        assert_eq!(ours, want, "{}", c.out);
    }
}

/// llama-gguf-split's three shards of tiny-Q4_K_M to Q8_0 (the input is
/// made by [`tiny_q4_k_m_shards`]).
fn split_input_case() -> Case {
    Case {
        allow_requantize: true,
        ..case("tiny-Q4_K_M-requant-Q8_0.gguf", "", "Q8_0")
    }
}

/// A split input is read whole: requantizing the three shards llama-gguf-split
/// made of tiny-Q4_K_M.gguf gives exactly the file llama-quantize wrote from
/// the unsplit model (its loader reads shards the same way).
#[test]
fn requant_of_a_split_model_matches_llama_quantize() {
    let c = split_input_case();
    let opts = options(&c);
    let dir = tempfile::tempdir().unwrap();
    let files = ModelFiles::open(tiny_q4_k_m_shards(dir.path())).unwrap();
    assert_eq!(files.files().len(), 3, "all shards are found");
    let g = files.parse().unwrap();
    assert_eq!(g.tensors().len(), 21);
    let plan = requant::plan(&g, &opts, false).unwrap();
    let ours: Vec<u8> = requant::execute(&g, &plan, &opts, 0, Vec::new(), &mut |_| {}).unwrap();
    golden::assert_same(c.out, &ours);
}

/// `--keep-split`: one output per input shard, each with that shard's
/// tensors in its order; the first has all metadata, each ends with
/// split.no, split.count, split.tensors.count (llama-quantize's order); the
/// tensor data is what llama-quantize wrote for the same tensors.
#[test]
fn keep_split_writes_one_output_per_shard() {
    let c = split_input_case();
    let mut opts = options(&c);
    opts.keep_split(true);
    let dir = tempfile::tempdir().unwrap();
    let files = ModelFiles::open(tiny_q4_k_m_shards(dir.path())).unwrap();
    let g = files.parse().unwrap();
    let plan = requant::plan(&g, &opts, false).unwrap();
    assert_eq!(plan.outputs.len(), 3);
    // The unsplit output (llama-quantize's file) gives the keys and their order.
    let whole_opts = options(&c);
    let whole_plan = requant::plan(&g, &whole_opts, false).unwrap();
    let whole: Vec<u8> = requant::execute(&g, &whole_plan, &whole_opts, 0, Vec::new(), &mut |_| {}).unwrap();
    golden::assert_same(c.out, &whole);
    let whole = Gguf::parse(&whole).unwrap();
    let want_keys: Vec<&str> = whole.metadata().iter().map(|kv| kv.key).collect();
    for (i, shard) in g.shards().iter().enumerate() {
        let bytes: Vec<u8> = requant::execute(&g, &plan, &opts, i, Vec::new(), &mut |_| {}).unwrap();
        let out = Gguf::parse(&bytes).unwrap();
        let names: Vec<&str> = out.tensors().iter().map(|t| t.name).collect();
        let want: Vec<&str> = shard.gguf.tensors().iter().map(|t| t.name).collect();
        assert_eq!(names, want, "shard {i} keeps its tensors and their order");
        for t in out.tensors() {
            golden::check_tensor(c.out, t.name, out.tensor_data(t).unwrap()).unwrap();
        }
        let keys: Vec<&str> = out.metadata().iter().map(|kv| kv.key).collect();
        let tail = &keys[keys.len() - 3..];
        assert_eq!(
            tail,
            ["split.no", "split.count", "split.tensors.count"],
            "shard {i}"
        );
        assert_eq!(out.get_scalar::<u16>("split.no").unwrap(), i as u16);
        assert_eq!(out.get_scalar::<u16>("split.count").unwrap(), 3);
        assert_eq!(out.get_i32("split.tensors.count").unwrap(), 21);
        if i == 0 {
            assert_eq!(&keys[..keys.len() - 3], &want_keys[..]);
        } else {
            assert_eq!(keys.len(), 3);
        }
    }
}

/// llama-gguf-split --split-max-size 1M of llama-quantize's odd-Q4_K_M.gguf:
/// the requantized model (checked by digest), then its five shards (each
/// checked by digest), then merged back to the same tensors.
#[test]
fn split_by_size_of_a_requantized_model_equals_llama_gguf_split() {
    let dir = tempfile::tempdir().unwrap();
    let c = case("odd-Q4_K_M.gguf", "odd-f16.gguf", "Q4_K_M");
    let opts = options(&c);
    let input = ModelFiles::open(golden(c.input)).unwrap();
    let g = input.parse().unwrap();
    let plan = requant::plan(&g, &opts, false).unwrap();
    let q: Vec<u8> = requant::execute(&g, &plan, &opts, 0, Vec::new(), &mut |_| {}).unwrap();
    golden::assert_same(c.out, &q);
    let q_path = dir.path().join(c.out);
    std::fs::write(&q_path, &q).unwrap();

    let files = ModelFiles::open(&q_path).unwrap();
    let m = files.parse().unwrap();
    let outputs = ops::split(&m, SplitLimit::parse_size("1M").unwrap(), false).unwrap();
    assert_eq!(outputs.len(), 5);
    let names: Vec<String> = (0..5).map(|i| shard_path("odd-Q4_K_M", i, 5)).collect();
    let shards_dir = dir.path().join("shards");
    std::fs::create_dir(&shards_dir).unwrap();
    for (bytes, n) in write_outputs(&m, &outputs, &shards_dir, &names)
        .iter()
        .zip(&names)
    {
        golden::assert_same(&format!("edit-split/{n}"), bytes);
    }

    let files = ModelFiles::open(shards_dir.join(&names[0])).unwrap();
    let split = files.parse().unwrap();
    let merged = ops::merge(&split).unwrap();
    let got = write_outputs(
        &split,
        std::slice::from_ref(&merged),
        dir.path(),
        &["merged.gguf".into()],
    );
    let merged = Gguf::parse(&got[0]).unwrap();
    let orig = Gguf::parse(&q).unwrap();
    assert_eq!(merged.tensors().len(), orig.tensors().len());
    for t in orig.tensors() {
        let u = merged.tensor(t.name).unwrap();
        assert_eq!(
            merged.tensor_data(u).unwrap(),
            orig.tensor_data(t).unwrap(),
            "{}",
            t.name
        );
    }
}
