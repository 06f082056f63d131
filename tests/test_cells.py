"""rnn_tui.core.cells: the GRU and the LSTM (issue 21, the engine), their BPTT, training,
presets, the sub-step cursor and ``--text --cell``."""

from __future__ import annotations

import json
import math
from importlib import resources

import numpy as np
import pytest

from rnn_tui.cli.main import main
from rnn_tui.core.backprop import TrainingError
from rnn_tui.core.cells import (
    CELL_SPECS,
    GatedStepper,
    GatedWeights,
    cell_step,
    forward_gated,
    gated_backward,
    gated_gradients,
    gated_overflow,
    load_any,
    mean_loss,
)
from rnn_tui.core.cursor import SUBSTEP_NAMES, SUBSTEPS, Cursor
from rnn_tui.core.data import Dataset, lesson_dataset
from rnn_tui.core.model import Weights, WeightsError
from rnn_tui.core.train import (
    CELL_PRESET_RECIPE,
    GatedTrainer,
    load_any_weights,
    make_cell_preset,
    train_gated,
)

CELLS = ("gru", "lstm")


def one_by_one(cell: str, **values: float) -> GatedWeights:
    """V = 1, H = 1: every weight 0 but those given."""
    names = CELL_SPECS[cell].names
    return GatedWeights(cell, ["w"], {n: [[values.get(n, 0.0)]] for n in names})


# --- worked numbers -------------------------------------------------------------------------


def test_gru_worked_numbers() -> None:
    # r = z = σ(0) = 1/2; n = tanh(x·1 + 0 + r(h·2 + 1)); h' = n/2 + h/2
    w = one_by_one("gru", Wxn=1.0, Whn=2.0, bhn=1.0)
    s = GatedStepper(w, np.ones((1, 2, 1)))
    r1 = s.step()
    assert r1 is not None
    assert r1.gates["r"].value[0, 0] == 0.5 and r1.gates["z"].value[0, 0] == 0.5
    n = r1.gates["n"]
    assert n.hWb is not None and n.reset is not None
    assert (n.xW[0, 0], n.hWb[0, 0], n.reset[0, 0]) == (1.0, 1.0, 0.5)
    assert n.pre[0, 0] == 1.5
    h1 = 0.5 * math.tanh(1.5)
    assert s.h[0, 0] == pytest.approx(h1, abs=1e-15)
    r2 = s.step()
    assert r2 is not None
    assert r2.gates["n"].hW[0, 0] == pytest.approx(2 * h1, abs=1e-15)
    n2 = math.tanh(1.0 + 0.5 * (2 * h1 + 1.0))
    assert r2.terms["new"][0, 0] == pytest.approx(0.5 * n2, abs=1e-15)
    assert r2.terms["keep"][0, 0] == pytest.approx(0.5 * h1, abs=1e-15)
    assert s.h[0, 0] == pytest.approx(0.5 * n2 + 0.5 * h1, abs=1e-15)
    assert s.c is None and s.C is None


def test_lstm_worked_numbers() -> None:
    # i = f = o = 1/2, g = tanh(1): c1 = tanh(1)/2, c2 = c1/2 + tanh(1)/2, h = tanh(c)/2
    w = one_by_one("lstm", Wxg=1.0, Wy=2.0, by=-1.0)
    s = GatedStepper(w, np.ones((1, 2, 1)), labels=[1])
    r1 = s.step()
    assert r1 is not None and r1.c is not None
    g = math.tanh(1.0)
    assert [r1.gates[k].value[0, 0] for k in "ifo"] == [0.5, 0.5, 0.5]
    assert r1.gates["g"].value[0, 0] == pytest.approx(g, abs=1e-15)
    c1 = 0.5 * g
    assert r1.c[0, 0] == pytest.approx(c1, abs=1e-15)
    assert r1.h[0, 0] == pytest.approx(0.5 * math.tanh(c1), abs=1e-15)
    s.step()
    c2 = 0.5 * c1 + 0.5 * g
    assert s.c is not None and s.c[0, 0] == pytest.approx(c2, abs=1e-15)
    h2 = 0.5 * math.tanh(c2)
    out = s.output
    assert out is not None
    assert out.z[0, 0] == pytest.approx(2 * h2 - 1, abs=1e-15)
    assert out.y[0, 0] == pytest.approx(1 / (1 + math.exp(1 - 2 * h2)), abs=1e-15)
    assert s.C is not None and s.C.shape == (1, 2, 1)


