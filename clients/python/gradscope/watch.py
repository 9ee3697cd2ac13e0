"""Gradient hooks, per-layer statistics in vectorised torch ops, and a
background sender that never blocks training."""
from __future__ import annotations

import json
import math
import queue
import threading
import urllib.error
import urllib.request
from typing import Optional

import torch
from torch import nn

EDGES_DEFAULT = (64, 1e-12, 1e4)  # bins, min, max: the server's default log10 edges

# Module types whose parameters make a "layer", and the engine kind they map to.
_KINDS = [(nn.Linear, "dense"), (nn.LSTM, "lstm"), (nn.GRU, "gru"), (nn.RNN, "rnn"),
          (nn.modules.batchnorm._BatchNorm, "batchnorm"), (nn.LayerNorm, "layernorm")]
_ACTIVATIONS = [(nn.ReLU, "relu"), (nn.LeakyReLU, "leaky_relu"), (nn.ELU, "elu"), (nn.GELU, "gelu"),
                (nn.Sigmoid, "sigmoid"), (nn.Tanh, "tanh"), (nn.Softplus, "softplus")]


def _kind(module: nn.Module, table) -> Optional[str]:
    for cls, name in table:
        if isinstance(module, cls):
            return name
    return None


class _Layer:
    def __init__(self, name: str, module: nn.Module):
        self.name = name
        self.kind = _kind(module, _KINDS) or "other"
        self.params = [(n, p) for n, p in module.named_parameters(recurse=False) if p.requires_grad]


