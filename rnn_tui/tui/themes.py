"""Looks: the default dark theme and a high-contrast projector theme.

A projector washes out dark backgrounds, thin lines and dim text, so the
projector theme is black on white, with heavy borders, bold numbers and no
dimmed text. Both palettes are safe for red-green colour blindness: positive
numbers are blue, negative ones orange, and the sign is always written, so
no meaning rests on colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.theme import Theme

THEMES = ("default", "projector")

#: The Textual theme each of ours uses.
PROJECTOR = Theme(
    name="rnn-projector",
    primary="#0033aa",
    secondary="#002277",
    accent="#7a3b00",
    warning="#7a3b00",
    error="#a00000",
    success="#005500",
    foreground="#000000",
    background="#ffffff",
    surface="#ffffff",
    panel="#e6e6e6",
    dark=False,
)
TEXTUAL_THEMES = {"default": "textual-dark", "projector": PROJECTOR.name}


@dataclass(frozen=True)
class Palette:
    positive: str
    negative: str
    zero: str
    muted: str  # the style of secondary text (placeholders, hints)
    numbers: str  # extra style for every number
    key: str  # the keys in the bottom line


PALETTES = {
    "default": Palette("#5fafff", "#ffaf5f", "#8a8a8a", "dim", "", "bold #ffa62b"),
    "projector": Palette("#0033cc", "#a84300", "#000000", "", "bold", "bold #7a3b00"),
}
