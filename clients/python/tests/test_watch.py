"""The client against a real `gradscope serve` started here (PyTorch CPU)."""
import json
import math
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pytest
import torch
from torch import nn

import gradscope

ROOT = pathlib.Path(__file__).resolve().parents[3]
BIN = os.environ.get("GRADSCOPE_BIN", str(ROOT / ".build/debug/gradscope"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port, *options):
    proc = subprocess.Popen([BIN, "serve", "--port", str(port), "--data-dir", tempfile.mkdtemp(), *options], stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    return proc


@pytest.fixture(scope="module")
def server():
    port = free_port()
    proc = start_server(port)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def train(model, url, steps, lr, data, nan_at=None, **options):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    x, y = data
    with gradscope.watch(model, url=url, optimizer=opt, **options) as run:
        for step in range(1, steps + 1):
            inputs = x
            if nan_at == step:
                inputs = x.clone()
                inputs[0, 0] = float("nan")
            loss = nn.functional.cross_entropy(model(inputs), y)
            opt.zero_grad()
            loss.backward()
            if step == 1:  # what the first record must say, measured here by hand
                run.first = {"loss": loss.item(), "norms": {n: float(p.grad.norm()) for n, p in model.named_parameters()}}
            opt.step()
            run.log(loss)
    return run


def data(seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(128, 16, generator=g)
    return x, (x[:, 0] > 0).long()


def mlp(depth, width, std=None):
    torch.manual_seed(0)
    layers, d = [], 16
    for _ in range(depth):
        layers += [nn.Linear(d, width), nn.ReLU()]
        d = width
    model = nn.Sequential(*layers, nn.Linear(d, 2))
    if std is not None:
        for m in model.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=std)
    return model


def test_a_healthy_run_is_healthy_and_every_step_arrives(server):
    run = train(mlp(2, 32), server, 60, 0.1, data())
    job = get(f"{server}/api/jobs/{run.id}")
    assert job["status"] == "completed" and job["source"] == "external"
    assert job["verdict"] == "healthy" and job["step"] == 60 and run.dropped == 0
    steps = get(f"{server}/api/jobs/{run.id}/steps?limit=1")["steps"][0]
    assert [l["name"] for l in steps["layers"]] == ["0", "2", "4"]
    hist = steps["layers"][0]["hist"]
    assert sum(hist["counts"]) + hist["zero"] + hist["underflow"] + hist["overflow"] + hist["nonfinite"] == 32 * 16 + 32
    # The first record is that step's own: its loss, and each parameter's gradient norm.
    assert math.isclose(steps["loss"], run.first["loss"], rel_tol=1e-6) and steps["lr"] == 0.1
    for layer in steps["layers"]:
        for p in layer["params"]:
            assert math.isclose(p["grad_norm"], run.first["norms"][f"{layer['name']}.{p['name']}"], rel_tol=1e-5)


def test_an_exploding_run_is_called_out_with_its_layer(server):
    run = train(mlp(12, 64, std=0.4), server, 40, 1e-4, data())
    job = get(f"{server}/api/jobs/{run.id}")
    report = get(f"{server}/api/jobs/{run.id}/report")
    assert job["verdict"] in ("exploding", "diverged"), report
    assert report["first_layer"] in {f"{i} (Linear)" for i in range(0, 25, 2)}, report
    assert report["remedies"] and report["remedies"][0]["change"] is None
    assert all(r["name"] and r["pytorch"] for r in report["remedies"]), report["remedies"]
    assert any("clip_grad_norm_" in r["pytorch"] for r in report["remedies"]), report["remedies"]


def test_a_nan_in_the_forward_pass_names_the_first_module(server):
    model = mlp(3, 32)
    run = train(model, server, 20, 0.05, data(), nan_at=8, check_nan=True)
    report = get(f"{server}/api/jobs/{run.id}/report")
    assert report["verdict"] == "diverged" and report["first_step"] == 8
    assert report["first_layer"] == "0 (Linear)" and report["pass"] == "forward", report


def test_a_dead_server_never_blocks_training(server):
    model = mlp(1, 8)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    run = gradscope.watch(model, url=server, max_buffer=5, timeout=0.5)
    run.url = "http://127.0.0.1:9"  # from now on nothing listens: every post fails
    start = time.monotonic()
    fit(model, opt, 200)
    assert time.monotonic() - start < 20
    with pytest.warns(UserWarning, match="could not be sent"):
        run.close()
    assert run.step == 200 and run.dropped > 0 and run.sent == 0


def fit(model, opt, steps):
    x, y = data()
    for _ in range(steps):
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()


def watched_before_the_server(**options):
    """A small model watched through a port where no server listens yet."""
    port = free_port()
    model = mlp(1, 8)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.warns(UserWarning, match="no server"):
        run = gradscope.watch(model, url=f"http://127.0.0.1:{port}", optimizer=opt, timeout=0.5, interval=0.05, **options)
    return run, model, opt, port


def test_a_server_that_comes_up_late_gets_the_steps_that_waited():
    run, model, opt, port = watched_before_the_server()
    url = f"http://127.0.0.1:{port}"
    fit(model, opt, 30)
    assert run.id is None and run.step == 30
    proc = start_server(port)
    try:
        fit(model, opt, 30)
        deadline = time.monotonic() + 10
        while run.sent < 60 and time.monotonic() < deadline:  # the newest step too, without close()
            time.sleep(0.05)
        assert run.sent == 60
        run.close()
        job = get(f"{url}/api/jobs/{run.id}")
    finally:
        proc.terminate()
        proc.wait(10)
    assert (run.dropped, job["status"], job["step"]) == (0, "completed", 60), job


def test_steps_the_buffer_could_not_hold_are_counted_on_the_server():
    run, model, opt, port = watched_before_the_server(max_buffer=10)
    url = f"http://127.0.0.1:{port}"
    fit(model, opt, 25)  # no server yet: 10 wait, 15 are dropped
    proc = start_server(port)
    try:
        with pytest.warns(UserWarning, match="15 of 25 measured steps could not be sent"):
            run.close()
        events = urllib.request.urlopen(f"{url}/api/jobs/{run.id}/events", timeout=10).read().decode()
    finally:
        proc.terminate()
        proc.wait(10)
    summary = json.loads(next(line[6:] for line in events.splitlines()
                              if line.startswith("data: ") and '"type":"summary"' in line))
    assert (run.sent, run.dropped, summary["steps"], summary["dropped_steps"]) == (10, 15, 10, 15), summary


def test_a_server_that_refuses_the_run_later_stops_the_watching_once():
    port = free_port()
    model = mlp(1, 8)
    with pytest.warns(UserWarning, match="no server"):
        run = gradscope.watch(model, url=f"http://127.0.0.1:{port}", timeout=0.5, interval=0.02)
    proc = start_server(port, "--token", "not-given")
    try:
        x, y = data()
        deadline = time.monotonic() + 10
        while not run.errors and time.monotonic() < deadline:
            nn.functional.cross_entropy(model(x), y).backward()
            time.sleep(0.02)
        time.sleep(0.3)  # would have retried ~15 times
        run.close()
    finally:
        proc.terminate()
        proc.wait(10)
    assert run.errors == ["the server refused the run: HTTP 401"] and run.id is None and run.sent == 0


def test_a_quiet_run_keeps_its_place_on_the_server(server, monkeypatch):
    monkeypatch.setattr(sys.modules["gradscope.watch"], "KEEP_ALIVE", 0.2)
    model = mlp(1, 8)
    run = gradscope.watch(model, url=server, interval=0.05)
    posts = []
    post = run._post
    run._post = lambda path, body, headers=None: posts.append((path, body)) or post(path, body, headers)
    x, y = data()
    nn.functional.cross_entropy(model(x), y).backward()
    time.sleep(1.0)
    run.close()
    steps = [body for path, body in posts if path.endswith("/steps")]
    assert steps[0].count(b"\n") == 0 and b'"step": 1' in steps[0] and steps.count(b"") >= 2, posts


def test_a_busy_server_gets_the_batch_again_after_its_retry_after(server):
    model = mlp(1, 8)
    run = gradscope.watch(model, url=server, interval=0.05)
    post, refusals = run._post, []

    def busy_twice(path, body, headers=None):
        if path.endswith("/steps") and body and len(refusals) < 2:
            refusals.append(path)
            raise urllib.error.HTTPError(server + path, 429, "busy", {"Retry-After": "0"}, None)
        return post(path, body, headers)

    run._post = busy_twice
    x, y = data()
    for _ in range(5):
        nn.functional.cross_entropy(model(x), y).backward()
    time.sleep(0.3)
    run.close()
    assert len(refusals) == 2 and run.dropped == 0 and run.sent == 5
    assert get(f"{server}/api/jobs/{run.id}")["step"] == 5


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float64])
def test_models_in_other_dtypes_are_watched(server, dtype):
    model = mlp(2, 16).to(dtype)
    x, y = data()
    run = train(model, server, 12, 0.05, (x.to(dtype), y))
    assert run.errors == [] and run.sent == 12, run.errors
    first, second = get(f"{server}/api/jobs/{run.id}/steps?limit=2")["steps"]  # all statistics; norms only
    tolerance = 1e-2 if dtype == torch.bfloat16 else 1e-5  # the hand-made norms are in the model's dtype
    for layer in first["layers"]:
        for p in layer["params"]:
            assert math.isclose(p["grad_norm"], run.first["norms"][f"{layer['name']}.{p['name']}"], rel_tol=tolerance)
    assert all(p["grad_norm"] > 0 for layer in second["layers"] for p in layer["params"])
    assert get(f"{server}/api/jobs/{run.id}")["verdict"] == "healthy"


