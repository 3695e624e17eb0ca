//! The model card's front matter (`README.md` between `---` lines) read
//! as `metadata.py`'s `load_model_card` reads it: the same line split and
//! the same two textual fixes, then YAML resolved the way PyYAML's
//! `safe_load` (YAML 1.1) resolves plain scalars — `yes`/`no`/`on`/`off`
//! are booleans, `2024-01-01` a date, `1e3` a string — on top of
//! yaml-rust2's YAML 1.2 event parser (which keeps each scalar's style).

use crate::error::{Error, Result};
use std::path::Path;
use yaml_rust2::parser::{Event, EventReceiver, Parser};
use yaml_rust2::scanner::TScalarStyle;

/// A YAML (or JSON) value as the converter's Python sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    /// `None`.
    Null,
    /// `bool`.
    Bool(bool),
    /// `int`.
    Int(i64),
    /// `float`.
    Float(f64),
    /// `str`.
    Str(String),
    /// A value of another Python type (a date, a large integer): named.
    Other(&'static str),
    /// `list`.
    List(Vec<Val>),
    /// `dict`, keys as strings, in order.
    Map(Vec<(String, Val)>),
}

impl Val {
    /// The value under `key` of a map.
    pub(crate) fn get(&self, key: &str) -> Option<&Val> {
        match self {
            Val::Map(m) => m.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Python's type name, for messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Val::Null => "None",
            Val::Bool(_) => "bool",
            Val::Int(_) => "int",
            Val::Float(_) => "float",
            Val::Str(_) => "str",
            Val::Other(t) => t,
            Val::List(_) => "list",
            Val::Map(_) => "dict",
        }
    }

    /// From JSON.
    pub(crate) fn from_json(v: &serde_json::Value) -> Val {
        use serde_json::Value as J;
        match v {
            J::Null => Val::Null,
            J::Bool(b) => Val::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Val::Int(i),
                None if n.is_u64() => Val::Other("int"),
                None => Val::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            J::String(s) => Val::Str(s.clone()),
            J::Array(a) => Val::List(a.iter().map(Val::from_json).collect()),
            J::Object(o) => Val::Map(o.iter().map(|(k, v)| (k.clone(), Val::from_json(v))).collect()),
        }
    }
}

/// Python's `str.splitlines()` (after universal-newline reading).
fn splitlines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        match rest.find([
            '\n', '\r', '\x0b', '\x0c', '\x1c', '\x1d', '\x1e', '\u{85}', '\u{2028}', '\u{2029}',
        ]) {
            Some(i) => {
                out.push(&rest[..i]);
                let c = rest[i..].chars().next().unwrap_or('\n');
                let mut next = i + c.len_utf8();
                if c == '\r' && rest[next..].starts_with('\n') {
                    next += 1;
                }
                rest = &rest[next..];
            }
            None => {
                out.push(rest);
                break;
            }
        }
    }
    out
}

/// The front matter of the model card at `path` (a `README.md`): the map
/// it holds, or an empty one (no card, no front matter, not a map).
/// Fails, naming the file, when the YAML does not parse.
pub(crate) fn read(path: &Path) -> Result<Val> {
    if !path.is_file() {
        return Ok(Val::Map(Vec::new()));
    }
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |message: String| Error::Config {
        path: path.to_path_buf(),
        key: "front matter".into(),
        message,
    };
    let text = String::from_utf8(bytes).map_err(|e| bad(format!("not UTF-8: {e}")))?;
    // Python reads text files with universal newlines.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines = splitlines(&text);
    if lines.first() != Some(&"---") {
        return Ok(Val::Map(Vec::new()));
    }
    let mut yaml = String::new();
    for line in &lines[1..] {
        if *line == "---" {
            break;
        }
        if !yaml.is_empty() {
            yaml.push('\n');
        }
        yaml.push_str(line);
    }
    yaml.push('\n');
    // The converter's two fixes: the Norway problem in lists, tabs.
    let yaml = yaml.replace("- no\n", "- \"no\"\n").replace('\t', "  ");
    match parse(&yaml).map_err(bad)? {
        v @ Val::Map(_) => Ok(v),
        _ => Ok(Val::Map(Vec::new())),
    }
}

/// Builds values from the parser's events.
#[derive(Default)]
struct Builder {
    /// Open collections: a list, or a map with its pending key.
    stack: Vec<(Val, Option<String>)>,
    anchors: Vec<(usize, Val)>,
    /// Anchor ids of the open collections.
    open_anchors: Vec<usize>,
    root: Option<Val>,
    error: Option<String>,
}

impl Builder {
    fn add(&mut self, v: Val, anchor: usize) {
        if anchor > 0 {
            self.anchors.push((anchor, v.clone()));
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(v);
                }
            }
            Some((Val::List(items), _)) => items.push(v),
            Some((Val::Map(entries), key)) => match key.take() {
                None => *key = Some(key_string(&v)),
                Some(k) => entries.push((k, v)),
            },
            Some(_) => {}
        }
    }
}

