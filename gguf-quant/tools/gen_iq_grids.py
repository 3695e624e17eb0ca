"""Regenerates ../src/iq_grids.rs from the packed grid tables in gguf-py
(pip package `gguf`, 0.19.0), which mirror ggml-common.h. Run
`python3 gguf-quant/tools/gen_iq_grids.py && cargo fmt -p gguf-quant`.
"""
import math
import os
from gguf import quants as Q

def unpack(cls):
    bits = math.ceil(math.log2(len(cls.grid_map)))
    per = 8 // bits
    raw = bytes.fromhex(cls.grid_hex.decode())
    vals = []
    for b in raw:
        for k in range(per):
            vals.append(cls.grid_map[(b >> (k * (8 // per))) & ((1 << bits) - 1)])
    n, w = cls.grid_shape
    assert len(vals) == n * w, (cls, len(vals))
    rows = []
    for i in range(n):
        v = 0
        for j in range(w):
            byte = int(vals[i * w + j]) & 0xFF
            v |= byte << (8 * j)
        rows.append(v)
    return rows, w

out = []
out.append("//! The IQ grid tables (`iq2xxs_grid`, `iq2xs_grid`, `iq2s_grid`, `iq3xxs_grid`,\n"
           "//! `iq3s_grid`, `iq1s_grid`, `ksigns_iq2xs`) exactly as ggml-common.h holds\n"
           "//! them: each entry packs 8 (or 4) grid bytes, element j in byte j.\n"
           "//!\n"
           "//! Data only. Generated from the packed copies in gguf-py 0.19.0\n"
           "//! (`gguf/quants.py`), which mirror ggml's tables, by\n"
           "//! `tools/gen_iq_grids.py`; the golden tests check every table against\n"
           "//! llama.cpp's output.\n")
for name, cls in [("IQ2XXS_GRID", Q.IQ2_XXS), ("IQ2XS_GRID", Q.IQ2_XS), ("IQ2S_GRID", Q.IQ2_S),
                  ("IQ3XXS_GRID", Q.IQ3_XXS), ("IQ3S_GRID", Q.IQ3_S), ("IQ1S_GRID", Q.IQ1_S)]:
    rows, w = unpack(cls)
    ty = "u64" if w == 8 else "u32"
    digits = 16 if w == 8 else 8
    out.append(f"\n/// `{name.lower()}`: {len(rows)} entries of {w} bytes.")
    out.append("#[rustfmt::skip]")
    out.append(f"pub(crate) static {name}: [{ty}; {len(rows)}] = [")
    for i in range(0, len(rows), 4):
        out.append("    " + " ".join(f"0x{v:0{digits}x}," for v in rows[i:i+4]))
    out.append("];")
ks = Q.IQ2_XXS.ksigns
out.append("\n/// `ksigns_iq2xs`: 7 sign bits plus an even-parity eighth.")
out.append("#[rustfmt::skip]")
out.append("pub(crate) static KSIGNS_IQ2XS: [u8; 128] = [")
for i in range(0, 128, 16):
    out.append("    " + " ".join(f"0x{v:02x}," for v in ks[i:i+16]))
out.append("];")
open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "iq_grids.rs"), "w").write("\n".join(out) + "\n")
