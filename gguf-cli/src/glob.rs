//! Shell-style name patterns for `--tensors`: `*` matches any run of
//! characters (dots included), `?` exactly one; everything else is literal.
//! `blk.*.attn_q.weight`, `*ffn_down*`, `token_embd.weight`.

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    pattern: String,
    chars: Vec<char>,
}

impl Glob {
    /// Compiles `pattern`.
    pub fn new(pattern: &str) -> Glob {
        Glob {
            pattern: pattern.to_string(),
            chars: pattern.chars().collect(),
        }
    }

    /// The pattern as given.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Whether the whole of `name` matches.
    pub fn matches(&self, name: &str) -> bool {
        // Iterative matcher with single-star backtracking: O(len(p) * len(name)) worst case.
        let (p, s): (&[char], Vec<char>) = (&self.chars, name.chars().collect());
        let (mut pi, mut si) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while si < s.len() {
            match p.get(pi) {
                Some('*') => {
                    star = Some((pi, si));
                    pi += 1;
                }
                Some(&c) if c == '?' || c == s[si] => {
                    pi += 1;
                    si += 1;
                }
                _ => match star {
                    Some((sp, ss)) => {
                        pi = sp + 1;
                        si = ss + 1;
                        star = Some((sp, ss + 1));
                    }
                    None => return false,
                },
            }
        }
        p[pi..].iter().all(|&c| c == '*')
    }
}

impl std::str::FromStr for Glob {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Glob, Self::Err> {
        Ok(Glob::new(s))
    }
}

#[cfg(test)]
mod tests {
    use super::Glob;

    #[test]
    fn matching() {
        let m = |p: &str, s: &str| Glob::new(p).matches(s);
        assert!(m("blk.*.attn_q.weight", "blk.12.attn_q.weight"));
        assert!(!m("blk.*.attn_q.weight", "blk.12.attn_k.weight"));
        assert!(m("*ffn_down*", "blk.0.ffn_down.weight"));
        assert!(m("blk.?.*", "blk.3.x"));
        assert!(!m("blk.?.*", "blk.10.x"));
        assert!(m("*", ""));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(!m("a*b*c", "aXXbYY"));
        assert!(m("token_embd.weight", "token_embd.weight"));
        assert!(!m("token_embd", "token_embd.weight"));
    }
}
