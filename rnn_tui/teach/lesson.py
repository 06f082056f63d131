"""The lesson's state, in one plain object (no Textual): what a class shares.

A ``Lesson`` holds the data, the weight sets and which one is in use, the
weights in use (perhaps edited by hand), the activation, the seed, the selected
sentence, the position in sub-steps, the views that are on, the quiz score and
a status message. Its methods are what the keys do; the app (``tui/app.py``)
turns keys into these calls and renders the result. The ``Stepper`` is derived:
``lesson.stepper`` is moved to the cursor's time step when asked for.

Presentation (language, theme, terminal size, autoplay speed) stays in the app.
The status message is a catalogue key and its values, translated when shown, so
a lesson reads the same in any language. ``to_dict`` and ``from_dict`` give a
small JSON-able dict with a format name and a version number.

The cell (issue 21) is the weights': ``Weights`` is the lesson's vanilla RNN,
``rnn_tui.core.cells.GatedWeights`` a GRU or an LSTM (``lesson.cell``). A gated
lesson steps through ``Cursor(pos, steps, cell)``'s sub-steps, gate by gate, on a
``GatedStepper``; the vanilla cell's keys that do not apply to it yet (training,
the weights and sentences editors, the quiz) are refused in the app. ``to_dict``
writes ``"cell"``; a dict without it (as every version-1 dict before) is an rnn's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnn_tui.core.cells import GatedStepper, GatedWeights, weights_from_dict
from rnn_tui.core.cursor import Cursor
from rnn_tui.core.data import DataError, Dataset
from rnn_tui.core.model import ACTIVATIONS, WEIGHT_NAMES, Weights, WeightsError
from rnn_tui.core.stepper import Stepper
from rnn_tui.teach import quiz
from rnn_tui.teach.edit import Rebatched
from rnn_tui.teach.i18n import CATALOGS
from rnn_tui.teach.quiz import Grade, Question, Score
from rnn_tui.teach.weight_sets import TrainingOutcome, WeightSets

FORMAT = "rnn-tui-lesson"
VERSION = 1
CELLS = ("rnn", "gru", "lstm")
#: Limits on a status message read by ``from_dict``: its values are few and short.
MAX_STATUS_VALUES, MAX_STATUS_TEXT = 8, 200
MAX_SEED = 2**63 - 1


class LessonError(ValueError):
    """A lesson dict that is not one (wrong format, version, type, shape or position)."""


@dataclass(frozen=True)
class Status:
    """A message for the status line: a catalogue key and its values ("" for none)."""

    key: str = ""
    values: tuple[tuple[str, str | int | float], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.key)


NO_STATUS = Status()


@dataclass(eq=False)
class Lesson:
    """One lesson: the data, the weights, where the class is and what it sees."""

    dataset: Dataset
    sets: WeightSets
    weights: Weights | GatedWeights  # in use: the set ``trained`` picks, or an edit of it
    activation: str = "tanh"
    seed: int = 0  # for the Wxh rows of new tokens
    trained: bool = False  # the trained set is in use
    selected: int = 0
    batch_view: bool = False
    backward: int | None = None  # the backward view's position while it is open
    quiz: bool = False
    score: Score = field(default_factory=Score)
    status: Status = NO_STATUS
    revision: int = 0  # bumped whenever the stepper is replaced (not shared)
    _pos: int = 0
    _stepper: Stepper | GatedStepper | None = field(default=None, repr=False)
    _edited: tuple | None = field(default=None, repr=False)  # (weights, base, cells)

    @classmethod
    def start(cls, dataset: Dataset, weights: Weights | GatedWeights, activation: str = "tanh",
              seed: int = 0) -> Lesson:
        """A lesson at t = 0 on the first sentence, the initial weights in use."""
        lesson = cls(dataset, WeightSets(weights), weights, activation, seed)
        lesson._stepper = lesson._new_stepper()
        return lesson

    # --- where we are -----------------------------------------------------------
    @property
    def pos(self) -> int:
        return self._pos

    @pos.setter
    def pos(self, pos: int) -> None:
        if Cursor(pos, self.steps, self.cell).t != self.cursor.t:
            self.status = NO_STATUS  # a message lasts until the time step changes
        self._pos = pos

    @property
    def cell(self) -> str:
        """The weights' cell: "rnn" (the lesson's), "gru" or "lstm"."""
        w = self.weights
        return w.cell if isinstance(w, GatedWeights) else "rnn"

    @property
    def steps(self) -> int:
        return int(self.dataset.X.shape[1])

    @property
    def batch(self) -> int:
        return int(self.dataset.X.shape[0])

    @property
    def cursor(self) -> Cursor:
        return Cursor(self._pos, self.steps, self.cell)

    @property
    def stepper(self) -> Stepper | GatedStepper:
        """The engine, moved to the cursor's time step."""
        if self._stepper is None:
            self._stepper = self._new_stepper()
        s, t = self._stepper, self.cursor.t
        while s.t < t:
            s.step()
        while s.t > t:
            s.back()
        return s

    def _new_stepper(self) -> Stepper | GatedStepper:
        d = self.dataset
        if isinstance(self.weights, GatedWeights):
            return GatedStepper(self.weights, d.X, d.lengths, d.labels, vocab=list(d.vocab))
        return Stepper(self.weights, d.X, d.lengths, d.labels, vocab=list(d.vocab),
                       activation=self.activation)

    def say(self, key: str, **values: str | int | float) -> None:
        """Set the status message (a catalogue key); ``say("")`` clears it."""
        self.status = Status(key, tuple(sorted(values.items())))

    # --- moving (the arrow keys, L, H, home, end; autoplay) -----------------------
    def move(self, pos: int) -> bool:
        """Go to ``pos``; at either end, stay and say so. True if the position changed."""
        clamped = self.cursor.clamp(pos)
        if clamped == self._pos:
            self.say("msg.at_end" if pos > self._pos else "msg.at_start")
            return False
        self.say("")
        self.pos = clamped
        return True

    def step(self) -> bool:
        return self.move(self._pos + 1)

    def back(self) -> bool:
        return self.move(self._pos - 1)

    def next_step(self) -> bool:
        c = self.cursor
        return self.move(c.next_step() if not c.at_output else self._pos + 1)

    def back_step(self) -> bool:
        return self.move(self.cursor.previous_step() if self._pos else -1)

    def reset(self) -> bool:
        return self.move(0 if self._pos else -1)

    def to_end(self) -> bool:
        c = self.cursor
        return self.move(c.last if not c.at_output else self._pos + 1)

    def tick(self) -> bool:
        """Autoplay's sub-step; False (and no move) at the output."""
        if self.cursor.at_output:
            return False
        self.pos = self._pos + 1
        return True

    # --- choosing what to look at -------------------------------------------------
    def select(self, delta: int) -> bool:
        """The sentence ``delta`` away (wrapping round). True if the selection changed."""
        return self._select((self.selected + delta) % self.batch)

    def select_number(self, number: int) -> bool:
        """Sentence ``number`` (1-based); if there is none, say so."""
        if number > self.batch:
            self.say("msg.no_sentence", n=number)
            return False
        return self._select(number - 1)

    def _select(self, b: int) -> bool:
        changed = b != self.selected
        self.selected = b
        return changed

    def toggle_batch(self) -> None:
        self.batch_view = not self.batch_view

    # --- predict, then reveal ---------------------------------------------------
    def toggle_quiz(self) -> None:
        self.quiz = not self.quiz

    def question(self) -> Question | None:
        """What to ask before the next sub-step is revealed, or None."""
        pos = self._pos + 1
        if pos > self.cursor.last or self.cell != "rnn":  # the quiz is the rnn cell's
            return None
        stepper = self.stepper
        if not isinstance(stepper, Stepper):  # an rnn lesson's stepper is always a Stepper
            return None
        return quiz.question(stepper, Cursor(pos, self.steps), self.selected)

    def answer(self, q: Question, guess: float) -> Grade:
        """Grade a guess, count it, and reveal the answer."""
        g = quiz.grade(q, guess)
        self.score.add(g)
        self.move(q.pos)
        return g

    def skip(self, q: Question) -> None:
        """Reveal without a guess: no points, but the question counts in the best score."""
        self.score.skip()
        self.move(q.pos)

    # --- weights (t, i, w, e) -----------------------------------------------------
    @property
    def weights_label(self) -> str:
        return self.sets.label(self.trained)

    def use_trained(self, trained: bool) -> None:
        """Swap in a weight set; keep the sentence and the position."""
        self.trained = trained
        self.install_weights(self.sets.get(trained))
        self.status = Status("weights.epochs", (("epochs", self.sets.epochs),)) \
            if trained and self.sets.trained is not None else NO_STATUS

    def toggle_trained(self) -> bool:
        """Initial <-> trained; before any training, say so. True if the weights changed."""
        if self.sets.trained is None:
            self.say("msg.not_trained")
            return False
        self.use_trained(not self.trained)
        return True

    def add_training(self, outcome: TrainingOutcome, from_trained: bool) -> None:
        self.sets.add(outcome, from_trained)
        self.use_trained(True)

    def install_weights(self, weights: Weights | GatedWeights, restart: bool = False) -> None:
        """A new Stepper on these weights, at the same position (or at t = 0)."""
        self.weights = weights
        self._stepper = self._new_stepper()
        self.revision += 1
        self.status = NO_STATUS
        if restart:
            self._pos = 0
        self.selected = min(self.selected, self.batch - 1)

    def new_dataset(self, result: Rebatched) -> None:
        """A new batch from the sentence editor; every weight set grows the new tokens."""
        if result.new_tokens:
            sets = self.sets
            sets.initial = sets.initial.extend_vocab(result.new_tokens, self.seed)
            if sets.trained is not None:
                sets.trained = sets.trained.extend_vocab(result.new_tokens, self.seed)
        self.dataset = result.dataset
        self.install_weights(result.weights, restart=True)

    def edited(self) -> frozenset:
        """Cells (name, row, col) of the weights in use that differ from their set."""
        base = self.sets.get(self.trained)
        W = self.weights
        if isinstance(W, GatedWeights):  # a gated cell's weights are not edited by hand
            return frozenset()
        cached = self._edited
        if cached is not None and cached[0] is W and cached[1] is base:
            return cached[2]  # weights are replaced, never changed in place: compare once
        cells: set[tuple[str, int, int]] = set()
        if W is not base and W.vocab == base.vocab:
            for name in WEIGHT_NAMES:
                a, b = getattr(W, name), getattr(base, name)
                if a.shape == b.shape:
                    cells.update((name, int(r), int(c)) for r, c in np.argwhere(a != b))
        self._edited = (W, base, frozenset(cells))
        return self._edited[2]

    # --- sharing --------------------------------------------------------------------
    def to_dict(self) -> dict:
        """A small JSON-able dict of the whole state (``from_dict`` reads it back)."""
        d, sets = self.dataset, self.sets
        return {
            "format": FORMAT,
            "version": VERSION,
            "cell": self.cell,
            "sentences": [list(s) for s in d.sentences],
            "labels": [int(x) for x in d.labels],
            "vocab": list(d.vocab),
            "activation": self.activation,
            "seed": self.seed,
            "weights": self.weights.to_dict(),
            "initial": sets.initial.to_dict(),
            "trained": None if sets.trained is None else sets.trained.to_dict(),
            "epochs": sets.epochs,
            "use_trained": self.trained,
            "selected": self.selected,
            "pos": self._pos,
            "batch_view": self.batch_view,
            "backward": self.backward,
            "quiz": self.quiz,
            "score": {"asked": self.score.asked, "points": self.score.points,
                      "skipped": self.score.skipped},
            "status": {"key": self.status.key, "values": dict(self.status.values)},
            "edited": sorted(list(c) for c in self.edited()),
        }

    @classmethod
    def from_dict(cls, data: object) -> Lesson:
        """The lesson ``to_dict`` gave; LessonError (one line) on anything else."""
        return _read(data)


