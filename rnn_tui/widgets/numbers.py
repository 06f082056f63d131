"""Styled numbers: a sign always, fixed decimals, and a colour as well."""

from __future__ import annotations

import numpy as np
from rich.text import Text

from rnn_tui import fmt
from rnn_tui.themes import PALETTES, Palette

#: Blue for positive, orange for negative: safe for red-green colour blindness.
#: The sign carries the meaning; colour only helps. See rnn_tui.themes.
_palette: Palette = PALETTES["default"]


def set_palette(theme: str) -> None:
    global _palette
    _palette = PALETTES[theme]


def muted() -> str:
    """The style of secondary text: dim on screen, plain on a projector."""
    return _palette.muted


def style_of(value: float) -> str:
    p = _palette
    return p.positive if value > 0 else p.negative if value < 0 else p.zero


def num(value: float, precision: int, style: str = "") -> Text:
    text = fmt.num(value, precision)
    return Text(text, style=f"{style_of(float(text))} {_palette.numbers} {style}".strip())


def vec(values: np.ndarray, precision: int, style: str = "") -> Text:
    """``[+0.100 -0.200]`` with each entry coloured by sign."""
    out = Text("[", style=style)
    flat = np.asarray(values, dtype=np.float64).reshape(-1)
    for i, v in enumerate(flat):
        if i:
            out.append(" ", style=style)
        out.append_text(num(v, precision, style))
    out.append("]", style=style)
    return out


def onehot(values: np.ndarray, style: str = "") -> Text:
    return Text(fmt.onehot(values), style=style)


def hidden_text(width: int) -> Text:
    """A placeholder for a value not revealed yet."""
    return Text("·" * width, style=muted())


def vec_width(n: int, precision: int) -> int:
    return n * fmt.width(precision) + (n - 1) + 2
