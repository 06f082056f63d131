"""The rnn-tui command: --help, --version, --text and one-line errors.

Always pass --text: plain ``rnn-tui`` will open the full-screen Textual app.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from rnn_tui import __version__
from rnn_tui.cli import main as cli
from rnn_tui.core.data import Dataset, lesson_dataset
from rnn_tui.core.model import Weights
from rnn_tui.core.stepper import Stepper

SCRIPT = Path(sys.executable).parent / "rnn-tui"


def lesson_output(**init) -> tuple[Dataset, Weights, object, list]:
    d = lesson_dataset()
    w = Weights.init(d.vocab, **init)
    s = Stepper(w, d.X, d.lengths, d.labels)
    records = []
    while not s.done:
        records.append(s.step())
    return d, w, s.output, records


OUTPUT_LINE = re.compile(
    r"^  (\d+): (.+?)\s+z ([+-]\d+\.\d+)  y (\d+\.\d+)  prediction (\d)"
    r"  target (\d)  (right|wrong)  loss (\d+\.\d+)$"
)


def output_rows(stdout: str) -> list[tuple]:
    rows = [m.groups() for line in stdout.splitlines() if (m := OUTPUT_LINE.match(line))]
    return [
        (int(b), text, float(z), float(y), int(p), int(t), verdict, float(loss))
        for b, text, z, y, p, t, verdict, loss in rows
    ]


# --- help and version ----------------------------------------------------------


@pytest.mark.skipif(not SCRIPT.exists(), reason="console script not installed next to python")
def test_console_script_help_and_version() -> None:
    help_ = subprocess.run([str(SCRIPT), "--help"], capture_output=True, text=True, timeout=60)
    assert help_.returncode == 0
    assert help_.stdout.startswith("usage: rnn-tui")
    for option in ("--text", "--data", "--weights", "--hidden", "--seed", "--version"):
        assert option in help_.stdout
    assert help_.stderr == ""
    version = subprocess.run([str(SCRIPT), "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0
    assert version.stdout.strip() == f"rnn-tui {__version__}"


def test_module_help_and_version() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    assert "usage: rnn-tui" in result.stdout
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"rnn-tui {__version__}"
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


# --- text mode -----------------------------------------------------------------


def test_text_mode_prints_the_lesson_forward_pass() -> None:
    result = run_cli("--text")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    d, w, o, records = lesson_output()

    # the lesson's batch and shapes
    assert "batch X (3,3,2)" in out
    assert "  as           [1 0]" in out and "  soon         [0 1]" in out
    for name, shape in (("Wxh", "(2,3)"), ("Whh", "(3,3)"), ("bh", "(1,1)"),
                        ("Wy", "(3,1)"), ("by", "(1,1)")):
        assert f"  {name} {shape}" in out
    assert out.count("--- time step t = ") == 3
    assert "x_1(3,2)·Wxh(2,3) + h_0(3,3)·Whh(3,3) + Bh(1,1) -> (3,3)" in out

    # step 3, sentence 3 ("as soon as" reads "as"): each printed vector is the engine's
    r3 = records[2]
    block = out.split("--- time step t = 3 of 3 ---")[1].split("sentence 3: token as")[1]

    def vec(v: np.ndarray) -> str:
        return "[" + " ".join("+0.000" if x == 0 else f"{x:+.3f}" for x in v) + "]"

    assert f"x·Wxh    = {vec(r3.xWxh[2])}" in block
    assert f"h·Whh    = {vec(r3.hWhh[2])}" in block
    assert f"sum      = {vec(r3.pre[2])}" in block
    assert f"tanh     = {vec(r3.h[2])}   (h_3)" in block
    # x·Wxh of "as" is row 0 of Wxh, as printed in the weights block
    assert vec(w.Wxh[0]) in out.split("Whh (3,3)")[0]

    # the output table: z, y, prediction, target and loss per sentence
    rows = output_rows(out)
    assert [r[:2] for r in rows] == [(1, "as as soon"), (2, "soon as as"), (3, "as soon as")]
    for b, (_, _, z, y, p, t, verdict, loss) in enumerate(rows):
        assert z == pytest.approx(o.z[b, 0], abs=5e-4)
        assert y == pytest.approx(o.y[b, 0], abs=5e-4)
        assert loss == pytest.approx(o.loss[b], abs=5e-4)
        assert p == int(o.prediction[b, 0])
        assert t == [0, 0, 1][b]
        assert verdict == ("right" if p == t else "wrong")
    mean = re.search(r"mean loss \(binary cross-entropy\): (\d+\.\d+)", out)
    assert mean and float(mean.group(1)) == pytest.approx(o.mean_loss, abs=5e-4)


def test_text_mode_seed_precision_hidden_bias() -> None:
    result = run_cli("--text", "--seed", "4", "--hidden", "2", "--bias", "vector",
                     "--precision", "6")
    assert result.returncode == 0, result.stderr
    _, w, o, _ = lesson_output(hidden=2, seed=4, bias="vector")
    assert "  bh (1,2)" in result.stdout
    assert "  Wxh (2,2)" in result.stdout
    rows = output_rows(result.stdout)
    assert len(rows) == 3
    for b, row in enumerate(rows):
        assert row[2] == pytest.approx(o.z[b, 0], abs=5e-7)
        assert row[3] == pytest.approx(o.y[b, 0], abs=5e-7)
    # a different seed gives different numbers
    other = output_rows(run_cli("--text", "--seed", "5", "--precision", "6").stdout)
    assert [r[2] for r in other] != [r[2] for r in rows]


def test_text_mode_with_data_and_weights_files(tmp_path: Path) -> None:
    w = Weights(
        vocab=["as", "soon"],
        Wxh=[[0.5, -1.0], [0.25, 0.5]],
        Whh=[[1.0, -0.5], [0.5, 0.25]],
        bh=[[0.25]],
        Wy=[[1.0], [-1.0]],
        by=[[0.5]],
    )
    w.save(tmp_path / "w.json")
    (tmp_path / "d.tsv").write_text("1\tas soon\n0\tas\n", encoding="utf-8")
    result = run_cli("--text", "--weights", str(tmp_path / "w.json"),
                     "--data", str(tmp_path / "d.tsv"), "--precision", "6")
    assert result.returncode == 0, result.stderr
    # the hand-worked example of test_engine.py
    rows = output_rows(result.stdout)
    assert [(r[1], r[2], r[3]) for r in rows] == [
        ("as soon", 0.906741, 0.712333),
        ("as", 1.770298, 0.854495),
    ]
    assert "sentence 2: token (padding)" in result.stdout  # counted from 1
    assert "carried: h_2 = h_1 = [+0.635149 -0.635149]" in result.stdout


# --- errors: non-zero exit, exactly one line on stderr, no traceback -----------


def bad_files(tmp_path: Path) -> dict[str, Path]:
    files = {
        "empty.tsv": b"",
        "label.tsv": b"2\tas soon\n",
        "latin1.tsv": b"1\tas \xe9t\xe9\n",
        "notab.tsv": b"1 as soon\n",
        "blank.tsv": b"1\t  \n",
        "nan.json": b'{"vocab": ["as", "soon"], "Wxh": [[NaN, 0], [0, 0]], "Whh": [[0]],'
                    b' "bh": [[0]], "Wy": [[0]], "by": [[0]]}',
        "shape.json": json.dumps({"vocab": ["as", "soon"], "Wxh": [[0.0]], "Whh": [[0.0]],
                                  "bh": [[0.0]], "Wy": [[0.0]], "by": [[0.0]]}).encode(),
        "missing.json": b'{"vocab": ["as", "soon"]}',
        "broken.json": b"{",
        "other.json": json.dumps(Weights.init(["when", "then"]).to_dict()).encode(),
    }
    out = {}
    for name, content in files.items():
        path = tmp_path / name
        path.write_bytes(content)
        out[name] = path
    return out


CASES = [
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--hidden", "0"], "--hidden: must be between 1 and 64"),
    (["--hidden", "three"], "--hidden: expected a whole number"),
    (["--seed", "-1"], "--seed: must be 0 or more"),
    (["--precision", "99"], "--precision: must be between 0 and 8"),
    (["--bias", "matrix"], "--bias: invalid choice"),
    (["--data", "{nope}"], "no such file"),
    (["--weights", "{nope}"], "no such file"),
    (["--data", "{tmp}"], "is a directory"),
    (["--data", "{empty.tsv}"], "no examples"),
    (["--data", "{label.tsv}"], "label must be 0 or 1, not '2'"),
    (["--data", "{latin1.tsv}"], "not UTF-8"),
    (["--data", "{notab.tsv}"], "found no tab"),
    (["--data", "{blank.tsv}"], "the sentence is empty"),
    (["--weights", "{nan.json}"], "Wxh: contains NaN"),
    (["--weights", "{shape.json}"], "Wxh: has 1 rows but vocab has 2 tokens"),
    (["--weights", "{missing.json}"], "Wxh: missing"),
    (["--weights", "{broken.json}"], "not valid JSON"),
    (["--weights", "{other.json}"], "unknown token 'as'; the vocabulary is: when, then"),
    (["--weights", "{other.json}", "--hidden", "2"], "--hidden can't be used with --weights"),
]


@pytest.mark.parametrize(("args", "expected"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_bad_input_exits_with_one_line(tmp_path: Path, args: list[str], expected: str) -> None:
    paths = {f"{{{name}}}": str(p) for name, p in bad_files(tmp_path).items()}
    paths["{nope}"] = str(tmp_path / "nope")
    paths["{tmp}"] = str(tmp_path)
    argv = ["--text", *(paths.get(a, a) for a in args)]
    result = run_cli(*argv)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("rnn-tui: error: ")
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_main_in_process_returns_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--text", "--hidden", "0"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("rnn-tui: error: argument --hidden")


def test_main_in_process_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--text", "--precision", "4"]) == 0
    out = capsys.readouterr().out
    _, _, o, _ = lesson_output()
    rows = output_rows(out)
    assert [r[2] for r in rows] == [round(float(v), 4) for v in o.z[:, 0]]


def test_python_m_runs_from_any_directory(tmp_path: Path) -> None:
    result = run_cli("--text", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(output_rows(result.stdout)) == 3


def test_text_mode_uses_the_chosen_activation() -> None:
    import contextlib
    import io

    from rnn_tui.cli.main import main as cli_main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert cli_main(["--text", "--activation", "relu"]) == 0
    out = buf.getvalue()
    assert "h_t = relu(x_t·Wxh" in out
    assert "relu     = [" in out
    assert "tanh" not in out


def test_the_collector_is_on_again_whatever_main_returns(capsys) -> None:
    """main() turns the garbage collector off while it imports (start-up speed):
    it must be back on after a normal run, an error and a subcommand alike."""
    import gc

    assert cli.main(["--text"]) == 0
    assert gc.isenabled()
    assert cli.main(["--text", "--hidden", "0"]) == 2
    assert gc.isenabled()
    with pytest.raises(SystemExit):  # argparse's --help exits
        cli.main(["export", "--help"])
    assert gc.isenabled()
