//! The tokenizer metadata: for each golden model, the `tokenizer.*` keys of
//! the synthesized header equal those llama.cpp's converter wrote, compared
//! through a digest of the tokenizer section (`examples/tokenizer_digest.rs`:
//! the `tokenizer.*` key/value pairs in order, serialized alone). The
//! `.gguf` outputs are not in the repository; the digests below were
//! computed from `../shared/golden/import/out/NAME-auto.gguf` with
//! `scripts/tokenizer-digests.sh`, which recomputes this table.

use gguf_import::{Error, Import, ImportOptions, OutType};
use gguf_testdata::golden;

mod common;

use common::{copy_model, model, open_err};

#[path = "../examples/tokenizer_digest.rs"]
#[allow(dead_code)]
mod digest;

/// Model directory → digest of the converter's tokenizer section.
const EXPECTED: &[(&str, &str)] = &[
    (
        "TinyLlama-1.1B-Chat-v1.0",
        "4ad871896411104013d9173393dc02298cd92190f8cc4bd03e573bde0211ea2a",
    ),
    (
        "bert-wordpiece",
        "b68d1160ae32a55e683b074e3e0ea8c489f293f457b9444e2b2ddb4cca550528",
    ),
    (
        "gemma2-spm",
        "720750d26b0fa0dc6784ff9176b84061b7cc968e22940df1c9356dabf460a63f",
    ),
    (
        "gemma3-spm",
        "720750d26b0fa0dc6784ff9176b84061b7cc968e22940df1c9356dabf460a63f",
    ),
    (
        "llama3-bpe",
        "eef672c39c345a0a4a6282274a0f14ee849415b9ab82b7d4f758810359f6e174",
    ),
    (
        "mistral-hf",
        "9fde0057da84810c0403b19a1e4c2df9ecda995562becce2ea6345aefc48709e",
    ),
    (
        "phi3-spm",
        "33e0353b1cc721740769c232c623df8f6116f7e1158c5a9c6e0d3be65026fd88",
    ),
    (
        "qwen2-bpe",
        "e6b9027825090666e902d5ce449b1f79a567591596ddda1f52206648d0e9662b",
    ),
    (
        "qwen3-bpe",
        "530c4067c6c183667fc6f9b574ae3b2b01d9bbfe2ed58fb7b7f4e7071644a977",
    ),
    (
        "tinyllama-spm",
        "bfc9b6c7cbc74ad88680b01848dcd2469db35c1d2e721263261d60b049aff08b",
    ),
];

/// The `tokenizer.*` keys of a header, one line each (for a readable
/// diff): scalars as they are, arrays as type, length and the digest of
/// the key alone.
fn keys(header: &[u8]) -> Vec<String> {
    let g = gguf_format::Gguf::parse_header(header).unwrap();
    g.metadata()
        .iter()
        .filter(|kv| kv.key.starts_with("tokenizer."))
        .map(|kv| match kv.value {
            gguf_format::Value::Array(a) => {
                let mut b = gguf_format::GgufBuilder::new();
                b.push(kv.key, gguf_format::MetaValue::from(kv.value)).unwrap();
                let mut out = Vec::new();
                drop(b.write_header(&mut out).unwrap());
                let d = digest::tokenizer_digest(&out);
                format!("{}=[{:?}; {}] {}", kv.key, a.element_type(), a.len(), &d[..16])
            }
            ref v => {
                let v = format!("{v:?}");
                format!("{}={}", kv.key, &v[..v.len().min(200)])
            }
        })
        .collect()
}

