"""tools/make_fixtures_optim.py — parity data for optim/: writes tests/fixtures/optim.txt.

Run with Debian's PyTorch:  /usr/bin/python3 tools/make_fixtures_optim.py

What it records, all in float64 and deterministic (torch.manual_seed):
  * every optimizer variant for STEPS consecutive steps on two parameters, from the same
    start values and per-step gradients (init.*, grad.s<k>.*), the parameters after each
    step (<variant>.s<k>.<param>). The PyTorch variants run torch.optim itself.
  * the Keras variants (RMSprop with eps inside the square root, Adam with "epsilon hat"):
    Keras is not installed here, so KerasRMSprop and KerasAdam below write out the update
    rules of Keras 3 / tf.keras >= 2.11 in float64 torch arithmetic. Those fixtures check
    the C code against that formula, not against Keras itself.
  * every variant's per-parameter state after STATE_AT steps, under PyTorch's buffer names
    (<variant>.state3.<param>.<buffer>, .nbuf, .step where PyTorch keeps a step).
  * a parameter added to the store after two steps (torch: add_param_group).
  * clip_grad_norm_ (clipping and not clipping) and clip_grad_value_.
  * StepLR, ExponentialLR, CosineAnnealingLR and ReduceLROnPlateau, as the lr PyTorch's
    schedulers leave in the optimizer after each epoch.

Hyperparameters live in VARIANTS below; tests/test_optim.c mirrors that table by hand
(same names), so change both together.
"""
import math

import torch

from fixtures import Writer

DT = torch.float64
STEPS = 4
STATE_AT = 3  # the step after which every variant's state is written
SHAPES = {"a": (3, 4), "b": (5,)}


class KerasRMSprop:
    """Keras' RMSprop update: v = rho v + (1-rho) g^2; d = v (- mg^2 when centered) + eps;
    inc = lr g / sqrt(d); with momentum m = momentum m + inc, p -= m; else p -= inc."""

    def __init__(self, params, lr=1e-3, rho=0.9, eps=1e-7, momentum=0.0, centered=False):
        self.params, self.lr, self.rho, self.eps = list(params), lr, rho, eps
        self.momentum, self.centered = momentum, centered
        self.state = {}

    @torch.no_grad()
    def step(self):
        for p in self.params:
            st = self.state.setdefault(p, {"v": torch.zeros_like(p), "mg": torch.zeros_like(p),
                                           "m": torch.zeros_like(p)})
            g = p.grad
            st["v"] = self.rho * st["v"] + (1 - self.rho) * g * g
            if self.centered:
                st["mg"] = self.rho * st["mg"] + (1 - self.rho) * g
                denom = st["v"] - st["mg"] ** 2 + self.eps
            else:
                denom = st["v"] + self.eps
            inc = self.lr * g / torch.sqrt(denom)
            if self.momentum > 0:
                st["m"] = self.momentum * st["m"] + inc
                p -= st["m"]
            else:
                p -= inc


class KerasAdam:
    """Keras' Adam update: a_t = lr sqrt(1-b2^t)/(1-b1^t); m += (g-m)(1-b1);
    v += (g^2-v)(1-b2); p -= a_t m / (sqrt(v) + eps)."""

    def __init__(self, params, lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-7):
        self.params, self.lr, self.b1, self.b2, self.eps = list(params), lr, beta_1, beta_2, eps
        self.state = {}
        self.t = 0

    @torch.no_grad()
    def step(self):
        self.t += 1
        alpha = self.lr * math.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t)
        for p in self.params:
            st = self.state.setdefault(p, {"m": torch.zeros_like(p), "v": torch.zeros_like(p)})
            g = p.grad
            st["m"] += (g - st["m"]) * (1 - self.b1)
            st["v"] += (g * g - st["v"]) * (1 - self.b2)
            p -= alpha * st["m"] / (torch.sqrt(st["v"]) + self.eps)


