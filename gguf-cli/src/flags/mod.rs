//! The command line: one `clap` parser, one file of flags per command.

mod convert;
mod diff;
mod edit;
mod import;
mod inspect;
mod memory;
mod merge;
mod requant;
mod split;

pub use convert::{ConvertArgs, Endian};
pub use diff::DiffArgs;
pub use edit::EditArgs;
pub use import::ImportArgs;
pub use inspect::InspectArgs;
pub use memory::MemoryArgs;
pub use merge::MergeArgs;
pub use requant::{QuantArgs, RequantArgs};
pub use split::SplitArgs;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "gguf",
    version,
    about = "Inspect, compare, requantize, split, merge, edit and convert GGUF model files (the llama.cpp format)",
    after_help = "Exit codes: 0 success; 1 a negative answer (diff: differences found; inspect --key: no such key); 2 error.\n\
                  Commands that write files never replace an existing file without --force, and never an input file.\n\
                  Only inspect (and requant --dry-run) read URLs. A closed standard output (| head) ends quietly.\n\
                  Text output fits the terminal (COLUMNS when set); output to a file or pipe is not wrapped unless COLUMNS is set.\n\
                  Run `gguf <command> --help` for each command's options and examples."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Show what GGUF files hold: summary, metadata, tensors, type histogram, memory estimate.
    #[command(after_help = "Examples:\n  \
        gguf inspect model.gguf\n  \
        gguf inspect model.gguf --no-tensors --ctx 8192          (as llama-cli / llama-server allocate)\n  \
        gguf inspect model.gguf --ctx 512 --usage perplexity     (as llama-perplexity -c 512 allocates)\n  \
        gguf inspect model.gguf --tensors 'blk.0.*'\n  \
        gguf inspect model.gguf --key tokenizer.chat_template\n  \
        gguf inspect *.gguf --key general.name                  (FILE:value lines; --json for JSON)\n  \
        gguf inspect model.gguf --markdown > model.md           (gguf_dump.py --markdown's report)\n  \
        gguf inspect imatrix.gguf                               (an importance matrix: llama-imatrix --show-statistics)\n  \
        gguf inspect model.gguf --json --max-array 10 | jq .files[0].file_type\n  \
        gguf inspect https://example.com/models/model.gguf --ctx 8192\n  \
        gguf inspect hf://OWNER/REPO/model-Q4_K_M.gguf          (or hf://OWNER/REPO@REVISION/FILE)\n\n\
        Reads only the header (the tensor data is never touched, but for an importance matrix's statistics),\n\
        so it is quick on any size of model.\n\
        A URL is read the same way, by HTTP range requests: the header and not much more is downloaded\n\
        (HF_TOKEN is sent to the URL's host for gated models; GGUF_HTTP_TIMEOUT sets the timeout, 30 s).\n\
        Files whose tensor data is cut off, big-endian files, GGUF v1/v2 and unknown tensor types\n\
        are shown with a warning rather than refused. The warning says what llama.cpp does with them\n\
        (it refuses GGUF v1 and a file in the other byte order than the machine's; it loads v2) and\n\
        which `gguf convert` command writes a copy it loads.")]
    Inspect(InspectArgs),

    /// Convert a model to another llama.cpp file type (Q4_K_M, Q8_0, …), byte-identical to llama-quantize.
    #[command(after_help = "Examples:\n  \
        gguf requant --to q4_k_m model-f16.gguf model-Q4_K_M.gguf\n  \
        gguf requant --to q4_k_m --imatrix imatrix.gguf model-f16.gguf model-Q4_K_M.gguf\n  \
        gguf requant --to q5_k_m --tensor-type 'attn_v=q8_0' model-f16.gguf out.gguf\n  \
        gguf requant --dry-run --to q4_k_m model-f16.gguf\n  \
        gguf requant --dry-run --to all --ctx 8192 model-f16.gguf     (which quant fits my GPU?)\n  \
        gguf requant --list\n\n\
        Every tensor gets the type llama-quantize would give it for the same ftype and options, and\n\
        the output file is byte-for-byte what llama-quantize writes (tensor order, metadata order,\n\
        padding). One difference: a model whose general.alignment is not 32 is laid out with the\n\
        alignment it declares (llama-quantize writes 32 and the result does not load).\n\
        The output is written to a temporary file beside OUT and renamed only when complete.\n\
        An existing OUT is replaced only with --force; IN never is.\n\
        The type goes in --to: llama-quantize's order (IN OUT TYPE) is refused with a hint.")]
    Requant(RequantArgs),

    /// Compare two GGUF files: metadata, tensor lists, and the numbers of every shared tensor.
    #[command(after_help = "Examples:\n  \
        gguf diff model-f16.gguf model-Q4_K_M.gguf          (how much did quantizing cost, tensor by tensor?)\n  \
        gguf diff a.gguf b.gguf --metadata-only\n  \
        gguf diff a.gguf b.gguf --tolerance 1e-3 --top 10\n  \
        gguf diff a.gguf b.gguf --json\n\n\
        Tensors in both files with the same shape are decoded to f32 (whatever their types) and\n\
        compared with A as the reference: RMSE, largest absolute error, relative RMSE\n\
        (sqrt of error energy over A's energy), cosine similarity, and whether every value is\n\
        bit-identical. Worst first.\n\n\
        Exit codes, like diff: 0 no difference, 1 differences found, 2 error.")]
    Diff(DiffArgs),

    /// Split a model into shards (MODEL-00001-of-0000N.gguf …), as llama-gguf-split --split does.
    #[command(after_help = "Examples:\n  \
        gguf split model.gguf model                           (128 tensors per shard)\n  \
        gguf split --split-max-size 4G model.gguf out/model   (at most 4·10⁹ bytes of tensors each)\n  \
        gguf split --split-max-tensors 64 --dry-run model.gguf model\n\n\
        The shards are byte for byte what llama-gguf-split writes: the first holds all metadata,\n\
        every one split.no, split.tensors.count and split.count; tensors keep their order.\n\
        All shards are written to temporary files and appear together, or none does.\n\
        Existing shards are replaced only with --force; an input shard never is.")]
    Split(SplitArgs),

    /// Merge a split model's shards into one file, as llama-gguf-split --merge does.
    #[command(after_help = "Examples:\n  \
        gguf merge model-00001-of-00004.gguf model.gguf\n  \
        gguf merge --dry-run model-00001-of-00004.gguf model.gguf\n\n\
        Every shard is found by its name and checked (split.no, split.count, split.tensors.count,\n\
        no tensor twice) before anything is written. The output is byte for byte llama-gguf-split's\n\
        (split.count becomes 0). OUT is not replaced unless --force, and never when it is a shard.")]
    Merge(MergeArgs),

    /// Change metadata: in place (numbers, booleans) or as a copy (anything), like gguf-set-metadata / gguf-new-metadata.
    #[command(after_help = "Examples:\n  \
        gguf edit --in-place model.gguf --set tokenizer.ggml.eos_token_id=2\n  \
        gguf edit --in-place --dry-run model.gguf --set llama.rope.freq_base=500000\n  \
        gguf edit in.gguf out.gguf --general-name 'My model' --chat-template-file chat.jinja\n  \
        gguf edit in.gguf out.gguf --special-token eos '<|im_end|>' --remove-metadata general.url\n  \
        gguf edit in.gguf out.gguf --set llama.context_length=u32:32768 --rename general.basename=general.base\n  \
        gguf edit in.gguf out.gguf --set 'tokenizer.ggml.eos_token_ids=array[u32]:[2, 32000]'\n\n\
        --in-place changes only values whose size stays the same, cast to the key's type, with one\n\
        positioned write and an fsync; nothing else in the file moves. A copy is written the way\n\
        gguf-new-metadata writes it (general.architecture first; new chat templates replace every\n\
        tokenizer.chat_template* key and go last), byte for byte for its options; tensor data is\n\
        copied file to file, never decoded. OUT is not replaced unless --force, and never when it is IN.")]
    Edit(EditArgs),

    /// Convert a model to big- or little-endian (and GGUF v2/v3), like gguf-convert-endian.
    #[command(after_help = "Examples:\n  \
        gguf convert --endian big model.gguf model-be.gguf\n  \
        gguf convert --endian little model-be.gguf model.gguf\n  \
        gguf convert --endian little --version 3 old-v2.gguf new.gguf\n\n\
        Every header field and every multi-byte field of the tensor data changes order, by each\n\
        type's block layout: F32, F16, BF16, every quantized type (Q4_0 … Q8_K, IQ*, TQ*, MXFP4, …)\n\
        and the integer types. Byte for byte what gguf-convert-endian writes for the types it\n\
        knows; converting back gives the original bytes. Unlike gguf-convert-endian, IN is not\n\
        changed: OUT is a new file, replacing an existing one only with --force (never IN).")]
    Convert(ConvertArgs),

    /// Convert a Hugging Face model directory to GGUF, byte-identical to llama.cpp's convert_hf_to_gguf.py, or straight to a quant.
    #[command(after_help = "Examples:\n  \
        gguf import ./Qwen3-0.6B qwen3-0.6b.gguf                      (--outtype auto: bf16 weights stay BF16)\n  \
        gguf import --outtype q8_0 ./Llama-3.2-1B llama-3.2-1b-Q8_0.gguf\n  \
        gguf import --to q4_k_m ./Llama-3.2-1B llama-3.2-1b-Q4_K_M.gguf   (convert + llama-quantize in one pass)\n  \
        gguf import --split-max-tensors 128 ./model model.gguf\n  \
        gguf import --dry-run ./model\n  \
        gguf import --list\n\n\
        From the Hub: huggingface-cli download OWNER/MODEL --local-dir ./MODEL, then gguf import ./MODEL OUT.\n\
        Supported: the architectures of --list (f32, f16 and bf16 safetensors). The output is written to\n\
        a temporary file beside OUT (all shards together) and appears only when complete; every shard\n\
        listed in the index is checked before anything is written. An existing OUT is replaced only\n\
        with --force (never a file of MODEL_DIR).")]
    Import(ImportArgs),
}
