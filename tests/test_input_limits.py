"""Files and input from the command line: one-line errors, never a traceback, hang or harm.

Issue 13, "Files and input (the CLI)": deep or huge JSON numbers, overflowed
numbers, raw control characters and huge messages, unbounded files and sizes,
``--out`` onto links and devices, save pairs from two saves, and empty names.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from rnn_tui.cli.main import main
from rnn_tui.core import data
from rnn_tui.core.data import (
    MAX_EXPORT_NUMBERS,
    MAX_FILE_BYTES,
    MAX_HIDDEN,
    MAX_SENTENCES,
    MAX_TOKENS,
    MAX_VOCAB,
    DataError,
    Dataset,
    atomic_write_text,
    load_data,
)
from rnn_tui.core.model import Weights, WeightsError
from rnn_tui.teach import fmt

LESSON_TSV = "0\tas as soon\n0\tsoon as as\n1\tas soon as\n"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, out: str, err: str) -> str:
    """The CLI's error: exit 2, one short line on stderr, no traceback, nothing on stdout."""
    assert code == 2, (code, out, err)
    assert out == ""
    assert err.startswith("rnn-tui: error: ") and err.endswith("\n"), err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    line = err[:-1]
    assert line.isprintable(), repr(line)  # no ESC, CR, NUL reaches the terminal
    assert len(line) < 600, len(line)
    return line


def weights_dict(**changes) -> dict:
    d = Weights.init(["as", "soon"], hidden=3, seed=0).to_dict()
    d.update(changes)
    return d


def write_json_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- tracebacks that become one-line errors ------------------------------------


@pytest.mark.parametrize("option", ["--weights", "--trace"])
def test_deeply_nested_json_is_a_one_line_error(tmp_path, capsys, option) -> None:
    path = write_json_text(tmp_path / "deep.json", "[" * 100000)
    line = one_line_error(*run(capsys, option, str(path), "--text"))
    assert "nested too deeply" in line


def test_a_400_digit_integer_is_a_one_line_error(tmp_path, capsys) -> None:
    d = weights_dict()
    text = json.dumps(d).replace('"by": [[', '"by": [[' + "9" * 400 + ", ", 1)
    text = text.replace(json.dumps(d["by"]), "[[" + "9" * 400 + "]]")
    path = write_json_text(tmp_path / "w.json", text)
    line = one_line_error(*run(capsys, "--weights", str(path), "--text"))
    assert "by: contains NaN or infinite values" in line


@pytest.mark.parametrize("option", ["--weights", "--trace"])
def test_a_4300_digit_integer_is_a_one_line_error(tmp_path, capsys, option) -> None:
    d = weights_dict()
    text = json.dumps(d).replace(json.dumps(d["by"]), "[[" + "9" * 4400 + "]]")
    path = write_json_text(tmp_path / "w.json", text)
    one_line_error(*run(capsys, option, str(path), "--text"))


def test_a_huge_integer_in_a_trace_is_a_one_line_error(tmp_path, capsys) -> None:
    trace = tmp_path / "t.json"
    assert main(["export", "--format", "json", "--out", str(trace)]) == 0
    capsys.readouterr()
    text, n = re.subn(r'"version": \d+', '"version": ' + "1" * 5000, trace.read_text(), count=1)
    assert n == 1  # (the trace format's version is 2 since the gated cells)
    trace.write_text(text)
    line = one_line_error(*run(capsys, "--trace", str(trace), "--text"))
    assert "version" in line


def test_by_near_the_largest_float_then_export_json_is_a_one_line_error(tmp_path, capsys):
    path = write_json_text(tmp_path / "w.json", json.dumps(weights_dict(by=[[1.79e308]])))
    out = tmp_path / "t.json"
    line = one_line_error(*run(capsys, "export", "--format", "json", "--weights", str(path),
                               "--out", str(out)))
    assert "overflowed" in line
    assert not out.exists()


