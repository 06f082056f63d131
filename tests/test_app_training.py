"""Training (t, i) and the backward pass (g) in the app, driven with Pilot.

Assertions are on the text the screen shows, compared with the engine
(``rnn_tui.core.backprop`` and ``rnn_tui.core.train``) run independently on the same weights.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from conftest import press, screen_text
from textual import events

from rnn_tui.core.backprop import TrainingError, backward_trace, gradients
from rnn_tui.core.data import Dataset, lesson_dataset
from rnn_tui.core.model import Weights
from rnn_tui.core.stepper import Stepper
from rnn_tui.core.train import Trainer
from rnn_tui.teach import fmt
from rnn_tui.tui.app import RNNApp
from rnn_tui.tui.screens.backward import BackwardScreen, factor_name, norm_text
from rnn_tui.tui.screens.training import EPOCHS, TrainingScreen

ACTIVATIONS = ["tanh", "relu", "sigmoid"]


def lesson_app(**kwargs) -> RNNApp:
    d = lesson_dataset()
    kwargs.setdefault("lang", "en")  # not the machine's LANG
    return RNNApp(d, Weights.init(d.vocab, hidden=3, seed=0), **kwargs)


async def tap(pilot, *keys: str) -> str:
    """Press keys without Pilot's wait for an idle CPU (never idle while a worker trains)."""
    app = pilot.app
    for key in keys:
        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(app)
        app.post_message(event)
        await pilot.pause(0.02)
    await pilot.pause(0.05)
    return screen_text(app)


