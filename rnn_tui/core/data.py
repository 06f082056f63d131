"""Sentences to tensors: tokens, a vocabulary, one-hot vectors, a padded batch.

Plain Python and NumPy; nothing here imports Textual or Rich.

The lesson's example (``lesson_dataset()``)::

    as   -> [1, 0]          "as as soon"  -> 0
    soon -> [0, 1]          "soon as as"  -> 0
                            "as soon as"  -> 1
    X.shape == (batch, time steps, features) == (3, 3, 2)
"""

from __future__ import annotations

import errno
import io
import os
import reprlib
import stat
import tempfile
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: The lesson's three sentences and targets, in the lesson's own order.
LESSON_SENTENCES: tuple[str, ...] = ("as as soon", "soon as as", "as soon as")
LESSON_LABELS: tuple[int, ...] = (0, 0, 1)


class DataError(ValueError):
    """Bad input data; the message is one line, fit to show a user."""


# --- limits --------------------------------------------------------------------
# A lesson has a handful of sentences; a big class exercise a few hundred. These
# are far above that, and keep the arrays small: every array the engine, the
# trainer and the export make is at most some B·T·(V + 8H) float64 numbers.

#: Bytes in a trace file (the JSON trace of the largest export, ``MAX_EXPORT_NUMBERS``
#: numbers, is at most some 12 MB).
MAX_FILE_BYTES = 16 * 1024 * 1024
#: Bytes in a data or weights file (the largest weights, 1000 × 64, take under 2 MB;
#: 1000 sentences of 100 tokens well under 4 MB).
MAX_INPUT_BYTES = 4 * 1024 * 1024
#: Sentences in a batch.
MAX_SENTENCES = 1000
#: Tokens in one sentence (time steps).
MAX_TOKENS = 100
#: Distinct tokens (the one-hot width V).
MAX_VOCAB = 1000
#: Hidden nodes H (as the command line's --hidden).
MAX_HIDDEN = 64
#: Numbers B·T·(V + 8H) one forward pass keeps (16 MB of float64).
MAX_NUMBERS = 2_000_000
#: Numbers in an export (CSV: one row each, ~260 bytes of Python while it is built).
MAX_EXPORT_NUMBERS = 500_000


def size_error(B: int, T: int, V: int, H: int = 0) -> str | None:
    """Why a batch of B sentences, T steps, V tokens and H hidden nodes is too big, or None."""
    numbers = B * T * (V + 8 * H)
    if numbers <= MAX_NUMBERS:
        return None
    return (f"too big: {B} sentences × {T} steps × ({V} tokens + 8 × {H} hidden) = "
            f"{numbers:,} numbers, more than the limit of {MAX_NUMBERS:,}")


# --- text fit to show ----------------------------------------------------------


def printable(text: str, limit: int = 300) -> str:
    """``text`` safe for a terminal, on one line: non-printable characters escaped as
    ``repr`` does (``\\x1b``, ``\\r``, ``\\n``), and at most ``limit`` characters, the
    rest replaced by ``… (N more characters)``."""
    if len(text) <= limit and text.isprintable():
        return text
    out: list[str] = []
    size = 0
    for used, ch in enumerate(text):
        piece = ch if ch.isprintable() else repr(ch)[1:-1]
        if size + len(piece) > limit:
            return "".join(out) + f"… ({len(text) - used:,} more characters)"
        out.append(piece)
        size += len(piece)
    return "".join(out)


_brief = reprlib.Repr()
_brief.maxlevel, _brief.maxlist, _brief.maxdict = 2, 6, 4
_brief.maxstring, _brief.maxother, _brief.maxlong = 60, 60, 40


def brief(value: object) -> str:
    """A short ``repr`` of a user's value for a message: long strings, lists and numbers cut."""
    return printable(_brief.repr(value), 120)


def some(tokens: Sequence[str], count: int = 12) -> str:
    """``as, soon``: the first ``count`` tokens (escaped, cut), then ``… (N more)``."""
    if not tokens:
        return "(empty)"
    shown = ", ".join(printable(t, 40) for t in tokens[:count])
    return shown + (f", … ({len(tokens) - count:,} more)" if len(tokens) > count else "")


