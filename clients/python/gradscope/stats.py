"""Per-layer gradient statistics of one step, from one flat float32 copy
of every gradient, in a few vectorised torch operations per step (not per
value; per parameter only the counting).

The histogram bin of |g| is floor(4·(log10|g| − log10 min)) (for the
default edges), computed in float32 and counted with `bincount`; the
server's edges are those values rounded to float32, so a value within about
1e-5 (relative) of an edge may land in the neighbouring bin; everything else
lands as in the engine. A parameter whose sums are not finite (NaN, ±Inf,
or squares beyond float32) is measured again exactly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Optional, Tuple

import torch



def edges(bins: int, low: float, high: float) -> List[float]:
    """The server's edges: 10^(log10 low + i·Δ), rounded to float32."""
    a, b = math.log10(low), math.log10(high)
    return torch.tensor([10 ** (a + i * (b - a) / bins) for i in range(bins + 1)], dtype=torch.float32).tolist()


@dataclass
class Layout:
    """Where each layer's parameters sit in the flat copy."""
    layers: List[Tuple[str, List[Tuple[str, int, int]]]]  # (layer, [(param, start, count)])
    bins: int = 64
    low: float = 1e-12
    high: float = 1e4

    @property
    def spans(self) -> List[Tuple[int, int]]:
        return [(start, count) for _, params in self.layers for _, start, count in params]


SMALLEST = 1.401298464324817e-45  # the smallest float32 subnormal


def summarize(flat: torch.Tensor, layout: Layout, weight_norms: List[float], index: Optional[torch.Tensor] = None) -> List[dict]:
    """The `layers` of a step record (see the README's record schema) from
    `flat`, every gradient one after the other in `layout`'s order. `flat`
    is overwritten; `index` (int32, as long as `flat`) is scratch space.
    Everything works in place: a fresh 2 MB tensor costs its page faults,
    more than the arithmetic on it."""
    bins, per_decade = layout.bins, layout.bins / (math.log10(layout.high) - math.log10(layout.low))
    a = flat.abs_()
    spans = layout.spans
    pieces = [a[s:s + n] for s, n in spans]
    squares = torch.stack(torch._foreach_norm(pieces)).double().square().tolist()
    sums = torch.stack(torch._foreach_norm(pieces, 1)).tolist()
    if hasattr(torch, "_foreach_max") and all(p.numel() for p in pieces):
        maxes = torch.stack(torch._foreach_max(pieces)).tolist()
    else:
        maxes = [float(p.amax()) if p.numel() else 0.0 for p in pieces]
    # Index = bin + offset: 0 is zero (log10 of 0 takes a slow path: zeros are
    # raised to the smallest subnormal first, so |g| < 1.8e-45 counts as 0),
    # 1 … offset − 1 underflow, offset + bins overflow. Parameters with NaN or
    # ±Inf (their index is meaningless) are counted by _exact instead.
    offset = -math.floor((math.log10(SMALLEST) - math.log10(layout.low)) * per_decade)
    exact = {i for i in range(len(spans)) if not (math.isfinite(squares[i]) and math.isfinite(maxes[i]))}
    # What _exact needs, kept before the in-place passes below.
    keep = {i: a[spans[i][0]:spans[i][0] + spans[i][1]].clone() for i in exact}
    # floor(k·(log10 a − log10 min)) + offset = floor(k·log10 a + (offset − k·log10 min)), one fused
    # multiply-add; clamped to [0, offset + bins] the conversion to int32 (truncation) is the floor.
    logs = a.add_(SMALLEST).log10_()  # x + 1.4e-45 is x for every normal x; 0 becomes the smallest subnormal
    torch.add(torch.tensor(offset - per_decade * math.log10(layout.low)), logs, alpha=per_decade, out=logs)
    logs.clamp_(0, offset + bins + 0.5)
    index = index if index is not None and index.numel() >= logs.numel() else torch.empty(logs.numel(), dtype=torch.int32)
    index = index[:logs.numel()].copy_(logs)

    out, i = [], 0
    for name, params in layout.layers:
        entry_params, hist = [], [0] * (bins + 5)  # zero, underflow, bins…, overflow, nan, inf
        total_sq = total_abs = 0.0
        largest, count = 0.0, 0
        for pname, start, n in params:
            sq, s, m = squares[i], sums[i], maxes[i]
            if i not in exact:
                c = torch.bincount(index[start:start + n], minlength=offset + bins + 1).tolist()
                h = [c[0], sum(c[1:offset])] + c[offset:offset + bins] + [c[offset + bins], 0, 0]
            else:
                h, sq, s, m = _exact(keep[i], layout)
            entry_params.append({"name": pname, "grad_norm": math.sqrt(sq), "max_abs": m, "mean_abs": s / max(n, 1),
                                 "zero_fraction": h[0] / max(n, 1), "nan": h[-2], "inf": h[-1],
                                 "weight_norm": weight_norms[i]})
            hist = [x + y for x, y in zip(hist, h)]
            total_sq += sq
            total_abs += s
            largest = max(largest, m)
            count += n
            i += 1
        nan, inf = hist[-2], hist[-1]
        out.append({"name": name, "grad_norm": math.sqrt(total_sq), "max_abs": largest,
                    "mean_abs": total_abs / max(count, 1), "zero_fraction": hist[0] / max(count, 1),
                    "nan": nan, "inf": inf,
                    "weight_norm": math.sqrt(sum(p["weight_norm"] ** 2 for p in entry_params)),
                    "params": entry_params,
                    "hist": {"counts": hist[2:bins + 2], "zero": hist[0], "underflow": hist[1],
                             "overflow": hist[bins + 2], "nonfinite": nan + inf}})
    return out


def _exact(a: torch.Tensor, layout: Layout):
    """The slot counts and float64 sums of one parameter with non-finite
    values or squares beyond float32, by the float32 edges themselves."""
    bins = layout.bins
    nan, inf = int(torch.isnan(a).sum()), int(torch.isinf(a).sum())
    finite = a[torch.isfinite(a)]
    e = torch.tensor(edges(bins, layout.low, layout.high), dtype=torch.float32)
    slots = torch.bucketize(finite, e, right=True)  # 0 below min, 1 + i bin i, bins + 1 overflow
    c = torch.bincount(slots, minlength=bins + 2).tolist()
    zeros = int((finite == 0).sum())
    h = [zeros, c[0] - zeros] + c[1:bins + 1] + [c[bins + 1], nan, inf]
    d = finite.double()
    return h, float(d.square().sum()), float(d.sum()), float(finite.amax()) if finite.numel() else 0.0


