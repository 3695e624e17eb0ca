//! `general.file_type`: llama.cpp's `enum llama_ftype`, the "mostly this type"
//! label of a whole model: ids, names and each one's default ggml type.
//! Which tensor gets which type for a given ftype is the requantizer's
//! business (`gguf_quant::requant`).

use crate::raw::GgmlType;

/// One `llama_ftype` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileType {
    /// The numeric id stored in `general.file_type`.
    pub id: u32,
    /// The enum name without its `LLAMA_FTYPE_` prefix (`MOSTLY_Q4_K_M`).
    pub name: &'static str,
    /// What `llama_ftype_name` prints (`Q4_K - Medium`).
    pub description: &'static str,
    /// The type most tensors of such a file have (`Q4_K` for
    /// `MOSTLY_Q4_K_M`), as llama-quantize's default for the ftype; `None`
    /// for removed ftypes and for NVFP4, which llama-quantize does not offer.
    pub default_type: Option<GgmlType>,
}

/// The `llama_ftype` ids, by their names without `LLAMA_FTYPE_MOSTLY_`.
///
/// ```
/// use gguf_format::{ftype::id, FileType};
/// assert_eq!(FileType::from_id(id::Q4_K_M).unwrap().name, "MOSTLY_Q4_K_M");
/// ```
pub mod id {
    /// `LLAMA_FTYPE_ALL_F32` (all F32).
    pub const ALL_F32: u32 = 0;
    /// `LLAMA_FTYPE_MOSTLY_F16` (F16).
    pub const F16: u32 = 1;
    /// `LLAMA_FTYPE_MOSTLY_Q4_0` (Q4_0).
    pub const Q4_0: u32 = 2;
    /// `LLAMA_FTYPE_MOSTLY_Q4_1` (Q4_1).
    pub const Q4_1: u32 = 3;
    /// `LLAMA_FTYPE_MOSTLY_Q8_0` (Q8_0).
    pub const Q8_0: u32 = 7;
    /// `LLAMA_FTYPE_MOSTLY_Q5_0` (Q5_0).
    pub const Q5_0: u32 = 8;
    /// `LLAMA_FTYPE_MOSTLY_Q5_1` (Q5_1).
    pub const Q5_1: u32 = 9;
    /// `LLAMA_FTYPE_MOSTLY_Q2_K` (Q2_K - Medium).
    pub const Q2_K: u32 = 10;
    /// `LLAMA_FTYPE_MOSTLY_Q3_K_S` (Q3_K - Small).
    pub const Q3_K_S: u32 = 11;
    /// `LLAMA_FTYPE_MOSTLY_Q3_K_M` (Q3_K - Medium).
    pub const Q3_K_M: u32 = 12;
    /// `LLAMA_FTYPE_MOSTLY_Q3_K_L` (Q3_K - Large).
    pub const Q3_K_L: u32 = 13;
    /// `LLAMA_FTYPE_MOSTLY_Q4_K_S` (Q4_K - Small).
    pub const Q4_K_S: u32 = 14;
    /// `LLAMA_FTYPE_MOSTLY_Q4_K_M` (Q4_K - Medium).
    pub const Q4_K_M: u32 = 15;
    /// `LLAMA_FTYPE_MOSTLY_Q5_K_S` (Q5_K - Small).
    pub const Q5_K_S: u32 = 16;
    /// `LLAMA_FTYPE_MOSTLY_Q5_K_M` (Q5_K - Medium).
    pub const Q5_K_M: u32 = 17;
    /// `LLAMA_FTYPE_MOSTLY_Q6_K` (Q6_K).
    pub const Q6_K: u32 = 18;
    /// `LLAMA_FTYPE_MOSTLY_IQ2_XXS` (IQ2_XXS - 2.0625 bpw).
    pub const IQ2_XXS: u32 = 19;
    /// `LLAMA_FTYPE_MOSTLY_IQ2_XS` (IQ2_XS - 2.3125 bpw).
    pub const IQ2_XS: u32 = 20;
    /// `LLAMA_FTYPE_MOSTLY_Q2_K_S` (Q2_K - Small).
    pub const Q2_K_S: u32 = 21;
    /// `LLAMA_FTYPE_MOSTLY_IQ3_XS` (IQ3_XS - 3.3 bpw).
    pub const IQ3_XS: u32 = 22;
    /// `LLAMA_FTYPE_MOSTLY_IQ3_XXS` (IQ3_XXS - 3.0625 bpw).
    pub const IQ3_XXS: u32 = 23;
    /// `LLAMA_FTYPE_MOSTLY_IQ1_S` (IQ1_S - 1.5625 bpw).
    pub const IQ1_S: u32 = 24;
    /// `LLAMA_FTYPE_MOSTLY_IQ4_NL` (IQ4_NL - 4.5 bpw).
    pub const IQ4_NL: u32 = 25;
    /// `LLAMA_FTYPE_MOSTLY_IQ3_S` (IQ3_S - 3.4375 bpw).
    pub const IQ3_S: u32 = 26;
    /// `LLAMA_FTYPE_MOSTLY_IQ3_M` (IQ3_S mix - 3.66 bpw).
    pub const IQ3_M: u32 = 27;
    /// `LLAMA_FTYPE_MOSTLY_IQ2_S` (IQ2_S - 2.5 bpw).
    pub const IQ2_S: u32 = 28;
    /// `LLAMA_FTYPE_MOSTLY_IQ2_M` (IQ2_M - 2.7 bpw).
    pub const IQ2_M: u32 = 29;
    /// `LLAMA_FTYPE_MOSTLY_IQ4_XS` (IQ4_XS - 4.25 bpw).
    pub const IQ4_XS: u32 = 30;
    /// `LLAMA_FTYPE_MOSTLY_IQ1_M` (IQ1_M - 1.75 bpw).
    pub const IQ1_M: u32 = 31;
    /// `LLAMA_FTYPE_MOSTLY_BF16` (BF16).
    pub const BF16: u32 = 32;
    /// `LLAMA_FTYPE_MOSTLY_TQ1_0` (TQ1_0 - 1.69 bpw ternary).
    pub const TQ1_0: u32 = 36;
    /// `LLAMA_FTYPE_MOSTLY_TQ2_0` (TQ2_0 - 2.06 bpw ternary).
    pub const TQ2_0: u32 = 37;
    /// `LLAMA_FTYPE_MOSTLY_MXFP4_MOE` (MXFP4 MoE).
    pub const MXFP4_MOE: u32 = 38;
    /// `LLAMA_FTYPE_MOSTLY_Q1_0` (Q1_0).
    pub const Q1_0: u32 = 40;
    /// `LLAMA_FTYPE_MOSTLY_Q2_0` (Q2_0).
    pub const Q2_0: u32 = 41;
}

