//! gguf-py's naming heuristics (`metadata.py`'s `get_model_id_components`
//! and `id_to_title`, `utility.py`'s size labels), re-implemented with
//! Python's string semantics where they decide the result.

/// What a Hugging Face model id (`org/Name-7B-Instruct-v0.1`) says about
/// the model, as `Metadata.get_model_id_components` finds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdComponents {
    /// The part after the organization (the whole id when it has a space).
    pub name: Option<String>,
    /// The part before the first `/` (`None` when it starts with `.`).
    pub organization: Option<String>,
    /// The leading words (and versions) before the first size, finetune or
    /// other annotated part; `None` when nothing else was found.
    pub basename: Option<String>,
    /// Finetune words (and sizes far from the parameter count), `-`-joined.
    pub finetune: Option<String>,
    /// Versions not part of the basename, `-`-joined.
    pub version: Option<String>,
    /// Size labels (`7B`, `8x7B`, …), deduplicated, `-`-joined.
    pub size_label: Option<String>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Kinds {
    basename: bool,
    size_label: bool,
    finetune: bool,
    version: bool,
    ty: bool,
}

impl Kinds {
    fn is_empty(&self) -> bool {
        !(self.basename || self.size_label || self.finetune || self.version || self.ty)
    }
    fn count(&self) -> usize {
        [
            self.basename,
            self.size_label,
            self.finetune,
            self.version,
            self.ty,
        ]
        .iter()
        .filter(|b| **b)
        .count()
    }
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `(v|iter)?\d+([.]\d+)*`, case-insensitive, whole string.
fn is_version(part: &str) -> bool {
    let l = part.to_ascii_lowercase();
    let rest = l
        .strip_prefix("iter")
        .or_else(|| l.strip_prefix('v'))
        .unwrap_or(&l);
    rest.split('.').all(digits)
}

/// `i?q\d(_\w)*|b?fp?(16|32)`, case-insensitive, whole string.
fn is_quant_type(part: &str) -> bool {
    let l = part.to_ascii_lowercase();
    let q = l.strip_prefix('i').unwrap_or(&l);
    if let Some(rest) = q.strip_prefix('q') {
        let mut chars = rest.chars();
        if chars.next().is_some_and(|c| c.is_ascii_digit()) {
            let rest = chars.as_str();
            // `(_\w)*`: pairs of an underscore and one word character
            // (`_` is itself a word character).
            let c: Vec<char> = rest.chars().collect();
            if c.len().is_multiple_of(2)
                && c.chunks(2)
                    .all(|p| p[0] == '_' && (p[1].is_alphanumeric() || p[1] == '_'))
            {
                return true;
            }
        }
    }
    let f = l.strip_prefix('b').unwrap_or(&l);
    match f.strip_prefix('f') {
        Some(rest) => {
            let rest = rest.strip_prefix('p').unwrap_or(rest);
            rest == "16" || rest == "32"
        }
        None => false,
    }
}

/// `(([A]|\d+[x])?\d+([._]\d+)?[KMBT][\d]?|small|mini|medium|large|x?xl)`,
/// case-insensitive, whole string.
fn is_size(part: &str) -> bool {
    let l = part.to_ascii_lowercase();
    if matches!(l.as_str(), "small" | "mini" | "medium" | "large" | "xl" | "xxl") {
        return true;
    }
    let b = l.as_bytes();
    // Try each way the optional prefix can match (the regex backtracks).
    let mut starts = vec![0];
    if b.first() == Some(&b'a') {
        starts.push(1);
    }
    let lead = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if lead > 0 && b.get(lead) == Some(&b'x') {
        starts.push(lead + 1);
    }
    starts.into_iter().any(|s| {
        let r = &b[s..];
        let n = r.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        let mut r = &r[n..];
        if matches!(r.first(), Some(b'.' | b'_')) {
            let m = r[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if m > 0 {
                r = &r[1 + m..];
            }
        }
        match r {
            [s] => b"kmbt".contains(s),
            [s, d] => b"kmbt".contains(s) && d.is_ascii_digit(),
            _ => false,
        }
    })
}

/// `chat|instruct|vision|lora`, case-insensitive, whole string.
fn is_finetune_word(part: &str) -> bool {
    matches!(
        part.to_ascii_lowercase().as_str(),
        "chat" | "instruct" | "vision" | "lora"
    )
}

/// `Metadata.get_model_id_components(model_id, total_params)`.
pub fn id_components(model_id: &str, total_params: i64) -> IdComponents {
    if model_id.contains(' ') {
        return IdComponents {
            name: Some(model_id.to_string()),
            ..IdComponents::default()
        };
    }
    let (org, full) = match model_id.split_once('/') {
        Some((o, n)) => (Some(o.to_string()), n.to_string()),
        None => (None, model_id.to_string()),
    };
    let org = org.filter(|o| !o.starts_with('.'));
    let mut parts: Vec<String> = full
        .split('-')
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect();
    let mut kinds = vec![Kinds::default(); parts.len()];
    for (i, part) in parts.iter_mut().enumerate() {
        let k = &mut kinds[i];
        if is_version(part) {
            k.version = true;
        } else if is_quant_type(part) {
            k.ty = true;
            *part = part.to_uppercase();
        } else if i > 0 && is_size(part) {
            let mut p: Vec<char> = part.replace('_', ".").chars().collect();
            // bloom-7b1 → 7.1b
            if p.last().is_some_and(|c| c.is_ascii_digit()) {
                let n = p.len();
                let (a, b) = (p[n - 2], p[n - 1]);
                p.truncate(n - 2);
                p.extend(['.', b, a]);
            }
            let n = p.len();
            if n > 1 && p[n - 2].is_ascii_digit() && "kmbt".contains(p[n - 1]) {
                p[n - 1] = p[n - 1].to_ascii_uppercase();
            }
            if total_params != 0 {
                let head: String = p[..n - 1].iter().collect();
                if let Some(v) = python_float(&head) {
                    let scale = match " KMBT".find(p[n - 1]) {
                        Some(e) => 1000f64.powi(e as i32),
                        None => 1e-3,
                    };
                    let label = v * scale;
                    let far = if total_params < 0 {
                        label < (total_params.unsigned_abs() / 8) as f64
                    } else {
                        (label - total_params as f64).abs() > (7 * total_params / 8) as f64
                    };
                    if far {
                        // Likely a context length.
                        k.finetune = true;
                        p[n - 1] = p[n - 1].to_ascii_lowercase();
                    }
                }
            }
            if k.is_empty() {
                k.size_label = true;
            }
            *part = p.into_iter().collect();
        } else if i > 0 && is_finetune_word(part) {
            if total_params < 0 && part.eq_ignore_ascii_case("lora") {
                k.ty = true;
            } else {
                k.finetune = true;
            }
        }
    }
    // Word sizes give way to a numeric one.
    let numeric = parts
        .iter()
        .zip(&kinds)
        .any(|(p, k)| k.size_label && p.chars().any(|c| c.is_numeric()));
    if numeric {
        for (p, k) in parts.iter().zip(kinds.iter_mut()) {
            if k.size_label && p.chars().all(char::is_alphabetic) {
                k.size_label = false;
            }
        }
    }
    let mut at_start = true;
    for (p, k) in parts.iter().zip(kinds.iter_mut()) {
        let alpha_first = p.chars().next().is_some_and(char::is_alphabetic);
        if at_start && ((k.is_empty() && alpha_first) || k.version) {
            k.basename = true;
        } else {
            at_start = false;
            if k.is_empty() {
                k.finetune = true;
            }
        }
    }
    for k in kinds.iter_mut().rev() {
        if k.basename && k.count() > 1 {
            k.basename = false;
        } else {
            break;
        }
    }
    let join = |f: &dyn Fn(&Kinds) -> bool| -> Option<String> {
        let v: Vec<&str> = parts
            .iter()
            .zip(&kinds)
            .filter(|(_, k)| f(k))
            .map(|(p, _)| p.as_str())
            .collect();
        (!v.is_empty()).then(|| v.join("-"))
    };
    let mut basename = join(&|k| k.basename);
    let mut sizes: Vec<&str> = Vec::new();
    for (p, k) in parts.iter().zip(&kinds) {
        if k.size_label && !sizes.contains(&p.as_str()) {
            sizes.push(p);
        }
    }
    let size_label = (!sizes.is_empty()).then(|| sizes.join("-"));
    let finetune = join(&|k| k.finetune);
    let version = join(&|k| k.version && !k.basename);
    if size_label.is_none() && finetune.is_none() && version.is_none() {
        basename = None;
    }
    IdComponents {
        name: Some(full),
        organization: org,
        basename,
        finetune,
        version,
        size_label,
    }
}

/// Python's `float(s)` for the strings a size part leaves (digits with
/// at most one dot); `None` where Python raises.
fn python_float(s: &str) -> Option<f64> {
    let ok = !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && s.bytes().filter(|&b| b == b'.').count() <= 1
        && s.bytes().any(|b| b.is_ascii_digit());
    if ok {
        s.parse().ok()
    } else {
        None
    }
}

/// Python's `str.islower()`: a cased character and no upper- or
/// titlecase one.
fn py_islower(s: &str) -> bool {
    s.chars().any(char::is_lowercase) && !s.chars().any(char::is_uppercase)
}

/// Python's `str.title()`: a character after a cased one lowercased, any
/// other uppercased.
fn py_title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_cased = false;
    for c in s.chars() {
        if prev_cased {
            out.extend(c.to_lowercase());
        } else {
            out.extend(c.to_uppercase());
        }
        prev_cased = c.is_lowercase() || c.is_uppercase();
    }
    out
}

/// `^(v\d+(?:\.\d+)*|\d.*)$`: a version or a word starting with a digit.
fn version_or_number(w: &str) -> bool {
    if w.starts_with(|c: char| c.is_ascii_digit()) {
        return true;
    }
    w.strip_prefix('v').is_some_and(|r| r.split('.').all(digits))
}

/// `Metadata.id_to_title`: dashes to spaces, lowercase words title-cased
/// unless a version or a number.
pub fn id_to_title(s: &str) -> String {
    s.trim()
        .replace('-', " ")
        .split_whitespace()
        .map(|w| {
            if py_islower(w) && !version_or_number(w) {
                py_title(w)
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `utility.py`'s `model_weight_count_rounded_notation`.
fn rounded_notation(count: u64, min_digits: usize) -> String {
    let c = count as f64;
    let (scaled, suffix) = if c > 1e12 {
        (c * 1e-12, "T")
    } else if c > 1e9 {
        (c * 1e-9, "B")
    } else if c > 1e6 {
        (c * 1e-6, "M")
    } else {
        (c * 1e-3, "K")
    };
    // len(str(round(scaled)).lstrip('0')), Python's round being half-even.
    let rounded = format!("{}", scaled.round_ties_even() as u64);
    let width = rounded.trim_start_matches('0').len();
    let fix = min_digits.saturating_sub(width);
    format!("{scaled:.fix$}{suffix}")
}

/// `utility.py`'s `size_label`: `8x7.2B` style with experts, `1.1B` without.
pub fn size_label(total: u64, shared: u64, expert: u64, expert_count: u64) -> String {
    if expert_count > 0 {
        format!("{expert_count}x{}", rounded_notation(shared + expert, 2))
    } else {
        rounded_notation(total, 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: &str, total: i64) -> [Option<String>; 6] {
        let x = id_components(id, total);
        [
            x.name,
            x.organization,
            x.basename,
            x.finetune,
            x.version,
            x.size_label,
        ]
    }

    fn s(v: [Option<&str>; 6]) -> [Option<String>; 6] {
        v.map(|o| o.map(String::from))
    }

    #[test]
    fn hub_names() {
        // Worked out from get_model_id_components, and checked by running
        // metadata.py itself (it needs neither numpy nor torch).
        assert_eq!(
            c("TinyLlama-1.1B-Chat-v1.0", 150_848),
            s([
                Some("TinyLlama-1.1B-Chat-v1.0"),
                None,
                Some("TinyLlama"),
                Some("1.1b-Chat"),
                Some("v1.0"),
                None
            ])
        );
        assert_eq!(
            c("TinyLlama-1.1B-Chat-v1.0", 1_100_048_384),
            s([
                Some("TinyLlama-1.1B-Chat-v1.0"),
                None,
                Some("TinyLlama"),
                Some("Chat"),
                Some("v1.0"),
                Some("1.1B")
            ])
        );
        assert_eq!(
            c("meta-llama/Meta-Llama-3.1-8B-Instruct", 8_030_261_248),
            s([
                Some("Meta-Llama-3.1-8B-Instruct"),
                Some("meta-llama"),
                Some("Meta-Llama-3.1"),
                Some("Instruct"),
                None,
                Some("8B")
            ])
        );
        assert_eq!(
            c("Qwen2.5-0.5B-Instruct", 494_032_768),
            s([
                Some("Qwen2.5-0.5B-Instruct"),
                None,
                Some("Qwen2.5"),
                Some("Instruct"),
                None,
                Some("0.5B")
            ])
        );
        assert_eq!(
            c("Mistral-7B-v0.1", 7_241_732_096),
            s([
                Some("Mistral-7B-v0.1"),
                None,
                Some("Mistral"),
                None,
                Some("v0.1"),
                Some("7B")
            ])
        );
        // "2b" is a size (b uppercased after a digit); "it", unannotated after
        // the basename has ended, is a finetune.
        assert_eq!(
            c("gemma-2-2b-it", 2_614_341_888),
            s([
                Some("gemma-2-2b-it"),
                None,
                Some("gemma-2"),
                Some("it"),
                None,
                Some("2B")
            ])
        );
        // "4k" is a size far from the parameter count: a context length, so a finetune.
        assert_eq!(
            c("phi-3-mini-4k-instruct", 3_821_079_552),
            s([
                Some("phi-3-mini-4k-instruct"),
                None,
                Some("phi-3"),
                Some("4k-instruct"),
                None,
                Some("mini")
            ])
        );
        // Without a parameter count every size stays one; the word size gives
        // way to the number and, left unannotated, joins the basename.
        assert_eq!(
            c("phi-3-mini-4k-instruct", 0),
            s([
                Some("phi-3-mini-4k-instruct"),
                None,
                Some("phi-3-mini"),
                Some("instruct"),
                None,
                Some("4K")
            ])
        );
        assert_eq!(
            c("Mixtral-8x7B-Instruct-v0.1", 46_702_792_704),
            s([
                Some("Mixtral-8x7B-Instruct-v0.1"),
                None,
                Some("Mixtral"),
                Some("Instruct"),
                Some("v0.1"),
                Some("8x7B")
            ])
        );
        assert_eq!(
            c("bloom-7b1", 7_069_016_064),
            s([Some("bloom-7b1"), None, Some("bloom"), None, None, Some("7.1B")])
        );
        assert_eq!(
            c("Llama-2-7b-chat-q4_k_m", 0),
            s([
                Some("Llama-2-7b-chat-q4_k_m"),
                None,
                Some("Llama-2"),
                Some("chat"),
                None,
                Some("7B")
            ])
        );
        // Nothing but words: too ambiguous for a basename.
        assert_eq!(
            c("tinyllama-spm", 151_000),
            s([Some("tinyllama-spm"), None, None, None, None, None])
        );
        assert_eq!(c("./local-model", 0)[1], None);
        assert_eq!(
            c("A Model Name", 0),
            s([Some("A Model Name"), None, None, None, None, None])
        );
    }

    #[test]
    fn titles() {
        assert_eq!(
            id_to_title("TinyLlama-1.1B-Chat-v1.0"),
            "TinyLlama 1.1B Chat v1.0"
        );
        assert_eq!(id_to_title("tinyllama-spm"), "Tinyllama Spm");
        assert_eq!(id_to_title("gemma2-spm"), "Gemma2 Spm");
        assert_eq!(id_to_title("ultrachat_200k"), "Ultrachat_200K");
        assert_eq!(id_to_title("cerebras"), "Cerebras");
        assert_eq!(
            id_to_title("TinyLlama-1.1B-intermediate-step-1431k-3T"),
            "TinyLlama 1.1B Intermediate Step 1431k 3T"
        );
        assert_eq!(id_to_title("gemma-2-2b-it"), "Gemma 2 2b It");
        assert_eq!(id_to_title("mistral-v0.1"), "Mistral v0.1");
    }

    #[test]
    fn size_labels() {
        assert_eq!(size_label(150_848, 150_848, 0, 0), "151K");
        assert_eq!(size_label(1_033_728, 1_033_728, 0, 0), "1.0M");
        assert_eq!(size_label(4_083_000, 0, 0, 0), "4.1M");
        assert_eq!(size_label(8_030_261_248, 0, 0, 0), "8.0B");
        assert_eq!(size_label(494_032_768, 0, 0, 0), "494M");
        assert_eq!(size_label(999, 0, 0, 0), "1.0K");
        assert_eq!(size_label(0, 0, 0, 0), "0.00K");
        assert_eq!(size_label(0, 1_600_000_000, 5_600_000_000, 8), "8x7.2B");
        // Python's half-even round() and correctly rounded formatting
        // (values from utility.py run on these counts).
        for (n, want) in [
            (999_500, "1000K"),
            (1_000_000, "1000K"),
            (1_000_001, "1.0M"),
            (9_950_000, "10M"),
            (9_949_999, "10M"),
            (99_500, "100K"),
            (125, "0.12K"),
            (2_500, "2.5K"),
            (1_500_000_000, "1.5B"),
            (22_500_000_000, "22B"),
            (1_234_567_890_123, "1.2T"),
            (45, "0.04K"),
        ] {
            assert_eq!(size_label(n, 0, 0, 0), want, "{n}");
        }
    }
}