#[test]
fn tokenizer_keys_equal_the_converters() {
    let mut bad = Vec::new();
    for (name, want) in EXPECTED {
        let import = Import::open(model(name), OutType::Auto).unwrap();
        let got = digest::tokenizer_digest(import.header_bytes());
        if got != *want {
            // With the shared ground truth at hand (../shared beside the
            // repository), show where they part.
            let out = golden::dir().join(format!("../../../shared/golden/import/out/{name}-auto.gguf"));
            let detail = match std::fs::read(&out) {
                Ok(bytes) => {
                    let (a, b) = (keys(import.header_bytes()), keys(&bytes));
                    let i = a
                        .iter()
                        .zip(&b)
                        .position(|(x, y)| x != y)
                        .unwrap_or(a.len().min(b.len()));
                    format!(
                        "first difference at key {i}:\n  ours: {:?}\n  theirs: {:?}",
                        a.get(i),
                        b.get(i)
                    )
                }
                Err(_) => format!("{:#?}", keys(import.header_bytes())),
            };
            bad.push(format!("{name}: digest {got}\n{detail}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n\n"));
}

/// The value of string key `key` in an import's header.
fn string_key(import: &Import, key: &str) -> String {
    let g = gguf_format::Gguf::parse_header(import.header_bytes()).unwrap();
    let kv = g.metadata().iter().find(|kv| kv.key == key).unwrap();
    match kv.value {
        gguf_format::Value::String(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
        ref v => panic!("{key}: {v:?}"),
    }
}

#[test]
fn unknown_chkhsh_names_the_hash_and_pre_chooses_one() {
    let (_tmp, dir) = copy_model("llama3-bpe");
    // Another pre-tokenizer: the same vocabulary encodes chktxt otherwise.
    let path = dir.join("tokenizer.json");
    let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    json["pre_tokenizer"] = serde_json::json!({"type": "Whitespace"});
    std::fs::write(&path, json.to_string()).unwrap();
    let e = open_err(&dir);
    let Error::UnknownPreTokenizer { ref chkhsh, .. } = e else {
        panic!("{e:?}")
    };
    assert_eq!(chkhsh.len(), 64);
    let msg = e.to_string();
    assert!(msg.contains(chkhsh.as_str()) && msg.contains("pre"), "{msg}");

    let options = ImportOptions::default().with_pre("llama-bpe");
    let import = Import::open_with(&dir, OutType::F16, &options).unwrap();
    assert_eq!(string_key(&import, "tokenizer.ggml.pre"), "llama-bpe");
    assert_eq!(string_key(&import, "tokenizer.ggml.model"), "gpt2");
}

#[test]
fn corrupt_tokenizer_model_names_the_file() {
    let (_tmp, dir) = copy_model("tinyllama-spm");
    std::fs::write(dir.join("tokenizer.model"), [0xffu8; 16]).unwrap();
    let e = open_err(&dir);
    assert!(
        matches!(e, Error::Tokenizer { ref path, .. } if path.ends_with("tokenizer.model")),
        "{e:?}"
    );
    assert!(e.to_string().contains("tokenizer.model"), "{e}");
}

#[test]
fn corrupt_tokenizer_json_names_the_file() {
    let (_tmp, dir) = copy_model("qwen3-bpe");
    let path = dir.join("tokenizer.json");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let e = open_err(&dir);
    assert!(
        matches!(e, Error::Tokenizer { ref path, .. } if path.ends_with("tokenizer.json")),
        "{e:?}"
    );
}

#[test]
fn vocabulary_larger_than_vocab_size_names_the_file() {
    let (_tmp, dir) = copy_model("llama3-bpe");
    let path = dir.join("config.json");
    let mut config: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    config["vocab_size"] = 1000.into();
    std::fs::write(&path, config.to_string()).unwrap();
    let e = open_err(&dir);
    assert!(
        matches!(e, Error::Tokenizer { ref path, .. } if path.ends_with("tokenizer.json")),
        "{e:?}"
    );
}

/// The metadata keys of an import's header, in order, with their values
/// for strings and string arrays (shortened).
fn tokenizer_keys(import: &Import) -> Vec<(String, String)> {
    let g = gguf_format::Gguf::parse_header(import.header_bytes()).unwrap();
    g.metadata()
        .iter()
        .filter(|kv| kv.key.starts_with("tokenizer."))
        .map(|kv| {
            let v = match kv.value {
                gguf_format::Value::String(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
                gguf_format::Value::Array(ref a) if a.len() < 10 => a
                    .strings()
                    .map(|s| {
                        s.map(|x| String::from_utf8_lossy(x.as_bytes()).into_owned())
                            .collect::<Vec<_>>()
                            .join("|")
                    })
                    .unwrap_or_default(),
                _ => String::new(),
            };
            (kv.key.to_string(), v)
        })
        .collect()
}

#[test]
fn chat_template_lists_are_written_as_gguf_py_does() {
    let (_tmp, dir) = copy_model("tinyllama-spm");
    let plain = tokenizer_keys(&Import::open(&dir, OutType::F16).unwrap());
    let at = plain
        .iter()
        .position(|(k, _)| k == "tokenizer.chat_template")
        .expect("the golden directory has a chat template");
    let tc = dir.join("tokenizer_config.json");
    let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(&tc).unwrap()).unwrap();
    json["chat_template"] = serde_json::json!([
        {"name": "tool use", "template": "T"},
        {"name": "default", "template": "D"},
        {"name": "rag", "template": "R"},
        {"name": "", "template": "ignored: no name"},
        {"name": "none", "template": null},
        {"name": "empty", "template": ""},
        {"name": "rag", "template": "R2"},
    ]);
    std::fs::write(&tc, json.to_string()).unwrap();
    let got = tokenizer_keys(&Import::open(&dir, OutType::F16).unwrap());
    // In the place of the one template: each named one (an empty one not
    // written, a repeated name keeping its place with the last template),
    // the names, then the default.
    let mut want = plain.clone();
    want.splice(
        at..=at,
        [
            ("tokenizer.chat_template.tool_use", "T"),
            ("tokenizer.chat_template.rag", "R2"),
            ("tokenizer.chat_templates", "tool_use|rag|empty"),
            ("tokenizer.chat_template", "D"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    assert_eq!(got, want);

    // Without a default: no tokenizer.chat_template; an empty template
    // string is not written either.
    json["chat_template"] = serde_json::json!([{"name": "x", "template": "X"}]);
    std::fs::write(&tc, json.to_string()).unwrap();
    let got = tokenizer_keys(&Import::open(&dir, OutType::F16).unwrap());
    assert!(got.iter().all(|(k, _)| k != "tokenizer.chat_template"));
    assert!(got.contains(&("tokenizer.chat_templates".into(), "x".into())));
    json["chat_template"] = serde_json::json!("");
    std::fs::write(&tc, json.to_string()).unwrap();
    let got = tokenizer_keys(&Import::open(&dir, OutType::F16).unwrap());
    assert!(got.iter().all(|(k, _)| !k.starts_with("tokenizer.chat_template")));

    // What gguf-py stops on is an error naming the file.
    json["chat_template"] = serde_json::json!([{"name": "x", "template": 5}]);
    std::fs::write(&tc, json.to_string()).unwrap();
    let e = open_err(&dir);
    assert!(
        e.to_string().contains("tokenizer_config.json") && e.to_string().contains("template 5"),
        "{e}"
    );
}

#[test]
fn additional_chat_templates_follow_the_default_one() {
    let (_tmp, dir) = copy_model("tinyllama-spm");
    let tc = dir.join("tokenizer_config.json");
    let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(&tc).unwrap()).unwrap();
    json.as_object_mut().unwrap().remove("chat_template");
    std::fs::write(&tc, json.to_string()).unwrap();
    std::fs::write(dir.join("chat_template.jinja"), "J").unwrap();
    let one = tokenizer_keys(&Import::open(&dir, OutType::F16).unwrap());
    assert!(one.contains(&("tokenizer.chat_template".into(), "J".into())));
    let extra = dir.join("additional_chat_templates");
    std::fs::create_dir(&extra).unwrap();
    std::fs::write(extra.join("tool-use.jinja"), "U").unwrap();
    std::fs::write(extra.join("notes.txt"), "not a template").unwrap();
    let got = tokenizer_keys(&Import::open(&dir, OutType::F16).unwrap());
    let chat: Vec<_> = got
        .iter()
        .filter(|(k, _)| k.starts_with("tokenizer.chat_template"))
        .collect();
    assert_eq!(
        chat,
        [
            &("tokenizer.chat_template.tool_use".to_string(), "U".to_string()),
            &("tokenizer.chat_templates".to_string(), "tool_use".to_string()),
            &("tokenizer.chat_template".to_string(), "J".to_string()),
        ]
    );
}