# --- reading a lesson dict ---------------------------------------------------------
def _get(data: dict, key: str, kind: type, what: str) -> Any:
    if key not in data:
        raise LessonError(f"lesson: {key}: missing")
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise LessonError(f"lesson: {key}: expected {what}")
    return value


def _int(data: dict, key: str, low: int, high: int) -> int:
    value: int = _get(data, key, int, "an integer")
    if not low <= value <= high:
        raise LessonError(f"lesson: {key}: {value} is out of range ({low} to {high})")
    return value


def _weights(data: dict, key: str, cell: str = "rnn") -> Weights | GatedWeights:
    value = _get(data, key, dict, "a weights object")
    try:
        weights = Weights.from_dict(value) if cell == "rnn" else weights_from_dict(value)
    except (WeightsError, ValueError) as exc:
        raise LessonError(f"lesson: {key}: {exc}") from None
    if (weights.cell if isinstance(weights, GatedWeights) else "rnn") != cell:
        raise LessonError(f"lesson: {key}: not the weights of a {cell} cell")
    return weights


def _names(w: Weights | GatedWeights) -> tuple[str, ...]:
    return w.names if isinstance(w, GatedWeights) else WEIGHT_NAMES


def _array(w: Weights | GatedWeights, name: str) -> np.ndarray:
    return w[name] if isinstance(w, GatedWeights) else getattr(w, name)


