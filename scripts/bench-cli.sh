#!/usr/bin/env bash
# Whole-process benchmarks of the `gguf` command, printing wall time and peak
# RSS: inspect on a 262,144-token model, requant of a 0.85 B-parameter F16
# llama to Q4_K_M and Q8_0 with 1 and 2 threads, diff of a 1 GB F16 model
# against its Q8_0; split, merge, edit, convert of that 1 GB model beside
# `cp` (+ fsync) of the same file, and an in-place edit of it.
# Generated models are cached in $BENCH_DIR (about 8 GB with every output).
# `import` converts a 0.34 B-parameter bf16 Hugging Face model (generated,
# 690 MB) to GGUF as issue 22's benchmark does, beside convert_hf_to_gguf.py
# and llama-quantize where CONVERT_HF / LLAMA_QUANTIZE name them.
# `import-13b` (not in the default set: 35 GB of disk) converts a generated
# 13 B-parameter one (26.6 GB) to Q4_K_M, for the peak memory.
# Usage: scripts/bench-cli.sh [inspect|requant|diff|tools|import|import-13b]...   (default: all but import-13b)
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${BENCH_DIR:-/tmp/gguf-bench}"
mkdir -p "$dir"
cargo build --release -q -p gguf-cli -p gguf-testdata
gguf="$PWD/target/release/gguf"
gen="$PWD/target/release/gguf-testdata"
which=("$@")
[ ${#which[@]} -eq 0 ] && which=(inspect requant diff tools import)

measure() { # label command...
    local label="$1"; shift
    /usr/bin/time -f "%e %M" -o "$dir/time.txt" "$@" > /dev/null 2>&1 || true
    read -r wall rss < <(tail -n 1 "$dir/time.txt")
    awk -v l="$label" -v w="$wall" -v r="$rss" 'BEGIN { printf "%-40s wall %7.2f s   peak RSS %8.1f MB\n", l, w, r / 1024 }'
}

# Starts a run from the same page-cache state: earlier outputs written back
# and, where this user may (root), dropped from the cache — on this VM a
# full page cache makes every later write reclaim memory first, which
# doubled requant's system time — then the input read back in.
fresh_cache() { # input
    sync
    [ -w /proc/sys/vm/drop_caches ] && echo 1 > /proc/sys/vm/drop_caches
    cat "$1" > /dev/null
}

for w in "${which[@]}"; do
case "$w" in
inspect)
    [ -f "$dir/big-vocab.gguf" ] || "$gen" big-vocab "$dir/big-vocab.gguf" > /dev/null
    if command -v hyperfine > /dev/null; then
        hyperfine -N --warmup 5 -r 50 "$gguf inspect $dir/big-vocab.gguf" "$gguf inspect $dir/big-vocab.gguf --json --max-array 8"
    fi
    measure "inspect (262,144 tokens)" "$gguf" inspect "$dir/big-vocab.gguf"
    ;;
requant)
    [ -f "$dir/model-f16.gguf" ] || "$gen" bench-model "$dir/model-f16.gguf" > /dev/null
    for ft in q8_0 q4_k_m; do
        for t in 1 2; do
            fresh_cache "$dir/model-f16.gguf"
            measure "requant $ft, $t thread(s)" "$gguf" requant -q --force --to "$ft" --threads "$t" "$dir/model-f16.gguf" "$dir/out-$ft-$t.gguf"
        done
        cmp "$dir/out-$ft-1.gguf" "$dir/out-$ft-2.gguf" && echo "  $ft: 1 and 2 threads give identical bytes"
    done
    ;;
diff)
    [ -f "$dir/diff-f16.gguf" ] || "$gen" bench-model "$dir/diff-f16.gguf" 8 > /dev/null
    [ -f "$dir/diff-q8_0.gguf" ] || "$gguf" requant -q --to q8_0 "$dir/diff-f16.gguf" "$dir/diff-q8_0.gguf"
    cat "$dir/diff-f16.gguf" "$dir/diff-q8_0.gguf" > /dev/null
    ls -l "$dir/diff-f16.gguf" "$dir/diff-q8_0.gguf" | awk '{print "  " $5 " bytes  " $9}'
    measure "diff 1 GB F16 vs Q8_0" "$gguf" diff "$dir/diff-f16.gguf" "$dir/diff-q8_0.gguf"
    ;;
