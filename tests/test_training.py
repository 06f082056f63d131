"""BPTT against finite differences, the backward trace, optimizers and training."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from rnn_tui.core.backprop import Grads, TrainingError, backward_trace, evaluate, gradients
from rnn_tui.core.data import Dataset, lesson_dataset
from rnn_tui.core.model import WEIGHT_NAMES, Weights, bce, forward
from rnn_tui.core.optim import DEFAULT_LR, Adam, clip_by_global_norm
from rnn_tui.core.train import Trainer, load_preset, make_trained_preset, train

ACTS = ("tanh", "relu", "sigmoid")


def mean_loss(weights, X, lengths, labels, activation):
    """The loss through the engine's own forward pass (the reference)."""
    H, y = forward(weights, X, lengths, activation)
    z = H[:, -1] @ weights.Wy + weights.by
    return float(bce(y, z, labels).mean())


def numeric_grads(weights, X, lengths, labels, activation, eps=1e-6):
    """Central differences for every entry of every weight."""
    out = {}
    for name in WEIGHT_NAMES:
        arr = getattr(weights, name)
        g = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            plus, minus = weights.copy(), weights.copy()
            getattr(plus, name)[idx] += eps
            getattr(minus, name)[idx] -= eps
            g[idx] = (
                mean_loss(plus, X, lengths, labels, activation)
                - mean_loss(minus, X, lengths, labels, activation)
            ) / (2 * eps)
        out[name] = g
    return out


def rel_error(a, b):
    scale = max(np.linalg.norm(a), np.linalg.norm(b), 1e-12)
    return float(np.linalg.norm(a - b) / scale)


def random_problem(seed, B=4, T=5, V=3, H=4, bias="scalar", padded=True):
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(V)]
    weights = Weights.init(vocab, hidden=H, seed=seed, bias=bias)
    # larger weights than init so the activations are well off their linear part
    for name in WEIGHT_NAMES:
        getattr(weights, name)[...] = rng.normal(0.0, 0.8, getattr(weights, name).shape)
    if padded:
        lengths = rng.integers(1, T + 1, size=B)
        lengths[0] = T
    else:
        lengths = np.full(B, T)
    X = np.zeros((B, T, V))
    for b in range(B):
        for t in range(lengths[b]):
            X[b, t, rng.integers(V)] = 1.0
    labels = rng.integers(0, 2, size=B)
    return weights, X, lengths, labels


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("bias", ["scalar", "vector"])
@pytest.mark.parametrize("padded", [False, True])
@pytest.mark.parametrize("seed", [1, 2])
def test_gradients_match_central_differences(activation, bias, padded, seed):
    weights, X, lengths, labels = random_problem(seed, bias=bias, padded=padded)
    if padded:
        assert lengths.min() < X.shape[1]  # the case really has padding
    before = weights.copy()
    loss, grads = gradients(weights, X, lengths, labels, activation)
    assert weights == before  # not mutated
    assert loss == pytest.approx(mean_loss(weights, X, lengths, labels, activation), rel=1e-12)
    numeric = numeric_grads(weights, X, lengths, labels, activation)
    for name in WEIGHT_NAMES:
        analytic = getattr(grads, "d" + name)
        assert analytic.shape == getattr(weights, name).shape
        assert np.linalg.norm(numeric[name]) > 1e-4  # a real, non-zero gradient
        assert rel_error(analytic, numeric[name]) < 1e-6, name


def test_lesson_gradient_matches_central_differences():
    d = lesson_dataset()
    w = Weights.init(d.vocab, hidden=3, seed=0)
    _, grads = gradients(w, d.X, d.lengths, d.labels)
    numeric = numeric_grads(w, d.X, d.lengths, d.labels, "tanh")
    for name in WEIGHT_NAMES:
        assert rel_error(getattr(grads, "d" + name), numeric[name]) < 1e-6


