"""rnn_tui.core.model and rnn_tui.core.stepper: weights, the batch forward pass and the stepper."""

from __future__ import annotations

import json
import math
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import LESSON_X

from rnn_tui.core import model
from rnn_tui.core.data import Dataset, lesson_dataset
from rnn_tui.core.model import Weights, WeightsError, bce, cell, forward, output, sigmoid
from rnn_tui.core.stepper import Stepper

# --- the lesson's shapes -------------------------------------------------------


def test_lesson_weight_shapes(lesson: Dataset, lesson_weights: Weights) -> None:
    w = lesson_weights
    assert w.vocab == ["as", "soon"]
    assert w.Wxh.shape == (2, 3)  # input features x hidden nodes
    assert w.Whh.shape == (3, 3)  # hidden x hidden
    assert w.bh.shape == (1, 1)  # one bias, broadcast over the hidden nodes
    assert w.Wy.shape == (3, 1)  # hidden x output features
    assert w.by.shape == (1, 1)
    assert (w.hidden, w.vocab_size, w.bias) == (3, 2, "scalar")
    for name in ("Wxh", "Whh", "bh", "Wy", "by"):
        assert getattr(w, name).dtype == np.float64


def test_lesson_intermediate_shapes(lesson: Dataset, lesson_weights: Weights) -> None:
    s = Stepper(lesson_weights, lesson.X, lesson.lengths, lesson.labels)
    assert s.h.shape == (3, 3)  # h_0
    assert not s.h.any()
    for t in (1, 2, 3):
        r = s.step()
        assert r is not None
        assert r.t == t
        assert r.x.shape == (3, 2)  # x_t: batch x features
        assert np.array_equal(r.x, LESSON_X[:, t - 1])
        for name in ("h_prev", "xWxh", "hWhh", "pre", "h"):
            assert getattr(r, name).shape == (3, 3), name  # batch x hidden
        assert r.bias.shape == (1, 1)
        assert len(r.tokens) == 3
    assert s.done
    out = s.output
    assert out is not None
    assert out.z.shape == (3, 1)
    assert out.y.shape == (3, 1)
    assert out.prediction.shape == (3, 1)
    assert out.target is not None and out.target.tolist() == [[0], [0], [1]]
    assert out.loss is not None and out.loss.shape == (3,)
    H, y = forward(lesson_weights, lesson.X)
    assert H.shape == (3, 3, 3)
    assert y.shape == (3, 1)


def test_lesson_tokens_per_step(lesson: Dataset, lesson_weights: Weights) -> None:
    s = Stepper(lesson_weights, lesson.X, lesson.lengths)
    assert [s.step().tokens for _ in range(3)] == [
        ("as", "soon", "as"),
        ("as", "as", "soon"),
        ("soon", "as", "as"),
    ]


def test_one_hot_times_Wxh_selects_a_row(lesson_weights: Weights) -> None:
    w = lesson_weights
    assert np.array_equal(np.array([[1.0, 0.0]]) @ w.Wxh, w.Wxh[[0]])  # "as" -> row 0
    assert np.array_equal(np.array([[0.0, 1.0]]) @ w.Wxh, w.Wxh[[1]])  # "soon" -> row 1
    # and in the stepper, each sentence's x·Wxh is the row of its token
    d = lesson_dataset()
    r = Stepper(w, d.X).step()
    assert np.array_equal(r.xWxh, w.Wxh[[0, 1, 0]])  # as, soon, as


# --- a worked example, by hand -------------------------------------------------
#
# vocab ["as", "soon"], H = 2, hand-set weights:
#
#   Wxh = [[0.5, -1  ],    row "as"
#          [0.25, 0.5]]    row "soon"
#   Whh = [[1,   -0.5 ],
#          [0.5,  0.25]]
#   bh  = [[0.25]]         one bias for both hidden nodes
#   Wy  = [[1], [-1]]
#   by  = [[0.5]]
#
# Batch: sentence 0 "as soon" (target 1), sentence 1 "as" (target 0, padded once).


def hand_weights(bh: list[list[float]] | None = None) -> Weights:
    return Weights(
        vocab=["as", "soon"],
        Wxh=[[0.5, -1.0], [0.25, 0.5]],
        Whh=[[1.0, -0.5], [0.5, 0.25]],
        bh=[[0.25]] if bh is None else bh,
        Wy=[[1.0], [-1.0]],
        by=[[0.5]],
    )


