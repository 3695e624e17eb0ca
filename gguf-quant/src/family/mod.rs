//! The codecs, one module per family of ggml types: the block layouts and
//! ggml's encoders and decoders for them. Which type maps to which function
//! is decided in `codec.rs` only; the searches' fast paths (and their scalar
//! references) are in `arch`, shared number conversions in `numerics.rs`.

pub(crate) mod floats;
pub(crate) mod fp4;
pub(crate) mod iq;
pub(crate) mod iq4;
pub(crate) mod kquants;
pub(crate) mod legacy;
pub(crate) mod lowbit;
pub(crate) mod ternary;
