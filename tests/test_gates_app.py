"""Issue 21 in the app: ``rnn-tui --cell gru|lstm`` steps a gated cell gate by gate.

At every sub-step of every sentence, at 80×24 and 120×40 (and in Korean, and in
the batch view), the current sub-step's numbers are on the screen and equal a
GRU / LSTM computed here with NumPy (not the engine); nothing wraps, no
scrollbar, and layout.shown() agrees with the screen. Then the narration, the
lesson dict's cell, the refused keys, the memory view and the diagram.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import screen_text
from rich.console import Console
from rich.text import Text
from test_fit import key, problems, scrollbars, shown_disagrees

from rnn_tui.core.cells import GatedWeights
from rnn_tui.core.cursor import SUBSTEP_NAMES
from rnn_tui.core.data import Dataset, lesson_dataset
from rnn_tui.teach import fmt
from rnn_tui.teach.i18n import set_lang, tr
from rnn_tui.teach.lesson import Lesson, LessonError
from rnn_tui.teach.narration import narrate_gated, sub
from rnn_tui.tui.app import RNNApp

console = Console(width=200)

#: sentences of lengths 3, 1 and 2 over three words: padding at every length
DATA = (["a b c", "c", "b a"], [1, 0, 1])


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def reference(d: Dataset, w: GatedWeights) -> dict:
    """The gated cell computed here, per sentence and step: every sub-step's value,
    keyed (b, t, group, part); then y and the losses (h carried past the end)."""
    H = w.hidden
    index = {tok: i for i, tok in enumerate(w.vocab)}
    a = {k: np.asarray(w[k], dtype=np.float64) for k in w.names}
    out: dict = {}
    ys = []
    for b, sentence in enumerate(d.sentences):
        h, c = np.zeros(H), np.zeros(H)
        for t, tok in enumerate(sentence, start=1):
            x = a["Wx" + ("r" if w.cell == "gru" else "i")][index[tok]] * 0  # shape only
            row = index[tok]
            if w.cell == "gru":
                gates = {}
                for g in "rz":
                    xw, hw = a[f"Wx{g}"][row], h @ a[f"Wh{g}"]
                    pre = xw + hw + a[f"b{g}"][0]
                    gates[g] = sigmoid(pre)
                    out.update({(b, t, g, "xW"): xw, (b, t, g, "hW"): hw,
                                (b, t, g, "sum"): pre, (b, t, g, "act"): gates[g]})
                xw = a["Wxn"][row] + a["bxn"][0]
                hw = h @ a["Whn"] + a["bhn"][0]
                reset = gates["r"] * hw
                pre = xw + reset
                n = np.tanh(pre)
                out.update({(b, t, "n", "xW"): xw, (b, t, "n", "hW"): hw,
                            (b, t, "n", "reset"): reset, (b, t, "n", "sum"): pre,
                            (b, t, "n", "act"): n})
                h = (1 - gates["z"]) * n + gates["z"] * h
                out[(b, t, "h", "h")] = h
            else:
                gates = {}
                for g in "ifgo":
                    xw, hw = a[f"Wx{g}"][row], h @ a[f"Wh{g}"]
                    pre = xw + hw + a[f"b{g}"][0]
                    gates[g] = np.tanh(pre) if g == "g" else sigmoid(pre)
                    out.update({(b, t, g, "xW"): xw, (b, t, g, "hW"): hw,
                                (b, t, g, "sum"): pre, (b, t, g, "act"): gates[g]})
                c = gates["f"] * c + gates["i"] * gates["g"]
                h = gates["o"] * np.tanh(c)
                out[(b, t, "c", "c")] = c
                out[(b, t, "h", "h")] = h
            del x
        out[(b, "h_last")] = h
        out[(b, "c_last")] = c
        ys.append(sigmoid(h @ a["Wy"][:, 0] + a["by"][0, 0]))
    y = np.array(ys)
    labels = np.asarray(d.labels)
    out["y"] = y
    out["loss"] = -(labels * np.log(y) + (1 - labels) * np.log(1 - y))
    out["mean"] = float(out["loss"].mean())
    return out


def check(text: str, ref: dict, d: Dataset, b: int, t: int, k: int, cell: str, batch: bool,
          where: str) -> None:
    """Sub-step ``k`` (0-based) of step ``t`` of sentence ``b`` is on the screen, true."""
    step = SUBSTEP_NAMES[cell][k]
    v = fmt.vec
    length = len(d.sentences[b])
    if t > length:  # past the end: carried
        if batch:
            assert tr("word.pad") in text, where
        else:
            assert tr("gate.carried_line", n=b + 1, length=length, h=f"h{sub(t)}",
                      h_prev=f"h{sub(t - 1)}") in text, where
            assert v(ref[(b, length, "h", "h")]) in text, where
        return
    value = v(ref[(b, t, step.group, step.part)])
    lines = text.splitlines()
    if step.part == "act":
        assert any(f"{step.group}{sub(t)} = " in line and value in line for line in lines), where
    elif step.part in ("c", "h"):
        assert any(f"{step.part}{sub(t)} = {value}" in line for line in lines), where
    else:
        assert value in text, where
    if not batch:  # the gate's equation heads the box
        assert f"{step.group}{sub(t)} = " in text, where


async def walk(cell: str, size: tuple[int, int], batch: bool = False, lang: str = "en",
               hidden: int = 3) -> int:
    d = Dataset.from_sentences(*DATA)
    w = GatedWeights.init(cell, d.vocab, hidden=hidden, seed=3)
    ref = reference(d, w)
    T = int(d.lengths.max())
    K = len(SUBSTEP_NAMES[cell])
    app = RNNApp(d, w.copy(), lang=lang)
    screens = 0
    async with app.run_test(size=size) as pilot:
        set_lang(lang)
        if batch:
            await key(pilot, "b")
        for b in range(len(d)):
            await key(pilot, "home", str(b + 1))
            text = screen_text(app)
            assert not problems(text) and not scrollbars(app), text
            for pos in range(1, K * T + 2):
                await key(pilot, "right")
                text = screen_text(app)
                screens += 1
                where = f"{cell} {size} {lang} batch={batch} sentence {b + 1} pos {pos}\n{text}"
                assert not problems(text), (problems(text), where)
                assert not scrollbars(app), where
                assert not shown_disagrees(app), (shown_disagrees(app), where)
                assert len(text.splitlines()) == size[1], where
                said = narrate_gated(app.lesson.stepper, app.lesson.cursor, b)
                assert len(Text(said).wrap(console, size[0] - 2)) <= 3, (said, where)
                if pos == K * T + 1:
                    y = ref["y"][b]
                    assert f"y = sigmoid(z) = 1 / (1 + e^(−z)) = {fmt.prob(y)}" in text, where
                    assert tr("output.mean_loss", B=len(d), loss=fmt.prob(ref["mean"])) \
                        in text, where
                else:
                    t, k = (pos - 1) // K + 1, (pos - 1) % K
                    check(text, ref, d, b, t, k, cell, batch, where)
                    step = SUBSTEP_NAMES[cell][k]
                    status = text.splitlines()[0]
                    if not batch:
                        assert f"{step.group} (" in status and f"{k + 1}/{K}" in status, where
    return screens


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_substep_fits_and_is_true(cell, size):
    K = len(SUBSTEP_NAMES[cell])
    assert await walk(cell, size) == 3 * (3 * K + 1)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
async def test_korean_and_a_wider_hidden_layer_at_80x24(cell):
    """hidden 4: a gate's terms with their matrices do not all fit, and the box folds."""
    await walk(cell, (80, 24), lang="ko", hidden=4)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
