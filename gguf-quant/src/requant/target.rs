//! The target types requantization accepts: llama-quantize's names and
//! aliases, in its print order, each naming one `llama_ftype` of
//! [`gguf_format::ftype::FILE_TYPES`] (which holds the id, the
//! `llama_ftype_name` and the default ggml type: one table, not two).

use gguf_format::ftype::{id, FileType};
use gguf_format::GgmlType;

/// One target: a name users type and the ftype it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// The name users type (`Q4_K_M`, or an alias such as `Q4_K`).
    pub name: &'static str,
    /// What llama-quantize's help prints beside it.
    pub description: &'static str,
    /// The ftype, from gguf-format's table.
    pub file_type: &'static FileType,
}

impl Target {
    /// The `llama_ftype` id written to `general.file_type`.
    pub fn id(&self) -> u32 {
        self.file_type.id
    }

    /// Whether this is ftype `id`.
    pub fn is(&self, id: u32) -> bool {
        self.id() == id
    }

    /// The type most tensors get before the mixture rules adjust it.
    pub fn default_type(&self) -> GgmlType {
        self.file_type
            .default_type
            .expect("every target's ftype has a default type")
    }

    /// Nominal bits per weight of the default type.
    pub fn nominal_bpw(&self) -> f64 {
        self.default_type().info().map_or(0.0, |i| i.bits_per_weight())
    }

    /// Whether this is another name for a target listed after it (`Q4_K`
    /// for `Q4_K_M`): the same ftype, so planning it again gives nothing new.
    ///
    /// ```
    /// use gguf_quant::requant::parse_target;
    /// assert!(parse_target("Q4_K").unwrap().is_alias());
    /// assert!(!parse_target("Q4_K_M").unwrap().is_alias());
    /// ```
    pub fn is_alias(&self) -> bool {
        TARGETS
            .iter()
            .position(|t| t == self)
            .is_some_and(|i| TARGETS[i + 1..].iter().any(|t| t.id() == self.id()))
    }
}

const fn ft(id: u32) -> &'static FileType {
    &gguf_format::ftype::FILE_TYPES[id as usize]
}

