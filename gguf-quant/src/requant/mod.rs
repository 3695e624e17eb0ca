//! Requantization: a model to another llama.cpp file type (`Q4_K_M`,
//! `Q8_0`, …) with the per-tensor types, metadata and layout
//! `llama-quantize` gives it, byte for byte, streaming one chunk of rows at
//! a time. [`Options`] holds llama-quantize's options and applies its rules
//! as they are set; [`plan`] decides every tensor's type and the output
//! layout without touching tensor data (it is also `--dry-run`);
//! [`execute`] writes the data of one planned output file.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use gguf_quant::requant::{self, target::parse_target, Options};
//! let files = gguf_format::ModelFiles::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf"))?;
//! let model = files.parse()?;
//! let opts = Options::new(parse_target("Q4_K_M").unwrap());
//! let plan = requant::plan(&model, &opts, false)?;
//! let out = requant::execute(&model, &plan, &opts, 0, Vec::new(), &mut |_| {})?;
//! assert_eq!(out.len() as u64, plan.out_file_size);
//! # Ok(()) }
//! ```

mod error;
mod execute;
pub mod imatrix;
mod option_error;
mod options;
mod plan;
pub mod quality;
pub mod select;
mod shortfall;
pub mod target;
pub mod targets;
mod tensor_type_file;

pub use error::RequantError;
pub use execute::{execute, Progress};
pub use imatrix::Imatrix;
pub use option_error::{KvValueProblem, OptionError};
pub use options::{KvOverride, Options};
pub use plan::{plan, Plan, PlanOutput, PlannedTensor};
pub use shortfall::Shortfall;
pub use target::{loader_file_type, parse_target, Target, COPY, TARGETS};
pub use targets::{every_target, plan_all, TargetPlan};