async def test_batch_view_shows_the_current_gate_for_every_sentence(cell):
    await walk(cell, (80, 24), batch=True)


def gated_app(cell: str, lang: str = "en", data=None, weights=None) -> RNNApp:
    d = lesson_dataset() if data is None else data
    w = GatedWeights.init(cell, d.vocab, hidden=3, seed=0) if weights is None else weights
    return RNNApp(d, w, lang=lang)


@pytest.mark.parametrize("lang", ["en", "ko"])
async def test_narration_says_what_the_forget_gate_does(lang):
    """At f's σ the narration gives f's values and what they do to c, in words."""
    d = lesson_dataset()
    w = GatedWeights.init("lstm", d.vocab, hidden=3, seed=0)
    arrays = w.to_dict()
    arrays["bf"] = [[-3.0, -3.0, -3.0]]  # f ≈ 0.05: most of c is forgotten
    w = GatedWeights.from_dict(arrays)
    app = gated_app("lstm", lang, weights=w)
    async with app.run_test(size=(80, 24)) as pilot:
        set_lang(lang)
        await key(pilot, *["right"] * (18 + 8))  # t = 2, f's σ
        text = screen_text(app)
        rec = app.lesson.stepper.history[1]
        f = rec.gates["f"].value[0]
        mean = f"{float(np.mean(f)):.1f}"
        assert mean == "0.0"
        said = tr("gate.does.lstm.f.low", mean=mean, c_prev="c₁")
        joined = " ".join(line.strip() for line in text.splitlines()[-5:-1])
        assert said.split(":")[0] in joined, text
        assert fmt.vec(f) in text, text
        await key(pilot, *["right"] * 9)  # c₂ = f ⊙ c₁ + i ⊙ g
        text = screen_text(app)
        assert fmt.vec(app.lesson.stepper.history[1].c[0]) in text


