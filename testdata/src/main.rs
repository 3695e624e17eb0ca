//! Writes the test files into `testdata/` (`cargo run -p gguf-testdata`).
//!
//! `cargo run -p gguf-testdata -- big-vocab OUT.gguf` instead writes the
//! 262,144-token benchmark model (76 MB, not checked in) to OUT.gguf, and
//! `cargo run --release -p gguf-testdata -- bench-model OUT.gguf` the
//! 0.85 B-parameter F16 model of the requant benchmark (1.7 GB); an optional
//! third argument sets the number of layers (8 gives the 1 GB model of the
//! diff benchmark). `bench-import OUT_DIR` writes the 0.34 B-parameter
//! bf16 Hugging Face model directory of the import benchmark (690 MB);
//! `bench-import OUT_DIR 13b` a 13 B-parameter one (26.6 GB, five shards).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [cmd, out, rest @ ..] = args.as_slice() {
        if cmd == "bench-model" {
            let f = std::io::BufWriter::with_capacity(1 << 22, std::fs::File::create(out).expect("create"));
            let mut shape = gguf_testdata::bench_shape();
            if let Some(layers) = rest.first() {
                shape.n_layer = layers.parse().expect("LAYERS is a number");
            }
            gguf_testdata::write_llama_model(
                &shape,
                gguf_format::GgmlType::F16,
                gguf_format::ByteOrder::Little,
                7,
                f,
            )
            .unwrap_or_else(|e| panic!("{out}: {e}"));
            println!("{out}");
            return;
        }
        if cmd == "bench-import" {
            let golden = gguf_testdata::golden::dir().join("import/models/llama3-bpe");
            let shape = match rest.first().map(String::as_str) {
                None => gguf_testdata::bench_import::BENCH,
                Some("13b") => gguf_testdata::bench_import::LLAMA_13B,
                Some(other) => panic!("bench-import OUT_DIR [13b]: unknown shape {other:?}"),
            };
            gguf_testdata::bench_import::write_shape(&golden, std::path::Path::new(out), shape)
                .unwrap_or_else(|e| panic!("{out}: {e}"));
            println!("{out}");
            return;
        }
        if cmd == "big-vocab" {
            let bytes = gguf_testdata::big_vocab_model(262_144);
            std::fs::write(out, &bytes).unwrap_or_else(|e| panic!("{out}: {e}"));
            println!("{:>9} bytes  {out}", bytes.len());
            return;
        }
    }
    if !args.is_empty() {
        eprintln!("usage: gguf-testdata [big-vocab OUT.gguf | bench-model OUT.gguf [LAYERS] | bench-import OUT_DIR [13b]]");
        std::process::exit(2);
    }
    let dir = gguf_testdata::dir();
    for (name, bytes) in gguf_testdata::files() {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        println!("{:>9} bytes  {}", bytes.len(), path.display());
    }
    let bad = dir.join("malformed");
    std::fs::create_dir_all(&bad).expect("create testdata/malformed");
    for old in std::fs::read_dir(&bad)
        .expect("list testdata/malformed")
        .flatten()
    {
        if old.path().extension().is_some_and(|e| e == "gguf") {
            std::fs::remove_file(old.path()).expect("remove an old malformed file");
        }
    }
    let cases = gguf_testdata::malformed_files();
    for (name, bytes) in &cases {
        std::fs::write(bad.join(name), bytes).expect("write a malformed file");
    }
    println!("{} files in {}", cases.len(), bad.display());
    let sets = gguf_testdata::malformed_shard_sets();
    replace_folders(&bad.join("shards"), &sets, "shard sets");
    let dirs = gguf_testdata::malformed_import_dirs();
    replace_folders(&bad.join("import"), &dirs, "model directories");
}

/// Replaces everything under `root` with `folders` (each a name and its
/// files' names and bytes).
fn replace_folders(
    root: &std::path::Path,
    folders: &[(String, gguf_testdata::malformed::ShardSet)],
    what: &str,
) {
    if root.exists() {
        std::fs::remove_dir_all(root).unwrap_or_else(|e| panic!("remove the old {what}: {e}"));
    }
    for (name, files) in folders {
        let d = root.join(name);
        std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        for (file, bytes) in files {
            let path = d.join(file);
            std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
    println!("{} {what} in {}", folders.len(), root.display());
}
