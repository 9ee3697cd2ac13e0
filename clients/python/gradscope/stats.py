"""Per-layer gradient statistics of one step, in a fixed number of
vectorised torch operations per chunk of up to 4M values (and a few per
parameter: the copy, the sum and the slot offset), over two scratch buffers
allocated once.

The histogram slot of |g| is floor(k·(log10|g| − log10 min)) for the k bins
a decade of the edges, computed in float32 and counted with one `bincount`
for every parameter of a chunk at once; the server's edges are those values rounded to
float32, so a value within about 1e-5 (relative) of an edge may land in the
neighbouring bin; everything else lands as in the engine. A parameter whose
sums are not finite (NaN, ±Inf, or squares beyond float32) is measured again
exactly.

Some steps look odd and are there for speed. log10 of an exact zero, and
any arithmetic on a subnormal, takes a slow path (20-30× slower on x86), so
the logarithm is taken of |g| + FLT_MIN: that leaves every |g| ≥ 2e-31 as
it was and turns zeros into the smallest normal number. Zeros are then told
apart by sign(|g|), 0 for them alone (subnormal gradients stay underflow, as
in the engine). And each parameter's slots are offset by its place in the
chunk times the slots a parameter has (after flooring, so that the sum
stays a whole number), so that one `bincount` counts them all.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Sequence, Tuple

import torch


EDGES_DEFAULT = (64, 1e-12, 1e4)  # bins, min, max: the server's default log10 edges (tests/test_watch.py checks)

# The step-record fields (docs/records.md), as key paths inside a step record
# without its "step." prefix: the client posts step records only, and these
# are the keys of what it posts. Arrays of objects are transparent
# ("layers.params.grad_norm" is each parameter's). tests/test_records.py holds
# them to the record fixture and to what watch.py posts: a field the records
# gain must be added to one of the two.
STEP_FIELDS_WRITTEN = (
    "step", "loss", "lr", "grad_norm", "nonfinite_grads",  # loss once log() gave it, lr with the optimizer
    # every step: each layer's and parameter's gradient norm; on histogram
    # steps and any with a NaN/Inf the rest, update_norm with the optimizer
    "layers", "layers.name", "layers.grad_norm", "layers.max_abs", "layers.mean_abs", "layers.zero_fraction",
    "layers.nan", "layers.inf", "layers.weight_norm", "layers.update_norm",
    "layers.params", "layers.params.name", "layers.params.grad_norm", "layers.params.max_abs",
    "layers.params.mean_abs", "layers.params.zero_fraction", "layers.params.nan", "layers.params.inf",
    "layers.params.weight_norm", "layers.params.update_norm",
    "layers.hist", "layers.hist.counts", "layers.hist.zero", "layers.hist.underflow", "layers.hist.overflow",
    "layers.hist.nonfinite",
    # the first and every signal_every-th recorded step: δ only
    "signals", "signals.name", "signals.delta_rms",
)
STEP_FIELDS_NOT_WRITTEN = (
    # the server's to fill in: the record's type, the epoch (the client knows
    # none), the layers' kinds from the run's declaration (the signals' are
    # "identity"), update_ratio from update_norm and weight_norm
    "type", "epoch", "layers.kind", "layers.update_ratio", "signals.kind",
    # measured by the engine only
    "grad_norm_clipped", "clip_coef", "skipped", "accuracy", "batch_size",
    "signals.output_rms", "signals.output_mean", "signals.output_std", "signals.output_nonfinite",
    "signals.delta_nonfinite", "signals.dead_fraction", "signals.saturated_fraction",
    "recurrent", "recurrent.layer", "recurrent.sublayer", "recurrent.hidden_grad_norms", "recurrent.spectral_norm",
)


def edges(bins: int, low: float, high: float) -> List[float]:
    """The server's edges: 10^(log10 low + i·Δ), rounded to float32."""
    a, b = math.log10(low), math.log10(high)
    return torch.tensor([10 ** (a + i * (b - a) / bins) for i in range(bins + 1)], dtype=torch.float32).tolist()


@dataclass
class Layout:
    """Where each layer's parameters sit in the flat copy."""
    layers: List[Tuple[str, List[Tuple[str, int, int]]]]  # (layer, [(param, start, count)])
    bins: int = EDGES_DEFAULT[0]
    low: float = EDGES_DEFAULT[1]
    high: float = EDGES_DEFAULT[2]

    @property
    def spans(self) -> List[Tuple[int, int]]:
        return [(start, count) for _, params in self.layers for _, start, count in params]

    @property
    def size(self) -> int:
        return sum(count for _, count in self.spans)


