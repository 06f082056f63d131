"""Smoke test of the benchmark suite: it runs once at tiny sizes and prints its table.

Not a timed test: no figure is checked against its target (CI machines vary).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the pty rows read /proc (Linux)")


def test_benchmark_suite_runs_at_tiny_sizes() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    table = proc.stdout
    assert "| # | Figure | rnn-tui | Baseline | Ratio | Target | Met |" in table
    for figure in ("Start-up to first frame", "CPU per key press, 80×24", "first frame",
                   "Bytes per sub-step", "Bytes per whole step", "Engine: Stepper",
                   "Engine: `forward`", "history per step", "Peak RSS"):
        assert figure in table, figure


def test_scale_ways_agree_and_x_is_a_view(monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import scale

    result = scale.measure(hidden=4, vocab=20, batch=3, steps=8, runs=1)
    assert set(result.seconds) == {"bare", "forward", "stepper"}
    assert result.memory is not None and result.memory.x_is_view
