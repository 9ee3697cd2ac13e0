"""Hooks that measure each recorded step's gradients, and a background
thread that turns the measurements into step records and posts them.

At the end of a recorded step (the optimizer's step pre-hook when the
optimizer is given, else an autograd callback armed by the first
parameter's gradient hook at the end of the backward pass) the training
thread takes one `_foreach_norm` over the gradients, and on every
`histogram_every`-th recorded step (or one with a NaN/Inf) the full
statistics: a dozen vectorised passes over one flat copy of the gradients
(`stats.Summarizer`). They have to be taken there: the gradients
may be zeroed or freed before the next step, and a second thread computing
them fought PyTorch's intra-op workers and the GIL (several times slower in
our measurements). The sender thread wakes every `interval` seconds, builds
and encodes the records of the steps taken since (the norms-only ones from
a template), and posts them as NDJSON, which the server reads on its fast
path.
"""
from __future__ import annotations

import collections
import json
import math
import threading
import time
import urllib.error
import urllib.request
import warnings
from typing import Optional

import torch
from torch import nn

from .stats import EDGES_DEFAULT, Layout, Summarizer

KEEP_ALIVE = 300  # seconds without a record before the sender posts an empty batch

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


class Watch:
    """A watched model; see ``watch``. ``close()`` (or leaving the ``with``
    block) sends what is buffered and finishes the run on the server."""

    def __init__(self, model: nn.Module, url: str = "http://127.0.0.1:8080", every: int = 1,
                 run_name: Optional[str] = None, token: Optional[str] = None, optimizer=None,
                 check_nan: bool = False, histogram_every: int = 20, max_buffer: int = 10_000,
                 batch_size: int = 200, timeout: float = 5.0, interval: float = 0.25,
                 baseline_loss: Optional[float] = None, signals: bool = True, signal_every: int = 5):
        if every < 1 or histogram_every < 1 or signal_every < 1:
            raise ValueError("every, histogram_every and signal_every must be ≥ 1")
        self.signal_every = signal_every
        self.url, self.every, self.histogram_every, self.optimizer = url.rstrip("/"), every, histogram_every, optimizer
        self.max_buffer, self.batch_size, self.timeout, self.interval = max_buffer, batch_size, timeout, interval
        self.dropped = 0          # records dropped: the buffer was full, or the server refused or failed
        self.sent = 0             # records the server accepted
        self.step = 0             # completed backward passes
        modules = [(n or "model", m, [(pn, p) for pn, p in m.named_parameters(recurse=False) if p.requires_grad])
                   for n, m in model.named_modules()]
        modules = [(n, m, ps) for n, m, ps in modules if ps]
        if not modules:
            raise ValueError("the model has no trainable parameters")
        self._params = [p for _, _, ps in modules for _, p in ps]
        start, layout = 0, []
        for name, _, ps in modules:
            layout.append((name, [(pn, start + sum(q.numel() for _, q in ps[:k]), p.numel()) for k, (pn, p) in enumerate(ps)]))
            start += sum(p.numel() for _, p in ps)
        bins, low, high = EDGES_DEFAULT
        self._layout = Layout(layout, bins, low, high)
        spec = {"layers": [{"name": n, "kind": _kind(m, _KINDS) or "other", "module": type(m).__name__,
                            "params": [{"name": pn, "shape": list(p.shape)} for pn, p in ps]} for n, m, ps in modules],
                "modules": sorted({k for m in model.modules() if (k := _kind(m, _ACTIVATIONS))}),
                "hist_edges": {"bins": bins, "min": low, "max": high}}
        if run_name:
            spec["name"] = run_name
        if baseline_loss is not None:
            spec["baseline_loss"] = float(baseline_loss)
        self._summarizer = Summarizer(self._layout, self._params[0].device)
        self._light = self._light_template()
        # Norms of half-precision parameters in float32 (bf16 norms keep 3
        # digits); not with float64 ones, which torch will not narrow.
        dtypes = {p.dtype for p in self._params}
        half = bool(dtypes & {torch.float16, torch.bfloat16}) and torch.float64 not in dtypes
        self._norm_options = {"dtype": torch.float32} if half else {}
        self._spec, self._server_token = json.dumps(spec, ensure_ascii=False).encode(), token
        self.id: Optional[str] = None  # the run's job id, once the server has created it
        self._token = None
        try:
            self._create()
        except urllib.error.HTTPError as e:
            if e.code < 500:  # refused (a bad token, a model it cannot take): retrying will not help
                raise
        except OSError as e:  # not there (yet): the sender thread keeps trying; steps wait meanwhile
            warnings.warn(f"gradscope: no server at {self.url} ({e}); measuring anyway, the run is created "
                          "when it answers", stacklevel=3)
        self._zero_grads = {}
        self._armed = False
        self._recorded = 0
        self._steps: collections.deque = collections.deque()  # measured steps for the sender
        self._kept_step = 0       # the last step measured and queued
        self._stopped = False     # after an error or when the server ended the run
        self.errors = []          # what stopped the measuring, if anything did
        self._count_lock = threading.Lock()
        self._losses = {}         # step → loss, from log()
        self._origin_sent = False
        self._sums = []           # (leaf module, sum of its output) in the current forward pass
        self._names = [n for n, _, _ in modules]
        self._deltas = []         # (layer index, ∂L/∂output) in this backward pass
        self._order = {}          # layer indices in the order this step's forward pass reached them (a dict: ordered, O(1) lookups)
        self._before = None       # the parameters before an update whose size is measured
        self._nonfinite_sent = False
        self._closing = threading.Event()
        self._closed = False
        if optimizer is not None:
            # A step is an optimizer step, measured just before it (gradients
            # accumulated over several backward passes count once); outside
            # the autograd engine this costs less than the callback below.
            self._handles = [optimizer.register_step_pre_hook(lambda *_: self._end_backward())]
        else:
            self._handles = [p.register_post_accumulate_grad_hook(self._grad_hook) for p in self._params]
        # The backward signal δ = ∂L/∂output of every layer, from a hook on
        # its output tensor: what the depth rules read. The forward hooks
        # are there only for the steps that measure it (a hook that returns
        # at once still costs a call per layer on every forward pass).
        self._signal_modules = [m for _, m, _ in modules] if signals else []
        self._signal_handles = []
        self._arm_signals()
        if optimizer is not None:
            self._handles.append(optimizer.register_step_post_hook(lambda *_: self._after_update()))
        if check_nan:
            # Only the last forward pass before a step counts (not evaluation passes in between).
            self._handles.append(model.register_forward_pre_hook(lambda *_: self._sums.clear()))
            # The layers only (modules with parameters of their own): a sum per
            # module output costs more inside a forward pass than alone (it
            # wakes the intra-op threads), and a NaN made by an activation
            # shows in the next layer's output.
            for name, m, _ in modules:
                self._handles.append(m.register_forward_hook(self._sum_hook(name)))
        self._sender = threading.Thread(target=self._send_loop, name="gradscope-sender", daemon=True)
        self._sender.start()

    # -- training thread -------------------------------------------------
    def _grad_hook(self, _p: torch.Tensor) -> None:
        if not self._armed:
            self._armed = True
            torch.autograd.Variable._execution_engine.queue_callback(self._end_backward)

    def _arm_signals(self) -> None:
        """Hooks the layers' outputs when the next step is one that
        measures δ: the first and every `signal_every`-th recorded step."""
        upcoming = self.step + 1
        if (self._signal_modules and not self._stopped and (upcoming == 1 or upcoming % self.every == 0)
                and self._recorded % self.signal_every == 0):
            self._signal_handles = [m.register_forward_hook(self._output_hook(k)) for k, m in enumerate(self._signal_modules)]

    def _disarm_signals(self) -> None:
        for h in self._signal_handles:
            h.remove()
        self._signal_handles = []

    def _output_hook(self, index: int):
        """Notes the layer's place in the data flow and hooks its output,
        whose gradient δ is kept to the end of the backward pass, where one
        `_foreach_norm` measures them all (in `_signals`)."""
        def hook(_module, _inputs, output):
            out = output[0] if isinstance(output, tuple) and output else output
            if not isinstance(out, torch.Tensor) or not out.requires_grad:
                return
            self._order.setdefault(index)
            out.register_hook(lambda g: self._deltas.append((index, g)))
        return hook

    def _signals(self):
        """This step's δ per layer as (name, RMS), in the data's order."""
        deltas, self._deltas = self._deltas, []
        order, self._order = self._order, {}
        if not deltas:
            return None
        norms = torch._foreach_norm([g for _, g in deltas], 2, **self._norm_options)
        norms = torch.stack(norms if norms[0].dtype == torch.float32 else [n.float() for n in norms]).tolist()
        squares, sizes = {}, {}
        for (k, g), v in zip(deltas, norms):  # a layer called twice (weights shared): its δ over both calls
            squares[k] = squares.get(k, 0.0) + v * v
            sizes[k] = sizes.get(k, 0) + g.numel()
        return [(self._names[k], math.sqrt(squares[k] / max(sizes[k], 1))) for k in order if k in squares]

    def _after_update(self) -> None:
        """After an optimizer step whose update is measured: ‖Δθ‖ per
        parameter, added to the step's full record (the sender reads the
        newest step one wake-up later, by when this has run)."""
        if self._before is None:
            return
        (layers, before), self._before = self._before, None
        try:
            with torch.no_grad():
                after = [p.detach() for p in self._params]
                updates = torch.stack(torch._foreach_norm(torch._foreach_sub(after, before), 2)).tolist()
            i = 0
            for layer in layers:
                group = updates[i:i + len(layer["params"])]
                for entry, u in zip(layer["params"], group):
                    entry["update_norm"] = u
                layer["update_norm"] = math.hypot(*group)
                i += len(group)
        except Exception as e:  # noqa: BLE001 - training goes on
            self.errors.append(repr(e))

    def _sum_hook(self, name: str):
        def hook(_module, _inputs, output):
            out = output[0] if isinstance(output, tuple) and output else output  # LSTM/GRU: (output, state)
            if isinstance(out, torch.Tensor) and out.is_floating_point() and not self._nonfinite_sent:
                self._sums.append((name, out.detach().sum()))
        return hook

    def _end_backward(self) -> None:
        """Measures the step just taken. Never raises into the user's
        training: an error turns watching off, counted in `errors`."""
        self._armed = False
        self.step += 1
        self._disarm_signals()
        sums, self._sums = self._sums, []
        if self._stopped or not (self.step == 1 or self.step % self.every == 0):
            self._deltas, self._order = [], {}
        else:
            try:
                self._measure(sums)
            except Exception as e:  # noqa: BLE001 - whatever it was, training goes on
                self.errors.append(repr(e))
                self._stopped = True
        self._arm_signals()

    def _measure(self, sums) -> None:
        self._recorded += 1
        if len(self._steps) >= self.max_buffer:  # the sender is stuck on a slow server: drop
            self._drop(1)
            return
        with torch.no_grad():
            origin = self._forward_origin(sums)
            signals = self._signals()
            grads = [p.grad if p.grad is not None else self._zeros(i) for i, p in enumerate(self._params)]
            lr = float(self.optimizer.param_groups[0]["lr"]) if self.optimizer is not None else None
            self._kept_step = self.step
            if (self._recorded - 1) % self.histogram_every != 0:
                norms = torch.stack(torch._foreach_norm(grads, 2, **self._norm_options)).tolist()
                if math.isfinite(sum(norms)):
                    self._steps.append((self.step, norms, None, origin, lr, signals))
                    return
            # A histogram step, or a NaN/Inf to count exactly.
            params = [p.detach() for p in self._params]
            weights = torch.stack(torch._foreach_norm(params, 2, **self._norm_options)).tolist()
            layers = self._summarizer.measure(grads, weights)
            if self.optimizer is not None:  # the update's size, once the optimizer has stepped
                self._before = (layers, torch._foreach_mul(params, 1.0))
        self._steps.append((self.step, None, layers, origin, lr, signals))

    def _drop(self, n: int) -> None:
        with self._count_lock:
            self.dropped += n

    def _forward_origin(self, sums):
        """The first layer whose output had a NaN/Inf in this step's forward pass."""
        if not sums or self._nonfinite_sent:
            return None
        finite = torch.isfinite(torch.stack([s for _, s in sums])).tolist()
        if all(finite):
            return None
        self._nonfinite_sent = True
        return sums[finite.index(False)][0]

    def _light_template(self) -> str:
        """A step record without histogram (gradient norms only), as a %-format
        over (step, per layer its norm then its parameters' norms, the total
        norm): formatting beats building and encoding the dictionaries by ~10×
        on the sender thread, whose time is taken from training's cores."""
        def name(n):  # non-ASCII as it is: the server's fast path reads no escapes
            return json.dumps(n, ensure_ascii=False).replace("%", "%%")
        layers = []
        for layer, params in self._layout.layers:
            ps = ", ".join('{"name": %s, "grad_norm": %%.9g}' % name(p[0]) for p in params)
            layers.append('{"name": %s, "grad_norm": %%.9g, "params": [%s]}' % (name(layer), ps))
        return '{"step": %d, "layers": [' + ", ".join(layers) + '], "grad_norm": %.9g, "nonfinite_grads": 0'

    @staticmethod
    def _signals_json(signals) -> str:
        """`, "signals": [...]` with each layer's δ RMS (null when not finite)."""
        items = ", ".join('{"name": %s, "delta_rms": %s}' % (json.dumps(n, ensure_ascii=False), "%.9g" % v if math.isfinite(v) else "null")
                          for n, v in signals)
        return ', "signals": [%s]' % items

    def _light_line(self, step, norms, loss, lr, signals=None) -> str:
        """Values to 9 significant digits: exact for the float32 norms
        measured, within 5e-10 for the layers' and the loss (and 3× faster
        to format than repr's 17)."""
        values, i = [], 0
        for _, params in self._layout.layers:
            group = norms[i:i + len(params)]
            values.append(math.hypot(*group))
            values += group
            i += len(params)
        line = self._light % (step, *values, math.hypot(*norms))
        if loss is not None:
            line += ', "loss": %s' % ("%.9g" % loss if math.isfinite(loss) else "null")
        if lr is not None:
            line += ', "lr": %s' % (repr(lr) if math.isfinite(lr) else "null")
        if signals:
            line += self._signals_json(signals)
        return line + "}"

    def _zeros(self, i: int) -> torch.Tensor:
        """The gradient of a parameter that got none this step."""
        z = self._zero_grads.get(i)
        if z is None:
            z = self._zero_grads[i] = torch.zeros_like(self._params[i])
        return z

    def log(self, loss) -> None:
        """The loss of the step just taken (a tensor or a number); optional."""
        if self._kept_step == self.step:  # only the losses of steps on their way are read
            self._losses[self.step] = loss.detach() if isinstance(loss, torch.Tensor) else float(loss)

    # -- sender thread ---------------------------------------------------
    def _post(self, path: str, body: bytes, headers=None):
        request = urllib.request.Request(self.url + path, data=body, method="POST",
                                         headers={"Content-Type": "application/json", **(headers or {})})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            text = response.read()
            return json.loads(text) if text else {}

    def _create(self) -> None:
        created = self._post("/api/runs", self._spec,
                             {"Authorization": f"Bearer {self._server_token}"} if self._server_token else {})
        self._token, self.id = created["token"], created["id"]

    def _created(self) -> bool:
        """Whether the run exists, creating it if the server now answers."""
        if self.id is not None or self._stopped:
            return self.id is not None
        try:
            self._create()
            return True
        except urllib.error.HTTPError as e:
            if e.code < 500:  # the server refuses the run: nothing will be sent
                self.errors.append(f"the server refused the run: HTTP {e.code}")
                self._stopped = True
        except Exception:  # noqa: BLE001 - still not there
            pass
        return False

    def _send_loop(self) -> None:
        """Wakes every `interval` seconds, not on every step (each wake-up
        would take the GIL from the training thread), turns the steps taken
        since into records and posts them. The newest step waits for the
        next wake-up, so that log() has given its loss. Until the run exists
        on the server, steps wait in the buffer (and beyond `max_buffer`
        are dropped, as when posting fails)."""
        pending = None
        posted = time.monotonic()
        while True:
            closing = self._closing.wait(self.interval)
            if not self._created():
                if closing or self._stopped:  # the server never answered, or refused the run: what waited is lost
                    self._drop(len(self._steps))
                    return
                continue
            fresh = []
            while self._steps:
                fresh.append(self._steps.popleft())
            steps = ([pending] if pending is not None else []) + fresh
            pending = None if closing or not fresh else steps.pop()
            lines = []
            for raw in steps:
                try:
                    lines += self._lines(*raw)
                except Exception:  # one bad step must not take the sender down
                    self._drop(1)
            batches = [lines[i:i + self.batch_size] for i in range(0, len(lines), self.batch_size)]
            if not batches and time.monotonic() - posted > KEEP_ALIVE:
                batches = [[]]  # an empty batch: the server ends runs that go quiet for long (--run-idle-minutes)
            for batch in batches:
                self._flush(batch)
                posted = time.monotonic()
            if closing:
                return

    def _lines(self, step, norms, layers, origin, lr, signals):
        """A step's record, and before it where the first NaN/Inf appeared,
        if it did in this step: a layer's output in the forward pass (seen
        by check_nan), else the loss, else the gradients (the backward pass
        reaches the layer nearest the output first). The step record's
        fields are `stats.STEP_FIELDS_WRITTEN`."""
        loss = self._losses.pop(step, None)
        loss = float(loss) if loss is not None else None
        origins = []
        bad = [l["name"] for l in layers if l["nan"] + l["inf"] > 0] if layers is not None else []
        if origin is not None:
            origins.append({"type": "nonfinite", "step": step, "pass": "forward", "layer": origin, "quantity": "output"})
        elif not self._origin_sent and loss is not None and not math.isfinite(loss):
            origins.append({"type": "nonfinite", "step": step, "pass": "loss", "quantity": "loss"})
        elif not self._origin_sent and bad:
            origins.append({"type": "nonfinite", "step": step, "pass": "backward", "layer": bad[-1],
                            "quantity": "parameter gradient"})
        self._origin_sent = self._origin_sent or bool(origins)
        lines = [_encode(o) for o in origins]
        if layers is None:  # finite norms only: the common case, formatted
            return lines + [self._light_line(step, norms, loss, lr, signals)]
        record = {"step": step, "layers": layers, "grad_norm": math.sqrt(sum(l["grad_norm"] ** 2 for l in layers)),
                  "nonfinite_grads": sum(l["nan"] + l["inf"] for l in layers)}
        if loss is not None:
            record["loss"] = loss
        if lr is not None:
            record["lr"] = lr
        if signals:
            record["signals"] = [{"name": n, "delta_rms": v} for n, v in signals]
        return lines + [_encode(record)]

    def _flush(self, lines) -> None:
        steps = sum(1 for line in lines if not line.startswith('{"type": "nonfinite"'))
        failures = busy = 0
        while failures < 3:
            try:
                self._post(f"/api/runs/{self.id}/steps", "\n".join(lines).encode(), {"Authorization": f"Bearer {self._token}"})
                self.sent += steps
                return
            except urllib.error.HTTPError as e:
                if e.code in (429, 503) and busy < 10:
                    # Busy (a database server's writer is behind) or briefly
                    # away: the batch is sent again after the wait it asks for.
                    busy += 1
                    time.sleep(min(5.0, float(e.headers.get("Retry-After") or 1)))
                    continue
                if e.code in (404, 409):  # the run was deleted, cancelled or ended: stop measuring
                    self.errors.append(f"the server ended the run (HTTP {e.code})")
                    self._stopped = True
                if e.code < 500:  # the server said no: retrying will not help
                    break
            except Exception:  # noqa: BLE001 - network errors of every kind: retry, then drop
                pass
            failures += 1
            time.sleep(0.1 * failures)
        self._drop(steps)

    def close(self, status: str = "completed") -> None:
        if self._closed:
            return
        self._closed = True
        for h in self._handles:
            h.remove()
        self._disarm_signals()
        self._closing.set()
        self._sender.join(timeout=60)
        if self.dropped:
            warnings.warn(f"gradscope: {self.dropped} of {self._recorded} measured steps could not be sent "
                          "(the server was slow, down or refused them)", stacklevel=2)
        if self.id is None:
            return
        try:
            self._post(f"/api/runs/{self.id}/finish", json.dumps({"status": status, "dropped": self.dropped}).encode(),
                       {"Authorization": f"Bearer {self._token}"})
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close("failed" if exc_type else "completed")
        return False


