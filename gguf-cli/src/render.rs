//! Text rendering of reports: a summary block and comfy-table tables.

use crate::human::{bytes, count, short_value, thousands};
use crate::inspect::Report;
use comfy_table::{presets, CellAlignment, ColumnConstraint, ContentArrangement, Table, TableComponent};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// The width text output is fitted to; 0: no limit.
static WIDTH: AtomicUsize = AtomicUsize::new(0);

/// The narrowest width output is fitted to: below it tables cannot shrink.
pub const MIN_WIDTH: usize = 40;

/// The width text output should fit: `COLUMNS` when it is set to a number,
/// else the terminal's when standard output is a terminal, else `None`:
/// output to a file or a pipe is not wrapped, so it is the same wherever
/// it is made.
pub fn detect_width() -> Option<usize> {
    use std::io::IsTerminal;
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
    {
        if n > 0 {
            return Some(n);
        }
    }
    if std::io::stdout().is_terminal() {
        // comfy-table asks the terminal (crossterm) when standard output is one.
        return Table::new().width().map(usize::from);
    }
    None
}

/// Sets the width the tables and the long lines of the text reports are
/// fitted to ([`fit`]); `None` (the default) for no limit. At least
/// [`MIN_WIDTH`].
pub fn set_width(width: Option<usize>) {
    WIDTH.store(width.map_or(0, |w| w.max(MIN_WIDTH)), Ordering::Relaxed);
}

