#!/usr/bin/env bash
# Prints the EXPECTED table of gguf-import/tests/general.rs: for each
# converter output ../shared/golden/import/out/NAME-auto.gguf, its general.*
# keys but general.architecture, general.file_type and
# general.quantization_version (which tests/metadata.rs checks), in file
# order, as "key<TAB>TYPE<TAB>value as JSON" — read with this repository's
# own `gguf inspect --json` (FLOAT32 values printed as the f64 they widen to).
# Usage: scripts/general-metadata-table.sh > /tmp/table.rs (then paste).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${GOLDEN_SOURCE:-$PWD/../shared/golden}/import/out"
if [ ! -d "$out" ]; then
    echo "error: $out is missing" >&2
    exit 1
fi
cargo build -q -p gguf-cli
bin="$PWD/target/debug/gguf"
for f in "$out"/*-auto.gguf; do
    name=$(basename "$f" -auto.gguf)
    echo "    ("
    echo "        \"$name\","
    echo "        &["
    "$bin" inspect "$f" --no-tensors --json | jq -r '
        .files[0].metadata[]
        | select((.key | startswith("general."))
            and .key != "general.architecture" and .key != "general.file_type"
            and .key != "general.quantization_version")
        | "\(.key)\t\(.type)\t\(.value | tojson)"
        | "            " + tojson + ","'
    echo "        ],"
    echo "    ),"
done