FLT_MIN = 1.1754943508222875e-38  # the smallest normal float32


@dataclass
class _Segment:
    """A run of one parameter's values that one pass over a chunk measures."""
    param: int
    start: int          # in the parameter
    count: int
    abs: torch.Tensor   # its place in the scratch buffers
    logs: torch.Tensor
    base: torch.Tensor  # its first slot in the chunk's bincount


class Summarizer:
    """Measures the full statistics of a model's gradients (the `layers` of
    a step record, see the README's record schema). Works through the
    parameters in chunks of at most `chunk` values, over two scratch buffers
    of that size on their device, reused every step: a fresh tensor costs
    its page faults, more than the arithmetic, and scratch as large as a big
    model would double its memory. A parameter larger than a chunk is cut
    across chunks (its sums add up, its counts too)."""

    def __init__(self, layout: Layout, device=None, chunk: int = 1 << 22):
        self.layout = layout
        self.spans = layout.spans
        if layout.low < FLT_MIN * 2 ** 24:  # |g| + FLT_MIN would move values above the lowest edge
            raise ValueError(f"histogram edges from {layout.low} are below what the statistics can count (2e-31)")
        per_decade = layout.bins / (math.log10(layout.high) - math.log10(layout.low))
        # Slots of one parameter: 0 zero, 1 … offset − 1 underflow, offset + i
        # bin i, offset + bins overflow. FLT_MIN (where zeros go) lands in slot ≥ 1.
        self.offset = 1 - math.floor((math.log10(FLT_MIN) - math.log10(layout.low)) * per_decade)
        self.slots = self.offset + layout.bins + 1
        self._per_decade = per_decade
        # floor(k·(log10 a − log10 min)) + offset = floor(k·log10 a + shift): one fused multiply-add.
        self._shift = torch.tensor(self.offset - per_decade * math.log10(layout.low), device=device)
        self._device = device
        self._layer_of = torch.tensor([k for k, (_, params) in enumerate(layout.layers) for _ in params], device=device)
        self._needs_amax = not hasattr(torch, "_foreach_max")

        # Cut the parameters into chunks: at most `chunk` values, and few
        # enough segments that slot + offset stays a whole float32.
        most_segments = (2 ** 24 - 1) // self.slots
        cuts, current, used = [], [], 0
        for i, (_, n) in enumerate(self.spans):
            at = 0
            while at < n:
                take = min(n - at, chunk - used)
                current.append((i, at, take))
                used, at = used + take, at + take
                if used == chunk or len(current) == most_segments:
                    cuts.append(current)
                    current, used = [], 0
        if current:
            cuts.append(current)
        size = max((sum(n for _, _, n in c) for c in cuts), default=0)
        self._abs = torch.empty(size, dtype=torch.float32, device=device)
        self._logs = torch.empty(size, dtype=torch.float32, device=device)
        self._chunks = []
        for c in cuts:
            segments, at = [], 0
            for k, (i, start, n) in enumerate(c):
                segments.append(_Segment(i, start, n, self._abs[at:at + n], self._logs[at:at + n],
                                         torch.tensor(float(k * self.slots), device=device)))
                at += n
            self._chunks.append((segments, at, torch.tensor([seg.param for seg in segments], device=device)))

    def measure(self, grads: Sequence[torch.Tensor], weight_norms: List[float]) -> List[dict]:
        """`grads`: every parameter's gradient in the layout's order."""
        flats = [g.detach().reshape(-1) for g in grads]
        n = len(self.spans)
        squares, sums, maxes = [0.0] * n, [0.0] * n, [0.0] * n
        counts = torch.zeros(n, self.slots, dtype=torch.int64, device=self._device)
        bad = set()  # parameters with NaN/Inf or squares beyond float32: measured again by _exact
        for segments, used, params in self._chunks:
            self._count(segments, used, params, flats, squares, sums, maxes, counts, bad)
        nonfinite = [(0, 0)] * n
        for i in bad:
            row, nan, inf, sq, total, largest = self._exact(flats[i])
            counts[i] = row
            nonfinite[i], squares[i], sums[i], maxes[i] = (nan, inf), sq, total, largest
        return self._layers(counts, squares, sums, maxes, nonfinite, weight_norms)

    def _count(self, segments, used, params, flats, squares, sums, maxes, counts, bad) -> None:
        """One chunk: its segments' sums, and their slots added to `counts`."""
        a, logs = self._abs[:used], self._logs[:used]
        pieces = [seg.abs for seg in segments]
        for seg in segments:
            part = flats[seg.param][seg.start:seg.start + seg.count]
            torch.abs(part.to(seg.abs.device, torch.float32), out=seg.abs)  # .to: a no-op when they match
        sq = torch.stack(torch._foreach_norm(pieces)).double().square().tolist()
        total = torch.stack([p.sum() for p in pieces]).tolist()
        largest = [float(p.amax()) for p in pieces] if self._needs_amax else torch.stack(torch._foreach_max(pieces)).tolist()
        for seg, q, t, m in zip(segments, sq, total, largest):
            squares[seg.param] += q
            sums[seg.param] += t
            maxes[seg.param] = max(maxes[seg.param], m)
            if not (math.isfinite(q) and math.isfinite(m)):
                bad.add(seg.param)

        torch.add(a, FLT_MIN, out=logs).log10_()
        torch.add(self._shift, logs, alpha=self._per_decade, out=logs)
        logs.clamp_(1, self.slots - 0.5).floor_()  # whole slots, so that adding the offsets below is exact
        a.sign_()  # 1, or 0 for the zeros (NaN for NaN: those parameters are counted by _exact)
        for seg in segments:
            if seg.param in bad:  # their slots would be meaningless: put them all in slot 0, replaced later
                seg.logs.fill_(seg.base)
            else:  # slot · sign (0 for zeros) + the segment's offset
                torch.addcmul(seg.base, seg.logs, seg.abs, out=seg.logs)
        index = a.view(torch.int32).copy_(logs)
        found = torch.bincount(index, minlength=self.slots * len(segments)).view(len(segments), self.slots)
        counts.index_add_(0, params, found)

    def _layers(self, counts, squares, sums, maxes, nonfinite, weight_norms) -> List[dict]:
        # Per layer: zero, underflow, the bins, overflow.
        per_layer = torch.zeros(len(self.layout.layers), self.slots, dtype=counts.dtype, device=counts.device)
        per_layer.index_add_(0, self._layer_of, counts)
        offset = self.offset
        hists = torch.cat([per_layer[:, :1], per_layer[:, 1:offset].sum(1, keepdim=True), per_layer[:, offset:]], 1).tolist()
        zeros = counts[:, 0].tolist()

        out, i = [], 0
        for (name, params), hist in zip(self.layout.layers, hists):
            entry_params = []
            for pname, _, n in params:
                nan, inf = nonfinite[i]
                entry_params.append({"name": pname, "grad_norm": math.sqrt(squares[i]), "max_abs": maxes[i],
                                     "mean_abs": sums[i] / max(n, 1), "zero_fraction": zeros[i] / max(n, 1),
                                     "nan": nan, "inf": inf, "weight_norm": weight_norms[i]})
                i += 1
            first = i - len(params)
            count = sum(n for _, _, n in params)
            nan, inf = sum(x for x, _ in nonfinite[first:i]), sum(x for _, x in nonfinite[first:i])
            out.append({"name": name, "grad_norm": math.sqrt(sum(squares[first:i])), "max_abs": max(maxes[first:i]),
                        "mean_abs": sum(sums[first:i]) / max(count, 1), "zero_fraction": hist[0] / max(count, 1),
                        "nan": nan, "inf": inf, "weight_norm": math.sqrt(sum(w * w for w in weight_norms[first:i])),
                        "params": entry_params,
                        "hist": {"counts": hist[2:-1], "zero": hist[0], "underflow": hist[1],
                                 "overflow": hist[-1], "nonfinite": nan + inf}})
        return out

    def _exact(self, flat: torch.Tensor):
        """A parameter's slot counts, NaN and Inf counts and float64 sums,
        counted by the float32 edges themselves: for values that are not
        finite, or squares beyond float32."""
        layout, bins = self.layout, self.layout.bins
        a = flat.to(self._abs.device, torch.float32).abs()
        nan, inf = int(torch.isnan(a).sum()), int(torch.isinf(a).sum())
        finite = a[torch.isfinite(a)]
        e = torch.tensor(edges(bins, layout.low, layout.high), dtype=torch.float32, device=a.device)
        slots = torch.bucketize(finite, e, right=True)  # 0 below min, 1 + i bin i, bins + 1 overflow
        c = torch.bincount(slots, minlength=bins + 2)
        zeros = int((finite == 0).sum())
        row = torch.zeros(self.slots, dtype=torch.int64, device=a.device)
        row[0], row[1] = zeros, int(c[0]) - zeros
        row[self.offset:] = c[1:]
        d = finite.double()
        return row, nan, inf, float(d.square().sum()), float(d.sum()), float(finite.amax()) if finite.numel() else 0.0
