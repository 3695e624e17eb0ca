//! Malformed model directories: each is a clear error naming the file,
//! tensor or key at fault, found before anything is written — never a
//! panic.

use gguf_import::{Error, Import, ModelDir, OutType};
use gguf_testdata::golden;

mod common;

use common::{copy_model, open_err};

/// A safetensors file of one tensor `name` with `dtype`, `shape` and `data`.
fn safetensors(name: &str, dtype: &str, shape: &[u64], data: &[u8]) -> Vec<u8> {
    let shape: Vec<String> = shape.iter().map(u64::to_string).collect();
    let mut header = format!(
        r#"{{"{name}":{{"dtype":"{dtype}","shape":[{}],"data_offsets":[0,{}]}}}}"#,
        shape.join(","),
        data.len()
    );
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

#[test]
fn missing_config_names_the_file() {
    let (_tmp, dir) = copy_model("tinyllama-spm");
    std::fs::remove_file(dir.join("config.json")).unwrap();
    let e = open_err(&dir);
    assert!(
        matches!(e, Error::Io { ref path, .. } if path.ends_with("config.json")),
        "{e:?}"
    );
    assert!(e.to_string().contains("config.json"), "{e}");
}

#[test]
fn missing_weights_name_the_directory() {
    let (_tmp, dir) = copy_model("llama3-bpe");
    std::fs::remove_file(dir.join("model.safetensors")).unwrap();
    let e = open_err(&dir);
    assert!(matches!(e, Error::NoWeights { .. }), "{e:?}");
    assert!(e.to_string().contains("model.safetensors"), "{e}");
}

#[test]
fn missing_shard_is_named_before_anything_is_read() {
    let (_tmp, dir) = copy_model("tinyllama-spm");
    std::fs::remove_file(dir.join("model-00003-of-00004.safetensors")).unwrap();
    let e = open_err(&dir);
    assert!(
        matches!(e, Error::MissingShard { ref shard, .. } if shard == "model-00003-of-00004.safetensors"),
        "{e:?}"
    );
    assert!(e.to_string().contains("model-00003-of-00004.safetensors"), "{e}");
}

#[test]
fn tensor_missing_from_its_shard_is_named() {
    let (_tmp, dir) = copy_model("tinyllama-spm");
    // The index moves model.norm.weight to shard 4, which does not hold it.
    let index = dir.join("model.safetensors.index.json");
    let text = std::fs::read_to_string(&index).unwrap().replace(
        r#""model.norm.weight": "model-00003-of-00004.safetensors""#,
        r#""model.norm.weight": "model-00004-of-00004.safetensors""#,
    );
    std::fs::write(&index, text).unwrap();
    let e = open_err(&dir);
    assert!(
        matches!(e, Error::Tensor { ref tensor, .. } if tensor == "model.norm.weight"),
        "{e:?}"
    );
}

#[test]
fn truncated_safetensors_names_the_file() {
    let (_tmp, dir) = copy_model("llama3-bpe");
    let p = dir.join("model.safetensors");
    let bytes = std::fs::read(&p).unwrap();
    // Cut inside the JSON header.
    std::fs::write(&p, &bytes[..40]).unwrap();
    let e = open_err(&dir);
    assert!(
        matches!(e, Error::Safetensors { ref path, .. } if path == &p),
        "{e:?}"
    );
    // Cut inside the data.
    std::fs::write(&p, &bytes[..bytes.len() - 1]).unwrap();
    let e = open_err(&dir);
    assert!(
        matches!(e, Error::Safetensors { ref path, .. } if path == &p),
        "{e:?}"
    );
    // Shorter than the length prefix.
    std::fs::write(&p, &bytes[..3]).unwrap();
    let e = open_err(&dir);
    assert!(
        matches!(e, Error::Safetensors { ref path, .. } if path == &p),
        "{e:?}"
    );
}

#[test]
fn unknown_architecture_lists_the_supported_ones() {
    let (_tmp, dir) = copy_model("llama3-bpe");
    let p = dir.join("config.json");
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replace("LlamaForCausalLM", "FooForCausalLM");
    std::fs::write(&p, text).unwrap();
    let e = open_err(&dir);
    assert!(
        matches!(e, Error::UnsupportedArchitecture { ref name, .. } if name == "FooForCausalLM"),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("FooForCausalLM") && msg.contains("LlamaForCausalLM"),
        "{msg}"
    );
}

#[test]
fn config_without_architectures_names_the_key() {
    let (_tmp, dir) = copy_model("llama3-bpe");
    std::fs::write(dir.join("config.json"), r#"{"model_type": "llama"}"#).unwrap();
    let e = open_err(&dir);
    assert!(
        matches!(e, Error::Config { ref key, .. } if key == "architectures"),
        "{e:?}"
    );
}

#[test]
fn config_that_is_not_json_names_the_file() {
    let (_tmp, dir) = copy_model("llama3-bpe");
    std::fs::write(dir.join("config.json"), "{ not json").unwrap();
    let e = open_err(&dir);
    assert!(
        matches!(e, Error::Json { ref path, .. } if path.ends_with("config.json")),
        "{e:?}"
    );
}

#[test]
fn unreadable_dtype_names_the_tensor() {
    let (_tmp, dir) = copy_model("llama3-bpe");
    std::fs::write(
        dir.join("model.safetensors"),
        safetensors("model.embed_tokens.weight", "I64", &[1, 2], &[0; 16]),
    )
    .unwrap();
    let e = open_err(&dir);
    assert!(
        matches!(e, Error::Tensor { ref tensor, .. } if tensor == "model.embed_tokens.weight"),
        "{e:?}"
    );
    assert!(e.to_string().contains("I64"), "{e}");
}

#[test]
fn unmapped_tensor_names_it() {
    let (_tmp, dir) = copy_model("llama3-bpe");
    std::fs::write(
        dir.join("model.safetensors"),
        safetensors("model.mystery.weight", "F32", &[2], &[0; 8]),
    )
    .unwrap();
    let e = open_err(&dir);
    assert!(
        matches!(e, Error::Tensor { ref tensor, .. } if tensor == "model.mystery.weight"),
        "{e:?}"
    );
}

#[test]
fn bad_outtype_is_refused() {
    assert!(matches!("q4_k_m".parse::<OutType>(), Err(Error::OutType(ref s)) if s == "q4_k_m"));
}

#[test]
fn model_dir_lists_shards_in_name_order() {
    let dir = ModelDir::open(golden::dir().join("import/models/tinyllama-spm")).unwrap();
    let names: Vec<_> = dir
        .shards()
        .iter()
        .map(|s| s.path().file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        (1..=4)
            .map(|i| format!("model-0000{i}-of-00004.safetensors"))
            .collect::<Vec<_>>()
    );
}

/// Gemma 3 keeps as many `token_embd` rows as the tokenizer has tokens:
/// without a `tokenizer.model`, `tokenizer.json`'s vocabulary plus its
/// added tokens; and says which file is missing when neither is there.
#[test]
fn gemma3_token_embd_is_cut_to_tokenizer_json() {
    use gguf_format::{RowChunks, TensorSource};
    let full = Import::open(golden::dir().join("import/models/gemma3-spm"), OutType::F16).unwrap();
    let full = full.source().unwrap();
    let (_tmp, dir) = copy_model("gemma3-spm");
    std::fs::remove_file(dir.join("tokenizer.model")).unwrap();
    let e = open_err(&dir);
    assert!(
        matches!(e, Error::Io { ref path, .. } if path.ends_with("tokenizer.json")),
        "{e:?}"
    );

    let vocab: Vec<String> = (0..500).map(|i| format!("\"t{i}\": {i}")).collect();
    let added: Vec<String> = (500..510)
        .map(|i| {
            format!(
                "{{\"id\": {i}, \"content\": \"a{i}\", \"single_word\": false, \"lstrip\": false, \
                 \"rstrip\": false, \"normalized\": false, \"special\": false}}"
            )
        })
        .collect();
    std::fs::write(
        dir.join("tokenizer.json"),
        format!(
            r#"{{"version": "1.0", "truncation": null, "padding": null, "normalizer": null,
                "pre_tokenizer": null, "post_processor": null, "decoder": null,
                "model": {{"type": "BPE", "vocab": {{{}}}, "merges": []}}, "added_tokens": [{}]}}"#,
            vocab.join(","),
            added.join(",")
        ),
    )
    .unwrap();
    // A made-up BPE vocabulary: its chkhsh is in no table, so `pre` is given.
    let options = gguf_import::ImportOptions::default().with_pre("default");
    let cut = Import::new_with(gguf_import::ModelDir::open(&dir).unwrap(), OutType::F16, &options).unwrap();
    let cut = cut.source().unwrap();
    let t = cut.tensor("token_embd.weight").unwrap();
    assert_eq!(t.dims(), &[64, 510]);
    let whole = full.tensor("token_embd.weight").unwrap();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for rows in RowChunks::new(t, 1000).unwrap().iter() {
        let ours = cut.rows(t, rows.clone(), &mut a).unwrap();
        assert_eq!(ours, full.rows(whole, rows, &mut b).unwrap());
    }
}