# t = 1, both sentences read "as": x = [1, 0]
#   x·Wxh = row "as"          = [0.5, -1]
#   h_0·Whh = [0, 0]
#   pre  = [0.5 + 0 + 0.25, -1 + 0 + 0.25]            = [0.75, -0.75]
#   h_1  = [tanh(0.75), tanh(-0.75)]                   = [a, -a],  a = 0.6351489523872873
A = 0.6351489523872873
# t = 2, sentence 0 reads "soon": x = [0, 1]
#   x·Wxh = row "soon"        = [0.25, 0.5]
#   h_1·Whh = [a·1 + (-a)·0.5,  a·(-0.5) + (-a)·0.25]  = [0.5a, -0.75a]
#           = [0.31757447619364365, -0.4763617142904655]
#   pre  = [0.25 + 0.31757447619364365 + 0.25,  0.5 - 0.4763617142904655 + 0.25]
#        = [0.8175744761936437, 0.2736382857095345]
#   h_2  = [tanh(0.8175744761936437), tanh(0.2736382857095345)]
#        = [0.6737475465459161, 0.26700700849628023]
# t = 2, sentence 1 has ended: h_2 = h_1 = [a, -a] (carried, padding ignored)
# Output, sentence 0: z = h_2·Wy + by = 0.6737475465459161 - 0.26700700849628023 + 0.5
#                                     = 0.9067405380496358
#                     y = 1 / (1 + e^-z) = 1 / (1 + 0.40383837697826014) = 0.7123327132233586
#                     prediction 1 (y >= 0.5); target 1: loss -ln(y) = 0.33921018286490073
# Output, sentence 1: z = a·1 + (-a)·(-1) + 0.5 = 2a + 0.5 = 1.7702979047745746
#                     y = 1 / (1 + 0.17028225337231287) = 0.8544947145172683
#                     prediction 1; target 0: loss -ln(1 - y) = 1.927542866688577

TOL = dict(rtol=1e-12, atol=1e-15)


def test_hand_worked_example_step_by_step() -> None:
    d = Dataset.from_sentences(["as soon", "as"], [1, 0])
    assert d.lengths.tolist() == [2, 1]
    s = Stepper(hand_weights(), d.X, d.lengths, d.labels)

    r1 = s.step()
    assert r1.tokens == ("as", "as")
    np.testing.assert_allclose(r1.xWxh, [[0.5, -1.0], [0.5, -1.0]], **TOL)
    np.testing.assert_allclose(r1.hWhh, [[0.0, 0.0], [0.0, 0.0]], **TOL)
    np.testing.assert_allclose(r1.pre, [[0.75, -0.75], [0.75, -0.75]], **TOL)
    np.testing.assert_allclose(r1.h, [[A, -A], [A, -A]], **TOL)

    r2 = s.step()
    assert r2.tokens == ("soon", None)
    assert r2.active.tolist() == [True, False]
    np.testing.assert_allclose(r2.xWxh[0], [0.25, 0.5], **TOL)
    np.testing.assert_allclose(r2.hWhh[0], [0.31757447619364365, -0.4763617142904655], **TOL)
    np.testing.assert_allclose(r2.pre[0], [0.8175744761936437, 0.2736382857095345], **TOL)
    np.testing.assert_allclose(r2.h[0], [0.6737475465459161, 0.26700700849628023], **TOL)
    assert np.array_equal(r2.h[1], r1.h[1])  # sentence 1 ended: carried unchanged
    assert np.array_equal(r2.x[1], [0.0, 0.0])  # its padding is a zero vector

    out = s.output
    np.testing.assert_allclose(out.z, [[0.9067405380496358], [1.7702979047745746]], **TOL)
    np.testing.assert_allclose(out.y, [[0.7123327132233586], [0.8544947145172683]], **TOL)
    assert out.prediction.tolist() == [[1], [1]]
    np.testing.assert_allclose(out.loss, [0.33921018286490073, 1.927542866688577], **TOL)
    assert out.mean_loss == pytest.approx((0.33921018286490073 + 1.927542866688577) / 2, rel=1e-12)

    H, y = forward(hand_weights(), d.X, d.lengths)
    np.testing.assert_allclose(y, out.y, **TOL)
    np.testing.assert_allclose(H[0, 1], [0.6737475465459161, 0.26700700849628023], **TOL)
    np.testing.assert_allclose(H[1, 1], [A, -A], **TOL)


