//! `requant IN OUT FTYPE`: a model to another llama.cpp file type, byte for
//! byte what `gguf requant --to FTYPE IN OUT` and `llama-quantize IN OUT
//! FTYPE` write. `cargo run --release -p gguf-quant --example requant --
//! model-f16.gguf model-Q4_K_M.gguf Q4_K_M`
use gguf_quant::requant::{self, parse_target, Options, RequantError};
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output, ftype] = &args[..] else {
        return Err("usage: requant IN OUT FTYPE (a llama-quantize name such as Q4_K_M, or an id)".into());
    };
    requant(input, output, ftype)
}

/// Requantizes `input` (a split model's first shard stands for all of it) to
/// `ftype`, writing `output` only once it is complete.
pub fn requant(input: &str, output: &str, ftype: &str) -> Result<(), Box<dyn Error>> {
    let target = parse_target(ftype).ok_or_else(|| format!("unknown ftype {ftype:?}"))?;
    let files = gguf_format::ModelFiles::open(input)?;
    let model = files.parse()?;
    let opts = Options::new(target);
    let plan = requant::plan(&model, &opts, false)?;
    for w in &plan.warnings {
        eprintln!("warning: {w}");
    }
    let n = plan.tensors.len();
    gguf_format::write_atomic(output, |w| {
        requant::execute(&model, &plan, &opts, 0, w, &mut |p| {
            eprint!("\r{}/{n} tensors", p.tensors_done)
        })?;
        Ok::<(), RequantError>(())
    })?;
    eprintln!(
        "\r{input} → {output}: {} bytes, {}",
        plan.out_file_size, target.name
    );
    Ok(())
}
