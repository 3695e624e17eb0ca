//! Tensor names and the roles llama.cpp gives them: the categories
//! llama-quantize's type rules are written in ([`Category`]) and the layer
//! of a `blk.N.` name ([`layer_of`]).
//!
//! ```
//! use gguf_llama::tensor::{layer_of, Category};
//! assert_eq!(Category::of("blk.3.ffn_down_exps.weight"), Category::FfnDown);
//! assert_eq!(Category::of("blk.3.ffn_down_exps.weight").name(), "ffn_down");
//! assert_eq!(layer_of("blk.12.attn_q.weight"), Some(12));
//! assert_eq!(layer_of(gguf_llama::tensor::OUTPUT), None);
//! ```

/// The output projection (absent when the token embeddings double as it).
pub const OUTPUT: &str = "output.weight";
/// The token embeddings.
pub const TOKEN_EMBD: &str = "token_embd.weight";
/// The per-layer token embeddings (gemma3n).
pub const PER_LAYER_TOKEN_EMBD: &str = "per_layer_token_embd.weight";
/// The prefix of the tensors of block (layer) `N`: `blk.N.`.
pub const BLOCK_PREFIX: &str = "blk.";

/// Broad tensor roles the rules are written in (`tensor_category`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// `output.weight`
    Output,
    /// `token_embd.weight`, `per_layer_token_embd.weight`
    TokenEmbd,
    /// `attn_qkv.weight`
    AttentionQkv,
    /// `attn_kv_b.weight`
    AttentionKvB,
    /// `attn_v.weight`
    AttentionV,
    /// `attn_k.weight`
    AttentionK,
    /// `attn_q.weight`
    AttentionQ,
    /// `attn_output.weight`
    AttentionOutput,
    /// `ffn_up*`
    FfnUp,
    /// `ffn_gate*`
    FfnGate,
    /// `ffn_down*` (experts and shared experts included)
    FfnDown,
    /// Anything else.
    Other,
}

impl Category {
    /// The category of a tensor name, tested in llama.cpp's order.
    pub fn of(name: &str) -> Category {
        if name == OUTPUT {
            return Category::Output;
        }
        if name == TOKEN_EMBD || name == PER_LAYER_TOKEN_EMBD {
            return Category::TokenEmbd;
        }
        let table = [
            ("attn_qkv.weight", Category::AttentionQkv),
            ("attn_kv_b.weight", Category::AttentionKvB),
            ("attn_v.weight", Category::AttentionV),
            ("attn_k.weight", Category::AttentionK),
            ("attn_q.weight", Category::AttentionQ),
            ("attn_output.weight", Category::AttentionOutput),
            ("ffn_up", Category::FfnUp),
            ("ffn_gate", Category::FfnGate),
            ("ffn_down", Category::FfnDown),
        ];
        table
            .iter()
            .find(|(s, _)| name.contains(s))
            .map_or(Category::Other, |&(_, c)| c)
    }

    /// The short name of the category (`attn_q`, `ffn_down`, `token_embd`, `other`, …).
    pub fn name(self) -> &'static str {
        match self {
            Category::Output => "output",
            Category::TokenEmbd => "token_embd",
            Category::AttentionQkv => "attn_qkv",
            Category::AttentionKvB => "attn_kv_b",
            Category::AttentionV => "attn_v",
            Category::AttentionK => "attn_k",
            Category::AttentionQ => "attn_q",
            Category::AttentionOutput => "attn_output",
            Category::FfnUp => "ffn_up",
            Category::FfnGate => "ffn_gate",
            Category::FfnDown => "ffn_down",
            Category::Other => "other",
        }
    }

    /// V, QKV and KV_B: the attention tensors most sensitive to quantization.
    pub fn is_attn_v(self) -> bool {
        matches!(
            self,
            Category::AttentionV | Category::AttentionQkv | Category::AttentionKvB
        )
    }
}

/// The layer number in a `blk.N.` name.
pub fn layer_of(name: &str) -> Option<u64> {
    let rest = name.strip_prefix(BLOCK_PREFIX)?;
    let end = rest.find('.')?;
    rest[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories() {
        assert_eq!(Category::of("blk.3.ffn_down_exps.weight"), Category::FfnDown);
        assert_eq!(Category::of("blk.3.ffn_down_shexp.weight"), Category::FfnDown);
        assert_eq!(Category::of("blk.3.attn_qkv.weight"), Category::AttentionQkv);
        assert_eq!(Category::of("blk.0.attn_v.weight"), Category::AttentionV);
        assert_eq!(Category::of("output.weight"), Category::Output);
        assert_eq!(Category::of("per_layer_token_embd.weight"), Category::TokenEmbd);
        assert_eq!(Category::of("blk.0.attn_norm.weight"), Category::Other);
        assert!(Category::AttentionKvB.is_attn_v() && !Category::AttentionK.is_attn_v());
        assert_eq!(Category::AttentionOutput.name(), "attn_output");
    }

    #[test]
    fn layers() {
        assert_eq!(layer_of("blk.12.attn_q.weight"), Some(12));
        assert_eq!(layer_of("blk.x.attn_q.weight"), None);
        assert_eq!(layer_of("blk.3"), None);
        assert_eq!(layer_of("output.weight"), None);
    }
}
