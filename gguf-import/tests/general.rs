//! The `general.*` keys (`general.type`, sampling, name and the model
//! card's) of each golden model equal those llama.cpp's converter wrote,
//! in its order, right after `general.architecture`; `--model-name` and
//! `--metadata` override them as the converter's flags do; malformed
//! inputs are errors naming the file.

use gguf_format::{TensorSource, Value};
use gguf_import::{Error, Import, ImportOptions, OutType};
use gguf_testdata::golden;
use std::path::Path;

/// Model directory → the `general.*` keys of its converter output, but
/// `general.architecture`, `general.file_type` and
/// `general.quantization_version` (tests/metadata.rs), in file order, as
/// "key<TAB>TYPE<TAB>value as JSON". Derived from
/// ../shared/golden/import/out/NAME-auto.gguf (not kept in the
/// repository) by `scripts/general-metadata-table.sh`, which prints this
/// table with `gguf inspect --json` (FLOAT32 values as the f64 they widen to).
const EXPECTED: &[(&str, &[&str])] = &[
    (
        "TinyLlama-1.1B-Chat-v1.0",
        &[
            "general.type\tSTRING\t\"model\"",
            "general.sampling.top_k\tINT32\t40",
            "general.sampling.top_p\tFLOAT32\t0.949999988079071",
            "general.sampling.temp\tFLOAT32\t0.699999988079071",
            "general.sampling.penalty_repeat\tFLOAT32\t1.100000023841858",
            "general.name\tSTRING\t\"TinyLlama 1.1B Chat v1.0\"",
            "general.version\tSTRING\t\"v1.0\"",
            "general.finetune\tSTRING\t\"1.1b-Chat\"",
            "general.basename\tSTRING\t\"TinyLlama\"",
            "general.size_label\tSTRING\t\"151K\"",
            "general.license\tSTRING\t\"apache-2.0\"",
            "general.base_model.count\tUINT32\t1",
            "general.base_model.0.name\tSTRING\t\"TinyLlama 1.1B Intermediate Step 1431k 3T\"",
            "general.base_model.0.organization\tSTRING\t\"TinyLlama\"",
            "general.base_model.0.repo_url\tSTRING\t\"https://huggingface.co/TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T\"",
            "general.dataset.count\tUINT32\t2",
            "general.dataset.0.name\tSTRING\t\"SlimPajama 627B\"",
            "general.dataset.0.organization\tSTRING\t\"Cerebras\"",
            "general.dataset.0.repo_url\tSTRING\t\"https://huggingface.co/cerebras/SlimPajama-627B\"",
            "general.dataset.1.name\tSTRING\t\"Ultrachat_200K\"",
            "general.dataset.1.organization\tSTRING\t\"HuggingFaceH4\"",
            "general.dataset.1.repo_url\tSTRING\t\"https://huggingface.co/HuggingFaceH4/ultrachat_200k\"",
            "general.tags\tARRAY[STRING]\t[\"text-generation\",\"tiny\",\"text-generation\"]",
            "general.languages\tARRAY[STRING]\t[\"en\",\"fr\"]",
        ],
    ),
    (
        "bert-wordpiece",
        &[
            "general.type\tSTRING\t\"model\"",
            "general.name\tSTRING\t\"Bert Wordpiece\"",
            "general.size_label\tSTRING\t\"1.0M\"",
        ],
    ),
    (
        "gemma2-spm",
        &[
            "general.type\tSTRING\t\"model\"",
            "general.name\tSTRING\t\"Gemma2 Spm\"",
            "general.size_label\tSTRING\t\"187K\"",
        ],
    ),
    (
        "gemma3-spm",
        &[
            "general.type\tSTRING\t\"model\"",
            "general.name\tSTRING\t\"Gemma3 Spm\"",
            "general.size_label\tSTRING\t\"249K\"",
        ],
    ),
    (
        "llama3-bpe",
        &[
            "general.type\tSTRING\t\"model\"",
            "general.name\tSTRING\t\"Llama3 Bpe\"",
            "general.size_label\tSTRING\t\"4.1M\"",
        ],
    ),
    (
        "mistral-hf",
        &[
            "general.type\tSTRING\t\"model\"",
            "general.name\tSTRING\t\"Mistral Hf\"",
            "general.size_label\tSTRING\t\"2.1M\"",
        ],
    ),
    (
        "phi3-spm",
        &[
            "general.type\tSTRING\t\"model\"",
            "general.name\tSTRING\t\"Phi3 Spm\"",
            "general.size_label\tSTRING\t\"159K\"",
        ],
    ),
    (
        "qwen2-bpe",
        &[
            "general.type\tSTRING\t\"model\"",
            "general.name\tSTRING\t\"Qwen2 Bpe\"",
            "general.size_label\tSTRING\t\"4.1M\"",
        ],
    ),
    (
        "qwen3-bpe",
        &[
            "general.type\tSTRING\t\"model\"",
            "general.name\tSTRING\t\"Qwen3 Bpe\"",
            "general.size_label\tSTRING\t\"4.9M\"",
        ],
    ),
    (
        "tinyllama-spm",
        &[
            "general.type\tSTRING\t\"model\"",
            "general.name\tSTRING\t\"Tinyllama Spm\"",
            "general.size_label\tSTRING\t\"151K\"",
        ],
    ),
];