def test_padding_adds_nothing():
    """A padded sentence gives the same gradient as the same sentence unpadded."""
    vocab = ["a", "b"]
    w = Weights.init(vocab, hidden=3, seed=4, bias="vector")
    short = Dataset.from_sentences(["a b"], [1], vocab)
    padded = Dataset.from_sentences(["a b", "b a b a"], [1, 0], vocab)
    loss1, g1 = gradients(w, short.X, short.lengths, short.labels)
    # sentence 0 alone, inside a batch padded to 4 steps
    loss2, g2 = gradients(w, padded.X[:1], padded.lengths[:1], padded.labels[:1])
    assert padded.X.shape[1] == 4 and padded.lengths[0] == 2
    assert loss1 == pytest.approx(loss2, rel=1e-14)
    for a, b in zip(g1.arrays(), g2.arrays(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-17)


# --- the backward trace ------------------------------------------------------------------


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("bias", ["scalar", "vector"])
def test_trace_sums_to_the_batch_gradient(activation, bias):
    weights, X, lengths, labels = random_problem(7, bias=bias)
    loss, grads = gradients(weights, X, lengths, labels, activation)
    traces = [backward_trace(weights, X, lengths, labels, b, activation) for b in range(len(X))]
    assert np.mean([tr.loss for tr in traces]) == pytest.approx(loss, rel=1e-12)
    for name in Grads.NAMES:
        mean = np.mean([getattr(tr.grads, name) for tr in traces], axis=0)
        np.testing.assert_allclose(mean, getattr(grads, name), rtol=1e-10, atol=1e-14)


def test_trace_of_the_lesson_reads_like_the_math():
    d = lesson_dataset()
    w = Weights.init(d.vocab, hidden=3, seed=0)
    tr = backward_trace(w, d.X, d.lengths, d.labels, 2)
    H, y = forward(w, d.X, d.lengths)
    assert tr.tokens == ("as", "soon", "as") and tr.target == 1
    assert tr.y == pytest.approx(y[2, 0], rel=1e-14)
    assert tr.dz == pytest.approx(y[2, 0] - 1.0, rel=1e-14)
    np.testing.assert_allclose(tr.dh_T, tr.dz * w.Wy[:, 0])
    assert [s.t for s in tr.steps] == [3, 2, 1]
    assert tr.step(3).dh is tr.dh_T
    for s in tr.steps:
        np.testing.assert_allclose(s.h, H[2, s.t - 1], rtol=1e-14)
        np.testing.assert_allclose(s.dact, 1.0 - s.h**2)  # tanh'
        np.testing.assert_allclose(s.dpre, s.dh * s.dact)
        np.testing.assert_allclose(s.dh_prev, s.dpre @ w.Whh.T)
        assert s.dbh.shape == (1, 1) and s.dbh[0, 0] == pytest.approx(s.dpre.sum())
        # a one-hot input: only the token's row of Wxh gets a gradient
        row = w.vocab.index(s.token)
        np.testing.assert_allclose(s.dWxh[row], s.dpre)
        assert np.all(s.dWxh[1 - row] == 0.0)
        assert s.dh_norm == pytest.approx(np.linalg.norm(s.dh))
    # dL/dh_{t-1} of one step is dL/dh_t of the next one back
    for later, earlier in zip(tr.steps[:-1], tr.steps[1:], strict=True):
        assert earlier.dh is later.dh_prev
    assert tr.dh_norms.shape == (3,)


def test_trace_of_a_padded_sentence_has_only_its_own_steps():
    vocab = ["a", "b"]
    d = Dataset.from_sentences(["a b a b", "b a"], [0, 1], vocab)
    w = Weights.init(vocab, hidden=2, seed=1)
    tr = backward_trace(w, d.X, d.lengths, d.labels, 1)
    assert [s.t for s in tr.steps] == [2, 1]
    assert tr.tokens == ("b", "a")
    with pytest.raises(IndexError):
        tr.step(3)


def test_trace_rejects_a_bad_sentence_index():
    d = lesson_dataset()
    w = Weights.init(d.vocab)
    with pytest.raises(TrainingError, match="b: must be in 0..2"):
        backward_trace(w, d.X, d.lengths, d.labels, 3)


# --- optimizers and clipping -------------------------------------------------------------


def test_adam_first_step_moves_each_weight_by_lr():
    theta = np.array([1.0, -2.0, 3.0])
    Adam(0.1).step(theta, np.array([0.5, -4.0, 1e-3]))
    # with bias correction, step 1 is lr·g/|g| (up to eps)
    np.testing.assert_allclose(theta, [0.9, -1.9, 2.9], rtol=1e-6)


def test_clip_by_global_norm():
    g = np.array([3.0, 4.0])
    assert clip_by_global_norm(g, 1.0) == 5.0
    assert np.linalg.norm(g) == pytest.approx(1.0, rel=1e-6)
    g = np.array([0.3, 0.4])
    clip_by_global_norm(g, 1.0)
    np.testing.assert_array_equal(g, [0.3, 0.4])


# --- training ----------------------------------------------------------------------------


def test_training_learns_the_lesson():
    d = lesson_dataset()
    w = Weights.init(d.vocab, hidden=3, seed=0)
    start = time.process_time()
    result = train(w, d, epochs=2000)
    seconds = time.process_time() - start
    print(f"\n2000 epochs of Adam on the lesson: {seconds * 1000:.0f} ms CPU")
    _, y = forward(result.weights, d.X, d.lengths)
    assert d.texts[2] == "as soon as"
    assert y[2, 0] > 0.9
    assert y[0, 0] < 0.1 and y[1, 0] < 0.1
    h = result.history
    assert h.epochs == 2000 and not h.stopped
    assert h.losses[-1] < 0.01 < h.losses[0]
    assert h.accuracies[-1] == 1.0
    assert w == Weights.init(d.vocab, hidden=3, seed=0)  # input not mutated


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("activation", ACTS)
def test_every_optimizer_and_activation_lowers_the_loss(optimizer, activation):
    d = lesson_dataset()
    w = Weights.init(d.vocab, hidden=3, seed=0, bias="vector")
    h = train(w, d, 300, optimizer=optimizer, activation=activation, clip=5.0).history
    assert h.losses[-1] < 0.5 * h.losses[0]


def test_training_is_deterministic_and_the_seed_shuffles_minibatches():
    d = Dataset.from_sentences(
        ["a b", "b a", "a a b", "b b a", "a b b", "b a a"], [1, 0, 1, 0, 1, 0]
    )
    w = Weights.init(d.vocab, hidden=3, seed=5)
    r1 = train(w, d, 50, seed=1, batch_size=2)
    r2 = train(w, d, 50, seed=1, batch_size=2)
    r3 = train(w, d, 50, seed=2, batch_size=2)
    assert r1.weights == r2.weights and r1.history == r2.history
    assert r1.weights != r3.weights
    full1, full2 = train(w, d, 50, seed=1), train(w, d, 50, seed=2)
    assert full1.weights == full2.weights  # full batch: the seed changes nothing


def test_callback_sees_every_epoch_and_can_stop():
    d = lesson_dataset()
    w = Weights.init(d.vocab)
    seen = []

    def callback(epoch, loss, accuracy):
        seen.append((epoch, loss, accuracy))
        return epoch < 10

    result = train(w, d, 100, callback=callback)
    assert [e for e, _, _ in seen] == list(range(1, 11))
    assert result.history.epochs == 10 and result.history.stopped
    assert [loss for _, loss, _ in seen] == result.history.losses
    # the same 10 epochs without a callback give the same weights
    assert result.weights == train(w, d, 10).weights


def test_vocab_order_of_the_dataset_does_not_matter():
    d = lesson_dataset()
    w = Weights.init(["soon", "as"], hidden=3, seed=0)
    r = train(w, d, 5)
    r_same = train(w, d.with_vocab(["soon", "as"]), 5)
    assert r.weights == r_same.weights


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"optimizer": "rmsprop"}, "optimizer: must be one of sgd, adam"),
        ({"activation": "gelu"}, "activation: must be one of tanh, relu, sigmoid"),
        ({"lr": 0.0}, "lr: must be a positive number"),
        ({"lr": float("nan")}, "lr: must be a positive number"),
        ({"clip": -1.0}, "clip: must be a positive number"),
        ({"epochs": -1}, "epochs: must be a whole number"),
        ({"batch_size": 0}, "batch_size: must be at least 1"),
    ],
)
def test_bad_settings_are_one_line_errors(kwargs, message):
    d = lesson_dataset()
    w = Weights.init(d.vocab)
    args = {"epochs": 1, **kwargs}
    with pytest.raises(TrainingError, match=message):
        train(w, d, **args)


