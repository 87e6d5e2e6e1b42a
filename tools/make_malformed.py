#!/usr/bin/env python3
"""tools/make_malformed.py — writes tests/data/malformed/: inputs every loader must refuse
with a clear status (tests/test_corpus.c loads each and checks that nothing crashes and
nothing is half-written).

Run with any python3: python3 tools/make_malformed.py. The safetensors and checkpoint
cases mutate the fuzz seeds (fuzz/corpus/safetensors/model.safetensors and
fuzz/corpus/checkpoint/full.ckpt, written by tools/fuzz_seeds.c). A crash found by fuzzing
is added here (or copied into the folder) so that it stays fixed.
"""
import json
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "tests", "data", "malformed")


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8", "surrogateescape"))


def st_file(header, data=b"", raw=False):
    h = header if raw else json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


def csv_cases():
    cases = {
        "empty": "",
        "only_bom": "\ufeff",
        "header_only": "a,b\n",
        "blank_lines_only": "\n\n\n",
        "ragged_short": "a,b\n1,2\n3\n",
        "ragged_long": "a,b\n1,2\n3,4,5\n",
        "text_cell": "a,b\n1,x\n",
        "nan_text": "a,b\n1,NaN\n",
        "inf_text": "a,b\n1,inf\n",
        "hex_number": "a,b\n1,0x10\n",
        "trailing_junk": "a,b\n1,2.5kg\n",
        "unterminated_quote": 'a,b\n1,"2\n',
        "quote_in_field": 'a,b\n1,2"3\n',
        "missing_cell": "a,b\n1,\n",
        "missing_all": "a,b\n,\n,\n",
        "nul_byte": "a,b\n1,\x002\n",
        "huge_exponent": "a,b\n1,1e999\n",
        "only_delims": ",,,\n,,,\n",
        "spaces_only": "a,b\n   ,  \n",
        "two_rows_one_ragged": "a,b\n1,2\n3,4\n5\n",
        "very_long_number": "a,b\n1," + "9" * 5000 + "\n",
        "header_then_blank": "a,b\n\n",
        "ragged_header": "a\n1,2\n",
        "unclosed_quote_header": '"a,b\n1,2\n',
        "tab_separated_text": "a\tb\n1\tx\n",
        "quoted_comma_number": 'a,b\n1,"1,5"\n',
        "plus_minus": "a,b\n1,+-3\n",
        "dot_only": "a,b\n1,.\n",
        "exponent_only": "a,b\n1,e5\n",
    }
    for name, text in cases.items():
        write(f"{name}.csv", text)
    return len(cases)


def st_cases():
    with open(os.path.join(ROOT, "fuzz", "corpus", "safetensors", "model.safetensors"), "rb") as f:
        good = f.read()
    n = 0
    for cut in [0, 1, 4, 7, 8, 9, 16, 64, 200, len(good) // 2, len(good) - 9, len(good) - 1]:
        write(f"truncated_{cut}.safetensors", good[:cut])
        n += 1
    (hl,) = struct.unpack("<Q", good[:8])
    header, data = json.loads(good[8:8 + hl]), good[8 + hl:]
    name = next(k for k in header if k != "__metadata__")
    e = header[name]

    def variant(tag, mutate, data_=None):
        nonlocal n
        h = json.loads(json.dumps(header))
        mutate(h)
        write(f"{tag}.safetensors", st_file(h, data if data_ is None else data_))
        n += 1

    variant("dtype_i64", lambda h: h[name].update(dtype="I64"))
    variant("dtype_missing", lambda h: h[name].pop("dtype"))
    variant("dtype_number", lambda h: h[name].update(dtype=4))
    variant("shape_negative", lambda h: h[name].update(shape=[-1] + e["shape"][1:]))
    variant("shape_float", lambda h: h[name].update(shape=[1.5]))
    variant("shape_string", lambda h: h[name].update(shape="3"))
    variant("shape_rank5", lambda h: h[name].update(shape=[1, 1, 1, 1, 1]))
    variant("shape_overflow", lambda h: h[name].update(shape=[2**31, 2**31, 4]))
    variant("shape_bytes_wrap", lambda h: h[name].update(shape=[1073741824, 1073741824, 4]))
    variant("shape_too_big_for_offsets", lambda h: h[name].update(shape=[1000, 1000]))
    variant("offsets_reversed", lambda h: h[name].update(data_offsets=e["data_offsets"][::-1]))
    variant("offsets_negative", lambda h: h[name].update(data_offsets=[-4, 0]))
    variant("offsets_one", lambda h: h[name].update(data_offsets=[0]))
    variant("offsets_huge", lambda h: h[name].update(data_offsets=[0, 2**63 - 1]))
    variant("offsets_past_end", lambda h: h[name].update(
        data_offsets=[e["data_offsets"][0] + 4, e["data_offsets"][1] + 4]))
    variant("metadata_number", lambda h: h.update(__metadata__={"format": 1}))
    variant("metadata_list", lambda h: h.update(__metadata__=["pt"]))
    variant("crc_wrong", lambda h: h["__metadata__"].update({"tapegrad.crc32": "00000000"}))
    variant("entry_not_object", lambda h: h.update({name: [1, 2]}))
    variant("extra_tensor_hole", lambda h: h.update(
        extra={"dtype": "F32", "shape": [1], "data_offsets": [len(data) + 4, len(data) + 8]}),
        data + b"\0" * 8)
    variant("trailing_bytes", lambda h: None, data + b"\0\0\0\0")
    variant("missing_bytes", lambda h: None, data[:-4])
    raw = [
        ("not_json", b"this is not json"),
        ("json_array", b"[1,2,3]"),
        ("json_nan", b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,NaN]}}'),
        ("json_trailing_comma", b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},}'),
        ("json_bad_utf8", b'{"a\xff":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'),
        ("json_duplicate", b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                           b'"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'),
        ("json_deep", b"[" * 5000 + b"]" * 5000),
        ("json_nul_in_string", b'{"a\\u0000b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'),
        ("json_unterminated", b'{"a":{"dtype":"F32"'),
        ("json_bad_escape", b'{"a\\q":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'),
        ("json_lone_surrogate", b'{"\\ud800":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'),
    ]
    for tag, h in raw:
        write(f"{tag}.safetensors", st_file(h, b"\0" * 8, raw=True))
        n += 1
    write("header_length_huge.safetensors", struct.pack("<Q", 2**63) + b"{}")
    write("header_length_past_end.safetensors", struct.pack("<Q", 100) + b"{}")
    write("header_length_over_limit.safetensors", struct.pack("<Q", 200_000_000) + b"{}" * 4)
    return n + 3