/// A value as `gguf inspect --json` prints it.
fn json(v: &Value) -> String {
    match v {
        Value::String(s) => serde_json::to_string(s.as_str().unwrap()).unwrap(),
        Value::U32(x) => x.to_string(),
        Value::I32(x) => x.to_string(),
        Value::F32(x) => serde_json::Value::from(*x as f64).to_string(),
        Value::Bool(x) => x.to_string(),
        Value::Array(a) => format!("[{}]", a.iter().map(|x| json(&x)).collect::<Vec<_>>().join(",")),
        other => panic!("unexpected value {other:?}"),
    }
}

/// The keys `gguf_import::general` makes, as in the table, and whether
/// they come as one run right after `general.architecture`.
fn general_keys(import: &Import) -> (Vec<String>, bool) {
    let source = import.source().unwrap();
    let md = source.metadata();
    let ours = |k: &str| {
        k.starts_with("general.")
            && !matches!(
                k,
                "general.architecture" | "general.file_type" | "general.quantization_version"
            )
    };
    let got: Vec<String> = md
        .iter()
        .filter(|kv| ours(kv.key))
        .map(|kv| format!("{}\t{}\t{}", kv.key, kv.value.type_name(), json(&kv.value)))
        .collect();
    let run = md.iter().skip(1).take_while(|kv| ours(kv.key)).count();
    (
        got.clone(),
        md[0].key == "general.architecture" && run == got.len(),
    )
}

#[test]
fn general_keys_are_the_converters() {
    for (model, want) in EXPECTED {
        let dir = golden::dir().join("import/models").join(model);
        assert!(dir.is_dir(), "ground truth missing: {}", dir.display());
        let (got, in_place) = general_keys(&Import::open(&dir, OutType::Auto).unwrap());
        assert_eq!(got, *want, "{model}");
        assert!(
            in_place,
            "{model}: general.* keys not right after general.architecture"
        );
    }
}

/// A copy of golden model `name` (config.json, weights and tokenizer files;
/// the other files as `extra` says) in a temporary directory named `as_name`.
fn copy(name: &str, as_name: &str, extra: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let from = golden::dir().join("import/models").join(name);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(as_name);
    std::fs::create_dir(&dir).unwrap();
    for e in std::fs::read_dir(&from).unwrap() {
        let n = e.unwrap().file_name().into_string().unwrap();
        if n.ends_with(".safetensors")
            || n == "config.json"
            || n.ends_with(".index.json")
            || n.starts_with("tokenizer")
            || n == "special_tokens_map.json"
            || extra.contains(&n.as_str())
        {
            std::fs::copy(from.join(&n), dir.join(&n)).unwrap();
        }
    }
    (tmp, dir)
}

fn keys_of(dir: &Path, options: &ImportOptions) -> Vec<String> {
    general_keys(&Import::open_with(dir, OutType::Auto, options).unwrap()).0
}

