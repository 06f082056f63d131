"""Catalogues, narration and the Korean screen."""

from __future__ import annotations

import string

import pytest
from conftest import screen_text

from rnn_tui.core.cursor import Cursor
from rnn_tui.core.data import Dataset, lesson_dataset
from rnn_tui.core.model import Weights
from rnn_tui.core.stepper import Stepper
from rnn_tui.teach import fmt, i18n
from rnn_tui.teach.narration import narrate
from rnn_tui.tui.app import RNNApp


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    i18n.set_lang("en")


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("lang", [lang for lang in i18n.LANGS if lang != "en"])
def test_every_catalogue_has_every_message_with_the_same_placeholders(lang: str) -> None:
    english, other = i18n.CATALOGS["en"], i18n.CATALOGS[lang]
    assert set(other) - set(english) == set(), "messages only in " + lang
    assert set(english) - set(other) == set(), "messages missing from " + lang
    for key, template in english.items():
        assert placeholders(other[key]) == placeholders(template), key


def test_every_message_the_code_asks_for_exists() -> None:
    # The app's bindings and help rows name catalogue keys; each must exist.
    english = i18n.CATALOGS["en"]
    for binding in RNNApp.BINDINGS:
        assert f"key.{binding.id}" in english, binding.id
    for _, key in RNNApp.HELP_ROWS:
        assert key in english, key


@pytest.mark.parametrize(
    ("environ", "lang"),
    [
        ({"LANG": "ko_KR.UTF-8"}, "ko"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "C", "LANG": "ko_KR.UTF-8"}, "en"),
        ({"LC_ALL": "ko_KR.UTF-8", "LANG": "en_GB.UTF-8"}, "ko"),
        ({"LC_MESSAGES": "ko_KR.UTF-8"}, "ko"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_the_default_language_follows_the_locale(environ: dict, lang: str) -> None:
    assert i18n.detect(environ) == lang


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        i18n.set_lang("fr")


def lesson_stepper(activation: str = "tanh", bias: str = "scalar") -> Stepper:
    d = lesson_dataset()
    return Stepper(Weights.init(d.vocab, seed=0, bias=bias), d.X, d.lengths, d.labels,
                   activation=activation)


def at(stepper: Stepper, pos: int) -> Cursor:
    cursor = Cursor(pos, stepper.steps)
    stepper.reset()
    while stepper.t < cursor.t:
        stepper.step()
    return cursor


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_narration_at_every_substep_carries_the_engines_numbers(lang: str) -> None:
    i18n.set_lang(lang)
    s = lesson_stepper()
    texts = lesson_dataset().sentences
    for b in range(3):
        for pos in range(Cursor(0, 3).last + 1):
            cursor = at(s, pos)
            text = narrate(s, cursor, b)
            t, phase = cursor.t, cursor.phase
            if phase == 0:
                assert "h₀ = 0" in text and f"'{texts[b][0]}'" in text
                continue
            if phase == 5:
                out = s.output
                assert fmt.num(out.z[b, 0]) in text
                assert f"{out.y[b, 0]:.3f}" in text and f"{out.loss[b]:.3f}" in text
                assert "h₃" in text
                continue
            r = s.history[t - 1]
            if phase == 1:
                row = int(r.x[b].argmax()) + 1
                assert fmt.vec(r.xWxh[b]) in text and fmt.onehot(r.x[b]) in text
                assert f"'{r.tokens[b]}'" in text and str(row) in text
                assert (r.xWxh[b] == s.weights.Wxh[row - 1]).all()  # the row it names
            elif phase == 2:
                assert fmt.vec(r.hWhh[b]) in text
                if t > 1:
                    assert fmt.vec(r.h_prev[b]) in text
            elif phase == 3:
                assert fmt.vec(r.bias) in text and fmt.vec(r.pre[b]) in text
            else:
                assert fmt.vec(r.pre[b]) in text and fmt.vec(r.h[b]) in text
                assert f"h{'₀₁₂₃'[t]}" in text
                assert ("h₃" in text and "tanh" in text) if t == 3 else True


def test_narration_names_the_activation_and_the_bias_kind() -> None:
    s = lesson_stepper(activation="relu", bias="vector")
    assert "relu" in narrate(s, at(s, 4), 0)
    assert "own bias" in narrate(s, at(s, 3), 0)
    s = lesson_stepper(activation="sigmoid")
    assert "(0, 1)" in narrate(s, at(s, 4), 0)


def test_narration_of_padding() -> None:
    d = Dataset.from_sentences(["as soon as", "soon"], [1, 0])
    s = Stepper(Weights.init(d.vocab, seed=0), d.X, d.lengths, d.labels)
    text = narrate(s, at(s, 5), 1)
    assert "Sentence 2 ended at t = 1" in text and "h₂ = h₁" in text


async def test_korean_fits_80x24_with_every_key_figure() -> None:
    d = lesson_dataset()
    app = RNNApp(d, Weights.init(d.vocab, seed=0), lang="ko")
    ref = lesson_stepper()
    ref.run()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "시작" in screen_text(app)
        for pos in range(1, Cursor(0, 3).last + 1):
            await pilot.press("right")
            await pilot.pause()
            text = screen_text(app)
            assert all(line.count("│") % 2 == 0 for line in text.splitlines()), text
            c = app.cursor
            if c.phase == 5:
                assert f"= {fmt.num(ref.output.z[0, 0])} ◀" in text
                assert "예측" in text and "목표" in text
                continue
            r = ref.history[c.t - 1]
            shown = {1: r.xWxh, 2: r.hWhh, 3: r.pre, 4: r.h}[c.phase]
            assert f"{fmt.vec(shown[0])} ◀" in text, (pos, text)
            assert f"단계 {c.phase}/4" in text


async def test_switching_language_keeps_the_position() -> None:
    d = lesson_dataset()
    app = RNNApp(d, Weights.init(d.vocab, seed=0), lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("L", "right", "right", "2")
        await pilot.pause()
        assert "sub-step 2/4" in screen_text(app)
        await pilot.press("f2")
        await pilot.pause()
        text = screen_text(app)
        assert "단계 2/4" in text and "문장 2" in text
        assert "← 뒤로" in text  # the footer too
        assert app.pos == 6 and app.selected == 1
        await pilot.press("f2")
        await pilot.pause()
        assert "sub-step 2/4" in screen_text(app)


async def test_theme_switches_at_runtime_and_from_the_command_line() -> None:
    from rnn_tui.tui.panels import numbers

    d = lesson_dataset()
    app = RNNApp(d, Weights.init(d.vocab, seed=0), lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("L")
        await pilot.pause()
        assert app.theme == "textual-dark" and not app.screen.has_class("projector")
        assert "bold" not in str(numbers.num(0.5, 3).style)
        before = screen_text(app)
        await pilot.press("f3")
        await pilot.pause()
        assert app.theme == "rnn-projector" and app.screen.has_class("projector")
        assert "bold" in str(numbers.num(0.5, 3).style)
        assert "t = 1/3  sub-step 4/4" in screen_text(app)  # same position
        assert screen_text(app) != before  # heavy borders
        await pilot.press("f3")
        await pilot.pause()
        assert app.theme == "textual-dark"
    app = RNNApp(d, Weights.init(d.vocab, seed=0), lang="en", theme="projector")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == "rnn-projector"
        assert "┏━" in screen_text(app)
    numbers.set_palette("default")