async def wait_for(pilot, condition, seconds: float = 20.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("timed out")


def trained_reference(weights: Weights, dataset: Dataset, epochs: int, activation: str) -> Weights:
    """The engine's own run with the app's settings (Adam, full batch): deterministic."""
    trainer = Trainer(weights, dataset, optimizer="adam", activation=activation)
    for _ in range(epochs):
        trainer.epoch()
    return trainer.weights


def assert_same_weights(a: Weights, b: Weights) -> None:
    for name in ("Wxh", "Whh", "bh", "Wy", "by"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


async def train_to_the_end(pilot) -> str:
    """t, then f (full speed); wait until done; the screen's text before enter."""
    app = pilot.app
    await tap(pilot, "t")
    assert isinstance(app.screen, TrainingScreen)
    await tap(pilot, "f")
    await wait_for(pilot, lambda: app.screen.state == "done")
    await pilot.pause()
    return screen_text(app)


# --- training (t) ----------------------------------------------------------------


@pytest.mark.parametrize("activation", ACTIVATIONS)
async def test_training_runs_to_completion_and_the_stepper_uses_the_result(activation) -> None:
    app = lesson_app(activation=activation)
    initial = app.weights.copy()
    ref = trained_reference(initial, app.dataset, EPOCHS, activation)
    async with app.run_test(size=(80, 24)) as pilot:
        text = await train_to_the_end(pilot)
        assert f"epoch {EPOCHS}/{EPOCHS}" in text
        assert "accuracy 3/3 (100%)" in text and "done ✓" in text
        assert f"{activation} · from the initial weights" in text
        assert "100%" in text  # the progress bar
        assert "loss per epoch (log scale)" in text
        await press(pilot, "enter")
        assert not isinstance(app.screen, TrainingScreen)
        assert app.use_trained
        assert_same_weights(app.weights, ref)
        assert_same_weights(app.stepper.weights, ref)

        out = Stepper(ref, app.dataset.X, app.dataset.lengths, app.dataset.labels,
                      activation=activation).run()
        assert out.y[2, 0] > 0.9 and out.y[0, 0] < 0.1 and out.y[1, 0] < 0.1
        text = await press(pilot, "3", "end")
        assert "[trained weights]" in text
        assert f"  = {fmt.num(out.z[2, 0])} ◀" in text
        assert f"1 / (1 + e^(−z)) = {fmt.prob(out.y[2, 0])}" in text
        assert "prediction 1  (y ≥ 0.5 → 1, else 0)   target 1  ✓ right" in text
        text = await press(pilot, "1")
        assert f"1 / (1 + e^(−z)) = {fmt.prob(out.y[0, 0])}" in text
        assert "prediction 0  (y ≥ 0.5 → 1, else 0)   target 0  ✓ right" in text


async def test_the_curve_and_the_numbers_update_while_training() -> None:
    app = lesson_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await tap(pilot, "t")  # the watching pace: about 3 s for 2000 epochs
        screen = app.screen
        await wait_for(pilot, lambda: screen.epoch > 0)
        first = screen.epoch
        assert screen.state == "running"
        text = await tap(pilot, "l")  # the UI answers keys while the worker trains
        assert "loss per epoch (linear scale)" in text
        await wait_for(pilot, lambda: screen.epoch > first + 50)
        text = screen_text(app)
        assert f"epoch {screen.epoch}/{EPOCHS}" in text
        curve = screen.query_one("#training-curve")
        assert len(curve.losses) == screen.epoch
        await tap(pilot, "s")


async def test_stopping_keeps_the_weights_reached() -> None:
    app = lesson_app()
    initial = app.weights.copy()
    async with app.run_test(size=(80, 24)) as pilot:
        await tap(pilot, "t")
        screen = app.screen
        await wait_for(pilot, lambda: screen.epoch >= 5)
        await tap(pilot, "s")
        await wait_for(pilot, lambda: screen.state == "stopped")
        await pilot.pause()
        done = screen.outcome.epochs
        assert 5 <= done < EPOCHS
        text = screen_text(app)
        assert "stopped" in text and f"epoch {done}/{EPOCHS}" in text
        await tap(pilot, "escape")  # esc again closes, with the weights reached
        assert not isinstance(app.screen, TrainingScreen)
        assert_same_weights(app.weights, trained_reference(initial, app.dataset, done, "tanh"))
        assert app.weight_sets.epochs == done
        text = screen_text(app)
        assert "[trained weights]" in text


async def test_initial_and_trained_weights_toggle_and_keep_the_position() -> None:
    app = lesson_app()
    initial = app.weights.copy()
    ref0 = Stepper(initial, app.dataset.X, app.dataset.lengths, app.dataset.labels).run()
    async with app.run_test(size=(80, 24)) as pilot:
        text = await press(pilot, "i")
        assert "not trained yet: t trains" in text
        assert "[initial weights]" not in text  # nothing to compare with yet
        assert app.weights is app.weight_sets.initial
        await train_to_the_end(pilot)
        await press(pilot, "enter")
        trained = app.weights
        out = Stepper(trained, app.dataset.X, app.dataset.lengths, app.dataset.labels).run()
        text = await press(pilot, "3", "end")
        pos = app.pos
        assert f"1 / (1 + e^(−z)) = {fmt.prob(out.y[2, 0])}" in text
        version = app.version

        text = await press(pilot, "i")
        assert "[initial weights]" in text
        assert app.version == version + 1
        assert app.pos == pos and app.selected == 2
        assert_same_weights(app.weights, initial)
        assert f"1 / (1 + e^(−z)) = {fmt.prob(ref0.y[2, 0])}" in text  # before training: ~0.5
        assert fmt.vec(initial.Wxh[0]) in text or app.cursor.at_output

        text = await press(pilot, "i")
        assert "[trained weights]" in text
        assert app.weights is trained
        assert f"1 / (1 + e^(−z)) = {fmt.prob(out.y[2, 0])}" in text

        # the same seed gives the same initial weights: a new app starts where this one did
        assert_same_weights(lesson_app().weights, initial)


async def test_training_again_continues_from_the_trained_weights() -> None:
    app = lesson_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await train_to_the_end(pilot)
        await press(pilot, "enter")
        first = app.weights
        text = await train_to_the_end(pilot)
        assert "from the trained weights" in text
        await press(pilot, "enter")
        assert app.weight_sets.epochs == 2 * EPOCHS
        assert_same_weights(app.weights, trained_reference(first, app.dataset, EPOCHS, "tanh"))
        # from the initial weights again, the count starts over
        await press(pilot, "i")
        await train_to_the_end(pilot)
        await press(pilot, "enter")
        assert app.weight_sets.epochs == EPOCHS


async def test_a_failed_run_leaves_the_weights_unchanged(monkeypatch) -> None:
    def diverge(self):
        raise TrainingError("training diverged at epoch 1 (loss nan)")

    monkeypatch.setattr(Trainer, "epoch", diverge)
    app = lesson_app()
    before = app.weights
    async with app.run_test(size=(80, 24)) as pilot:
        await tap(pilot, "t")
        screen = app.screen
        await wait_for(pilot, lambda: screen.state == "failed")
        text = await press(pilot)
        assert "✗ training diverged at epoch 1" in text
        assert "The weights are unchanged." in text
        await press(pilot, "enter")
        assert app.weights is before and not app.use_trained
        assert "[trained weights]" not in screen_text(app)


async def test_the_stepper_keys_do_not_act_under_the_training_screen() -> None:
    app = lesson_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await tap(pilot, "t")
        await tap(pilot, "b", "L", "g", "i", "t", "down")
        assert isinstance(app.screen, TrainingScreen)
        assert len(app.screen_stack) == 2
        assert not app.batch_view and app.pos == 0 and app.selected == 0
        await tap(pilot, "s")


# --- the backward pass (g) ----------------------------------------------------------


def trace_of(app: RNNApp, b: int):
    d = app.dataset
    return backward_trace(app.weights, d.X, d.lengths, d.labels, b, app.activation)


@pytest.mark.parametrize("activation", ACTIVATIONS)
async def test_backward_screen_matches_backward_trace(activation) -> None:
    app = lesson_app(activation=activation)
    tr = trace_of(app, 2)
    p = 4  # the app's precision + 1
    async with app.run_test(size=(80, 24)) as pilot:
        text = await press(pilot, "3", "g")
        assert isinstance(app.screen, BackwardScreen)
        assert "sentence 3: as soon as" in text
        assert f"y = {tr.y:.{p}f} · target 1 · loss {tr.loss:.{p}f}" in text
        assert f"dL/dz = y − target = {fmt.num(tr.dz, p)} ◀" in text
        assert f"dL/dh₃ = dL/dz·Wyᵀ = {fmt.vec(tr.dh_T, p)} ◀" in text

        for step in tr.steps:  # t = 3, 2, 1
            t, s = step.t, "₀₁₂₃"[step.t]
            prev = "₀₁₂₃"[t - 1]
            factor = factor_name(activation, t)
            text = await press(pilot, "right")
            assert f"t = {t}/3  sub-step 1/4: {activation}'" in text
            assert f"dL/dh{s} = {fmt.vec(step.dh, p)}" in text
            assert f"{factor} = {fmt.vec(step.dact, p)} ◀" in text
            text = await press(pilot, "right")
            assert f"dL/dpre{s} = dL/dh{s} ⊙ {factor_name(activation, t, True)} = " \
                   f"{fmt.vec(step.dpre, p)} ◀" in text
            text = await press(pilot, "right")
            row = app.dataset.vocab.index(step.token)
            assert f"row {step.token!r} += {fmt.vec(step.dWxh[row], p)} ◀" in text
            assert not np.any(np.delete(step.dWxh, row, axis=0))  # only the token's row
            assert f"dWhh += h{prev}ᵀ·dL/dpre{s} (3,3) = {fmt.vec(step.dWhh[0], p)}" in text
            for i in (1, 2):
                assert fmt.vec(step.dWhh[i], p) in text
            assert f"dBh += dL/dpre{s} (summed: Bh is (1,1)) = {fmt.vec(step.dbh, p)}" in text
            assert norm_text(step.grad_norm) in text
            text = await press(pilot, "right")
            assert f"dL/dh{prev} = dL/dpre{s}·Whhᵀ = {fmt.vec(step.dh_prev, p)} ◀" in text
            assert norm_text(step.dh_norm) in text

        # the last position: the shares summed, which is the engine's gradient
        text = await press(pilot, "right")
        assert "all steps summed: the gradient" in text
        d = app.dataset
        _, g = gradients(app.weights, d.X[2:3], d.lengths[2:3], d.labels[2:3], activation)
        lines = [" ".join(line.split()) for line in text.splitlines()]
        for name, arr in (("dWxh", g.dWxh), ("dWhh", g.dWhh), ("dBh", g.dbh)):
            assert f"│ {name} {fmt.shape(arr)} {fmt.vec(arr[0], p)}" in lines[lines.index(
                next(line for line in lines if f"│ {name} " in line))]
            for i in range(1, arr.shape[0]):
                assert any(fmt.vec(arr[i], p) in line for line in lines)
        words = " ".join(text.split())
        assert f"dWy (3,1) {fmt.vec(g.dWy[:, 0], p)}ᵀ = h₃ᵀ·dL/dz" in words
        assert f"dBy (1,1) {fmt.vec(g.dby, p)} = dL/dz" in words
        for step in tr.steps:
            assert norm_text(step.dh_norm) in text and norm_text(step.grad_norm) in text
        text = await press(pilot, "right")
        assert "all steps summed" in text  # stays at the end


async def test_backward_keys_time_steps_sentences_decimals_and_close() -> None:
    app = lesson_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "g")
        screen = app.screen
        text = await press(pilot, "L")
        assert "t = 3/3  sub-step 4/4" in text and screen.pos == 4
        text = await press(pilot, "shift+right")
        assert "t = 2/3  sub-step 4/4" in text
        text = await press(pilot, "left")
        assert "t = 2/3  sub-step 3/4" in text
        text = await press(pilot, "H")
        assert "t = 3/3  sub-step 4/4" in text
        text = await press(pilot, "H")
        assert "output: dL/dz" in text and screen.pos == 0
        text = await press(pilot, "left")
        assert screen.pos == 0
        text = await press(pilot, "end")
        assert "all steps summed" in text
        text = await press(pilot, "home")
        assert screen.pos == 0

        tr = trace_of(app, 1)
        text = await press(pilot, "down")
        assert "sentence 2: soon as as" in text
        assert f"dL/dz = y − target = {fmt.num(tr.dz, 4)}" in text
        text = await press(pilot, "plus")
        assert f"dL/dz = y − target = {fmt.num(tr.dz, 5)}" in text
        text = await press(pilot, "minus", "minus")
        assert f"dL/dz = y − target = {fmt.num(tr.dz, 3)}" in text

        # the stepper's keys don't act underneath; g closes
        text = await press(pilot, "b", "t", "i", "g")
        assert not app.batch_view and not app.use_trained
        assert len(app.screen_stack) == 1
        # g closed the screen; the sentence chosen there stays selected
        assert not isinstance(app.screen, BackwardScreen)
        assert app.selected == 1
        assert "sentence 2: soon as as" in text


async def test_backward_screen_fits_80x24() -> None:
    app = lesson_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "g")
        for keys in (["L"], ["L"], ["L"], ["end"]):
            text = await press(pilot, *keys)
            lines = text.splitlines()
            assert len(lines) == 24
            assert "gradient norm per time step" in text
            assert any(line.startswith("│ t=1 as") for line in lines)  # the last bar row
            assert "esc Close" in lines[-1]  # the footer
            assert "dL/dz = y − target" in text