def test_hand_worked_vector_bias() -> None:
    # Same weights but bh = [[0.25, -0.5]] (1, H): one bias per hidden node.
    # t = 1, "soon": x·Wxh = [0.25, 0.5]; h_0·Whh = 0
    #   pre = [0.25 + 0.25, 0.5 - 0.5] = [0.5, 0.0]
    #   h_1 = [tanh(0.5), tanh(0)] = [0.46211715726000974, 0.0]
    # Output: z = 0.46211715726000974·1 + 0·(-1) + 0.5 = 0.9621171572600098
    #         y = 1 / (1 + e^-0.9621171572600098) = 1 / (1 + 0.38208309904737964)
    #           = 0.7235454949773021
    w = hand_weights(bh=[[0.25, -0.5]])
    assert w.bias == "vector" and w.bh.shape == (1, 2)
    d = Dataset.from_sentences(["soon"], [1], vocab=w.vocab)
    s = Stepper(w, d.X, d.lengths, d.labels)
    r = s.step()
    np.testing.assert_allclose(r.pre, [[0.5, 0.0]], **TOL)
    np.testing.assert_allclose(r.h, [[0.46211715726000974, 0.0]], **TOL)
    assert np.array_equal(r.bias, [[0.25, -0.5]])
    np.testing.assert_allclose(s.output.z, [[0.9621171572600098]], **TOL)
    np.testing.assert_allclose(s.output.y, [[0.7235454949773021]], **TOL)


# --- stepper == forward == one sentence at a time ------------------------------


def one_sentence(w: Weights, tokens: list[int]) -> tuple[list[np.ndarray], float]:
    """An independent reference: one unpadded sentence, a plain loop, naive sigmoid."""
    h = np.zeros(w.hidden)
    states = []
    for index in tokens:
        h = np.tanh(w.Wxh[index] + h @ w.Whh + w.bh.reshape(-1))
        states.append(h)
    z = float(h @ w.Wy[:, 0] + w.by[0, 0])
    return states, 1.0 / (1.0 + math.exp(-z))


def random_case(seed: int, bias: str):
    rng = np.random.default_rng(1000 + seed)
    B, T, V, Hn = (int(rng.integers(1, n)) for n in (6, 7, 6, 7))
    vocab = [f"w{i}" for i in range(V)]
    w = Weights.init(vocab, hidden=Hn, seed=seed, bias=bias)
    # scale up so that tanh is not near-linear and padding errors would show
    w.Whh *= 2.0
    w.Wxh *= 2.0
    lengths = rng.integers(1, T + 1, size=B)
    sentences = [rng.integers(0, V, size=L).tolist() for L in lengths]
    X = np.zeros((B, T, V))
    for b, toks in enumerate(sentences):
        X[b, np.arange(len(toks)), toks] = 1.0
    return w, X, lengths, sentences


@pytest.mark.parametrize("bias", ["scalar", "vector"])
@pytest.mark.parametrize("seed", range(12))
def test_stepper_equals_forward_equals_one_sentence_at_a_time(seed: int, bias: str) -> None:
    w, X, lengths, sentences = random_case(seed, bias)
    B, T, _ = X.shape
    assert w.bh.shape == ((1, 1) if bias == "scalar" else (1, w.hidden))

    H_ref, y_ref = forward(w, X, lengths)
    assert H_ref.shape == (B, T, w.hidden) and y_ref.shape == (B, 1)

    s = Stepper(w, X, lengths)
    out = s.run()
    assert s.t == T and s.done
    np.testing.assert_allclose(s.H, H_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out.y, y_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out.y, sigmoid(out.z), rtol=0, atol=0)

    for b, toks in enumerate(sentences):
        states, y_alone = one_sentence(w, toks)
        L = len(toks)
        np.testing.assert_allclose(H_ref[b, :L], np.array(states), rtol=1e-12, atol=1e-14)
        for t in range(L, T):  # past its end, the state is carried unchanged
            assert np.array_equal(H_ref[b, t], H_ref[b, L - 1])
        assert y_ref[b, 0] == pytest.approx(y_alone, rel=1e-12)
        assert out.y[b, 0] == pytest.approx(y_alone, rel=1e-12)


