//! `gguf inspect --markdown`: the report gguf-py's `gguf_dump.py --markdown`
//! prints, character for character — its key-value table (with the three
//! header fields gguf-py's reader lists first), its tensor groups and their
//! tables, its number formats (numpy's `str` of a scalar, Python's `round`,
//! `str.title`) and its column widths.

use gguf_format::{ArrayView, ByteOrder, Gguf, TensorInfo, Value, ValueType};
use std::fmt::Write as _;

/// The markdown report of one file: `path` as given (its last component
/// names the total), `no_tensors` leaves out the tensor sections as
/// `gguf_dump.py --no-tensors` does. Ends with a newline, as `print` does.
pub fn markdown(path: &str, g: &Gguf<'_>, no_tensors: bool) -> String {
    let mut s = String::new();
    let endian = match g.byte_order() {
        ByteOrder::Little => "LITTLE",
        ByteOrder::Big => "BIG",
    };
    let _ = write!(
        s,
        "# {path} - GGUF Internal File Dump\n\n- Endian: {endian} endian\n\n"
    );
    s.push_str("## Key Value Metadata Store\n\n");
    let _ = write!(
        s,
        "There are {} key-value pairs in this file\n\n",
        g.metadata().len() + 3
    );

    let mut rows: Vec<Vec<String>> = vec![
        header_row(1, "UINT32", "GGUF.version", g.version().as_u32().to_string()),
        header_row(2, "UINT64", "GGUF.tensor_count", g.tensors().len().to_string()),
        header_row(3, "UINT64", "GGUF.kv_count", g.metadata().len().to_string()),
    ];
    for (i, kv) in g.metadata().iter().enumerate() {
        let (ty, count, value) = field(&kv.value);
        rows.push(vec![
            (i + 4).to_string(),
            ty,
            count.to_string(),
            kv.key.to_string(),
            value,
        ]);
    }
    s.push_str(&table(
        &[
            ("POS", Align::Right),
            ("TYPE", Align::Left),
            ("Count", Align::Right),
            ("Key", Align::Left),
            ("Value", Align::Left),
        ],
        &rows,
    ));
    s.push('\n');

    let (mut model_bytes, mut model_elements) = (0u64, 0u64);
    if !no_tensors {
        tensors(&mut s, g, &mut model_bytes, &mut model_elements);
    }
    let base = path.rsplit('/').next().unwrap_or(path);
    if model_elements > 0 {
        let bpw = (model_bytes * 8) as f64 / model_elements as f64;
        let _ = writeln!(s, "Total BPW for {base}: {bpw:.4} bits");
    } else {
        let _ = writeln!(s, "Total BPW for {base}: undefined (no elements)");
    }
    s
}

fn header_row(pos: usize, ty: &str, key: &str, value: String) -> Vec<String> {
    vec![
        pos.to_string(),
        ty.to_string(),
        "1".to_string(),
        key.to_string(),
        value,
    ]
}

/// The type column, the count column (gguf-py's `len(field.data)`: the
/// leaves of an array, nested ones flattened) and the value column of a key.
fn field(v: &Value<'_>) -> (String, u64, String) {
    let Value::Array(a) = v else {
        let value = match v {
            Value::String(x) => truncated(&String::from_utf8_lossy(x.as_bytes()), 60),
            other => numpy_str(other),
        };
        return (v.value_type().name().to_string(), 1, value);
    };
    // gguf-py's types: ARRAY, then the first element's types, recursively.
    let mut types = vec![ValueType::Array];
    first_element_types(a, &mut types);
    let nest = types.len() - 1;
    let last = types[types.len() - 1].name();
    let ty = format!("{}{last}{}", "[".repeat(nest), "]".repeat(nest));
    let count = leaves(a);
    if types.len() == 1 {
        // An empty array: no element type, no value.
        return (ty, count, String::new());
    }
    let mut elements = Vec::new();
    match types[1] {
        ValueType::String => {
            if let Some(strings) = a.strings() {
                for x in strings.take(5) {
                    elements.push(truncated(&String::from_utf8_lossy(x.as_bytes()), 30));
                }
            }
        }
        ValueType::Array => {}
        _ => {
            for x in a.iter().take(7) {
                elements.push(numpy_str(&x));
            }
        }
    }
    let more = if count > elements.len() as u64 {
        ", ..."
    } else {
        ""
    };
    (ty, count, format!("[ {}{more} ]", elements.join(", ").trim()))
}