tools)
    in="$dir/diff-f16.gguf"
    [ -f "$in" ] || "$gen" bench-model "$in" 8 > /dev/null
    size=$(stat -c %s "$in")
    echo "  $size bytes  $in"
    # Throughput: the input's size over the wall time, every run from a
    # cached input and with its output synced to disk (gguf syncs before the
    # rename; cp is followed by `sync FILE`).
    # Each command runs twice and the second run counts: on this VM the
    # first write after large deletions pays for freeing blocks (seen as
    # system time up to 4x), whoever writes.
    rate() { # label input command...
        local label="$1" src="$2"; shift 2
        fresh_cache "$src"
        "$@" > /dev/null 2>&1 || true
        fresh_cache "$src"
        /usr/bin/time -f "%e %M" -o "$dir/time.txt" "$@" > /dev/null 2>&1 || true
        read -r wall rss < <(tail -n 1 "$dir/time.txt")
        awk -v l="$label" -v w="$wall" -v r="$rss" -v s="$size" \
            'BEGIN { printf "%-40s wall %7.2f s   %7.0f MB/s   peak RSS %7.1f MB\n", l, w, s / 1e6 / (w > 0 ? w : 0.01), r / 1024 }'
    }
    rm -f "$dir"/tools-*
    rate "cp + sync (baseline)" "$in" sh -c "cp '$in' '$dir/tools-cp.gguf' && sync '$dir/tools-cp.gguf'"
    rate "split --split-max-size 300M" "$in" "$gguf" split -q --force --split-max-size 300M "$in" "$dir/tools-s"
    cat "$dir"/tools-s-0000[2-4]-of-00004.gguf > /dev/null
    rate "merge" "$dir/tools-s-00001-of-00004.gguf" "$gguf" merge -q --force "$dir/tools-s-00001-of-00004.gguf" "$dir/tools-merged.gguf"
    rate "edit --general-name (a copy)" "$in" "$gguf" edit -q --force "$in" "$dir/tools-edit.gguf" --general-name renamed
    rate "convert --endian big" "$in" "$gguf" convert -q --force --endian big "$in" "$dir/tools-be.gguf"
    rate "convert --endian little (back)" "$dir/tools-be.gguf" "$gguf" convert -q --force --endian little "$dir/tools-be.gguf" "$dir/tools-le.gguf"
    cmp "$in" "$dir/tools-le.gguf" && echo "  there and back: identical bytes"
    cmp "$dir/tools-merged.gguf" "$in" > /dev/null || echo "  (merge adds split.* keys, so its bytes differ from the input, as llama-gguf-split's do)"
    if command -v hyperfine > /dev/null; then
        hyperfine -N --warmup 3 -r 30 "$gguf edit -q --in-place $dir/tools-cp.gguf --set llama.context_length=8192"
    else
        start=$(date +%s%N)
        for i in $(seq 20); do
            "$gguf" edit -q --in-place "$dir/tools-cp.gguf" --set llama.context_length=$((4096 + i))
        done
        end=$(date +%s%N)
        awk -v ns=$((end - start)) 'BEGIN { printf "%-40s %.1f ms per run (20 runs, each a whole process, fsync included)\n", "edit --in-place (1 GB file)", ns / 20 / 1e6 }'
    fi
    if command -v gguf-new-metadata > /dev/null; then
        rate "gguf-new-metadata (gguf-py, reference)" "$in" gguf-new-metadata --force --general-name renamed "$in" "$dir/tools-py.gguf"
        cmp "$dir/tools-py.gguf" "$dir/tools-edit.gguf" && echo "  gguf edit = gguf-new-metadata, byte for byte"
    fi
    rm -f "$dir"/tools-*
    ;;
