"""The client's statistics against their definitions (no server needed)."""
import math

import torch

from gradscope.stats import Layout, Summarizer, edges


def exact_counts(values, bins=64, low=1e-12, high=1e4):
    e = torch.tensor(edges(bins, low, high), dtype=torch.float32)
    a = values.abs()
    finite = a[torch.isfinite(a)]
    slots = torch.bucketize(finite, e, right=True)  # 0 below min, 1 + i in bin i, bins + 1 overflow
    c = torch.bincount(slots, minlength=bins + 2)
    zeros = int((finite == 0).sum())
    return zeros, int(c[0]) - zeros, c[1:bins + 1].tolist(), int(c[bins + 1])


def test_layer_statistics_match_their_definitions():
    g = torch.Generator().manual_seed(3)
    w = torch.randn(300, 41, generator=g) * torch.pow(10, torch.empty(300, 41).uniform_(-14, 6, generator=g))
    w[::7, ::3] = 0
    b = torch.randn(41, generator=g) * 1e-3
    flat = torch.cat([w.reshape(-1), b])
    layout = Layout([("fc", [("weight", 0, w.numel()), ("bias", w.numel(), b.numel())])])
    [layer] = Summarizer(layout).measure([w, b], [2.0, 1.0])
    assert math.isclose(layer["grad_norm"], float(flat.double().norm()), rel_tol=1e-5)
    assert math.isclose(layer["params"][0]["max_abs"], float(w.abs().max()), rel_tol=1e-6)
    assert math.isclose(layer["mean_abs"], float(flat.double().abs().mean()), rel_tol=1e-5)
    assert math.isclose(layer["weight_norm"], math.sqrt(5.0))
    zeros, under, counts, over = exact_counts(flat)
    h = layer["hist"]
    assert (h["zero"], h["underflow"], h["overflow"], h["nonfinite"]) == (zeros, under, over, 0)
    assert layer["zero_fraction"] == zeros / flat.numel()
    # Only values within 1e-5 (relative) of an edge may fall in the bin next door.
    e = torch.tensor(edges(64, 1e-12, 1e4), dtype=torch.float64)
    a = flat.abs().double()
    near = int(((a.unsqueeze(1) / e - 1).abs() < 1e-5).any(1).sum())
    assert sum(abs(x - y) for x, y in zip(h["counts"], counts)) <= 2 * near


def test_nan_inf_and_huge_values_are_counted_exactly():
    flat = torch.tensor([1.0, float("nan"), float("inf"), -float("inf"), 3e20, 0.0, 1e-3])
    layout = Layout([("fc", [("weight", 0, 7)])])
    [layer] = Summarizer(layout).measure([flat], [1.0])
    assert (layer["nan"], layer["inf"]) == (1, 2)
    huge = float(torch.tensor(3e20))  # as float32 holds it
    assert math.isclose(layer["grad_norm"], math.sqrt(1 + huge ** 2 + 1e-6), rel_tol=1e-9)
    h = layer["hist"]
    assert h["nonfinite"] == 3 and h["zero"] == 1 and h["overflow"] == 1 and sum(h["counts"]) == 2


def test_every_parameter_is_counted_on_its_own_and_zeros_apart_from_subnormals():
    g = torch.Generator().manual_seed(5)
    grads = [torch.randn(n, generator=g) * torch.pow(10, torch.empty(n).uniform_(-16, 6, generator=g))
             for n in (1, 7, 300, 4096, 33, 1000, 2, 513, 64, 20, 5000, 3)]
    grads[3][:100] = 0
    grads[3][100:110] = 1e-40  # subnormal: underflow, not zero
    grads[3][110:115] = -3e-45
    layout, start = [], 0
    for i in range(0, len(grads), 2):  # two parameters a layer
        layout.append((f"l{i}", [("weight", start, grads[i].numel()), ("bias", start + grads[i].numel(), grads[i + 1].numel())]))
        start += grads[i].numel() + grads[i + 1].numel()
    layers = Summarizer(Layout(layout)).measure(grads, [1.0] * len(grads))
    e = torch.tensor(edges(64, 1e-12, 1e4), dtype=torch.float64)
    for k, layer in enumerate(layers):
        both = torch.cat(grads[2 * k:2 * k + 2])
        zeros, under, counts, over = exact_counts(both)
        h = layer["hist"]
        assert (h["zero"], h["underflow"], h["overflow"]) == (zeros, under, over), k
        near = int(((both.abs().double().unsqueeze(1) / e - 1).abs() < 1e-5).any(1).sum())
        assert sum(abs(x - y) for x, y in zip(h["counts"], counts)) <= 2 * near, k
        for j, p in enumerate(layer["params"]):
            assert math.isclose(p["grad_norm"], float(grads[2 * k + j].double().norm()), rel_tol=1e-5)
            assert math.isclose(p["mean_abs"], float(grads[2 * k + j].double().abs().mean()), rel_tol=1e-5)
            assert p["zero_fraction"] == float((grads[2 * k + j] == 0).double().mean())
    assert layers[1]["hist"]["zero"] == 100 and layers[1]["hist"]["underflow"] >= 15


def test_chunks_measure_what_one_pass_measures():
    """Scratch space is bounded: parameters go through in chunks, the large
    ones cut across chunks, with NaN and Inf in a cut parameter."""
    g = torch.Generator().manual_seed(9)
    grads = [torch.randn(n, generator=g) * torch.pow(10, torch.empty(n).uniform_(-14, 4, generator=g))
             for n in (3000, 5, 700, 2500, 1, 900)]
    grads[0][:50] = 0
    grads[3][2400] = float("nan")
    grads[3][10] = float("inf")
    layout, start = [], 0
    for k, grad in enumerate(grads):
        layout.append((f"l{k}", [("weight", start, grad.numel())]))
        start += grad.numel()
    whole = Summarizer(Layout(layout)).measure(grads, [1.0] * len(grads))
    chunked = Summarizer(Layout(layout), chunk=1000)
    assert len(chunked._chunks) == 8 and chunked._abs.numel() == 1000
    assert same(chunked.measure(grads, [1.0] * len(grads)), whole)
    assert whole[3]["nan"] == 1 and whole[3]["inf"] == 1 and whole[0]["hist"]["zero"] == 50


def same(a, b):
    """Equal, counts exactly and sums within float32 rounding (a cut parameter adds its parts)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return math.isclose(a, b, rel_tol=1e-6)
    return a == b