async def test_the_lesson_dict_carries_the_cell():
    app = gated_app("gru")
    async with app.run_test(size=(80, 24)) as pilot:
        await key(pilot, *["right"] * 20)
        data = app.lesson.to_dict()
        assert data["cell"] == "gru" and data["pos"] == 20
        again = Lesson.from_dict(data)
        assert again.cell == "gru" and again.cursor.substep == app.lesson.cursor.substep
    old = Lesson.start(lesson_dataset(), __import__("rnn_tui.core.model", fromlist=["W"])
                       .Weights.init(["as", "soon"], hidden=3)).to_dict()
    del old["cell"]  # a version-1 dict from before: the vanilla cell
    assert Lesson.from_dict(old).cell == "rnn"
    with pytest.raises(LessonError, match="cell"):
        Lesson.from_dict({**data, "cell": "gru2"})
    with pytest.raises(LessonError, match="lstm"):
        Lesson.from_dict({**data, "cell": "lstm"})  # GRU weights are not an LSTM's


async def test_keys_of_the_vanilla_cell_only_are_refused_in_a_line():
    app = gated_app("lstm")
    async with app.run_test(size=(80, 24)) as pilot:
        for name in ("t", "w", "e", "k", "i"):
            await key(pilot, name)
            assert len(app.screen_stack) == 1 and not app.lesson.quiz
            status = screen_text(app).splitlines()[0]
            assert "lstm" in status, status


async def test_memory_view_bars_vanish_for_the_rnn_and_not_the_lstm():
    """examples/long.tsv: the vanilla cell's (seed 0) bar for the first token is
    empty; the LSTM's of examples/long-lstm.json (forget bias +3) is not."""
    from pathlib import Path

    from rnn_tui.core.cells import load_any
    from rnn_tui.core.data import load_data
    from rnn_tui.core.model import Weights

    root = Path(__file__).resolve().parent.parent / "examples"
    lstm = load_any(root / "long-lstm.json")
    d = load_data(root / "long.tsv", lstm.vocab)
    assert 12 <= int(d.lengths.max()) <= 20
    rnn = Weights.init(d.vocab, hidden=3, seed=0)
    firsts = {}
    for name, w in (("rnn", rnn), ("lstm", lstm)):
        app = RNNApp(d, w)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("m")
            await pilot.pause()
            text = screen_text(app)
            assert tr("memory.sentence", n=1, text=d.texts[0], cell=name,
                      T=int(d.lengths[0]))[:30] in text, text
            first = next(line for line in text.splitlines() if "│  1 good" in line)
            firsts[name] = first.count("█")
            assert not scrollbars(app) and len(text.splitlines()) == 24
            await key(pilot, "down")
            assert app.lesson.selected == 1
            assert "sentence 2" in screen_text(app)
            await key(pilot, "escape")
            assert len(app.screen_stack) == 1
    assert firsts["rnn"] == 0 and firsts["lstm"] >= 10, firsts