# --- NaN and inf are reported, not printed as results ----------------------------


def test_relu_with_large_weights_reports_overflow_not_nan(tmp_path, capsys) -> None:
    d = weights_dict(Wxh=[[1e308, -1e308, 1e308], [1e308, 1e308, -1e308]],
                     Whh=[[1e308, -1e308, 1e308]] * 3)
    path = write_json_text(tmp_path / "w.json", json.dumps(d))
    line = one_line_error(*run(capsys, "--weights", str(path), "--activation", "relu",
                               "--text"))
    assert "overflowed" in line and "nan" not in line.split("overflowed")[0]


@pytest.mark.parametrize("command", [["--text"], ["export", "--format", "md"],
                                     ["export", "--format", "csv"]])
def test_by_near_the_largest_float_reports_overflow(tmp_path, capsys, command) -> None:
    path = write_json_text(tmp_path / "w.json", json.dumps(weights_dict(by=[[1.7e308]])))
    line = one_line_error(*run(capsys, *command, "--weights", str(path)))
    assert "overflowed" in line and "mean loss" in line


def test_train_from_overflowing_weights_says_overflowed(tmp_path, capsys) -> None:
    path = write_json_text(tmp_path / "w.json", json.dumps(weights_dict(by=[[1.7e308]])))
    code, _, err = run(capsys, "train", "--weights", str(path), "--epochs", "3",
                       "--out", str(tmp_path / "out.json"))
    assert code == 2 and "overflowed" in err and "Traceback" not in err
    assert not (tmp_path / "out.json").exists()


def test_fmt_shows_overflow_not_nan() -> None:
    for value in (float("nan"), float("inf"), float("-inf")):
        assert fmt.num(value) == fmt.OVERFLOW == "overflow"
        assert "nan" not in fmt.vec(np.array([value, 1.0])) and "inf" not in fmt.vec(
            np.array([value]))
    assert fmt.num(-0.0) == "+0.000" and fmt.num(0.25) == "+0.250" and fmt.num(-1.5, 1) == "-1.5"
    assert fmt.num(1.79e308) == "+1.790e+308"  # not 309 digits
    from rnn_tui.tui.panels import numbers

    text = numbers.vec(np.array([np.nan, -0.5]), 3)
    assert text.plain == "[overflow -0.500]"
    assert "reverse" in str(text.spans[0].style)
    assert numbers.num(float("inf"), 3).plain == "overflow"


# --- messages: escaped, one line, short --------------------------------------------


