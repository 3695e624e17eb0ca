//! `gguf inspect --ctx` against what llama.cpp 0c1e570's `llama-cli` and
//! `llama-perplexity` allocate (`testdata/golden/llama-context-memory.json`):
//! every row of the file, its llama.cpp arguments turned into `gguf`
//! flags. The weights (`CPU_Mapped`, `CPU_REPACK`), the KV caches and the
//! output buffer must be llama.cpp's to the printed 0.01 MiB; the compute
//! buffer, an estimate, within [`COMPUTE_TOLERANCE`] (or 0.1 MiB).

mod common;

use common::{gguf, golden, stderr};

const MIB: f64 = 1024.0 * 1024.0;

/// The compute buffer's tolerance: 5 % of llama.cpp's figure, or 0.1 MiB
/// when that is more (the estimate is a formula, not ggml's allocator).
const COMPUTE_TOLERANCE: f64 = 0.05;

/// The path of a row's model: the golden quantized files, or the
/// converter's `--outtype auto` outputs (made by `gguf import`).
fn model(name: &str) -> std::path::PathBuf {
    if name.ends_with("-auto.gguf") {
        golden(&format!("import/out/{name}"))
    } else {
        golden(name)
    }
}

/// `gguf` flags for llama.cpp's arguments; an argument this test does not
/// know fails it.
fn flags(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = args.split_whitespace();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| panic!("{a} without a value in {args:?}"))
                .to_string()
        };
        match a {
            "-np" => out.extend(["--parallel".to_string(), value()]),
            "-ctk" => out.extend(["--cache-type-k".to_string(), value()]),
            "-ctv" => out.extend(["--cache-type-v".to_string(), value()]),
            "-ub" => out.extend(["--ubatch".to_string(), value()]),
            "-b" => out.extend(["--batch".to_string(), value()]),
            // Flash attention is what the estimate assumes on the CPU (auto turns it on).
            "-fa" => assert_eq!(value(), "on", "{args:?}"),
            other => panic!("llama.cpp argument {other:?} (in {args:?}) has no gguf flag in this test"),
        }
    }
    out
}

