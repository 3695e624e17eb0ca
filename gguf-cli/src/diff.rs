//! `gguf diff A B` as text: the report of `gguf_quant::compare` rendered
//! as metadata and tensor-list differences and a worst-first table.

use gguf_quant::compare::DiffReport;

/// The report as text; `top` limits the per-tensor table.
pub fn text(r: &DiffReport, top: Option<usize>) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "--- {}\n+++ {}", r.a, r.b);
    let metadata_same =
        r.keys_only_in_a.is_empty() && r.keys_only_in_b.is_empty() && r.keys_changed.is_empty();
    if metadata_same {
        let _ = writeln!(s, "\nMetadata: identical");
    } else {
        let _ = writeln!(s, "\nMetadata");
        for k in &r.keys_only_in_a {
            let _ = writeln!(s, "  - {k}");
        }
        for k in &r.keys_only_in_b {
            let _ = writeln!(s, "  + {k}");
        }
        for c in &r.keys_changed {
            let _ = writeln!(s, "  ~ {}: {} → {}", c.key, c.a, c.b);
            if let Some((x, y)) = c.lengths {
                let _ = writeln!(s, "      length {x} → {y}");
            }
            if let Some(i) = c.first_difference {
                let _ = writeln!(s, "      first difference at index {i}");
            }
        }
    }
    let lists_same =
        r.tensors_only_in_a.is_empty() && r.tensors_only_in_b.is_empty() && r.tensors_changed.is_empty();
    if lists_same {
        let _ = writeln!(s, "\nTensors: same names, types and shapes");
    } else {
        let _ = writeln!(s, "\nTensors");
        for n in &r.tensors_only_in_a {
            let _ = writeln!(s, "  - {n}");
        }
        for n in &r.tensors_only_in_b {
            let _ = writeln!(s, "  + {n}");
        }
        for c in &r.tensors_changed {
            let _ = writeln!(
                s,
                "  ~ {}: {} {:?} → {} {:?}",
                c.name, c.a_type, c.a_shape, c.b_type, c.b_shape
            );
        }
    }
    for k in &r.skipped {
        let _ = writeln!(s, "  ! {}: not compared: {}", k.name, k.reason);
    }
    if r.tensors.is_empty() {
        return s;
    }
    let shown = top.unwrap_or(usize::MAX).min(r.tensors.len());
    let mut t = crate::render::table(&["tensor", "A", "B", "rel. RMSE", "RMSE", "max |err|", "cosine", ""]);
    crate::render::wrap_only(&mut t, &[0]);
    for x in &r.tensors[..shown] {
        let verdict = if x.identical {
            "identical"
        } else if x.equal {
            "within tolerance"
        } else {
            "differs"
        };
        t.add_row(vec![
            x.name.clone(),
            x.a_type.clone(),
            x.b_type.clone(),
            format!("{:.4e}", x.relative_rmse),
            format!("{:.4e}", x.rmse),
            format!("{:.4e}", x.max_abs_error),
            format!("{:.6}", x.cosine),
            verdict.to_string(),
        ]);
    }
    crate::render::right_align(&mut t, &[3, 4, 5, 6]);
    let heading = if shown < r.tensors.len() {
        format!("Numbers (worst {shown} of {} tensors)", r.tensors.len())
    } else {
        "Numbers (worst first)".to_string()
    };
    let _ = writeln!(s, "\n{heading}\n{}", crate::render::trimmed(&t));
    let m = &r.summary;
    if let Some(h) = &m.headline {
        let (score, verdict) = crate::requant::headline(Some(h));
        let _ = write!(
            s,
            "\nscore {score} ({verdict}): the RMS over {} weight matrices of each one's relative RMSE",
            h.matrices
        );
    }
    let _ = writeln!(
        s,
        "\n{} tensors compared ({} elements): {} identical, {} differ{}; overall relative RMSE {:.4e}, cosine {:.6}{}",
        m.compared,
        crate::human::count(m.elements),
        m.identical,
        m.different,
        r.tolerance.map_or(String::new(), |t| format!(" beyond tolerance {t}")),
        m.relative_rmse,
        m.cosine,
        m.worst.as_ref().map_or(String::new(), |w| format!("; worst {w}"))
    );
    s
}