/// The width set by [`set_width`], if any.
pub fn width() -> Option<usize> {
    match WIDTH.load(Ordering::Relaxed) {
        0 => None,
        w => Some(w),
    }
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

/// When the table must be narrowed to fit [`width`], only these columns
/// (long text: names, values, notes) are wrapped; the others keep their
/// width. Without this call every column may be wrapped.
pub(crate) fn wrap_only(t: &mut Table, columns: &[usize]) {
    for c in t.column_iter_mut() {
        if !columns.contains(&c.index) {
            c.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
}

/// `text` with every line longer than [`width`] wrapped at spaces (lines
/// that fit, and all lines when no width is set, are kept as they are).
/// A continuation line is indented under the line's text: after a label
/// column (`  note         …`), after a `note: ` or `warning: ` prefix, or
/// as the line itself is.
pub fn fit(text: &str) -> String {
    let Some(width) = width() else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        if body.chars().count() <= width {
            out.push_str(line);
            continue;
        }
        let body = body.trim_end();
        let indent = hanging_indent(body).min(width / 2);
        let chars: Vec<char> = body.chars().collect();
        let mut start = 0;
        let mut first = true;
        loop {
            let avail = if first { width } else { width - indent };
            if !first {
                out.extend(std::iter::repeat_n(' ', indent));
            }
            if chars.len() - start <= avail {
                out.extend(&chars[start..]);
                break;
            }
            // The last space that fits, past the label; else the first after (a long word).
            let past = if first { indent.max(1) } else { start + 1 };
            let limit = start + avail;
            let brk = (past..=limit)
                .rev()
                .find(|&i| chars[i] == ' ' && chars[i - 1] != ' ')
                .or_else(|| (limit..chars.len()).find(|&i| chars[i] == ' ' && chars[i - 1] != ' '));
            let Some(brk) = brk else {
                out.extend(&chars[start..]);
                break;
            };
            out.extend(&chars[start..brk]);
            out.push('\n');
            start = brk;
            while start < chars.len() && chars[start] == ' ' {
                start += 1;
            }
            first = false;
            if start == chars.len() {
                break;
            }
        }
        out.push_str(nl);
    }
    out
}

/// Where a wrapped line's continuation starts: after a label column (a
/// word or two, then two or more spaces, within the first 20 characters),
/// after a short `word: ` prefix, else at the line's own indentation.
fn hanging_indent(line: &str) -> usize {
    let lead = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[lead..];
    if let Some(gap) = rest.find("  ") {
        let after = rest[gap..].len() - rest[gap..].trim_start_matches(' ').len();
        let col = rest[..gap].chars().count() + lead + after;
        if col <= 20 && !rest[..gap].is_empty() {
            return col;
        }
    }
    if let Some((word, _)) = rest.split_once(": ") {
        if word.len() <= 8 && word.chars().all(|c| c.is_ascii_alphabetic()) {
            return lead + word.len() + 2;
        }
    }
    lead
}

/// The width of a table as it is laid out without a width limit.
pub(crate) fn natural_width(t: &Table) -> usize {
    t.lines().map(|l| l.trim_end().chars().count()).max().unwrap_or(0)
}

/// A table as text, without the trailing blanks comfy-table pads cells
/// with. When a [`width`] is set and the table is wider, it is narrowed:
/// one space between columns instead of two, and the wrappable columns
/// ([`wrap_only`]) wrapped by comfy-table's dynamic arrangement.
pub(crate) fn trimmed(t: &Table) -> String {
    let lines = |t: &Table| -> Vec<String> { t.lines().map(|l| l.trim_end().to_string()).collect() };
    let natural = lines(t);
    let fits = |ls: &[String], w: usize| ls.iter().all(|l| l.chars().count() <= w);
    let Some(w) = width().filter(|&w| !fits(&natural, w)) else {
        return natural.join("\n");
    };
    // Two spaces between columns if that fits without wrapping more, else one.
    let two = lines(&narrowed(t, w, 1));
    let one = lines(&narrowed(t, w, 0));
    if fits(&two, w) && two.len() <= one.len() {
        return two.join("\n");
    }
    one.join("\n")
}

/// `t` fitted to `width` by comfy-table's dynamic arrangement, with `pad`
/// blanks after each cell (the preset's blank separator adds one more).
/// Columns that keep their width ([`wrap_only`]) are as wide as their
/// values, their header wrapped at spaces and after a `/`.
fn narrowed(t: &Table, width: usize, pad: u16) -> Table {
    let mut narrow = t.clone();
    let mut widest = vec![0u16; narrow.column_count()];
    for row in narrow.row_iter() {
        for (i, cell) in row.cell_iter().enumerate() {
            let w = cell
                .content()
                .lines()
                .map(|l| l.chars().count())
                .max()
                .unwrap_or(0);
            if let Some(x) = widest.get_mut(i) {
                *x = (*x).max(u16::try_from(w).unwrap_or(u16::MAX));
            }
        }
    }
    let mut header: Vec<String> = narrow
        .header()
        .map(|h| h.cell_iter().map(|c| c.content()).collect())
        .unwrap_or_default();
    for c in narrow.column_iter_mut() {
        c.set_padding((0, pad));
        if c.constraint() == Some(&ColumnConstraint::ContentWidth) {
            // As wide as its values; the header wraps at spaces and after a `/`.
            let values = usize::from(widest.get(c.index).copied().unwrap_or(0));
            if let Some(h) = header.get_mut(c.index) {
                let words: Vec<String> = h.split(' ').map(|w| w.replace('/', "/ ")).collect();
                let words: Vec<&str> = words.iter().flat_map(|w| w.split_inclusive("/ ")).collect();
                let w = words
                    .iter()
                    .map(|w| w.trim_end().chars().count())
                    .max()
                    .unwrap_or(0)
                    .max(values)
                    .max(1);
                let mut lines: Vec<String> = vec![String::new()];
                for word in words {
                    let last = lines.last_mut().expect("one line");
                    let glue = if last.is_empty() || last.ends_with('/') {
                        ""
                    } else {
                        " "
                    };
                    let word = word.trim_end();
                    if last.chars().count() + glue.len() + word.chars().count() > w {
                        lines.push(word.to_string());
                    } else {
                        last.push_str(glue);
                        last.push_str(word);
                    }
                }
                *h = lines.join("\n");
                // comfy-table's absolute width includes the padding.
                c.set_constraint(ColumnConstraint::Absolute(comfy_table::Width::Fixed(
                    u16::try_from(w).unwrap_or(u16::MAX).saturating_add(pad),
                )));
            }
        }
    }
    if !header.is_empty() {
        narrow.set_header(header);
    }
    narrow
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(u16::try_from(width).unwrap_or(u16::MAX));
    narrow
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
    if let Some(im) = &r.imatrix {
        return imatrix_text(s, r, im, o);
    }
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
        wrap_only(&mut t, &[2]);
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
        wrap_only(&mut t, &[0, 2]);
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

/// The rest of [`text`] for an importance matrix: what it was computed on,
/// the metadata, and the statistics of `llama-imatrix --show-statistics`
/// (per tensor unless `no_tensors`, then per block) in its number formats.
fn imatrix_text(
    mut s: String,
    r: &Report<'_>,
    im: &gguf_quant::requant::imatrix::ImatrixStatistics,
    o: TextOptions,
) -> String {
    let w = &mut s;
    let chunks = match (im.chunk_count, im.chunk_size) {
        (Some(n), Some(size)) => format!(
            "{} chunks of {} tokens",
            thousands(n.into()),
            thousands(size.into())
        ),
        (Some(n), None) => format!("{} chunks", thousands(n.into())),
        _ => "chunks unknown".to_string(),
    };
    let _ = writeln!(
        w,
        "  imatrix      importance matrix for architecture {}: {} tensors, {chunks}",
        r.architecture.unwrap_or("unknown"),
        im.tensors.len()
    );
    let datasets = if im.datasets.is_empty() {
        "(none recorded)".to_string()
    } else {
        im.datasets.join(", ")
    };
    let _ = writeln!(w, "  datasets     {datasets}");
    let _ = writeln!(w, "  metadata     {} keys", r.key_count);
    for warning in &r.warnings {
        let _ = writeln!(w, "  warning      {warning}");
    }
    if !o.no_metadata {
        let mut t = table(&["key", "type", "value"]);
        let max_items = o.max_array.unwrap_or(if o.full { usize::MAX } else { 5 });
        let max_chars = if o.full { usize::MAX } else { 60 };
        for m in &r.metadata {
            t.add_row(vec![
                m.key.to_string(),
                m.value.type_name(),
                short_value(&m.value, max_chars, max_items),
            ]);
        }
        wrap_only(&mut t, &[2]);
        let _ = writeln!(w, "\nMetadata\n{}", trimmed(&t));
    }
    if !o.no_tensors {
        let header = [
            "layer",
            "tensor",
            "Σ(Act²)",
            "min",
            "max",
            "μ",
            "σ",
            "% active",
            "N",
            "entropy",
            "E (norm)",
            "ZD",
            "CosSim",
        ];
        let rows: Vec<Vec<String>> = im
            .tensors
            .iter()
            .map(|x| {
                vec![
                    x.layer.clone(),
                    x.name.clone(),
                    format!("{:.2}", x.sum),
                    format!("{:.4}", x.min),
                    format!("{:.4}", x.max),
                    format!("{:.2}", x.mean),
                    format!("{:.2}", x.stddev),
                    format!("{:.2}%", x.active * 100.0),
                    x.elements.to_string(),
                    format!("{:.4}", x.entropy),
                    format!("{:.2}%", x.entropy_norm),
                    format!("{:.2}%", 100.0 * x.zd),
                    format!("{:.4}", x.cossim),
                ]
            })
            .collect();
        let make = |columns: &[usize]| {
            let mut t = table(&columns.iter().map(|&c| header[c]).collect::<Vec<_>>());
            for r in &rows {
                t.add_row(columns.iter().map(|&c| r[c].clone()).collect::<Vec<_>>());
            }
            let right: Vec<usize> = (0..columns.len()).filter(|&i| columns[i] != 1).collect();
            right_align(&mut t, &right);
            wrap_only(&mut t, &[1]);
            t
        };
        let all: Vec<usize> = (0..header.len()).collect();
        let whole = make(&all);
        // Too wide for the terminal: the columns in two tables, each with the names.
        let tables = match width() {
            Some(width) if natural_width(&whole) > width => format!(
                "{}\n\n{}",
                trimmed(&make(&[0, 1, 2, 3, 4, 5, 6])),
                trimmed(&make(&[0, 1, 7, 8, 9, 10, 11, 12]))
            ),
            _ => trimmed(&whole),
        };
        let _ = writeln!(
            w,
            "\nStatistics of {} tensors (as llama-imatrix --show-statistics)\n{tables}",
            im.tensors.len(),
        );
    }
    let mut t = table(&["layer", "μΣ(Act²)", "μZD", "μCosSim"]);
    for l in &im.layers {
        t.add_row(vec![
            l.layer.to_string(),
            format!("{:.2}", l.sum),
            format!("{:.4}%", 100.0 * l.zd),
            format!("{:.4}", l.cossim),
        ]);
    }
    right_align(&mut t, &[0, 1, 2, 3]);
    let _ = writeln!(
        w,
        "\nWeighted averages per layer ({} layers)\n{}",
        im.layers.len(),
        trimmed(&t)
    );
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
    let _ = writeln!(
        w,
        "\nMemory at {context}, as {} allocate{} it on the CPU (--usage {})",
        m.programs,
        if m.programs.contains('/') { "" } else { "s" },
        m.usage
    );
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
    if m.weights_repack_bytes > 0 {
        let _ = writeln!(
            w,
            "  weights      {} (mapped {} + CPU_REPACK {} for {} tensors; the repacking depends on the CPU)",
            bytes(m.weights_bytes),
            bytes(m.weights_mapped_bytes),
            bytes(m.weights_repack_bytes),
            m.repacked_tensors
        );
    } else {
        let _ = writeln!(w, "  weights      {}", bytes(m.weights_bytes));
    }
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
            let rows = m.n_outputs.map_or(String::new(), |n| {
                format!(
                    ", {} row{} of logits per micro-batch",
                    thousands(n),
                    if n == 1 { "" } else { "s" }
                )
            });
            let _ = writeln!(w, "  compute      {} (estimate{rows})", bytes(c));
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