# name -> (constructor, keyword arguments). Large eps values make the eps placement show;
# lr 0.05..0.1 make the updates large against the parameters.
O = torch.optim
VARIANTS = [
    ("sgd_default", O.SGD, dict(lr=1e-2)),
    ("sgd", O.SGD, dict(lr=0.1)),
    ("sgd_momentum", O.SGD, dict(lr=0.1, momentum=0.9)),
    ("sgd_dampening_wd", O.SGD, dict(lr=0.1, momentum=0.8, dampening=0.5, weight_decay=0.1)),
    ("sgd_nesterov_wd", O.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("rmsprop_default", O.RMSprop, dict()),
    ("rmsprop_eps_wd", O.RMSprop, dict(lr=0.05, alpha=0.9, eps=0.1, weight_decay=0.1)),
    ("rmsprop_momentum", O.RMSprop, dict(lr=0.05, alpha=0.9, eps=1e-2, momentum=0.9)),
    ("rmsprop_centered", O.RMSprop, dict(lr=0.05, alpha=0.9, eps=1e-2, centered=True)),
    ("rmsprop_centered_momentum", O.RMSprop,
     dict(lr=0.05, alpha=0.9, eps=1e-2, centered=True, momentum=0.5, weight_decay=0.1)),
    ("rmsprop_keras_default", KerasRMSprop, dict()),
    ("rmsprop_keras_eps", KerasRMSprop, dict(lr=0.05, rho=0.8, eps=0.1)),
    ("rmsprop_keras_momentum", KerasRMSprop, dict(lr=0.05, rho=0.8, eps=1e-2, momentum=0.9)),
    ("rmsprop_keras_centered", KerasRMSprop, dict(lr=0.05, rho=0.8, eps=1e-2, centered=True)),
    ("rmsprop_keras_centered_momentum", KerasRMSprop,
     dict(lr=0.05, rho=0.8, eps=1e-2, centered=True, momentum=0.5)),
    ("adam_default", O.Adam, dict()),
    ("adam_eps_wd", O.Adam, dict(lr=0.05, betas=(0.8, 0.99), eps=0.1, weight_decay=0.1)),
    ("adamw_default", O.AdamW, dict()),
    ("adamw", O.AdamW, dict(lr=0.05, betas=(0.8, 0.99), eps=1e-2, weight_decay=0.5)),
    ("adam_keras_default", KerasAdam, dict()),
    ("adam_keras_eps", KerasAdam, dict(lr=0.05, beta_1=0.8, beta_2=0.99, eps=0.1)),
    ("adagrad_default", O.Adagrad, dict()),
    ("adagrad_decay", O.Adagrad, dict(lr=0.1, lr_decay=0.5, weight_decay=0.1,
                                      initial_accumulator_value=0.1, eps=1e-2)),
]


# The Keras classes' buffers under the PyTorch names tapegrad gives them.
KERAS_NAMES = {"v": "square_avg", "mg": "grad_avg", "m": "momentum_buffer"}
KERAS_ADAM_NAMES = {"m": "exp_avg", "v": "exp_avg_sq"}


def state_of(opt, p):
    """{buffer name: tensor} and the step count of p's optimizer state, PyTorch names."""
    if isinstance(opt, KerasRMSprop):
        st = opt.state[p]
        keep = ["v"] + (["mg"] if opt.centered else []) + (["m"] if opt.momentum > 0 else [])
        return {KERAS_NAMES[k]: st[k] for k in keep}, None
    if isinstance(opt, KerasAdam):
        return {KERAS_ADAM_NAMES[k]: v for k, v in opt.state[p].items()}, opt.t
    st = opt.state[p]
    bufs = {k: v for k, v in st.items() if k != "step" and v is not None}
    step = st.get("step")
    return bufs, None if step is None else int(step)


def run_variant(w, name, ctor, kw, init, grads):
    params = {k: init[k].clone().requires_grad_(True) for k in SHAPES}
    opt = ctor(list(params.values()), **kw)
    for s in range(STEPS):
        for k, p in params.items():
            p.grad = grads[s][k].clone()
        opt.step()
        for k, p in params.items():
            w.add(f"{name}.s{s + 1}.{k}", p.detach())
        if s + 1 == STATE_AT:  # the optimizer's state by PyTorch's names
            for k, p in params.items():
                bufs, step = state_of(opt, p)
                w.add(f"{name}.state{STATE_AT}.{k}.nbuf", torch.tensor(float(len(bufs))))
                for b, v in bufs.items():
                    w.add(f"{name}.state{STATE_AT}.{k}.{b}", v)
                if step is not None:
                    w.add(f"{name}.state{STATE_AT}.{k}.step", torch.tensor(float(step)))


def run_late_param(w, init, grads, init_c, grads_c):
    """Adam on a and b for two steps, then c joins (its own step count starts at 1)."""
    kw = dict(lr=0.1, betas=(0.8, 0.99), eps=1e-3)
    params = {k: init[k].clone().requires_grad_(True) for k in SHAPES}
    opt = O.Adam(list(params.values()), **kw)
    for s in range(STEPS):
        if s == 2:
            params["c"] = init_c.clone().requires_grad_(True)
            opt.add_param_group({"params": [params["c"]]})
        for k, p in params.items():
            p.grad = (grads_c[s] if k == "c" else grads[s][k]).clone()
        opt.step()
        for k, p in params.items():
            w.add(f"adam_late.s{s + 1}.{k}", p.detach())


def clip_cases(w):
    g = {k: 2.0 * torch.randn(s, dtype=DT) for k, s in SHAPES.items()}
    for k in SHAPES:
        w.add(f"clip.grad.{k}", g[k])
    for tag, max_norm in (("norm", 1.0), ("norm_big", 100.0)):
        ps = [torch.zeros(SHAPES[k], dtype=DT, requires_grad=True) for k in SHAPES]
        for p, k in zip(ps, SHAPES):
            p.grad = g[k].clone()
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm)
        w.add(f"clip.{tag}.total", total.reshape(1))
        for p, k in zip(ps, SHAPES):
            w.add(f"clip.{tag}.{k}", p.grad)
    ps = [torch.zeros(SHAPES[k], dtype=DT, requires_grad=True) for k in SHAPES]
    for p, k in zip(ps, SHAPES):
        p.grad = g[k].clone()
    torch.nn.utils.clip_grad_value_(ps, 0.5)
    for p, k in zip(ps, SHAPES):
        w.add(f"clip.value.{k}", p.grad)