def test_without_nan_checks_a_nan_loss_is_where_it_started(server):
    run = train(mlp(3, 32), server, 20, 0.05, data(), nan_at=8)
    report = get(f"{server}/api/jobs/{run.id}/report")
    assert report["verdict"] == "diverged" and report["first_step"] == 8
    assert report["first_nonfinite"] == {"step": 8, "pass": "loss", "layer": None, "quantity": "loss"}, report


def test_an_error_while_measuring_never_reaches_the_training_loop(server, monkeypatch):
    from gradscope.stats import Summarizer

    def broken(*_):
        raise RuntimeError("boom")
    monkeypatch.setattr(Summarizer, "measure", broken)
    run = train(mlp(1, 8), server, 30, 0.1, data())
    assert run.step == 30 and run.errors == ["RuntimeError('boom')"]


def test_the_backward_signal_and_update_sizes_arrive_and_match_pytorch(server):
    """δ = ∂L/∂output of every layer in the data's order, and ‖Δθ‖ on
    histogram steps, equal to what PyTorch gives when measured by hand."""
    torch.manual_seed(0)
    model = mlp(2, 32)
    x, y = data()
    outputs = {}
    for name, m in model.named_modules():
        if isinstance(m, nn.Linear):
            m.register_forward_hook(lambda _m, _i, out, name=name: outputs.__setitem__(name, out))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with gradscope.watch(model, url=server, optimizer=opt, baseline_loss=math.log(2)) as run:
        before = [p.detach().clone() for p in model.parameters()]
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        grads = torch.autograd.grad(loss, [outputs[n] for n in ("0", "2", "4")], retain_graph=True)
        expected = [float(g.square().mean().sqrt()) for g in grads]
        loss.backward()
        opt.step()
        run.log(loss)
        updates = [float((p.detach() - b).norm()) for p, b in zip(model.parameters(), before)]
    record = get(f"{server}/api/jobs/{run.id}/steps?limit=1")["steps"][0]
    assert [s["name"] for s in record["signals"]] == ["0", "2", "4"]
    for s, want in zip(record["signals"], expected):
        assert math.isclose(s["delta_rms"], want, rel_tol=1e-5), (s, want)
    first = record["layers"][0]
    assert math.isclose(first["params"][0]["update_norm"], updates[0], rel_tol=1e-5)
    assert math.isclose(first["update_norm"], math.hypot(updates[0], updates[1]), rel_tol=1e-5)
    declared = get(f"{server}/api/jobs/{run.id}")
    assert declared["status"] == "completed"


