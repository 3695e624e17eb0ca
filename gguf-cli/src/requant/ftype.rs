//! The target types `gguf requant --to` accepts: llama-quantize's names and
//! ids, each with the ggml type most tensors get (`llama_ftype` → default type,
//! `tools/quantize/quantize.cpp` and `src/llama-quant.cpp`).

use gguf_format::GgmlType;

/// One `--to` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// The `llama_ftype` id written to `general.file_type`.
    pub id: u32,
    /// The name users type (`Q4_K_M`).
    pub name: &'static str,
    /// What llama-quantize prints beside it.
    pub description: &'static str,
    /// The type most tensors get before the mixture rules adjust it.
    pub default_type: GgmlType,
}

impl Target {
    /// Whether this is `id`.
    pub fn is(&self, id: u32) -> bool {
        self.id == id
    }

    /// Nominal bits per weight of the default type.
    pub fn nominal_bpw(&self) -> f64 {
        self.default_type.info().map_or(0.0, |i| i.bits_per_weight())
    }
}

/// ftype ids used by the selection rules.
#[allow(missing_docs)]
pub mod id {
    pub const ALL_F32: u32 = 0;
    pub const F16: u32 = 1;
    pub const Q4_0: u32 = 2;
    pub const Q4_1: u32 = 3;
    pub const Q8_0: u32 = 7;
    pub const Q5_0: u32 = 8;
    pub const Q5_1: u32 = 9;
    pub const Q2_K: u32 = 10;
    pub const Q3_K_S: u32 = 11;
    pub const Q3_K_M: u32 = 12;
    pub const Q3_K_L: u32 = 13;
    pub const Q4_K_S: u32 = 14;
    pub const Q4_K_M: u32 = 15;
    pub const Q5_K_S: u32 = 16;
    pub const Q5_K_M: u32 = 17;
    pub const Q6_K: u32 = 18;
    pub const IQ2_XXS: u32 = 19;
    pub const IQ2_XS: u32 = 20;
    pub const Q2_K_S: u32 = 21;
    pub const IQ3_XS: u32 = 22;
    pub const IQ3_XXS: u32 = 23;
    pub const IQ1_S: u32 = 24;
    pub const IQ4_NL: u32 = 25;
    pub const IQ3_S: u32 = 26;
    pub const IQ3_M: u32 = 27;
    pub const IQ2_S: u32 = 28;
    pub const IQ2_M: u32 = 29;
    pub const IQ4_XS: u32 = 30;
    pub const IQ1_M: u32 = 31;
    pub const BF16: u32 = 32;
    pub const TQ1_0: u32 = 36;
    pub const TQ2_0: u32 = 37;
    pub const MXFP4_MOE: u32 = 38;
    pub const Q1_0: u32 = 40;
    pub const Q2_0: u32 = 41;
}

macro_rules! targets {
    ($($id:ident $name:literal $ty:ident $desc:literal;)*) => {
        /// Every target in llama-quantize's print order. Aliases (`Q4_K` = `Q4_K_M`) come
        /// first, as there, so a numeric id resolves to the first entry with that id.
        pub static TARGETS: &[Target] = &[
            $( Target { id: id::$id, name: $name, description: $desc, default_type: GgmlType::$ty }, )*
        ];
    };
}

