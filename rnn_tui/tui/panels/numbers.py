"""Styled numbers: a sign always, fixed decimals, and a colour as well."""

from __future__ import annotations

import numpy as np
from rich.text import Text

from rnn_tui.teach import fmt
from rnn_tui.tui.themes import PALETTES, Palette

#: Blue for positive, orange for negative: safe for red-green colour blindness.
#: The sign carries the meaning; colour only helps. See rnn_tui.tui.themes.
_palette: Palette = PALETTES["default"]


#: At most this many entries of a vector (or rows of a matrix) are written out;
#: the rest are elided with "…". 0 writes everything. The app sets it from the
#: terminal's width: wide layers don't fit 80 columns.
_limit = 0


def set_limit(count: int) -> None:
    global _limit
    _limit = count


def limit() -> int:
    return _limit


def shown(count: int, must: int | None = None) -> list[int | None]:
    """Which of ``count`` entries to write, None standing for "…"; ``must`` is always kept."""
    if not _limit or count <= _limit:
        return list(range(count))
    keep = set(range(_limit - 2)) | {count - 1}
    if must is not None:
        keep.add(must)
    out: list[int | None] = []
    for i in sorted(keep):
        if out and out[-1] is not None and i != out[-1] + 1:
            out.append(None)
        out.append(i)
    return out


def most_shown(count: int) -> int:
    """The most lines ``shown(count, must)`` takes for any ``must`` (a row kept out of
    the ones written anyway costs a line and another "…"): a part that writes a
    picked row is this tall at its tallest."""
    if not _limit or count <= _limit:
        return count
    gap = (_limit - 2 + count - 1) // 2  # between the first ones and the last one
    return max(len(shown(count, must)) for must in (None, _limit - 2, gap, count - 2))


def set_palette(theme: str) -> None:
    global _palette
    _palette = PALETTES[theme]


def palette_key() -> int:
    """Which palette is in use (caches of coloured numbers compare it)."""
    return id(_palette)


def muted() -> str:
    """The style of secondary text: dim on screen, plain on a projector."""
    return _palette.muted


def key_style() -> str:
    return _palette.key


def style_of(value: float) -> str:
    p = _palette
    return p.positive if value > 0 else p.negative if value < 0 else p.zero


#: The style of fmt.OVERFLOW: reversed, so it reads as a warning, not a number.
OVERFLOW_STYLE = "bold reverse"


def _style_of_text(text: str, value: float) -> str:
    """The colour of a number by the value's sign (``-0.000`` is negative), or the
    overflow marker's style."""
    if text == fmt.OVERFLOW:
        return OVERFLOW_STYLE
    return style_of(value)


def num(value: float, precision: int, style: str = "") -> Text:
    text = fmt.num(value, precision)
    return Text(text, style=f"{_style_of_text(text, value)} {_palette.numbers} {style}".strip())


def vec(values: np.ndarray, precision: int, style: str = "", marked=()) -> Text:
    """``[+0.100 -0.200]`` with each entry coloured by sign.

    Each entry carries its neighbouring bracket or space in its own colour, so
    a vector is one styled run per entry: every run costs a full set of escape
    codes on the wire, and a step sends many vectors. Entries in ``marked``
    (edited by hand) are underlined: a mark that needs no colour.
    """
    out = Text()
    flat = np.asarray(values, dtype=np.float64).reshape(-1)
    entries = shown(len(flat))
    for k, i in enumerate(entries):
        lead = "[" if k == 0 else ""
        trail = "]" if k == len(entries) - 1 else " "
        if i is None:
            out.append(f"{lead}…{trail}", style=style)
            continue
        value = flat[i]
        text = fmt.num(value, precision)
        extra = " underline" if i in marked else ""
        colour = f"{_style_of_text(text, value)} {_palette.numbers} {style}{extra}".strip()
        out.append(f"{lead}{text}{trail}", style=colour)
    return out


def onehot(values: np.ndarray, style: str = "") -> Text:
    return Text(fmt.onehot(values), style=style)


def hidden_text(width: int) -> Text:
    """A placeholder for a value not revealed yet."""
    return Text("·" * width, style=muted())


def vec_width(n: int, precision: int) -> int:
    """Cells that ``vec`` of n entries takes."""
    entries = shown(n)
    numbers = sum(1 for i in entries if i is not None)
    gaps = len(entries) - numbers
    return numbers * fmt.width(precision) + gaps + (len(entries) - 1) + 2
