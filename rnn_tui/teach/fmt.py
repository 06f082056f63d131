"""Number formatting shared by the text mode and the widgets (no Textual here).

Every number has a visible sign and a fixed number of decimals, so columns
line up and negative and positive values differ without colour.
"""

from __future__ import annotations

import numpy as np

#: What an infinite or NaN number shows as: it overflowed, it is not a result.
OVERFLOW = "overflow"


def num(value: float, precision: int = 3) -> str:
    """``+0.123`` / ``-0.123``: sign always shown, fixed decimals.

    ``-0.000`` shows as ``+0.000``; inf and NaN show as ``overflow`` (``OVERFLOW``);
    from 1e9 on, a number is written as ``+1.000e+09``.
    """
    text = f"{float(value):+.{precision}f}"
    second = text[1]
    if second == "0":
        if text[0] == "-" and float(text) == 0.0:
            text = "+" + text[1:]
    elif second in "in":  # +inf, -inf, +nan
        return OVERFLOW
    elif len(text) > precision + 11:  # |value| >= 1e9: +1.235e+09, not 300 digits
        return f"{float(value):+.{precision}e}"
    return text


def prob(value: float, precision: int = 3) -> str:
    """A value that is never negative (y, a loss): fixed decimals, no sign;
    ``overflow`` when it is infinite or NaN, as :func:`num`."""
    text = f"{float(value):.{precision}f}"
    return OVERFLOW if text[-1] in "nf" else text  # "nan", "inf": a digit otherwise


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