def test_padding_does_not_change_a_sentence() -> None:
    # The same sentence, alone and in a padded batch next to a longer one.
    w = Weights.init(["as", "soon"], hidden=4, seed=3, bias="vector")
    alone = Dataset.from_sentences(["soon as"], [1], vocab=w.vocab)
    batch = Dataset.from_sentences(["as soon as soon as", "soon as"], [0, 1], vocab=w.vocab)
    _, y_alone = forward(w, alone.X, alone.lengths)
    _, y_batch = forward(w, batch.X, batch.lengths)
    assert y_batch[1, 0] == pytest.approx(y_alone[0, 0], rel=1e-13)
    # ignoring the lengths would read the padding and give a different answer
    _, y_wrong = forward(w, batch.X)
    assert abs(y_wrong[1, 0] - y_alone[0, 0]) > 1e-6


# --- back and reset ------------------------------------------------------------


def snapshot(s: Stepper):
    out = s.output
    return (
        s.t,
        len(s.history),
        s.h.copy(),
        s.H.copy(),
        None if out is None else (out.z.copy(), out.y.copy(), out.loss.copy()),
    )


def assert_same(a, b) -> None:
    assert a[0] == b[0] and a[1] == b[1]
    assert np.array_equal(a[2], b[2])
    assert np.array_equal(a[3], b[3])
    assert (a[4] is None) == (b[4] is None)
    if a[4] is not None:
        for x, y in zip(a[4], b[4], strict=True):
            assert np.array_equal(x, y)


def test_back_restores_each_previous_state(lesson: Dataset, lesson_weights: Weights) -> None:
    s = Stepper(lesson_weights, lesson.X, lesson.lengths, lesson.labels)
    states = [snapshot(s)]
    while not s.done:
        s.step()
        states.append(snapshot(s))
    assert states[-1][4] is not None and states[0][4] is None
    for expected in reversed(states[:-1]):
        assert s.back() is True
        assert_same(snapshot(s), expected)
        assert s.output is None
    # and forward again gives the same numbers
    s.run()
    assert_same(snapshot(s), states[-1])


def test_reset_restores_the_start(lesson: Dataset, lesson_weights: Weights) -> None:
    s = Stepper(lesson_weights, lesson.X, lesson.lengths, lesson.labels)
    start = snapshot(s)
    s.step()
    s.step()
    s.reset()
    assert_same(snapshot(s), start)
    assert s.t == 0 and not s.done and s.output is None
    end1 = snapshot(s.run() and s)
    s.reset()
    s.run()
    assert_same(snapshot(s), end1)


def test_step_past_end_is_a_no_op(lesson: Dataset, lesson_weights: Weights) -> None:
    s = Stepper(lesson_weights, lesson.X, lesson.lengths, lesson.labels)
    s.run()
    before = snapshot(s)
    assert s.step() is None
    assert s.step() is None
    assert_same(snapshot(s), before)
    assert s.back() is True


def test_back_before_start_is_a_no_op(lesson: Dataset, lesson_weights: Weights) -> None:
    s = Stepper(lesson_weights, lesson.X, lesson.lengths, lesson.labels)
    before = snapshot(s)
    assert s.back() is False
    assert s.back() is False
    assert_same(snapshot(s), before)
    assert s.step() is not None


def test_output_is_none_until_done(lesson: Dataset, lesson_weights: Weights) -> None:
    s = Stepper(lesson_weights, lesson.X)
    assert s.output is None
    s.step()
    assert s.output is None
    out = s.run()
    assert out.target is None and out.loss is None and out.mean_loss is None
    assert out.prediction.tolist() == (out.y >= 0.5).astype(int).tolist()


def test_stepper_rejects_mismatched_inputs(lesson: Dataset, lesson_weights: Weights) -> None:
    with pytest.raises(ValueError, match="X: 3 features but the weights take 2"):
        Stepper(lesson_weights, np.zeros((1, 2, 3)))
    with pytest.raises(ValueError, match="lengths"):
        Stepper(lesson_weights, lesson.X, [3, 3])
    with pytest.raises(ValueError, match="lengths"):
        Stepper(lesson_weights, lesson.X, [3, 0, 4])
    with pytest.raises(ValueError, match="labels"):
        Stepper(lesson_weights, lesson.X, labels=[0, 1])


