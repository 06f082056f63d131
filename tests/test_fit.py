"""Issue 15, "everything visible at 80×24": on data of our own, at every sub-step of
every sentence, the current sub-step's lines (and at the end y, the prediction and
the mean loss) are on the screen, with the numbers of an independent NumPy run;
past a sentence's end the screen says "carried"; no line is a wrapped
continuation and no scrollbar is drawn. One app per size walks every step.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import screen_text
from textual import events
from textual.errors import NoWidget

from rnn_tui.core.data import Dataset
from rnn_tui.core.model import Weights
from rnn_tui.teach import fmt
from rnn_tui.teach.i18n import set_lang, tr
from rnn_tui.teach.narration import sub
from rnn_tui.tui import layout
from rnn_tui.tui.app import RNNApp
from rnn_tui.tui.panels.base import Panel

#: six sentences of lengths 1 to 6 over five words
SIX = (["dog", "the cat", "cat sat on", "the dog sat on", "mat on the cat sat",
        "the cat sat on the mat"], [1, 0, 1, 0, 1, 0])
#: six sentences of lengths 6 to 1 over a vocabulary of four words
FOUR = (["a b c d a b", "d c b a", "b", "c c a", "a d", "d a b c d"], [0, 1, 1, 0, 1, 0])

#: a scrollbar's glyphs (Textual draws a thumb's ends with these)
SCROLLBAR = set("▁▂▃▄▅▆▇█")


def reference(d: Dataset, w: Weights) -> dict[str, np.ndarray]:
    """The forward pass, computed here with NumPy from the weights (not the app's Stepper):
    per sentence and time step the terms, the sum and h; then z, y and the losses."""
    B, T = len(d), int(d.lengths.max())
    H = w.hidden
    index = {tok: i for i, tok in enumerate(w.vocab)}
    xWxh, hWhh, pre, hs = (np.zeros((B, T, H)) for _ in range(4))
    h_last = np.zeros((B, H))
    for b, sentence in enumerate(d.sentences):
        h = np.zeros(H)
        for t in range(T):
            if t < len(sentence):
                xWxh[b, t] = w.Wxh[index[sentence[t]]]
                hWhh[b, t] = h @ w.Whh
                pre[b, t] = xWxh[b, t] + hWhh[b, t] + w.bh.reshape(-1)
                h = np.tanh(pre[b, t])
            hs[b, t] = h
        h_last[b] = h
    z = h_last @ w.Wy[:, 0] + w.by[0, 0]
    y = 1 / (1 + np.exp(-z))
    labels = np.asarray(d.labels)
    loss = -(labels * np.log(y) + (1 - labels) * np.log(1 - y))
    return {"xWxh": xWxh, "hWhh": hWhh, "pre": pre, "h": hs, "y": y, "loss": loss,
            "mean": np.float64(loss.mean())}


def problems(text: str) -> list[str]:
    """Wrapped continuation lines and scrollbars: a screen that does not fit."""
    bad = []
    for line in text.splitlines():
        if SCROLLBAR & set(line):
            bad.append(f"scrollbar: {line}")
        # a vector or a term cut in two: a line that starts with its middle
        if re.match(r"│ (\[?·pad\]?|·패딩)?\s*→ \d", line) or re.match(r"│ [+-]\d\.\d", line) \
                or re.match(r"│ \([+-]\d", line) or re.match(r"│ \(6,", line):
            bad.append(f"wrapped: {line}")
    return bad


def check(text: str, ref: dict, d: Dataset, b: int, t: int, phase: int, batch: bool,
          where: str) -> None:
    """The current sub-step of sentence ``b`` at ``t`` is on the screen, and true."""
    v = fmt.vec
    length = len(d.sentences[b])
    active = t <= length
    i = t - 1
    if batch:
        if phase == 1:
            assert v(ref["xWxh"][b, i]) in text, where
        elif phase == 2:
            assert v(ref["hWhh"][b, i]) in text, where
        elif active:
            assert v(ref["pre"][b, i]) in text, where
            if phase == 4:
                assert v(ref["h"][b, i]) in text, where
        elif phase == 3:
            assert tr("carried.sum_row") in text, where
        else:
            carried = tr("carried.h_row", h_prev=f"h{sub(t - 1)}")
            assert any(v(ref["h"][b, i]) in line and carried in line
                       for line in text.splitlines()), where
        return
    tanh = f"h{sub(t)} = tanh("
    if not active:  # past the end: carried, and no sum or tanh applied
        assert tr("carried", h=f"h{sub(t)}", h_prev=f"h{sub(t - 1)}") in text, where
        assert tanh not in text and f"{tr('word.sum')} = x·Wxh" not in text, where
        if phase == 4:
            assert v(ref["h"][b, i]) in text, where
        return
    if phase == 1:
        assert "= " + v(ref["xWxh"][b, i]) in text, where
    elif phase == 2:
        assert "= " + v(ref["hWhh"][b, i]) in text, where
    elif phase >= 3:
        sum_line = f"{tr('word.sum')} = x·Wxh + h·Whh + Bh"
        assert any(sum_line in line and v(ref["pre"][b, i]) in line
                   for line in text.splitlines()), where
    if phase == 4:
        h = v(ref["h"][b, i])
        assert any(f"h{sub(t)} = tanh({tr('word.sum')})" in line and h in line
                   for line in text.splitlines()), where
        # the equation: from "h_t = tanh(" to its last line, "= [h_t]"
        lines = text.splitlines()
        start = next(k for k, line in enumerate(lines) if tanh + "[" in line)
        assert any(line.rstrip(" │").endswith("= " + h) for line in lines[start:start + 3]), \
            where


def check_output(text: str, ref: dict, b: int, where: str) -> None:
    y = ref["y"][b]
    assert f"y = sigmoid(z) = 1 / (1 + e^(−z)) = {fmt.prob(y)}" in text, where
    assert tr("output.prediction", pred=int(y >= 0.5)) in text, where
    assert tr("output.loss", loss=fmt.prob(ref["loss"][b])) in text, where
    assert tr("output.mean_loss", B=len(ref["y"]), loss=fmt.prob(ref["mean"])) in text, where


async def key(pilot, *keys: str) -> None:
    """Press keys as the terminal's driver sends them (a Key event to the app), then
    let the app settle and the screen update (``Pilot.pause(0)``). The same screens
    as ``Pilot.press``, which waits ~50 ms for an idle CPU after every key."""
    for name in keys:
        pilot.app.post_message(events.Key(name, name if len(name) == 1 else None))
        await pilot.pause(0)


async def walk(sentences, labels, size: tuple[int, int], batch: bool, lang: str = "en",
               hidden: int = 4, bias: str = "scalar") -> int:
    """Every sub-step of every sentence; returns how many screens were checked."""
    d = Dataset.from_sentences(sentences, labels)
    w = Weights.init(d.vocab, hidden=hidden, seed=7, bias=bias)
    ref = reference(d, w)
    T = int(d.lengths.max())
    app = RNNApp(d, w.copy(), lang=lang)
    screens = 0
    async with app.run_test(size=size) as pilot:
        set_lang(lang)
        if batch:
            await key(pilot, "b")
        for b in range(len(d)):
            await key(pilot, "home", str(b + 1))
            text = screen_text(app)  # the start: nothing computed yet
            assert not problems(text) and not scrollbars(app), text
            assert not shown_disagrees(app), text
            for pos in range(1, 4 * T + 2):
                await key(pilot, "right")
                text = screen_text(app)
                screens += 1
                t, phase = min((pos - 1) // 4 + 1, T), (pos - 1) % 4 + 1
                where = f"{size} batch={batch} sentence {b + 1} pos {pos}\n{text}"
                assert not problems(text), (problems(text), where)
                assert not scrollbars(app), where
                assert not shown_disagrees(app), (shown_disagrees(app), where)
                if pos == 4 * T + 1:
                    check_output(text, ref, b, where)
                else:
                    check(text, ref, d, b, t, phase, batch, where)
    return screens


def shown_disagrees(app) -> list[str]:
    """Panels that layout.shown() says are on screen and app.tcss hides, or the reverse
    (a panel hidden by the layout is not recomputed: it would be stale when shown)."""
    view, roomy = app.view(), app.screen.has_class("roomy")
    wrong = []
    for panel in app.query(Panel):
        try:
            on_screen = bool(app.screen.find_widget(panel).region)
        except NoWidget:
            on_screen = False
        if on_screen != layout.shown(panel.id, view, roomy):
            wrong.append(f"{panel.id}: on screen {on_screen}")
    return wrong


def scrollbars(app) -> list:
    """Widgets on screen that draw a scrollbar (it may be drawn without a glyph)."""
    return [w for w in app.screen.walk_children() if w.display and w.region
            and (w.show_vertical_scrollbar or w.show_horizontal_scrollbar)]


SIZES = [((80, 24), False), ((120, 40), False), ((120, 40), True), ((80, 24), True)]
MORE_SIZES = [((100, 30), False), ((100, 30), True), ((200, 60), False), ((200, 60), True)]


def ids(sizes) -> list[str]:
    return [f"{w}x{h}{'-batch' if batch else ''}" for (w, h), batch in sizes]


@pytest.mark.parametrize(("size", "batch"), SIZES, ids=ids(SIZES))
async def test_every_step_of_every_sentence_fits(size, batch) -> None:
    assert await walk(*SIX, size, batch) == 6 * 25


@pytest.mark.parametrize(("size", "batch"), [SIZES[0], SIZES[2]], ids=ids([SIZES[0], SIZES[2]]))
async def test_a_four_word_vocabulary_fits(size, batch) -> None:
    assert await walk(*FOUR, size, batch, bias="vector") == 6 * 25


#: six sentences with long words: a token is cut in the Wxh matrix ("superca…"),
#: never the numbers; a weight matrix taller than the room is left out, and said so
LONG = (["supercalifragilistic", "dog extraordinarily", "cat sat on", "the dog sat on",
         "mat on the cat sat", "the cat sat on the mat"], [1, 0, 1, 0, 1, 0])


@pytest.mark.parametrize(("size", "batch"), [SIZES[0], SIZES[1]], ids=ids(SIZES[:2]))
async def test_long_words_fit(size, batch) -> None:
    assert await walk(*LONG, size, batch) == 6 * 25


async def test_korean_at_80x24() -> None:
    assert await walk(*SIX, (80, 24), False, lang="ko") == 6 * 25


@pytest.mark.slow
@pytest.mark.parametrize(("size", "batch"), MORE_SIZES, ids=ids(MORE_SIZES))
async def test_more_sizes_and_korean(size, batch) -> None:
    assert await walk(*SIX, size, batch, hidden=3, bias="vector") == 6 * 25
    assert await walk(*FOUR, size, batch, lang="ko") == 6 * 25


#: twelve sentences over nineteen words, one of twelve tokens
TWELVE = (["the cat sat", "dog", "cat dog", "sat the dog sat", "the cat sat on mat",
           "mat on the dog sat cat", "a b c d e f g h i j k l", "dog dog", "cat",
           "mat mat mat", "on on", "the end"], [1, 0] * 6)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_batch_rows_stay_with_their_sentence(size) -> None:
    """The batch view's rows, in every matrix, are the sentences its labels say
    (a window of them: "not shown: 9"), never shifted by a "⋮" in one column only."""
    d = Dataset.from_sentences(*TWELVE)
    w = Weights.init(d.vocab, hidden=4, seed=7)
    ref = reference(d, w)
    app = RNNApp(d, w.copy(), lang="en")
    async with app.run_test(size=size) as pilot:
        await key(pilot, "b")
        for selected, keys in ((1, ["1"]), (7, ["7"]), (12, ["9", "down", "down", "down"])):
            await key(pilot, "home", *keys, "right")  # t = 1: x·Wxh
            text = screen_text(app)
            assert not problems(text) and not scrollbars(app), text
            lines = text.splitlines()
            start = next(k for k, line in enumerate(lines) if "= x·Wxh" in line) + 1
            rows = {}  # the rows of x·Wxh: each sentence's label and its line
            for line in lines[start:]:
                if not (m := re.match(r"│ [▸ ]\s*(\d+) ", line)):
                    break
                rows[int(m[1])] = line
            assert selected in rows and len(rows) < len(d), text
            assert tr("fit.sentences_left_out", n=len(d) - len(rows)) in text
            for b, line in rows.items():
                vectors = re.findall(r"\[[^\]]*\]", line)
                assert vectors[-1] == fmt.vec(ref["xWxh"][b - 1, 0]), (b, text)


async def test_history_and_strip_windows_follow_t() -> None:
    """A sentence of 12 tokens at 80x24: the history shows the 6 steps up to the one
    being revealed (h₈ with its placeholder), the strip the tokens around t with …,
    and a window of the sentences with how many more there are."""
    d = Dataset.from_sentences(*TWELVE)
    app = RNNApp(d, Weights.init(d.vocab, hidden=4, seed=7), lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await key(pilot, "7", *"LLLLLLL", "right")  # sentence 7, t = 8, x·Wxh
        text = screen_text(app)
        assert "t = 8/12  sub-step 1/4" in text
        history = [line.split("││")[1] for line in text.splitlines()[2:8]]
        assert [h.split()[0] for h in history] == [f"h{sub(t)}" for t in range(3, 9)]
        assert "·····" in history[-1] and "h₉" not in text
        assert "[h   ]" in text  # the token read at t = 8, in the strip: 'h'
        strip = [line.split("││")[0] for line in text.splitlines()[2:8]]
        assert all("→" in line and "…" in line for line in strip if "more" not in line)
        assert tr("fit.more_above", n=5) in text and tr("fit.more_below", n=3) in text
        assert not problems(text)
