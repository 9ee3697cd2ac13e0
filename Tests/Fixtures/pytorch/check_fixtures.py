#!/usr/bin/env python3
"""Independent numpy (float64) re-computation of every fixture in this folder.

It does not import torch.  For each *.json fixture it loads `checkpoint`,
replays `batches` with hand-written forward/backward passes, losses, clipping
and optimizers following docs/algorithms.md, and compares the loss,
gradient norms and the final state_dict against what PyTorch wrote.

Run:  python3 Tests/Fixtures/pytorch/check_fixtures.py [files...]
Exit code 0 when every fixture agrees within tolerance.
"""

import glob
import json
import math
import os
import sys

import numpy as np
from math import erf

HERE = os.path.dirname(os.path.abspath(__file__))
RTOL, ATOL = 2e-4, 2e-6

_erf = np.vectorize(erf)


# ---------------------------------------------------------------- layers

class Dense:
    def __init__(self, name):
        self.name = name

    def forward(self, P, x, train, stats):
        self.x = x
        return x @ P[self.name + ".weight"].T + P[self.name + ".bias"]

    def backward(self, P, G, dy):
        G[self.name + ".weight"] = dy.T @ self.x
        G[self.name + ".bias"] = dy.sum(0)
        return dy @ P[self.name + ".weight"]


class Act:
    def __init__(self, spec):
        self.t = spec["type"]
        self.slope = spec.get("slope", 0.01)

    def forward(self, P, x, train, stats):
        self.x = x
        t = self.t
        if t == "relu":
            return np.maximum(x, 0)
        if t == "leaky_relu":
            return np.where(x >= 0, x, self.slope * x)
        if t == "elu":
            return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))
        if t == "gelu":
            return x * 0.5 * (1 + _erf(x / math.sqrt(2)))
        if t == "sigmoid":
            return 1 / (1 + np.exp(-x))
        if t == "tanh":
            return np.tanh(x)
        if t == "softplus":
            stats["softplus_over"] = stats.get("softplus_over", 0) + int(np.sum(x > 20))
            return np.where(x > 20, x, np.log1p(np.exp(np.minimum(x, 20))))
        if t == "identity":
            return x
        raise ValueError(t)

    def backward(self, P, G, dy):
        x, t = self.x, self.t
        if t == "relu":
            d = (x > 0).astype(float)
        elif t == "leaky_relu":
            d = np.where(x > 0, 1.0, self.slope)
        elif t == "elu":
            d = np.where(x > 0, 1.0, np.exp(np.minimum(x, 0)))
        elif t == "gelu":
            d = 0.5 * (1 + _erf(x / math.sqrt(2))) + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        elif t == "sigmoid":
            s = 1 / (1 + np.exp(-x))
            d = s * (1 - s)
        elif t == "tanh":
            d = 1 - np.tanh(x) ** 2
        elif t == "softplus":
            d = np.where(x > 20, 1.0, 1 / (1 + np.exp(-x)))
        elif t == "identity":
            d = 1.0
        return dy * d


class BatchNorm:
    def __init__(self, name):
        self.name = name

    def forward(self, P, x, train, stats):
        n = self.name
        M = x.shape[0]
        mu = x.mean(0)
        var = ((x - mu) ** 2).mean(0)
        self.invstd = 1 / np.sqrt(var + 1e-5)
        self.xhat = (x - mu) * self.invstd
        P[n + ".running_mean"] = 0.9 * P[n + ".running_mean"] + 0.1 * mu
        P[n + ".running_var"] = 0.9 * P[n + ".running_var"] + 0.1 * var * M / (M - 1)
        P[n + ".num_batches_tracked"] = P[n + ".num_batches_tracked"] + 1
        return P[n + ".weight"] * self.xhat + P[n + ".bias"]

    def backward(self, P, G, dy):
        n = self.name
        M = dy.shape[0]
        G[n + ".bias"] = dy.sum(0)
        G[n + ".weight"] = (dy * self.xhat).sum(0)
        return (P[n + ".weight"] * self.invstd / M) * (
            M * dy - dy.sum(0) - self.xhat * (dy * self.xhat).sum(0))


class LayerNorm:
    def __init__(self, name):
        self.name = name

    def forward(self, P, x, train, stats):
        mu = x.mean(1, keepdims=True)
        var = ((x - mu) ** 2).mean(1, keepdims=True)
        self.invstd = 1 / np.sqrt(var + 1e-5)
        self.xhat = (x - mu) * self.invstd
        return P[self.name + ".weight"] * self.xhat + P[self.name + ".bias"]

    def backward(self, P, G, dy):
        n = self.name
        G[n + ".bias"] = dy.sum(0)
        G[n + ".weight"] = (dy * self.xhat).sum(0)
        dh = dy * P[n + ".weight"]
        return self.invstd * (dh - dh.mean(1, keepdims=True)
                              - self.xhat * (dh * self.xhat).mean(1, keepdims=True))


