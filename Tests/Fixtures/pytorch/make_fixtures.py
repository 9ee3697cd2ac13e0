#!/usr/bin/env python3
"""Generate PyTorch reference fixtures for gradscope.

Every case is a tiny network trained for a few steps with PyTorch (float32, one
thread, CPU).  One JSON file per case is written next to this script.  See
README.md in this folder for the file format.

Determinism: initial weights, inputs and targets come from a seeded
numpy.random.default_rng (one seed per case), never from torch's own
initialisers, so the files are bit-for-bit reproducible with the same torch
build.  torch.manual_seed is set as well, although nothing here draws from it.

Run:  python3 Tests/Fixtures/pytorch/make_fixtures.py   (from the repo root)
"""

import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)
torch.use_deterministic_algorithms(True)

OUT_DIR = os.path.dirname(os.path.abspath(__file__))
F32 = np.float32


# --------------------------------------------------------------------------
# Model built from a gradscope layer spec list
# --------------------------------------------------------------------------

def make_activation(spec):
    t = spec["type"]
    if t == "relu":
        return nn.ReLU()
    if t == "leaky_relu":
        return nn.LeakyReLU(negative_slope=spec["slope"])
    if t == "elu":
        return nn.ELU(alpha=1.0)
    if t == "gelu":
        return nn.GELU(approximate="none")
    if t == "sigmoid":
        return nn.Sigmoid()
    if t == "tanh":
        return nn.Tanh()
    if t == "softplus":
        return nn.Softplus(beta=1.0, threshold=20.0)
    if t == "identity":
        return nn.Identity()
    raise ValueError("unknown layer type %r" % t)


class Recurrent(nn.Module):
    """A gradscope recurrent layer over rows of T*F values (time-major).

    The parameters are those of torch.nn.RNN / LSTM / GRU (batch_first=True),
    registered as `rnn0.weight_ih_l0` etc.  forward() unrolls the cells by
    hand on those same tensors, so that the hidden states h_t exist as graph
    nodes (for the profile of dL/dh_t) and can be detached every `tbptt`
    steps; `check_against_module` asserts that the unrolled computation is
    exactly what the torch module computes."""

    def __init__(self, spec, steps, in_dim):
        super().__init__()
        self.kind = spec["type"]
        self.steps = steps
        self.hidden = spec["hidden"]
        self.layers = spec.get("num_layers", 1)
        self.return_sequences = spec.get("return_sequences", False)
        self.tbptt = spec.get("tbptt")
        self.nonlinearity = spec.get("nonlinearity", "tanh")
        args = dict(input_size=in_dim // steps, hidden_size=self.hidden, num_layers=self.layers,
                    batch_first=True)
        if self.kind == "rnn":
            module = nn.RNN(nonlinearity=self.nonlinearity, **args)
        elif self.kind == "lstm":
            module = nn.LSTM(**args)
        else:
            module = nn.GRU(**args)
        # The torch module's parameters, registered under this layer's name
        # only (the module itself is kept out of the state dict).
        object.__setattr__(self, "module", module)
        for name, p in list(module.named_parameters()):
            self.register_parameter(name, p)
        self.out_dim = steps * self.hidden if self.return_sequences else self.hidden
        self.states = []  # per layer, [h_1 … h_T] of the last forward

    def _parameters_of_layer(self, k):
        return [getattr(self, "%s_l%d" % (n, k)) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]

    def forward(self, x):
        B = x.shape[0]
        self.last_input = x.detach()
        seq = x.reshape(B, self.steps, -1)
        self.states = []
        for k in range(self.layers):
            w_ih, w_hh, b_ih, b_hh = self._parameters_of_layer(k)
            h = torch.zeros(B, self.hidden)
            c = torch.zeros(B, self.hidden)
            outs = []
            for t in range(self.steps):
                if self.tbptt and t > 0 and t % self.tbptt == 0:
                    h, c = h.detach(), c.detach()
                xt = seq[:, t]
                if self.kind == "rnn":
                    a = xt @ w_ih.T + b_ih + h @ w_hh.T + b_hh
                    h = torch.tanh(a) if self.nonlinearity == "tanh" else torch.relu(a)
                elif self.kind == "lstm":
                    g = xt @ w_ih.T + b_ih + h @ w_hh.T + b_hh
                    i, f, gg, o = g.chunk(4, dim=1)
                    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(gg)
                    h = torch.sigmoid(o) * torch.tanh(c)
                else:
                    gi = xt @ w_ih.T + b_ih
                    gh = h @ w_hh.T + b_hh
                    ir, iz, inn = gi.chunk(3, dim=1)
                    hr, hz, hn = gh.chunk(3, dim=1)
                    r = torch.sigmoid(ir + hr)
                    z = torch.sigmoid(iz + hz)
                    n = torch.tanh(inn + r * hn)
                    h = (1 - z) * n + z * h
                outs.append(h)
            self.states.append(outs)
            seq = torch.stack(outs, dim=1)
        return seq.reshape(B, -1) if self.return_sequences else seq[:, -1]

    def check_against_module(self, x):
        """Without truncation the forward values are the module's own."""
        states = self.states
        with torch.no_grad():
            ours = self.forward(x)
        self.states = states
        with torch.no_grad():
            out, _ = self.module(x.reshape(x.shape[0], self.steps, -1))
            theirs = out.reshape(x.shape[0], -1) if self.return_sequences else out[:, -1]
            assert torch.allclose(ours, theirs, rtol=1e-5, atol=1e-6), (ours - theirs).abs().max()


