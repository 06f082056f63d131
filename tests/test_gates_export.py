"""Issue 21, export: a GRU's and an LSTM's trace in every format carries every gate and
c (numbers from an independent NumPy computation), version 2, and the JSON loader reads
both versions (a version-1 trace is the vanilla cell's)."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from test_gates_app import DATA, reference

from rnn_tui.cli.main import main
from rnn_tui.core.cells import GatedWeights
from rnn_tui.core.data import Dataset
from rnn_tui.core.model import Weights
from rnn_tui.export.gated import GatedTrace, step_names
from rnn_tui.export.trace import (
    VERSION,
    TraceError,
    build_trace,
    load_trace,
    render,
    trace_from_dict,
    trace_to_dict,
)
from rnn_tui.teach import fmt

PARTS = {"xW": "xW", "hW": "hW", "sum": "pre", "act": "value", "reset": "reset"}


def case(cell: str) -> tuple[Dataset, GatedWeights, dict]:
    d = Dataset.from_sentences(*DATA)
    w = GatedWeights.init(cell, d.vocab, hidden=3, seed=5)
    return d, w, reference(d, w)


def expected(ref: dict, b: int, t: int, group: str, part: str) -> np.ndarray:
    """The reference's value for a JSON gate part (GRU's n: x·Wxn without bxn, h·Whn
    without bhn, as the engine keeps them)."""
    return ref[(b, t, group, part)]


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_json_carries_every_gate_and_c_exactly(cell):
    d, w, ref = case(cell)
    data = json.loads(render(build_trace(d, w), "json"))
    assert data["version"] == VERSION == 2 and data["cell"] == cell
    for b, sentence in enumerate(data["sentences"]):
        for step in sentence["steps"]:
            t = step["t"]
            if step["padding"]:
                assert step["gates"] is None and step["terms"] is None
                last = len(DATA[0][b].split())
                assert np.allclose(step["h"], ref[(b, last, "h", "h")], atol=1e-12)
                if cell == "lstm":
                    assert np.allclose(step["c"], ref[(b, last, "c", "c")], atol=1e-12)
                continue
            for g, parts in step["gates"].items():
                assert np.allclose(parts["value"], ref[(b, t, g, "act")], atol=1e-12)
                assert np.allclose(parts["pre"], ref[(b, t, g, "sum")], atol=1e-12)
                if g == "n":
                    assert np.allclose(np.add(parts["xW"], parts["bias"]), ref[(b, t, g, "xW")])
                    assert np.allclose(parts["hWb"], ref[(b, t, g, "hW")], atol=1e-12)
                    assert np.allclose(parts["reset"], ref[(b, t, g, "reset")], atol=1e-12)
                else:
                    assert np.allclose(parts["xW"], ref[(b, t, g, "xW")], atol=1e-12)
                    assert np.allclose(parts["hW"], ref[(b, t, g, "hW")], atol=1e-12)
            assert np.allclose(step["h"], ref[(b, t, "h", "h")], atol=1e-12)
            if cell == "lstm":
                assert np.allclose(step["c"], ref[(b, t, "c", "c")], atol=1e-12)
                terms = step["terms"]
                assert np.allclose(np.add(terms["forget"], terms["write"]), step["c"])
            else:
                assert np.allclose(np.add(step["terms"]["new"], step["terms"]["keep"]),
                                   step["h"])
        assert np.isclose(sentence["output"]["y"], ref["y"][b], atol=1e-12)
    assert np.isclose(data["mean_loss"], ref["mean"], atol=1e-12)
    assert set(data["gradients"]) == {"loss", *(f"d{n}" for n in w.names)}


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_json_round_trip_and_a_changed_number_in_one_line(tmp_path, cell):
    d, w, _ = case(cell)
    text = render(build_trace(d, w), "json")
    path = tmp_path / "t.json"
    path.write_text(text, encoding="utf-8")
    trace = load_trace(path)
    assert isinstance(trace, GatedTrace) and trace.cell == cell
    assert render(trace, "json") == text
    data = json.loads(text)
    gate = "f" if cell == "lstm" else "z"
    data["sentences"][0]["steps"][1]["gates"][gate]["value"][2] += 0.5
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(TraceError) as err:
        load_trace(path)
    message = str(err.value)
    assert "\n" not in message and f"sentence 1, t = 2, {gate}.value[3]" in message, message
    data = json.loads(text)
    data["sentences"][1]["steps"][1]["gates"] = {}  # a padding step's gates must be null
    with pytest.raises(TraceError, match="null on a padding step"):
        trace_from_dict(data)


def test_version_1_traces_still_read_and_version_2_needs_a_cell():
    d = Dataset.from_sentences(["as soon", "soon"], [1, 0])
    data = trace_to_dict(build_trace(d, Weights.init(d.vocab, hidden=2)))
    assert data["cell"] == "rnn"
    old = {k: v for k, v in data.items() if k != "cell"}
    old["version"] = 1
    trace_from_dict(old).verify()  # a version-1 trace: the vanilla cell's
    with pytest.raises(TraceError, match="cell: missing"):
        trace_from_dict({**old, "version": 2})
    with pytest.raises(TraceError, match="is not one of rnn, gru, lstm"):
        trace_from_dict({**data, "cell": "elman"})


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_csv_has_every_gate_part_and_c(cell):
    d, w, ref = case(cell)
    rows = list(csv.DictReader(io.StringIO(render(build_trace(d, w), "csv"))))
    quantities = {r["quantity"] for r in rows}
    assert set(step_names(cell)) <= quantities
    assert {f"d{n}" for n in w.names} <= quantities
    value = [r for r in rows if r["sentence"] == "0" and r["t"] == "2"
             and r["quantity"] == f"{'i' if cell == 'lstm' else 'r'}.value"]
    got = [float(r["value"]) for r in sorted(value, key=lambda r: int(r["col"]))]
    assert np.allclose(got, ref[(0, 2, "i" if cell == "lstm" else "r", "act")], atol=1e-12)
    padded = [r for r in rows if r["sentence"] == "1" and r["t"] == "3"]
    assert {r["quantity"] for r in padded} == {"x", "h_prev", "h"} | (
        {"c_prev", "c"} if cell == "lstm" else set())


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("form", ["md", "tex"])
def test_markdown_and_latex_show_the_gates_and_c(cell, form):
    d, w, ref = case(cell)
    text = render(build_trace(d, w), form, 3)
    gates = "ifgo" if cell == "lstm" else "rzn"
    for g in gates:
        value = ref[(0, 2, g, "act")]
        if form == "md":
            assert f"= {fmt.vec(value, 3)}" in text, g
        else:
            assert " & ".join(fmt.num(v, 3) for v in value) in text, g
    last = ref[(0, 3, "c", "c")] if cell == "lstm" else ref[(0, 3, "h", "h")]
    assert (fmt.vec(last, 3) if form == "md" else " & ".join(fmt.num(v, 3) for v in last)) in text
    assert "padding" in text


def test_cli_exports_and_replays_a_gated_trace(tmp_path, capsys):
    out = tmp_path / "g.json"
    assert main(["export", "--cell", "gru", "--weights", "trained", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["cell"] == "gru"
    assert main(["--trace", str(out), "--text", "--lang", "en"]) == 0
    text = capsys.readouterr().out
    assert "many-to-one GRU" in text and "mean loss" in text


@pytest.mark.parametrize("cell", ["gru", "lstm"])
async def test_key_x_exports_and_key_s_saves_a_gated_lesson(tmp_path, monkeypatch, cell):
    """In the app: x writes the gated trace (JSON, every number verified on loading);
    s saves the weights with their cell, which rnn-tui reads back."""
    from conftest import press

    from rnn_tui.core.cells import load_any
    from rnn_tui.core.data import lesson_dataset
    from rnn_tui.tui.app import RNNApp

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RNN_TUI_SERVED", raising=False)  # (served, x and s are refused)
    d = lesson_dataset()
    app = RNNApp(d, GatedWeights.init(cell, d.vocab, hidden=3, seed=2), lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "L", "x", *["backspace"] * 20)
        for char in "g.json":
            await press(pilot, "full_stop" if char == "." else char)
        text = await press(pilot, "enter")
        assert "wrote the json trace to g.json" in text.splitlines()[0], text
        await press(pilot, "s", *["backspace"] * 20)
        for char in "w.json":
            await press(pilot, "full_stop" if char == "." else char)
        text = await press(pilot, "enter")
        assert len(app.screen_stack) == 1, text
    trace = load_trace(tmp_path / "g.json")
    assert isinstance(trace, GatedTrace) and trace.weights == app.lesson.weights
    saved = load_any(tmp_path / "w.json")
    assert isinstance(saved, GatedWeights) and saved == app.lesson.weights
