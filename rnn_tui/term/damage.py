"""Only the cells that changed: what the terminal shows, and writes cut down to the difference.

Textual repaints the changed lines of a widget whole. When a student steps,
the line ``t = 1/3  sub-step 4/4: tanh`` becomes ``t = 2/3  sub-step 4/4: tanh``
and all of it is sent again, one character differing. :class:`Terminal` keeps
a copy of the screen as the terminal has it, cell by cell (character, colours,
attributes), reads what Textual writes, and writes only the cells that differ,
with a cursor move to each run of them. This is what curses has done since the
1980s for slow lines.

What it trusts, and what it does when the trust would be misplaced:

- It understands cursor moves (CUP), colours and attributes (SGR), text, and
  carriage return and line feed (Textual writes a line feed only between two
  lines of an update, never where it would scroll; one on the last row gives
  up). Modes and queries that paint nothing (the cursor's visibility,
  synchronised output, mouse and focus reporting, bracketed paste, the pointer
  shape, the title) are passed on where they were. **Anything else** (clearing
  the screen, the alternate screen, a code it does not know) makes it give up:
  the write goes out as Textual made it (only with :func:`wire.compact`), and
  every cell is forgotten, so what comes next is written whole until it is known
  again.
- The screen's size is given with every write; when it changes, every cell is
  forgotten (a resized terminal may have moved or cleared what it had).
- Nothing else may write to the terminal. If something does (a ``wall``
  message, say), :meth:`Terminal.forget` and a full repaint put it right,
  colours it left on included: the app binds that to Ctrl+L, as curses
  programs do.
- Writes come whole and one at a time: the driver holds a lock around each
  (its input thread writes too), and on Windows, where Textual cuts a write
  into pieces that may split an escape code, the app does not use this.

Wide characters take two cells (the second holds ``""``); a run of cells to
write never starts or ends inside one. A space's foreground is not compared
when nothing paints it (no underline, reverse, conceal, strike or overline),
as in :mod:`wire`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import groupby
from operator import ne, or_

from rich.cells import split_graphemes

from rnn_tui.term.wire import _PAINT_SPACES, _PLAIN, RESET, Style, _transition, apply_sgr, compact

_TOKENS = re.compile(
    r"(?P<sgr>\x1b\[([0-9;]*)m)"
    r"|(?P<cup>\x1b\[([0-9]*)(?:;([0-9]*))?H)"
    r"|(?P<text>[^\x00-\x1f\x7f-\x9f]+)"
    r"|(?P<cr>\r)|(?P<lf>\n)"
    r"|(?P<other>\x1b\[[0-?]*[ -/]*[@-~]"  # any other control sequence,
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # operating system command,
    r"|\x1b.?|[\x00-\x1f\x7f-\x9f])",  # escape, or control character
    re.DOTALL,
)
#: what paints nothing and leaves the screen as it is: passed on where it was
_HARMLESS = re.compile(
    r"\x1b\[\?(?:25|1000|1002|1003|1004|1005|1006|1015|1016|2004|2026|2048)[hl]"  # modes
    r"|\x1b\[\?[0-9]+\$p"  # asking whether a mode is there
    r"|\x1b\[[<>=][0-9;]*u"  # the kitty keyboard protocol
    r"|\x1b\](?:0|1|2|22);[^\x07\x1b]*(?:\x07|\x1b\\)"  # the title, the pointer's shape
)

_NO_ATTRIBUTES: frozenset[str] = frozenset()
#: runs of changed cells in a row's mask
_CHANGED = re.compile(b"\x01+")


class GiveUp(Exception):
    """What was written is more than this model follows."""


@lru_cache(maxsize=1024)
def _space_style(style: Style) -> Style:
    """How a space in ``style`` looks: only its background, unless something paints it."""
    if style[0] & _PAINT_SPACES:
        return style
    return (_NO_ATTRIBUTES, None, style[2])


@lru_cache(maxsize=4096)
def _cells(text: str) -> tuple[str, ...] | None:
    """``text`` as the cells it fills ("" for the second half of a wide one), or None."""
    if text.isascii():
        return tuple(text)
    spans, _ = split_graphemes(text)
    cells: list[str] = []
    for start, end, width in spans:
        if width == 1:
            cells.append(text[start:end])
        elif width == 2:
            cells += (text[start:end], "")
        else:  # a lone combining mark, or something wider still
            return None
    return tuple(cells)


def _cup(x: int, y: int) -> str:
    return f"\x1b[{y + 1}H" if x == 0 else f"\x1b[{y + 1};{x + 1}H"


class Terminal:
    """The screen as the terminal shows it, and :meth:`rewrite` to write only what changes."""

    def __init__(self) -> None:
        self.size: tuple[int, int] = (0, 0)
        self.chars: list[list[str | None]] = []  # None: not known
        self.styles: list[list[Style | None]] = []
        self.their_style: Style | None = None  # the style Textual's writes left in force
        self.forget()

    def forget(self, size: tuple[int, int] | None = None) -> None:
        """Know nothing of what the terminal shows, where its cursor is or which
        colours are in force (something else may have written), and set its size."""
        if size is not None:
            self.size = size
        width, height = self.size
        self.chars = [[None] * width for _ in range(height)]
        self.styles = [[None] * width for _ in range(height)]
        self.cursor: tuple[int, int] | None = None  # where the terminal's cursor is
        self.style: Style | None = None  # the terminal's colours and attributes in force
        self.their_cursor: tuple[int, int] | None = None  # where Textual's writes left it

    def rewrite(self, data: str, size: tuple[int, int]) -> str:
        """What to write instead of ``data`` for the same screen, ``size`` (columns, rows) big."""
        if size != self.size:
            self.forget(size)
        try:
            return self._rewrite(data)
        except GiveUp:
            # as Textual wrote it, and from a known state: Textual never
            # carries a style from one write to the next
            self.forget()
            self.style = self.their_style = _PLAIN
            return compact(data) + RESET

    # reading what Textual writes -----------------------------------------------
    def _rewrite(self, data: str) -> str:
        self._out: list[str] = []
        self._dirty: dict[int, bytearray] = {}  # row: 1 for each cell that changed
        # what Textual's own stream would leave: its style and cursor
        style, cursor = self.their_style, self.their_cursor
        placed = False  # the cursor was put where it is by a move, not by text
        width, height = self.size
        for match in _TOKENS.finditer(data):
            kind = match.lastgroup
            if kind == "text":
                if style is None or cursor is None:
                    raise GiveUp
                cursor = self._put(match.group(kind), cursor, style)
                placed = False
            elif kind == "sgr":
                style = apply_sgr(style, match.group(2))
                if style is None:
                    raise GiveUp
            elif kind == "cup":
                row, col = match.group(4), match.group(5)
                cursor = (int(col or 1) - 1, int(row or 1) - 1)
                placed = True
                if not (0 <= cursor[0] < width and 0 <= cursor[1] < height):
                    raise GiveUp
            elif kind == "cr":
                if cursor is None:
                    raise GiveUp
                cursor, placed = (0, cursor[1]), True
            elif kind == "lf":
                if cursor is None or cursor[1] + 1 >= height:
                    raise GiveUp  # unknown, or it would scroll
                # the tty turns it into CR LF (ONLCR: Textual leaves output processing on)
                cursor, placed = (0, cursor[1] + 1), True
            elif _HARMLESS.fullmatch(match.group(kind)):
                self._flush(cursor, style, place=True)
                self._out.append(match.group(kind))
            else:
                raise GiveUp
        self._flush(cursor, style, place=placed)
        self.their_style, self.their_cursor = style, cursor
        return "".join(self._out)

    def _put(self, text: str, cursor: tuple[int, int], style: Style) -> tuple[int, int]:
        """Textual writes ``text`` at ``cursor``: note the cells that change."""
        cells = _cells(text)
        if cells is None or cells[0] == "":
            raise GiveUp
        x, y = cursor
        end = x + len(cells)
        width = self.size[0]
        if end > width:
            raise GiveUp
        if " " in cells:
            space = _space_style(style)
            styles = [space if c == " " else style for c in cells]
        else:
            styles = [style] * len(cells)
        chars_row, styles_row = self.chars[y], self.styles[y]
        old_chars, old_styles = chars_row[x:end], styles_row[x:end]
        if old_chars != list(cells) or old_styles != styles:
            # which cells change, 1 or 0 (compared without a Python loop)
            change = map(or_, map(ne, old_chars, cells), map(ne, old_styles, styles))
            mask = self._dirty.get(y)
            if mask is None:
                mask = self._dirty[y] = bytearray(width)
            mask[x:end] = bytes(map(or_, mask[x:end], change))
            # writing over half of a wide character blanks the other half: not
            # known any more (and if it was to be written, there is nothing to write)
            for half in ([x - 1] if chars_row[x] == "" and x > 0 else []) + (
                    [end] if end < width and chars_row[end] == "" else []):
                if mask[half]:
                    raise GiveUp
                chars_row[half] = styles_row[half] = None
            chars_row[x:end] = cells
            styles_row[x:end] = styles
        return (end, y) if end < width else (width - 1, y)

    # writing the difference ----------------------------------------------------
    def _flush(self, cursor: tuple[int, int] | None, style: Style | None, place: bool) -> None:
        """Write the changed cells, then leave the style as Textual's would be, and
        the cursor too if ``place`` (where text left it matters to nobody)."""
        out = self._out
        for y in sorted(self._dirty):
            for x1, x2 in self._runs(y, self._dirty[y]):
                self._move(x1, y)
                self._cells(y, x1, x2)
        self._dirty.clear()
        if style is not None and style != self.style:
            self._set_style(style, spaces_only=False)
        if place and cursor is not None and cursor != self.cursor:
            out.append(_cup(*cursor))
            self.cursor = cursor

    def _runs(self, y: int, mask: bytearray) -> list[tuple[int, int]]:
        """The changed cells of row ``y`` (1 in ``mask``) as runs [x1, x2) to write.

        Runs close together are joined when writing what lies between costs
        less than moving the cursor over it; no run starts or ends inside a
        wide character."""
        chars, styles = self.chars[y], self.styles[y]
        runs: list[list[int]] = []
        for match in _CHANGED.finditer(mask):
            x, end = match.span()
            if runs:
                gap = chars[runs[-1][1]:x]
                if None not in gap:
                    cost = len("".join(gap).encode())  # type: ignore[arg-type]
                    if len(set(styles[runs[-1][1] - 1:x + 1])) > 1:
                        cost += 6  # a colour code or two
                    if cost <= len(f"\x1b[{len(gap)}C"):
                        runs[-1][1] = end
                        continue
            runs.append([x, end])
        width = self.size[0]
        for run in runs:
            if chars[run[0]] == "" and run[0] > 0:
                run[0] -= 1  # the first half of a wide character
            if run[1] < width and chars[run[1]] == "":
                run[1] += 1  # its second half
        return [(x1, x2) for x1, x2 in runs]

    def _move(self, x: int, y: int) -> None:
        if self.cursor == (x, y):
            return
        if self.cursor is not None and self.cursor[1] == y and self.cursor[0] < x:
            n = x - self.cursor[0]
            self._out.append("\x1b[C" if n == 1 else f"\x1b[{n}C")
        else:
            self._out.append(_cup(x, y))
        self.cursor = (x, y)

    def _cells(self, y: int, x1: int, x2: int) -> None:
        """Write the known cells x1..x2 of row y (the cursor is at x1)."""
        chars, out = self.chars[y], self._out
        x = x1
        for style, group in groupby(self.styles[y][x1:x2]):  # cells of one style
            n = len(list(group))
            text = "".join(chars[x:x + n])  # type: ignore[arg-type]  # known cells only
            x += n
            now = self.style
            if style != now:
                assert style is not None
                spaces = not text.strip(" ")
                if not (spaces and not style[0] and style[1] is None and now is not None
                        and now[2] == style[2] and not now[0] & _PAINT_SPACES):
                    # (not spaces that look the same in the style in force)
                    self._set_style(style, spaces_only=spaces)
            out.append(text)
        width = self.size[0]
        self.cursor = (x2, y) if x2 < width else None

    def _set_style(self, style: Style, spaces_only: bool) -> None:
        if self.style is None:
            sgr, self.style = _transition(_PLAIN, style, spaces_only)
            if not sgr.startswith(RESET):
                sgr = RESET + sgr
        else:
            sgr, self.style = _transition(self.style, style, spaces_only)
        self._out.append(sgr)
