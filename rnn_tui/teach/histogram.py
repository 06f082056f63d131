"""The class's guesses as a histogram binned around the true value (issue 18).

Plain Python (no Textual). The bins are the local quiz's grading widths
(``teach.quiz.GRADES``), each side of the truth: far below (more than 0.2
under), below (0.05 to 0.2 under), spot on (within 0.05: 2 points), above,
far above. The distance is taken in decimal, as ``quiz.grade`` takes it, so
a guess's bin always agrees with its points (0.75 for 0.7 is spot on).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from unicodedata import east_asian_width

from rnn_tui.teach.quiz import GRADES

#: The bins, lowest first: catalogue keys of their labels.
LABELS = ("cquiz.bin_far_low", "cquiz.bin_low", "cquiz.bin_on", "cquiz.bin_high",
          "cquiz.bin_far_high")
#: The spot-on and close widths (0.05 and 0.2).
NEAR, CLOSE = (Decimal(repr(limit)) for limit, _, _ in GRADES[:2])
#: The longest bar, in cells.
BAR_WIDTH = 24


def bin_of(guess: float, truth: float) -> int:
    """Which bin (0..4) ``guess`` falls in around ``truth``."""
    diff = Decimal(repr(guess)) - Decimal(repr(truth))
    if abs(diff) <= NEAR:
        return 2
    if abs(diff) <= CLOSE:
        return 1 if diff < 0 else 3
    return 0 if diff < 0 else 4


def counts(guesses: Iterable[float], truth: float) -> list[int]:
    """How many guesses fall in each bin."""
    out = [0] * len(LABELS)
    for g in guesses:
        out[bin_of(g, truth)] += 1
    return out


def bar(count: int, most: int, width: int = BAR_WIDTH) -> str:
    """A bar of ``count`` against the largest ``most``: whole cells, at least one if any."""
    if count <= 0 or most <= 0:
        return ""
    return "█" * max(1, round(width * count / most))


def width(text: str) -> int:
    """Terminal cells ``text`` takes (a Korean syllable takes two)."""
    return sum(2 if east_asian_width(c) in "WF" else 1 for c in text)


def lines(bins: Sequence[int], labels: Sequence[str], own: int | None = None,
          you: str = "◀ you", bar_width: int = BAR_WIDTH) -> list[str]:
    """One line per bin: its label, its bar, its count, and ``you`` on the bin of
    this student's own guess (``own``)."""
    most = max(bins, default=0)
    pad = max((width(label) for label in labels), default=0)
    out = []
    for i, (label, n) in enumerate(zip(labels, bins, strict=True)):
        mark = f"  {you}" if i == own else ""
        label += " " * (pad - width(label))
        out.append(f"{label} {bar(n, most, bar_width).ljust(bar_width)} {n}{mark}")
    return out
