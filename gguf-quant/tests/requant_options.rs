//! `requant::Options` applies llama-quantize's option rules itself, so a
//! library caller gets what `gguf requant` (and llama-quantize) would do:
//! `--tensor-type` patterns lowercased, pruned layers sorted and
//! de-duplicated, include/exclude exclusive, and one "needs an importance
//! matrix" rule for every target that has one.

use gguf_format::{GgmlType, ModelFiles};
use gguf_quant::requant::{self, parse_target, Imatrix, OptionError, Options, RequantError};
use gguf_testdata::golden;

fn tiny() -> ModelFiles {
    ModelFiles::open(golden::path("tiny-f32.gguf")).unwrap()
}

fn types_of(plan: &requant::Plan<'_>) -> Vec<(String, GgmlType)> {
    plan.tensors
        .iter()
        .map(|t| (t.name.clone(), t.choice.ty))
        .collect()
}

#[test]
fn tensor_type_patterns_are_lowercased_and_the_first_match_wins() {
    let files = tiny();
    let m = files.parse().unwrap();
    let mut o = Options::new(parse_target("Q4_K_M").unwrap());
    o.tensor_type("BLK\\.1\\.ATTN_Q=q8_0")
        .unwrap()
        .tensor_type("attn_q=q5_0")
        .unwrap();
    let plan = requant::plan(&m, &o, false).unwrap();
    let t = types_of(&plan);
    assert!(
        t.contains(&("blk.1.attn_q.weight".into(), GgmlType::Q8_0)),
        "{t:?}"
    );
    assert!(
        t.contains(&("blk.0.attn_q.weight".into(), GgmlType::Q5_0)),
        "{t:?}"
    );
    for bad in ["attn_q", "=q8_0", "attn_q=", "attn_q=q9_9", "(=q8_0"] {
        assert!(
            matches!(o.tensor_type(bad), Err(RequantError::Option(_))),
            "{bad}"
        );
    }
}

#[test]
fn pruned_layers_are_sorted_and_deduplicated() {
    let files = tiny();
    let m = files.parse().unwrap();
    let target = parse_target("Q8_0").unwrap();
    let mut a = Options::new(target);
    a.prune_layers([0, 0]);
    let mut b = Options::new(target);
    b.prune_layers([0]);
    let (pa, pb) = (
        requant::plan(&m, &a, false).unwrap(),
        requant::plan(&m, &b, false).unwrap(),
    );
    assert_eq!(types_of(&pa), types_of(&pb));
    assert!(
        pa.tensors.iter().all(|t| !t.name.starts_with("blk.1.")),
        "blk.1 became blk.0"
    );
    let block_count = pa.outputs[0]
        .builder
        .metadata()
        .iter()
        .find(|(k, _)| k == "llama.block_count")
        .map(|(_, v)| v.as_u32());
    assert_eq!(block_count, Some(Some(1)));
}

#[test]
fn include_and_exclude_weights_exclude_each_other() {
    let m = Imatrix::load(golden::path("tiny.imatrix.gguf").to_str().unwrap()).unwrap();
    let n = m.entries.len();
    let mut o = Options::new(parse_target("Q4_K_M").unwrap());
    let e = o
        .imatrix("i.gguf", m.clone(), &["attn".into()], &["ffn".into()])
        .unwrap_err();
    assert!(
        matches!(e, RequantError::Option(OptionError::IncludeAndExclude)),
        "{e}"
    );
    o.imatrix("i.gguf", m, &[], &["ffn".into()]).unwrap();
    let (path, kept) = o.imatrix_in_use().unwrap();
    assert_eq!(path, "i.gguf");
    assert!(kept.entries.keys().all(|k| !k.contains("ffn")) && kept.entries.len() < n);
}

/// Every target llama-quantize refuses without an importance matrix is
/// refused by the plan, naming the first tensor; a dry run only warns.
#[test]
fn one_imatrix_rule_for_every_target_that_needs_one() {
    let files = tiny();
    let m = files.parse().unwrap();
    for name in ["IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ2_M", "IQ1_S", "IQ1_M", "Q2_K_S"] {
        let o = Options::new(parse_target(name).unwrap());
        match requant::plan(&m, &o, false) {
            Err(RequantError::ImatrixRequired { target, tensor, .. }) => {
                assert_eq!(target, name);
                assert!(tensor.starts_with("blk."), "{name}: {tensor}");
            }
            other => panic!("{name}: {:?}", other.map(|p| p.tensors.len())),
        }
        let dry = requant::plan(&m, &o, true).unwrap();
        assert!(dry.tensors.iter().any(|t| t.choice.requires_imatrix), "{name}");
        assert!(
            dry.warnings
                .iter()
                .any(|w| w.contains("requires an importance matrix")),
            "{name}"
        );
    }
    for name in ["Q2_K", "Q4_K_M", "IQ4_XS", "Q8_0"] {
        let o = Options::new(parse_target(name).unwrap());
        let plan = requant::plan(&m, &o, false).unwrap();
        assert!(plan.tensors.iter().all(|t| !t.choice.requires_imatrix), "{name}");
    }
}

#[test]
fn override_kv_values_are_checked() {
    let mut o = Options::new(parse_target("Q8_0").unwrap());
    o.override_kv("general.name=str:renamed").unwrap();
    for bad in ["x=int:1.5", "x=bool:yes", "x", "=int:1", "x=blob:1"] {
        assert!(
            matches!(o.override_kv(bad), Err(RequantError::Option(_))),
            "{bad}"
        );
    }
}