macro_rules! targets {
    ($($id:ident $name:literal $ty:ident $desc:literal;)*) => {
        /// Every target in llama-quantize's print order. Aliases (`Q4_K` = `Q4_K_M`) come
        /// first, as there, so a numeric id resolves to the first entry with that id.
        pub static TARGETS: &[Target] = &[
            $( Target { name: $name, description: $desc, file_type: ft(id::$id) }, )*
        ];

        #[cfg(test)]
        /// The default type each target was written with, checked against the ftype table.
        const WRITTEN_DEFAULTS: &[(&str, GgmlType)] = &[$( ($name, GgmlType::$ty), )*];
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

/// llama-quantize's `COPY`: every tensor is copied as it is (its
/// `only_copy`); the metadata gets `general.quantization_version` and
/// `general.file_type` as for any target, the file type being the one
/// llama.cpp's loader reads from the input ([`loader_file_type`]). Not in
/// [`TARGETS`] (it makes no new file type), but named by [`parse_target`];
/// its id, 0, resolves to `F32`, as in llama-quantize.
pub static COPY: Target = Target {
    name: "COPY",
    description: "only copy tensors, no quantizing",
    file_type: ft(id::ALL_F32),
};

impl Target {
    /// Whether this is [`COPY`].
    pub fn is_copy(&self) -> bool {
        self.name == COPY.name
    }
}

/// The file type llama.cpp's loader gives a model (`llama_model_loader::ftype`),
/// which llama-quantize's `COPY` writes: `general.file_type` when the file
/// has it, else a guess from the type most tensors have (the first to reach
/// the largest count, tensors taken in `tensors`' order — the loader's,
/// blocks by number then names) with [`gguf_format::ftype::FTYPE_GUESSED`] set.
pub fn loader_file_type<'a>(
    file_type: Option<&gguf_format::Value<'_>>,
    tensors: impl IntoIterator<Item = &'a gguf_format::TensorInfo<'a>>,
) -> u32 {
    if let Some(v) = file_type.and_then(gguf_format::Value::as_uint) {
        return v as u32;
    }
    let mut counts: Vec<(GgmlType, u32)> = Vec::new();
    let (mut max, mut max_type) = (0u32, GgmlType::F32);
    for t in tensors {
        let n = match counts.iter_mut().find(|(ty, _)| *ty == t.ggml_type) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                counts.push((t.ggml_type, 1));
                1
            }
        };
        if max < n {
            max = n;
            max_type = t.ggml_type;
        }
    }
    let ftype = match max_type {
        GgmlType::F16 => id::F16,
        GgmlType::BF16 => id::BF16,
        GgmlType::Q4_0 => id::Q4_0,
        GgmlType::Q4_1 => id::Q4_1,
        GgmlType::Q5_0 => id::Q5_0,
        GgmlType::Q5_1 => id::Q5_1,
        GgmlType::Q8_0 => id::Q8_0,
        GgmlType::Q2_K => id::Q2_K,
        GgmlType::Q3_K => id::Q3_K_M,
        GgmlType::Q4_K => id::Q4_K_M,
        GgmlType::Q5_K => id::Q5_K_M,
        GgmlType::Q6_K => id::Q6_K,
        GgmlType::TQ1_0 => id::TQ1_0,
        GgmlType::TQ2_0 => id::TQ2_0,
        GgmlType::IQ2_XXS => id::IQ2_XXS,
        GgmlType::IQ2_XS => id::IQ2_XS,
        GgmlType::IQ2_S => id::IQ2_S,
        GgmlType::IQ3_XXS => id::IQ3_XXS,
        GgmlType::IQ1_S => id::IQ1_S,
        GgmlType::IQ1_M => id::IQ1_M,
        GgmlType::IQ4_NL => id::IQ4_NL,
        GgmlType::IQ4_XS => id::IQ4_XS,
        GgmlType::IQ3_S => id::IQ3_S,
        // LLAMA_FTYPE_MOSTLY_NVFP4
        GgmlType::NVFP4 => 39,
        GgmlType::Q1_0 => id::Q1_0,
        GgmlType::Q2_0 => id::Q2_0,
        // F32, and any type the loader has no ftype for.
        _ => id::ALL_F32,
    };
    ftype | gguf_format::ftype::FTYPE_GUESSED
}

/// The target named `s` (case-insensitive, `COPY` included), or with
/// numeric id `s` (the first entry with that id, as llama-quantize resolves it).
pub fn parse_target(s: &str) -> Option<&'static Target> {
    if let Some(t) = TARGETS.iter().find(|t| t.name.eq_ignore_ascii_case(s)) {
        return Some(t);
    }
    if s.eq_ignore_ascii_case(COPY.name) {
        return Some(&COPY);
    }
    let id: u32 = s.trim().parse().ok()?;
    TARGETS.iter().find(|t| t.id() == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_the_targets_llama_quantize_describes_as_aliases() {
        for t in TARGETS {
            assert_eq!(t.is_alias(), t.description.starts_with("alias"), "{}", t.name);
        }
    }

    #[test]
    fn names_and_ids() {
        assert_eq!(parse_target("q4_k_m").unwrap().id(), 15);
        assert_eq!(parse_target("Q4_K").unwrap().name, "Q4_K");
        assert_eq!(
            parse_target("15").unwrap().name,
            "Q4_K",
            "first entry with the id, as llama-quantize"
        );
        assert_eq!(parse_target("0").unwrap().name, "F32");
        assert_eq!(parse_target("iq2_s").unwrap().default_type(), GgmlType::IQ2_XS);
        assert!(parse_target("q4_k_x").is_none());
        assert!(parse_target("copy").unwrap().is_copy());
        assert!(
            !parse_target("0").unwrap().is_copy(),
            "0 is F32, as in llama-quantize"
        );
        assert!(
            parse_target("39").is_none(),
            "NVFP4 has no default type and is not offered"
        );
    }

    #[test]
    fn the_ftype_table_holds_each_targets_default_type() {
        for (t, (name, ty)) in TARGETS.iter().zip(WRITTEN_DEFAULTS) {
            assert_eq!(t.name, *name);
            assert_eq!(t.default_type(), *ty, "{name}");
            assert_eq!(gguf_format::FileType::from_id(t.id()), Some(t.file_type));
        }
    }
}
