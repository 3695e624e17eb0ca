//! Numbers and values shortened for people: sizes in KiB/MiB/GiB, counts in
//! K/M/B, long strings and arrays cut with an ellipsis.

use gguf_format::Value;

/// `1536` → `1.5 KiB`; below 1 KiB, plain bytes.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut x = n as f64 / 1024.0;
    let mut unit = 0;
    while x >= 1024.0 && unit < UNITS.len() - 1 {
        x /= 1024.0;
        unit += 1;
    }
    format!("{x:.1} {}", UNITS[unit])
}

/// `268_098_176` → `268.1M` (K, M, B, T as in model size labels).
pub fn count(n: u64) -> String {
    const UNITS: [(f64, &str); 4] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")];
    for (scale, unit) in UNITS {
        if n as f64 >= scale {
            return format!("{:.1}{unit}", n as f64 / scale);
        }
    }
    n.to_string()
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A value on one line: strings quoted and escaped and cut after
/// `max_chars` characters, arrays showing at most `max_items` elements
/// ([`Value::shortened`]).
pub fn short_value(v: &Value<'_>, max_chars: usize, max_items: usize) -> String {
    v.shortened(max_chars, max_items)
}

/// A value to be written, shortened like [`short_value`].
pub fn short_meta(v: &gguf_format::MetaValue<'_>, max_chars: usize, max_items: usize) -> String {
    use gguf_format::{MetaArray, MetaValue};
    match v {
        MetaValue::String(s) => short_value(&Value::String(gguf_format::GgufStr(s)), max_chars, max_items),
        MetaValue::Array(MetaArray::View(a)) => short_value(&Value::Array(*a), max_chars, max_items),
        MetaValue::Array(MetaArray::Items { items, .. }) => {
            let mut shown: Vec<String> = items
                .iter()
                .take(max_items)
                .map(|x| short_meta(x, max_chars.min(40), max_items))
                .collect();
            if items.len() > shown.len() {
                shown.push(format!(
                    "… {} more",
                    thousands((items.len() - shown.len()) as u64)
                ));
            }
            format!("[{}]", shown.join(", "))
        }
        MetaValue::U8(x) => x.to_string(),
        MetaValue::I8(x) => x.to_string(),
        MetaValue::U16(x) => x.to_string(),
        MetaValue::I16(x) => x.to_string(),
        MetaValue::U32(x) => x.to_string(),
        MetaValue::I32(x) => x.to_string(),
        MetaValue::U64(x) => x.to_string(),
        MetaValue::I64(x) => x.to_string(),
        MetaValue::F32(x) => format!("{x:?}"),
        MetaValue::F64(x) => format!("{x:?}"),
        MetaValue::Bool(x) => x.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting() {
        assert_eq!(bytes(1000), "1000 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(5 << 30), "5.0 GiB");
        assert_eq!(count(268_098_176), "268.1M");
        assert_eq!(count(999), "999");
        assert_eq!(count(7_240_000_000), "7.2B");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(100), "100");
        assert_eq!(
            short_value(&Value::String(gguf_format::GgufStr(b"a\nb")), 10, 3),
            "\"a\\nb\""
        );
        assert_eq!(
            short_value(&Value::String(gguf_format::GgufStr(b"abcdef")), 3, 3),
            "\"abc…\" (6 chars)"
        );
    }
}
