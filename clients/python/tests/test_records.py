"""The client's step-record fields (stats.STEP_FIELDS_WRITTEN and
STEP_FIELDS_NOT_WRITTEN) against the golden record fixture (docs/records.md
"The fixture") and against what the client posts. No server: the posts are
captured."""
import json
import math
import pathlib

import pytest
import torch
from torch import nn

import gradscope
from gradscope.stats import STEP_FIELDS_NOT_WRITTEN, STEP_FIELDS_WRITTEN

ROOT = pathlib.Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "Tests/Fixtures/records/run.ndjson"
# Values, not paths further down: a map from alert kind to count, and an arbitrary spec patch.
OPAQUE = {"report.alerts", "report.remedies.change"}


def key_paths(obj, prefix=""):
    """`prefix.key…` for every member, into objects and arrays of objects."""
    out = set()
    for key, value in obj.items():
        path = f"{prefix}.{key}" if prefix else key
        out.add(path)
        if path in OPAQUE:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                out |= key_paths(item, path)
    return out


def fixture_step_fields():
    records = [json.loads(line) for line in FIXTURE.read_text().splitlines() if line.strip()]
    steps = [r for r in records if r["type"] == "step"]
    assert steps, "the fixture has no step records"
    return {p.removeprefix("step.") for r in steps for p in key_paths(r, "step")}


def test_the_client_knows_every_step_field_of_the_fixture():
    written, not_written = set(STEP_FIELDS_WRITTEN), set(STEP_FIELDS_NOT_WRITTEN)
    assert len(written) == len(STEP_FIELDS_WRITTEN) and len(not_written) == len(STEP_FIELDS_NOT_WRITTEN), "a field listed twice"
    assert not written & not_written, f"both written and not: {sorted(written & not_written)}"
    fixture = fixture_step_fields()
    unknown = sorted(fixture - written - not_written)
    assert not unknown, ("a step-record field the Python client does not know: add it to STEP_FIELDS_WRITTEN or "
                         f"STEP_FIELDS_NOT_WRITTEN in clients/python/gradscope/stats.py: {unknown}")
    # and what it writes, the server must take: fields a step record has
    assert not written - fixture, f"written by the client but not a step-record field: {sorted(written - fixture)}"


@pytest.fixture
def posted(monkeypatch):
    """The bodies the client posts, with the server's answers faked."""
    bodies = []

    def post(self, path, body, headers=None):
        bodies.append((path, body))
        return {"token": "t", "id": "r-1"} if path == "/api/runs" else {}
    monkeypatch.setattr(gradscope.Watch, "_post", post)
    return bodies


def test_the_client_writes_exactly_its_written_fields(posted):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    x, y = torch.randn(16, 4), torch.randint(0, 2, (16,))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    # Histograms every 4th recorded step, δ every 3rd: full and norms-only
    # records, with and without signals; the last step's NaN forces the full
    # statistics and a nonfinite record.
    with gradscope.watch(model, url="http://fake", optimizer=opt, histogram_every=4, signal_every=3,
                         interval=0.01) as run:
        for step in range(1, 11):
            inputs = x.clone()
            if step == 10:
                inputs[0, 0] = math.nan
            loss = nn.functional.cross_entropy(model(inputs), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            run.log(loss)
    assert run.errors == [] and run.dropped == 0, run.errors

    lines = [json.loads(line) for path, body in posted if path.endswith("/steps") for line in body.decode().splitlines() if line]
    # Where the first NaN/Inf appeared goes as a record of its own, not a step record.
    steps = [r for r in lines if r.get("type") != "nonfinite"]
    assert len(lines) - len(steps) == 1
    assert [r["step"] for r in steps] == list(range(1, 11))
    assert any("hist" in r["layers"][0] for r in steps) and any("hist" not in r["layers"][0] for r in steps)
    assert any("signals" in r for r in steps) and any("signals" not in r for r in steps)

    written = set(STEP_FIELDS_WRITTEN)
    produced = set()
    for r in steps:
        fields = key_paths(r)
        assert fields <= written, f"step {r['step']} writes fields not in STEP_FIELDS_WRITTEN: {sorted(fields - written)}"
        produced |= fields
    assert produced == written, f"in STEP_FIELDS_WRITTEN but never written: {sorted(written - produced)}"