@pytest.mark.parametrize("cell", ["gru", "lstm"])
async def test_diagram_shows_the_gates_of_the_step(cell):
    app = gated_app(cell)
    async with app.run_test(size=(80, 24)) as pilot:
        K = len(SUBSTEP_NAMES[cell])
        await key(pilot, *["right"] * (K + 5))  # t = 2, the second gate's x·W
        await pilot.press("n")
        await pilot.pause()
        text = screen_text(app)
        gate = SUBSTEP_NAMES[cell][4].group
        assert f"{cell.upper()} t = 2:" in text and f"[{gate}]" in text, text
        assert "↓Wx*" in text and "─Wh*→" in text, text
        await key(pilot, "right")
        assert SUBSTEP_NAMES[cell][5].label in screen_text(app)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
async def test_backward_view_steps_through_every_gate(cell):
    """g: from the output back to t = 1, one key per gate (dL/d(gate), dL/d(its sum)),
    then dL/dh_{t-1}; the numbers are cells.gated_backward_trace's; then the gradient."""
    from rnn_tui.core.cells import gated_backward_trace
    from rnn_tui.tui.screens.backward import back_gates

    app = gated_app(cell)
    async with app.run_test(size=(80, 24)) as pilot:
        await key(pilot, "down")  # sentence 2
        await pilot.press("g")
        await pilot.pause()
        s = app.lesson.stepper
        back = gated_backward_trace(s.weights, s.X, s.lengths, s.labels, 1)
        p = app.precision + 1
        assert fmt.vec(back.dh_T[0], p) in screen_text(app)
        for step in back.steps:
            for g in back_gates(cell):
                await key(pilot, "right")
                text = screen_text(app)
                assert f"dL/d{g}{sub(step.t)} = {fmt.vec(step.dgate[g][0], p)} ◀" in text, text
                assert fmt.vec(step.dpre[g][0], p) in text
            await key(pilot, "right")
            text = screen_text(app)
            assert f"dL/dh{sub(step.t - 1)} = {fmt.vec(step.dh_prev[0], p)} ◀" in text, text
        await key(pilot, "right")
        text = screen_text(app)
        name = "Wxf" if cell == "lstm" else "Wxz"
        assert f"‖d{name}‖" in text and app.lesson.backward == len(back.steps) * (
            len(back_gates(cell)) + 1) + 1
        await key(pilot, "escape")
        assert len(app.screen_stack) == 1


def test_serve_passes_the_cell_on_and_a_class_keeps_to_its_cell():
    """serve --cell lstm --weights trained: every session runs the same LSTM (the preset's
    name, not a path); a session ignores a shared lesson of another cell."""
    from rnn_tui.cli import serve
    from rnn_tui.serve.sshd import app_command

    args = serve.parser().parse_args(["--no-auth", "--cell", "lstm", "--weights", "trained"])
    config = serve.build_config(args)
    assert config.command == app_command(["--weights", "trained", "--cell", "lstm"])
    d = lesson_dataset()
    gru = Lesson.start(d, GatedWeights.init("gru", d.vocab, hidden=3))
    assert Lesson.from_dict(gru.to_dict()).cell == "gru"
    import inspect

    from rnn_tui.tui import classlink

    assert "new.cell != lesson.cell" in inspect.getsource(classlink.ClassLink._follow)