# --- sigmoid and loss ----------------------------------------------------------

EXTREMES = np.array([-1e300, -1e10, -1000.0, -745.0, -710.0, -30.0, 0.0,
                     30.0, 710.0, 745.0, 1000.0, 1e10, 1e300])


def test_sigmoid_stable_with_warnings_as_errors() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = sigmoid(EXTREMES)
    assert np.all(np.isfinite(y))
    assert y[0] == 0.0 and y[-1] == 1.0
    assert y[6] == 0.5


def test_sigmoid_stable_with_errstate_raise() -> None:
    # np.errstate(all="raise") turns even underflow into an exception.
    with np.errstate(all="raise"):
        y = sigmoid(EXTREMES)
        loss0 = bce(None, EXTREMES, np.zeros_like(EXTREMES))
        loss1 = bce(None, EXTREMES, np.ones_like(EXTREMES))
    assert y[0] == 0.0 and y[-1] == 1.0
    assert np.all(np.isfinite(loss0)) and np.all(np.isfinite(loss1))


def test_sigmoid_values() -> None:
    z = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    expected = [1 / (1 + math.exp(-v)) for v in z]
    np.testing.assert_allclose(sigmoid(z), expected, rtol=1e-15)
    np.testing.assert_allclose(sigmoid(z) + sigmoid(-z), 1.0, rtol=1e-15)
    assert sigmoid(np.array([[0.25]])).shape == (1, 1)


