"""Number formatting shared by the text mode and the widgets (no Textual here).

Every number has a visible sign and a fixed number of decimals, so columns
line up and negative and positive values differ without colour. Rounding never
lies: the sign shown is the value's, and y or a loss is never shown as exactly 0
or 1 when it is not. The app, ``--text`` and the Markdown and LaTeX exports all
format through here (CSV and JSON keep full precision: they are data).
"""

from __future__ import annotations

import numpy as np

#: What an infinite or NaN number shows as: it overflowed, it is not a result.
OVERFLOW = "overflow"


def num(value: float, precision: int = 3) -> str:
    """``+0.123`` / ``-0.123``: sign always shown, fixed decimals.

    The sign is the value's: a small negative number shows as ``-0.000`` (it is
    below zero), and only zero itself (``-0.0`` too) as ``+0.000``. inf and NaN
    show as ``overflow`` (``OVERFLOW``); from 1e9 on, a number is written as
    ``+1.000e+09``.
    """
    text = f"{float(value):+.{precision}f}"
    second = text[1]
    if second == "0":
        if text[0] == "-" and value == 0:  # -0.0: zero has no sign
            text = "+" + text[1:]
    elif second in "in":  # +inf, -inf, +nan
        return OVERFLOW
    elif len(text) > precision + 11:  # |value| >= 1e9: +1.235e+09, not 300 digits
        return f"{float(value):+.{precision}e}"
    return text


def prob(value: float, precision: int = 3) -> str:
    """A value that is never negative (y, a loss): fixed decimals, no sign;
    ``overflow`` when it is infinite or NaN, as :func:`num`.

    Never exactly 0 or 1 unless it is: what would round to ``0.000`` shows as
    ``<0.001``, to ``1.000`` as ``>0.999`` (or ``>1.000`` for a loss just above 1).
    A sigmoid never reaches 0 or 1, and a loss of ``0.000`` would claim a perfect fit.
    """
    value = float(value)
    text = f"{value:.{precision}f}"
    first = text[0]
    if first == "0" or first == "1":
        rounded = float(text)
        if rounded == 0.0 and value != 0.0:
            return f"<{10.0 ** -precision:.{precision}f}"
        if rounded == 1.0 and value != 1.0:
            below = 1.0 - 10.0 ** -precision if value < 1.0 else 1.0
            return f">{below:.{precision}f}"
        return text
    return OVERFLOW if text[-1] in "nf" else text  # "nan", "inf": a digit otherwise


#: The most decimals ``enough`` writes.
MAX_DECIMALS = 12


def enough(value: float, precision: int = 3) -> str:
    """A value in [0, ∞) (y, a loss) with enough decimals to be true: never 0 or 1
    unless it is, and then one more digit, so that a sum with it still reads true
    (``-ln(0.99987) = 0.00013``, where ``prob`` would give ``-ln(>0.999) = <0.001``).
    Beyond ``MAX_DECIMALS`` it falls back to ``prob``'s ``<``/``>`` form.
    """
    value = float(value)
    if not np.isfinite(value):
        return OVERFLOW
    def lies(digits: int) -> bool:  # written with these digits, it reads 0 or 1
        return value not in (0.0, 1.0) and float(f"{value:.{digits}f}") in (0.0, 1.0)

    digits = precision
    while digits < MAX_DECIMALS and lies(digits):
        digits += 1
    if digits > precision:
        digits = min(digits + 1, MAX_DECIMALS)
    return prob(value, MAX_DECIMALS) if lies(digits) else f"{value:.{digits}f}"


def vec(values: np.ndarray, precision: int = 3) -> str:
    """A row vector as ``[+0.100 -0.200]``."""
    flat = np.asarray(values, dtype=np.float64).reshape(-1)
    return "[" + " ".join(num(v, precision) for v in flat) + "]"


def onehot(values: np.ndarray) -> str:
    """A one-hot (or zero) vector as ``[1 0]``."""
    flat = np.asarray(values).reshape(-1)
    return "[" + " ".join(str(int(v)) for v in flat) + "]"


def shape(arr: np.ndarray | tuple[int, ...]) -> str:
    """``(3, 2)`` written tightly as ``(3,2)``."""
    dims = arr if isinstance(arr, tuple) else np.shape(arr)
    return "(" + ",".join(str(d) for d in dims) + ")"


def width(precision: int) -> int:
    """Characters one formatted number takes (for values with |v| < 10)."""
    return precision + 3


def clip(text: str, limit: int = 40, keep_end: bool = False) -> str:
    """``text`` cut to at most ``limit`` characters, with ``…`` where it was cut: at the
    end, or at the start with ``keep_end`` (a path, whose file name matters most). For a
    user's token or a file name in the one-line status message."""
    if len(text) <= limit:
        return text
    return "…" + text[len(text) - limit + 1:] if keep_end else text[:limit - 1] + "…"
