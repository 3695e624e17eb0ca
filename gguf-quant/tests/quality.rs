//! `requant::quality` predicts what `gguf diff SOURCE QUANTIZED` says of the
//! file requantization writes: exactly (to 4 significant digits) when every
//! row is encoded, and within 5 % with the default sample, for every file
//! type the golden inputs can be made into.

use gguf_format::{Gguf, Model, ModelFiles, Shard};
use gguf_quant::compare;
use gguf_quant::requant::quality::{self, QualityOptions};
use gguf_quant::requant::{self, parse_target, Imatrix, Options, TARGETS};
use gguf_testdata::golden;

/// The relative RMSE and cosine `compare` gives for the file `opts` writes.
fn written(m: &Model<'_>, opts: &Options) -> (f64, f64) {
    let plan = requant::plan(m, opts, false).unwrap();
    let bytes: Vec<u8> = requant::execute(m, &plan, opts, 0, Vec::new(), &mut |_| {}).unwrap();
    let out = Model::single(Shard::new("out", Gguf::parse(&bytes).unwrap()));
    let r = compare::compare(m, &out, &compare::Options::default());
    assert!(
        r.skipped.is_empty(),
        "{:?}",
        r.skipped.iter().map(|s| &s.reason).collect::<Vec<_>>()
    );
    (r.summary.relative_rmse, r.summary.cosine)
}

/// Every target (aliases aside, and restricted to `only` when given) that
/// can be made from `input` with `base`'s options, predicted with each
/// sample share and checked against the written file within its tolerance.
fn check(input: &str, base: &Options, only: Option<&[&str]>, samples: &[(f64, f64)]) -> usize {
    let files = ModelFiles::open(golden::path(input)).unwrap();
    let m = files.parse().unwrap();
    let opts: Vec<Options> = TARGETS
        .iter()
        .filter(|t| !t.description.starts_with("alias"))
        .filter(|t| only.is_none_or(|o| o.contains(&t.name)))
        .map(|t| base.with_target(t))
        .collect();
    let plans: Vec<requant::Plan<'_>> = opts.iter().map(|o| requant::plan(&m, o, true).unwrap()).collect();
    let refs: Vec<&requant::Plan<'_>> = plans.iter().collect();
    let predictions: Vec<_> = samples
        .iter()
        .map(|&(sample, _)| {
            let q = QualityOptions {
                sample,
                ..Default::default()
            };
            quality::estimate(&m, &refs, &q, &mut |_| {}).unwrap()
        })
        .collect();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (i, (o, p)) in opts.iter().zip(&plans).enumerate() {
        let name = o.target().name;
        if predictions[0][i].is_none() {
            assert!(
                !quality::is_feasible(p),
                "{input} {name}: no figure for a feasible plan"
            );
            continue;
        }
        let (rel, cos) = written(&m, o);
        for (&(sample, tolerance), q) in samples.iter().zip(&predictions) {
            let q = q[i].as_ref().unwrap();
            let err = (q.overall.relative_rmse - rel).abs() / rel.max(f64::MIN_POSITIVE);
            if err > tolerance || (rel == 0.0) != (q.overall.relative_rmse == 0.0) {
                failures.push(format!(
                    "{name}, sample {sample}: predicted relative RMSE {:.6e}, written file {rel:.6e} ({:.3} % off)",
                    q.overall.relative_rmse,
                    err * 100.0
                ));
            }
            // 1 − cosine is what varies; compare that.
            let (pc, wc) = (1.0 - q.overall.cosine, 1.0 - cos);
            if (pc - wc).abs() > tolerance * 2.0 * wc.max(1e-12) + 1e-12 {
                failures.push(format!(
                    "{name}, sample {sample}: predicted 1 − cosine {pc:.6e}, written file {wc:.6e}"
                ));
            }
            if sample >= 1.0 {
                assert_eq!(q.overall.sampled_fraction, 1.0, "{name}");
            }
            let share: f64 = q.classes.iter().map(|c| c.error_share).sum();
            assert!(
                rel == 0.0 || (share - 1.0).abs() < 1e-9,
                "{name}: class shares sum to {share}"
            );
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{input}:\n{}", failures.join("\n"));
    checked
}

/// Every row: the written file's figures to 4 significant digits; the
/// default sample: within 5 %.
const EXACT_AND_DEFAULT: &[(f64, f64)] = &[(1.0, 1e-4), (quality::DEFAULT_SAMPLE, 0.05)];

#[test]
fn predictions_match_the_written_files_figures() {
    let base = Options::new(parse_target("Q8_0").unwrap());
    let n = check("tiny-f32.gguf", &base, None, EXACT_AND_DEFAULT);
    assert!(n >= 25, "only {n} file types checked");
}

#[test]
fn predictions_hold_where_k_quants_fall_back() {
    // 640-wide rows: the K-quant choices fall back to legacy types.
    let base = Options::new(parse_target("Q8_0").unwrap());
    let some = [
        "Q4_K_M", "Q2_K", "Q3_K_M", "Q5_K_S", "Q6_K", "Q4_0", "IQ4_XS", "BF16",
    ];
    assert_eq!(
        check("odd-f16.gguf", &base, Some(&some), EXACT_AND_DEFAULT),
        some.len()
    );
}

#[test]
fn with_an_imatrix_every_file_type_has_a_figure() {
    let mut base = Options::new(parse_target("Q8_0").unwrap());
    let m = Imatrix::load(golden::path("tiny.imatrix.gguf").to_str().unwrap()).unwrap();
    base.imatrix("tiny.imatrix.gguf", m, &[], &[]).unwrap();
    let n = check("tiny-f32.gguf", &base, None, &[(1.0, 1e-4)]);
    let all = TARGETS
        .iter()
        .filter(|t| !t.description.starts_with("alias"))
        .count();
    assert_eq!(n, all, "every target, the IQ1/IQ2 mixes included");
}

#[test]
fn non_finite_weights_are_named_with_their_row() {
    let bytes = golden::read("tiny-f32.gguf");
    let g = Gguf::parse(&bytes).unwrap();
    let t = g.tensor("blk.1.ffn_up.weight").unwrap();
    let at = g.tensor_range(t).unwrap().start as usize + 4 * (256 * 7 + 3);
    let mut bad = bytes.clone();
    bad[at..at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    let m = Model::single(Shard::new("bad", Gguf::parse(&bad).unwrap()));
    let o = Options::new(parse_target("Q4_K_M").unwrap());
    let plan = requant::plan(&m, &o, true).unwrap();
    let e = quality::estimate(&m, &[&plan], &QualityOptions::default(), &mut |_| {}).unwrap_err();
    assert_eq!(
        e.to_string(),
        "tensor blk.1.ffn_up.weight has a non-finite value (NaN) in row 7, column 3"
    );
    let e = quality::estimate(
        &m,
        &[&plan],
        &QualityOptions {
            sample: 0.0,
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap_err();
    assert!(e.to_string().contains("(0, 1]"), "{e}");
}
