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
fn checked_in_malformed_files_match_the_generator() {
    let dir = gguf_testdata::dir().join("malformed");
    let cases = gguf_testdata::malformed_files();
    let on_disk = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "gguf"))
        .count();
    assert_eq!(
        on_disk,
        cases.len(),
        "testdata/malformed has stale or missing files; run `cargo run -p gguf-testdata`"
    );
    for (name, bytes) in cases {
        let got = std::fs::read(dir.join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(got == bytes, "{name} differs from the generator's output");
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

#[test]
fn checked_in_shard_sets_match_the_generator() {
    let dir = gguf_testdata::dir().join("malformed/shards");
    let sets = gguf_testdata::malformed_shard_sets();
    let on_disk = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (run `cargo run -p gguf-testdata`)", dir.display()))
        .count();
    assert_eq!(
        on_disk,
        sets.len(),
        "stale or missing shard sets; run `cargo run -p gguf-testdata`"
    );
    for (name, files) in sets {
        let d = dir.join(&name);
        assert_eq!(
            std::fs::read_dir(&d).unwrap().count(),
            files.len(),
            "{name}: stale files"
        );
        for (file, bytes) in files {
            let got = std::fs::read(d.join(file)).unwrap_or_else(|e| panic!("{name}/{file}: {e}"));
            assert!(got == bytes, "{name}/{file} differs from the generator's output");
        }
    }
}

#[test]
fn checked_in_import_dirs_match_the_generator() {
    let dir = gguf_testdata::dir().join("malformed/import");
    let dirs = gguf_testdata::malformed_import_dirs();
    assert_eq!(dirs.len(), 14, "one directory per import fault");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (run `cargo run -p gguf-testdata`)", dir.display()))
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    on_disk.sort();
    let names: Vec<&str> = dirs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        on_disk, names,
        "stale or missing model directories; run `cargo run -p gguf-testdata`"
    );
    let mut total = 0;
    for (name, files) in dirs {
        let d = dir.join(&name);
        let mut present: Vec<String> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        present.sort();
        let mut want: Vec<&str> = files.iter().map(|(f, _)| *f).collect();
        want.sort();
        assert_eq!(present, want, "{name}: stale or missing files");
        for (file, bytes) in files {
            let got = std::fs::read(d.join(file)).unwrap_or_else(|e| panic!("{name}/{file}: {e}"));
            assert!(got == bytes, "{name}/{file} differs from the generator's output");
            total += bytes.len();
        }
    }
    assert!(
        total < 256 << 10,
        "the model directories stay small: {total} bytes"
    );
}

#[test]
fn import_dirs_are_generated_the_same_every_time() {
    assert_eq!(
        gguf_testdata::malformed_import_dirs(),
        gguf_testdata::malformed_import_dirs()
    );
}