import)
    # A 0.34 B-parameter bf16 llama in four shards with Llama 3's tokenizer:
    # the model issue 22 measured convert_hf_to_gguf.py on (6.4 s and 917 MB
    # for --outtype auto, 6.5 s for q8_0, 6.4 + 10.2 s for auto followed by
    # llama-quantize Q4_K_M, on this 2-core VM). Set CONVERT_HF="python
    # .../convert_hf_to_gguf.py" (its pinned environment) and/or
    # LLAMA_QUANTIZE=.../llama-quantize to measure the anchors in the same
    # rounds; otherwise the issue's figures are printed beside ours.
    src="$dir/import-llama-0.34b"
    [ -f "$src/model.safetensors.index.json" ] || "$gen" bench-import "$src" > /dev/null
    cached() { sync; [ -w /proc/sys/vm/drop_caches ] && echo 1 > /proc/sys/vm/drop_caches; cat "$src"/* > /dev/null; }
    for t in auto f16 q8_0; do
        cached; rm -f "$dir/import-$t.gguf"
        measure "import --outtype $t" "$gguf" import -q --force --outtype "$t" "$src" "$dir/import-$t.gguf"
        if [ -n "${CONVERT_HF:-}" ]; then
            cached; rm -f "$dir/convert-$t.gguf"
            measure "  convert_hf_to_gguf.py --outtype $t" $CONVERT_HF "$src" --outfile "$dir/convert-$t.gguf" --outtype "$t"
            cmp "$dir/import-$t.gguf" "$dir/convert-$t.gguf" && echo "  identical bytes"
        fi
    done
    [ -n "${CONVERT_HF:-}" ] || echo "  anchor (issue 22, convert_hf_to_gguf.py on this VM): auto 6.4 s 917 MB, q8_0 6.5 s"
    cached; rm -f "$dir/import-q4_k_m.gguf"
    measure "import --to q4_k_m (one pass)" "$gguf" import -q --force --to q4_k_m "$src" "$dir/import-q4_k_m.gguf"
    if [ -n "${LLAMA_QUANTIZE:-}" ]; then
        # The second step of the two-step route, from the converter's bytes
        # (ours for auto are the same bytes).
        fresh_cache "$dir/import-auto.gguf"; rm -f "$dir/quantize-q4_k_m.gguf"
        measure "  llama-quantize auto -> Q4_K_M" "$LLAMA_QUANTIZE" "$dir/import-auto.gguf" "$dir/quantize-q4_k_m.gguf" Q4_K_M 2
        cmp "$dir/import-q4_k_m.gguf" "$dir/quantize-q4_k_m.gguf" && echo "  identical bytes"
    else
        echo "  anchor (issue 22): convert auto 6.4 s + llama-quantize Q4_K_M 10.2 s"
    fi
    measure "import --dry-run" "$gguf" import --dry-run "$src" "$dir/import-dry.gguf"
    rm -f "$dir"/import-*.gguf "$dir"/convert-*.gguf "$dir"/quantize-*.gguf
    ;;
import-13b)
    # Issue 22's memory goal: a 13 B-parameter bf16 model (26.6 GB in five
    # shards, more than this VM's 24 GiB of RAM; the converter peaked at
    # 1.9 GB on one) converted to Q4_K_M in one pass under 256 MB. Not in
    # the default set: it needs about 35 GB free in $BENCH_DIR and minutes.
    src="$dir/import-13b"
    [ -f "$src/model.safetensors.index.json" ] || "$gen" bench-import "$src" 13b > /dev/null
    sync; [ -w /proc/sys/vm/drop_caches ] && echo 1 > /proc/sys/vm/drop_caches
    rm -f "$dir/import-13b-q4_k_m.gguf"
    measure "import 13 B --to q4_k_m (one pass)" "$gguf" import -q --force --to q4_k_m "$src" "$dir/import-13b-q4_k_m.gguf"
    measure "import 13 B --dry-run" "$gguf" import --dry-run "$src" "$dir/import-13b-dry.gguf"
    rm -f "$dir/import-13b-q4_k_m.gguf"
    ;;
*) echo "unknown benchmark $w (inspect, requant, diff, tools, import, import-13b)" >&2; exit 2 ;;
esac
done