# --- weights ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", CELLS)
def test_init_shapes_range_and_seed(cell: str) -> None:
    w = GatedWeights.init(cell, ["a", "b"], hidden=4, seed=3)
    assert w.names == CELL_SPECS[cell].names and w.hidden == 4
    for name in w.names:
        want = {"Wy": (4, 1), "by": (1, 1)}.get(name) or (
            (2, 4) if name.startswith("Wx") else (4, 4) if name.startswith("Wh") else (1, 4))
        assert w[name].shape == want
        assert np.all(np.abs(w[name]) <= 0.5)  # ±1/√4
    assert w == GatedWeights.init(cell, ["a", "b"], hidden=4, seed=3)
    assert w != GatedWeights.init(cell, ["a", "b"], hidden=4, seed=4)
    # drawn in names order from default_rng(seed)
    rng = np.random.default_rng(3)
    assert np.array_equal(w[w.names[0]], rng.uniform(-0.5, 0.5, size=(2, 4)))


def test_the_issues_keys() -> None:
    assert " ".join(CELL_SPECS["gru"].names) == "Wxr Whr br Wxz Whz bz Wxn Whn bxn bhn Wy by"
    assert " ".join(CELL_SPECS["lstm"].names) == (
        "Wxi Whi bi Wxf Whf bf Wxg Whg bg Wxo Who bo Wy by")


@pytest.mark.parametrize("cell", CELLS)
def test_json_round_trip(cell: str, tmp_path) -> None:
    w = GatedWeights.init(cell, ["as", "soon"], seed=1)
    assert GatedWeights.from_dict(json.loads(json.dumps(w.to_dict()))) == w
    path = tmp_path / "w.json"
    w.save(path)
    assert json.loads(path.read_text())["cell"] == cell
    assert load_any(path) == w == GatedWeights.load(path)


def test_a_file_without_cell_is_the_vanilla_rnn(tmp_path) -> None:
    v = Weights.init(["as", "soon"])
    path = tmp_path / "v.json"
    v.save(path)
    assert "cell" not in json.loads(path.read_text())  # nothing existing changes
    assert load_any(path) == v
    data = v.to_dict()
    data["cell"] = "rnn"
    path.write_text(json.dumps(data))
    assert load_any(path) == v == Weights.load(path)


def _bad(cell: str, change) -> dict:
    data = GatedWeights.init(cell, ["as", "soon"]).to_dict()
    change(data)
    return data


BAD = [
    (lambda d: d.pop("Whr"), "Whr: missing"),
    (lambda d: d.update(cell="transformer"), "cell: must be one of rnn, gru, lstm"),
    (lambda d: d.update(cell=3), "cell: must be one of"),
    (lambda d: d.update(Wxr=[[0.1, 0.2, 0.3]]), "Wxr: has 1 rows but vocab has 2 tokens"),
    (lambda d: d.update(bhn=[[0.1, 0.2]]), "bhn: shape (1, 2), expected (1, 3)"),
    (lambda d: d.update(Whz=[[1.0, 2.0]] * 3), "Whz: shape (3, 2), expected (3, 3)"),
    (lambda d: d.update(Wy=[[1.0]] * 4), "Wxr: shape (2, 3), expected (2, 4) (H = 4 from Wy)"),
    (lambda d: d.update(Wy=[[1.0]] * 2 + [[1e999]]), "Wy: contains NaN or infinite values"),
    (lambda d: d.update(bz=[[1.0, "x", 2.0]]), "bz: 'x' is not a number"),
    (lambda d: d.update(Wxh=[[1.0]]), "not a weight of the gru cell"),
    (lambda d: d.update(vocab=["as", "as"]), "vocab: has repeated tokens"),
    (lambda d: d.update(by=[[float("nan")]]), "by: contains NaN or infinite values"),
]


@pytest.mark.parametrize("change, message", BAD)
def test_bad_files_are_one_line_errors(change, message: str, tmp_path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_bad("gru", change), allow_nan=True))
    with pytest.raises(WeightsError) as info:
        load_any(path)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert str(info.value).startswith(str(path))