def ckpt_cases():
    with open(os.path.join(ROOT, "fuzz", "corpus", "checkpoint", "full.ckpt"), "rb") as f:
        good = f.read()
    (hl,) = struct.unpack("<Q", good[:8])
    header, data = json.loads(good[8:8 + hl]), good[8 + hl:]
    n = 0
    for cut in [0, 8, 100, len(good) - 1]:
        write(f"truncated_{cut}.ckpt", good[:cut])
        n += 1
    meta_edits = {
        "no_marker": ("tapegrad.checkpoint", None),
        "epoch_text": ("epoch", "five"),
        "epoch_missing": ("epoch", None),
        "step_float": ("step", "1.5x"),
        "optim_other": ("optim.type", "SGD"),
        "optim_lr_nan": ("optim.lr", "nonsense"),
        "optim_step_negative": ("optim.step.w", "-3"),
        "optim_step_missing": ("optim.step.w", None),
        "rng_short": ("rng.r", "1234"),
        "rng_missing": ("rng.r", None),
        "rng_junk": ("rng.r", "0000000000000001:000000000000000g"),
        "scaler_kind": ("scaler.s", "7 0 1 1 | 0 | 1"),
        "scaler_count": ("scaler.s", "0 0 1 3 | 0 | 1"),
        "scaler_missing": ("scaler.s", None),
        "scaler_huge_count": ("scaler.s", "0 0 1 99999999 | 0 | 1"),
        "plateau_short": ("plateau", "0.001 inf"),
        "value_text": ("value.v", "two"),
        "history_best_missing": ("history.best_epoch", None),
    }
    for tag, (key, value) in meta_edits.items():
        h = json.loads(json.dumps(header))
        if value is None:
            h["__metadata__"].pop(key, None)
        else:
            h["__metadata__"][key] = value
        h["__metadata__"].pop("tapegrad.crc32", None)  # keep the data check out of the way
        write(f"{tag}.ckpt", st_file(h, data))
        n += 1
    for tag, victim in [("no_param", "w"), ("no_adam_state", "optim.state.w.exp_avg"),
                        ("no_tensor", "tensor.t"), ("no_history", "history.loss")]:
        h = json.loads(json.dumps(header))
        b, e = h[victim]["data_offsets"]
        h.pop(victim)
        for k, v in h.items():  # close the gap the removed tensor leaves
            if k != "__metadata__" and v["data_offsets"][0] >= e:
                v["data_offsets"] = [v["data_offsets"][0] - (e - b), v["data_offsets"][1] - (e - b)]
        h["__metadata__"].pop("tapegrad.crc32", None)
        write(f"{tag}.ckpt", st_file(h, data[:b] + data[e:]))
        n += 1
    return n


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    n = csv_cases() + st_cases() + ckpt_cases()
    print(f"wrote {n} files to {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
