"""The class quiz's results on the server: one CSV file per class (issue 18).

Every counted answer is a row: time (UTC, when it was given), student,
question, guess, true value, error, points. After each question the whole
file is written anew beside the old one, flushed to disk, and renamed over it
(``os.replace``), so the file on disk is always whole: killing the server
between questions loses nothing, and a row is never half written.

Bounded: at most ``max_questions`` questions (later ones are not recorded,
and ``add`` says so) of at most ``max_rows`` rows each, so the file and its
copy in memory stay a few megabytes at most.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import time
from collections.abc import Sequence
from pathlib import Path

HEADER = ("time", "student", "question", "guess", "true value", "error", "points")
#: Questions recorded in one class.
MAX_QUESTIONS = 200
#: Rows (answers) recorded for one question.
MAX_ROWS = 1000
#: The default folder, in the current directory.
DEFAULT_DIR = "rnn-tui-results"


def cell(text: str) -> str:
    """A name as a CSV cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class Results:
    """One class's CSV file (made when the first question is revealed)."""

    def __init__(self, directory: str | os.PathLike, *, max_questions: int = MAX_QUESTIONS,
                 max_rows: int = MAX_ROWS) -> None:
        self.directory = Path(directory)
        self.max_questions, self.max_rows = max_questions, max_rows
        self.path: Path | None = None
        self.questions = 0
        self._data = bytearray()

    def _new_path(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        for n in range(1, 1000):
            path = self.directory / f"class-{stamp}{'' if n == 1 else f'-{n}'}.csv"
            if not path.exists():
                return path
        raise OSError(f"no free file name in {self.directory}")

    def add(self, rows: Sequence[Sequence[object]]) -> bool:
        """Record one question's rows (each as HEADER's columns); False if the class
        already recorded its limit of questions. OSError if it can't be written."""
        if self.questions >= self.max_questions:
            return False
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        if not self._data:
            w.writerow(HEADER)
        for row in rows[:self.max_rows]:
            w.writerow(row)
        data = self._data + out.getvalue().encode("utf-8")
        if self.path is None:
            self.path = self._new_path()
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        with contextlib.suppress(OSError):  # the rename itself, on disk
            dfd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        self._data = data
        self.questions += 1
        return True