def test_the_vanilla_loader_refuses_a_gated_file_in_one_line(tmp_path) -> None:
    path = tmp_path / "g.json"
    GatedWeights.init("lstm", ["as", "soon"]).save(path)
    with pytest.raises(WeightsError, match=r"cell: these are the weights of a 'lstm' cell"):
        Weights.load(path)


def test_extend_vocab_and_with_entry() -> None:
    w = GatedWeights.init("gru", ["as", "soon"])
    both = w.extend_vocab(["a", "b"], seed=2)
    assert both.vocab == ["as", "soon", "a", "b"]
    assert both == w.extend_vocab(["a"], seed=2).extend_vocab(["b"], seed=2)
    assert np.array_equal(both["Wxr"][:2], w["Wxr"]) and both["Wxr"].shape == (4, 3)
    assert np.array_equal(both["Whr"], w["Whr"])
    edited = w.with_entry("bhn", 0, 2, 0.25)
    assert edited["bhn"][0, 2] == 0.25 and w["bhn"][0, 2] != 0.25
    with pytest.raises(WeightsError, match="Wxh: not a weight"):
        w.with_entry("Wxh", 0, 0, 1.0)


# --- forward, padding, the stepper ------------------------------------------------------------


def random_problem(seed: int, cell: str, padded: bool, scale: float = 2.0):
    rng = np.random.default_rng(seed)
    B, T, V, H = 4, 5, 3, 3
    w = GatedWeights.init(cell, ["a", "b", "c"], hidden=H, seed=seed)
    w = GatedWeights(cell, w.vocab, {n: a * scale for n, a in w.arrays.items()})
    lengths = np.array([5, 2, 4, 1]) if padded else np.full(B, T)
    X = np.zeros((B, T, V))
    for b in range(B):
        X[b, np.arange(lengths[b]), rng.integers(V, size=lengths[b])] = 1.0
    return w, X, lengths, np.array([1, 0, 1, 0])


@pytest.mark.parametrize("cell", CELLS)
def test_padding_carries_h_and_c(cell: str) -> None:
    w, X, lengths, labels = random_problem(5, cell, padded=True)
    Hs, Cs, y = forward_gated(w, X, lengths)
    s = GatedStepper(w, X, lengths, labels)
    s.run()
    assert np.array_equal(s.H, Hs)
    for b in range(X.shape[0]):
        L = lengths[b]
        alone_H, alone_C, alone_y = forward_gated(w, X[b:b + 1, :L], [L])
        assert np.allclose(Hs[b, :L], alone_H[0], rtol=0, atol=1e-15)
        assert np.all(Hs[b, L:] == Hs[b, L - 1])  # carried unchanged
        assert y[b, 0] == pytest.approx(alone_y[0, 0], rel=1e-13)
        if cell == "lstm":
            assert Cs is not None and alone_C is not None and s.C is not None
            assert np.all(Cs[b, L:] == Cs[b, L - 1])
            assert np.array_equal(s.C[b], Cs[b])
        else:
            assert Cs is None
    r = s.history[2]  # t = 3
    assert [bool(a) for a in r.active] == [True, False, True, False]
    assert r.tokens[1] is None and r.tokens[0] in w.vocab


@pytest.mark.parametrize("cell", CELLS)
def test_stepper_steps_back_and_matches_the_batch(cell: str) -> None:
    d = lesson_dataset()
    w = GatedWeights.init(cell, d.vocab, seed=0)
    s = GatedStepper(w, d.X, d.lengths, d.labels)
    assert s.t == 0 and not s.h.any() and s.output is None
    first = s.step()
    second = s.step()
    assert first is not None and second is not None
    assert np.array_equal(second.h_prev, first.h)
    assert s.back() and s.t == 1
    again = s.step()
    assert again is not None and np.array_equal(again.h, second.h)
    out = s.run()
    assert s.step() is None and s.done
    _, _, y = forward_gated(w, d.X, d.lengths)
    assert np.array_equal(out.y, y)
    assert out.mean_loss == pytest.approx(mean_loss(w, d.X, d.lengths, d.labels), rel=1e-15)
    s.reset()
    assert s.t == 0 and not s.back()
    # the record holds every gate's terms, as the sub-steps name them
    assert list(first.gates) == list(CELL_SPECS[cell].gates)
    for gate in first.gates.values():
        assert np.allclose(gate.xW, first.x @ w[f"Wx{gate.name}"])
        assert np.allclose(gate.hW, first.h_prev @ w[f"Wh{gate.name}"])


