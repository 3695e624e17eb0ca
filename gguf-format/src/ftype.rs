//! `general.file_type`: llama.cpp's `enum llama_ftype`, the "mostly this type"
//! label of a whole model. Names only; which tensor gets which type for a
//! given ftype is the requantizer's business.

/// One `llama_ftype` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileType {
    /// The numeric id stored in `general.file_type`.
    pub id: u32,
    /// The enum name without its `LLAMA_FTYPE_` prefix (`MOSTLY_Q4_K_M`).
    pub name: &'static str,
    /// What `llama_ftype_name` prints (`Q4_K - Medium`).
    pub description: &'static str,
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
    },
    FileType {
        id: 1,
        name: "MOSTLY_F16",
        description: "F16",
    },
    FileType {
        id: 2,
        name: "MOSTLY_Q4_0",
        description: "Q4_0",
    },
    FileType {
        id: 3,
        name: "MOSTLY_Q4_1",
        description: "Q4_1",
    },
    FileType {
        id: 4,
        name: "MOSTLY_Q4_1_SOME_F16",
        description: "Q4_1, some F16 (removed)",
    },
    FileType {
        id: 5,
        name: "MOSTLY_Q4_2",
        description: "Q4_2 (removed)",
    },
    FileType {
        id: 6,
        name: "MOSTLY_Q4_3",
        description: "Q4_3 (removed)",
    },
    FileType {
        id: 7,
        name: "MOSTLY_Q8_0",
        description: "Q8_0",
    },
    FileType {
        id: 8,
        name: "MOSTLY_Q5_0",
        description: "Q5_0",
    },
    FileType {
        id: 9,
        name: "MOSTLY_Q5_1",
        description: "Q5_1",
    },
    FileType {
        id: 10,
        name: "MOSTLY_Q2_K",
        description: "Q2_K - Medium",
    },
    FileType {
        id: 11,
        name: "MOSTLY_Q3_K_S",
        description: "Q3_K - Small",
    },
    FileType {
        id: 12,
        name: "MOSTLY_Q3_K_M",
        description: "Q3_K - Medium",
    },
    FileType {
        id: 13,
        name: "MOSTLY_Q3_K_L",
        description: "Q3_K - Large",
    },
    FileType {
        id: 14,
        name: "MOSTLY_Q4_K_S",
        description: "Q4_K - Small",
    },
    FileType {
        id: 15,
        name: "MOSTLY_Q4_K_M",
        description: "Q4_K - Medium",
    },
    FileType {
        id: 16,
        name: "MOSTLY_Q5_K_S",
        description: "Q5_K - Small",
    },
    FileType {
        id: 17,
        name: "MOSTLY_Q5_K_M",
        description: "Q5_K - Medium",
    },
    FileType {
        id: 18,
        name: "MOSTLY_Q6_K",
        description: "Q6_K",
    },
    FileType {
        id: 19,
        name: "MOSTLY_IQ2_XXS",
        description: "IQ2_XXS - 2.0625 bpw",
    },
    FileType {
        id: 20,
        name: "MOSTLY_IQ2_XS",
        description: "IQ2_XS - 2.3125 bpw",
    },
    FileType {
        id: 21,
        name: "MOSTLY_Q2_K_S",
        description: "Q2_K - Small",
    },
    FileType {
        id: 22,
        name: "MOSTLY_IQ3_XS",
        description: "IQ3_XS - 3.3 bpw",
    },
    FileType {
        id: 23,
        name: "MOSTLY_IQ3_XXS",
        description: "IQ3_XXS - 3.0625 bpw",
    },
    FileType {
        id: 24,
        name: "MOSTLY_IQ1_S",
        description: "IQ1_S - 1.5625 bpw",
    },
    FileType {
        id: 25,
        name: "MOSTLY_IQ4_NL",
        description: "IQ4_NL - 4.5 bpw",
    },
    FileType {
        id: 26,
        name: "MOSTLY_IQ3_S",
        description: "IQ3_S - 3.4375 bpw",
    },
    FileType {
        id: 27,
        name: "MOSTLY_IQ3_M",
        description: "IQ3_S mix - 3.66 bpw",
    },
    FileType {
        id: 28,
        name: "MOSTLY_IQ2_S",
        description: "IQ2_S - 2.5 bpw",
    },
    FileType {
        id: 29,
        name: "MOSTLY_IQ2_M",
        description: "IQ2_M - 2.7 bpw",
    },
    FileType {
        id: 30,
        name: "MOSTLY_IQ4_XS",
        description: "IQ4_XS - 4.25 bpw",
    },
    FileType {
        id: 31,
        name: "MOSTLY_IQ1_M",
        description: "IQ1_M - 1.75 bpw",
    },
    FileType {
        id: 32,
        name: "MOSTLY_BF16",
        description: "BF16",
    },
    FileType {
        id: 33,
        name: "MOSTLY_Q4_0_4_4",
        description: "Q4_0_4_4 (removed)",
    },
    FileType {
        id: 34,
        name: "MOSTLY_Q4_0_4_8",
        description: "Q4_0_4_8 (removed)",
    },
    FileType {
        id: 35,
        name: "MOSTLY_Q4_0_8_8",
        description: "Q4_0_8_8 (removed)",
    },
    FileType {
        id: 36,
        name: "MOSTLY_TQ1_0",
        description: "TQ1_0 - 1.69 bpw ternary",
    },
    FileType {
        id: 37,
        name: "MOSTLY_TQ2_0",
        description: "TQ2_0 - 2.06 bpw ternary",
    },
    FileType {
        id: 38,
        name: "MOSTLY_MXFP4_MOE",
        description: "MXFP4 MoE",
    },
    FileType {
        id: 39,
        name: "MOSTLY_NVFP4",
        description: "NVFP4",
    },
    FileType {
        id: 40,
        name: "MOSTLY_Q1_0",
        description: "Q1_0",
    },
    FileType {
        id: 41,
        name: "MOSTLY_Q2_0",
        description: "Q2_0",
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