/// `gguf inspect --json --ctx CTX --usage USAGE FLAGS MODEL`'s memory object.
fn memory(path: &std::path::Path, ctx: u64, usage: &str, extra: &[String]) -> serde_json::Value {
    let ctx = ctx.to_string();
    let mut args = vec![
        "inspect",
        "--json",
        "--max-array",
        "0",
        "--no-tensors",
        "--ctx",
        &ctx,
        "--usage",
        usage,
    ];
    args.extend(extra.iter().map(String::as_str));
    args.push(path.to_str().unwrap());
    let o = gguf(&args);
    assert!(o.status.success(), "gguf {}: {}", args.join(" "), stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    doc["files"][0]["memory"].clone()
}

#[test]
fn every_row_is_what_llama_cpp_allocates() {
    let doc: serde_json::Value =
        serde_json::from_slice(&gguf_testdata::golden::read("llama-context-memory.json")).unwrap();
    let rows = doc["rows"].as_array().unwrap();
    assert!(rows.len() >= 20, "{} rows", rows.len());
    let mut failures = Vec::new();
    for row in rows {
        let s = |k: &str| row[k].as_str().unwrap_or_else(|| panic!("{k} in {row}"));
        let f = |k: &str| row[k].as_f64().unwrap_or_else(|| panic!("{k} in {row}"));
        let usage = match s("tool") {
            "llama-cli" => "generation",
            "llama-perplexity" => "perplexity",
            other => panic!("tool {other}"),
        };
        let what = format!("{} {} -c {} {}", s("tool"), s("model"), row["ctx"], s("args"));
        let m = memory(
            &model(s("model")),
            row["ctx"].as_u64().unwrap(),
            usage,
            &flags(s("args")),
        );
        let mib = |k: &str| {
            m[k].as_f64()
                .unwrap_or_else(|| panic!("{what}: memory.{k} in {m}"))
                / MIB
        };
        assert_eq!(m["usage"], usage, "{what}");
        // Exact figures, to the 0.01 MiB llama.cpp prints (the KV figure
        // is its lines summed, each rounded: 0.005 MiB per cache).
        let n_caches = m["caches"].as_array().map_or(1, Vec::len) as f64;
        for (ours, theirs, key, tolerance) in [
            (
                mib("weights_mapped_bytes"),
                f("model_mapped"),
                "model_mapped",
                0.005,
            ),
            (
                mib("weights_repack_bytes"),
                f("model_repack"),
                "model_repack",
                0.005,
            ),
            (mib("kv_cache_bytes"), f("kv"), "kv", 0.005 * n_caches),
            (mib("output_bytes"), f("output"), "output", 0.005),
        ] {
            if (ours - theirs).abs() > tolerance + 1e-9 {
                failures.push(format!("{what}: {key} {ours:.4} MiB, llama.cpp {theirs:.2} MiB"));
            }
        }
        assert_eq!(
            m["n_outputs"],
            row["n_outputs_max"].as_u64().unwrap().min(512),
            "{what}"
        );
        let (ours, theirs) = (mib("compute_bytes"), f("compute"));
        if (ours - theirs).abs() > (COMPUTE_TOLERANCE * theirs).max(0.1) {
            failures.push(format!(
                "{what}: compute {ours:.2} MiB, llama.cpp {theirs:.2} MiB"
            ));
        }
        eprintln!("{what}: compute {ours:.2} MiB, llama.cpp {theirs:.2} MiB");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// llama.cpp refuses a q8_0 cache on llama3-bpe-auto (heads of 8 values,
/// blocks of 32): the rows with `-ctk q8_0` are absent from the golden file,
/// and `gguf` says why and exits 2.
#[test]
fn a_cache_type_llama_cpp_refuses_is_an_error() {
    let path = model("llama3-bpe-auto.gguf");
    for (flag, which) in [("--cache-type-k", "K"), ("--cache-type-v", "V")] {
        let o = gguf(&["inspect", "--ctx", "4096", flag, "q8_0", path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{flag}");
        let want = format!(
            "llama.cpp refuses this context: {which} cache type q8_0 with block size 32 does not divide n_embd_head_{}=8",
            which.to_lowercase()
        );
        assert!(stderr(&o).contains(&want), "{flag}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "{flag}: nothing shown for a refused context");
    }
    // requant --dry-run --ctx follows the same rule.
    let o = gguf(&[
        "requant",
        "--dry-run",
        "--to",
        "q8_0",
        "--ctx",
        "4096",
        "--cache-type-k",
        "q8_0",
        path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("K cache type q8_0 with block size 32 does not divide n_embd_head_k=8"),
        "{}",
        stderr(&o)
    );
}

/// The text says which program the figures describe, and that repacking
/// depends on the CPU.
#[test]
fn the_text_names_the_program_and_the_repack() {
    let path = golden("tiny-Q4_K_M.gguf");
    let o = gguf(&[
        "inspect",
        "--no-metadata",
        "--no-tensors",
        "--ctx",
        "4096",
        path.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains("as llama-cli / llama-server allocate it on the CPU (--usage generation)"),
        "{text}"
    );
    assert!(
        text.contains(
            "(mapped 799.2 KiB + CPU_REPACK 558.0 KiB for 12 tensors; the repacking depends on the CPU)"
        ),
        "{text}"
    );
    assert!(text.contains("1 row of logits per micro-batch"), "{text}");
    let o = gguf(&[
        "inspect",
        "--no-metadata",
        "--no-tensors",
        "--ctx",
        "512",
        "--usage",
        "perplexity",
        path.to_str().unwrap(),
    ]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains("as llama-perplexity allocates it on the CPU (--usage perplexity)"),
        "{text}"
    );
    assert!(text.contains("4 sequences"), "{text}");
    assert!(text.contains("512 rows of logits per micro-batch"), "{text}");
}
