#!/usr/bin/env bash
# A second opinion beyond the golden files (a dev script, not a test): runs
# llama.cpp's own llama-gguf-split and llama-quantize and `gguf` on the same
# inputs and compares the outputs byte for byte.
#
#   LLAMA_BIN=/path/to/llama.cpp/build/bin scripts/compare-llama-tools.sh
#
# Build those tools from llama.cpp's source (e.g. llama-cpp-python 0.3.36's
# sdist carries commit 0c1e570 under vendor/llama.cpp):
#   cmake -B build -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=ON -DLLAMA_CURL=OFF
#   cmake --build build -j2 --target llama-quantize llama-gguf-split
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${LLAMA_BIN:?set LLAMA_BIN to the folder holding llama-gguf-split and llama-quantize}"
golden="$(cd "${GOLDEN:-../shared/golden}" && pwd)"
cargo build --release -q -p gguf-cli
gguf="$PWD/target/release/gguf"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
fails=0
same() { # label a b
    if cmp -s "$2" "$3"; then echo "same      $1"; else echo "DIFFERENT $1 ($2 vs $3)"; fails=$((fails + 1)); fi
}
shards() { # label ours-prefix theirs-prefix
    local n=0
    for f in "$3"-*-of-*.gguf; do
        same "$1 ${f#"$3"}" "$2${f#"$3"}" "$f"
        n=$((n + 1))
    done
    [ "$n" -gt 0 ] || { echo "NO OUTPUT $1"; fails=$((fails + 1)); }
}

for args in "--split-max-tensors 5 --no-tensor-first-split" "--split-max-tensors 3" "--split-max-size 2M"; do
    for f in tiny-Q4_K_M odd-f16 codecs; do
        p="${f}-$(echo "$args" | tr -c 'a-z0-9' _)"
        # shellcheck disable=SC2086
        "$bin/llama-gguf-split" --split $args "$golden/$f.gguf" "ll-$p" > /dev/null 2>&1 || true
        # shellcheck disable=SC2086
        "$gguf" split -q $args "$golden/$f.gguf" "us-$p"
        shards "split $args $f" "us-$p" "ll-$p"
        "$bin/llama-gguf-split" --merge "ll-$p-00001-of-"*.gguf "ll-$p-merged.gguf" > /dev/null 2>&1
        "$gguf" merge -q "us-$p-00001-of-"*.gguf "us-$p-merged.gguf"
        same "merge $args $f" "us-$p-merged.gguf" "ll-$p-merged.gguf"
    done
done

# requant of a split model, into one file and --keep-split.
"$gguf" split -q --split-max-tensors 7 "$golden/tiny-f32.gguf" f32s
for ft in Q4_K_M Q8_0 Q3_K_M; do
    "$bin/llama-quantize" f32s-00001-of-00003.gguf "ll-$ft.gguf" "$ft" 2 > /dev/null 2>&1
    "$gguf" requant -q --to "$ft" f32s-00001-of-00003.gguf "us-$ft.gguf"
    same "requant split input $ft" "us-$ft.gguf" "ll-$ft.gguf"
    "$bin/llama-quantize" --keep-split f32s-00001-of-00003.gguf "llks-$ft.gguf" "$ft" 2 > /dev/null 2>&1
    "$gguf" requant -q --keep-split --to "$ft" f32s-00001-of-00003.gguf "usks-$ft.gguf"
    shards "requant --keep-split $ft" "usks-$ft" "llks-$ft"
done
"$bin/llama-quantize" --keep-split "$golden/tiny-f32.gguf" llk1.gguf Q8_0 2 > /dev/null 2>&1
"$gguf" requant -q --keep-split --to q8_0 "$golden/tiny-f32.gguf" usk1.gguf
shards "requant --keep-split of an unsplit model" usk1 llk1

echo "$fails difference(s)"
[ "$fails" -eq 0 ]
