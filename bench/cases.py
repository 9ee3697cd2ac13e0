#!/usr/bin/env python3
"""The published-case benchmark: does gradscope's verdict agree with what
other people published about a training run?

Each case is a setup from a paper, or from an issue thread with an
accepted cause, reproduced small: either an engine job spec run by
`gradscope run`, or a PyTorch model trained here and watched by the Python
client against a real `gradscope serve`. Each has a label, the published
outcome (healthy, vanishing, exploding, diverged), and every case first
checks that its own run shows that outcome, by measurements taken apart
from the verdict's rules:

- healthy: the run learns, its final loss at least 20% below the best
  constant prediction's (the baseline), with no NaN/Inf;
- vanishing: it does not learn (under 5% below the baseline) and on some
  recorded step the first weighted layer's backward signal δ (or, without
  δ, its weight gradient; through time for a recurrent net) is under 1/100
  of the last one's;
- exploding: it does not learn and on some recorded step that ratio is
  over 10;
- diverged: a NaN/Inf or a loss of 1e5 or more appears.

A case whose run does not support its label is reported as such and left
out of the agreement. Then the verdict is compared with the label:
agreement over the supported cases, and false alarms (a healthy control
called anything else).

    swift build -c release --product gradscope
    scripts/python-env.sh torch numpy
    .venv/bin/python bench/cases.py              # the whole table, a few minutes
    .venv/bin/python bench/cases.py --fast       # the cases the test suite runs
    .venv/bin/python bench/cases.py --only he-cnn-xavier,he-cnn-kaiming --json
"""
from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Callable, List, Optional

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "clients/python"))

LABELS = ("healthy", "vanishing", "exploding", "diverged")


@dataclass
class Outcome:
    """What a case's run showed."""
    verdict: str
    first_layer: Optional[str]
    baseline: Optional[float]
    final_loss: float
    nonfinite: bool
    ratios: List[float]  # first/last weighted layer on each recorded step (δ RMS, or ‖∂W‖ without δ), or through time

    @property
    def ratio(self) -> Optional[float]:
        """At the first recorded step."""
        return self.ratios[0] if self.ratios else None

    @property
    def progress(self) -> float:
        if not self.baseline or not math.isfinite(self.final_loss):
            return float("nan")
        return 1 - self.final_loss / self.baseline


@dataclass
class Case:
    id: str
    label: str
    source: str
    what: str
    run: Callable[["Context"], Outcome]
    fast: bool = False  # part of the test suite (scripts/test e2e)


def support(label: str, o: Outcome) -> tuple[bool, str]:
    """Whether the run shows its published outcome, and what it showed."""
    shown = f"progress {o.progress:.2f}"
    if o.ratios:
        shown += f", first/last {o.ratio:.2g} ({min(o.ratios):.2g}…{max(o.ratios):.2g})"
    if o.nonfinite:
        shown += ", NaN/Inf"
    if label == "diverged":
        return o.nonfinite, shown
    if o.nonfinite:
        return False, shown
    if label == "healthy":
        return o.progress >= 0.2, shown
    stalled = not o.progress >= 0.05  # NaN progress counts as stalled
    if label == "vanishing":
        return stalled and bool(o.ratios) and min(o.ratios) < 1e-2, shown
    return stalled and bool(o.ratios) and max(o.ratios) > 10, shown


# -- engine cases ------------------------------------------------------------

