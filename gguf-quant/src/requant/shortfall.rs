//! What a dry-run plan lacks to be carried out, typed.

use super::Plan;
use gguf_format::GgmlType;
use std::fmt;

/// One thing a plan lacks to be carried out (a plan made for a dry run
/// can lack these; [`super::plan`] refuses them otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shortfall {
    /// Tensors get types that need an importance matrix, and none was given.
    Imatrix,
    /// The importance matrix given lacks entries its types need.
    ImatrixEntries,
    /// Types this version cannot encode (the plan gives their sizes only),
    /// in order of name.
    Encoders(Vec<GgmlType>),
}

impl fmt::Display for Shortfall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shortfall::Imatrix => f.write_str("needs an importance matrix"),
            Shortfall::ImatrixEntries => f.write_str("the importance matrix lacks entries its types need"),
            Shortfall::Encoders(types) => {
                let list: Vec<String> = types.iter().map(GgmlType::to_string).collect();
                write!(
                    f,
                    "{} cannot be encoded by this version (size only)",
                    list.join(", ")
                )
            }
        }
    }
}

impl Plan<'_> {
    /// What this plan lacks to be carried out, empty when it can be: an
    /// importance matrix (or entries of one) for types that need one, or
    /// encoders for types this version cannot make.
    pub fn shortfalls(&self) -> Vec<Shortfall> {
        let converted = || self.tensors.iter().filter(|t| t.choice.ty != t.src.ggml_type);
        let mut v = Vec::new();
        if converted().any(|t| t.choice.requires_imatrix && t.imatrix.is_none()) {
            v.push(if self.tensors.iter().any(|t| t.imatrix.is_some()) {
                Shortfall::ImatrixEntries
            } else {
                Shortfall::Imatrix
            });
        }
        let missing: std::collections::BTreeMap<String, GgmlType> = converted()
            .filter(|t| crate::codec(t.choice.ty).is_none_or(|c| !c.can_encode()))
            .map(|t| (t.choice.ty.to_string(), t.choice.ty))
            .collect();
        if !missing.is_empty() {
            v.push(Shortfall::Encoders(missing.into_values().collect()));
        }
        v
    }
}
