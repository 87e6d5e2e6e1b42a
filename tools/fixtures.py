"""tools/fixtures.py — writes parity fixtures in the text format tests/fixture.c reads.

Shared by the tools/make_fixtures_*.py scripts (run with Debian's python3-torch:
/usr/bin/python3). Values are written in float64 with 17 significant digits.
"""
import os

import torch

FIXTURE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")


class Writer:
    def __init__(self, name, comment):
        self.path = os.path.join(FIXTURE_DIR, name)
        self.lines = [f"# {line}" for line in comment.strip().splitlines()]
        self.names = set()

    def add(self, name, t):
        t = torch.as_tensor(t).detach().to(torch.float64).contiguous()
        assert name not in self.names, name
        assert t.dim() <= 4, (name, t.shape)
        self.names.add(name)
        dims = " ".join(str(d) for d in t.shape)
        self.lines.append(f"tensor {name} {t.dim()} {dims}".rstrip())
        flat = t.reshape(-1).tolist()
        for i in range(0, len(flat), 8):
            self.lines.append(" ".join(f"{v:.17g}" for v in flat[i:i + 8]))

    def save(self):
        os.makedirs(FIXTURE_DIR, exist_ok=True)
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write("\n".join(self.lines) + "\n")
        os.replace(tmp, self.path)
        print(f"wrote {os.path.relpath(self.path)} ({len(self.names)} tensors)")
