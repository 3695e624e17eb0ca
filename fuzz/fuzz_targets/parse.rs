//! Arbitrary bytes → `Gguf::parse`; on success, touch every key, value, array
//! element and tensor slice. Must never panic, hang or allocate wildly.
#![no_main]

use gguf_format::{Gguf, Value};
use libfuzzer_sys::fuzz_target;

fn touch(v: &Value<'_>) -> usize {
    match v {
        Value::String(s) => s.len() + usize::from(s.as_str().is_some()),
        Value::Array(a) => a.iter().map(|x| touch(&x)).sum::<usize>() + a.strings().map_or(0, |s| s.count()),
        other => usize::from(other.as_f64().is_some()),
    }
}

fuzz_target!(|data: &[u8]| {
    for g in [Gguf::parse(data), Gguf::parse_header(data)].into_iter().flatten() {
        let mut n = 0;
        for kv in g.metadata() {
            n += kv.key.len() + touch(&kv.value) + kv.value.type_name().len();
            assert!(g.get(kv.key).is_some());
        }
        for t in g.tensors() {
            n += t.dims().len() + t.n_rows() as usize % 7;
            if let Ok(d) = g.tensor_data(t) {
                n += d.first().copied().unwrap_or(0) as usize;
            }
        }
        std::hint::black_box(n);
    }
});
