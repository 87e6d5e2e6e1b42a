#!/usr/bin/python3
"""tools/make_fixtures_rnn.py — PyTorch parity fixtures for the recurrent layers.

Run with Debian's python3-torch:  /usr/bin/python3 tools/make_fixtures_rnn.py
Writes tests/fixtures/rnn.txt (committed; the C tests never run Python).

For each case: nn.RNN / nn.LSTM / nn.GRU in float64, batch_first, with random initial
states, run on a random input. The loss touches every output:
    L = sum(out * w_out) + sum(h_n * w_h) [+ sum(c_n * w_c)]
and the fixture holds the input, initial states, every parameter under its state_dict
key, the outputs, the final states and the gradients of L w.r.t. the input, the initial
states and every parameter.
"""
import torch

from fixtures import Writer

B, T, I, H = 3, 5, 4, 6

CASES = [
    # name, module class, extra kwargs
    ("rnn_tanh", torch.nn.RNN, dict(nonlinearity="tanh")),
    ("rnn_relu", torch.nn.RNN, dict(nonlinearity="relu")),
    ("rnn_tanh_bi", torch.nn.RNN, dict(nonlinearity="tanh", bidirectional=True)),
    ("lstm", torch.nn.LSTM, {}),
    ("lstm_stacked", torch.nn.LSTM, dict(num_layers=2)),
    ("lstm_bi", torch.nn.LSTM, dict(bidirectional=True)),
    ("lstm_stacked_bi", torch.nn.LSTM, dict(num_layers=2, bidirectional=True)),
    ("gru", torch.nn.GRU, {}),
    ("gru_stacked", torch.nn.GRU, dict(num_layers=2)),
    ("gru_bi", torch.nn.GRU, dict(bidirectional=True)),
    ("gru_nobias", torch.nn.GRU, dict(bias=False)),
]


def main():
    torch.manual_seed(20261121)
    w = Writer("rnn.txt", __doc__)
    for name, cls, kw in CASES:
        m = cls(I, H, batch_first=True, **kw).double()
        layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
        is_lstm = cls is torch.nn.LSTM
        x = torch.randn(B, T, I, dtype=torch.float64, requires_grad=True)
        h0 = (0.5 * torch.randn(layers, B, H, dtype=torch.float64)).requires_grad_()
        c0 = (0.5 * torch.randn(layers, B, H, dtype=torch.float64)).requires_grad_()
        out, state = m(x, (h0, c0)) if is_lstm else m(x, h0)
        h_n, c_n = state if is_lstm else (state, None)
        w_out = torch.randn_like(out)
        w_h = torch.randn_like(h_n)
        loss = (out * w_out).sum() + (h_n * w_h).sum()
        if is_lstm:
            w_c = torch.randn_like(c_n)
            loss = loss + (c_n * w_c).sum()
        loss.backward()

        w.add(f"{name}.x", x)
        w.add(f"{name}.h0", h0)
        if is_lstm:
            w.add(f"{name}.c0", c0)
        params = list(m.state_dict().keys())
        w.add(f"{name}.nparams", torch.tensor(float(len(params))))
        for key, p in m.named_parameters():
            w.add(f"{name}.param.{key}", p)
            w.add(f"{name}.grad.{key}", p.grad)
        w.add(f"{name}.out", out)
        w.add(f"{name}.h_n", h_n)
        w.add(f"{name}.w_out", w_out)
        w.add(f"{name}.w_h", w_h)
        if is_lstm:
            w.add(f"{name}.c_n", c_n)
            w.add(f"{name}.w_c", w_c)
            w.add(f"{name}.grad.c0", c0.grad)
        w.add(f"{name}.grad.x", x.grad)
        w.add(f"{name}.grad.h0", h0.grad)
    w.save()


if __name__ == "__main__":
    main()
