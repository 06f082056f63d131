"""Issue 8 in the app, under Pilot: the sentences and weights editors, export, save, --trace.

Assertions are on the text the screen shows, and on files written; numbers are
compared with an independent engine run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random

import numpy as np
import pytest
from conftest import Notices, press, run_cli, screen_text

from rnn_tui.cli.main import run_parser, trace_model
from rnn_tui.core.data import lesson_dataset, load_data
from rnn_tui.core.model import Weights
from rnn_tui.core.stepper import Stepper
from rnn_tui.export.trace import build_trace, load_trace, render
from rnn_tui.teach import fmt
from rnn_tui.tui.app import RNNApp, make_app
from rnn_tui.tui.screens.files import SERVED_ENV, ExportScreen, SaveScreen
from rnn_tui.tui.screens.sentences import SentencesScreen
from rnn_tui.tui.screens.weights_editor import WeightsScreen


def lesson_app(**kwargs) -> RNNApp:
    d = lesson_dataset()
    kwargs.setdefault("lang", "en")  # not the machine's LANG
    return RNNApp(d, Weights.init(d.vocab, hidden=3, seed=0), **kwargs)


def run_all(app: RNNApp, weights: Weights | None = None) -> Stepper:
    d = app.dataset
    s = Stepper((weights or app.weights).copy(), d.X, d.lengths, d.labels,
                activation=app.activation)
    s.run()
    return s


def keys_for(text: str) -> list[str]:
    names = {" ": "space", ".": "full_stop", "-": "minus", "+": "plus"}
    return [names.get(c, c) for c in text]


async def type_text(pilot, text: str) -> str:
    return await press(pilot, *keys_for(text))


@pytest.fixture(autouse=True)
def local_mode(monkeypatch, tmp_path):
    """Not served, and any relative file name lands in a fresh folder."""
    monkeypatch.delenv(SERVED_ENV, raising=False)
    monkeypatch.chdir(tmp_path)


# --- e: sentences --------------------------------------------------------------------


async def test_add_a_sentence_with_a_new_word_grows_the_vocabulary() -> None:
    app = lesson_app()
    old = app.weights.copy()
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "L", "L", "2")
        text = await press(pilot, "e")
        assert isinstance(app.screen, SentencesScreen)
        assert "as as soon" in text and "soon as as" in text
        await press(pilot, "a")
        await type_text(pilot, "as soon later")
        await press(pilot, "tab")
        await type_text(pilot, "1")
        text = await press(pilot, "enter")
        assert "added sentence 4" in text
        assert "new token 'later'" in text and "Wxh to (3, 3)" in text
        # applied: the stepper restarted on the new batch, the weights grew by one row
        assert app.pos == 0 and app.stepper.t == 0 and app.stepper.batch == 4
        assert app.dataset.texts[-1] == "as soon later" and app.dataset.labels[-1] == 1
        assert app.weights.vocab == ["as", "soon", "later"]
        np.testing.assert_array_equal(app.weights.Wxh[:2], old.Wxh)
        assert app.weights == old.extend_vocab(["later"], seed=0)
        assert app.initial_weights.vocab == app.weights.vocab
        text = await press(pilot, "escape")
        assert not isinstance(app.screen, SentencesScreen)
        assert "t = 0/3" in text
        assert "4 as soon later → 1" in " ".join(text.split())
        assert "Wxh (3,3)" in text
        assert app.selected == 1  # kept
        text = await press(pilot, "4", "end")
        ref = run_all(app)
        assert f"1 / (1 + e^(−z)) = {ref.output.y[3, 0]:.3f}" in text


@pytest.mark.parametrize(
    ("sentence", "label", "message"),
    [
        ("", "1", "the sentence is empty"),
        ("   ", "0", "the sentence is empty"),
        ("as soon", "2", "the label must be 0 or 1, not '2'"),
        ("as soon", "x", "the label must be 0 or 1, not 'x'"),
        ("as soon", "", "the label is empty"),
    ],
)
async def test_invalid_entries_are_shown_and_never_applied(sentence, label, message) -> None:
    app = lesson_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "L")
        dataset, weights, version = app.dataset, app.weights, app.version
        await press(pilot, "e", "a")
        await type_text(pilot, sentence)
        await press(pilot, "tab")
        await type_text(pilot, label)
        text = await press(pilot, "enter")
        assert message in text and "not applied" in text
        assert app.dataset is dataset and app.weights is weights and app.version == version
        assert app.pos == 4  # the stepper did not restart
        # the form stays open with what was typed, to correct it
        assert app.screen.editing == -1
        text = await press(pilot, "escape")
        assert "nothing changed" in text and app.screen.editing is None
        text = await press(pilot, "escape")
        assert "t = 1/3" in text and app.stepper.batch == 3


async def test_edit_and_remove_sentences() -> None:
    app = lesson_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "e", "down")
        text = await press(pilot, "enter")  # edit sentence 2
        assert "edit sentence 2" in text
        assert app.screen.query_one("#entry-sentence").value == "soon as as"
        await press(pilot, *["backspace"] * 10)
        await type_text(pilot, "soon soon")
        text = await press(pilot, "enter")
        assert "changed sentence 2" in text and "new token" not in text
        assert app.dataset.texts == ["as as soon", "soon soon", "as soon as"]
        assert app.weights.vocab == ["as", "soon"]
        text = await press(pilot, "d")
        assert "removed sentence 2" in text
        assert app.dataset.texts == ["as as soon", "as soon as"]
        await press(pilot, "d")
        text = await press(pilot, "d")
        assert "at least one sentence" in text
        assert app.dataset.texts == ["as as soon"]  # the cursor stayed on row 2, then row 1
        text = await press(pilot, "escape")
        assert app.selected == 0 and app.stepper.batch == 1
        words = " ".join(text.split())
        assert "▸ 1 as as soon → 0" in words and "soon as as" not in words


@pytest.mark.parametrize("presses", [40, pytest.param(150, marks=pytest.mark.slow)])
async def test_random_keys_in_the_sentences_editor_never_crash(presses: int) -> None:
    rng = random.Random(8)
    keys = ["a", "d", "enter", "escape", "tab", "up", "down", "backspace", "space",
            "s", "o", "n", "x", "0", "1", "2", "e"]
    app = lesson_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "e")
        for _ in range(presses):
            key = rng.choice(keys)
            if key == "escape" and app.screen.editing is None:
                continue  # stay in the editor
            await pilot.press(key)
        await pilot.pause()
        d, s = app.dataset, app.stepper
        assert 1 <= s.batch == len(d) and set(d.vocab) <= set(app.weights.vocab)
        assert all(tokens for tokens in d.sentences) and set(d.labels) <= {0, 1}
        assert s.weights is app.weights and 0 <= app.selected < s.batch
        assert app.version > 0  # some edits were applied
        ref = run_all(app)
        await press(pilot, "escape", "escape", "end")
        assert f"sentences = {ref.output.mean_loss:.3f}" in screen_text(app)


# --- w: weights ----------------------------------------------------------------------


async def test_nudging_a_weight_recomputes_at_the_same_position() -> None:
    app = lesson_app()
    before = run_all(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "L", "L", "right")  # t = 3, sub-step 1
        pos = app.pos
        text = await press(pilot, "w")
        assert isinstance(app.screen, WeightsScreen)
        assert "Wxh[as, h1] = " + fmt.num(app.weights.Wxh[0, 0]) in text
        text = await press(pilot, "down", "plus", "plus")  # Wxh[soon, h1] += 0.2
        expected = before.weights.Wxh[1, 0] + 0.2
        assert app.weights.Wxh[1, 0] == pytest.approx(expected)
        assert f"Wxh[soon, h1] = {fmt.num(expected)}" in text
        assert f"initially {fmt.num(before.weights.Wxh[1, 0])}" in text
        assert "Wxh*" in text  # the tab of a changed weight is marked
        assert app.pos == pos and app.stepper.t == 3  # same place, new numbers
        after = run_all(app)
        # y on the editor's output line: the engine's, for the edited weights
        assert " ".join(f"{b + 1}:{after.output.y[b, 0]:.3f}" for b in range(3))[:6] in text
        for b in range(3):
            assert f"{b + 1}:{after.output.y[b, 0]:.3f}" in text
        # the app's stepper holds exactly what a fresh engine run gives
        for t in range(3):
            np.testing.assert_array_equal(app.stepper.history[t].h, after.history[t].h)
        # moving away, the changed cell stays marked
        text = await press(pilot, "right")
        assert f"{fmt.num(expected)}*" in text
        text = await press(pilot, "escape")
        # the screen behind shows the new row of Wxh and the new h for sentence 1
        assert fmt.vec(app.weights.Wxh[1]) in text
        assert f"h₂ {fmt.vec(after.history[1].h[0])}" in text


async def test_editing_soon_changes_nothing_before_the_first_soon() -> None:
    app = lesson_app()
    before = run_all(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "end", "w", "down", "right", "plus")
        await press(pilot, "escape")
        after = app.stepper
        assert after.done
        first_soon = [3, 1, 2]  # as as soon / soon as as / as soon as
        for b in range(3):
            for t in range(1, 4):
                same = np.array_equal(before.history[t - 1].h[b], after.history[t - 1].h[b])
                assert same == (t < first_soon[b]), (b, t)
            assert after.output.y[b, 0] != before.output.y[b, 0]
        text = screen_text(app)
        assert f"1 / (1 + e^(−z)) = {after.output.y[0, 0]:.3f}" in text


async def test_type_a_value_bad_values_and_restore() -> None:
    app = lesson_app()
    initial = app.weights.copy()
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "w", "tab")  # Whh
        text = await press(pilot, "right", "down", "enter")
        assert "type a number" in text
        await type_text(pilot, "abc")
        text = await press(pilot, "enter")
        assert "'abc' is not a number" in text and "nothing changed" in text
        assert app.weights == initial
        await press(pilot, *["backspace"] * 3)
        await type_text(pilot, "-1.25")
        text = await press(pilot, "enter")
        assert app.weights.Whh[1, 1] == -1.25
        assert "Whh[h2, h2] = -1.250" in text
        assert np.sum(app.weights.Whh != initial.Whh) == 1
        await press(pilot, "tab", "tab")  # Wy
        await press(pilot, "minus")
        assert app.weights.Wy[0, 0] == pytest.approx(initial.Wy[0, 0] - 0.1)
        text = await press(pilot, "tab", "plus")  # By
        assert "By*" in text and "Whh*" in text and "Wy*" in text
        text = await press(pilot, "r")
        assert "restored the initial weights" in text
        assert app.weights == initial and "*" not in text.split("(* changed)")[0]
        await press(pilot, "escape")
        assert app.stepper.weights == initial


@pytest.mark.parametrize("presses", [30, pytest.param(120, marks=pytest.mark.slow)])
async def test_weights_editor_on_a_wide_layer_never_crashes(presses: int) -> None:
    d = lesson_dataset()
    app = RNNApp(d, Weights.init(d.vocab, hidden=16, seed=1, bias="vector"), lang="en")
    rng = random.Random(7)
    keys = ["up", "down", "left", "right", "tab", "shift+tab", "plus", "minus", "r"]
    async with app.run_test(size=(80, 24)) as pilot:
        text = await press(pilot, "w", "tab")
        assert "Whh (16,16)" in text and "columns" in text and "rows" in text
        for _ in range(presses):
            await pilot.press(rng.choice(keys))
        await pilot.pause()
        ref = run_all(app)
        np.testing.assert_array_equal(app.stepper.weights.Whh, app.weights.Whh)
        text = await press(pilot, "escape", "end")
        assert f"1 / (1 + e^(−z)) = {ref.output.y[0, 0]:.3f}" in text


# --- x: export -------------------------------------------------------------------------


async def test_export_csv_from_the_app_matches_the_engine(tmp_path) -> None:
    app = lesson_app()
    seen = Notices()
    async with app.run_test(size=(80, 24), message_hook=seen) as pilot:
        await press(pilot, "L", "w", "plus", "escape")  # export the edited weights
        text = await press(pilot, "x")
        assert isinstance(app.screen, ExportScreen) and "export the trace" in text
        await press(pilot, *["backspace"] * 20)
        await type_text(pilot, "lesson.csv")  # the suffix picks the format
        text = await press(pilot, "enter")
        assert not isinstance(app.screen, ExportScreen)
        # in the status line, not a toast over the narration (issue 15)
        assert "wrote the csv trace to lesson.csv" in text.splitlines()[0] and not seen.messages
        assert app.stepper.t == 1  # exporting runs a copy; the stepper stays put
    rows = list(csv.DictReader(io.StringIO((tmp_path / "lesson.csv").read_text())))
    ref = run_all(app)
    ys = {int(r["sentence"]): float(r["value"]) for r in rows if r["quantity"] == "y"}
    assert ys == {b: float(ref.output.y[b, 0]) for b in range(3)}
    h = [r for r in rows if r["quantity"] == "h" and r["sentence"] == "2" and r["t"] == "2"]
    assert [float(r["value"]) for r in h] == list(ref.history[1].h[2])
    wxh = [float(r["value"]) for r in rows if r["quantity"] == "Wxh"]
    assert wxh == list(app.weights.Wxh.reshape(-1))


async def test_export_json_choose_the_format_and_confirm_overwrite(tmp_path) -> None:
    app = lesson_app()
    (tmp_path / "rnn-trace.json").write_text("keep me")
    seen = Notices()
    async with app.run_test(size=(80, 24), message_hook=seen) as pilot:
        await press(pilot, "x", "shift+tab")  # to the formats
        await press(pilot, "down", "down", "down", "space")  # JSON
        text = await press(pilot, "tab")
        assert "JSON" in text
        assert app.screen.query_one("#file-name").value == "rnn-trace.json"
        text = await press(pilot, "enter")
        assert "rnn-trace.json exists. Overwrite? y = yes, n = no" in text
        text = await press(pilot, "n")
        assert "nothing written" in text
        assert (tmp_path / "rnn-trace.json").read_text() == "keep me"
        await press(pilot, "enter")
        text = await press(pilot, "y")
        assert "wrote the json trace to rnn-trace.json" in text.splitlines()[0]
        assert not seen.messages
    trace = load_trace(tmp_path / "rnn-trace.json")  # verifies every number
    assert trace.weights == app.weights
    assert sorted(os.listdir(tmp_path)) == ["rnn-trace.json"]  # no temporary file left


async def test_export_reports_a_folder_and_a_missing_folder(tmp_path) -> None:
    (tmp_path / "d").mkdir()
    app = lesson_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "x", *["backspace"] * 20)
        await type_text(pilot, "d")
        text = await press(pilot, "enter")
        assert "d is a folder" in text
        await press(pilot, "backspace")
        await type_text(pilot, "nope/t.md")
        text = await press(pilot, "enter")
        assert "there is no folder nope" in text
        text = await press(pilot, "escape")
        assert not isinstance(app.screen, ExportScreen)


# --- s: save ---------------------------------------------------------------------------


async def test_save_writes_weights_and_sentences_and_asks_before_overwriting(tmp_path) -> None:
    app = lesson_app()
    seen = Notices()
    async with app.run_test(size=(80, 24), message_hook=seen) as pilot:
        await press(pilot, "w", "plus", "escape")
        text = await press(pilot, "s")
        assert isinstance(app.screen, SaveScreen)
        text = await press(pilot, "enter")
        assert "saved rnn-weights.json and rnn-weights.tsv" in text.splitlines()[0]
        assert not seen.messages
        assert Weights.load(tmp_path / "rnn-weights.json") == app.weights
        again = load_data(tmp_path / "rnn-weights.tsv")
        assert again.texts == app.dataset.texts
        # the second time, it asks
        await press(pilot, "w", "minus", "escape", "s")
        text = await press(pilot, "enter")
        assert "rnn-weights.json and rnn-weights.tsv exist. Overwrite?" in text
        await press(pilot, "escape")  # = no
        assert Weights.load(tmp_path / "rnn-weights.json") != app.weights
        await press(pilot, "enter", "y")
        assert Weights.load(tmp_path / "rnn-weights.json") == app.weights


async def test_a_failed_save_leaves_the_old_file_whole(tmp_path, monkeypatch) -> None:
    target = tmp_path / "rnn-weights.json"
    target.write_text("old contents\n")
    app = lesson_app()

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "s", "enter")
        monkeypatch.setattr("rnn_tui.core.data.os.replace", fail)
        text = await press(pilot, "y")
        assert "cannot write: No space left on device" in text
        assert isinstance(app.screen, SaveScreen)  # still open, to try another name
    assert target.read_text() == "old contents\n"
    assert sorted(os.listdir(tmp_path)) == ["rnn-weights.json"]  # no temporary left


@pytest.mark.parametrize(("key", "what"), [("x", "Export"), ("s", "Saving")])
async def test_served_sessions_never_write(monkeypatch, tmp_path, key, what) -> None:
    monkeypatch.setenv(SERVED_ENV, "1")
    app = lesson_app()
    seen = Notices()
    async with app.run_test(size=(80, 24), message_hook=seen) as pilot:
        text = await press(pilot, key)
        assert f"(no {what.lower()} over SSH)" in text.splitlines()[0]
        assert not seen.messages  # the status line says it; no toast over the narration
        assert not isinstance(app.screen, (ExportScreen, SaveScreen))
        text = await press(pilot, "enter", "y", "L")
        assert "t = 1/3" in text
    assert os.listdir(tmp_path) == []


# --- --trace ----------------------------------------------------------------------------


async def test_trace_round_trip_replays_in_the_stepper(tmp_path) -> None:
    d = lesson_dataset()
    weights = Weights.init(d.vocab, hidden=3, seed=4).with_entry("Whh", 0, 0, 0.75)
    trace = build_trace(d, weights, activation="relu")
    path = tmp_path / "t.json"
    path.write_text(render(trace, "json"))
    model = trace_model(run_parser().parse_args(["--trace", str(path)]))
    app = make_app(model, lang="en")
    assert app.weights == weights and app.activation == "relu"
    async with app.run_test(size=(80, 24)) as pilot:
        text = await press(pilot, "end", "3")
        assert f"1 / (1 + e^(−z)) = {trace.y[2]:.3f}" in text
        assert "relu" in text
        for t in range(3):
            np.testing.assert_array_equal(app.stepper.history[t].h, trace.h[:, t])
        # exported again from the app, the trace is the same
        await press(pilot, "x", *["backspace"] * 20)
        await type_text(pilot, "again.json")
        await press(pilot, "enter")
    assert json.loads((tmp_path / "again.json").read_text()) == json.loads(path.read_text())


def test_trace_on_the_command_line(tmp_path) -> None:
    out = run_cli("export", "--format", "json", "--seed", "2", "--out", str(tmp_path / "t.json"))
    assert out.returncode == 0, out.stderr
    replay = run_cli("--trace", str(tmp_path / "t.json"), "--text")
    direct = run_cli("--seed", "2", "--text")
    assert replay.returncode == 0 and replay.stdout == direct.stdout
    (tmp_path / "bad.json").write_text('{"format": "rnn-tui-trace", "version": 9}')
    for args in (["--trace", str(tmp_path / "bad.json")], ["--trace", str(tmp_path / "no.json")],
                 ["--trace", str(tmp_path / "t.json"), "--data", "x.tsv"]):
        bad = run_cli(*args)
        assert bad.returncode == 2 and bad.stdout == ""
        assert len(bad.stderr.splitlines()) == 1 and bad.stderr.startswith("rnn-tui: error: ")


async def test_an_edited_cell_stays_marked_on_the_main_screen() -> None:
    from rnn_tui.tui.panels.stepper import StepBox

    d = lesson_dataset()
    app = RNNApp(d, Weights.init(d.vocab, seed=0), lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("L")
        await pilot.pause()
        edited = app.weights.with_entry("Wxh", 1, 2, 0.9)
        app.install_weights(edited)
        await pilot.pause()
        assert app._edited() == frozenset({("Wxh", 1, 2)})
        text = app.query_one(StepBox).parts["input-term"].build(app.view())  # x·Wxh, Wxh
        underlined = [text.plain[s.start:s.end] for s in text.spans
                      if "underline" in str(s.style)]
        assert underlined == ["+0.900]"]  # exactly the edited entry, in row "soon"
        app.install_weights(app.initial_weights)
        await pilot.pause()
        assert app._edited() == frozenset()
