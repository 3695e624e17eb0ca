#!/bin/sh
# Recomputes the EXPECTED table of gguf-import/tests/vocab.rs: for each golden
# model, the sha256 of the tokenizer section (the `tokenizer.*` key/value
# pairs in order, serialized alone; gguf-import/examples/tokenizer_digest.rs)
# of the converter's own output ../shared/golden/import/out/NAME-auto.gguf.
# Usage: scripts/tokenizer-digests.sh [SHARED_IMPORT_DIR]
set -eu
cd "$(dirname "$0")/.."
src="${1:-../shared/golden/import}"
for f in "$src"/out/*-auto.gguf; do
    name=$(basename "$f" -auto.gguf)
    digest=$(cargo run -q -p gguf-import --example tokenizer_digest -- "$f" | cut -f1)
    printf '    (\n        "%s",\n        "%s",\n    ),\n' "$name" "$digest"
done