def engine(spec: dict) -> Callable[["Context"], Outcome]:
    spec = {"seed": 1, "diagnostics": {"every": 5}, **spec}

    def run(ctx: "Context") -> Outcome:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(spec, f)
        out = subprocess.run([ctx.binary, "run", f.name, "--quiet"], capture_output=True, text=True, check=True).stdout
        os.unlink(f.name)
        records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        start = next(r for r in records if r["type"] == "start")
        steps = [r for r in records if r["type"] == "step"]
        summary = next(r for r in records if r["type"] == "summary")
        report = next(r for r in records if r["type"] == "report")
        losses = [s["loss"] for s in steps]
        final = summary["train_loss"] if summary["train_loss"] is not None else float("nan")
        nonfinite = summary["nonfinite_steps"] > 0 or any(l is None or not math.isfinite(l) or l >= 1e5 for l in losses)
        return Outcome(report["verdict"], report["first_layer"], start.get("baseline_loss"), final, nonfinite,
                       ratios(steps))
    run.spec = spec  # for --repairs
    return run


def repair(spec: dict, binary: str) -> Optional[str]:
    """`gradscope compare` with its default `--remedies auto`: the name of
    the first trial that works (learns with healthy gradients), or None."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
    out = subprocess.run([binary, "compare", f.name, "--json"], capture_output=True, text=True, check=True).stdout
    os.unlink(f.name)
    trials = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return next((t["name"] for t in trials if t.get("works")), None)


def ratios(records: List[dict]) -> List[float]:
    found = (ratio(r) for r in records)
    return [v for v in found if v is not None and math.isfinite(v)]


def ratio(record: dict) -> Optional[float]:
    """First over last weighted (non-recurrent) layer: δ RMS where the record
    has it, else ‖∂W‖; for a recurrent net, ‖∂L/∂h_1‖ over ‖∂L/∂h_T‖ in the
    layer where it is most extreme."""
    through_time = [r["hidden_grad_norms"][0] / r["hidden_grad_norms"][-1] for r in record.get("recurrent", [])
                    if r["hidden_grad_norms"] and r["hidden_grad_norms"][-1]]
    if through_time:
        return max(through_time, key=lambda v: abs(math.log(v)) if v > 0 else math.inf)
    weighted = [l["name"] for l in record["layers"] if l.get("kind") not in ("rnn", "lstm", "gru")]
    signals = {s["name"]: s["delta_rms"] for s in record.get("signals", [])}
    deltas = [signals[n] for n in weighted if signals.get(n) is not None]
    if len(deltas) >= 2 and deltas[-1] > 0:
        return deltas[0] / deltas[-1]
    norms = [l["grad_norm"] for l in record["layers"] if l["name"] in weighted]
    return norms[0] / norms[-1] if len(norms) >= 2 and norms[-1] else None


def mlp(depth, activation, init=None, **extra):
    m = {"depth": depth, "width": 64, "activation": activation, **extra}
    if init is not None:
        m["init"] = init
    return m


SPIRALS = {"source": "spirals", "samples": 600}
SGD = {"type": "sgd", "lr": 0.05, "momentum": 0.9}


def phase(sigma_w: float) -> dict:
    """A 30-layer tanh net of width 64 with weights N(0, σ_w²/64) and zero
    biases: ordered below σ_w = 1, chaotic above (Schoenholz et al. 2017)."""
    return {"data": {"source": "moons", "samples": 600}, "mlp": mlp(30, "tanh", "normal", std=sigma_w / 8),
            "optimizer": {"type": "sgd", "lr": 0.01, "momentum": 0.9}, "training": {"epochs": 20, "batch_size": 32}}


def example(name: str, **training) -> Callable[["Context"], Outcome]:
    spec = json.loads((ROOT / "examples" / f"{name}.json").read_text())
    spec.pop("seed", None)
    if training:
        spec["training"] = {**spec["training"], **training}
    return engine(spec)


# -- PyTorch cases, watched by the client ------------------------------------

def pytorch(build: Callable[[], tuple], steps: int) -> Callable[["Context"], Outcome]:
    """`build()` gives (model, optimizer, batches, loss_fn, baseline): the
    case's own training loop, watched by gradscope.watch."""
    def run(ctx: "Context") -> Outcome:
        import torch
        import gradscope
        torch.manual_seed(0)
        model, opt, batches, loss_fn, baseline = build()
        losses, nonfinite = [], False
        with gradscope.watch(model, url=ctx.server(), optimizer=opt, baseline_loss=baseline, check_nan=True) as run:
            for step in range(steps):
                x, y = batches[step % len(batches)]
                loss = loss_fn(model(x), y)
                opt.zero_grad()
                loss.backward()
                grads = [p.grad for p in model.parameters() if p.grad is not None]
                if not math.isfinite(loss.item()) or not bool(torch.isfinite(torch.stack([g.norm() for g in grads])).all()):
                    nonfinite = True
                opt.step()
                run.log(loss)
                losses.append(loss.item())
        report = get(f"{ctx.server()}/api/jobs/{run.id}/report")
        records = get(f"{ctx.server()}/api/jobs/{run.id}/steps?limit=1000")["steps"]
        tail = sorted(losses[-10:])
        final = tail[len(tail) // 2]
        return Outcome(report["verdict"], report["first_layer"], baseline, final, nonfinite or final >= 1e5,
                       ratios(records))
    return run


def get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def two_class(n=256, d=16, seed=0):
    import torch
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    return x, (x[:, 0] + x[:, 1] > 0).long()


def batches(x, y, size):
    return [(x[i:i + size], y[i:i + size]) for i in range(0, len(x), size)]


def deep_mlp(depth, activation, init=None, lr=0.1, optimizer="sgd"):
    def build():
        import torch
        from torch import nn
        layers, d = [], 16
        for _ in range(depth):
            linear = nn.Linear(d, 64)
            if init is not None:
                init(linear.weight)
                nn.init.zeros_(linear.bias)
            layers += [linear, activation()]
            d = 64
        model = nn.Sequential(*layers, nn.Linear(d, 2))
        opt = (torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9) if optimizer == "sgd"
               else torch.optim.Adam(model.parameters(), lr=lr))
        x, y = two_class()
        return model, opt, batches(x, y, 64), nn.functional.cross_entropy, math.log(2)
    return build


