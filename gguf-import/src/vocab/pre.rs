//! `tokenizer.ggml.pre` by the converter's chkhsh: the sha256 of Python's
//! `str()` of the ids `AutoTokenizer` gives for chktxt, looked up in the
//! table of `get_vocab_base_pre` (`data/chkhsh.tsv`, a later row winning).

use sha2::{Digest, Sha256};

/// The converter's table, copied verbatim (see `data/README.md`).
const TABLE: &str = include_str!("../../data/chkhsh.tsv");

/// The text the converter encodes (no trailing newline).
pub(crate) const CHKTXT: &str = include_str!("../../data/chktxt.txt");

/// The hash of `ids` as the converter computes it: `sha256(str(ids))`.
pub(crate) fn chkhsh(ids: &[u32]) -> String {
    let list: Vec<String> = ids.iter().map(u32::to_string).collect();
    let digest = Sha256::digest(format!("[{}]", list.join(", ")).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The pre-tokenizer name of `hash`, the last row with it winning.
pub(crate) fn lookup(hash: &str) -> Option<&'static str> {
    TABLE
        .lines()
        .rev()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .filter(|(h, _)| *h == hash)
        .map(|(_, name)| name.trim_end())
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_97_rows_and_later_rows_win() {
        let rows = TABLE
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("chkhsh\t"))
            .count();
        assert_eq!(rows, 97);
        assert!(!CHKTXT.ends_with('\n'));
        assert_eq!(chkhsh(&[1, 2]), {
            let d = Sha256::digest(b"[1, 2]");
            d.iter().map(|b| format!("{b:02x}")).collect::<String>()
        });
    }
}
