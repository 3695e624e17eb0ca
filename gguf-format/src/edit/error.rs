//! Why an edit's arguments are refused: typed, describing the value (a
//! front end names its own option; `gguf edit` prints `--set …`).

/// An edit argument that is malformed or does not fit the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EditError {
    /// A set argument that is not `KEY=VALUE` or `KEY=TYPE:VALUE`.
    #[error("{arg:?}: expected KEY=VALUE or KEY=TYPE:VALUE")]
    SetSpec {
        /// The argument as given.
        arg: String,
    },

    /// An array value that is not a JSON array of numbers, strings or booleans.
    #[error("{key}: {text:?} is not a JSON array of numbers, strings or booleans")]
    SetArrayText {
        /// The key.
        key: String,
        /// The value as given.
        text: String,
    },

    /// A new key given without its type.
    #[error("{key}: the file has no such key, so give its type: {key}=TYPE:VALUE ({hint})")]
    SetNeedsType {
        /// The key.
        key: String,
        /// Examples of types that fit the value.
        hint: &'static str,
    },

    /// Text given for an array key.
    #[error("{key}: the key is {type_name}: give the elements as a JSON array")]
    SetArrayKey {
        /// The key.
        key: String,
        /// Its type's name.
        type_name: String,
    },

    /// Elements given for a key that is not an array of numbers or strings.
    #[error(
        "{key}: the key is {type_name}, not an array of numbers or strings; give the type ({key}=TYPE:VALUE)"
    )]
    SetNotArray {
        /// The key.
        key: String,
        /// Its type's name.
        type_name: String,
    },

    /// A set argument whose type is not one of the types.
    #[error(
        "{key}: unknown type {ty:?}; the types are u8 i8 u16 i16 u32 i32 u64 i64 f32 f64 bool str \
         and array[T] of those (a string value that starts with \"{ty}:\" is written str:{ty}:…)"
    )]
    UnknownType {
        /// The key.
        key: String,
        /// The type as written.
        ty: String,
    },

    /// A typed set that would change the type of a key the file has.
    #[error(
        "{key} is {from} in the file, not {to}: llama.cpp reads the keys it knows with the type it \
         expects ({key} as {from}) and refuses a file where the type differs (\"wrong type\"); \
         give the value without a type to keep {from}"
    )]
    SetTypeChange {
        /// The key.
        key: String,
        /// Its type in the file.
        from: String,
        /// The type given.
        to: String,
    },

    /// A key to remove that the file does not have.
    #[error("{key}: no such key in the file")]
    RemoveMissing {
        /// The key.
        key: String,
    },

    /// A special token whose text is not in the token list.
    #[error("{name}: unable to find {token:?} in the token list")]
    TokenNotFound {
        /// The special token's name (`eos`, …).
        name: String,
        /// The text looked for.
        token: String,
    },

    /// A special token id that is not a number.
    #[error("{name}: {id:?} is not a valid token id")]
    BadTokenId {
        /// The special token's name.
        name: String,
        /// The id as given.
        id: String,
    },

    /// A special token id beyond the token list.
    #[error("{name}: token id {id} is not within the token list ({n_tokens} tokens)")]
    TokenIdOutOfRange {
        /// The special token's name.
        name: String,
        /// The id.
        id: u64,
        /// How many tokens the list has.
        n_tokens: u64,
    },

    /// A rename of a key the file does not have.
    #[error("{old}={new}: no key {old}")]
    RenameMissing {
        /// The key to rename.
        old: String,
        /// Its new name.
        new: String,
    },

    /// A rename to the empty name.
    #[error("{old}=: the new name is empty")]
    RenameEmpty {
        /// The key to rename.
        old: String,
    },

    /// A key renamed twice.
    #[error("{old} is renamed twice")]
    RenamedTwice {
        /// The key.
        old: String,
    },

    /// Renames that would give two keys one name.
    #[error("{name} would be the name of both {first} and {second}")]
    RenameClash {
        /// The name.
        name: String,
        /// The first key with it.
        first: String,
        /// The second.
        second: String,
    },

    /// A chat template given as JSON that does not parse.
    #[error("not valid JSON: {0}")]
    ChatTemplateJson(#[source] serde_json::Error),

    /// A chat template given as JSON that is not a list of named templates.
    #[error("a JSON value must be a list of {{\"name\", \"template\"}}")]
    ChatTemplateNotList,
}