def quadrant_images(n=512, seed=0):
    """8×8 noise with a bright 2×2 patch in one of four quadrants; the class
    is the quadrant: easy for a convolutional net that trains at all."""
    import torch
    g = torch.Generator().manual_seed(seed)
    x = 0.1 * torch.randn(n, 1, 8, 8, generator=g)
    y = torch.randint(0, 4, (n,), generator=g)
    for i in range(n):
        r, c = divmod(int(y[i]), 2)
        x[i, 0, 4 * r + 1:4 * r + 3, 4 * c + 1:4 * c + 3] += 2.0
    return x, y


def plain_cnn(init, depth=20):
    """A plain (no BatchNorm, no skips) deep CNN of 3×3 convolutions and
    ReLUs, as in He et al. 2015, Fig. 3, on a small task."""
    def build():
        import torch
        from torch import nn
        layers, c = [], 1
        for _ in range(depth):
            conv = nn.Conv2d(c, 16, 3, padding=1)
            init(conv.weight)
            nn.init.zeros_(conv.bias)
            layers += [conv, nn.ReLU()]
            c = 16
        model = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(64, 4))
        opt = torch.optim.SGD(model.parameters(), lr=0.005, momentum=0.9)
        x, y = quadrant_images()
        return model, opt, batches(x, y, 64), nn.functional.cross_entropy, math.log(4)
    return build


def transformer(norm_first: bool, layers=18, lr=3e-3):
    """An encoder of `layers` blocks, d = 64, 4 heads, trained with Adam
    without warm-up on a sequence task (the class is the token most
    frequent in a sequence of 12). Post-LN blocks need a warm-up at this
    depth and learning rate, Pre-LN blocks do not (Xiong et al. 2020)."""
    def build():
        import torch
        from torch import nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(8, 64)
                block = nn.TransformerEncoderLayer(64, 4, 128, dropout=0.0, batch_first=True, norm_first=norm_first)
                self.encoder = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
                self.head = nn.Linear(64, 8)

            def forward(self, tokens):
                return self.head(self.encoder(self.embed(tokens)).mean(1))

        g = torch.Generator().manual_seed(0)
        tokens = torch.randint(0, 8, (512, 12), generator=g)
        y = torch.mode(tokens, 1).values
        model = Net()
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        return model, opt, batches(tokens, y, 64), nn.functional.cross_entropy, math.log(8)
    return build