class Seq(nn.Module):
    """A sequence of layers; parameterised layers are registered under their
    gradscope name so that state_dict keys are e.g. 'fc0.weight',
    'res2.fc.weight'.  Activations are kept in a plain list (no state)."""

    def __init__(self, specs, in_dim, init, steps=None):
        super().__init__()
        self._steps = []
        width = in_dim
        for spec in specs:
            t = spec["type"]
            if t in ("rnn", "lstm", "gru"):
                m = Recurrent(spec, steps, width)
                init.recurrent(m)
                width = m.out_dim
                steps = steps if m.return_sequences else None
            elif t == "dense":
                m = nn.Linear(width, spec["units"])
                init.linear(m)
                width = spec["units"]
            elif t == "batchnorm":
                m = nn.BatchNorm1d(width, eps=1e-5, momentum=0.1)
                init.norm(m)
            elif t == "layernorm":
                m = nn.LayerNorm(width, eps=1e-5)
                init.norm(m)
            elif t == "residual":
                m = Residual(spec, width, init)
                width = m.out_dim
            elif t == "dropout":
                raise ValueError("no dropout in fixtures")
            else:
                m = make_activation(spec)
            if t in ("dense", "batchnorm", "layernorm", "residual", "rnn", "lstm", "gru"):
                name = spec["name"]
                assert "." not in name and not hasattr(self, name), name
                self.add_module(name, m)
            self._steps.append(m)
        self.out_dim = width

    def forward(self, x):
        for m in self._steps:
            x = m(x)
        return x


class Residual(Seq):
    """y = x + f(x), or y = proj(x) + f(x) when widths differ."""

    def __init__(self, spec, in_dim, init):
        super().__init__(spec["layers"], in_dim, init)
        if self.out_dim != in_dim:
            self.proj = nn.Linear(in_dim, self.out_dim)  # with bias
            init.linear(self.proj)
        else:
            self.proj = None

    def forward(self, x):
        fx = super().forward(x)
        skip = x if self.proj is None else self.proj(x)
        return skip + fx


