//! Text output fits the terminal: with `COLUMNS=80` no line of inspect,
//! requant --dry-run or diff is wider than 80 characters, and nothing is
//! lost (wrapped, not cut). Without `COLUMNS` and with standard output not
//! a terminal, nothing is wrapped (the other tests' snapshots).

mod common;

use common::*;
use std::process::{Command, Output};

/// Runs `gguf ARGS` in `dir` with `COLUMNS=columns`.
fn gguf_columns(dir: &std::path::Path, columns: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gguf"))
        .env("COLUMNS", columns)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run gguf")
}

fn assert_fits(out: &str, width: usize, what: &str) {
    for l in out.lines() {
        assert!(
            l.chars().count() <= width,
            "{what}: a line of {} characters:\n{l}\n\n{out}",
            l.chars().count()
        );
    }
}

/// The visible characters of a text, sorted, rules left out: fitting moves
/// them (wrapped lines, wrapped table cells), never drops or adds one.
fn chars(s: &str) -> Vec<char> {
    let mut v: Vec<char> = s.chars().filter(|c| !c.is_whitespace() && *c != '─').collect();
    v.sort_unstable();
    v
}

#[test]
fn output_fits_80_columns() {
    let g = golden_dir();
    let td = workspace().join("testdata");
    let cases: Vec<(&std::path::Path, Vec<&str>)> = vec![
        (&td, vec!["inspect", "tiny-llama-f16.gguf", "--ctx", "4096"]),
        (&td, vec!["inspect", "all-value-types.gguf", "--full"]),
        (&g, vec!["inspect", "odd-f16.gguf", "tiny-Q4_K_M.gguf"]),
        (&g, vec!["inspect", "odd.imatrix.gguf"]),
        (&g, vec!["requant", "--dry-run", "--to", "q4_k_m", "odd-f16.gguf"]),
        (
            &g,
            vec!["requant", "--dry-run", "--to", "q8_0", "tiny-Q4_K_M.gguf"],
        ),
        (
            &g,
            vec![
                "requant",
                "--dry-run",
                "--to",
                "all",
                "--ctx",
                "4096",
                "tiny-f32.gguf",
            ],
        ),
        (
            &g,
            vec![
                "requant",
                "--dry-run",
                "--to",
                "all",
                "--quality",
                "-v",
                "--ctx",
                "4096",
                "tiny-f32.gguf",
            ],
        ),
        (
            &g,
            vec![
                "requant",
                "--dry-run",
                "--to",
                "q4_k_m",
                "--quality",
                "-v",
                "tiny-f32.gguf",
            ],
        ),
        (&g, vec!["diff", "tiny-f32.gguf", "tiny-Q4_K_M.gguf"]),
    ];
    for (dir, args) in cases {
        let o = gguf_columns(dir, "80", &args);
        assert!(o.status.code().is_some_and(|c| c < 2), "{args:?}: {}", stderr(&o));
        let out = stdout(&o);
        assert_fits(&out, 80, &format!("{args:?}"));
        // Without a width: the same words, in lines as long as they come.
        let wide = gguf_in(dir, &args);
        let wide_out = stdout(&wide);
        assert!(
            wide_out.lines().any(|l| l.chars().count() > 80),
            "{args:?}: a case that needs no fitting proves nothing"
        );
        // (--to all moves its notes under the table, -v splits its class
        // table, an imatrix's statistics become two tables: checked below.)
        if !args.contains(&"all") && !args.contains(&"-v") && !args.contains(&"odd.imatrix.gguf") {
            assert!(
                chars(&out) == chars(&wide_out),
                "{args:?}: characters lost or added by fitting:\n{out}"
            );
        }
    }
}

#[test]
fn narrow_quality_table_keeps_numbers_whole_and_moves_notes_below() {
    let g = golden_dir();
    let o = gguf_columns(
        &g,
        "80",
        &[
            "requant",
            "--dry-run",
            "--to",
            "all",
            "--quality",
            "--ctx",
            "4096",
            "tiny-f32.gguf",
        ],
    );
    let out = stdout(&o);
    assert_fits(&out, 80, "--to all --quality --ctx");
    let q1 = out.lines().find(|l| l.starts_with("Q1_0 ")).expect("a Q1_0 row");
    // Every figure of the row on its one line (sizes and the score are two words each).
    assert_eq!(q1.split_whitespace().count(), 12, "{q1}");
    let note = out.find("note: IQ1_S, IQ1_M").expect("the notes under the table");
    assert!(out[note..].contains("needs --imatrix"), "{out}");
    // The metadata table wraps values, never keys.
    let o = gguf_columns(
        &workspace().join("testdata"),
        "80",
        &["inspect", "tiny-llama-f16.gguf"],
    );
    let out = stdout(&o);
    assert!(
        out.lines()
            .any(|l| l.starts_with("llama.attention.layer_norm_rms_epsilon ")),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.trim_start().starts_with("\"<0x01>\"")),
        "{out}"
    );
}

#[test]
fn columns_is_honoured_and_long_notes_wrap_under_their_label() {
    let g = golden_dir();
    let o = gguf_columns(
        &g,
        "60",
        &[
            "requant",
            "--dry-run",
            "--to",
            "all",
            "--quality",
            "tiny-f32.gguf",
        ],
    );
    let out = stdout(&o);
    // (The table itself cannot shrink below its numbers: 67 characters.)
    let prose: String = out
        .lines()
        .take_while(|l| !l.starts_with("target"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_fits(&prose, 60, "COLUMNS=60");
    // The score note: a `score: ` label, its continuation lines indented under the text.
    let i = out
        .lines()
        .position(|l| l.starts_with("score: "))
        .expect("score note");
    let next = out.lines().nth(i + 1).unwrap();
    assert!(
        next.starts_with("       ") && !next.starts_with("        "),
        "{out}"
    );
    // COLUMNS that is not a number is ignored: not a terminal, so no wrapping.
    let o = gguf_columns(
        &g,
        "wide",
        &[
            "requant",
            "--dry-run",
            "--to",
            "all",
            "--quality",
            "tiny-f32.gguf",
        ],
    );
    assert!(stdout(&o).lines().any(|l| l.chars().count() > 200));
}