def _status(value: object) -> Status:
    if not isinstance(value, dict) or set(value) != {"key", "values"}:
        raise LessonError("lesson: status: expected an object with key and values")
    key, values = value["key"], value["values"]
    if not isinstance(key, str) or (key and key not in CATALOGS["en"]):
        raise LessonError("lesson: status: the key is not a message of the catalogue")
    if not isinstance(values, dict) or len(values) > MAX_STATUS_VALUES:
        raise LessonError(f"lesson: status: values must be an object of at most "
                          f"{MAX_STATUS_VALUES} entries")
    for k, v in values.items():
        ok = (isinstance(v, str) and len(v) <= MAX_STATUS_TEXT) or (
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v))
        if not (isinstance(k, str) and k.isidentifier() and len(k) <= 40 and ok):
            raise LessonError("lesson: status: a value is not a short text or number")
    return Status(key, tuple(sorted(values.items())))


def _read(data: object) -> Lesson:
    if not isinstance(data, dict):
        raise LessonError("lesson: expected a JSON object")
    if data.get("format") != FORMAT:
        raise LessonError(f"lesson: format: expected {FORMAT!r}")
    version = data.get("version")
    if version != VERSION or isinstance(version, bool):
        raise LessonError(f"lesson: version {version!r} is not supported (this reads {VERSION})")
    sentences = _get(data, "sentences", list, "a list of sentences")
    labels = _get(data, "labels", list, "a list of labels")
    vocab = _get(data, "vocab", list, "a list of tokens")
    for s in sentences:
        if not isinstance(s, list) or not all(isinstance(t, str) for t in s):
            raise LessonError("lesson: sentences: each must be a list of tokens")
    if not all(isinstance(v, str) for v in vocab):
        raise LessonError("lesson: vocab: must be a list of strings")
    if not all(type(x) is int for x in labels):
        raise LessonError("lesson: labels: must be integers 0 or 1")
    try:
        dataset = Dataset.from_sentences(sentences, labels, vocab)
    except DataError as exc:
        raise LessonError(f"lesson: {exc}") from None
    # "cell" came later (issue 21): a lesson without it is the vanilla cell's
    cell = _get(data, "cell", str, "a string") if "cell" in data else "rnn"
    if cell not in CELLS:
        raise LessonError(f"lesson: cell: one of {', '.join(CELLS)}")
    activation = _get(data, "activation", str, "a string")
    if activation not in ACTIVATIONS:
        raise LessonError(f"lesson: activation: one of {', '.join(ACTIVATIONS)}")
    seed = _int(data, "seed", 0, MAX_SEED)
    weights, initial = _weights(data, "weights", cell), _weights(data, "initial", cell)
    trained = None if data.get("trained", None) is None else _weights(data, "trained", cell)
    if weights.vocab != list(dataset.vocab):
        raise LessonError("lesson: weights: their vocab is not the sentences' vocab")
    for name, w in (("initial", initial), ("trained", trained)):
        if w is not None and (w.vocab != weights.vocab or any(
                _array(w, k).shape != _array(weights, k).shape for k in _names(weights))):
            raise LessonError(f"lesson: {name}: not the shape of the weights in use")
    epochs = _int(data, "epochs", 0, 2**31)
    use_trained = _get(data, "use_trained", bool, "true or false")
    if use_trained and trained is None:
        raise LessonError("lesson: use_trained: there are no trained weights")
    lesson = Lesson(dataset, WeightSets(initial, trained, epochs), weights,
                    activation, seed, bool(use_trained))
    try:
        lesson._stepper = lesson._new_stepper()
    except (DataError, ValueError) as exc:
        raise LessonError(f"lesson: weights: do not fit the sentences ({exc})") from None
    lesson.selected = _int(data, "selected", 0, lesson.batch - 1)
    lesson._pos = _int(data, "pos", 0, lesson.cursor.last)
    lesson.batch_view = bool(_get(data, "batch_view", bool, "true or false"))
    backward = data.get("backward")
    if backward is not None:
        backward = _int(data, "backward", 0, lesson.cursor.per_step * lesson.steps + 1)
    lesson.backward = backward
    lesson.quiz = bool(_get(data, "quiz", bool, "true or false"))
    score = _get(data, "score", dict, "an object with asked and points")
    asked = _int(score, "asked", 0, 2**31)
    points = _int(score, "points", 0, 2 * asked)
    # "skipped" came later: a lesson saved without it skipped nothing that was counted
    skipped = _int(score, "skipped", 0, 2**31) if "skipped" in score else 0
    lesson.score = Score(asked, points, skipped)
    lesson.status = _status(data.get("status", {"key": "", "values": {}}))
    edited = data.get("edited")
    if edited is not None and edited != sorted(list(c) for c in lesson.edited()):
        raise LessonError("lesson: edited: the cells do not match the weights")
    return lesson