def test_control_characters_never_reach_the_terminal(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("0\tas \x1b[2J\x1b[31mred\x07 soon\n", encoding="utf-8")
    line = one_line_error(*run(capsys, "--data", str(bad), "--text"))
    assert "\\x1b" in line and "control character" in line
    # a token unknown to the weights' vocabulary, with CR in a weights token
    w = tmp_path / "w.json"
    w.write_text(json.dumps(weights_dict(vocab=["as", "so\ron"])))
    line = one_line_error(*run(capsys, "--weights", str(w), "--text"))
    assert "\\r" in line


def test_a_huge_vocabulary_message_is_capped(tmp_path, capsys) -> None:
    w = tmp_path / "w.json"
    d = Weights.init([f"v{i}" for i in range(900)], hidden=1).to_dict()
    w.write_text(json.dumps(d))
    tsv = tmp_path / "d.tsv"
    tsv.write_text("1\tnever-seen-" + "x" * 70000 + "\n")  # 70 kB token, 900 known ones
    line = one_line_error(*run(capsys, "--weights", str(w), "--data", str(tsv), "--text"))
    assert "unknown token 'never-seen-xxx" in line
    assert "(888 more)" in line and len(line) < 400


def test_printable_escapes_and_counts() -> None:
    assert data.printable("plain") == "plain"
    assert data.printable("a\x1bb\rc\n") == "a\\x1bb\\rc\\n"
    cut = data.printable("x" * 70000, 100)
    assert cut.startswith("x" * 100) and cut.endswith("… (69,900 more characters)")
    assert len(data.brief("y" * 70000)) < 130
    assert data.some([str(i) for i in range(50)], 3) == "0, 1, 2, … (47 more)"


# --- sizes ----------------------------------------------------------------------


def test_ten_thousand_distinct_words_is_refused_quickly(tmp_path, capsys) -> None:
    rng = np.random.default_rng(0)
    lines = []
    for i in range(1000):
        words = " ".join(f"w{int(k)}" for k in rng.integers(0, 10000, 9))
        lines.append(f"{i % 2}\tw{i}x {words}")
    path = tmp_path / "big.tsv"
    path.write_text("\n".join(lines) + "\n")
    line = one_line_error(*run(capsys, "export", "--format", "csv", "--data", str(path)))
    assert f"limit of {MAX_VOCAB:,}" in line


def test_an_export_too_big_is_refused_before_it_is_built(tmp_path, capsys) -> None:
    vocab = [f"w{i}" for i in range(400)]
    lines = [f"{i % 2}\t" + " ".join(vocab[(i * 7 + k) % 400] for k in range(20))
             for i in range(100)]
    path = tmp_path / "d.tsv"
    path.write_text("\n".join(lines) + "\n")
    line = one_line_error(*run(capsys, "export", "--format", "csv", "--data", str(path),
                               "--hidden", "16"))
    assert "too big to export" in line and f"{MAX_EXPORT_NUMBERS:,}" in line


@pytest.mark.parametrize("text, limit", [
    ("".join(f"{i % 2}\tas soon\n" for i in range(MAX_SENTENCES + 1)), "sentences"),
    ("1\t" + " ".join(["as"] * (MAX_TOKENS + 1)) + "\n", "tokens"),
])
def test_data_limits(tmp_path, text, limit) -> None:
    path = tmp_path / "d.tsv"
    path.write_text(text)
    with pytest.raises(DataError, match=f"limit.*|{limit}") as exc:
        load_data(path)
    assert limit in str(exc.value) and "limit" in str(exc.value)


def test_weights_limits(tmp_path) -> None:
    # The limits guard what comes in (files, options, the editor); the engine
    # itself, used from a notebook or a benchmark, takes any size.
    assert Weights.init([f"t{i}" for i in range(MAX_VOCAB + 1)], hidden=MAX_HIDDEN + 1).hidden \
        == MAX_HIDDEN + 1
    assert main(["--text", "--hidden", str(MAX_HIDDEN + 1)]) == 2
    d = weights_dict(Whh=[[0.0] * 65] * 65)
    with pytest.raises(WeightsError, match="limit of 64"):
        Weights.from_dict(d)
    d = weights_dict(Wxh=[[0] * 70_000])  # refused before each entry is looked at
    with pytest.raises(WeightsError, match="1 × 70,000 entries, more than the largest"):
        Weights.from_dict(d)
    with pytest.raises(DataError, match="limit"):
        Dataset.from_sentences([["a"]] * (MAX_SENTENCES + 1), [0] * (MAX_SENTENCES + 1))


@pytest.mark.parametrize(("option", "limit"), [("--weights", data.MAX_INPUT_BYTES),
                                               ("--data", data.MAX_INPUT_BYTES),
                                               ("--trace", MAX_FILE_BYTES)])
def test_a_file_over_the_limit_is_refused_without_reading_it_all(tmp_path, capsys, option,
                                                                 limit) -> None:
    path = tmp_path / "big.file"
    with open(path, "wb") as f:
        f.truncate(limit + 1)  # sparse: costs no disk
    line = one_line_error(*run(capsys, option, str(path), "--text"))
    assert "too big" in line and f"the limit is {limit:,}" in line


def private_device(folder: Path, name: str, minor: int) -> Path:
    """A character device node (1, minor) made in ``folder`` (3: like /dev/null, 5: like
    /dev/zero): a test that went wrong would replace this one, never the system's."""
    node = folder / name
    try:
        os.mknod(node, 0o600 | stat.S_IFCHR, os.makedev(1, minor))
    except OSError:
        pytest.skip("can't make a device node here")
    return node


def _cli(*args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONIOENCODING="utf-8", LANG="C.UTF-8")
    env.pop("LC_ALL", None)
    return subprocess.run([sys.executable, "-m", "rnn_tui", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=timeout)


@pytest.mark.parametrize("option", ["--weights", "--data", "--trace"])
def test_dev_zero_is_refused_not_read_forever(tmp_path, option) -> None:
    zero = private_device(tmp_path, "zero.json", 5)  # like /dev/zero (1, 5)
    done = _cli(option, str(zero), "--text")
    assert done.returncode == 2
    assert "is a character device" in done.stderr and "Traceback" not in done.stderr


def test_a_fifo_is_refused_not_waited_on(tmp_path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    done = _cli("--weights", str(fifo), "--text")  # before: blocked in open() forever
    assert done.returncode == 2 and "pipe (FIFO)" in done.stderr


# --- --out: only regular files or new names -----------------------------------------


@pytest.mark.parametrize("argv", [["export", "--format", "md"], ["train", "--epochs", "1"]])
def test_out_onto_a_device_is_refused_and_the_device_survives(tmp_path, capsys, argv) -> None:
    # As root, "--out /dev/full" replaced /dev/full. Never risk the real ones: a private node.
    node = private_device(tmp_path, "null.out", 3)
    line = one_line_error(*run(capsys, *argv, "--out", str(node)))
    assert "character device" in line
    assert stat.S_ISCHR(os.lstat(node).st_mode)


def test_out_onto_a_fifo_is_refused(tmp_path, capsys) -> None:
    fifo = tmp_path / "out.md"
    os.mkfifo(fifo)
    line = one_line_error(*run(capsys, "export", "--out", str(fifo)))
    assert "pipe" in line and stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_out_onto_a_symlink_is_refused_and_both_stay(tmp_path, capsys) -> None:
    target = tmp_path / "real.md"
    target.write_text("keep me\n")
    link = tmp_path / "link.md"
    link.symlink_to(target)
    line = one_line_error(*run(capsys, "export", "--out", str(link)))
    assert "symbolic link" in line
    assert link.is_symlink() and target.read_text() == "keep me\n"
    with pytest.raises(OSError, match="symbolic link"):
        atomic_write_text(link, "x")
    with pytest.raises(WeightsError, match="symbolic link"):
        Weights.init(["a"]).save(link)
    assert link.is_symlink() and target.read_text() == "keep me\n"


def test_out_to_a_regular_file_or_new_name_still_works(tmp_path, capsys) -> None:
    out = tmp_path / "t.md"
    assert main(["export", "--out", str(out)]) == 0
    out.write_text("old")
    assert main(["export", "--out", str(out)]) == 0
    assert out.read_text().startswith("#")


# --- save pairs and temporaries ---------------------------------------------------------


def test_a_pair_from_two_saves_is_refused_with_a_clear_error(tmp_path, capsys) -> None:
    from rnn_tui.teach.edit import save_session

    lesson = data.lesson_dataset()
    path = tmp_path / "mine.json"
    save_session(path, Weights.init(lesson.vocab, seed=1), lesson)
    first_weights = path.read_text()
    assert main(["--weights", str(path), "--data", str(tmp_path / "mine.tsv"), "--text"]) == 0
    capsys.readouterr()
    # the next save is killed after the sentences: new .tsv, old weights
    grown = Dataset.from_sentences(["as soon when"], [1])
    save_session(path, Weights.init(grown.vocab, seed=2), grown)
    path.write_text(first_weights)
    line = one_line_error(*run(capsys, "--weights", str(path), "--data",
                               str(tmp_path / "mine.tsv"), "--text"))
    assert "different saves" in line


def test_a_pair_edited_by_hand_or_without_ids_still_loads(tmp_path, capsys) -> None:
    from rnn_tui.teach.edit import save_session

    lesson = data.lesson_dataset()
    path = tmp_path / "mine.json"
    save_session(path, Weights.init(lesson.vocab, seed=1), lesson)
    tsv = tmp_path / "mine.tsv"
    tsv.write_text(tsv.read_text() + "1\tsoon soon as\n")  # the save line is kept
    assert main(["--weights", str(path), "--data", str(tsv), "--text"]) == 0
    plain = tmp_path / "plain.tsv"
    plain.write_text(LESSON_TSV)
    assert main(["--weights", str(path), "--data", str(plain), "--text"]) == 0


def test_stale_temporaries_of_ours_are_removed_on_the_next_save(tmp_path) -> None:
    path = tmp_path / "w.json"
    # left by a killed process (no such pid), and by some other program (not ours)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".w.json.rnn-tui-{dead}-abc123.tmp"
    stale.write_text("half")
    other = tmp_path / ".w.json.other.tmp"
    other.write_text("not ours")
    alive = tmp_path / f".w.json.rnn-tui-{os.getppid()}-def456.tmp"  # a live writer's
    alive.write_text("in progress")
    Weights.init(["a"]).save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["w.json", other.name, alive.name])


def test_temporaries_are_named_recognisably(tmp_path, monkeypatch) -> None:
    seen = []
    real = os.replace

    def spy(src, dst):
        seen.append(Path(src).name)
        return real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    atomic_write_text(tmp_path / "x.md", "hi")
    assert seen[0].startswith(f".x.md.rnn-tui-{os.getpid()}-") and seen[0].endswith(".tmp")


# --- empty names ---------------------------------------------------------------


@pytest.mark.parametrize("argv", [
    ["--weights", "", "--text"], ["--data", "", "--text"], ["--trace", "", "--text"],
    ["export", "--format", "md", "--data", ""], ["export", "--out", "", "--format", "md"],
    ["train", "--out", ""], ["train", "--data", "", "--out", "x.json"],
])
def test_an_empty_file_name_is_an_error(capsys, argv) -> None:
    line = one_line_error(*run(capsys, *argv))
    assert "file name is empty" in line


def test_a_pair_saved_with_another_weights_file_is_not_refused(tmp_path, capsys) -> None:
    from rnn_tui.teach.edit import save_session

    lesson = data.lesson_dataset()
    save_session(tmp_path / "a.json", Weights.init(lesson.vocab, seed=1), lesson)
    save_session(tmp_path / "b.json", Weights.init(lesson.vocab, seed=2), lesson)
    assert main(["--weights", str(tmp_path / "a.json"), "--data", str(tmp_path / "b.tsv"),
                 "--text"]) == 0


SAVER = """
import itertools, sys
from rnn_tui.core.data import Dataset
from rnn_tui.teach.edit import save_session
from rnn_tui.core.model import Weights
print("ready", flush=True)
for i in itertools.count():
    d = Dataset.from_sentences([f"as w{i} soon", "soon as", f"w{i}"], [0, 1, 0])
    save_session(sys.argv[1], Weights.init(d.vocab, seed=i), d)
"""


def test_kill_9_while_saving_leaves_a_pair_that_loads_or_says_why(tmp_path, capsys) -> None:
    """Key s's save, killed at random moments: the pair loads, or the error says the
    files come from different saves; the next save removes the temporaries left."""
    import random
    import signal
    import time

    rng = random.Random(13)
    path = tmp_path / "w.json"
    outcomes = []
    for _ in range(8):
        saver = subprocess.Popen([sys.executable, "-c", SAVER, str(path)], cwd=ROOT,
                                 stdout=subprocess.PIPE, text=True)
        try:
            assert saver.stdout.readline() == "ready\n"
            time.sleep(rng.uniform(0.02, 0.15))
        finally:
            saver.send_signal(signal.SIGKILL)
            saver.wait(timeout=10)
            saver.stdout.close()
        if not path.exists():
            continue
        code, out, err = run(capsys, "--weights", str(path), "--data",
                             str(tmp_path / "w.tsv"), "--text")
        assert code == 0 or "different saves" in err, err
        outcomes.append(code)
    assert outcomes  # at least one pair was written
    Weights.init(["a"]).save(path)  # a save from a live process cleans up
    data.atomic_write_text(tmp_path / "w.tsv", LESSON_TSV)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.json", "w.tsv"]


# --- the app's save (s) and export (x) ------------------------------------------------


@pytest.fixture
def in_tmp(monkeypatch, tmp_path):
    from rnn_tui.tui.screens.files import SERVED_ENV

    monkeypatch.delenv(SERVED_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def lesson_app():
    from rnn_tui.tui.app import RNNApp

    d = data.lesson_dataset()
    return RNNApp(d, Weights.init(d.vocab, hidden=3, seed=0), lang="en")


async def test_the_apps_save_refuses_a_symlink_and_export_a_fifo(in_tmp) -> None:
    from conftest import press

    from rnn_tui.tui.screens.files import ExportScreen, SaveScreen

    real = in_tmp / "real.json"
    real.write_text("keep me\n")
    (in_tmp / "rnn-weights.json").symlink_to(real)
    os.mkfifo(in_tmp / "rnn-trace.md")
    app = lesson_app()
    async with app.run_test(size=(100, 30)) as pilot:
        text = await press(pilot, "s", "enter")
        assert "symbolic link" in text and isinstance(app.screen, SaveScreen)
        await press(pilot, "escape", "x", "enter")
        assert isinstance(app.screen, ExportScreen)
        from conftest import screen_text

        assert "pipe (FIFO)" in screen_text(app)
    assert real.read_text() == "keep me\n" and (in_tmp / "rnn-weights.json").is_symlink()
    assert stat.S_ISFIFO(os.lstat(in_tmp / "rnn-trace.md").st_mode)
    assert not (in_tmp / "rnn-weights.tsv").exists()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's overflow warnings
async def test_the_app_shows_overflow_not_nan(in_tmp) -> None:
    from conftest import press, screen_text

    from rnn_tui.tui.app import RNNApp

    d = data.lesson_dataset()
    w = Weights.from_dict(weights_dict(Wxh=[[1e308, -1e308, 1e308], [1e308, 1e308, -1e308]],
                                       Whh=[[1e308, -1e308, 1e308]] * 3))
    app = RNNApp(d, w, lang="en", activation="relu")
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "end")
        text = screen_text(app)
    assert "overflow" in text
    assert "nan" not in text and "inf" not in text  # not as if they were results


def test_the_sentence_editors_rebatch_gives_data_errors_at_the_limits() -> None:
    """The editor (e, a) catches DataError: every limit must be one, never a crash."""
    from rnn_tui.teach.edit import rebatch

    w = Weights.init(["as", "soon"], hidden=MAX_HIDDEN, seed=0)
    many = [tuple(f"t{i}-{k}" for k in range(MAX_TOKENS)) for i in range(11)]
    with pytest.raises(DataError, match="distinct tokens, more than the limit"):
        rebatch(many, [0] * len(many), w)
    long = [("as",) * MAX_TOKENS] * 40  # 40 × 100 × (2 + 8 × 64) numbers
    with pytest.raises(DataError, match="too big"):
        rebatch(long, [0] * len(long), w)
    with pytest.raises(DataError, match="control character"):
        rebatch([("as", "x\x1b[2J")], [1], w)
    with pytest.raises(DataError, match="limit of 100"):
        rebatch([("as",) * (MAX_TOKENS + 1)], [1], w)