targets! {
    Q1_0 "Q1_0" Q1_0 "1.125 bpw quantization";
    Q2_0 "Q2_0" Q2_0 "2.25 bpw quantization (group 64)";
    Q4_0 "Q4_0" Q4_0 "4.34G, +0.4685 ppl @ Llama-3-8B";
    Q4_1 "Q4_1" Q4_1 "4.78G, +0.4511 ppl @ Llama-3-8B";
    MXFP4_MOE "MXFP4_MOE" MXFP4 "MXFP4 MoE";
    Q5_0 "Q5_0" Q5_0 "5.21G, +0.1316 ppl @ Llama-3-8B";
    Q5_1 "Q5_1" Q5_1 "5.65G, +0.1062 ppl @ Llama-3-8B";
    IQ2_XXS "IQ2_XXS" IQ2_XXS "2.06 bpw quantization";
    IQ2_XS "IQ2_XS" IQ2_XS "2.31 bpw quantization";
    IQ2_S "IQ2_S" IQ2_XS "2.5  bpw quantization";
    IQ2_M "IQ2_M" IQ2_S "2.7  bpw quantization";
    IQ1_S "IQ1_S" IQ1_S "1.56 bpw quantization";
    IQ1_M "IQ1_M" IQ1_M "1.75 bpw quantization";
    TQ1_0 "TQ1_0" TQ1_0 "1.69 bpw ternarization";
    TQ2_0 "TQ2_0" TQ2_0 "2.06 bpw ternarization";
    Q2_K "Q2_K" Q2_K "2.96G, +3.5199 ppl @ Llama-3-8B";
    Q2_K_S "Q2_K_S" Q2_K "2.96G, +3.1836 ppl @ Llama-3-8B";
    IQ3_XXS "IQ3_XXS" IQ3_XXS "3.06 bpw quantization";
    IQ3_S "IQ3_S" IQ3_S "3.44 bpw quantization";
    IQ3_M "IQ3_M" IQ3_S "3.66 bpw quantization mix";
    Q3_K_M "Q3_K" Q3_K "alias for Q3_K_M";
    IQ3_XS "IQ3_XS" IQ3_S "3.3 bpw quantization";
    Q3_K_S "Q3_K_S" Q3_K "3.41G, +1.6321 ppl @ Llama-3-8B";
    Q3_K_M "Q3_K_M" Q3_K "3.74G, +0.6569 ppl @ Llama-3-8B";
    Q3_K_L "Q3_K_L" Q3_K "4.03G, +0.5562 ppl @ Llama-3-8B";
    IQ4_NL "IQ4_NL" IQ4_NL "4.50 bpw non-linear quantization";
    IQ4_XS "IQ4_XS" IQ4_XS "4.25 bpw non-linear quantization";
    Q4_K_M "Q4_K" Q4_K "alias for Q4_K_M";
    Q4_K_S "Q4_K_S" Q4_K "4.37G, +0.2689 ppl @ Llama-3-8B";
    Q4_K_M "Q4_K_M" Q4_K "4.58G, +0.1754 ppl @ Llama-3-8B";
    Q5_K_M "Q5_K" Q5_K "alias for Q5_K_M";
    Q5_K_S "Q5_K_S" Q5_K "5.21G, +0.1049 ppl @ Llama-3-8B";
    Q5_K_M "Q5_K_M" Q5_K "5.33G, +0.0569 ppl @ Llama-3-8B";
    Q6_K "Q6_K" Q6_K "6.14G, +0.0217 ppl @ Llama-3-8B";
    Q8_0 "Q8_0" Q8_0 "7.96G, +0.0026 ppl @ Llama-3-8B";
    F16 "F16" F16 "14.00G, +0.0020 ppl @ Mistral-7B";
    BF16 "BF16" BF16 "14.00G, -0.0050 ppl @ Mistral-7B";
    ALL_F32 "F32" F32 "26.00G              @ 7B";
}

/// The target named `s` (case-insensitive), or with numeric id `s` (the
/// first entry with that id, as llama-quantize resolves it).
pub fn parse_target(s: &str) -> Option<&'static Target> {
    if let Some(t) = TARGETS.iter().find(|t| t.name.eq_ignore_ascii_case(s)) {
        return Some(t);
    }
    let id: u32 = s.trim().parse().ok()?;
    TARGETS.iter().find(|t| t.id == id)
}

/// Whether this target cannot run without an importance matrix
/// (llama-quantize refuses it: the IQ1/IQ2 family and Q2_K_S).
pub fn requires_imatrix(t: &Target) -> bool {
    matches!(
        t.id,
        id::IQ2_XXS | id::IQ2_XS | id::IQ2_S | id::IQ1_S | id::IQ1_M | id::Q2_K_S
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids() {
        assert_eq!(parse_target("q4_k_m").unwrap().id, 15);
        assert_eq!(parse_target("Q4_K").unwrap().name, "Q4_K");
        assert_eq!(
            parse_target("15").unwrap().name,
            "Q4_K",
            "first entry with the id, as llama-quantize"
        );
        assert_eq!(parse_target("0").unwrap().name, "F32");
        assert_eq!(parse_target("iq2_s").unwrap().default_type, GgmlType::IQ2_XS);
        assert!(parse_target("q4_k_x").is_none());
        assert!(
            parse_target("39").is_none(),
            "NVFP4 has no default type and is not offered"
        );
        assert!(requires_imatrix(parse_target("Q2_K_S").unwrap()));
        assert!(!requires_imatrix(parse_target("Q2_K").unwrap()));
    }
}
