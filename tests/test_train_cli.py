"""``rnn-tui train`` and ``--weights trained``: through cli.main and as a real process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from importlib import resources

import numpy as np
import pytest

from rnn_tui.cli.main import main
from rnn_tui.core.data import lesson_dataset
from rnn_tui.core.model import Weights, forward

RECIPE = ["--epochs", "2000", "--seed", "0", "--decimals", "6"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_train_saves_weights_that_solve_the_lesson(tmp_path, capsys):
    out_file = tmp_path / "w.json"
    code, out, err = run(capsys, "train", "--out", str(out_file))
    assert code == 0, err
    assert "accuracy 100%" in out and f"saved {out_file}" in out
    w = Weights.load(out_file)
    d = lesson_dataset()
    _, y = forward(w, d.X, d.lengths)
    assert y[2, 0] > 0.9 and y[0, 0] < 0.1 and y[1, 0] < 0.1
    # and it loads in the text mode
    code, out, err = run(capsys, "--weights", str(out_file), "--text")
    assert code == 0 and "as soon as" in out
    assert "right" in out and "wrong" not in out


def test_the_recipe_reproduces_the_shipped_preset_byte_for_byte(tmp_path, capsys):
    out_file = tmp_path / "trained.json"
    code, _, err = run(capsys, "train", *RECIPE, "--out", str(out_file))
    assert code == 0, err
    shipped = (resources.files("rnn_tui.core") / "presets" / "trained.json").read_bytes()
    assert out_file.read_bytes() == shipped


def test_weights_trained_loads_the_preset(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no file called "trained" here
    code, out, err = run(capsys, "--weights", "trained", "--text")
    assert code == 0, err
    assert "+9.722  y >0.999  prediction 1  target 1  right" in out


def test_a_file_named_trained_wins_over_the_preset(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Weights.init(["as", "soon"], hidden=2, seed=3).save(tmp_path / "trained")
    code, out, err = run(capsys, "--weights", "trained", "--text")
    assert code == 0, err
    assert "Whh (2,2)" in out.replace(", ", ",")


def test_sgd_clip_vector_bias_and_data_file(tmp_path, capsys):
    data = tmp_path / "data.tsv"
    data.write_text("1\ta b\n0\tb a\n1\ta a b\n0\tb b a\n", encoding="utf-8")
    out_file = tmp_path / "w.json"
    code, out, err = run(
        capsys, "train", "--data", str(data), "--hidden", "4", "--bias", "vector",
        "--optimizer", "sgd", "--lr", "0.5", "--clip", "1", "--epochs", "500",
        "--batch-size", "2", "--activation", "sigmoid", "--out", str(out_file),
    )
    assert code == 0, err
    w = Weights.load(out_file)
    assert w.vocab == ["a", "b"] and w.bh.shape == (1, 4)


def test_decimals_rounds_the_saved_numbers(tmp_path, capsys):
    out_file = tmp_path / "w.json"
    code, _, err = run(capsys, "train", "--epochs", "5", "--decimals", "2", "--out", str(out_file))
    assert code == 0, err
    data = json.loads(out_file.read_text())
    values = np.array(data["Whh"]).ravel()
    np.testing.assert_array_equal(values, np.round(values, 2))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: --out"),
        (["--out", "{tmp}/w.json", "--epochs", "0"], "argument --epochs: must be at least 1"),
        (["--out", "{tmp}/w.json", "--lr", "fast"], "argument --lr: expected a number"),
        (["--out", "{tmp}/w.json", "--clip", "inf"], "argument --clip: must be a positive"),
        (["--out", "{tmp}/w.json", "--optimizer", "rmsprop"], "argument --optimizer"),
        (["--out", "{tmp}/w.json", "--activation", "gelu"], "argument --activation"),
        (["--out", "{tmp}"], "is a directory"),
        (["--out", "{tmp}/missing/w.json"], "does not exist"),
        (["--out", "{tmp}/w.json", "--data", "{tmp}/nope.tsv"], "nope.tsv: no such file"),
        (["--out", "{tmp}/w.json", "--weights", "{tmp}/nope.json"], "nope.json: no such file"),
        (["--out", "{tmp}/w.json", "--weights", "trained", "--hidden", "4"],
         "--hidden can't be used with --weights"),
        (["--out", "{tmp}/w.json", "--optimizer", "sgd", "--lr", "1e300",
          "--activation", "relu"], "training diverged at epoch"),
    ],
)
def test_bad_input_is_one_line_and_saves_nothing(tmp_path, capsys, argv, message):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code, _, err = run(capsys, "train", *argv)
    assert code == 2
    lines = [line for line in err.splitlines() if line.startswith("rnn-tui")]
    assert len(lines) == 1 and lines[0].startswith("rnn-tui: error: ")
    assert message in lines[0]
    assert "Traceback" not in err
    assert not (tmp_path / "w.json").exists()


def test_retraining_from_saved_weights(tmp_path, capsys):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert run(capsys, "train", "--epochs", "10", "--out", str(first))[0] == 0
    code, _, err = run(capsys, "train", "--weights", str(first), "--epochs", "10",
                       "--out", str(second))
    assert code == 0, err
    assert Weights.load(first) != Weights.load(second)


def test_ctrl_c_stops_cleanly_and_saves_nothing(tmp_path):
    out_file = tmp_path / "w.json"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rnn_tui", "train", "--epochs", "100000000",
         "--out", str(out_file)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # printed just before training starts
        assert first.startswith("training 100000000 epochs")
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert "Traceback" not in err
    message = [line for line in err.splitlines() if line.startswith("rnn-tui")]
    assert len(message) == 1
    assert "interrupted at epoch" in message[0] and "nothing saved" in message[0]
    assert list(tmp_path.iterdir()) == []  # no file, no temporary file


def test_help_lists_the_subcommand(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "train" in capsys.readouterr().out