def control_character(token: str) -> str | None:
    """The first control character (ESC, CR, NUL …) in ``token``, or None."""
    if token.isprintable():
        return None
    for ch in token:
        if unicodedata.category(ch) == "Cc":
            return ch
    return None


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
        raise DataError(f"unknown token {brief(token)}; the vocabulary is: "
                        f"{some(list(vocab))}") from None


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
    too_big = size_error(len(token_lists), steps, len(vocab))
    if too_big:  # checked before the (B, T, V) array is made
        raise DataError(too_big)
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
                raise DataError(f"sentence {i + 1}: label must be 0 or 1, not {brief(label)}")
        check_sizes(token_lists)
        vocab = list(vocab) if vocab is not None else build_vocab(token_lists)
        if len(vocab) > MAX_VOCAB:
            raise DataError(f"{len(vocab):,} distinct tokens, more than the limit of "
                            f"{MAX_VOCAB:,}")
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


def check_sizes(token_lists: Sequence[Sequence[str]]) -> None:
    """DataError when there are too many sentences, a sentence is too long, or a token
    has a control character."""
    if len(token_lists) > MAX_SENTENCES:
        raise DataError(f"{len(token_lists):,} sentences, more than the limit of "
                        f"{MAX_SENTENCES:,}")
    for i, tokens in enumerate(token_lists):
        check_tokens(tokens, f"sentence {i + 1}")


def check_tokens(tokens: Sequence[str], where: str) -> None:
    """DataError (its message starting with ``where``) when a sentence is too long
    or one of its tokens has a control character."""
    if len(tokens) > MAX_TOKENS:
        raise DataError(f"{where}: {len(tokens):,} tokens, more than the limit of "
                        f"{MAX_TOKENS}")
    for token in tokens:
        ch = control_character(token)
        if ch is not None:
            raise DataError(f"{where}: the token {brief(token)} has a control "
                            f"character ({printable(ch)})")


def lesson_dataset() -> Dataset:
    """The lesson's three sentences, targets [0, 0, 1], vocabulary [as, soon]."""
    return Dataset.from_sentences(LESSON_SENTENCES, LESSON_LABELS)


def parse_data(text: str, source: str = "data") -> tuple[list[list[str]], list[int]]:
    """Parse ``label<TAB>sentence`` lines; blank lines and ``#`` comments are skipped."""
    sentences: list[list[str]] = []
    labels: list[int] = []
    # Line by line (universal newlines), not splitlines(): a file of blank lines
    # never becomes a list of millions of strings.
    for number, raw in enumerate(io.StringIO(text, newline=None), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source}, line {number}"
        label_text, tab, sentence = raw.strip("\r\n").lstrip().partition("\t")
        if not tab:
            raise DataError(f"{where}: expected 'label<TAB>sentence', found no tab")
        label_text = label_text.strip()
        if label_text not in ("0", "1"):
            raise DataError(f"{where}: label must be 0 or 1, not {brief(label_text)}")
        tokens = tokenize(sentence)
        if not tokens:
            raise DataError(f"{where}: the sentence is empty")
        check_tokens(tokens, where)
        if len(sentences) == MAX_SENTENCES:
            raise DataError(f"{where}: more than {MAX_SENTENCES:,} sentences (the limit)")
        sentences.append(tokens)
        labels.append(int(label_text))
    if not sentences:
        raise DataError(f"{source}: no examples (only blank or comment lines)")
    return sentences, labels


def _kind(mode: int) -> str:
    """What a file that is not a regular file is, for a message."""
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a pipe (FIFO)"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return name
    return "not a regular file"


