//! The sha256 of a GGUF file's tokenizer section: its `tokenizer.*`
//! key/value pairs, in order, serialized alone into a GGUF header (no
//! other keys, no tensors) by `gguf-format`'s writer. Two files have the
//! same digest exactly when their `tokenizer.*` keys, types, values and
//! order agree. `tests/vocab.rs` keeps the digests of llama.cpp's own
//! outputs; `scripts/tokenizer-digests.sh` recomputes them:
//!
//! ```text
//! cargo run -q -p gguf-import --example tokenizer_digest -- FILE.gguf...
//! ```

use gguf_format::{Gguf, GgufBuilder, MetaValue};
use sha2::{Digest, Sha256};
use std::borrow::Cow;

/// The digest of the `tokenizer.*` keys of the GGUF header in `bytes`.
pub fn tokenizer_digest(bytes: &[u8]) -> String {
    let gguf = Gguf::parse_header(bytes).expect("a GGUF header");
    let mut b = GgufBuilder::new();
    b.extend(
        gguf.metadata()
            .iter()
            .filter(|kv| kv.key.starts_with("tokenizer."))
            .map(|kv| (Cow::Borrowed(kv.key), MetaValue::from(kv.value))),
    )
    .expect("distinct keys");
    let mut out = Vec::new();
    drop(b.write_header(&mut out).expect("a header"));
    Sha256::digest(&out).iter().map(|x| format!("{x:02x}")).collect()
}

#[allow(dead_code)]
fn main() {
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        println!("{}\t{path}", tokenizer_digest(&bytes));
    }
}