def normalised_features(safe: bool):
    """Features scaled to unit length before the classifier. Written as
    x.pow(2).sum().sqrt(), a row of exactly zero features (a bias-free ReLU
    layer on an all-zero input) gets a NaN gradient: sqrt's derivative is
    infinite at 0 and multiplies a 0 (pytorch/pytorch#2421; PR #2775 notes
    that .norm() has the subgradient 0 there while .pow(2).sum().sqrt() does
    not). torch.linalg.vector_norm, clamped, is the fix."""
    def build():
        import torch
        from torch import nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = nn.Sequential(nn.Linear(16, 32, bias=False), nn.ReLU())
                self.head = nn.Linear(32, 2)

            def forward(self, x):
                h = self.features(x)
                if safe:
                    n = torch.linalg.vector_norm(h, dim=1, keepdim=True).clamp_min(1e-6)
                else:
                    n = h.pow(2).sum(1, keepdim=True).sqrt()
                return self.head(4 * h / n)

        x, y = two_class()
        x[::16] = 0  # padding rows, as batches of variable-length data have
        model = Net()
        return model, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), batches(x, y, 64), \
            nn.functional.cross_entropy, math.log(2)
    return build


def hand_written_softmax(safe: bool):
    """Cross-entropy as -log(softmax(z)) on confident logits: a wrong class
    whose probability underflows to 0 in float32 gives log 0 = -inf, then
    NaN gradients (zackchase/mxnet-the-straight-dope#3, fixed by
    log_softmax; skorch-dev/skorch#481). F.cross_entropy computes
    log_softmax stably."""
    def build():
        import torch
        from torch import nn

        model = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 2))
        with torch.no_grad():
            model[2].weight.mul_(400)  # confident from the start, as a model late in training is

        def naive(z, y):
            return -torch.log(torch.softmax(z, 1)[torch.arange(len(y)), y]).mean()

        x, y = two_class()
        return model, torch.optim.SGD(model.parameters(), lr=0.01), batches(x, y, 64), \
            (nn.functional.cross_entropy if safe else naive), math.log(2)
    return build


def lstm_memory(cell: str):
    """The class is the sign of the first of 30 inputs; the rest is noise:
    the gradient has to reach back 30 steps (Hochreiter & Schmidhuber 1997)."""
    def build():
        import torch
        from torch import nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = (nn.LSTM if cell == "lstm" else nn.RNN)(1, 32, batch_first=True)
                self.head = nn.Linear(32, 2)

            def forward(self, x):
                return self.head(self.rnn(x)[0][:, -1])

        g = torch.Generator().manual_seed(0)
        x = torch.randn(512, 30, 1, generator=g)
        y = (x[:, 0, 0] > 0).long()
        model = Net()
        return model, torch.optim.Adam(model.parameters(), lr=0.01), batches(x, y, 64), \
            nn.functional.cross_entropy, math.log(2)
    return build


