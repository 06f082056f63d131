"""Editing the lesson: new sentences, changed weights, saving both.

What the app's editors need, with no Textual here: check one entry typed by a
user, rebuild the batch (growing the vocabulary and Wxh when new tokens
appear), read a typed weight value, and write weights and sentences to files.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rnn_tui.core.data import (
    DataError,
    Dataset,
    atomic_write_text,
    build_vocab,
    size_error,
    tokenize,
)
from rnn_tui.core.model import Weights
from rnn_tui.core.stepper import Output, Stepper
from rnn_tui.teach.i18n import tr

if TYPE_CHECKING:
    from rnn_tui.core.cells import GatedWeights

#: The weights an editor can change, in the order of the equations.
#: How much + and - change a weight.
NUDGE = 0.1


def check_entry(sentence: str, label: str) -> tuple[tuple[str, ...], int]:
    """A typed sentence and label as (tokens, 0 or 1), or a one-line DataError."""
    tokens = tuple(tokenize(sentence))
    if not tokens:
        raise DataError(tr("edit.empty_sentence"))
    label = label.strip()
    if label not in ("0", "1"):
        raise DataError(tr("edit.bad_label", label=repr(label)) if label
                        else tr("edit.empty_label"))
    return tokens, int(label)


@dataclass(frozen=True)
class Rebatched:
    """A new batch, the weights it needs, and the tokens that grew the vocabulary."""

    dataset: Dataset
    weights: Weights
    new_tokens: tuple[str, ...]

    def notice(self) -> str:
        """One line for the user, or "" when the vocabulary did not change."""
        if not self.new_tokens:
            return ""
        words = ", ".join(repr(t) for t in self.new_tokens)
        key = "edit.new_tokens" if len(self.new_tokens) > 1 else "edit.new_token"
        return tr(key, words=words, size=self.weights.vocab_size,
                  shape=self.weights.Wxh.shape)


def rebatch(
    sentences: Sequence[Sequence[str]], labels: Sequence[int], weights: Weights, seed: int = 0
) -> Rebatched:
    """The batch of ``sentences``; unknown tokens extend the vocabulary and Wxh.

    The vocabulary keeps the weights' order, new tokens follow in first-seen
    order; ``Weights.extend_vocab`` draws their rows. Raises DataError for an
    empty batch, an empty sentence, a label other than 0 or 1, or a batch over
    the limits of ``rnn_tui.core.data`` (sentences, tokens, vocabulary, size).
    """
    known = set(weights.vocab)
    new = tuple(t for t in build_vocab(sentences) if t not in known)
    grown = weights.extend_vocab(new, seed) if new else weights.copy()
    dataset = Dataset.from_sentences([list(s) for s in sentences], list(labels), grown.vocab)
    B, T, V = dataset.X.shape
    too_big = size_error(B, T, V, grown.hidden)  # what a Stepper would refuse
    if too_big:
        raise DataError(too_big)
    return Rebatched(dataset, grown, new)


#: The largest weight that can be typed, in absolute value: beyond it every sum
#: and h prints as a long number and the layout breaks (1e308 is finite).
MAX_TYPED = 1e6


def parse_value(text: str) -> float:
    """A typed weight as a float; ValueError with a one-line message otherwise.

    Fullwidth digits and signs (a Korean input method's) are read as ASCII; the
    value must be finite and at most ``MAX_TYPED`` in absolute value.
    """
    cleaned = unicodedata.normalize("NFKC", text).strip().replace("−", "-")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(tr("edit.not_a_number", text=repr(text.strip()))) from None
    if not math.isfinite(value):
        raise ValueError(tr("edit.not_finite"))
    if abs(value) > MAX_TYPED:
        raise ValueError(tr("edit.too_big", limit=f"{MAX_TYPED:,.0f}"))
    return value


def outputs(dataset: Dataset, weights: Weights, activation: str = "tanh") -> Output:
    """The engine's output (z, y, prediction, loss) for the whole batch."""
    stepper = Stepper(weights, dataset.X, dataset.lengths, dataset.labels,
                      vocab=list(dataset.vocab), activation=activation)
    return stepper.run()


def format_data(dataset: Dataset) -> str:
    """The sentences as a data file (``label<TAB>sentence`` lines), ``load_data`` reads it."""
    lines = ["# rnn-tui sentences: label<TAB>sentence"]
    pairs = zip(dataset.labels, dataset.texts, strict=True)
    lines += [f"{int(label)}\t{text}" for label, text in pairs]
    return "\n".join(lines) + "\n"


def data_path(weights_path: str | Path) -> Path:
    """Where the sentences go beside a weights file: the same name ending in .tsv."""
    path = Path(weights_path)
    return path.with_suffix(".tsv") if path.suffix != ".tsv" else path.with_suffix(".data.tsv")


def save_session(path: str | Path, weights: Weights | GatedWeights,
                 dataset: Dataset) -> tuple[Path, Path]:
    """Write the weights (JSON) to ``path`` and the sentences beside it, each atomically.

    Both carry one random save id (the JSON's ``"save"``, the data file's
    ``# saved with`` line), so a pair from two different saves (a save killed
    between the files) is refused when loaded (``training.check_saved_pair``).
    The sentences are written first, the weights last. Returns both paths.
    Errors are OSError.
    """
    import secrets

    from rnn_tui.core.data import SAVE_LINE, check_target, printable

    path = Path(path)
    beside = data_path(path)
    check_target(path)  # refuse a link or a device before writing either file
    check_target(beside)
    save = secrets.token_hex(8)
    first, _, rest = format_data(dataset).partition("\n")
    mark = SAVE_LINE.format(weights=printable(path.name, 100), id=save)
    atomic_write_text(beside, f"{first}\n{mark}\n{rest}")
    atomic_write_text(path, json.dumps({"save": save, **weights.to_dict()}, indent=1) + "\n")
    return path, beside
