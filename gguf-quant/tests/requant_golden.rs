//! `gguf requant` reproduces llama-quantize's output byte for byte, for every
//! llama-quantize file in `../shared/golden/` (see its README for the commands).

use gguf_format::{GgmlType, Gguf, GgufFile, ModelFiles};
use gguf_quant::requant::{self, parse_target, Imatrix, Options};
use std::path::PathBuf;

fn golden(name: &str) -> PathBuf {
    let d = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/golden");
    assert!(d.is_dir(), "golden files missing: {}", d.display());
    d.join(name)
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

/// Names the first tensor (or header part) where two files differ.
fn first_difference(ours: &[u8], theirs: &[u8]) -> String {
    let (a, b) = match (Gguf::parse(ours), Gguf::parse(theirs)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) => return format!("our output does not parse: {e}"),
        (_, Err(e)) => return format!("golden does not parse: {e}"),
    };
    for (x, y) in a.metadata().iter().zip(b.metadata()) {
        if x.key != y.key || x.value.type_name() != y.value.type_name() {
            return format!(
                "metadata differs: ours {} ({}), golden {} ({})",
                x.key,
                x.value.type_name(),
                y.key,
                y.value.type_name()
            );
        }
    }
    if a.metadata().len() != b.metadata().len() {
        return format!("{} keys, golden has {}", a.metadata().len(), b.metadata().len());
    }
    for (x, y) in a.tensors().iter().zip(b.tensors()) {
        if x.name != y.name || x.ggml_type != y.ggml_type || x.dims() != y.dims() {
            return format!(
                "tensor differs: ours {} {} {:?}, golden {} {} {:?}",
                x.name,
                x.ggml_type,
                x.dims(),
                y.name,
                y.ggml_type,
                y.dims()
            );
        }
        let (dx, dy) = (a.tensor_data(x).unwrap(), b.tensor_data(y).unwrap());
        if dx != dy {
            let at = dx.iter().zip(dy).position(|(p, q)| p != q).unwrap_or(0);
            let block = x.ggml_type.info().unwrap().type_size as usize;
            return format!(
                "data of {} ({}) differs first at byte {at} (block {})",
                x.name,
                x.ggml_type,
                at / block
            );
        }
    }
    "metadata values or padding differ".to_string()
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
        let theirs = std::fs::read(golden(c.out)).unwrap();
        assert_eq!(plan.out_file_size, theirs.len() as u64, "{}: planned size", c.out);
        if ours != theirs {
            failures.push(format!("{}: {}", c.out, first_difference(&ours, &theirs)));
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
    // The plan alone (no codecs involved): every tensor's name, type, shape and offset.
    for c in cases() {
        let opts = options(&c);
        let input = ModelFiles::open(golden(c.input)).unwrap();
        let g = input.parse().unwrap();
        let plan = requant::plan(&g, &opts, false).unwrap();
        assert_eq!(plan.outputs.len(), 1);
        let theirs = GgufFile::open(golden(c.out)).unwrap();
        let t = theirs.parse().unwrap();
        let ours: Vec<_> = plan.outputs[0]
            .builder
            .tensors()
            .iter()
            .map(|d| (d.name.to_string(), d.ggml_type, d.dims().to_vec(), d.offset))
            .collect();
        let want: Vec<_> = t
            .tensors()
            .iter()
            .map(|d| (d.name.to_string(), d.ggml_type, d.dims().to_vec(), d.offset))
            .collect();
        assert_eq!(ours, want, "{}", c.out);
        let keys: Vec<_> = plan.outputs[0]
            .builder
            .metadata()
            .iter()
            .map(|(k, _)| k.to_string())
            .collect();
        let want_keys: Vec<_> = t.metadata().iter().map(|kv| kv.key.to_string()).collect();
        assert_eq!(keys, want_keys, "{}", c.out);
    }
}

/// llama-gguf-split's three shards of tiny-Q4_K_M to Q8_0.
fn split_input_case() -> Case {
    Case {
        allow_requantize: true,
        ..case(
            "tiny-Q4_K_M-requant-Q8_0.gguf",
            "edit-split/tiny-Q4_K_M-00001-of-00003.gguf",
            "Q8_0",
        )
    }
}

/// A split input is read whole: requantizing the three shards llama-gguf-split
/// made of tiny-Q4_K_M.gguf gives exactly the file llama-quantize wrote from
/// the unsplit model (its loader reads shards the same way).
#[test]
fn requant_of_a_split_model_matches_llama_quantize() {
    let c = split_input_case();
    let opts = options(&c);
    let files = ModelFiles::open(golden(c.input)).unwrap();
    assert_eq!(files.files().len(), 3, "all shards are found");
    let g = files.parse().unwrap();
    assert_eq!(g.tensors().len(), 21);
    let plan = requant::plan(&g, &opts, false).unwrap();
    let ours = requant::execute(&g, &plan, &opts, 0, Vec::new(), &mut |_| {}).unwrap();
    let theirs = std::fs::read(golden(c.out)).unwrap();
    assert!(ours == theirs, "{}", first_difference(&ours, &theirs));
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
    let files = ModelFiles::open(golden(c.input)).unwrap();
    let g = files.parse().unwrap();
    let plan = requant::plan(&g, &opts, false).unwrap();
    assert_eq!(plan.outputs.len(), 3);
    let theirs_bytes = std::fs::read(golden(c.out)).unwrap();
    let theirs = Gguf::parse(&theirs_bytes).unwrap();
    for (i, shard) in g.shards().iter().enumerate() {
        let bytes = requant::execute(&g, &plan, &opts, i, Vec::new(), &mut |_| {}).unwrap();
        let out = Gguf::parse(&bytes).unwrap();
        let names: Vec<&str> = out.tensors().iter().map(|t| t.name).collect();
        let want: Vec<&str> = shard.gguf.tensors().iter().map(|t| t.name).collect();
        assert_eq!(names, want, "shard {i} keeps its tensors and their order");
        for t in out.tensors() {
            let u = theirs.tensor(t.name).unwrap();
            assert_eq!(
                out.tensor_data(t).unwrap(),
                theirs.tensor_data(u).unwrap(),
                "{}",
                t.name
            );
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
            let want_keys: Vec<&str> = theirs.metadata().iter().map(|kv| kv.key).collect();
            assert_eq!(&keys[..keys.len() - 3], &want_keys[..]);
        } else {
            assert_eq!(keys.len(), 3);
        }
    }
}
