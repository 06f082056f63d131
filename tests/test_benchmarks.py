"""Smoke test of the benchmark suite: it runs once at tiny sizes and prints its table.

Not a timed test: no figure is checked against its target (CI machines vary).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the pty rows read /proc (Linux)")


@pytest.mark.slow  # over 9 s on 2 cores: CI's slow set
def test_benchmark_suite_runs_at_tiny_sizes() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    table = proc.stdout
    assert "| # | Figure | rnn-tui | Baseline | Ratio | Target | Met |" in table
    for figure in ("Start-up to first frame", "CPU per key press, 80×24",
                   "rnn-tui against the floor: 12 Statics", "first frame",
                   "Bytes per sub-step", "Bytes per whole step", "Engine: Stepper",
                   "Engine: `forward`", "history per step", "Peak RSS"):
        assert figure in table, figure


def test_scale_ways_agree_and_x_is_a_view(monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import scale

    result = scale.measure(hidden=4, vocab=20, batch=3, steps=8, runs=1)
    assert set(result.seconds) == {"bare", "forward", "stepper"}
    assert result.memory is not None and result.memory.x_is_view


# --- the floor: rnn-tui's widget count, its repaints per press (issue 22) -----------

async def test_the_floor_repaints_as_many_statics_as_asked_in_turn(monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    from textual.widgets import Static

    from benchmarks.floor_app import FloorApp

    app = FloorApp(widgets=5, repaints=2.5)
    async with app.run_test(size=(80, 24)) as pilot:
        statics = list(app.query(Static))

        def presses() -> list[int]:  # the press each Static last showed
            return [int(str(s.content).split("press ")[1].split()[0]) for s in statics]

        assert len(statics) == 5 and presses() == [0] * 5
        await pilot.press("right")  # 2.5 owed: two repainted, a half carried
        assert presses() == [1, 1, 0, 0, 0]
        await pilot.press("right")  # 3 (the half paid): the next three
        assert presses() == [1, 1, 2, 2, 2]
        await pilot.press("right", "right")  # 2 (the first two), then 3: ten in all
        assert presses() == [3, 3, 4, 4, 4]
        assert app.screen.size == (80, 24)  # nothing was laid out again to a new size
    with pytest.raises(ValueError):
        FloorApp(widgets=3, repaints=4)


# --- --out replaces only the table's part of the file (issue 22) -------------------

SECTION = ("## The classroom server: sessions forked from a warm process (issue 17)\n\n"
           "| sessions | p95 |\n|---:|---:|\n| 200 | 141 ms |\n\n- A note.\n")


def _run_module(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import run

    return run


def test_out_keeps_the_sections_below_the_table(tmp_path, monkeypatch) -> None:
    run = _run_module(monkeypatch)
    path = tmp_path / "RESULTS.md"
    path.write_text("Measured long ago.\n\n| # | old |\n|---|---|\n\n- old note\n\n" + SECTION,
                    encoding="utf-8")
    run.write_results(path, "Measured today.\n\n| # | new |\n")
    text = path.read_text(encoding="utf-8")
    assert text == "Measured today.\n\n| # | new |\n\n" + SECTION
    assert "old" not in text


def test_out_with_no_sections_is_the_table_alone(tmp_path, monkeypatch) -> None:
    run = _run_module(monkeypatch)
    path = tmp_path / "RESULTS.md"
    run.write_results(path, "new table\n")  # no file yet
    assert path.read_text(encoding="utf-8") == "new table\n"
    path.write_text("old table\n\n### not a section of its own (###)\n", encoding="utf-8")
    run.write_results(path, "new table\n")
    assert path.read_text(encoding="utf-8") == "new table\n"
    path.write_text(SECTION, encoding="utf-8")  # only sections: the table goes on top
    run.write_results(path, "new table\n")
    assert path.read_text(encoding="utf-8") == "new table\n\n" + SECTION
    assert [p.name for p in tmp_path.iterdir()] == ["RESULTS.md"]  # no temporary file left


def test_main_out_keeps_sections(tmp_path, monkeypatch, capsys) -> None:
    run = _run_module(monkeypatch)
    path = tmp_path / "RESULTS.md"
    path.write_text("old table\n\n" + SECTION, encoding="utf-8")
    assert run.main(["--quick", "--only", "4", "--out", str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n\n" + SECTION) and "old table" not in text
    assert "Engine: Stepper" in text.split("## ")[0]
    assert capsys.readouterr().out in text


# --- ssh_bench's burst with OpenSSH clients (issue 17) --------------------------------

def _leftovers(mark: str) -> list[str]:
    """Processes whose environment holds ``mark`` (the benchmark's server, its
    sessions and its ssh clients inherit it)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if mark.encode() in f.read():
                    with open(f"/proc/{pid}/cmdline", "rb") as g:
                        found.append(g.read().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            continue
    return found


def test_ssh_bench_client_openssh_is_for_the_burst() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.ssh_bench", "--client", "openssh"],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines()[-1].endswith(
        "--client openssh: burst mode only (--burst N)"), proc.stderr


@pytest.mark.slow  # two servers, each with its warm process: 7 s on 2 idle cores
@pytest.mark.skipif(shutil.which("ssh") is None, reason="needs OpenSSH's client")
def test_ssh_bench_burst_with_openssh_clients() -> None:
    mark = f"RNN_TUI_BENCH_SMOKE_{os.getpid()}"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.ssh_bench", "--burst", "2", "--alone", "1",
         "--floor", "--client", "openssh"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
        env=dict(os.environ, **{mark: "1"}),
    )
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ")][1:]
    assert [row.split(" | ")[:2] for row in rows] == [
        ["| floor: a fixed frame, forked", "OpenSSH"],
        ["| forked, first frame drawn ahead", "OpenSSH"]], proc.stdout
    assert "2 sessions)" in rows[0] and "2 sessions)" in rows[1]
    assert "started 0.0 ms after the first" in proc.stderr  # one gate: all at once
    assert _leftovers(mark) == []  # every ssh, server and session ended