def scheduled_lrs(make_sched, lr0, epochs):
    """The lr in the optimizer at epoch 0, 1, ..., epochs-1 (scheduler.step() per epoch)."""
    opt = O.SGD([torch.zeros(1, requires_grad=True)], lr=lr0)
    sched = make_sched(opt)
    lrs = []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return torch.tensor(lrs, dtype=DT)


def schedules(w):
    S = O.lr_scheduler
    w.add("sched.step", scheduled_lrs(lambda o: S.StepLR(o, step_size=3, gamma=0.5), 0.1, 16))
    w.add("sched.exponential", scheduled_lrs(lambda o: S.ExponentialLR(o, gamma=0.9), 0.1, 16))
    cos = scheduled_lrs(lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=1e-3), 0.1, 31)
    closed = torch.tensor([1e-3 + (0.1 - 1e-3) * (1 + math.cos(math.pi * e / 10)) / 2
                           for e in range(31)], dtype=DT)
    # PyTorch steps the cosine recursively; the closed form the C code uses must agree.
    assert torch.allclose(cos, closed, rtol=1e-12, atol=1e-15), (cos, closed)
    w.add("sched.cosine", cos)

    # ReduceLROnPlateau: a noisy metric that improves, then stalls.
    n = 60
    trend = torch.cat([torch.linspace(1.0, 0.5, 12, dtype=DT), torch.full((n - 12,), 0.5, dtype=DT)])
    metric = trend + 0.02 * torch.randn(n, dtype=DT)
    cases = {
        "default": (0.1, dict()),
        "custom": (0.1, dict(patience=2, cooldown=1, factor=0.5, min_lr=0.02, threshold=1e-2)),
        "max_abs": (0.1, dict(mode="max", threshold_mode="abs", threshold=0.05, patience=1,
                              cooldown=2, factor=0.3)),
    }
    for tag, (lr0, kw) in cases.items():
        opt = O.SGD([torch.zeros(1, requires_grad=True)], lr=lr0)
        sched = S.ReduceLROnPlateau(opt, **kw)
        m = -metric if kw.get("mode") == "max" else metric  # max mode: an accuracy
        w.add(f"plateau.{tag}.metric", m)
        lrs = []
        for e in range(n):
            sched.step(float(m[e]))
            lrs.append(opt.param_groups[0]["lr"])
        w.add(f"plateau.{tag}.lr", torch.tensor(lrs, dtype=DT))


def main():
    torch.manual_seed(0)
    w = Writer("optim.txt", __doc__.split("\n\n")[0] + "\nGenerated with torch "
               + torch.__version__ + " by tools/make_fixtures_optim.py; do not edit.")
    init = {k: 0.5 * torch.randn(s, dtype=DT) for k, s in SHAPES.items()}
    grads = [{k: 0.5 * torch.randn(s, dtype=DT) for k, s in SHAPES.items()} for _ in range(STEPS)]
    init_c = 0.5 * torch.randn(2, dtype=DT)
    grads_c = [0.5 * torch.randn(2, dtype=DT) for _ in range(STEPS)]
    for k in SHAPES:
        w.add(f"init.{k}", init[k])
        for s in range(STEPS):
            w.add(f"grad.s{s + 1}.{k}", grads[s][k])
    w.add("init.c", init_c)
    for s in range(STEPS):
        w.add(f"grad.s{s + 1}.c", grads_c[s])
    for name, ctor, kw in VARIANTS:
        run_variant(w, name, ctor, kw, init, grads)
    run_late_param(w, init, grads, init_c, grads_c)
    clip_cases(w)
    schedules(w)
    w.save()


if __name__ == "__main__":
    main()
