//! The x86-64 fast paths: AVX2 kernels in intrinsics (`avx2.rs`), chosen at
//! run time by `arch/lanes.rs` where the CPU has AVX2.

pub(crate) mod avx2;
