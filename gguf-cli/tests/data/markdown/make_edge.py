# Makes edge.gguf (tests/markdown.rs): strings and floats at the edges of
# gguf_dump.py --markdown's formats, encoder/decoder/bias tensors.
# Run with gguf-py (llama.cpp 0c1e570) on PYTHONPATH and numpy 2.4.6.
import numpy as np
from gguf import GGUFWriter, GGUFValueType
w = GGUFWriter("edge.gguf", "t5")
w.add_string("s.long", "x`y" * 30 + "``end`")
w.add_string("s.tick", "`start")
w.add_string("s.uni", "é" * 70)
w.add_string("s.nl", "a\nb|c")
w.add_array("a.str", ["`a`", "b" * 40, "ü" * 31, "x", "y", "z"])
w.add_array("a.f32", [1e16, 9.999e15, 1e-4, 9.99e-5, 0.1, 123456789.0, -0.0])
w.add_array("a.f32b", [999999.9, 1.00001e-4, 1e-45, 3.4e38, float("nan"), float("-inf"), 0.3])
w.add_float64("f.big", 1.5e300)
w.add_float64("f.small", 0.00012345678)
w.add_float64("f.e16", 1e16)
w.add_float64("f.below", 9.999999999999998e15)
w.add_float64("f.tiny", 5e-324)
w.add_float64("f.max", 1.7976931348623157e308)
w.add_float32("f.inf", float("inf"))
w.add_int32("i.neg", -5)
w.add_array("a.empty_str", [])
for name, shape in [("enc.blk.0.attn_q.weight", (4, 8)), ("enc.output_norm.weight", (8,)), ("dec.blk.1.ffn_gate_inp.bias", (8,)), ("token_embd.weight", (8, 150)), ("blk.2.ssm_conv1d.weight", (2, 2, 2))]:
    w.add_tensor(name, np.zeros(shape, dtype=np.float32))
w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
