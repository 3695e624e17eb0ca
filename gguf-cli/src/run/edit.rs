//! `gguf edit`: a copy with changed metadata, or numbers changed in place.

use super::{check_outputs, local_path, write_all};
use crate::error::{Error, Result, Status};
use crate::flags::EditArgs;
use gguf_cli::files::MetadataChanges;
use gguf_cli::human::thousands;
use gguf_format::edit::{self, ChatTemplate, MetadataEdit, SetArg, SetValue};
use gguf_format::split::output_names;
use gguf_format::{ops, GgufFile, ModelFiles};
use std::io::Write;

/// Edits a copy, or the file in place with `--in-place`.
pub fn run(a: &EditArgs, out: &mut dyn Write) -> Result {
    local_path("edit", &a.input)?;
    if a.in_place {
        edit_in_place(a, out)
    } else {
        edit_copy(a, out)
    }
}

/// `--set` arguments as the library takes them; JSON arrays become elements.
fn set_values(args: &[String]) -> Result<Vec<(String, SetValue)>> {
    let mut v = Vec::with_capacity(args.len());
    for arg in args {
        v.push(SetArg::parse(arg)?.value()?);
    }
    Ok(v)
}

fn chat_template(a: &EditArgs) -> Result<Option<ChatTemplate>> {
    if let Some(t) = &a.chat_template {
        return Ok(Some(
            ChatTemplate::parse_arg(t).map_err(gguf_format::Error::Edit)?,
        ));
    }
    if let Some(f) = &a.chat_template_file {
        let t = std::fs::read_to_string(f).map_err(|e| Error::Read(f.display().to_string(), e))?;
        return Ok(Some(ChatTemplate::Text(t)));
    }
    if let Some(f) = &a.chat_template_config {
        let text = std::fs::read_to_string(f).map_err(|e| Error::Read(f.display().to_string(), e))?;
        // As gguf-new-metadata: no (or an empty) chat_template changes nothing.
        return ChatTemplate::from_tokenizer_config(&text)
            .map_err(|e| Error::Usage(format!("{}: {e}", f.display())));
    }
    Ok(None)
}

fn pairs(v: &[String]) -> Vec<(String, String)> {
    v.chunks_exact(2).map(|p| (p[0].clone(), p[1].clone())).collect()
}
fn edit_copy(a: &EditArgs, out: &mut dyn Write) -> Result {
    let mut renames = Vec::new();
    for r in &a.rename {
        match r.split_once('=') {
            Some((o, n)) if !o.is_empty() => renames.push((o.to_string(), n.to_string())),
            _ => return Err(Error::Usage(format!("--rename {r:?}: expected OLD=NEW"))),
        }
    }
    let e = MetadataEdit {
        general_name: a.general_name.clone(),
        general_description: a.general_description.clone(),
        chat_template: chat_template(a)?,
        pre_tokenizer: a.pre_tokenizer.clone(),
        remove: a.remove_metadata.clone(),
        special_tokens: pairs(&a.special_token),
        special_tokens_by_id: pairs(&a.special_token_by_id),
        set: set_values(&a.set)?,
        rename: renames,
        change_type: a.change_type,
    };
    let files = ModelFiles::open(&a.input)?;
    let m = files.parse()?;
    let (outputs, warnings) = ops::edit(&m, &e).map_err(|err| Error::at(m.path(), err))?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let output = a.output.as_ref().expect("clap requires OUT without --in-place");
    let names = output_names(output, m.is_split(), outputs.len());
    let changes = MetadataChanges::new(m.first(), &outputs[0].builder, &e.rename);
    if a.dry_run {
        out.write_all(changes.text().as_bytes())?;
        return Ok(Status::Yes);
    }
    check_outputs(&files.paths(), &names, a.force)?;
    if !a.quiet {
        eprint!("{}", changes.text());
    }
    write_all(&m, &outputs, &names, a.quiet)
}

fn edit_in_place(a: &EditArgs, out: &mut dyn Write) -> Result {
    if a.set.is_empty() {
        return Err(Error::Usage(
            "--in-place needs at least one --set KEY=VALUE".into(),
        ));
    }
    let sets = a
        .set
        .iter()
        .map(|s| SetArg::parse(s))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let path = &a.input;
    let shown = path.display();
    let file = GgufFile::open(path)?;
    if !file.is_mapped() {
        return Err(Error::Usage(format!(
            "{shown}: not a regular file; in-place editing needs one"
        )));
    }
    let g = file
        .parse_with(gguf_format::ParseOptions { check_data: false })
        .map_err(|e| Error::at(&shown, e))?;
    let patches = edit::plan_in_place(&g, &sets).map_err(|e| Error::at(&shown, e))?;
    for p in &patches {
        let old = gguf_cli::human::short_value(&p.old, 60, 5);
        let new = gguf_cli::human::short_meta(&p.new, 60, 5);
        let same = if p.is_unchanged(file.as_bytes()) {
            " (unchanged)"
        } else {
            ""
        };
        let line = format!("{}: {old} → {new}{same}", p.key);
        if a.dry_run {
            writeln!(out, "{line}")?;
        } else if !a.quiet {
            eprintln!("{line}");
        }
    }
    if a.dry_run {
        return Ok(Status::Yes);
    }
    let n = edit::write_in_place(path, file.as_bytes(), &patches)?;
    if !a.quiet {
        eprintln!(
            "{shown}: {} bytes written at the keys' places, synced",
            thousands(n as u64)
        );
    }
    Ok(Status::Yes)
}
