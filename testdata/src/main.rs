//! Writes the test files into `testdata/` (`cargo run -p gguf-testdata`).
//!
//! `cargo run -p gguf-testdata -- big-vocab OUT.gguf` instead writes the
//! 262,144-token benchmark model (76 MB, not checked in) to OUT.gguf.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [cmd, out] = args.as_slice() {
        if cmd == "big-vocab" {
            let bytes = gguf_testdata::big_vocab_model(262_144);
            std::fs::write(out, &bytes).unwrap_or_else(|e| panic!("{out}: {e}"));
            println!("{:>9} bytes  {out}", bytes.len());
            return;
        }
    }
    if !args.is_empty() {
        eprintln!("usage: gguf-testdata [big-vocab OUT.gguf]");
        std::process::exit(2);
    }
    let dir = gguf_testdata::dir();
    for (name, bytes) in gguf_testdata::files() {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        println!("{:>9} bytes  {}", bytes.len(), path.display());
    }
}