#[test]
fn options_override_as_the_converter() {
    let (_tmp, dir) = copy("tinyllama-spm", "tinyllama-spm", &["generation_config.json"]);
    let meta = dir.join("override.json");
    std::fs::write(
        &meta,
        r#"{"general.name": "Custom", "general.author": "Someone", "general.sampling.top_k": 7,
            "general.tags": ["a", "b"], "general.license.name": "custom-license",
            "general.base_models": [{"name": "Parent", "repo_url": "https://example.org/p"}]}"#,
    )
    .unwrap();
    let options = ImportOptions {
        model_name: None,
        metadata: Some(meta.clone()),
        ..ImportOptions::default()
    };
    assert_eq!(
        keys_of(&dir, &options),
        [
            "general.type\tSTRING\t\"model\"",
            "general.sampling.top_k\tINT32\t7",
            "general.name\tSTRING\t\"Custom\"",
            "general.author\tSTRING\t\"Someone\"",
            "general.size_label\tSTRING\t\"151K\"",
            "general.license.name\tSTRING\t\"custom-license\"",
            "general.base_model.count\tUINT32\t1",
            "general.base_model.0.name\tSTRING\t\"Parent\"",
            "general.base_model.0.repo_url\tSTRING\t\"https://example.org/p\"",
            "general.tags\tARRAY[STRING]\t[\"a\",\"b\"]",
        ]
    );
    // --model-name wins over the override file.
    let options = ImportOptions {
        model_name: Some("From Flag".into()),
        metadata: Some(meta),
        ..ImportOptions::default()
    };
    assert_eq!(keys_of(&dir, &options)[2], "general.name\tSTRING\t\"From Flag\"");
}

#[test]
fn name_heuristics_from_a_hub_style_folder_and_name_or_path() {
    // The folder name is the last fallback; _name_or_path comes before it.
    let (_tmp, dir) = copy("tinyllama-spm", "Mistral-7B-Instruct-v0.2", &[]);
    assert_eq!(
        keys_of(&dir, &ImportOptions::default()),
        [
            "general.type\tSTRING\t\"model\"",
            "general.name\tSTRING\t\"Mistral 7B Instruct v0.2\"",
            "general.version\tSTRING\t\"v0.2\"",
            // 7B is far from the 151K parameters: a finetune, lowercased.
            "general.finetune\tSTRING\t\"7b-Instruct\"",
            "general.basename\tSTRING\t\"Mistral\"",
            "general.size_label\tSTRING\t\"151K\"",
        ]
    );
    let config = dir.join("config.json");
    let mut c: serde_json::Value = serde_json::from_slice(&std::fs::read(&config).unwrap()).unwrap();
    c["_name_or_path"] = "Qwen/Qwen2.5-0.5B-Instruct".into();
    std::fs::write(&config, c.to_string()).unwrap();
    assert_eq!(
        keys_of(&dir, &ImportOptions::default()),
        [
            "general.type\tSTRING\t\"model\"",
            "general.name\tSTRING\t\"Qwen2.5 0.5B Instruct\"",
            "general.version\tSTRING\t\"v0.2\"",
            "general.organization\tSTRING\t\"Qwen\"",
            "general.finetune\tSTRING\t\"0.5b-Instruct\"",
            "general.basename\tSTRING\t\"Qwen2.5\"",
            "general.size_label\tSTRING\t\"151K\"",
        ]
    );
}

#[test]
fn malformed_inputs_name_the_file() {
    let (_tmp, dir) = copy("tinyllama-spm", "tinyllama-spm", &[]);
    let gen = dir.join("generation_config.json");
    std::fs::write(&gen, "{\"top_k\": 40,").unwrap();
    let err = Import::open(&dir, OutType::Auto).unwrap_err();
    assert!(matches!(&err, Error::Json { path, .. } if *path == gen), "{err}");
    assert!(err.to_string().contains("generation_config.json"), "{err}");

    std::fs::write(&gen, "{\"top_k\": \"forty\"}").unwrap();
    let err = Import::open(&dir, OutType::Auto).unwrap_err();
    assert!(
        matches!(&err, Error::Config { path, key, .. } if *path == gen && key == "general.sampling.top_k"),
        "{err}"
    );
    std::fs::remove_file(&gen).unwrap();

    let meta = dir.join("override.json");
    for bad in ["{\"general.name\": ", "[1, 2]"] {
        std::fs::write(&meta, bad).unwrap();
        let options = ImportOptions {
            model_name: None,
            metadata: Some(meta.clone()),
            ..ImportOptions::default()
        };
        let err = Import::open_with(&dir, OutType::Auto, &options).unwrap_err();
        assert!(matches!(&err, Error::Json { path, .. } if *path == meta), "{err}");
        assert!(err.to_string().contains("override.json"), "{err}");
    }
    std::fs::write(&meta, "{\"general.tags\": 5}").unwrap();
    let options = ImportOptions {
        model_name: None,
        metadata: Some(meta.clone()),
        ..ImportOptions::default()
    };
    let err = Import::open_with(&dir, OutType::Auto, &options).unwrap_err();
    assert!(
        matches!(&err, Error::Config { path, .. } if *path == meta),
        "{err}"
    );

    let missing = dir.join("nope.json");
    let options = ImportOptions {
        model_name: None,
        metadata: Some(missing.clone()),
        ..ImportOptions::default()
    };
    let err = Import::open_with(&dir, OutType::Auto, &options).unwrap_err();
    assert!(err.to_string().contains("nope.json"), "{err}");

    let card = dir.join("README.md");
    std::fs::write(&card, "---\nlicense: [mit\n---\n# card\n").unwrap();
    let err = Import::open(&dir, OutType::Auto).unwrap_err();
    assert!(
        matches!(&err, Error::Config { path, .. } if *path == card),
        "{err}"
    );
}