fn first_element_types(a: &ArrayView<'_>, types: &mut Vec<ValueType>) {
    if a.is_empty() {
        return;
    }
    types.push(a.element_type());
    if a.element_type() == ValueType::Array {
        if let Some(Value::Array(first)) = a.iter().next() {
            first_element_types(&first, types);
        }
    }
}

/// Scalars and strings in an array, nested arrays flattened.
fn leaves(a: &ArrayView<'_>) -> u64 {
    if a.element_type() != ValueType::Array {
        return a.len();
    }
    a.iter()
        .map(|x| match x {
            Value::Array(inner) => leaves(&inner),
            _ => 1,
        })
        .sum()
}

/// A string as inline code, cut to its first and last `max / 2` characters
/// when longer than `max` (gguf_dump's truncation and backtick escaping).
fn truncated(s: &str, max: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() > max {
        let head: String = chars[..max / 2].iter().collect();
        let tail: String = chars[chars.len() - max / 2..].iter().collect();
        format!("{}...{}", inline_code(&head), inline_code(&tail))
    } else {
        inline_code(s)
    }
}

/// gguf_dump's `escape_markdown_inline_code`: one more backtick than the
/// longest run inside, and a space inside each end when the string starts
/// or ends with a backtick.
fn inline_code(s: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let marker = "`".repeat(longest + 1);
    if s.starts_with('`') || s.ends_with('`') {
        format!("{marker} {s} {marker}")
    } else {
        format!("{marker}{s}{marker}")
    }
}

/// numpy's (2.x) `str` of a scalar: integers in decimal, booleans
/// `True`/`False`, floats by their shortest repr, positional from 1e-4 up to
/// 1e6 (float32) or 1e16 (float64), with a `.0` when whole, else scientific
/// with a signed exponent of two digits or more (`1e-05`, `-1e+30`).
fn numpy_str(v: &Value<'_>) -> String {
    match *v {
        Value::U8(x) => x.to_string(),
        Value::I8(x) => x.to_string(),
        Value::U16(x) => x.to_string(),
        Value::I16(x) => x.to_string(),
        Value::U32(x) => x.to_string(),
        Value::I32(x) => x.to_string(),
        Value::U64(x) => x.to_string(),
        Value::I64(x) => x.to_string(),
        Value::Bool(x) => if x { "True" } else { "False" }.to_string(),
        // numpy 2's cut-offs: 10^min(8, precision) for float32 (1e6), 1e16 for float64.
        Value::F32(x) => numpy_float(f64::from(x), 1e6, format!("{x}"), format!("{x:e}")),
        Value::F64(x) => numpy_float(x, 1e16, format!("{x}"), format!("{x:e}")),
        Value::String(_) | Value::Array(_) => String::new(),
    }
}

/// numpy's scalar float formatting from Rust's shortest positional and
/// scientific forms of the same value: positional when its magnitude (as a
/// double) is 0 or in [1e-4, `max`).
fn numpy_float(x: f64, max: f64, positional: String, scientific: String) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    let a = x.abs();
    if a == 0.0 || (1e-4..max).contains(&a) {
        if positional.contains('.') {
            positional
        } else {
            format!("{positional}.0")
        }
    } else {
        let (mantissa, exp) = scientific.split_once('e').unwrap_or((&scientific, "0"));
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exp),
        };
        format!("{mantissa}e{sign}{digits:0>2}")
    }
}