async def test_backward_screen_with_padding_and_a_vector_bias() -> None:
    d = Dataset.from_sentences(["as soon as", "soon"], [1, 0])
    w = Weights.init(d.vocab, hidden=3, seed=3, bias="vector")
    app = RNNApp(d, w, lang="en")
    tr = backward_trace(w, d.X, d.lengths, d.labels, 1)
    assert tr.length == 1
    async with app.run_test(size=(80, 24)) as pilot:
        text = await press(pilot, "2", "g")
        assert "dL/dh₁ = dL/dz·Wyᵀ" in text  # read at its own last token
        assert "t=2" not in text and "t=1 soon" in text
        text = await press(pilot, "L")
        assert "t = 1/1  sub-step 4/4" in text
        assert f"dBh += dL/dpre₁ = {fmt.vec(tr.steps[0].dbh, 4)}" in text
        assert "h₀ = 0 is fixed" in text
        text = await press(pilot, "right")
        assert "all steps summed" in text
        assert f"dBh (1,3) {fmt.vec(tr.dbh[0], 4)}" in " ".join(text.split())


async def test_backward_screen_after_training_shows_the_trained_gradients() -> None:
    app = lesson_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await train_to_the_end(pilot)
        await press(pilot, "enter")
        tr = trace_of(app, 2)
        text = await press(pilot, "3", "g", "end")
        assert "[trained weights]" in text
        assert abs(tr.dz) < 0.01  # trained: y is close to the target, little to learn
        for step in tr.steps:
            assert norm_text(step.dh_norm) in text


async def test_q_quits_while_training_and_the_worker_stops() -> None:
    app = lesson_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await tap(pilot, "t")
        screen = app.screen
        await wait_for(pilot, lambda: screen.epoch > 0)
        workers = list(screen.workers)
        q = events.Key("q", "q")
        q.set_sender(app)
        app.post_message(q)  # not pilot.press: it waits for an idle CPU, and then a screen
        for _ in range(200):  # the app quits by itself, with the worker still running
            if app.return_code is not None:
                break
            await asyncio.sleep(0.05)
    assert app.return_code == 0
    for worker in workers:
        assert worker.is_finished or worker.is_cancelled
    assert screen.epoch < EPOCHS