def read_text(path: Path, error: type[ValueError], what: str,
              limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of ``path``, or ``error`` with a one-line message naming the file.

    A byte order mark (Windows editors) is dropped; ``what`` names the kind of file.
    Data, weights and trace files are all read through here. Only regular files
    are read (not a device such as /dev/zero, nor a pipe, which could give bytes
    forever or block), and at most ``limit`` bytes: a bigger file is an error.
    """
    name = printable(str(path), 200)
    try:
        # O_NONBLOCK: opening a FIFO with no writer must not wait; a regular file ignores it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error(f"{name}: no such file") from None
    except IsADirectoryError:
        raise error(f"{name}: is a directory, not a {what}") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        reason = getattr(exc, "strerror", None) or str(exc)
        raise error(f"{name}: cannot read ({printable(reason, 100)})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{name}: is {_kind(info.st_mode)}, not a {what}")
        if info.st_size > limit:
            raise error(f"{name}: too big for a {what} ({info.st_size:,} bytes; "
                        f"the limit is {limit:,})")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:  # the file may grow while we read: never more than limit + 1
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise error(f"{name}: too big for a {what} (more than {limit:,} bytes)")
    except OSError as exc:
        raise error(f"{name}: cannot read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{name}: not UTF-8 text (bad byte at offset {exc.start})") from None


# --- writing files -------------------------------------------------------------

#: Our temporary files are ``.NAME.rnn-tui-PID-RANDOM.tmp`` beside the file they become.
TMP_TAG = ".rnn-tui-"
TMP_SUFFIX = ".tmp"
#: A temporary file of ours older than this is stale even if its process id is alive again.
STALE_SECONDS = 3600
#: How many entries of a folder are looked at for stale temporaries (a huge folder: some).
SCAN_LIMIT = 10_000


class NotRegularFile(OSError):
    """A file we won't replace: a link, a device, a pipe. ``strerror`` says which."""


def check_target(path: Path) -> None:
    """OSError unless ``path`` is a regular file or does not exist.

    A symbolic link is refused (not followed, not replaced): say the file itself.
    A device (/dev/null, /dev/full), a pipe or a directory is never replaced.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        try:
            target = printable(os.readlink(path), 200)
        except OSError:
            target = "?"
        raise NotRegularFile(
            errno.EINVAL, f"is a symbolic link (to {target}); give the file itself, not the link")
    if not stat.S_ISREG(info.st_mode):
        raise NotRegularFile(errno.EINVAL, f"is {_kind(info.st_mode)}, not a regular file; "
                             "only regular files are written")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists
        return True
    return True


def remove_stale_temporaries(path: Path) -> int:
    """Delete our temporary files for ``path`` left by a process that was killed.

    Only regular files named ``.NAME.rnn-tui-PID-….tmp`` whose process is gone
    (or that are older than an hour) are removed. Returns how many.
    """
    folder = path.parent if str(path.parent) else Path(".")
    prefix = f".{path.name}{TMP_TAG}"
    removed = 0
    try:
        with os.scandir(folder) as entries:
            for count, entry in enumerate(entries):
                if count >= SCAN_LIMIT:
                    break
                name = entry.name
                if not (name.startswith(prefix) and name.endswith(TMP_SUFFIX)):
                    continue
                pid_text = name[len(prefix):].partition("-")[0]
                if not pid_text.isdigit():
                    continue
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if not stat.S_ISREG(info.st_mode):
                    continue
                pid = int(pid_text)
                old = time.time() - info.st_mtime > STALE_SECONDS
                if pid == os.getpid() and not old:
                    continue  # perhaps a write of ours in another thread
                if old or not _process_alive(pid):
                    try:
                        os.unlink(os.path.join(folder, name))
                        removed += 1
                    except OSError:
                        pass
    except OSError:
        pass
    return removed


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` so that ``path`` is either the old or the new file.

    The one way rnn-tui writes a file. A temporary file in the same folder
    (``.NAME.rnn-tui-PID-RANDOM.tmp``) is written, flushed, fsynced and renamed
    over ``path``; stale temporaries of ours for ``path`` (from a killed process)
    are removed first. Only a regular file or a new name is written: a symbolic
    link, a device, a pipe or a directory is refused (OSError), never replaced.
    An existing file keeps its permission bits; a new one gets the usual ones
    (0666 less the umask), not mkstemp's 0600. Errors are OSError.
    """
    path = Path(path)
    check_target(path)
    folder = path.parent if str(path.parent) else Path(".")
    remove_stale_temporaries(path)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{TMP_TAG}{os.getpid()}-",
                               suffix=TMP_SUFFIX, dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        check_target(path)  # again, just before: it may have become a link meanwhile
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:  # the rename itself survives a power cut once the folder is synced
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


# --- weights and sentences saved together (key s) -------------------------------

#: The comment line a saved .tsv carries: ``# saved with NAME.json, save 0123abcd…``.
SAVE_LINE = "# saved with {weights}, save {id}"


def save_id(text: str) -> tuple[str, str] | None:
    """(weights file name, save id) from a data file's ``SAVE_LINE`` comment, or None."""
    for line in text.splitlines()[:5]:
        if not line.startswith("#"):
            break
        head, sep, tail = line.rpartition(", save ")
        if sep and head.startswith("# saved with ") and tail.strip().isalnum():
            return head[len("# saved with "):], tail.strip()
    return None


def load_data(path: str | Path, vocab: Sequence[str] | None = None) -> Dataset:
    """Read a data file: UTF-8, one ``label<TAB>sentence`` per line."""
    path = Path(path)
    text = read_text(path, DataError, "data file", MAX_INPUT_BYTES)
    name = printable(str(path), 200)
    sentences, labels = parse_data(text, name)
    try:
        return Dataset.from_sentences(sentences, labels, vocab)
    except DataError as exc:
        raise DataError(f"{name}: {exc}") from None