class NumpyInit:
    """Initial values from a seeded numpy RNG, in module construction order."""

    def __init__(self, rng, w_scale=1.0, b_scale=0.3):
        self.rng = rng
        self.w_scale = w_scale
        self.b_scale = b_scale

    def linear(self, m):
        out_f, in_f = m.weight.shape
        w = self.rng.standard_normal((out_f, in_f)) * (self.w_scale / math.sqrt(in_f))
        b = self.rng.uniform(-self.b_scale, self.b_scale, out_f)
        with torch.no_grad():
            m.weight.copy_(torch.from_numpy(w.astype(F32)))
            m.bias.copy_(torch.from_numpy(b.astype(F32)))

    def recurrent(self, m):
        """Weights N(0, (w_scale/sqrt(H))^2), biases U(+-b_scale), in PyTorch's parameter order."""
        for name, p in m.module.named_parameters():
            if name.startswith("weight"):
                v = self.rng.standard_normal(tuple(p.shape)) * (self.w_scale / math.sqrt(m.hidden))
            else:
                v = self.rng.uniform(-self.b_scale, self.b_scale, tuple(p.shape))
            with torch.no_grad():
                p.copy_(torch.from_numpy(v.astype(F32)))

    def norm(self, m):
        n = m.weight.shape[0]
        g = 1.0 + 0.3 * self.rng.standard_normal(n)
        b = 0.2 * self.rng.standard_normal(n)
        with torch.no_grad():
            m.weight.copy_(torch.from_numpy(g.astype(F32)))
            m.bias.copy_(torch.from_numpy(b.astype(F32)))
        # BatchNorm buffers keep their PyTorch defaults: running_mean 0,
        # running_var 1, num_batches_tracked 0.


# --------------------------------------------------------------------------
# Serialisation helpers
# --------------------------------------------------------------------------

def tensor_json(t):
    a = t.detach().cpu().numpy()
    if a.dtype.kind in "iu":
        data = [int(v) for v in a.ravel()]
    else:
        assert a.dtype == np.float32, a.dtype
        data = [float(v) for v in a.ravel()]  # exact float32 value as a double
    return {"shape": list(a.shape), "data": data}


def state_json(model):
    return {k: tensor_json(v) for k, v in model.state_dict().items()}


def l2_f64(tensors):
    """L2 norm of float32 tensors, accumulated in float64 (exact reference)."""
    s = 0.0
    for t in tensors:
        a = t.detach().cpu().numpy().astype(np.float64)
        s += float(np.sum(a * a))
    return math.sqrt(s)


def param_layers(model):
    """(full dotted name, module) for every module that owns parameters."""
    out = []
    for name, m in model.named_modules():
        if isinstance(m, (nn.Linear, nn.BatchNorm1d, nn.LayerNorm, Recurrent)):
            out.append((name, m))
    return out


# --------------------------------------------------------------------------
# Optimizers, losses, data
# --------------------------------------------------------------------------

def make_optimizer(spec, params):
    t = spec["type"]
    if t == "sgd":
        return torch.optim.SGD(params, lr=spec["lr"], momentum=spec["momentum"],
                               dampening=spec["dampening"], nesterov=spec["nesterov"],
                               weight_decay=spec["weight_decay"], foreach=False)
    if t in ("adam", "adamw"):
        cls = torch.optim.Adam if t == "adam" else torch.optim.AdamW
        return cls(params, lr=spec["lr"], betas=tuple(spec["betas"]), eps=spec["eps"],
                   weight_decay=spec["weight_decay"], amsgrad=spec["amsgrad"], foreach=False)
    if t == "rmsprop":
        return torch.optim.RMSprop(params, lr=spec["lr"], alpha=spec["alpha"], eps=spec["eps"],
                                   weight_decay=spec["weight_decay"], momentum=spec["momentum"],
                                   centered=spec["centered"], foreach=False)
    raise ValueError(t)