/// A map key as Python would print it (keys of the fields read are strings).
fn key_string(v: &Val) -> String {
    match v {
        Val::Str(s) => s.clone(),
        Val::Int(i) => i.to_string(),
        Val::Float(f) => f.to_string(),
        Val::Bool(b) => if *b { "True" } else { "False" }.into(),
        Val::Null => "None".into(),
        other => other.type_name().into(),
    }
}

impl EventReceiver for Builder {
    fn on_event(&mut self, ev: Event) {
        match ev {
            Event::Scalar(s, style, anchor, tag) => {
                let v = match (&tag, style) {
                    (Some(t), _) if t.suffix == "str" => Val::Str(s),
                    (_, TScalarStyle::Plain) => resolve_plain(&s),
                    _ => Val::Str(s),
                };
                self.add(v, anchor);
            }
            Event::SequenceStart(anchor, _) => {
                self.stack.push((Val::List(Vec::new()), None));
                self.open_anchors.push(anchor);
            }
            Event::MappingStart(anchor, _) => {
                self.stack.push((Val::Map(Vec::new()), None));
                self.open_anchors.push(anchor);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let (Some((v, _)), Some(anchor)) = (self.stack.pop(), self.open_anchors.pop()) {
                    self.add(v, anchor);
                }
            }
            Event::Alias(id) => match self.anchors.iter().rev().find(|(a, _)| *a == id) {
                Some((_, v)) => {
                    let v = v.clone();
                    self.add(v, 0);
                }
                None => self.error = Some(format!("unknown alias {id}")),
            },
            _ => {}
        }
    }
}

/// Parses one YAML document.
pub(crate) fn parse(yaml: &str) -> std::result::Result<Val, String> {
    let mut b = Builder::default();
    Parser::new_from_str(yaml)
        .load(&mut b, false)
        .map_err(|e| format!("YAML: {e}"))?;
    if let Some(e) = b.error {
        return Err(format!("YAML: {e}"));
    }
    Ok(b.root.unwrap_or(Val::Null))
}

fn all_digits(s: &str, ok: impl Fn(u8) -> bool) -> bool {
    !s.is_empty() && s.bytes().all(|b| ok(b) || b == b'_')
}

/// PyYAML's implicit resolvers (YAML 1.1) for a plain scalar.
fn resolve_plain(s: &str) -> Val {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Val::Null,
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => return Val::Bool(true),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => return Val::Bool(false),
        _ => {}
    }
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let int = |digits: &str, radix: u32| -> Val {
        let d: String = digits.chars().filter(|&c| c != '_').collect();
        match i64::from_str_radix(&d, radix) {
            Ok(v) => Val::Int(if neg { -v } else { v }),
            Err(_) if d.is_empty() => Val::Int(0),
            Err(_) => Val::Other("int"),
        }
    };
    // int: 0b…, 0x…, 0… (octal), decimal; sexagesimal is left a string.
    if let Some(d) = body.strip_prefix("0b") {
        if all_digits(d, |b| b == b'0' || b == b'1') {
            return int(d, 2);
        }
    }
    if let Some(d) = body.strip_prefix("0x") {
        if all_digits(d, |b| b.is_ascii_hexdigit()) {
            return int(d, 16);
        }
    }
    if body == "0" {
        return Val::Int(0);
    }
    if let Some(d) = body.strip_prefix('0') {
        if all_digits(d, |b| (b'0'..=b'7').contains(&b)) {
            return int(d, 8);
        }
    }
    if body.starts_with(|c: char| ('1'..='9').contains(&c)) && all_digits(body, |b| b.is_ascii_digit()) {
        return int(body, 10);
    }
    // Sexagesimal int: [1-9][0-9_]*(:[0-5]?[0-9])+ (1:30 is 90).
    if let Some((head, tail)) = body.split_once(':') {
        let head_ok =
            body.starts_with(|c: char| ('1'..='9').contains(&c)) && all_digits(head, |b| b.is_ascii_digit());
        let tail_ok = tail.split(':').all(|p| {
            (1..=2).contains(&p.len())
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p.len() == 1 || p.as_bytes()[0] <= b'5')
        });
        if head_ok && tail_ok {
            let mut v: i64 = 0;
            for p in std::iter::once(head).chain(tail.split(':')) {
                let d: String = p.chars().filter(|&c| c != '_').collect();
                match d
                    .parse::<i64>()
                    .ok()
                    .and_then(|x| v.checked_mul(60)?.checked_add(x))
                {
                    Some(n) => v = n,
                    None => return Val::Other("int"),
                }
            }
            return Val::Int(if neg { -v } else { v });
        }
    }
    // float: [0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?, \.[0-9][0-9_]*(…)?, ±.inf, .nan
    match body {
        ".inf" | ".Inf" | ".INF" => return Val::Float(if neg { f64::NEG_INFINITY } else { f64::INFINITY }),
        ".nan" | ".NaN" | ".NAN" if s == body => return Val::Float(f64::NAN),
        _ => {}
    }
    if is_yaml11_float(body) && !(s != body && body.starts_with('.')) {
        let clean: String = body.chars().filter(|&c| c != '_').collect();
        if let Ok(v) = clean.parse::<f64>() {
            return Val::Float(if neg { -v } else { v });
        }
    }
    if is_timestamp(s) {
        return Val::Other(if s.len() == 10 { "date" } else { "datetime" });
    }
    Val::Str(s.to_string())
}