/// Python's `round` (half to even) of `count` scaled, with gguf_dump's
/// suffixes: `~38K`, `~1B`, `128`.
fn rounded(count: u64) -> String {
    let c = count as f64;
    let (scaled, suffix) = if c > 1e15 {
        (c * 1e-15, "Q")
    } else if c > 1e12 {
        (c * 1e-12, "T")
    } else if c > 1e9 {
        (c * 1e-9, "B")
    } else if c > 1e6 {
        (c * 1e-6, "M")
    } else if c > 1e3 {
        (c * 1e-3, "K")
    } else {
        return count.to_string();
    };
    format!("~{}{suffix}", scaled.round_ties_even() as u64)
}

/// Python's `str.title`: a cased letter after an uncased character (or at
/// the start) upper-case, after a cased one lower-case.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_cased = false;
    for c in s.chars() {
        let cased = c.is_uppercase() || c.is_lowercase();
        if cased {
            if prev_cased {
                out.extend(c.to_lowercase());
            } else {
                out.extend(c.to_uppercase());
            }
        } else {
            out.push(c);
        }
        prev_cased = cased;
    }
    out
}

/// gguf_dump's `translate_tensor_name`: each dot-separated word expanded
/// from the standardized names, title-cased, joined with spaces.
fn translate(name: &str) -> String {
    const WORDS: &[(&str, &str)] = &[
        ("token_embd", "Token embedding"),
        ("pos_embd", "Position embedding"),
        ("output_norm", "Output normalization"),
        ("output", "Output"),
        ("attn_norm", "Attention normalization"),
        ("attn_norm_2", "Attention normalization"),
        ("attn_qkv", "Attention query-key-value"),
        ("attn_q", "Attention query"),
        ("attn_k", "Attention key"),
        ("attn_v", "Attention value"),
        ("attn_output", "Attention output"),
        ("ffn_norm", "Feed-forward network normalization"),
        ("ffn_up", "Feed-forward network \"up\""),
        ("ffn_gate", "Feed-forward network \"gate\""),
        ("ffn_down", "Feed-forward network \"down\""),
        (
            "ffn_gate_inp",
            "Expert-routing layer for the Feed-forward network in Mixture of Expert models",
        ),
        (
            "ffn_gate_exp",
            "Feed-forward network \"gate\" layer per expert in Mixture of Expert models",
        ),
        (
            "ffn_down_exp",
            "Feed-forward network \"down\" layer per expert in Mixture of Expert models",
        ),
        (
            "ffn_up_exp",
            "Feed-forward network \"up\" layer per expert in Mixture of Expert models",
        ),
        ("ssm_in", "State space model input projections"),
        ("ssm_conv1d", "State space model rolling/shift"),
        ("ssm_x", "State space model selective parametrization"),
        ("ssm_a", "State space model state compression"),
        ("ssm_d", "State space model skip connection"),
        ("ssm_dt", "State space model time step"),
        ("ssm_out", "State space model output projection"),
        ("blk", "Block"),
        ("enc", "Encoder"),
        ("dec", "Decoder"),
    ];
    name.split('.')
        .map(|w| {
            let norm = w.trim().to_lowercase();
            match WORDS.iter().find(|(k, _)| *k == norm) {
                Some((_, long)) => title(long),
                None => title(w),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// gguf_dump's tensor group: `base`, `blk.N`, `enc.blk.N` / `dec.blk.N`, `enc` / `dec`.
fn group_of(name: &str) -> String {
    let c: Vec<&str> = name.split('.').collect();
    match c.as_slice() {
        ["blk", n, ..] => format!("blk.{n}"),
        [ed @ ("enc" | "dec"), "blk", n, ..] => format!("{ed}.blk.{n}"),
        [ed @ ("enc" | "dec"), ..] => ed.to_string(),
        ["blk"] => "blk.".to_string(),
        _ => "base".to_string(),
    }
}

fn tensor_bytes(t: &TensorInfo<'_>) -> u64 {
    t.n_bytes().unwrap_or(0)
}

fn tensors(s: &mut String, g: &Gguf<'_>, model_bytes: &mut u64, model_elements: &mut u64) {
    let all = g.tensors();
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, t) in all.iter().enumerate() {
        let group = group_of(t.name);
        match groups.iter_mut().find(|(n, _)| *n == group) {
            Some((_, v)) => v.push(i),
            None => groups.push((group, vec![i])),
        }
    }
    let total: u64 = all.iter().map(|t| t.n_elements()).sum();
    let _ = write!(
        s,
        "## Tensors Overview {} Elements\n\nTotal number of elements in all tensors: {total} Elements\n\n",
        rounded(total)
    );
    for (group, members) in &groups {
        let n: u64 = members.iter().map(|&i| all[i].n_elements()).sum();
        let _ = writeln!(
            s,
            "- [{} Tensor Group - {} Elements](#{})",
            translate(group),
            rounded(n),
            group.replace('.', "_")
        );
    }
    s.push_str("\n### Tensor Data Offset\n\nThis table contains the offset and data segment relative to start of file\n\n");
    let rows: Vec<Vec<String>> = all
        .iter()
        .enumerate()
        .map(|(i, t)| {
            vec![
                i.to_string(),
                t.name.to_string(),
                format!("{:>16}", format!("{:#x}", g.data_offset() + t.offset)),
                format!("{:>16}", format!("{:#x}", tensor_bytes(t))),
            ]
        })
        .collect();
    s.push_str(&table(
        &[
            ("T_ID", Align::Right),
            ("Tensor Layer Name", Align::Left),
            ("Data Offset (B)", Align::Right),
            ("Data Size (B)", Align::Right),
        ],
        &rows,
    ));
    s.push('\n');

    for (group, members) in &groups {
        let n: u64 = members.iter().map(|&i| all[i].n_elements()).sum();
        let share = n as f64 / total as f64 * 100.0;
        let anchor = group.replace('.', "_");
        let _ = write!(
            s,
            "### <a name=\"{anchor}\">{} Tensor Group : {} Elements</a>\n\n",
            translate(group),
            rounded(n)
        );
        let (mut est_w, mut count_w) = (1usize, 1usize);
        let mut dim_w = [1usize; 4];
        let dims4 = |t: &TensorInfo<'_>| -> Vec<u64> {
            let mut d = t.dims().to_vec();
            while d.len() < 4 {
                d.push(1);
            }
            d
        };
        for &i in members {
            let t = &all[i];
            est_w = est_w.max(rounded(t.n_elements()).chars().count());
            count_w = count_w.max(t.n_elements().to_string().len());
            for (j, d) in dims4(t).iter().enumerate() {
                if let Some(w) = dim_w.get_mut(j) {
                    *w = (*w).max(d.to_string().len());
                }
            }
        }
        let (mut group_bytes, mut group_elements) = (0u64, 0u64);
        let mut rows = Vec::new();
        for &i in members {
            let t = &all[i];
            let n = t.n_elements();
            let human = translate(&t.name.replace(".weight", ".(W)").replace(".bias", ".(B)"));
            let shape: Vec<String> = dims4(t)
                .iter()
                .enumerate()
                .map(|(j, d)| format!("{d:>w$}", w = dim_w.get(j).copied().unwrap_or(1)))
                .collect();
            let bytes = tensor_bytes(t);
            let bpw = if n > 0 {
                format!("{:.4}", (bytes * 8) as f64 / n as f64)
            } else {
                "nan".to_string()
            };
            rows.push(vec![
                i.to_string(),
                t.name.to_string(),
                human,
                format!("({:>est_w$}) {n:>count_w$}", rounded(n)),
                shape.join(" x "),
                t.ggml_type.to_string(),
                bpw,
            ]);
            group_bytes += bytes;
            group_elements += n;
        }
        s.push_str(&table(
            &[
                ("T_ID", Align::Right),
                ("Tensor Layer Name", Align::Left),
                ("Human Friendly Tensor Layer Name", Align::Left),
                ("Elements", Align::Left),
                ("Shape", Align::Left),
                ("Type", Align::Left),
                ("BPW", Align::Right),
            ],
            &rows,
        ));
        let _ = write!(
            s,
            "\n- Total elements in {group}: ({:>4}) {n}\n- Percentage of total elements: {share:.2}%\n",
            rounded(n)
        );
        if group_elements > 0 {
            let bpw = (group_bytes * 8) as f64 / group_elements as f64;
            let _ = writeln!(s, "- Bits per Weight (BPW) for {group}: {bpw:.4} bits");
        } else {
            let _ = writeln!(s, "- Bits per Weight (BPW) for {group}: undefined (no elements)");
        }
        s.push_str("\n\n");
        *model_bytes += group_bytes;
        *model_elements += group_elements;
    }
}

#[derive(Clone, Copy)]
enum Align {
    Left,
    Right,
}

/// gguf_dump's `markdown_table_with_alignment_support`: each column as wide
/// as its widest cell or header plus two, cells padded by one space on the
/// outer side, `:---` / `---:` under the header.
fn table(header: &[(&str, Align)], rows: &[Vec<String>]) -> String {
    let len = |s: &str| s.chars().count();
    let widths: Vec<usize> = header
        .iter()
        .enumerate()
        .map(|(i, (h, _))| {
            let data = rows
                .iter()
                .map(|r| r.get(i).map_or(0, |c| len(c)))
                .max()
                .unwrap_or(0)
                + 2;
            data.max(len(h) + 2)
        })
        .collect();
    let cell = |text: &str, w: usize, a: Align| -> String {
        let pad = (w - 1).saturating_sub(len(text));
        match a {
            Align::Right => format!("{}{text} ", " ".repeat(pad)),
            Align::Left => format!(" {text}{}", " ".repeat(pad)),
        }
    };
    let mut out = String::new();
    let line = |cells: Vec<String>| format!("|{}|\n", cells.join("|"));
    out.push_str(&line(
        header
            .iter()
            .zip(&widths)
            .map(|((h, a), &w)| cell(h, w, *a))
            .collect(),
    ));
    out.push_str(&line(
        header
            .iter()
            .zip(&widths)
            .map(|((_, a), &w)| match a {
                Align::Right => format!("{}:", "-".repeat(w - 1)),
                Align::Left => format!(":{}", "-".repeat(w - 1)),
            })
            .collect(),
    ));
    for r in rows {
        out.push_str(&line(
            header
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, ((_, a), &w))| cell(r.get(i).map_or("", String::as_str), w, *a))
                .collect(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_and_numpy_formats() {
        assert_eq!(numpy_str(&Value::F32(1e-5)), "1e-05");
        assert_eq!(numpy_str(&Value::F32(10000.0)), "10000.0");
        assert_eq!(numpy_str(&Value::F32(999999.0)), "999999.0");
        assert_eq!(numpy_str(&Value::F32(1e6)), "1e+06");
        assert_eq!(numpy_str(&Value::F32(1e-4)), "1e-04", "1e-4 as f32 is below 1e-4");
        assert_eq!(numpy_str(&Value::F64(1e15)), "1000000000000000.0");
        assert_eq!(numpy_str(&Value::F32(-1e30)), "-1e+30");
        assert_eq!(numpy_str(&Value::F64(1e-300)), "1e-300");
        assert_eq!(numpy_str(&Value::F32(0.0)), "0.0");
        assert_eq!(numpy_str(&Value::Bool(true)), "True");
        assert_eq!(rounded(19200), "~19K");
        assert_eq!(rounded(2500), "~2K", "half to even, as Python's round");
        assert_eq!(rounded(3500), "~4K");
        assert_eq!(rounded(1000), "1000");
        assert_eq!(title("IQ2_XXS"), "Iq2_Xxs");
        assert_eq!(
            title("feed-forward network \"up\""),
            "Feed-Forward Network \"Up\""
        );
        assert_eq!(
            translate("blk.0.ffn_up.(W)"),
            "Block 0 Feed-Forward Network \"Up\" (W)"
        );
        assert_eq!(inline_code("a`b``c"), "```a`b``c```");
        assert_eq!(inline_code("`x"), "`` `x ``");
        assert_eq!(group_of("enc.blk.3.attn_q.weight"), "enc.blk.3");
        assert_eq!(group_of("dec.output.weight"), "dec");
    }
}
