//! The checked-in files are exactly what the generator writes.

#[test]
fn checked_in_files_match_the_generator() {
    let dir = gguf_testdata::dir();
    for (name, bytes) in gguf_testdata::files() {
        let path = dir.join(name);
        let on_disk = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run `cargo run -p gguf-testdata`)", path.display()));
        assert!(
            on_disk == bytes,
            "{name} differs from the generator's output ({} vs {} bytes); \
             if the change is intended, run `cargo run -p gguf-testdata` and review the diff",
            on_disk.len(),
            bytes.len()
        );
    }
}

#[test]
fn generated_files_parse() {
    for (name, bytes) in gguf_testdata::files() {
        let g = gguf_format::Gguf::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        for t in g.tensors() {
            g.tensor_data(t).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
