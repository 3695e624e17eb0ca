//! Parses IN (memory-mapped) and writes it back to OUT atomically, with the
//! same version, byte order, alignment and order:
//!
//! ```text
//! cargo run --release -p gguf-format --example roundtrip -- IN OUT
//! ```
//!
//! For a canonical file, OUT is byte-identical to IN. Exits 2 with the error
//! on stderr if IN is not a valid GGUF file or OUT cannot be written; OUT is
//! then left as it was.

use gguf_format::{write_atomic, GgufBuilder, GgufFile};
use std::process::ExitCode;

/// Errors say which file they are about: I/O errors carry their path already.
fn run(input: &str, output: &str) -> Result<(u64, usize), String> {
    let file = GgufFile::open(input).map_err(|e| e.to_string())?;
    let gguf = file.parse().map_err(|e| format!("{input}: {e}"))?;
    let builder = GgufBuilder::from_gguf(&gguf).map_err(|e| format!("{input}: {e}"))?;
    let written = write_atomic(output, |w| -> Result<u64, gguf_format::Error> {
        let mut tw = builder.write_header(w)?;
        for (i, t) in gguf.tensors().iter().enumerate() {
            tw.write_tensor(gguf.tensor_data(t)?)?;
            // Pages already copied are not needed again.
            if let Ok(r) = gguf.tensor_range(t) {
                if i % 16 == 15 {
                    file.release(0..r.end);
                }
            }
        }
        let n = tw.bytes_written();
        tw.finish()?;
        Ok(n)
    })
    .map_err(|e| format!("{output}: {e}"))?;
    Ok((written, gguf.tensors().len()))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: roundtrip IN.gguf OUT.gguf");
        return ExitCode::from(2);
    };
    match run(input, output) {
        Ok((bytes, tensors)) => {
            println!("wrote {output}: {bytes} bytes, {tensors} tensors");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
