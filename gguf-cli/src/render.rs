//! Text rendering of reports: a summary block and comfy-table tables.

use crate::human::{bytes, count, short_value, thousands};
use crate::inspect::Report;
use comfy_table::{presets, CellAlignment, ContentArrangement, Table, TableComponent};
use std::fmt::Write as _;

/// How much of the metadata to show.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// Show every string and array in full.
    pub full: bool,
    /// Leave out the metadata table.
    pub no_metadata: bool,
    /// Leave out the tensor table (the type histogram stays).
    pub no_tensors: bool,
    /// At most this many elements of an array in the metadata table
    /// (default 5; all with `full`).
    pub max_array: Option<usize>,
}

/// A borderless table with one rule under the header.
pub(crate) fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    // No borders, no lines between rows: one rule under the header.
    t.load_preset(presets::NOTHING)
        .set_style(TableComponent::HeaderLines, '─')
        .set_style(TableComponent::MiddleHeaderIntersections, '─')
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.iter().copied());
    t
}

/// A table as text, without the trailing blanks comfy-table pads cells with.
pub(crate) fn trimmed(t: &Table) -> String {
    t.lines()
        .map(|l| l.trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Right-aligns the given columns (numbers).
pub(crate) fn right_align(t: &mut Table, columns: &[usize]) {
    for &c in columns {
        if let Some(col) = t.column_mut(c) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
}

fn shape(dims: &[u64]) -> String {
    let d: Vec<String> = dims.iter().map(u64::to_string).collect();
    format!("[{}]", d.join(", "))
}

/// The whole human-readable report for one file.
pub fn text(r: &Report<'_>, o: TextOptions) -> String {
    let mut s = String::new();
    let w = &mut s;
    let _ = writeln!(w, "{}", r.path);
    let _ = writeln!(
        w,
        "  size         {} bytes ({})",
        thousands(r.file_size),
        bytes(r.file_size)
    );
    if let [first, .., last] = r.shards.as_slice() {
        let _ = writeln!(
            w,
            "  shards       {} files, {} … {}",
            r.shards.len(),
            first.path,
            last.path
        );
    }
    let order = if r.byte_order == "big" {
        "big-endian"
    } else {
        "little-endian"
    };
    let _ = writeln!(
        w,
        "  format       GGUF v{}, {order}, alignment {}, data at byte {}",
        r.version,
        r.alignment,
        thousands(r.data_offset)
    );
    let _ = writeln!(
        w,
        "  model        {} (architecture {})",
        r.name.unwrap_or("(no general.name)"),
        r.architecture.unwrap_or("unknown")
    );
    if let Some(ft) = &r.file_type {
        let _ = writeln!(w, "  file type    {} ({})", ft.name, ft.id);
    }
    let _ = writeln!(
        w,
        "  parameters   {} ({})",
        count(r.parameters),
        thousands(r.parameters)
    );
    let bpw = r.bits_per_weight.map_or("-".to_string(), |b| format!("{b:.2}"));
    let _ = writeln!(
        w,
        "  tensors      {}, {} of data, {bpw} bits per weight",
        r.tensor_count,
        bytes(r.tensor_bytes)
    );
    let _ = writeln!(w, "  metadata     {} keys", r.key_count);
    for warning in &r.warnings {
        let _ = writeln!(w, "  warning      {warning}");
    }

    if !o.no_metadata {
        let (max_chars, max_items) = if o.full { (usize::MAX, usize::MAX) } else { (60, 5) };
        let max_items = o.max_array.unwrap_or(max_items);
        let mut t = table(&["key", "type", "value"]);
        for m in &r.metadata {
            let ty = match m.value.as_array() {
                Some(a) => format!("{} ×{}", m.value.type_name(), thousands(a.len())),
                None => m.value.type_name(),
            };
            t.add_row(vec![
                m.key.to_string(),
                ty,
                short_value(&m.value, max_chars, max_items),
            ]);
        }
        let _ = writeln!(w, "\nMetadata\n{}", trimmed(&t));
    }

    let listed = match &r.tensor_filter {
        Some(p) => format!(
            "{} of {} tensors match {p:?} (glob: * any run, ? one character)",
            r.tensors.len(),
            r.tensor_count
        ),
        None => format!("{} tensors", r.tensor_count),
    };
    if !o.no_tensors {
        let split = !r.shards.is_empty();
        let mut header = vec!["tensor", "type", "shape", "offset", "bytes"];
        if split {
            header.push("shard");
        }
        let mut t = table(&header);
        for e in &r.tensors {
            let size = match e.bytes {
                Some(b) if e.in_file => thousands(b),
                Some(b) => format!("{} (cut off)", thousands(b)),
                None => "?".to_string(),
            };
            let mut row = vec![
                e.name.clone(),
                e.ty.clone(),
                shape(&e.shape),
                thousands(e.offset),
                size,
            ];
            if let Some(i) = e.shard {
                row.push((i + 1).to_string());
            }
            t.add_row(row);
        }
        right_align(&mut t, if split { &[3, 4, 5] } else { &[3, 4] });
        let _ = writeln!(w, "\nTensors: {listed}\n{}", trimmed(&t));
    }

    let mut t = table(&["type", "tensors", "parameters", "bytes", "share"]);
    for e in &r.types {
        t.add_row(vec![
            e.ty.clone(),
            e.tensors.to_string(),
            count(e.parameters),
            bytes(e.bytes),
            format!("{:.1}%", e.share * 100.0),
        ]);
    }
    right_align(&mut t, &[1, 2, 3, 4]);
    let heading = if o.no_tensors {
        format!("Types: {listed}")
    } else {
        "Types".to_string()
    };
    let _ = writeln!(w, "\n{heading}\n{}", trimmed(&t));

    if let Some(m) = &r.memory {
        memory_block(w, m);
    }
    s
}

/// "Memory at a context of N tokens": weights, each KV cache, compute
/// (an estimate), output and total, then the keys used and the notes.
pub fn memory_block(w: &mut String, m: &crate::inspect::MemoryEstimate) {
    let context = if m.context == 0 {
        "the model's context".to_string()
    } else {
        format!("a context of {} tokens", thousands(m.context))
    };
    let seqs = if m.n_seq == 1 {
        "1 sequence".to_string()
    } else {
        format!(
            "{} sequences{}",
            m.n_seq,
            if m.kv_unified { ", unified cache" } else { "" }
        )
    };
    let _ = writeln!(w, "\nMemory at {context}, as llama.cpp allocates it on the CPU");
    let _ = writeln!(
        w,
        "  options      {} K / {} V cache, {seqs}, batch {}, micro-batch {}",
        m.cache_type_k, m.cache_type_v, m.n_batch, m.n_ubatch
    );
    let unknown = |why: Option<&gguf_llama::memory::Unknown>, missing: &[String]| -> String {
        match why {
            Some(gguf_llama::memory::Unknown::MissingKeys) | None if !missing.is_empty() => {
                format!("unknown: missing {}", missing.join(", "))
            }
            Some(why) => why.to_string(),
            None => "unknown".to_string(),
        }
    };
    let _ = writeln!(w, "  weights      {}", bytes(m.weights_bytes));
    match m.kv_cache_bytes {
        Some(kv) => {
            let cells = m
                .n_ctx
                .map_or(String::new(), |n| format!(" (n_ctx {})", thousands(n)));
            let _ = writeln!(w, "  KV cache     {}{cells}", bytes(kv));
            for c in &m.caches {
                let kind = match c.window {
                    Some(win) => format!("window {}", thousands(win)),
                    None => "full".to_string(),
                };
                let streams = if c.streams > 1 {
                    format!(" × {} streams", c.streams)
                } else {
                    String::new()
                };
                let _ = writeln!(
                    w,
                    "    {kind:<12}{} cells{streams} × {} layers = {} (K {}, V {})",
                    thousands(c.cells),
                    c.layers,
                    bytes(c.bytes),
                    bytes(c.k_bytes),
                    bytes(c.v_bytes)
                );
            }
        }
        None => {
            let _ = writeln!(w, "  KV cache     {}", unknown(m.kv_unknown.as_ref(), &m.missing));
        }
    }
    match m.compute_bytes {
        Some(c) => {
            let _ = writeln!(w, "  compute      {} (estimate)", bytes(c));
        }
        None => {
            let _ = writeln!(
                w,
                "  compute      {}",
                unknown(m.compute_unknown.as_ref(), &m.missing)
            );
        }
    }
    if let Some(o) = m.output_bytes {
        let _ = writeln!(w, "  output       {}", bytes(o));
    }
    if let Some(total) = m.total_bytes {
        let _ = writeln!(w, "  total        {}", bytes(total));
    }
    for (k, v) in &m.keys_used {
        let _ = writeln!(w, "  used         {k} = {v}");
    }
    for n in &m.notes {
        let _ = writeln!(w, "  note         {n}");
    }
}
