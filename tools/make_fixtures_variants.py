#!/usr/bin/python3
"""tools/make_fixtures_variants.py — PyTorch parity fixtures for tg_layer_norm and the gate
variants of layers/variants/ (peephole, layer-normalized and zoneout LSTMs).

Run with Debian's python3-torch:  /usr/bin/python3 tools/make_fixtures_variants.py
Writes tests/fixtures/variants.txt (committed; the C tests never run Python).

layer_norm: torch.nn.functional.layer_norm over the last axis in float64, with and without
gain and bias; L = sum(y * w); the fixture holds x, gain, bias, y and dL/dx, dL/dgain,
dL/dbias.

Variants: each cell's equations written out here with torch ops (the same equations as the
C step functions, cited there), unrolled over time by the same runner rules as
tapegrad's (batch-first, zero initial states, stacked layers take the concatenated outputs
of both directions, the reverse direction runs over reversed time). Parameters are named as
tapegrad names them (weight_ih_l0, weight_peephole_l0_reverse, ...). Zoneout is taken in
evaluation mode (the expectation form), which is deterministic; its training masks are
tested for their properties in C. L = sum(out * w_out) over every output step.
"""
import torch
import torch.nn.functional as F

from fixtures import Writer

B, T, I, H = 3, 5, 4, 6
EPS = 1e-5
ZC, ZH = 0.3, 0.2  # zoneout rates of the fixture (not the defaults)


def lstm_gates(p, sfx, x, h, bias):
    g = x @ p["weight_ih" + sfx].T + h @ p["weight_hh" + sfx].T
    if bias:
        g = g + p["bias_ih" + sfx] + p["bias_hh" + sfx]
    return g.chunk(4, 1)


def peephole_step(p, sfx, x, h, c, bias):
    i, f, g, o = lstm_gates(p, sfx, x, h, bias)
    pi, pf, po = p["weight_peephole" + sfx].chunk(3, 0)
    i = torch.sigmoid(i + pi * c)
    f = torch.sigmoid(f + pf * c)
    c2 = f * c + i * torch.tanh(g)
    o = torch.sigmoid(o + po * c2)
    return o * torch.tanh(c2), c2


def ln_lstm_step(p, sfx, x, h, c, bias):
    xi = x @ p["weight_ih" + sfx].T
    hh = h @ p["weight_hh" + sfx].T
    if bias:
        xi = xi + p["bias_ih" + sfx]
        hh = hh + p["bias_hh" + sfx]
    n4 = (4 * H,)
    gates = (F.layer_norm(xi, n4, p["weight_ln_ih" + sfx], p["bias_ln_ih" + sfx], EPS) +
             F.layer_norm(hh, n4, p["weight_ln_hh" + sfx], p["bias_ln_hh" + sfx], EPS))
    i, f, g, o = gates.chunk(4, 1)
    c2 = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    cn = F.layer_norm(c2, (H,), p["weight_ln_c" + sfx], p["bias_ln_c" + sfx], EPS)
    return torch.sigmoid(o) * torch.tanh(cn), c2


def zoneout_eval_step(p, sfx, x, h, c, bias):
    i, f, g, o = lstm_gates(p, sfx, x, h, bias)
    c2 = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h2 = torch.sigmoid(o) * torch.tanh(c2)
    return (1 - ZH) * h2 + ZH * h, (1 - ZC) * c2 + ZC * c


# cell name -> (step, its own parameters as (name, size in units of H, kind))
CELLS = {
    "peephole": (peephole_step, [("weight_peephole", 3, "uniform")]),
    "ln_lstm": (ln_lstm_step, [("weight_ln_ih", 4, "gain"), ("bias_ln_ih", 4, "shift"),
                               ("weight_ln_hh", 4, "gain"), ("bias_ln_hh", 4, "shift"),
                               ("weight_ln_c", 1, "gain"), ("bias_ln_c", 1, "shift")]),
    "zoneout": (zoneout_eval_step, []),
}

CASES = [  # name, cell, layers, bidirectional, bias
    ("peephole", "peephole", 1, False, True),
    ("peephole_stacked_bi", "peephole", 2, True, True),
    ("ln_lstm", "ln_lstm", 1, False, True),
    ("ln_lstm_nobias", "ln_lstm", 1, False, False),
    ("ln_lstm_stacked_bi", "ln_lstm", 2, True, True),
    ("zoneout_eval", "zoneout", 1, False, True),
    ("zoneout_eval_stacked_bi", "zoneout", 2, True, True),
]


