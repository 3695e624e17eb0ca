//! Parsing allocates in proportion to keys and tensors, never to array
//! elements: a 262,144-token vocabulary costs exactly what a 1,000-token one
//! does. Counted with a global allocator wrapper (this test binary only).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

struct Counting;
static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
static LARGEST: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(l.size() as u64, Relaxed);
        LARGEST.fetch_max(l.size() as u64, Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new as u64, Relaxed);
        LARGEST.fetch_max(new as u64, Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// (allocations, bytes, largest single allocation) made by `f`.
fn measure<T>(f: impl FnOnce() -> T) -> (u64, u64, u64, T) {
    let (a, b) = (ALLOCS.load(Relaxed), BYTES.load(Relaxed));
    LARGEST.store(0, Relaxed);
    let out = f();
    (
        ALLOCS.load(Relaxed) - a,
        BYTES.load(Relaxed) - b,
        LARGEST.load(Relaxed),
        out,
    )
}

// One test function, so no other test allocates concurrently.
#[test]
fn parse_cost_does_not_grow_with_array_elements() {
    let small = gguf_testdata::big_vocab_model(1_000);
    let big = gguf_testdata::big_vocab_model(262_144);
    let (a_small, b_small, _, g) = measure(|| gguf_format::Gguf::parse(&small).unwrap());
    assert_eq!(g.get_array("tokenizer.ggml.tokens").unwrap().len(), 1_000);
    drop(g);
    let (a_big, b_big, largest, g) = measure(|| gguf_format::Gguf::parse(&big).unwrap());
    assert_eq!(g.get_array("tokenizer.ggml.tokens").unwrap().len(), 262_144);
    assert_eq!(a_small, a_big, "allocation count grew with the vocabulary");
    assert_eq!(b_small, b_big, "allocated bytes grew with the vocabulary");
    // Proportional to keys (26) and tensors (308): a few tens of allocations.
    assert!(a_big < 64, "{a_big} allocations");
    assert!(
        largest < big.len() as u64 / 10,
        "largest allocation {largest} bytes"
    );

    // Walking the whole vocabulary allocates nothing either.
    let (a_iter, _, _, total) = measure(|| {
        let tokens = g.get_array("tokenizer.ggml.tokens").unwrap();
        let scores = g.get_array("tokenizer.ggml.scores").unwrap();
        let n: usize = tokens.strings().unwrap().map(|s| s.len()).sum();
        let s: f32 = scores.values::<f32>().unwrap().sum();
        (n, s)
    });
    assert!(total.0 > 262_144);
    assert_eq!(a_iter, 0, "iterating tokens and scores allocated");
}
