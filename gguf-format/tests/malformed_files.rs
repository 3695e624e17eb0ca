//! Every file in `testdata/malformed/` gives its recorded outcome (the insta
//! snapshot lists them all), quickly, without a panic, and without any single
//! allocation larger than the file (or 4 KiB, for files smaller than that).
//! Files named `NN-ok-*` are valid borderline cases and must parse.

use gguf_format::Gguf;
use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

struct Largest;
static LARGEST: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LARGEST.fetch_max(l.size() as u64, Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LARGEST.fetch_max(new as u64, Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static GLOBAL: Largest = Largest;

/// One test function: nothing else in this binary allocates meanwhile.
#[test]
fn every_malformed_file_gives_its_outcome() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/malformed");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "gguf"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 60, "only {} malformed files", paths.len());
    let mut report = String::new();
    for path in paths {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let limit = (bytes.len() as u64).max(4096);
        let start = std::time::Instant::now();
        LARGEST.store(0, Relaxed);
        let outcome = match Gguf::parse(&bytes) {
            Err(e) => format!("error: {e}"),
            Ok(g) => {
                let mut s = format!("ok: {} keys, {} tensors", g.metadata().len(), g.tensors().len());
                for t in g.tensors() {
                    if let Err(e) = g.tensor_data(t) {
                        write!(s, "; tensor data: {e}").unwrap();
                    }
                }
                for kv in g.metadata() {
                    if let Err(e) = g.get_str(kv.key).map(|_| ()).or_else(|e| match e {
                        gguf_format::Error::WrongType { .. } => Ok(()),
                        other => Err(other),
                    }) {
                        write!(s, "; {e}").unwrap();
                    }
                }
                s
            }
        };
        let largest = LARGEST.load(Relaxed);
        let took = start.elapsed();
        assert!(took.as_millis() < 1000, "{name}: took {took:?}");
        assert!(
            largest <= limit,
            "{name}: allocated {largest} bytes at once for a {}-byte file",
            bytes.len()
        );
        assert_eq!(
            name.contains("-ok-"),
            outcome.starts_with("ok"),
            "{name}: {outcome}"
        );
        writeln!(report, "{name}\n    {outcome}").unwrap();
    }
    insta::assert_snapshot!(report);
}
