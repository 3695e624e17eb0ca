//! If arbitrary bytes parse, writing them back and parsing again gives the
//! same metadata and tensors (and the same bytes when the input was canonical).
#![no_main]

use gguf_format::{write_gguf, Gguf};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(g) = Gguf::parse(data) else { return };
    let Ok(out) = write_gguf(&g, Vec::new()) else { return };
    let h = Gguf::parse(&out).expect("our own output must parse");
    assert_eq!(g.version(), h.version());
    assert_eq!(g.byte_order(), h.byte_order());
    assert_eq!(g.metadata().len(), h.metadata().len());
    for (a, b) in g.metadata().iter().zip(h.metadata()) {
        assert_eq!(a.key, b.key);
        assert_eq!(a.value.type_name(), b.value.type_name());
    }
    for (a, b) in g.tensors().iter().zip(h.tensors()) {
        assert_eq!((a.name, a.ggml_type, a.dims()), (b.name, b.ggml_type, b.dims()));
        assert_eq!(g.tensor_data(a).unwrap(), h.tensor_data(b).unwrap());
    }
    // Writing our own output again is a fixed point.
    assert_eq!(write_gguf(&h, Vec::new()).unwrap(), out);
});