class Watch:
    """A watched model; see ``watch``. ``close()`` (or leaving the ``with``
    block) flushes what is buffered and finishes the run on the server."""

    def __init__(self, model: nn.Module, url: str = "http://127.0.0.1:8080", every: int = 1,
                 run_name: Optional[str] = None, token: Optional[str] = None, optimizer=None,
                 check_nan: bool = True, max_buffer: int = 1000, batch_size: int = 50, timeout: float = 5.0):
        if every < 1:
            raise ValueError("every must be ≥ 1")
        self.url, self.every, self.optimizer = url.rstrip("/"), every, optimizer
        self.timeout, self.batch_size = timeout, batch_size
        self.dropped = 0          # records dropped because the buffer was full or the server failed
        self.sent = 0
        self.step = 0             # completed backward passes
        self.first_nonfinite = None
        bins, low, high = EDGES_DEFAULT
        self.bins = bins
        # The server's edges: 10^(log10 low + i·Δ) rounded to float32.
        a, b = math.log10(low), math.log10(high)
        self._edges = torch.tensor([10 ** (a + i * (b - a) / bins) for i in range(bins + 1)], dtype=torch.float32)
        self.layers = [_Layer(n or "model", m) for n, m in model.named_modules() if any(
            p.requires_grad for p in m.parameters(recurse=False))]
        if not self.layers:
            raise ValueError("the model has no trainable parameters")
        modules = sorted({k for m in model.modules() if (k := _kind(m, _ACTIVATIONS))})
        spec = {"layers": [{"name": l.name, "kind": l.kind, "params": [{"name": n, "shape": list(p.shape)} for n, p in l.params]}
                           for l in self.layers], "modules": modules,
                "hist_edges": {"bins": bins, "min": low, "max": high}}
        if run_name:
            spec["name"] = run_name
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        created = self._post("/api/runs", json.dumps(spec).encode(), headers)
        self.id, self._token = created["id"], created["token"]
        self._pending = {}        # parameter → its statistics this step
        self._loss = None
        self._queue: queue.Queue = queue.Queue(maxsize=max_buffer)
        self._closed = False
        self._handles = []
        for layer in self.layers:
            for _, p in layer.params:
                self._handles.append(p.register_post_accumulate_grad_hook(self._grad_hook))
        # The next forward pass (or close) ends the step whose gradients were seen.
        self._handles.append(model.register_forward_pre_hook(lambda *_: self._end_step()))
        if check_nan:
            for name, m in model.named_modules():
                self._handles.append(m.register_forward_hook(self._nan_hook(name or "model")))
        self._sender = threading.Thread(target=self._send_loop, name="gradscope-sender", daemon=True)
        self._sender.start()

    # -- training thread -------------------------------------------------
    def _recording(self) -> bool:
        s = self.step + 1
        return s == 1 or s % self.every == 0

    @torch.no_grad()
    def _grad_hook(self, p: torch.Tensor) -> None:
        if p.grad is None or not self._recording():
            return
        g = p.grad.detach().reshape(-1).float()
        a = g.abs()
        finite = torch.isfinite(a)
        nan = torch.isnan(g).sum()
        nonfinite = g.numel() - finite.sum()
        af = torch.where(finite, a, torch.zeros((), dtype=a.dtype))
        # Slot per value on the server's edges: 0 below edges[0], i+1 in bin i, bins+1 at or above the last edge.
        slots = torch.bucketize(af, self._edges, right=True)
        counts = torch.bincount(slots, minlength=self.bins + 2)
        zeros = (a == 0).sum()
        self._pending[p] = torch.stack([
            (af.double() ** 2).sum(), af.max() if g.numel() else torch.zeros(()), af.double().sum(),
            zeros.double(), nan.double(), (nonfinite - nan).double(), p.detach().double().norm()]).cpu(), counts.cpu()

    def log(self, loss) -> None:
        """The loss of the current step (a tensor or a number); optional."""
        self._loss = loss.detach() if isinstance(loss, torch.Tensor) else float(loss)

    def _end_step(self) -> None:
        if not self._pending:
            return
        self.step += 1
        record = {"step": self.step, "layers": []}
        squares, nonfinite = 0.0, 0
        for layer in self.layers:
            entry = {"name": layer.name, "kind": layer.kind, "params": []}
            sq = abs_sum = zeros = nans = infs = count = 0
            largest = 0.0
            hist = torch.zeros(self.bins + 2, dtype=torch.long)
            weight_sq = 0.0
            for pname, p in layer.params:
                stats = self._pending.get(p)
                if stats is None:
                    continue
                v, c = stats
                v = v.tolist()
                n = p.numel()
                entry["params"].append({"name": pname, "grad_norm": math.sqrt(v[0]), "max_abs": v[1], "mean_abs": v[2] / n,
                                        "zero_fraction": v[3] / n, "nan": int(v[4]), "inf": int(v[5]), "weight_norm": v[6]})
                sq += v[0]; largest = max(largest, v[1]); abs_sum += v[2]; zeros += v[3]
                nans += int(v[4]); infs += int(v[5]); count += n; weight_sq += v[6] ** 2
                hist += c
            nf = nans + infs
            zeros_i = int(zeros)
            entry.update({"grad_norm": math.sqrt(sq), "max_abs": largest, "mean_abs": abs_sum / max(count, 1),
                          "zero_fraction": zeros / max(count, 1), "nan": nans, "inf": infs, "weight_norm": math.sqrt(weight_sq),
                          "hist": {"counts": hist[1:self.bins + 1].tolist(), "zero": zeros_i,
                                   "underflow": int(hist[0]) - zeros_i - nf,
                                   "overflow": int(hist[self.bins + 1]), "nonfinite": nf}})
            record["layers"].append(entry)
            squares += sq
            nonfinite += nf
        record["grad_norm"] = math.sqrt(squares)
        record["nonfinite_grads"] = nonfinite
        if self._loss is not None:
            loss = float(self._loss)
            record["loss"] = loss if math.isfinite(loss) else None
        if self.optimizer is not None:
            record["lr"] = float(self.optimizer.param_groups[0]["lr"])
        self._pending.clear()
        self._loss = None
        self._enqueue(record)

    def _nan_hook(self, name: str):
        def hook(module, inputs, output):
            if self.first_nonfinite is not None or not isinstance(output, torch.Tensor):
                return
            if not bool(torch.isfinite(output).all()):
                self.first_nonfinite = {"type": "nonfinite", "step": self.step + 1, "pass": "forward",
                                        "layer": name, "quantity": "output"}
                self._enqueue(self.first_nonfinite)
        return hook

    def _enqueue(self, record) -> None:
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1

    # -- sender thread ---------------------------------------------------
    def _post(self, path: str, body: bytes, headers=None):
        request = urllib.request.Request(self.url + path, data=body, method="POST",
                                         headers={"Content-Type": "application/json", **(headers or {})})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            text = response.read()
            return json.loads(text) if text else {}

    def _send_loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.batch_size:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._flush(batch)
                    return
                batch.append(item)
            self._flush(batch)

    def _flush(self, batch) -> None:
        # JSON has no NaN/Inf: records write them as null (the counts say what they were).
        body = "\n".join(json.dumps(_finite(r), allow_nan=False) for r in batch).encode()
        for attempt in range(3):
            try:
                self._post(f"/api/runs/{self.id}/steps", body, {"Authorization": f"Bearer {self._token}"})
                self.sent += len(batch)
                return
            except urllib.error.HTTPError as e:
                if e.code < 500:  # the server said no: retrying will not help
                    break
            except (OSError, ValueError):
                pass
        self.dropped += len(batch)

    def close(self, status: str = "completed") -> None:
        if self._closed:
            return
        self._closed = True
        self._end_step()
        for h in self._handles:
            h.remove()
        self._queue.put(None)
        self._sender.join(timeout=30)
        try:
            self._post(f"/api/runs/{self.id}/finish", json.dumps({"status": status}).encode(),
                       {"Authorization": f"Bearer {self._token}"})
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close("failed" if exc_type else "completed")
        return False


def _finite(v):
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_finite(x) for x in v]
    return v


def watch(model: nn.Module, url: str = "http://127.0.0.1:8080", every: int = 1, run_name: Optional[str] = None, **options) -> Watch:
    """Starts watching ``model``: creates a run on the server and records
    every ``every``-th backward pass (and the first). Options: ``token`` (the
    server's, if it has one), ``optimizer`` (to report its learning rate),
    ``check_nan`` (forward hooks that find the first module whose output is
    NaN/Inf; default on), ``max_buffer`` (records kept while the server is
    slow; beyond it they are dropped and counted in ``.dropped``)."""
    return Watch(model, url=url, every=every, run_name=run_name, **options)
