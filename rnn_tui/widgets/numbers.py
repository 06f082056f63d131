"""Styled numbers: a sign always, fixed decimals, and a colour as well."""

from __future__ import annotations

import numpy as np
from rich.text import Text

from rnn_tui import fmt

#: Blue for positive, orange for negative: safe for red-green colour blindness.
#: The sign carries the meaning; colour only helps.
POSITIVE = "#5fafff"
NEGATIVE = "#ffaf5f"
ZERO = "#8a8a8a"


def style_of(value: float) -> str:
    return POSITIVE if value > 0 else NEGATIVE if value < 0 else ZERO


def num(value: float, precision: int, style: str = "") -> Text:
    text = fmt.num(value, precision)
    return Text(text, style=f"{style_of(float(text))} {style}".strip())


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
    return Text("·" * width, style="dim")


def vec_width(n: int, precision: int) -> int:
    return n * fmt.width(precision) + (n - 1) + 2
