//! Writes the test files into `testdata/` (`cargo run -p gguf-testdata`).

fn main() {
    let dir = gguf_testdata::dir();
    for (name, bytes) in gguf_testdata::files() {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        println!("{:>9} bytes  {}", bytes.len(), path.display());
    }
}