def test_bce_values_and_extremes() -> None:
    z = np.array([[-2.0], [0.0], [3.0]])
    t = np.array([[1], [0], [0]])
    y = sigmoid(z)
    # -[t ln y + (1-t) ln(1-y)]: -ln(sigmoid(-2)), -ln(0.5), -ln(1 - sigmoid(3))
    expected = [-math.log(1 / (1 + math.exp(2.0))), math.log(2.0),
                -math.log(1 - 1 / (1 + math.exp(-3.0)))]
    np.testing.assert_allclose(bce(y, z, t), expected, rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # confidently right: ~0; confidently wrong: ~|z|, still finite
        right = bce(None, np.array([1e300, -1e300]), np.array([1, 0]))
        wrong = bce(None, np.array([1e300, -1e300]), np.array([0, 1]))
    assert right.tolist() == [0.0, 0.0]
    assert np.all(np.isfinite(wrong)) and wrong.tolist() == [1e300, 1e300]


# --- Weights.init --------------------------------------------------------------


def test_init_same_seed_same_weights() -> None:
    a = Weights.init(["as", "soon"], hidden=3, seed=7)
    b = Weights.init(["as", "soon"], hidden=3, seed=7)
    assert a == b
    assert a is not b and a.Wxh is not b.Wxh


def test_init_different_seed_different_weights() -> None:
    a = Weights.init(["as", "soon"], seed=0)
    b = Weights.init(["as", "soon"], seed=1)
    assert a != b
    for name in ("Wxh", "Whh", "bh", "Wy", "by"):
        assert not np.array_equal(getattr(a, name), getattr(b, name)), name


# First values for seed 0, hidden 3: uniform on ±1/√3 from default_rng(0), in the
# order Wxh, Whh, bh, Wy, by (see Weights.init). Pinned literally so that a change
# of generator or order fails here, and re-derived below so the pin is not a guess.
SEED0_WXH = [
    [0.15814973408741406, -0.2658274055589157, -0.5300381190412067],
    [-0.5582657995466973, 0.36173331386275154, 0.4766090873016241],
]


def test_init_seed_0_pinned() -> None:
    w = Weights.init(["as", "soon"], hidden=3, seed=0)
    np.testing.assert_array_equal(w.Wxh, SEED0_WXH)
    k = 1 / math.sqrt(3)
    draws = np.random.default_rng(0).uniform(-k, k, size=2 * 3 + 3 * 3 + 1 + 3 + 1)
    np.testing.assert_array_equal(draws[:6].reshape(2, 3), SEED0_WXH)
    np.testing.assert_array_equal(w.Whh.ravel(), draws[6:15])
    np.testing.assert_array_equal(w.bh.ravel(), draws[15:16])
    np.testing.assert_array_equal(w.Wy.ravel(), draws[16:19])
    np.testing.assert_array_equal(w.by.ravel(), draws[19:20])
    assert np.all(np.abs(draws) <= k)


def test_init_vector_bias_shape_and_hidden() -> None:
    w = Weights.init(["a", "b", "c", "d"], hidden=5, seed=2, bias="vector")
    assert w.bh.shape == (1, 5)
    assert w.bias == "vector"
    assert (w.Wxh.shape, w.Whh.shape, w.Wy.shape, w.by.shape) == ((4, 5), (5, 5), (5, 1), (1, 1))
    assert len(set(w.bh.ravel().tolist())) == 5  # five separate biases


def test_init_rejects_bad_options() -> None:
    with pytest.raises(WeightsError, match="bias: must be 'scalar' or 'vector'"):
        Weights.init(["as"], bias="matrix")
    with pytest.raises(WeightsError, match="hidden: must be at least 1"):
        Weights.init(["as"], hidden=0)
    with pytest.raises(WeightsError, match="vocab: is empty"):
        Weights.init([])


# --- JSON ----------------------------------------------------------------------


@pytest.mark.parametrize("bias", ["scalar", "vector"])
def test_json_round_trip(tmp_path: Path, bias: str) -> None:
    w = Weights.init(["as", "soon", "when"], hidden=4, seed=5, bias=bias)
    path = tmp_path / "w.json"
    w.save(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) == {"vocab", "Wxh", "Whh", "bh", "Wy", "by"}
    assert data["vocab"] == ["as", "soon", "when"]
    assert data["Wxh"] == w.Wxh.tolist()  # nested lists
    loaded = Weights.load(path)
    assert loaded == w
    for name in ("Wxh", "Whh", "bh", "Wy", "by"):
        assert np.array_equal(getattr(loaded, name), getattr(w, name))  # bit for bit
        assert getattr(loaded, name).dtype == np.float64
    assert loaded.bias == bias



def test_load_ignores_a_utf8_bom(tmp_path: Path) -> None:
    w = Weights.init(["as", "soon"], seed=3)
    path = tmp_path / "w.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(w.to_dict()).encode("utf-8"))
    assert Weights.load(path) == w

def test_save_overwrites_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    Weights.init(["as"], seed=1).save(path)
    Weights.init(["as"], seed=2).save(path)
    assert Weights.load(path) == Weights.init(["as"], seed=2)
    assert os.listdir(tmp_path) == ["w.json"]


def _fail(*args, **kwargs):
    raise OSError("disk full (simulated)")


@pytest.mark.parametrize("target", ["replace", "fsync"])
def test_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    path = tmp_path / "w.json"
    old = Weights.init(["as", "soon"], seed=1)
    old.save(path)
    old_bytes = path.read_bytes()
    # fail after the temporary file is written (fsync) or just before the rename
    monkeypatch.setattr(os, target, _fail)
    # the OSError reaches the user as a one-line WeightsError naming the file
    with pytest.raises(WeightsError, match=r"w\.json: cannot write \(disk full \(simulated\)\)"):
        Weights.init(["as", "soon"], seed=2).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == old_bytes
    assert Weights.load(path) == old
    assert os.listdir(tmp_path) == ["w.json"]  # the temporary file is gone


def test_save_atomic_when_write_fails_midway(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "w.json"
    Weights.init(["as", "soon"], seed=1).save(path)
    old_bytes = path.read_bytes()
    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()
            return False

        def write(self, text):
            self.f.write(text[: len(text) // 2])
            self.f.flush()
            raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "fdopen", lambda *a, **k: HalfWriter(real_fdopen(*a, **k)))
    # the OSError reaches the user as a one-line WeightsError naming the file
    with pytest.raises(WeightsError, match=r"w\.json: cannot write \(disk full \(simulated\)\)"):
        Weights.init(["as", "soon"], seed=2).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == old_bytes
    assert os.listdir(tmp_path) == ["w.json"]


# --- bad weights: each a clear error naming the key ----------------------------


def good_dict() -> dict:
    return Weights.init(["as", "soon"], hidden=3, seed=0).to_dict()


def load_dict(tmp_path: Path, data: object, raw: str | None = None) -> Weights:
    path = tmp_path / "w.json"
    path.write_text(raw if raw is not None else json.dumps(data), encoding="utf-8")
    return Weights.load(path)


def one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert message and "\n" not in message
    return message


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("Wxh", [[0.1, 0.2, 0.3]], "Wxh: has 1 rows but vocab has 2 tokens"),
        ("Wxh", [[0.1, 0.2], [0.3, 0.4]], "Wxh: shape (2, 2), expected (2, 3)"),
        ("Whh", [[0.1, 0.2, 0.3]], "Whh: shape (1, 3) is not square"),
        ("bh", [[0.1, 0.2]], "bh: shape (1, 2), expected (1, 1) or (1, 3)"),
        ("Wy", [[0.1, 0.2, 0.3]], "Wy: shape (1, 3), expected (3, 1)"),
        ("by", [[0.1], [0.2]], "by: shape (2, 1), expected (1, 1)"),
    ],
)
def test_load_wrong_shape_names_the_key(tmp_path: Path, key: str, value, expected: str) -> None:
    data = good_dict()
    data[key] = value
    with pytest.raises(WeightsError) as exc:
        load_dict(tmp_path, data)
    message = one_line(exc)
    assert expected in message
    assert str(tmp_path / "w.json") in message


@pytest.mark.parametrize("key", ["Wxh", "Whh", "bh", "Wy", "by"])
@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity"])
def test_load_nan_names_the_key(tmp_path: Path, key: str, bad: str) -> None:
    data = good_dict()
    data[key][0][0] = "@@BAD@@"
    raw = json.dumps(data).replace('"@@BAD@@"', bad)  # JSON's non-standard NaN literal
    with pytest.raises(WeightsError) as exc:
        load_dict(tmp_path, None, raw)
    assert f"{key}: contains NaN or infinite values" in one_line(exc)


@pytest.mark.parametrize("key", ["vocab", "Wxh", "Whh", "bh", "Wy", "by"])
def test_load_missing_key(tmp_path: Path, key: str) -> None:
    data = good_dict()
    del data[key]
    with pytest.raises(WeightsError) as exc:
        load_dict(tmp_path, data)
    assert f"{key}: missing" in one_line(exc)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"Wy": [[0.1], ["x"], [0.3]]}, "Wy: 'x' is not a number"),
        ({"Wy": [[0.1], [True], [0.3]]}, "Wy: True is not a number"),
        ({"Whh": [[0.1, 0.2, 0.3], [0.1], [0.1, 0.2, 0.3]]}, "Whh: rows have different lengths"),
        ({"bh": 0.5}, "bh: must be a non-empty list of rows"),
        ({"by": []}, "by: must be a non-empty list of rows"),
        ({"vocab": "as soon"}, "vocab: must be a list of strings"),
        ({"vocab": ["as", 3]}, "vocab: must be a list of strings"),
        ({"vocab": ["as", "as"]}, "vocab: has repeated tokens"),
        ({"vocab": ["as", "soon", "when"]}, "Wxh: has 2 rows but vocab has 3 tokens"),
    ],
)
def test_load_other_bad_values(tmp_path: Path, change: dict, expected: str) -> None:
    data = good_dict()
    data.update(change)
    with pytest.raises(WeightsError) as exc:
        load_dict(tmp_path, data)
    assert expected in one_line(exc)


