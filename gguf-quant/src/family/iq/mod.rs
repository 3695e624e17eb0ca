//! The grid-based i-quants IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S and
//! IQ1_M: decoders (`decode.rs`), encoders (`encode.rs`) and ggml's grid
//! tables (`grids.rs`). IQ4_NL and IQ4_XS, which have no grid, are in
//! `iq4.rs`.

pub(crate) mod decode;
pub(crate) mod encode;
mod grids;