def make_params(cell, layers, dirs, bias):
    """Parameters in tapegrad's order: per layer, per direction: the LSTM four, then the
    cell's own. Random, including the layer-norm gains (around 1) and shifts."""
    own = CELLS[cell][1]
    k = H ** -0.5
    p = {}
    for l in range(layers):
        fan = I if l == 0 else H * dirs
        for d in range(dirs):
            sfx = f"_l{l}" + ("_reverse" if d else "")
            shapes = [("weight_ih", (4 * H, fan)), ("weight_hh", (4 * H, H))]
            if bias:
                shapes += [("bias_ih", (4 * H,)), ("bias_hh", (4 * H,))]
            for name, shape in shapes:
                p[name + sfx] = (torch.rand(shape, dtype=torch.float64) * 2 - 1) * k
            for name, units, kind in own:
                n = units * H
                if kind == "uniform":
                    v = (torch.rand(n, dtype=torch.float64) * 2 - 1) * k
                elif kind == "gain":
                    v = 1 + 0.2 * torch.randn(n, dtype=torch.float64)
                else:
                    v = 0.2 * torch.randn(n, dtype=torch.float64)
                p[name + sfx] = v
    for v in p.values():
        v.requires_grad_()
    return p


def run(cell, p, x, layers, dirs, bias):
    step = CELLS[cell][0]
    seq = x  # (B, T, in)
    for l in range(layers):
        outs = []
        for d in range(dirs):
            sfx = f"_l{l}" + ("_reverse" if d else "")
            h = torch.zeros(B, H, dtype=torch.float64)
            c = torch.zeros(B, H, dtype=torch.float64)
            hs = [None] * T
            for k in range(T):
                t = T - 1 - k if d else k
                h, c = step(p, sfx, seq[:, t], h, c, bias)
                hs[t] = h
            outs.append(torch.stack(hs, 1))  # (B, T, H)
        seq = torch.cat(outs, 2)
    return seq


def layer_norm_cases(w):
    cases = [("ln_affine", (5, 7), True, True), ("ln_gain", (2, 3, 33), True, False),
             ("ln_plain", (4, 3), False, False), ("ln_bias", (3, 40), False, True),
             ("ln_wide", (2, 1024), True, True)]
    for name, shape, has_gain, has_bias in cases:
        n = shape[-1]
        x = (3 * torch.randn(shape, dtype=torch.float64) + 0.5).requires_grad_()
        gain = (1 + 0.3 * torch.randn(n, dtype=torch.float64)).requires_grad_() if has_gain else None
        bias = (0.3 * torch.randn(n, dtype=torch.float64)).requires_grad_() if has_bias else None
        y = F.layer_norm(x, (n,), gain, bias, EPS)
        wy = torch.randn_like(y)
        (y * wy).sum().backward()
        w.add(f"{name}.x", x)
        w.add(f"{name}.w_y", wy)
        w.add(f"{name}.y", y)
        w.add(f"{name}.grad.x", x.grad)
        if has_gain:
            w.add(f"{name}.gain", gain)
            w.add(f"{name}.grad.gain", gain.grad)
        if has_bias:
            w.add(f"{name}.bias", bias)
            w.add(f"{name}.grad.bias", bias.grad)


def main():
    torch.manual_seed(20261201)
    w = Writer("variants.txt", __doc__)
    layer_norm_cases(w)
    w.add("zoneout.rates", torch.tensor([ZC, ZH], dtype=torch.float64))
    for name, cell, layers, bi, bias in CASES:
        dirs = 2 if bi else 1
        p = make_params(cell, layers, dirs, bias)
        x = torch.randn(B, T, I, dtype=torch.float64, requires_grad=True)
        out = run(cell, p, x, layers, dirs, bias)
        w_out = torch.randn_like(out)
        (out * w_out).sum().backward()
        w.add(f"{name}.x", x)
        w.add(f"{name}.nparams", torch.tensor(float(len(p))))
        for key, v in p.items():
            w.add(f"{name}.param.{key}", v)
            w.add(f"{name}.grad.{key}", v.grad)
        w.add(f"{name}.out", out)
        w.add(f"{name}.w_out", w_out)
        w.add(f"{name}.grad.x", x.grad)
    w.save()


if __name__ == "__main__":
    main()