def _encode(record) -> str:
    try:
        return json.dumps(record, allow_nan=False, ensure_ascii=False)
    except ValueError:  # JSON has no NaN/Inf: records write them as null (the counts say what they were)
        return json.dumps(_finite(record), allow_nan=False, ensure_ascii=False)


def _finite(v):
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_finite(x) for x in v]
    return v


def watch(model: nn.Module, url: str = "http://127.0.0.1:8080", every: int = 1, run_name: Optional[str] = None,
          **options) -> Watch:
    """Starts watching ``model``: creates a run on the server and records
    the first and every ``every``-th backward pass: per layer and parameter
    the gradient norm, and on the first and every ``histogram_every``-th
    recorded step (default 20), and on any step with a NaN/Inf, everything:
    max and mean |g|, zero, NaN and Inf counts, ‖θ‖ and the log10|g|
    histogram. Options: ``token`` (the server's, if it has one),
    ``optimizer`` (to report its learning rate and, on histogram steps, each
    layer's update ‖Δθ‖; a step is then an optimizer step), ``baseline_loss``
    (the loss of the best constant prediction, ``math.log(C)`` for C
    balanced classes, the yardstick for learning progress; else the first
    steps' losses stand in), ``signals`` (on by default: every layer's
    backward signal δ = ∂L/∂output, from a hook on its output, which the
    depth rules read; measured on the first and every ``signal_every``-th
    recorded step, default 5, as it costs a hook per layer; 5 keeps an alert within 5 recorded steps of its onset), ``check_nan`` (off by default: sum each layer's output in the
    forward pass to report the first layer whose output had a NaN/Inf),
    ``max_buffer`` (measured steps
    waiting while the server is slow; beyond it, and when the server fails,
    they are dropped and counted in ``.dropped``)."""
    return Watch(model, url=url, every=every, run_name=run_name, **options)