/// Flag llama.cpp ORs into the id when the type was guessed, not read from the file.
pub const FTYPE_GUESSED: u32 = 1024;

/// Every ftype llama.cpp defines (commit 0c1e570), in id order. Ids 4–6 and
/// 33–35 belonged to removed formats and are listed with their old names so
/// old files still show something meaningful.
pub static FILE_TYPES: &[FileType] = &[
    FileType {
        id: 0,
        name: "ALL_F32",
        description: "all F32",
        default_type: Some(GgmlType::F32),
    },
    FileType {
        id: 1,
        name: "MOSTLY_F16",
        description: "F16",
        default_type: Some(GgmlType::F16),
    },
    FileType {
        id: 2,
        name: "MOSTLY_Q4_0",
        description: "Q4_0",
        default_type: Some(GgmlType::Q4_0),
    },
    FileType {
        id: 3,
        name: "MOSTLY_Q4_1",
        description: "Q4_1",
        default_type: Some(GgmlType::Q4_1),
    },
    FileType {
        id: 4,
        name: "MOSTLY_Q4_1_SOME_F16",
        description: "Q4_1, some F16 (removed)",
        default_type: None,
    },
    FileType {
        id: 5,
        name: "MOSTLY_Q4_2",
        description: "Q4_2 (removed)",
        default_type: None,
    },
    FileType {
        id: 6,
        name: "MOSTLY_Q4_3",
        description: "Q4_3 (removed)",
        default_type: None,
    },
    FileType {
        id: 7,
        name: "MOSTLY_Q8_0",
        description: "Q8_0",
        default_type: Some(GgmlType::Q8_0),
    },
    FileType {
        id: 8,
        name: "MOSTLY_Q5_0",
        description: "Q5_0",
        default_type: Some(GgmlType::Q5_0),
    },
    FileType {
        id: 9,
        name: "MOSTLY_Q5_1",
        description: "Q5_1",
        default_type: Some(GgmlType::Q5_1),
    },
    FileType {
        id: 10,
        name: "MOSTLY_Q2_K",
        description: "Q2_K - Medium",
        default_type: Some(GgmlType::Q2_K),
    },
    FileType {
        id: 11,
        name: "MOSTLY_Q3_K_S",
        description: "Q3_K - Small",
        default_type: Some(GgmlType::Q3_K),
    },
    FileType {
        id: 12,
        name: "MOSTLY_Q3_K_M",
        description: "Q3_K - Medium",
        default_type: Some(GgmlType::Q3_K),
    },
    FileType {
        id: 13,
        name: "MOSTLY_Q3_K_L",
        description: "Q3_K - Large",
        default_type: Some(GgmlType::Q3_K),
    },
    FileType {
        id: 14,
        name: "MOSTLY_Q4_K_S",
        description: "Q4_K - Small",
        default_type: Some(GgmlType::Q4_K),
    },
    FileType {
        id: 15,
        name: "MOSTLY_Q4_K_M",
        description: "Q4_K - Medium",
        default_type: Some(GgmlType::Q4_K),
    },
    FileType {
        id: 16,
        name: "MOSTLY_Q5_K_S",
        description: "Q5_K - Small",
        default_type: Some(GgmlType::Q5_K),
    },
    FileType {
        id: 17,
        name: "MOSTLY_Q5_K_M",
        description: "Q5_K - Medium",
        default_type: Some(GgmlType::Q5_K),
    },
    FileType {
        id: 18,
        name: "MOSTLY_Q6_K",
        description: "Q6_K",
        default_type: Some(GgmlType::Q6_K),
    },
    FileType {
        id: 19,
        name: "MOSTLY_IQ2_XXS",
        description: "IQ2_XXS - 2.0625 bpw",
        default_type: Some(GgmlType::IQ2_XXS),
    },
    FileType {
        id: 20,
        name: "MOSTLY_IQ2_XS",
        description: "IQ2_XS - 2.3125 bpw",
        default_type: Some(GgmlType::IQ2_XS),
    },
    FileType {
        id: 21,
        name: "MOSTLY_Q2_K_S",
        description: "Q2_K - Small",
        default_type: Some(GgmlType::Q2_K),
    },
    FileType {
        id: 22,
        name: "MOSTLY_IQ3_XS",
        description: "IQ3_XS - 3.3 bpw",
        default_type: Some(GgmlType::IQ3_S),
    },
    FileType {
        id: 23,
        name: "MOSTLY_IQ3_XXS",
        description: "IQ3_XXS - 3.0625 bpw",
        default_type: Some(GgmlType::IQ3_XXS),
    },
    FileType {
        id: 24,
        name: "MOSTLY_IQ1_S",
        description: "IQ1_S - 1.5625 bpw",
        default_type: Some(GgmlType::IQ1_S),
    },
    FileType {
        id: 25,
        name: "MOSTLY_IQ4_NL",
        description: "IQ4_NL - 4.5 bpw",
        default_type: Some(GgmlType::IQ4_NL),
    },
    FileType {
        id: 26,
        name: "MOSTLY_IQ3_S",
        description: "IQ3_S - 3.4375 bpw",
        default_type: Some(GgmlType::IQ3_S),
    },
    FileType {
        id: 27,
        name: "MOSTLY_IQ3_M",
        description: "IQ3_S mix - 3.66 bpw",
        default_type: Some(GgmlType::IQ3_S),
    },
    FileType {
        id: 28,
        name: "MOSTLY_IQ2_S",
        description: "IQ2_S - 2.5 bpw",
        default_type: Some(GgmlType::IQ2_XS),
    },
    FileType {
        id: 29,
        name: "MOSTLY_IQ2_M",
        description: "IQ2_M - 2.7 bpw",
        default_type: Some(GgmlType::IQ2_S),
    },
    FileType {
        id: 30,
        name: "MOSTLY_IQ4_XS",
        description: "IQ4_XS - 4.25 bpw",
        default_type: Some(GgmlType::IQ4_XS),
    },
    FileType {
        id: 31,
        name: "MOSTLY_IQ1_M",
        description: "IQ1_M - 1.75 bpw",
        default_type: Some(GgmlType::IQ1_M),
    },
    FileType {
        id: 32,
        name: "MOSTLY_BF16",
        description: "BF16",
        default_type: Some(GgmlType::BF16),
    },
    FileType {
        id: 33,
        name: "MOSTLY_Q4_0_4_4",
        description: "Q4_0_4_4 (removed)",
        default_type: None,
    },
    FileType {
        id: 34,
        name: "MOSTLY_Q4_0_4_8",
        description: "Q4_0_4_8 (removed)",
        default_type: None,
    },
    FileType {
        id: 35,
        name: "MOSTLY_Q4_0_8_8",
        description: "Q4_0_8_8 (removed)",
        default_type: None,
    },
    FileType {
        id: 36,
        name: "MOSTLY_TQ1_0",
        description: "TQ1_0 - 1.69 bpw ternary",
        default_type: Some(GgmlType::TQ1_0),
    },
    FileType {
        id: 37,
        name: "MOSTLY_TQ2_0",
        description: "TQ2_0 - 2.06 bpw ternary",
        default_type: Some(GgmlType::TQ2_0),
    },
    FileType {
        id: 38,
        name: "MOSTLY_MXFP4_MOE",
        description: "MXFP4 MoE",
        default_type: Some(GgmlType::MXFP4),
    },
    FileType {
        id: 39,
        name: "MOSTLY_NVFP4",
        description: "NVFP4",
        default_type: None,
    },
    FileType {
        id: 40,
        name: "MOSTLY_Q1_0",
        description: "Q1_0",
        default_type: Some(GgmlType::Q1_0),
    },
    FileType {
        id: 41,
        name: "MOSTLY_Q2_0",
        description: "Q2_0",
        default_type: Some(GgmlType::Q2_0),
    },
];

impl FileType {
    /// The ftype with this id (the [`FTYPE_GUESSED`] flag ignored).
    pub fn from_id(id: u32) -> Option<&'static FileType> {
        let id = id & !FTYPE_GUESSED;
        FILE_TYPES.iter().find(|f| f.id == id)
    }

    /// `MOSTLY_Q4_K_M`, `MOSTLY_Q4_K_M (guessed)`, or `unknown(ID)`.
    pub fn display_name(id: u32) -> String {
        match Self::from_id(id) {
            Some(f) if id & FTYPE_GUESSED != 0 => format!("{} (guessed)", f.name),
            Some(f) => f.name.to_string(),
            None => format!("unknown({id})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(FileType::display_name(15), "MOSTLY_Q4_K_M");
        assert_eq!(
            FileType::display_name(15 | FTYPE_GUESSED),
            "MOSTLY_Q4_K_M (guessed)"
        );
        assert_eq!(FileType::display_name(99), "unknown(99)");
        assert_eq!(FileType::from_id(1).unwrap().description, "F16");
        for (i, f) in FILE_TYPES.iter().enumerate() {
            assert_eq!(f.id as usize, i, "ids are dense and in order");
        }
    }
}
