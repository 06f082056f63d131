"""Fewer bytes to the terminal: the same frames, without redundant colour codes.

Textual writes every run of styled text as ``ESC[<whole style>m text ESC[0m``.
A row of coloured numbers is a dozen runs, so most of what a step sends over
SSH is colour codes repeating the panel's background and resetting it. This
module rewrites such output so that a run that directly follows another says
only what changes (``ESC[38;5;75m`` rather than ``ESC[0m ESC[38;5;75;48;5;233m``).
The screen the terminal ends up showing is the same cell for cell (tests
replay both streams in a terminal emulator and compare).

Only Select Graphic Rendition sequences are touched, and only between two runs
of text with nothing in between but line ends and cursor moves (they paint
nothing: Textual writes a line end only between two lines of an update, never
where it would scroll). Anything it does not understand (an unknown code, a
style added to a style) is passed on unchanged, and a write always ends with
every style reset, as Textual's do.

Pure text in, text out: no Textual, no Rich, nothing else of rnn_tui. The
driver that puts it between Textual and the terminal is rnn_tui/tui/driver.py.
"""

from __future__ import annotations

import re
from functools import lru_cache

_SGR = re.compile(r"\x1b\[([0-9;]*)m")
#: what paints nothing, so a reset can wait across it: line ends and cursor moves
_MOVES = re.compile(r"(?:\r|\n|\x1b\[[0-9]*(?:;[0-9]*)?H)+")
RESET = "\x1b[0m"

#: attributes Textual (Rich) switches on: bold, dim, italic, underline, blink,
#: rapid blink, reverse, conceal, strike, double underline, frame, encircle, overline
_ATTRIBUTES = frozenset({"1", "2", "3", "4", "5", "6", "7", "8", "9", "21", "51", "52", "53"})
#: the code that switches each attribute off (ECMA-48, as old as VT220 for most)
_OFF = {"1": "22", "2": "22", "3": "23", "4": "24", "21": "24", "5": "25", "6": "25",
        "7": "27", "8": "28", "9": "29", "51": "54", "52": "54", "53": "55"}
#: attributes that paint a space: with none of these, a space's foreground is not seen
PAINT_SPACES = frozenset({"4", "7", "8", "9", "21", "53"})

Style = tuple[frozenset[str], str | None, str | None]  # attributes, foreground, background
PLAIN: Style = (frozenset(), None, None)


def _colour(codes: list[str], i: int) -> tuple[str, int] | None:
    """The colour starting at ``codes[i]`` and the index after it, or None."""
    code = codes[i]
    if code in ("38", "48"):
        size = {"5": 3, "2": 5}.get(codes[i + 1] if i + 1 < len(codes) else "")
        if size is None or i + size > len(codes):
            return None
        return ";".join(codes[i:i + size]), i + size
    return code, i + 1


@lru_cache(maxsize=4096)  # a screen has a few dozen styles, met over and over
def apply_sgr(style: Style | None, params: str) -> Style | None:
    """The style after ``ESC[<params>m`` on top of ``style``.

    None if ``style`` is not known (and not reset first), or for a code we don't know."""
    codes = params.split(";")
    attributes = set(style[0]) if style else set()
    fg, bg = (style[1], style[2]) if style else (None, None)
    known = style is not None
    i = 0
    while i < len(codes):
        code = codes[i]
        if code in ("", "0"):
            attributes, fg, bg, known = set(), None, None, True
            i += 1
            continue
        if not known or not code.isdigit():
            return None
        n = int(code)
        if code in _ATTRIBUTES:  # switched on
            attributes.add(code)
            i += 1
        elif code in _OFF.values():  # switched off
            attributes -= {a for a, off in _OFF.items() if off == code}
            i += 1
        elif n == 38 or 30 <= n <= 37 or 90 <= n <= 97 or n == 39:
            found = _colour(codes, i)
            if found is None:
                return None
            fg, i = found
            fg = None if fg == "39" else fg  # the terminal's own: as after a reset
        elif n == 48 or 40 <= n <= 47 or 100 <= n <= 107 or n == 49:
            found = _colour(codes, i)
            if found is None:
                return None
            bg, i = found
            bg = None if bg == "49" else bg
        else:
            return None
    return frozenset(attributes), fg, bg


def parse(params: str) -> Style | None:
    """The style an SGR sets from a reset state, or None if it has a code we don't know."""
    return apply_sgr(PLAIN, params)


@lru_cache(maxsize=4096)
def transition(now: Style, new: Style, spaces_only: bool) -> tuple[str, Style]:
    """The SGR that turns style ``now`` into ``new``, and the style it leaves.

    A run of spaces (up to a reset) with nothing that paints a space keeps the
    foreground it finds: it cannot be seen."""
    attributes, fg, bg = new
    unseen = spaces_only and not attributes & PAINT_SPACES
    # from a reset: the whole style
    fresh_fg = None if unseen else fg
    fresh = RESET + _sgr(sorted(attributes) + [c for c in (fresh_fg, bg) if c])
    # or only the changes; attributes are switched off by their own codes (22
    # ends bold and dim together: what such a code ends that should stay is
    # switched on again)
    off = sorted({_OFF[a] for a in now[0] - attributes})
    kept = {a for a in now[0] if _OFF[a] not in off}
    if unseen:
        fg = now[1]
    codes = off + sorted(attributes - kept)
    if fg != now[1]:
        codes.append(fg or "39")
    if bg != now[2]:
        codes.append(bg or "49")
    change = _sgr(codes)
    if len(fresh) < len(change):
        return fresh, (attributes, fresh_fg, bg)
    return change, (attributes, fg, bg)


def _sgr(codes: list[str]) -> str:
    return f"\x1b[{';'.join(codes)}m" if codes else ""


def compact(data: str) -> str:
    """``data`` with the same effect on the terminal and fewer colour codes."""
    if RESET not in data:
        return data
    out: list[str] = []
    now: Style | None = PLAIN  # None: not known (a style we passed on as it was)
    reset_due = False  # a reset was read and not yet written
    position = 0
    for match in _SGR.finditer(data):
        text = data[position:match.start()]
        position = match.end()
        if text:
            if reset_due and not _MOVES.fullmatch(text):
                out.append(RESET)
                now, reset_due = PLAIN, False
            out.append(text)
        params = match.group(1)
        if params in ("", "0"):
            reset_due = True
            continue
        if reset_due and now is None:  # from an unknown style: start clean
            out.append(RESET)
            now, reset_due = PLAIN, False
        new = parse(params)
        if new is None or (now != PLAIN and not reset_due):
            # a code we don't know, or added to the style in force: pass it on
            if reset_due:
                out.append(RESET)
                reset_due = False
            out.append(match.group(0))
            now = None
            continue
        # spaces and then a reset: their foreground is never seen
        end = data.find(RESET, position)
        spaces = end > position and not data[position:end].strip(" ")
        sgr, now = transition(now, new, spaces)
        reset_due = False
        out.append(sgr)
    text = data[position:]
    if text:
        if reset_due:
            out.append(RESET)
            now, reset_due = PLAIN, False
        out.append(text)
    if reset_due:
        out.append(RESET)
    return "".join(out)
