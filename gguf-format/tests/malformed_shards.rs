//! Every split-model case in `testdata/malformed/shards/` gives its recorded
//! outcome when its first file (by name) is opened as a model: the insta
//! snapshot pins each message, which names the file at fault. Folders named
//! `NN-ok-*` are valid and must open.

use gguf_format::ModelFiles;

#[test]
fn every_bad_shard_set_gives_its_outcome() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/malformed/shards");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 15, "only {} shard sets", dirs.len());
    let mut report = String::new();
    for d in dirs {
        let name = d.file_name().unwrap().to_str().unwrap().to_string();
        let mut files: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        let first = &files[0];
        let outcome = match ModelFiles::open(first).and_then(|f| {
            let m = f.parse()?;
            for t in m.tensors() {
                m.tensor_data(t)?;
            }
            Ok(format!(
                "ok: {} shards, {} tensors",
                m.shards().len(),
                m.tensors().len()
            ))
        }) {
            Ok(s) => s,
            // Paths relative to the case folder, so the snapshot does not depend on the checkout.
            Err(e) => format!(
                "error: {}",
                e.to_string().replace(&format!("{}/", d.display()), "")
            ),
        };
        assert_eq!(
            name.contains("-ok-"),
            outcome.starts_with("ok"),
            "{name}: {outcome}"
        );
        report.push_str(&format!("{name}\n    {outcome}\n"));
    }
    insta::assert_snapshot!(report);
}