fn is_yaml11_float(b: &str) -> bool {
    let (mant, exp) = match b.find(['e', 'E']) {
        Some(i) => (&b[..i], Some(&b[i + 1..])),
        None => (b, None),
    };
    if let Some(e) = exp {
        let Some(d) = e.strip_prefix(['-', '+']) else {
            return false;
        };
        if d.is_empty() || !d.bytes().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    let Some((int, frac)) = mant.split_once('.') else {
        return false;
    };
    let frac_ok = frac.bytes().all(|c| c.is_ascii_digit() || c == b'_');
    if int.is_empty() {
        frac.as_bytes().first().is_some_and(u8::is_ascii_digit) && frac_ok
    } else {
        int.as_bytes()[0].is_ascii_digit() && all_digits(int, |c| c.is_ascii_digit()) && frac_ok
    }
}

/// PyYAML's timestamp resolver: `YYYY-MM-DD`, or with a time.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let d = |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    if b.len() == 10 {
        return d(0..4) && b[4] == b'-' && d(5..7) && b[7] == b'-' && d(8..10);
    }
    // Date and time forms: a date with one- or two-digit month and day,
    // then `T`/`t`/spaces and a time (approximated: digits and a colon).
    b.len() > 10
        && d(0..4)
        && b[4] == b'-'
        && s[5..].split_once(['T', 't', ' ']).is_some_and(|(date, time)| {
            let mut p = date.split('-');
            let ok = |x: Option<&str>| {
                x.is_some_and(|x| (1..=2).contains(&x.len()) && x.bytes().all(|c| c.is_ascii_digit()))
            };
            ok(p.next())
                && ok(p.next())
                && p.next().is_none()
                && time
                    .trim_start()
                    .as_bytes()
                    .get(..2)
                    .is_some_and(|x| x[0].is_ascii_digit())
                && time.contains(':')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn str(s: &str) -> Val {
        Val::Str(s.into())
    }

    #[test]
    fn pyyaml_scalars() {
        // As PyYAML 6's safe_load resolves them (checked with PyYAML).
        assert_eq!(resolve_plain("yes"), Val::Bool(true));
        assert_eq!(resolve_plain("Off"), Val::Bool(false));
        assert_eq!(resolve_plain("~"), Val::Null);
        assert_eq!(resolve_plain("42"), Val::Int(42));
        assert_eq!(resolve_plain("1_000"), Val::Int(1000));
        assert_eq!(resolve_plain("010"), Val::Int(8));
        assert_eq!(resolve_plain("0x1f"), Val::Int(31));
        assert_eq!(resolve_plain("1.5"), Val::Float(1.5));
        assert_eq!(resolve_plain("-.5"), str("-.5"));
        assert_eq!(resolve_plain(".5"), Val::Float(0.5));
        assert_eq!(resolve_plain("1.0e+3"), Val::Float(1000.0));
        assert_eq!(resolve_plain("1e3"), str("1e3"));
        assert_eq!(resolve_plain("2024-01-31"), Val::Other("date"));
        assert_eq!(resolve_plain("apache-2.0"), str("apache-2.0"));
        assert_eq!(resolve_plain("en"), str("en"));
        assert_eq!(resolve_plain("08"), str("08"));
        assert_eq!(resolve_plain("-0"), Val::Int(0));
        assert_eq!(resolve_plain("0b101"), Val::Int(5));
        assert_eq!(resolve_plain("1:30"), Val::Int(90));
        assert_eq!(resolve_plain("1."), Val::Float(1.0));
        assert_eq!(resolve_plain("1_0.5_"), Val::Float(10.5));
        assert_eq!(resolve_plain("-.inf"), Val::Float(f64::NEG_INFINITY));
        assert_eq!(resolve_plain("NULL"), Val::Null);
        assert_eq!(resolve_plain("y"), str("y"));
        assert_eq!(resolve_plain("cc-by-4.0"), str("cc-by-4.0"));
        assert_eq!(resolve_plain("2024-1-5 10:00:00"), Val::Other("datetime"));
        assert_eq!(resolve_plain("2024-01-31T10:00:00Z"), Val::Other("datetime"));
    }

    #[test]
    fn front_matter() {
        let v =
            parse("license: mit\nlanguage:\n- en\n- \"no\"\n- yes\ntags: [a, 'on']\nbase_model: x/y\nn: 3\n")
                .unwrap();
        assert_eq!(v.get("license"), Some(&str("mit")));
        assert_eq!(
            v.get("language"),
            Some(&Val::List(vec![str("en"), str("no"), Val::Bool(true)]))
        );
        assert_eq!(v.get("tags"), Some(&Val::List(vec![str("a"), str("on")])));
        assert_eq!(v.get("n"), Some(&Val::Int(3)));
        assert!(parse("a: [b\n").is_err());
        assert_eq!(splitlines("a\r\nb\x0cc\n"), ["a", "b", "c"]);
    }
}