def test_load_bad_files(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="no such file"):
        Weights.load(tmp_path / "missing.json")
    with pytest.raises(WeightsError, match=r"not valid JSON \(.*line 1\)"):
        load_dict(tmp_path, None, "{not json")
    with pytest.raises(WeightsError, match="expected a JSON object"):
        load_dict(tmp_path, [1, 2, 3])
    (tmp_path / "latin1.json").write_bytes(b'{"vocab": ["\xe9t\xe9"]}')
    with pytest.raises(WeightsError, match="not UTF-8"):
        Weights.load(tmp_path / "latin1.json")


def test_constructor_validates() -> None:
    with pytest.raises(WeightsError, match="Wxh: contains NaN"):
        Weights(["as"], [[np.nan]], [[0.0]], [[0.0]], [[0.0]], [[0.0]])
    with pytest.raises(WeightsError, match=r"Wy: shape \(1, 2\)"):
        Weights(["as"], [[0.0, 0.0]], np.zeros((2, 2)), [[0.0]], [[0.0, 0.0]], [[0.0]])


def test_save_keeps_permissions_and_reports_missing_folder(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    Weights.init(["as"], seed=0).save(path)
    assert path.stat().st_mode & 0o777 == 0o666 & ~_umask()  # not mkstemp's 0600
    os.chmod(path, 0o640)
    Weights.init(["as"], seed=1).save(path)
    assert path.stat().st_mode & 0o777 == 0o640
    with pytest.raises(WeightsError, match="cannot write"):
        Weights.init(["as"], seed=0).save(tmp_path / "no-such-folder" / "w.json")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- the cell, the output, the loss and the weight names: each written once -----------


def test_cell_is_the_recurrence_row_vectors(lesson: Dataset, lesson_weights: Weights) -> None:
    w = lesson_weights
    x = lesson.X[:, 0]  # (B, V)
    h_prev = np.arange(9.0).reshape(3, 3) / 10  # (B, H)
    xWxh, hWhh, pre, h = cell(x, h_prev, w, np.tanh)
    assert xWxh.shape == hWhh.shape == pre.shape == h.shape == (3, 3)
    np.testing.assert_array_equal(xWxh, x @ w.Wxh)
    np.testing.assert_array_equal(hWhh, h_prev @ w.Whh)
    np.testing.assert_array_equal(pre, x @ w.Wxh + h_prev @ w.Whh + w.bh)
    np.testing.assert_array_equal(h, np.tanh(pre))
    # x · Wxh computed beforehand for every step gives the same numbers
    again = cell(None, h_prev, w, np.tanh, xWxh=(lesson.X @ w.Wxh)[:, 0])
    for a, b in zip(again, (xWxh, hWhh, pre, h), strict=True):
        np.testing.assert_array_equal(a, b)


def test_output_is_sigmoid_of_the_last_state(lesson_weights: Weights) -> None:
    w = lesson_weights
    h_last = np.array([[0.1, -0.2, 0.3], [1.0, 0.0, -1.0]])
    z, y = output(h_last, w)
    assert z.shape == y.shape == (2, 1)
    np.testing.assert_array_equal(z, h_last @ w.Wy + w.by)
    np.testing.assert_array_equal(y, sigmoid(z))


def _count_calls(monkeypatch, name: str, modules: list[str]) -> list[str]:
    """Wrap ``name`` in each module (as the module sees it); returns the call log."""
    import importlib

    calls: list[str] = []
    real = getattr(model, name)

    def counted(*args, **kwargs):
        calls.append(name)
        return real(*args, **kwargs)

    for module in modules:
        monkeypatch.setattr(importlib.import_module(module), name, counted)
    return calls


def test_forward_and_stepper_go_through_the_one_cell_and_output(
    monkeypatch, lesson: Dataset, lesson_weights: Weights
) -> None:
    cells = _count_calls(monkeypatch, "cell", ["rnn_tui.core.model", "rnn_tui.core.stepper"])
    outputs = _count_calls(monkeypatch, "output", ["rnn_tui.core.model", "rnn_tui.core.stepper"])
    losses = _count_calls(monkeypatch, "bce", ["rnn_tui.core.stepper"])
    forward(lesson_weights, lesson.X, lesson.lengths)
    assert (len(cells), len(outputs)) == (3, 1)  # T = 3 steps, one output
    Stepper(lesson_weights, lesson.X, lesson.lengths, lesson.labels).run()
    assert (len(cells), len(outputs), len(losses)) == (6, 2, 1)


def test_weight_names_are_written_once_in_the_package() -> None:
    """The tuple of weight names lives in core/model.py; everything else imports it."""
    import re

    root = Path(model.__file__).parent.parent
    spelled = re.compile(r",\s*".join(rf"""["']{n}["']""" for n in "Wxh Whh bh Wy by".split()))
    found = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                   if spelled.search(p.read_text("utf-8")))
    assert found == ["core/model.py"]
    assert model.WEIGHT_NAMES == ("Wxh", "Whh", "bh", "Wy", "by")
    assert list(Weights.init(["a"]).to_dict()) == ["vocab", *model.WEIGHT_NAMES]