class Seq:
    def __init__(self, specs, in_dim, prefix=""):
        self.layers = []
        self.param_layers = []
        w = in_dim
        for s in specs:
            t = s["type"]
            if t == "dense":
                l = Dense(prefix + s["name"])
                w = s["units"]
                self.param_layers.append(l.name)
            elif t == "batchnorm":
                l = BatchNorm(prefix + s["name"])
                self.param_layers.append(l.name)
            elif t == "layernorm":
                l = LayerNorm(prefix + s["name"])
                self.param_layers.append(l.name)
            elif t == "residual":
                l = Residual(s, w, prefix + s["name"] + ".")
                w = l.out_dim
                self.param_layers += l.param_layers
            else:
                l = Act(s)
            self.layers.append(l)
        self.out_dim = w

    def forward(self, P, x, train, stats):
        for l in self.layers:
            x = l.forward(P, x, train, stats)
        return x

    def backward(self, P, G, dy):
        for l in reversed(self.layers):
            dy = l.backward(P, G, dy)
        return dy


class Residual(Seq):
    def __init__(self, spec, in_dim, prefix):
        super().__init__(spec["layers"], in_dim, prefix)
        self.proj = Dense(prefix + "proj") if self.out_dim != in_dim else None
        if self.proj:
            self.param_layers.append(self.proj.name)

    def forward(self, P, x, train, stats):
        fx = super().forward(P, x, train, stats)
        return fx + (self.proj.forward(P, x, train, stats) if self.proj else x)

    def backward(self, P, G, dy):
        dx = super().backward(P, G, dy)
        return dx + (self.proj.backward(P, G, dy) if self.proj else dy)


# ---------------------------------------------------------------- losses

def loss_and_grad(kind, out, y):
    if kind == "cross_entropy":
        y = np.asarray(y, dtype=int)
        N = out.shape[0]
        m = out.max(1, keepdims=True)
        lse = m[:, 0] + np.log(np.exp(out - m).sum(1))
        loss = np.mean(lse - out[np.arange(N), y])
        p = np.exp(out - lse[:, None])
        p[np.arange(N), y] -= 1
        return loss, p / N
    y = np.asarray(y, dtype=float)
    M = out.size
    if kind == "mse":
        return np.mean((out - y) ** 2), 2 * (out - y) / M
    if kind == "bce_with_logits":
        l = np.maximum(out, 0) - out * y + np.log1p(np.exp(-np.abs(out)))
        return l.mean(), (1 / (1 + np.exp(-out)) - y) / M
    raise ValueError(kind)


# ---------------------------------------------------------------- optimizers

class Optim:
    def __init__(self, spec):
        self.s = spec
        self.state = {}
        self.t = 0
        self.amsgrad_active = 0

    def step(self, P, G, names):
        s, k = self.s, self.s["type"]
        self.t += 1
        t = self.t
        for n in names:
            g = G[n].copy()
            p = P[n]
            st = self.state.setdefault(n, {})
            lr, wd = s["lr"], s["weight_decay"]
            if k == "sgd":
                if wd:
                    g = g + wd * p
                mu = s["momentum"]
                if mu:
                    if "buf" not in st:
                        st["buf"] = g.copy()
                    else:
                        st["buf"] = mu * st["buf"] + (1 - s["dampening"]) * g
                    g = g + mu * st["buf"] if s["nesterov"] else st["buf"]
                P[n] = p - lr * g
            elif k in ("adam", "adamw"):
                b1, b2 = s["betas"]
                if k == "adamw":
                    p = p * (1 - lr * wd)
                elif wd:
                    g = g + wd * p
                st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
                st["v"] = b2 * st.get("v", 0) + (1 - b2) * g * g
                bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
                if s["amsgrad"]:
                    st["vmax"] = np.maximum(st.get("vmax", 0), st["v"])
                    self.amsgrad_active += int(np.sum(st["vmax"] > st["v"]))
                    v = st["vmax"]
                else:
                    v = st["v"]
                denom = np.sqrt(v) / math.sqrt(bc2) + s["eps"]
                P[n] = p - (lr / bc1) * st["m"] / denom
            elif k == "rmsprop":
                a = s["alpha"]
                if wd:
                    g = g + wd * p
                st["v"] = a * st.get("v", 0) + (1 - a) * g * g
                if s["centered"]:
                    st["gbar"] = a * st.get("gbar", 0) + (1 - a) * g
                    denom = np.sqrt(st["v"] - st["gbar"] ** 2) + s["eps"]
                else:
                    denom = np.sqrt(st["v"]) + s["eps"]
                if s["momentum"] > 0:
                    st["buf"] = s["momentum"] * st.get("buf", 0) + g / denom
                    P[n] = p - lr * st["buf"]
                else:
                    P[n] = p - lr * g / denom
            else:
                raise ValueError(k)