def test_cell_step_is_the_issues_equations() -> None:
    rng = np.random.default_rng(0)
    x, h, c = rng.normal(size=(2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    g = GatedWeights.init("gru", list("abc"), hidden=4, seed=1)

    def sig(v):
        return 1 / (1 + np.exp(-v))

    r = sig(x @ g["Wxr"] + h @ g["Whr"] + g["br"])
    z = sig(x @ g["Wxz"] + h @ g["Whz"] + g["bz"])
    n = np.tanh(x @ g["Wxn"] + g["bxn"] + r * (h @ g["Whn"] + g["bhn"]))
    assert np.allclose(cell_step(g, x, h).h, (1 - z) * n + z * h, rtol=0, atol=1e-15)
    m = GatedWeights.init("lstm", list("abc"), hidden=4, seed=1)
    i, f, o = (sig(x @ m[f"Wx{k}"] + h @ m[f"Wh{k}"] + m[f"b{k}"]) for k in "ifo")
    gg = np.tanh(x @ m["Wxg"] + h @ m["Whg"] + m["bg"])
    step = cell_step(m, x, h, c)
    assert step.c is not None
    assert np.allclose(step.c, f * c + i * gg, rtol=0, atol=1e-15)
    assert np.allclose(step.h, o * np.tanh(f * c + i * gg), rtol=0, atol=1e-15)


def test_overflow_is_one_line() -> None:
    d = lesson_dataset()
    w = GatedWeights.init("gru", d.vocab)
    arrays = dict(w.arrays, Wy=np.full((3, 1), 1e308), bxn=np.full((1, 3), 50.0))
    w = GatedWeights("gru", d.vocab, arrays)  # n ≈ 1, so h > 0 and h·Wy is inf
    s = GatedStepper(w, d.X, d.lengths, d.labels)
    with np.errstate(over="ignore", invalid="ignore"):
        s.run()
        message = gated_overflow(s)
    assert message is not None and "overflowed" in message and "\n" not in message


# --- the cursor --------------------------------------------------------------------------------


def test_cursor_counts_each_cells_substeps() -> None:
    assert SUBSTEPS == 4 and len(SUBSTEP_NAMES["rnn"]) == 4
    assert len(SUBSTEP_NAMES["gru"]) == 14 and len(SUBSTEP_NAMES["lstm"]) == 18
    # the vanilla cell's arithmetic is unchanged
    c = Cursor(5, 3)
    assert (c.per_step, c.last, c.t, c.phase, c.next_step(), c.previous_step()) == (
        4, 13, 2, 1, 8, 4)
    assert Cursor(13, 3).phase == 5
    g = Cursor(15, 3, "gru")
    assert (g.per_step, g.last, g.t, g.phase) == (14, 43, 2, 1)
    assert g.substep == ("r", "xW", "x·Wxr")
    assert (g.next_step(), g.previous_step()) == (28, 14)
    assert Cursor(14 + 8, 3, "gru").substep == ("z", "act", "z = σ(sum)")
    assert Cursor(14 + 10, 3, "gru").substep == ("n", "hW", "h·Whn + bhn")
    assert Cursor(14 + 11, 3, "gru").substep == ("n", "reset", "r ⊙ (h·Whn + bhn)")
    assert Cursor(43, 3, "gru").phase == 15 and Cursor(43, 3, "gru").substep is None
    lstm = Cursor(18, 2, "lstm")
    assert lstm.t == 1 and lstm.substep == ("h", "h", "h' = o ⊙ tanh(c')")
    assert Cursor(17, 2, "lstm").substep == ("c", "c", "c' = f ⊙ c + i ⊙ g")
    assert [s.group for s in SUBSTEP_NAMES["lstm"][:16:4]] == ["i", "f", "g", "o"]


# --- BPTT --------------------------------------------------------------------------------------


def numeric(w: GatedWeights, X, lengths, labels, eps: float = 1e-6) -> dict[str, np.ndarray]:
    out = {}
    for name in w.names:
        grad = np.zeros_like(w[name])
        for idx in np.ndindex(*w[name].shape):
            up = w.with_entry(name, *idx, w[name][idx] + eps)
            down = w.with_entry(name, *idx, w[name][idx] - eps)
            grad[idx] = (mean_loss(up, X, lengths, labels)
                         - mean_loss(down, X, lengths, labels)) / (2 * eps)
        out[name] = grad
    return out


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("padded", [False, True])
def test_gradients_match_central_differences(cell: str, padded: bool) -> None:
    w, X, lengths, labels = random_problem(7, cell, padded)
    before = w.copy()
    loss, grads = gated_gradients(w, X, lengths, labels)
    assert w == before
    assert loss == pytest.approx(mean_loss(w, X, lengths, labels), rel=1e-13)
    num = numeric(w, X, lengths, labels)
    for name in w.names:
        assert grads[name].shape == w[name].shape
        assert np.linalg.norm(num[name]) > 1e-4, name  # a real gradient
        err = np.linalg.norm(grads[name] - num[name]) / (
            np.linalg.norm(grads[name]) + np.linalg.norm(num[name]))
        assert err < 1e-6, (name, err)


@pytest.mark.parametrize("cell", CELLS)
def test_padded_steps_add_nothing_and_pass_the_gradient_through(cell: str) -> None:
    w, X, lengths, labels = random_problem(8, cell, padded=True)
    back = gated_backward(w, X, lengths, labels)
    assert [s.t for s in back.steps] == [5, 4, 3, 2, 1]
    step = back.steps[0]  # t = 5: only sentence 1 is still reading
    for dpre in step.dpre.values():
        assert not dpre[1:].any()
    assert np.array_equal(step.dh_prev[1:], step.dh[1:])
    if cell == "lstm":
        assert step.dc is not None and step.dc_prev is not None
        assert np.array_equal(step.dc_prev[1:], step.dc[1:])
    # a batch of the sentence alone gives the same gradient (times the batch's share)
    _, alone = gated_gradients(w, X[3:4, :1], [1], labels[3:4])
    _, without = gated_gradients(w, X[:3], lengths[:3], labels[:3])
    for name in w.names:
        assert np.allclose(back.grads[name], (alone[name] + 3 * without[name]) / 4,
                           rtol=0, atol=1e-14)


def test_backward_needs_labels() -> None:
    w, X, lengths, _ = random_problem(1, "gru", False)
    with pytest.raises(TrainingError, match="labels: needed"):
        gated_gradients(w, X, lengths, None)  # type: ignore[arg-type]


# --- training and the presets --------------------------------------------------------------


@pytest.mark.parametrize("cell", CELLS)
def test_the_presets_are_what_the_recipe_makes_and_solve_the_lesson(cell: str) -> None:
    text = (resources.files("rnn_tui.core") / "presets" / f"trained-{cell}.json").read_text()
    made = make_cell_preset(cell)  # 2000 epochs of Adam from the seed-0 init
    assert json.dumps(made.to_dict(), indent=1) + "\n" == text
    w = load_any_weights(f"trained-{cell}")
    assert isinstance(w, GatedWeights) and w == made and w.cell == cell
    d = lesson_dataset()
    assert d.texts[2] == "as soon as"
    _, _, y = forward_gated(w, d.X, d.lengths)
    assert y[2, 0] > 0.99 and y[0, 0] < 0.01 and y[1, 0] < 0.01


@pytest.mark.parametrize("cell", CELLS)
def test_training_reaches_the_lessons_targets(cell: str) -> None:
    d = lesson_dataset()
    r = CELL_PRESET_RECIPE[cell]
    start = GatedWeights.init(cell, d.vocab, hidden=3, seed=r["seed"])
    result = train_gated(start, d, 300)
    _, _, y = forward_gated(result.weights, d.X, d.lengths)
    assert y[2, 0] > 0.9 and y[0, 0] < 0.1 and y[1, 0] < 0.1
    h = result.history
    assert h.epochs == 300 and h.accuracies[-1] == 1.0 and h.losses[-1] < 0.01 < h.losses[0]
    assert start == GatedWeights.init(cell, d.vocab, hidden=3, seed=r["seed"])
    # one epoch at a time is the same; minibatches shuffle by the seed
    trainer = GatedTrainer(start, d)
    for _ in range(300):
        trainer.epoch()
    assert trainer.weights == result.weights
    a = train_gated(start, d, 5, batch_size=1, seed=1).weights
    assert a == train_gated(start, d, 5, batch_size=1, seed=1).weights
    assert a != train_gated(start, d, 5, batch_size=1, seed=2).weights


def test_bad_settings_are_one_line_errors() -> None:
    d = lesson_dataset()
    w = GatedWeights.init("lstm", d.vocab)
    with pytest.raises(TrainingError, match="optimizer: must be one of"):
        GatedTrainer(w, d, optimizer="rmsprop")
    with pytest.raises(TrainingError, match="epochs: must be a whole number"):
        train_gated(w, d, -1)
    g = GatedWeights.init("gru", d.vocab)
    huge = GatedWeights("gru", d.vocab, dict(g.arrays, Wy=np.full((3, 1), 1e308),
                                             bxn=np.full((1, 3), 50.0)))
    with pytest.raises(TrainingError, match="the loss of the starting weights is "):
        train_gated(huge, d, 3)


# --- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize("cell", CELLS)
def test_text_prints_every_gate_and_y(cell: str, capsys) -> None:
    assert main(["--text", "--cell", cell, "--weights", "trained", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    for gate in CELL_SPECS[cell].gates:
        assert f"    {gate}: x·Wx{gate}" in out
        assert f"   {gate} = " in out
    if cell == "gru":
        assert "r ⊙ (h·Whn + bhn)" in out and "(1 − z) ⊙ n" in out
    else:
        assert "c_3 = f ⊙ c_2 + i ⊙ g" in out and "tanh(c_3)" in out
    assert "3: as soon as" in out and "y >0.999  prediction 1  target 1  right" in out
    assert "mean loss" in out


def test_text_of_a_padded_sentence_says_what_is_carried(tmp_path, capsys) -> None:
    data = tmp_path / "d.tsv"
    data.write_text("1\tas soon as\n0\tsoon\n")
    path = tmp_path / "w.json"
    GatedWeights.init("lstm", ["as", "soon"]).save(path)
    assert main(["--text", "--weights", str(path), "--data", str(data), "--lang", "en"]) == 0
    out = capsys.readouterr().out  # the file's cell is used without --cell
    assert "many-to-one LSTM" in out
    assert "past its end, no gate is computed; carried: h_2 = h_1 = " in out
    assert "c_2 = c_1 = " in out


@pytest.mark.parametrize("argv, message", [
    (["--cell", "lstm", "--text", "--trace", "t.json"], "--cell can't be used with --trace"),
    (["--text", "--cell", "gru", "--activation", "relu"], "--activation is the rnn cell's"),
    (["--text", "--cell", "gru", "--bias", "vector"], "--bias is the rnn cell's"),
    (["--text", "--cell", "lstm", "--weights", "trained-gru"],
     "trained-gru: holds the weights of a gru cell, not a lstm"),
    (["--text", "--cell", "rnn", "--weights", "trained-gru"], "cell: these are the weights"),
])
def test_cli_errors_are_one_line(argv, message: str, capsys) -> None:
    assert main([*argv, "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_export_takes_a_gated_cell(capsys) -> None:
    """(The app, export and serve refused --cell gru|lstm until issue 21's views landed:
    tests/test_gates_app.py and tests/test_gates_export.py test them.)"""
    assert main(["export", "--cell", "lstm", "--format", "md"]) == 0
    assert "# A many-to-one LSTM, gate by gate" in capsys.readouterr().out


def test_train_cell_writes_the_preset(tmp_path, capsys) -> None:
    out = tmp_path / "g.json"
    argv = ["train", "--cell", "gru", "--epochs", "2000", "--seed", "0", "--decimals", "6",
            "--out", str(out)]
    assert main(argv) == 0
    shipped = (resources.files("rnn_tui.core") / "presets" / "trained-gru.json").read_text()
    assert out.read_text() == shipped
    assert "accuracy 100%" in capsys.readouterr().out


def test_a_dataset_with_a_new_word_needs_the_weights_vocab(tmp_path, capsys) -> None:
    data = tmp_path / "d.tsv"
    data.write_text("1\tas later\n")
    assert main(["--text", "--cell", "gru", "--weights", "trained", "--data", str(data),
                 "--lang", "en"]) == 2
    assert "later" in capsys.readouterr().err
    # random weights take the data's own vocabulary
    assert main(["--text", "--cell", "gru", "--data", str(data), "--hidden", "2"]) == 0
    assert "vocabulary (one-hot, first-seen order): 2 tokens" in capsys.readouterr().out
    assert Dataset.from_sentences(["as later"], [1]).vocab == ("as", "later")


# --- the memory view's numbers ------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["rnn", *CELLS])
def test_memory_is_the_norm_of_dh_T_dx_t(cell: str) -> None:
    """‖∂h_T/∂x_t‖ against central differences of h_T in every entry of x_t."""
    from rnn_tui.core.cells import memory
    from rnn_tui.core.model import forward

    rng = np.random.default_rng(4)
    x_seq = np.eye(3)[rng.integers(3, size=6)]
    w = (Weights.init(["a", "b", "c"], hidden=4, seed=2) if cell == "rnn"
         else GatedWeights.init(cell, ["a", "b", "c"], hidden=4, seed=2))

    def h_T(x: np.ndarray) -> np.ndarray:
        if isinstance(w, Weights):
            return forward(w, x[None])[0][0, -1]
        return forward_gated(w, x[None])[0][0, -1]

    got = memory(w, x_seq)
    assert got.shape == (6,)
    for t in range(6):
        J = np.zeros((4, 3))
        for v in range(3):
            up, down = x_seq.copy(), x_seq.copy()
            up[t, v] += 1e-6
            down[t, v] -= 1e-6
            J[:, v] = (h_T(up) - h_T(down)) / 2e-6
        assert got[t] == pytest.approx(np.linalg.norm(J), rel=1e-6)


# --- one sentence's backward pass, step by step ---------------------------------------------------


@pytest.mark.parametrize("cell", CELLS)
def test_backward_steps_shares_and_one_sentences_trace(cell: str) -> None:
    from rnn_tui.core.cells import gated_backward_trace

    w, X, lengths, labels = random_problem(9, cell, padded=True)
    back = gated_backward(w, X, lengths, labels)
    for name in w.names:
        if name in ("Wy", "by"):
            continue
        total = sum(step.shares[name] for step in back.steps)
        assert np.allclose(total, back.grads[name], rtol=0, atol=1e-15)
    traces = [gated_backward_trace(w, X, lengths, labels, b) for b in range(4)]
    assert [len(tr.steps) for tr in traces] == list(lengths)
    assert [s.t for s in traces[2].steps] == [4, 3, 2, 1]
    for name in w.names:  # the batch gradient is the mean of the sentences'
        mean = sum(tr.grads[name] for tr in traces) / 4
        assert np.allclose(mean, back.grads[name], rtol=0, atol=1e-14)
    assert traces[1].loss == pytest.approx(
        mean_loss(w, X[1:2, :2], [2], labels[1:2]), rel=1e-14)
    with pytest.raises(TrainingError, match="b: must be in 0..3, not 4"):
        gated_backward_trace(w, X, lengths, labels, 4)


def test_make_stepper_picks_the_cells_stepper() -> None:
    from rnn_tui.core.cells import make_stepper
    from rnn_tui.core.stepper import Stepper

    d = lesson_dataset()
    assert isinstance(make_stepper(Weights.init(d.vocab), d.X), Stepper)
    gated = make_stepper(GatedWeights.init("lstm", d.vocab), d.X, d.lengths, d.labels)
    assert isinstance(gated, GatedStepper) and gated.substeps == SUBSTEP_NAMES["lstm"]
    with pytest.raises(ValueError, match="activation"):
        make_stepper(GatedWeights.init("gru", d.vocab), d.X, activation="relu")


def test_text_overflow_is_one_line(tmp_path, capsys) -> None:
    g = GatedWeights.init("gru", ["as", "soon"])
    path = tmp_path / "huge.json"
    GatedWeights("gru", g.vocab, dict(g.arrays, Wy=np.full((3, 1), 1e308),
                                      bxn=np.full((1, 3), 50.0))).save(path)
    assert main(["--text", "--weights", str(path), "--lang", "en"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing half-printed
    assert "overflowed" in captured.err and captured.err.count("\n") == 1