def test_divergence_is_an_error_not_nan_weights():
    d = lesson_dataset()
    w = Weights.init(d.vocab, hidden=3, seed=0)
    with pytest.raises(TrainingError, match="diverged at epoch"):
        train(w, d, 50, optimizer="sgd", lr=1e300, activation="relu")


# --- the preset --------------------------------------------------------------------------


def test_trained_preset_is_what_the_recipe_makes():
    from importlib import resources

    shipped = (resources.files("rnn_tui.core") / "presets" / "trained.json").read_text("utf-8")
    made = make_trained_preset()
    import json

    assert json.dumps(made.to_dict(), indent=1) + "\n" == shipped
    assert load_preset("trained") == made


def test_trained_preset_solves_the_lesson():
    d = lesson_dataset()
    w = load_preset("trained")
    _, y = forward(w, d.X, d.lengths)
    assert y[2, 0] > 0.99 and y[0, 0] < 0.01 and y[1, 0] < 0.01


def test_unknown_preset():
    with pytest.raises(TrainingError, match="no built-in weights named 'nope'"):
        load_preset("nope")


def test_default_lr_is_known_for_every_optimizer():
    assert set(DEFAULT_LR) == {"sgd", "adam"}


def test_engine_data_and_training_do_not_import_the_ui():
    code = (
        "import sys, rnn_tui.core.model, rnn_tui.core.stepper, rnn_tui.core.data,"
        " rnn_tui.core.backprop, rnn_tui.core.optim, rnn_tui.core.train;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_trainer_one_epoch_at_a_time_is_train():
    from rnn_tui.core.train import Trainer

    d = lesson_dataset()
    w = Weights.init(d.vocab, hidden=3, seed=0)
    trainer = Trainer(w, d, optimizer="sgd", clip=1.0)
    losses = [trainer.epoch()[0] for _ in range(20)]
    result = train(w, d, 20, optimizer="sgd", clip=1.0)
    assert trainer.weights == result.weights
    assert losses == result.history.losses == trainer.history.losses
    assert trainer.epochs == 20
    assert trainer.weights is not trainer.weights  # a copy each time: safe to hand to a UI


def test_backprop_goes_through_the_one_cell_output_and_loss(monkeypatch):
    """BPTT's forward pass, the evaluation and one sentence's trace use core.model's functions."""
    from rnn_tui.core import backprop, model

    calls: dict[str, int] = {"cell": 0, "output": 0, "bce": 0}

    def counting(name):
        real = getattr(model, name)

        def counted(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)
        return counted

    for name in calls:
        monkeypatch.setattr(backprop, name, counting(name))
    d = lesson_dataset()
    w = Weights.init(d.vocab, seed=1)
    gradients(w, d.X, d.lengths, d.labels)
    assert calls == {"cell": 3, "output": 1, "bce": 1}  # T = 3 steps
    backward_trace(w, d.X, d.lengths, d.labels, 0)
    assert calls == {"cell": 3 + int(d.lengths[0]), "output": 2, "bce": 2}
    evaluate(w, d)
    assert (calls["output"], calls["bce"]) == (3, 3)
    Trainer(w, d).epoch()
    assert calls["cell"] == 3 + int(d.lengths[0]) + 3  # evaluate's cells are forward's (model's)


def test_the_cell_gives_backward_trace_the_same_numbers_as_the_batch():
    d = lesson_dataset()
    w = Weights.init(d.vocab, hidden=4, seed=3, bias="vector")
    H, y = forward(w, d.X, d.lengths)
    for b in range(len(d)):
        tr = backward_trace(w, d.X, d.lengths, d.labels, b)
        for t in range(1, int(d.lengths[b]) + 1):
            np.testing.assert_allclose(tr.step(t).h, H[b, t - 1], rtol=0, atol=1e-15)
        assert tr.y == pytest.approx(float(y[b, 0]), abs=1e-15)