# ---------------------------------------------------------------- replay

def close(a, b, what, errs):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape or not np.allclose(a, b, rtol=RTOL, atol=ATOL):
        d = np.max(np.abs(a - b)) if a.shape == b.shape else "shape"
        errs.append("%s: max abs diff %s" % (what, d))


def l2(arrs):
    return math.sqrt(sum(float(np.sum(np.asarray(a) ** 2)) for a in arrs))


def check(path):
    doc = json.load(open(path))
    P = {k: np.array(v["data"], dtype=float).reshape(v["shape"])
         for k, v in doc["checkpoint"]["tensors"].items()}
    net = Seq(doc["layers"], doc["input_dim"])
    names = [k for k in P if not (k.endswith("running_mean") or k.endswith("running_var")
                                  or k.endswith("num_batches_tracked"))]
    opt = Optim(doc["optimizer"])
    clip = doc.get("clip")
    errs, stats = [], {}
    for i, (b, ref) in enumerate(zip(doc["batches"], doc["steps"])):
        x = np.array(b["x"], dtype=float)
        out = net.forward(P, x, True, stats)
        loss, dout = loss_and_grad(doc["loss"], out, b["y"])
        G = {}
        net.backward(P, G, dout)
        close(loss, ref["loss"], "step %d loss" % i, errs)
        for n in names:
            close(l2([G[n]]), ref["param_grad_norms"][n], "step %d |g| %s" % (i, n), errs)
        for ln in net.param_layers:
            ours = l2([G[k] for k in G if k.rsplit(".", 1)[0] == ln])
            close(ours, ref["layer_grad_norms"][ln], "step %d layer %s" % (i, ln), errs)
        assert set(ref["layer_grad_norms"]) == set(net.param_layers), (
            sorted(ref["layer_grad_norms"]), sorted(net.param_layers))
        if clip:
            pre = l2(G.values())
            if clip["type"] == "norm":
                if clip["norm_type"] == "inf":
                    total = max(float(np.max(np.abs(g))) for g in G.values())
                else:
                    nt = float(clip["norm_type"])
                    total = sum(float(np.sum(np.abs(g) ** nt)) for g in G.values()) ** (1 / nt)
                c = min(clip["max_norm"] / (total + 1e-6), 1.0)
                for k in G:
                    G[k] = G[k] * c
            else:
                total = pre
                cv = clip["clip_value"]
                for k in G:
                    G[k] = np.clip(G[k], -cv, cv)
            close(total, ref["grad_norm_pre_clip"], "step %d pre-clip" % i, errs)
            close(l2(G.values()), ref["grad_norm_post_clip"], "step %d post-clip" % i, errs)
        opt.step(P, G, names)
    for k, v in doc["final"].items():
        close(P[k], np.array(v["data"], dtype=float).reshape(v["shape"]), "final " + k, errs)
    assert set(doc["final"]) == set(P)
    if doc["optimizer"].get("amsgrad"):
        stats["amsgrad_max_active"] = opt.amsgrad_active
    return errs, stats


def main():
    files = sys.argv[1:] or sorted(glob.glob(os.path.join(HERE, "*.json")))
    bad = skipped = 0
    for f in files:
        with open(f) as fh:
            if "sequence_length" in json.load(fh):
                # This numpy replay covers the feed-forward layers only; the
                # recurrent fixtures are checked by the Swift tests against PyTorch.
                print("%-50s skipped (recurrent)" % os.path.basename(f))
                skipped += 1
                continue
        errs, stats = check(f)
        extra = ""
        if "softplus_over" in stats:
            extra = " (softplus inputs > 20: %d)" % stats["softplus_over"]
        if "amsgrad_max_active" in stats:
            extra += " (amsgrad vmax > v: %d elements)" % stats["amsgrad_max_active"]
        print("%-50s %s%s" % (os.path.basename(f), "OK" if not errs else "FAIL", extra))
        for e in errs[:10]:
            print("    " + e)
        bad += bool(errs)
    print("%d passed, %d failed, %d skipped" % (len(files) - bad - skipped, bad, skipped))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
