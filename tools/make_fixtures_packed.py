#!/usr/bin/python3
"""tools/make_fixtures_packed.py — PyTorch parity fixtures for variable-length sequences.

Run with Debian's python3-torch:  /usr/bin/python3 tools/make_fixtures_packed.py
Writes tests/fixtures/packed.txt (committed; the C tests never run Python).

For LSTM and GRU, 1 and 2 layers, one and both directions: nn.LSTM / nn.GRU in float64,
batch_first, run on torch.nn.utils.rnn.pack_padded_sequence(x, lengths,
enforce_sorted=False) with random initial states, unpacked with pad_packed_sequence
(total_length = T, so outputs past a sample's length are 0). x holds large values in the
padding, which must not matter. The loss touches every output:
    L = sum(out * w_out) + sum(h_n * w_h) [+ sum(c_n * w_c)]
and the fixture holds x, the lengths, the initial states, every parameter under its
state_dict key, the outputs, the final states and every gradient (x's is 0 in the padding).
"""
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from fixtures import Writer

B, T, I, H = 4, 6, 3, 5
LENGTHS = [6, 3, 1, 5]  # unsorted, with a full and a one-step sample

CASES = []
for cell in ("lstm", "gru"):
    for layers in (1, 2):
        for bi in (False, True):
            CASES.append((f"{cell}_l{layers}{'_bi' if bi else ''}", cell, layers, bi))


def main():
    torch.manual_seed(20261202)
    w = Writer("packed.txt", __doc__)
    w.add("lengths", torch.tensor(LENGTHS, dtype=torch.float64))
    for name, cell, layers, bi in CASES:
        cls = torch.nn.LSTM if cell == "lstm" else torch.nn.GRU
        m = cls(I, H, num_layers=layers, bidirectional=bi, batch_first=True).double()
        ld = layers * (2 if bi else 1)
        x = torch.randn(B, T, I, dtype=torch.float64)
        for b, n in enumerate(LENGTHS):
            x[b, n:] = 1e6  # padding: must not reach anything
        x.requires_grad_()
        h0 = (0.5 * torch.randn(ld, B, H, dtype=torch.float64)).requires_grad_()
        c0 = (0.5 * torch.randn(ld, B, H, dtype=torch.float64)).requires_grad_()
        packed = pack_padded_sequence(x, torch.tensor(LENGTHS), batch_first=True,
                                      enforce_sorted=False)
        out_p, state = m(packed, (h0, c0)) if cell == "lstm" else m(packed, h0)
        out, _ = pad_packed_sequence(out_p, batch_first=True, total_length=T)
        h_n, c_n = state if cell == "lstm" else (state, None)
        w_out, w_h = torch.randn_like(out), torch.randn_like(h_n)
        loss = (out * w_out).sum() + (h_n * w_h).sum()
        if cell == "lstm":
            w_c = torch.randn_like(c_n)
            loss = loss + (c_n * w_c).sum()
        loss.backward()
        w.add(f"{name}.x", x)
        w.add(f"{name}.h0", h0)
        if cell == "lstm":
            w.add(f"{name}.c0", c0)
            w.add(f"{name}.c_n", c_n)
            w.add(f"{name}.w_c", w_c)
            w.add(f"{name}.grad.c0", c0.grad)
        for key, p in m.named_parameters():
            w.add(f"{name}.param.{key}", p)
            w.add(f"{name}.grad.{key}", p.grad)
        w.add(f"{name}.out", out)
        w.add(f"{name}.h_n", h_n)
        w.add(f"{name}.w_out", w_out)
        w.add(f"{name}.w_h", w_h)
        w.add(f"{name}.grad.x", x.grad)
        w.add(f"{name}.grad.h0", h0.grad)
    w.save()


if __name__ == "__main__":
    main()