def table() -> List[Case]:
    he, xavier = "kaiming_normal", "xavier_normal"

    def torch_init(name):
        import torch.nn as nn
        return {"xavier": nn.init.xavier_normal_,
                "kaiming": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu")}[name]

    def lazy(name):
        return lambda w: torch_init(name)(w)

    def act(name):
        import torch.nn as nn
        return {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}[name]

    def lazy_act(name):
        return lambda: act(name)()

    glorot = "Glorot & Bengio 2010, Understanding the difficulty of training deep feedforward neural networks (AISTATS), §4"
    he2015 = "He, Zhang, Ren & Sun 2015, Delving Deep into Rectifiers (ICCV), §2.2 and Fig. 3"
    schoenholz = "Schoenholz, Gilmer, Ganguli & Sohl-Dickstein 2017, Deep Information Propagation (ICLR), §3 and Fig. 5"
    pascanu = "Pascanu, Mikolov & Bengio 2013, On the difficulty of training recurrent neural networks (ICML), §3.2 and §5"
    lstm = "Hochreiter & Schmidhuber 1997, Long Short-Term Memory (Neural Computation), §3 and §5"
    bengio = "Bengio 2012, Practical recommendations for gradient-based training of deep architectures, §3.1.1 (too large a learning rate diverges)"
    ioffe = "Ioffe & Szegedy 2015, Batch Normalization (ICML), §3.3: saturating nonlinearities trainable with BatchNorm"
    resnet = "He, Zhang, Ren & Sun 2016, Deep Residual Learning for Image Recognition (CVPR), §4.1"
    xiong = "Xiong et al. 2020, On Layer Normalization in the Transformer Architecture (ICML), §3; Liu et al. 2020, Understanding the Difficulty of Training Transformers (EMNLP), §3"
    norm_nan = "pytorch/pytorch#2421 (gradient of a zero norm is NaN) and PR #2775"
    softmax_nan = "zackchase/mxnet-the-straight-dope#3 (a hand-written softmax blows up; fixed with log_softmax) and skorch-dev/skorch#481"
    return [
        # Engine specs: MLPs.
        Case("glorot-sigmoid-20", "vanishing", glorot, "20-layer sigmoid MLP, PyTorch's default init, spirals",
             engine({"data": SPIRALS, "mlp": mlp(20, "sigmoid"), "optimizer": SGD, "training": {"epochs": 8, "batch_size": 32}}), fast=True),
        Case("glorot-tanh-xavier-5", "healthy", glorot, "5-layer tanh MLP, Xavier init with tanh's gain, spirals, Adam",
             engine({"data": SPIRALS, "mlp": mlp(5, "tanh", xavier, gain=5 / 3), "optimizer": {"type": "adam", "lr": 0.01},
                     "training": {"epochs": 30, "batch_size": 32}}), fast=True),
        Case("he-relu-xavier-30", "vanishing", he2015, "30-layer ReLU MLP, Xavier init, spirals",
             engine({"data": SPIRALS, "mlp": mlp(30, "relu", xavier), "optimizer": SGD, "training": {"epochs": 8, "batch_size": 32}})),
        Case("he-relu-kaiming-30", "healthy", he2015, "30-layer ReLU MLP, He init, spirals",
             engine({"data": SPIRALS, "mlp": mlp(30, "relu", he), "optimizer": {"type": "sgd", "lr": 0.01, "momentum": 0.9},
                     "training": {"epochs": 30, "batch_size": 32}})),
        Case("schoenholz-chaotic", "exploding", schoenholz, "30-layer tanh MLP, σ_w = 2.5 (chaotic phase), moons",
             engine(phase(2.5))),
        Case("schoenholz-ordered", "vanishing", schoenholz, "30-layer tanh MLP, σ_w = 0.5 (ordered phase), moons",
             engine(phase(0.5))),
        Case("schoenholz-critical", "healthy", schoenholz, "30-layer tanh MLP, σ_w = 1 (critical), moons",
             engine(phase(1.0))),
        Case("bengio-lr-5", "diverged", bengio, "4-layer ReLU MLP, He init, SGD at lr 5, spirals",
             engine({"data": SPIRALS, "mlp": mlp(4, "relu", he), "optimizer": {"type": "sgd", "lr": 5.0},
                     "training": {"epochs": 8, "batch_size": 32}}), fast=True),
        Case("bengio-lr-0.05", "healthy", bengio, "the same at lr 0.05 with momentum",
             engine({"data": SPIRALS, "mlp": mlp(4, "relu", he), "optimizer": SGD, "training": {"epochs": 20, "batch_size": 32}}), fast=True),
        Case("ioffe-sigmoid-batchnorm-20", "healthy", ioffe, "20-layer sigmoid MLP with BatchNorm, spirals",
             engine({"data": SPIRALS, "mlp": mlp(20, "sigmoid", batchnorm=True), "optimizer": {"type": "adam", "lr": 0.01},
                     "training": {"epochs": 20, "batch_size": 32}})),
        Case("resnet-relu-30", "healthy", resnet, "30-layer residual ReLU MLP with BatchNorm, He init, spirals",
             engine({"data": SPIRALS, "mlp": mlp(30, "relu", he, batchnorm=True, residual=True), "optimizer": {"type": "adam", "lr": 0.001},
                     "training": {"epochs": 20, "batch_size": 32}})),
        # Engine specs: RNNs (examples/).
        Case("pascanu-rnn-exploding", "diverged", pascanu, "tanh RNN, orthogonal weight_hh at scale 1.6, adding problem T = 50",
             example("rnn-exploding")),
        Case("pascanu-rnn-clipped", "healthy", pascanu, "the same with the global norm clipped at 1",
             example("rnn-clipped")),
        Case("hochreiter-rnn", "vanishing", lstm, "tanh RNN, PyTorch's default init, adding problem T = 50",
             example("rnn-vanishing", epochs=3)),
        Case("hochreiter-lstm", "healthy", lstm, "LSTM with an open forget gate, the same task",
             example("lstm-adding")),
        # PyTorch models watched by the client.
        Case("torch-glorot-sigmoid-20", "vanishing", glorot, "20-layer sigmoid MLP, PyTorch's default init",
             pytorch(deep_mlp(20, lazy_act("sigmoid")), 120), fast=True),
        Case("torch-he-relu-20", "healthy", he2015, "20-layer ReLU MLP, He init",
             pytorch(deep_mlp(20, lazy_act("relu"), lazy("kaiming"), lr=0.01), 120), fast=True),
        Case("he-cnn-xavier", "vanishing", he2015, "20-layer plain CNN, Xavier init, ReLU",
             pytorch(plain_cnn(lazy("xavier")), 120)),
        Case("he-cnn-kaiming", "healthy", he2015, "the same CNN with He init",
             pytorch(plain_cnn(lazy("kaiming")), 120)),
        Case("xiong-post-ln", "vanishing", xiong, "18-block Post-LN Transformer encoder, Adam 3e-3 without warm-up",
             pytorch(transformer(False), 200)),
        Case("xiong-pre-ln", "healthy", xiong, "the same with Pre-LN blocks",
             pytorch(transformer(True), 200)),
        Case("torch-norm-sqrt", "diverged", norm_nan, "features normalised by x.pow(2).sum().sqrt(), zero rows in the data",
             pytorch(normalised_features(False), 60), fast=True),
        Case("torch-norm-vector", "healthy", norm_nan, "the same with torch.linalg.vector_norm, clamped",
             pytorch(normalised_features(True), 60), fast=True),
        Case("torch-softmax-log", "diverged", softmax_nan, "-log(softmax(z)) on confident logits",
             pytorch(hand_written_softmax(False), 60), fast=True),
        Case("torch-cross-entropy", "healthy", softmax_nan, "the same with F.cross_entropy",
             pytorch(hand_written_softmax(True), 60), fast=True),
        Case("torch-lstm-memory", "healthy", lstm, "LSTM remembering its first input over 30 steps",
             pytorch(lstm_memory("lstm"), 150)),
    ]


class Context:
    """The binary, and one `gradscope serve` for the PyTorch cases, started
    when the first one needs it."""

    def __init__(self, binary: str):
        self.binary = binary
        self._url = None
        self._proc = None

    def server(self) -> str:
        if self._url is None:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            self._proc = subprocess.Popen([self.binary, "serve", "--port", str(port), "--data-dir", tempfile.mkdtemp()],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self._url = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    get(self._url + "/healthz")
                    break
                except OSError:
                    time.sleep(0.1)
        return self._url

    def close(self):
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(10)


@dataclass
class Result:
    case: Case
    outcome: Optional[Outcome] = None
    supported: bool = False
    shown: str = ""
    error: Optional[str] = None
    seconds: float = 0.0

    @property
    def agrees(self) -> bool:
        return self.supported and self.outcome is not None and self.outcome.verdict == self.case.label

    @property
    def false_alarm(self) -> bool:
        return self.supported and self.case.label == "healthy" and self.outcome.verdict != "healthy"


def evaluate(cases: List[Case], binary: str) -> List[Result]:
    ctx = Context(binary)
    results = []
    try:
        for case in cases:
            r = Result(case)
            began = time.monotonic()
            try:
                r.outcome = case.run(ctx)
                r.supported, r.shown = support(case.label, r.outcome)
            except Exception as e:  # noqa: BLE001 - one broken case must not hide the table
                r.error = repr(e)
            r.seconds = time.monotonic() - began
            results.append(r)
    finally:
        ctx.close()
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fast", action="store_true", help="only the cases the test suite runs")
    ap.add_argument("--only", help="comma-separated case ids")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--repairs", action="store_true",
                    help="also try the report's remedies on every unhealthy engine case (gradscope compare) and print the repair rate")
    ap.add_argument("--bin", default=os.environ.get("GRADSCOPE_BIN", str(ROOT / ".build/release/gradscope")))
    args = ap.parse_args()
    cases = table()
    if args.fast:
        cases = [c for c in cases if c.fast]
    if args.only:
        chosen = set(args.only.split(","))
        cases = [c for c in cases if c.id in chosen]
    results = evaluate(cases, args.bin)
    if args.json:
        print(json.dumps([{"id": r.case.id, "label": r.case.label, "verdict": r.outcome.verdict if r.outcome else None,
                           "first_layer": r.outcome.first_layer if r.outcome else None, "supported": r.supported,
                           "shown": r.shown, "error": r.error, "seconds": round(r.seconds, 1), "source": r.case.source}
                          for r in results], indent=1))
    else:
        print(f"{'case':28} {'label':10} {'verdict':10} {'run shows':44} {'s':>5}")
        for r in results:
            verdict = r.outcome.verdict if r.outcome else "error"
            mark = "" if not r.supported else ("ok" if r.agrees else "DISAGREES")
            print(f"{r.case.id:28} {r.case.label:10} {verdict:10} {(r.shown or r.error or '')[:44]:44} {r.seconds:5.1f} "
                  f"{'' if r.supported else 'label not supported'}{mark}")
    supported = [r for r in results if r.supported]
    agree = sum(r.agrees for r in supported)
    if args.repairs:
        broken = [r for r in supported if r.case.label != "healthy" and hasattr(r.case.run, "spec")]
        repaired = 0
        for r in broken:
            works = repair(r.case.run.spec, args.bin)
            repaired += works is not None
            print(f"repair {r.case.id:28} {works or 'none works'}")
        print(f"repaired: {repaired}/{len(broken)} unhealthy engine cases")
    controls = [r for r in supported if r.case.label == "healthy"]
    print(f"\nagreement: {agree}/{len(supported)} supported cases"
          + (f" ({100 * agree / len(supported):.0f}%)" if supported else "")
          + f"; false alarms: {sum(r.false_alarm for r in controls)}/{len(controls)} healthy controls"
          + f"; labels the run did not support: {len(results) - len(supported)}", file=sys.stderr if args.json else sys.stdout)
    return 0 if supported and agree == len(supported) else 1


if __name__ == "__main__":
    sys.exit(main())
