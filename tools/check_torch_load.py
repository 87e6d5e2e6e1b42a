#!/usr/bin/python3
"""tools/check_torch_load.py BUILD_DIR — shows that PyTorch loads tapegrad's safetensors.

Runs BUILD_DIR/tools/gru_export (a 2-layer bidirectional GRU made and run by tapegrad),
reads the two safetensors files it writes with a few lines of Python (the `safetensors`
package is not in Debian; the format is an 8-byte length, a JSON header and raw data),
loads the weights into torch.nn.GRU with load_state_dict(strict=True), runs the same input
and compares the outputs. Run with Debian's python3-torch: /usr/bin/python3.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

import torch


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        assert meta["dtype"] == "F32", meta
        b, e = meta["data_offsets"]
        t = torch.frombuffer(bytearray(data[b:e]), dtype=torch.float32)
        out[name] = t.reshape(meta["shape"])
    return out


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([os.path.join(build, "tools", "gru_export"), d], check=True)
        weights = read_safetensors(os.path.join(d, "gru.safetensors"))
        io = read_safetensors(os.path.join(d, "io.safetensors"))
        odd = read_safetensors(os.path.join(d, "odd_names.safetensors"))
    want = ["quote\"back\\slash", "tab\tnewline\nbell\x07", "caf\u00e9", "\u65e5\u672c",
            "\U0001f4c8", "n" * 300]
    names_ok = list(odd) == want
    print(f"odd names (quotes, control characters, UTF-8, 300 characters): "
          f"{'read back by json.loads' if names_ok else 'MISMATCH ' + repr(list(odd))}")
    gru = torch.nn.GRU(3, 8, num_layers=2, bidirectional=True, batch_first=True)
    gru.load_state_dict(weights, strict=True)
    with torch.no_grad():
        out, h_n = gru(io["input"])
    d_out = (out - io["output"]).abs().max().item()
    d_h = (h_n - io["h_n"]).abs().max().item()
    print(f"nn.GRU loaded {len(weights)} tensors (strict); max |difference|: output {d_out:.2e}, h_n {d_h:.2e}")
    ok = d_out < 1e-5 and d_h < 1e-5 and names_ok
    print("OK: PyTorch reproduces tapegrad's outputs" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