def sigmoid_mlp(depth=20, width=32):
    """PyTorch's default init (Kaiming-uniform with a = √5) under sigmoid:
    each layer multiplies δ by about σ'·gain ≤ 1/4, so 20 of them leave the
    first layers nothing (Glorot & Bengio 2010)."""
    torch.manual_seed(0)
    layers, d = [], 16
    for _ in range(depth):
        layers += [nn.Linear(d, width), nn.Sigmoid()]
        d = width
    return nn.Sequential(*layers, nn.Linear(d, 2))


def test_a_deep_sigmoid_net_that_does_not_learn_is_vanishing(server):
    run = train(sigmoid_mlp(), server, 60, 0.1, data(), baseline_loss=math.log(2))
    report = get(f"{server}/api/jobs/{run.id}/report")
    assert report["verdict"] == "vanishing", report
    assert report["first_step"] == 1 and report["first_layer"].endswith("(Linear)"), report
    assert report["evidence"][0]["rule"] == "vanishing_across_depth", report
    assert any(e["rule"] == "not_learning" for e in report["evidence"]), report


def xavier_cnn(depth=20, channels=8):
    """A plain deep CNN with Xavier init and ReLU: Xavier's gain of 1 halves
    the signal's power at every ReLU, so the gradient fades across depth
    (He et al. 2015)."""
    torch.manual_seed(0)
    layers, c = [], 1
    for _ in range(depth):
        conv = nn.Conv2d(c, channels, 3, padding=1)
        nn.init.xavier_normal_(conv.weight)
        nn.init.zeros_(conv.bias)
        layers += [conv, nn.ReLU()]
        c = channels
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(channels * 8 * 8, 10))


def test_a_deep_xavier_cnn_is_judged_through_its_conv_layers(server):
    torch.manual_seed(1)
    x = torch.randn(64, 1, 8, 8)
    y = torch.randint(0, 10, (64,))
    run = train(xavier_cnn(), server, 40, 0.01, (x, y), baseline_loss=math.log(10))
    report = get(f"{server}/api/jobs/{run.id}/report")
    record = get(f"{server}/api/jobs/{run.id}/steps?limit=1")["steps"][0]
    assert record["signals"][0]["name"] == "0" and len(record["signals"]) == 21
    assert report["verdict"] != "healthy", report
    assert "(Conv2d)" in (report["first_layer"] or ""), report


def test_the_default_edges_are_the_servers():
    """The client's EDGES_DEFAULT against what the engine writes when a spec
    names no edges: one definition each side, held together here."""
    spec = {"data": {"source": "xor", "samples": 64}, "mlp": {"depth": 1, "width": 4},
            "optimizer": {"type": "sgd", "lr": 0.1}, "training": {"steps": 1}}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
    out = subprocess.run([BIN, "run", f.name, "--quiet"], capture_output=True, text=True, check=True).stdout
    os.unlink(f.name)
    start = json.loads(out.splitlines()[0])
    edges = start["hist_edges"]
    assert (edges["bins"], edges["min"], edges["max"]) == gradscope.EDGES_DEFAULT
