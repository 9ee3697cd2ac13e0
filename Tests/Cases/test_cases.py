"""The fast cases of the published-case benchmark (bench/cases.py), run by
`scripts/test e2e`: each case's run must show its published outcome, and
the verdict must agree with it."""
import os
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import cases  # noqa: E402

BIN = os.environ.get("GRADSCOPE_BIN", str(ROOT / ".build/debug/gradscope"))
FAST = [c for c in cases.table() if c.fast]


@pytest.fixture(scope="module")
def context():
    ctx = cases.Context(BIN)
    yield ctx
    ctx.close()


def test_the_fast_cases_cover_every_kind_and_both_sides():
    assert {c.label for c in FAST} >= {"healthy", "vanishing", "diverged"}
    assert any(c.run.__qualname__.startswith("pytorch") for c in FAST)
    assert any(c.run.__qualname__.startswith("engine") for c in FAST)


@pytest.mark.parametrize("case", FAST, ids=[c.id for c in FAST])
def test_the_verdict_agrees_with_the_published_outcome(case, context):
    outcome = case.run(context)
    supported, shown = cases.support(case.label, outcome)
    assert supported, f"{case.id}: the run does not show its published outcome ({shown})"
    assert outcome.verdict == case.label, f"{case.id}: {outcome.verdict}, published {case.label} ({shown})"
