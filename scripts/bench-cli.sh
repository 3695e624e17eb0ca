#!/usr/bin/env bash
# Whole-process benchmarks of the `gguf` command, printing wall time and peak
# RSS: inspect on a 262,144-token model, requant of a 0.85 B-parameter F16
# llama to Q4_K_M and Q8_0 with 1 and 2 threads, diff of a 1 GB F16 model
# against its Q8_0. Generated models are cached in $BENCH_DIR (about 4 GB).
# Usage: scripts/bench-cli.sh [inspect|requant|diff]...   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${BENCH_DIR:-/tmp/gguf-bench}"
mkdir -p "$dir"
cargo build --release -q -p gguf-cli -p gguf-testdata
gguf="$PWD/target/release/gguf"
gen="$PWD/target/release/gguf-testdata"
which=("$@")
[ ${#which[@]} -eq 0 ] && which=(inspect requant diff)

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
            measure "requant $ft, $t thread(s)" "$gguf" requant -q --to "$ft" --threads "$t" "$dir/model-f16.gguf" "$dir/out-$ft-$t.gguf"
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
*) echo "unknown benchmark $w (inspect, requant, diff)" >&2; exit 2 ;;
esac
done
