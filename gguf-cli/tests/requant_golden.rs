//! `gguf requant` reproduces llama-quantize's output byte for byte, for every
//! llama-quantize file in `../shared/golden/` (see its README for the commands).

use gguf_cli::requant::{self, ftype, imatrix::Imatrix, select::SelectOptions, RequantOptions};
use gguf_format::{GgmlType, Gguf, GgufFile};
use std::path::PathBuf;

mod common;

fn golden(name: &str) -> PathBuf {
    common::golden_dir().join(name)
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

fn options(c: &Case) -> RequantOptions {
    let imatrix = c.imatrix.map(|p| {
        let m = Imatrix::load(golden(p).to_str().unwrap()).unwrap();
        // The key records the path exactly as given on llama-quantize's command line.
        (p.to_string(), m)
    });
    RequantOptions {
        select: SelectOptions {
            target: ftype::parse_target(c.to).unwrap(),
            pure: c.pure,
            leave_output: c.leave_output,
            output_type: c.output_type,
            token_embd_type: c.token_embd_type,
            tensor_types: c
                .tensor_types
                .iter()
                .map(|(p, t)| (regex::Regex::new(p).unwrap(), *t))
                .collect(),
        },
        allow_requantize: c.allow_requantize,
        imatrix,
        override_kv: vec![],
        prune_layers: vec![],
    }
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
        let input = GgufFile::open(golden(c.input)).unwrap();
        let g = input.parse().unwrap();
        let plan = requant::plan(&g, &opts, false).unwrap_or_else(|e| panic!("{}: plan: {e}", c.out));
        let ours = match requant::execute(&g, None, &plan, &opts, Vec::new(), &mut |_| {}) {
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
        let input = GgufFile::open(golden(c.input)).unwrap();
        let g = input.parse().unwrap();
        let plan = requant::plan(&g, &opts, false).unwrap();
        let theirs = GgufFile::open(golden(c.out)).unwrap();
        let t = theirs.parse().unwrap();
        let ours: Vec<_> = plan
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
        let keys: Vec<_> = plan
            .builder
            .metadata()
            .iter()
            .map(|(k, _)| k.to_string())
            .collect();
        let want_keys: Vec<_> = t.metadata().iter().map(|kv| kv.key.to_string()).collect();
        assert_eq!(keys, want_keys, "{}", c.out);
    }
}
