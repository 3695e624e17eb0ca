//! The JSON an edit is given: arrays of elements for a set, and chat
//! templates as a list of named templates or in a `tokenizer_config.json`.

use super::{array_of, parse_value, ChatTemplate, EditError, SetArg, SetType, SetValue};
use crate::error::{Error, Result};

impl SetArg {
    /// The key and the value to set: a typed value, or (with no type) a
    /// JSON array's elements or the text, to be cast to the key's type.
    ///
    /// ```
    /// use gguf_format::edit::{SetArg, SetValue};
    /// let (key, v) = SetArg::parse("k=[1, 2]")?.value()?;
    /// assert_eq!((key.as_str(), v), ("k", SetValue::Items(vec!["1".into(), "2".into()])));
    /// # Ok::<(), gguf_format::Error>(())
    /// ```
    pub fn value(self) -> Result<(String, SetValue)> {
        let value = match self.ty {
            Some(SetType::Scalar(t)) => SetValue::Typed(parse_value(&self.key, t, &self.text)?),
            Some(SetType::Array(t)) => {
                let items = json_items(&self.text).ok_or_else(|| {
                    Error::Edit(EditError::SetArrayText {
                        key: self.key.clone(),
                        text: self.text.clone(),
                    })
                })?;
                SetValue::Typed(array_of(&self.key, t, &items)?)
            }
            None => match self
                .text
                .starts_with('[')
                .then(|| json_items(&self.text))
                .flatten()
            {
                Some(items) => SetValue::Items(items),
                None => SetValue::Text(self.text),
            },
        };
        Ok((self.key, value))
    }
}

/// The elements of a JSON array of numbers, strings and booleans, as text;
/// `None` for anything else.
///
/// ```
/// use gguf_format::edit::json_items;
/// assert_eq!(json_items(r#"[2, "a", true]"#), Some(vec!["2".into(), "a".into(), "true".into()]));
/// assert_eq!(json_items("[[1]]"), None);
/// ```
pub fn json_items(text: &str) -> Option<Vec<String>> {
    let serde_json::Value::Array(items) = serde_json::from_str(text).ok()? else {
        return None;
    };
    items
        .into_iter()
        .map(|x| match x {
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::String(s) => Some(s),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            _ => None,
        })
        .collect()
}

/// A chat template as a JSON value: a string, or a list of
/// `{"name", "template"}` objects (one without a name is named `""`; one
/// without a template is left out).
fn template_value(v: &serde_json::Value) -> Option<ChatTemplate> {
    match v {
        serde_json::Value::String(s) => Some(ChatTemplate::Text(s.clone())),
        serde_json::Value::Array(list) => Some(ChatTemplate::Named(
            list.iter()
                .filter_map(|c| {
                    let name = c.get("name").and_then(|n| n.as_str()).unwrap_or("");
                    let template = c.get("template")?.as_str()?;
                    Some((name.to_string(), template.to_string()))
                })
                .collect(),
        )),
        _ => None,
    }
}

impl ChatTemplate {
    /// A template given as text (gguf-new-metadata's `--chat-template`):
    /// the template itself, or, when it starts with `[`, a JSON list of
    /// `{"name", "template"}` objects.
    ///
    /// ```
    /// use gguf_format::edit::ChatTemplate;
    /// assert_eq!(ChatTemplate::parse_arg("{{ x }}")?, ChatTemplate::Text("{{ x }}".into()));
    /// assert_eq!(
    ///     ChatTemplate::parse_arg(r#"[{"name": "default", "template": "t"}]"#)?,
    ///     ChatTemplate::Named(vec![("default".into(), "t".into())])
    /// );
    /// # Ok::<(), gguf_format::edit::EditError>(())
    /// ```
    pub fn parse_arg(text: &str) -> std::result::Result<ChatTemplate, EditError> {
        if !text.starts_with('[') {
            return Ok(ChatTemplate::Text(text.to_string()));
        }
        let v: serde_json::Value = serde_json::from_str(text).map_err(EditError::ChatTemplateJson)?;
        template_value(&v).ok_or(EditError::ChatTemplateNotList)
    }

    /// The `chat_template` of a `tokenizer_config.json` (its text): a
    /// string or a list of named templates; `None` when it has none, which
    /// changes nothing, as with gguf-new-metadata.
    pub fn from_tokenizer_config(json: &str) -> std::result::Result<Option<ChatTemplate>, EditError> {
        let v: serde_json::Value = serde_json::from_str(json).map_err(EditError::ChatTemplateJson)?;
        Ok(v.get("chat_template").and_then(template_value))
    }
}
