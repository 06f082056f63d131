"""Sentences to tensors: tokens, a vocabulary, one-hot vectors, a padded batch.

Plain Python and NumPy; nothing here imports Textual or Rich.

The lesson's example (``lesson_dataset()``)::

    as   -> [1, 0]          "as as soon"  -> 0
    soon -> [0, 1]          "soon as as"  -> 0
                            "as soon as"  -> 1
    X.shape == (batch, time steps, features) == (3, 3, 2)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: The lesson's three sentences and targets, in the lesson's own order.
LESSON_SENTENCES: tuple[str, ...] = ("as as soon", "soon as as", "as soon as")
LESSON_LABELS: tuple[int, ...] = (0, 0, 1)


class DataError(ValueError):
    """Bad input data; the message is one line, fit to show a user."""


def tokenize(sentence: str) -> list[str]:
    """Split a sentence into tokens on whitespace."""
    return sentence.split()


def build_vocab(sentences: Iterable[Sequence[str] | str]) -> list[str]:
    """The vocabulary in first-seen order (the lesson's: ``as`` then ``soon``)."""
    vocab: list[str] = []
    seen: set[str] = set()
    for sentence in sentences:
        tokens = tokenize(sentence) if isinstance(sentence, str) else sentence
        for token in tokens:
            if token not in seen:
                seen.add(token)
                vocab.append(token)
    return vocab


def _index(token: str, vocab: Sequence[str]) -> int:
    try:
        return list(vocab).index(token)
    except ValueError:
        known = ", ".join(vocab) if vocab else "(empty)"
        raise DataError(f"unknown token {token!r}; the vocabulary is: {known}") from None


def one_hot(token: str, vocab: Sequence[str]) -> np.ndarray:
    """The one-hot vector of ``token``: shape (len(vocab),), float64."""
    vec = np.zeros(len(vocab), dtype=np.float64)
    vec[_index(token, vocab)] = 1.0
    return vec


def encode(
    sentences: Sequence[Sequence[str] | str], vocab: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Stack sentences into ``X`` of shape (batch, time steps, features).

    Shorter sentences are padded on the right with zero vectors. Returns
    ``(X, lengths)``, ``lengths[b]`` being sentence b's own number of tokens.
    """
    token_lists = [tokenize(s) if isinstance(s, str) else list(s) for s in sentences]
    for i, tokens in enumerate(token_lists):
        if not tokens:
            raise DataError(f"sentence {i + 1} is empty")
    lengths = np.array([len(t) for t in token_lists], dtype=np.int64)
    steps = int(lengths.max()) if len(lengths) else 0
    X = np.zeros((len(token_lists), steps, len(vocab)), dtype=np.float64)
    index = {token: i for i, token in enumerate(vocab)}
    for b, tokens in enumerate(token_lists):
        for t, token in enumerate(tokens):
            if token not in index:
                _index(token, vocab)  # raises the clear error
            X[b, t, index[token]] = 1.0
    return X, lengths


@dataclass(frozen=True)
class Dataset:
    """Labelled sentences, their vocabulary and the padded one-hot batch."""

    sentences: tuple[tuple[str, ...], ...]
    labels: np.ndarray  # (B,) int64, each 0 or 1
    vocab: tuple[str, ...]
    X: np.ndarray  # (B, T, V) float64
    lengths: np.ndarray  # (B,) int64

    @classmethod
    def from_sentences(
        cls,
        sentences: Sequence[str | Sequence[str]],
        labels: Sequence[int],
        vocab: Sequence[str] | None = None,
    ) -> Dataset:
        """Build a dataset; the vocabulary is first-seen order unless given."""
        if not sentences:
            raise DataError("no sentences: the data is empty")
        token_lists = [tokenize(s) if isinstance(s, str) else list(s) for s in sentences]
        if len(labels) != len(token_lists):
            raise DataError(f"{len(token_lists)} sentences but {len(labels)} labels")
        for i, label in enumerate(labels):
            if label not in (0, 1):
                raise DataError(f"sentence {i + 1}: label must be 0 or 1, not {label!r}")
        vocab = list(vocab) if vocab is not None else build_vocab(token_lists)
        X, lengths = encode(token_lists, vocab)
        return cls(
            sentences=tuple(tuple(t) for t in token_lists),
            labels=np.array(labels, dtype=np.int64),
            vocab=tuple(vocab),
            X=X,
            lengths=lengths,
        )

    def with_vocab(self, vocab: Sequence[str]) -> Dataset:
        """The same sentences encoded against another vocabulary (e.g. the weights')."""
        return Dataset.from_sentences(self.sentences, list(self.labels), vocab)

    @property
    def texts(self) -> list[str]:
        return [" ".join(s) for s in self.sentences]

    def __len__(self) -> int:
        return len(self.sentences)


def lesson_dataset() -> Dataset:
    """The lesson's three sentences, targets [0, 0, 1], vocabulary [as, soon]."""
    return Dataset.from_sentences(LESSON_SENTENCES, LESSON_LABELS)


def parse_data(text: str, source: str = "data") -> tuple[list[list[str]], list[int]]:
    """Parse ``label<TAB>sentence`` lines; blank lines and ``#`` comments are skipped."""
    sentences: list[list[str]] = []
    labels: list[int] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source}, line {number}"
        label_text, tab, sentence = raw.strip("\r\n").lstrip().partition("\t")
        if not tab:
            raise DataError(f"{where}: expected 'label<TAB>sentence', found no tab")
        label_text = label_text.strip()
        if label_text not in ("0", "1"):
            raise DataError(f"{where}: label must be 0 or 1, not {label_text!r}")
        tokens = tokenize(sentence)
        if not tokens:
            raise DataError(f"{where}: the sentence is empty")
        sentences.append(tokens)
        labels.append(int(label_text))
    if not sentences:
        raise DataError(f"{source}: no examples (only blank or comment lines)")
    return sentences, labels


def read_text(path: Path, error: type[ValueError], what: str) -> str:
    """The UTF-8 text of ``path``, or ``error`` with a one-line message naming the file.

    A byte order mark (Windows editors) is dropped; ``what`` names the kind of file.
    Data, weights and trace files are all read through here.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, not a {what}") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (bad byte at offset {exc.start})") from None


def load_data(path: str | Path, vocab: Sequence[str] | None = None) -> Dataset:
    """Read a data file: UTF-8, one ``label<TAB>sentence`` per line."""
    path = Path(path)
    text = read_text(path, DataError, "data file")
    sentences, labels = parse_data(text, str(path))
    try:
        return Dataset.from_sentences(sentences, labels, vocab)
    except DataError as exc:
        raise DataError(f"{path}: {exc}") from None