def sgd(lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    return {"type": "sgd", "lr": lr, "momentum": momentum, "dampening": dampening,
            "nesterov": nesterov, "weight_decay": weight_decay}


def adam(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, kind="adam"):
    return {"type": kind, "lr": lr, "betas": list(betas), "eps": eps,
            "weight_decay": weight_decay, "amsgrad": amsgrad}


def adamw(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, amsgrad=False):
    return adam(lr, betas, eps, weight_decay, amsgrad, kind="adamw")


def rmsprop(lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    return {"type": "rmsprop", "lr": lr, "alpha": alpha, "eps": eps,
            "weight_decay": weight_decay, "momentum": momentum, "centered": centered}


def compute_loss(kind, out, y):
    if kind == "cross_entropy":
        return F.cross_entropy(out, y, reduction="mean")
    if kind == "mse":
        return F.mse_loss(out, y, reduction="mean")
    if kind == "bce_with_logits":
        return F.binary_cross_entropy_with_logits(out, y, reduction="mean")
    raise ValueError(kind)


def make_batch(rng, case, out_dim):
    B = case.get("batch", 6)
    x = (rng.standard_normal((B, case["input_dim"])) * case.get("x_scale", 1.0)).astype(F32)
    loss = case["loss"]
    if loss == "cross_entropy":
        y = rng.integers(0, out_dim, B)
        y_json = [int(v) for v in y]
        y_t = torch.from_numpy(y.astype(np.int64))
    elif loss == "mse":
        y = (rng.standard_normal((B, out_dim)) * case.get("y_scale", 1.0)).astype(F32)
        y_json = [[float(v) for v in row] for row in y]
        y_t = torch.from_numpy(y)
    elif loss == "bce_with_logits":
        if case.get("targets", "binary") == "binary":
            y = rng.integers(0, 2, (B, out_dim)).astype(F32)
        else:
            y = rng.uniform(0.0, 1.0, (B, out_dim)).astype(F32)
        y_json = [[float(v) for v in row] for row in y]
        y_t = torch.from_numpy(y)
    else:
        raise ValueError(loss)
    x_json = [[float(v) for v in row] for row in x]
    return {"x": x_json, "y": y_json}, torch.from_numpy(x), y_t


# --------------------------------------------------------------------------
# One case
# --------------------------------------------------------------------------

def run_case(case):
    rng = np.random.default_rng(case["seed"])
    init = NumpyInit(rng, w_scale=case.get("w_scale", 1.0), b_scale=case.get("b_scale", 0.3))
    steps_per_row = case.get("sequence_length")
    model = Seq(case["layers"], case["input_dim"], init, steps=steps_per_row)
    recurrent = [(n, m) for n, m in model.named_modules() if isinstance(m, Recurrent)]
    model.train()
    checkpoint = {"format": "gradscope-checkpoint", "version": 1, "tensors": state_json(model)}

    params = list(model.parameters())
    named_params = [(n, p) for n, p in model.named_parameters()]
    layers = param_layers(model)
    opt = make_optimizer(case["optimizer"], params)
    clip = case.get("clip")

    batches, steps = [], []
    diag = {"clip_active_steps": 0, "softplus_over_threshold": 0}
    for _ in range(case.get("steps", 3)):
        b_json, x, y = make_batch(rng, case, model.out_dim)
        batches.append(b_json)
        opt.zero_grad(set_to_none=True)
        out = model(x)
        for _, m in recurrent:
            if not m.tbptt:
                m.check_against_module(m.last_input)
        loss = compute_loss(case["loss"], out, y)
        step = {"loss": float(loss.item())}
        if recurrent:
            # dL/dh_t for every stacked layer and step: the total gradient reaching h_t.
            states = [h for _, m in recurrent for layer in m.states for h in layer]
            grads = torch.autograd.grad(loss, states, retain_graph=True, allow_unused=True)
            step["hidden_grad_norms"], step["spectral_norms"], at = {}, {}, 0
            for name, m in recurrent:
                profile = []
                for layer in m.states:
                    profile.append([0.0 if g is None else l2_f64([g]) for g in grads[at:at + len(layer)]])
                    at += len(layer)
                step["hidden_grad_norms"][name] = profile
                step["spectral_norms"][name] = [
                    float(torch.linalg.matrix_norm(getattr(m, "weight_hh_l%d" % k).detach().double(), ord=2))
                    for k in range(m.layers)]
        loss.backward()

        step["layer_grad_norms"] = {
            name: l2_f64([p.grad for p in m.parameters()]) for name, m in layers}
        step["param_grad_norms"] = {n: l2_f64([p.grad]) for n, p in named_params}

        if clip is not None:
            pre_l2 = l2_f64([p.grad for p in params])
            if clip["type"] == "norm":
                nt = clip["norm_type"]
                nt = float("inf") if nt == "inf" else float(nt)
                total = torch.nn.utils.clip_grad_norm_(params, max_norm=clip["max_norm"],
                                                       norm_type=nt)
                step["grad_norm_pre_clip"] = float(total.item())
                if total.item() > clip["max_norm"]:
                    diag["clip_active_steps"] += 1
            elif clip["type"] == "value":
                before = [p.grad.clone() for p in params]
                torch.nn.utils.clip_grad_value_(params, clip_value=clip["clip_value"])
                step["grad_norm_pre_clip"] = pre_l2
                if any(not torch.equal(a, p.grad) for a, p in zip(before, params)):
                    diag["clip_active_steps"] += 1
            else:
                raise ValueError(clip)
            step["grad_norm_post_clip"] = l2_f64([p.grad for p in params])

        opt.step()
        steps.append(step)

    for v in [loss.item()] + [s["loss"] for s in steps]:
        assert math.isfinite(v)

    doc = {
        "name": case["name"],
        "input_dim": case["input_dim"],
        **({"sequence_length": steps_per_row} if steps_per_row else {}),
        "layers": case["layers"],
        "loss": case["loss"],
        "optimizer": case["optimizer"],
    }
    if clip is not None:
        doc["clip"] = clip
    doc["checkpoint"] = checkpoint
    doc["batches"] = batches
    doc["steps"] = steps
    doc["final"] = state_json(model)
    return doc, diag, opt


# --------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------

def D(units, name):
    return {"type": "dense", "units": units, "name": name}


def A(t, **kw):
    d = {"type": t}
    d.update(kw)
    return d


def BN(name):
    return {"type": "batchnorm", "name": name}


def LN(name):
    return {"type": "layernorm", "name": name}


def RES(name, layers):
    return {"type": "residual", "name": name, "layers": layers}


def RNN(kind, hidden, name, **kw):
    d = {"type": kind, "hidden": hidden, "name": name}
    d.update(kw)
    return d


CASES = [
    # ---- one per optimizer configuration -------------------------------
    dict(name="mlp_tanh_sgd", seed=101, input_dim=4, batch=6, loss="cross_entropy",
         layers=[D(6, "fc0"), A("tanh"), D(3, "fc1")],
         optimizer=sgd(0.1)),
    dict(name="mlp_relu_sgd_momentum_dampening", seed=102, input_dim=5, batch=8, loss="mse",
         layers=[D(8, "fc0"), A("relu"), D(6, "fc1"), A("relu"), D(2, "fc2")],
         optimizer=sgd(0.05, momentum=0.9, dampening=0.5)),
    dict(name="mlp_leaky_relu_bn_sgd_nesterov_wd", seed=103, input_dim=4, batch=8,
         loss="cross_entropy",
         layers=[D(6, "fc0"), BN("bn1"), A("leaky_relu", slope=0.1), D(4, "fc2")],
         optimizer=sgd(0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    dict(name="mlp_gelu_layernorm_adam", seed=104, input_dim=6, batch=7, loss="mse", steps=5,
         layers=[D(8, "fc0"), LN("ln1"), A("gelu"), D(5, "fc2"), A("gelu"), D(3, "fc3")],
         optimizer=adam(0.01)),
    dict(name="mlp_elu_residual_adam_amsgrad_wd", seed=105, input_dim=5, batch=6,
         loss="bce_with_logits", targets="binary",
         layers=[D(6, "fc0"), A("elu"),
                 RES("res2", [D(6, "fc"), A("elu"), D(6, "fc2")]),
                 D(2, "fc3")],
         optimizer=adam(0.02, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.05, amsgrad=True)),
    dict(name="mlp_softplus_residual_proj_adamw", seed=106, input_dim=4, batch=6,
         loss="cross_entropy",
         layers=[D(5, "fc0"), A("softplus"),
                 RES("res1", [D(7, "fc"), A("softplus")]),
                 D(3, "fc2")],
         optimizer=adamw(0.01, weight_decay=0.1)),
    dict(name="mlp_sigmoid_rmsprop", seed=107, input_dim=3, batch=6,
         loss="bce_with_logits", targets="soft",
         layers=[D(5, "fc0"), A("sigmoid"), D(4, "fc1"), A("sigmoid"), D(2, "fc2")],
         optimizer=rmsprop(0.01)),
    dict(name="mlp_identity_bn_rmsprop_centered_momentum", seed=108, input_dim=4, batch=7,
         loss="mse",
         # no bias directly before BN here: that gradient is 0 up to float32 rounding
         # noise, which an adaptive optimizer would amplify into lr-sized steps
         layers=[D(6, "fc0"), A("tanh"), BN("bn1"), A("identity"), D(3, "fc2")],
         optimizer=rmsprop(0.005, alpha=0.9, eps=1e-6, weight_decay=0.01, momentum=0.5,
                           centered=True)),
    # ---- extra coverage -------------------------------------------------
    dict(name="residual_bn_ln_sgd_momentum_wd", seed=109, input_dim=6, batch=8,
         loss="cross_entropy",
         layers=[D(6, "fc0"), A("relu"),
                 RES("res1", [D(6, "fc"), BN("bn"), A("relu")]),
                 RES("res2", [LN("ln"), D(4, "fc"), A("gelu")]),
                 D(3, "head")],
         optimizer=sgd(0.05, momentum=0.8, weight_decay=0.001)),
    dict(name="all_activations_adam", seed=110, input_dim=4, batch=6, loss="mse",
         layers=[D(5, "fc0"), A("relu"), D(5, "fc1"), A("leaky_relu", slope=0.2),
                 D(5, "fc2"), A("elu"), D(5, "fc3"), A("gelu"), D(5, "fc4"), A("sigmoid"),
                 D(5, "fc5"), A("tanh"), D(5, "fc6"), A("softplus"), D(5, "fc7"),
                 A("identity"), D(3, "fc8")],
         w_scale=1.5,
         optimizer=adam(0.005, betas=(0.9, 0.99), eps=1e-8)),
    dict(name="softplus_threshold_sgd", seed=111, input_dim=4, batch=6, loss="mse",
         # large weights/inputs so some pre-activations exceed softplus' threshold 20
         layers=[D(6, "fc0"), A("softplus"), D(2, "fc1")],
         w_scale=8.0, x_scale=3.0, y_scale=10.0,
         optimizer=sgd(1e-4)),
    dict(name="mlp_elu_rmsprop_momentum_wd", seed=112, input_dim=5, batch=6,
         loss="cross_entropy",
         layers=[D(6, "fc0"), A("elu"), D(3, "fc1")],
         optimizer=rmsprop(0.01, alpha=0.95, eps=1e-8, weight_decay=0.01, momentum=0.9)),
    dict(name="mlp_tanh_adam_large_eps", seed=113, input_dim=4, batch=5, loss="mse",
         # eps large enough that its placement (outside sqrt, after bias correction) matters
         layers=[D(5, "fc0"), A("tanh"), D(2, "fc1")],
         optimizer=adam(0.05, betas=(0.9, 0.999), eps=0.1)),
    dict(name="bn_two_layers_adamw_amsgrad", seed=114, input_dim=3, batch=5,
         loss="cross_entropy",
         # BN on the raw input, and BN after an activation (see the note above)
         layers=[BN("bn0"), D(4, "fc0"), A("relu"), BN("bn1"), D(4, "fc1"), A("sigmoid"),
                 D(3, "fc2")],
         optimizer=adamw(0.03, betas=(0.5, 0.6), eps=1e-8, weight_decay=0.02, amsgrad=True)),
    # ---- clipping: every rule, with and without an effect ----------------
    dict(name="clip_norm_l2_sgd_momentum", seed=201, input_dim=5, batch=6,
         loss="cross_entropy",
         layers=[D(6, "fc0"), A("relu"), D(4, "fc1")],
         w_scale=2.0,
         optimizer=sgd(0.1, momentum=0.9),
         clip={"type": "norm", "max_norm": 0.5, "norm_type": 2.0}),
    dict(name="clip_norm_inf_adam", seed=202, input_dim=4, batch=6, loss="mse",
         layers=[D(6, "fc0"), LN("ln1"), A("tanh"), D(3, "fc2")],
         y_scale=2.0,
         optimizer=adam(0.01),
         clip={"type": "norm", "max_norm": 0.5, "norm_type": "inf"}),
    dict(name="clip_value_sgd_bn", seed=203, input_dim=4, batch=8, loss="cross_entropy",
         layers=[D(6, "fc0"), BN("bn1"), A("relu"), D(3, "fc2")],
         optimizer=sgd(0.1, momentum=0.5),
         clip={"type": "value", "clip_value": 0.05}),
    dict(name="clip_norm_inactive_rmsprop", seed=204, input_dim=4, batch=6,
         loss="bce_with_logits", targets="binary",
         layers=[D(5, "fc0"), A("gelu"), RES("res1", [D(5, "fc"), A("tanh")]), D(2, "fc2")],
         optimizer=rmsprop(0.01),
         clip={"type": "norm", "max_norm": 100.0, "norm_type": 2.0}),
    dict(name="clip_value_adam_mse", seed=205, input_dim=6, batch=6, loss="mse",
         layers=[D(8, "fc0"), A("leaky_relu", slope=0.1), D(4, "fc1")],
         y_scale=3.0,
         optimizer=adam(0.01),
         clip={"type": "value", "clip_value": 0.05}),
    # ---- recurrent: T steps of F features per row ----
    dict(name="rnn_tanh_stacked_sgd", seed=301, input_dim=5 * 3, sequence_length=5, batch=4, loss="mse",
         layers=[RNN("rnn", 4, "rnn0", num_layers=2), D(2, "head")],
         w_scale=1.2, optimizer=sgd(0.1)),
    dict(name="rnn_relu_tbptt_sgd_momentum", seed=302, input_dim=7 * 2, sequence_length=7, batch=5,
         loss="cross_entropy",
         layers=[RNN("rnn", 5, "rnn0", nonlinearity="relu", tbptt=3), D(3, "head")],
         optimizer=sgd(0.05, momentum=0.9)),
    dict(name="lstm_adam", seed=303, input_dim=6 * 3, sequence_length=6, batch=4, loss="cross_entropy",
         layers=[RNN("lstm", 5, "lstm0"), D(3, "head")],
         optimizer=adam(0.02)),
    dict(name="lstm_stacked_tbptt_clip_norm", seed=304, input_dim=6 * 2, sequence_length=6, batch=4,
         loss="mse",
         layers=[RNN("lstm", 4, "lstm0", num_layers=2, tbptt=2), D(1, "head")],
         w_scale=1.5, y_scale=2.0, optimizer=sgd(0.2),
         clip={"type": "norm", "max_norm": 0.5, "norm_type": 2.0}),
    dict(name="gru_sequences_rmsprop", seed=305, input_dim=5 * 3, sequence_length=5, batch=4, loss="mse",
         # every step's output, flattened into the head (nn.Flatten then nn.Linear)
         layers=[RNN("gru", 4, "gru0", return_sequences=True), D(2, "head")],
         optimizer=rmsprop(0.01)),
    dict(name="lstm_into_gru_adamw", seed=306, input_dim=5 * 2, sequence_length=5, batch=3,
         loss="cross_entropy",
         layers=[RNN("lstm", 4, "lstm0", return_sequences=True), RNN("gru", 3, "gru1"), D(2, "head")],
         optimizer=adamw(0.01)),
]


def main():
    only = set(sys.argv[1:])
    for case in CASES:
        if only and case["name"] not in only:
            continue
        doc, diag, _ = run_case(case)
        path = os.path.join(OUT_DIR, case["name"] + ".json")
        text = json.dumps(doc, allow_nan=False)
        with open(path, "w") as f:
            f.write(text)
            f.write("\n")
        extra = ""
        if "clip" in case:
            extra = " clip active on %d/%d steps" % (diag["clip_active_steps"], len(doc["steps"]))
        print("%-45s %6d bytes  loss %.5f -> %.5f%s" % (
            case["name"] + ".json", len(text) + 1, doc["steps"][0]["loss"],
            doc["steps"][-1]["loss"], extra))
        assert len(text) < 60_000, "fixture too large"


if __name__ == "__main__":
    main()