#[test]
fn model_card_yaml_follows_pyyaml() {
    let (_tmp, dir) = copy("tinyllama-spm", "tinyllama-spm", &[]);
    // `- no` is quoted by the converter (the Norway problem), `on` unquoted
    // in a list is PyYAML's True: a BOOL array. License lists are joined.
    std::fs::write(
        dir.join("README.md"),
        "---\nlicense:\n- mit\n- apache-2.0\nlanguage:\n- en\n- no\ntags:\n- on\n- off\npipeline_tag: null\n---\n",
    )
    .unwrap();
    assert_eq!(
        keys_of(&dir, &ImportOptions::default()),
        [
            "general.type\tSTRING\t\"model\"",
            "general.name\tSTRING\t\"Tinyllama Spm\"",
            "general.size_label\tSTRING\t\"151K\"",
            "general.license\tSTRING\t\"mit,apache-2.0\"",
            "general.tags\tARRAY[BOOL]\t[true,false]",
            "general.languages\tARRAY[STRING]\t[\"en\",\"no\"]",
        ]
    );
}

/// A card in the style of Llama 3.1's (folded scalars, nested maps, a
/// flow list with a comment, an anchor and alias, a date).
const LLAMA31_CARD: &str = r#"---
language:
- en
- de
license: llama3.1
extra_gated_prompt: >-
  ### LLAMA 3.1 COMMUNITY LICENSE AGREEMENT

  Llama 3.1 Version Release Date: July 23, 2024
extra_gated_fields:
  First Name: text
  Date of birth: date_picker
  Country: country
  geo: ip_location
  By clicking Submit below I accept the terms of the license and acknowledge that the information I provide will be collected stored processed and shared in accordance with the Meta Privacy Policy: checkbox
extra_gated_button_content: Submit
tags: [facebook, meta, pytorch, llama, llama-3]   # flow list with a comment
base_model: &bm meta-llama/Meta-Llama-3.1-8B
other: *bm
widget:
  - example_title: Hello
    messages:
      - role: user
        content: "Hey my name is Julien! How are you?"
model-index:
- name: x
  results: []
inference:
  parameters:
    temperature: 0.7
pipeline_tag: text-generation
library_name: transformers
new_version: 2024-07-23
---
body
"#;

#[test]
fn a_real_world_card() {
    let (_tmp, dir) = copy("tinyllama-spm", "Meta-Llama-3.1-8B-Instruct", &[]);
    std::fs::write(dir.join("README.md"), LLAMA31_CARD).unwrap();
    // What metadata.py's Metadata.load gives for this folder and card at
    // 150848 parameters (run with PyYAML 6.0).
    assert_eq!(
        keys_of(&dir, &ImportOptions::default()),
        [
            "general.type\tSTRING\t\"model\"",
            "general.name\tSTRING\t\"Meta Llama 3.1 8B Instruct\"",
            "general.finetune\tSTRING\t\"8b-Instruct\"",
            "general.basename\tSTRING\t\"Meta-Llama-3.1\"",
            "general.size_label\tSTRING\t\"151K\"",
            "general.license\tSTRING\t\"llama3.1\"",
            "general.base_model.count\tUINT32\t1",
            "general.base_model.0.name\tSTRING\t\"Meta Llama 3.1 8B\"",
            "general.base_model.0.organization\tSTRING\t\"Meta Llama\"",
            "general.base_model.0.repo_url\tSTRING\t\"https://huggingface.co/meta-llama/Meta-Llama-3.1-8B\"",
            "general.tags\tARRAY[STRING]\t[\"facebook\",\"meta\",\"pytorch\",\"llama\",\"llama-3\",\"text-generation\"]",
            "general.languages\tARRAY[STRING]\t[\"en\",\"de\"]",
        ]
    );
}
