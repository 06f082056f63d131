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
  the write goes out as Textual made it (only with :func:`rnn_tui.term.sgr.compact`), and
  every cell is forgotten, so what comes next is written whole until it is known
  again.
- The screen's size is given with every write; when it changes, every cell is
  forgotten (a resized terminal may have moved or cleared what it had).
- Nothing else may write to the terminal. If something does (a ``wall``
  message, say), :meth:`Terminal.forget` and a full repaint put it right,
  colours it left on included: the app binds that to Ctrl+L, as curses
  programs do.
- Writes come whole and one at a time: the driver holds :attr:`Terminal.lock`
  around each (its input thread writes too), and :meth:`Terminal.forget` takes
  it as well (Ctrl+L comes from the app's thread). On Windows, where Textual
  cuts a write into pieces that may split an escape code, the app does not use this.
- Some characters are drawn one cell wide by one terminal and two by another:
  an emoji with a presentation selector (VS16, U+FE0F), emoji sequences (ZWJ,
  skin tones, flags), and, in a CJK locale (``cjk``), the East Asian
  "ambiguous" ones such as ``◀ · → │``. Where Textual writes one, it does not
  guess: from the text it is in to the next cursor move, the write goes out as
  Textual made it, and that line's cells are forgotten (so they are written
  whole next time). Text that might run over the right edge that way forgets
  the next line too, or on the last line (it could scroll) gives up.

Wide characters take two cells (the second holds ``""``); a run of cells to
write never starts or ends inside one. A space's foreground is not compared
when nothing paints it (no underline, reverse, conceal, strike or overline),
as in :mod:`rnn_tui.term.sgr`.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from itertools import groupby
from operator import ne, or_
from typing import cast

# Rich counts cells as Textual lays them out (Rich >= 14.3 for split_graphemes)
from rich.cells import split_graphemes

from rnn_tui.term.sgr import PAINT_SPACES, PLAIN, RESET, Style, apply_sgr, compact, transition

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
    if style[0] & PAINT_SPACES:
        return style
    return (_NO_ATTRIBUTES, None, style[2])


#: in a grapheme, what terminals draw at different widths: the text and emoji
#: presentation selectors, the joiner of emoji sequences, skin tones, flags' letters
_DOUBTFUL = re.compile("[\ufe0e\ufe0f\u200d\U0001f3fb-\U0001f3ff\U0001f1e6-\U0001f1ff]")
#: languages whose locales make terminals draw East Asian "ambiguous" characters wide
CJK_LANGUAGES = ("ja", "ko", "zh")


def cjk_locale(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the character-type locale (LC_ALL, LC_CTYPE, LANG: the first set)
    is Chinese, Japanese or Korean, where a terminal may draw ambiguous characters wide."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = env.get(var, "")
        if value:
            return value.split("_")[0].split(".")[0].split("@")[0].lower() in CJK_LANGUAGES
    return False


def _doubtful(grapheme: str, cjk: bool) -> bool:
    """Whether terminals may disagree on how many cells ``grapheme`` fills."""
    if _DOUBTFUL.search(grapheme):
        return True
    return cjk and any(unicodedata.east_asian_width(c) == "A" for c in grapheme)


@lru_cache(maxsize=4096)
def _cells(text: str, cjk: bool = False) -> tuple[tuple[str, ...] | None, int]:
    """``text`` as the cells it fills ("" for the second half of a wide one), or
    None; and 0, or if terminals may draw it wider or narrower than that, how many
    cells wider it might be at most."""
    if text.isascii():
        return tuple(text), 0
    spans, _ = split_graphemes(text)
    cells: list[str] = []
    doubt = 0
    for start, end, width in spans:
        grapheme = text[start:end]
        if _doubtful(grapheme, cjk):
            doubt += 2 * len(grapheme)  # at most two cells for each code point
        if width == 1:
            cells.append(grapheme)
        elif width == 2:
            cells += (grapheme, "")
        else:  # a lone combining mark, or something wider still
            return None, doubt
    return tuple(cells), doubt


def _cup(x: int, y: int) -> str:
    return f"\x1b[{y + 1}H" if x == 0 else f"\x1b[{y + 1};{x + 1}H"


class Terminal:
    """The screen as the terminal shows it, and :meth:`rewrite` to write only what changes."""

    def __init__(self, cjk: bool = False) -> None:
        #: the terminal may draw East Asian ambiguous characters wide (a CJK locale)
        self.cjk = cjk
        #: held around each rewrite and the write of its result, and by forget()
        self.lock = threading.RLock()
        self.size: tuple[int, int] = (0, 0)
        self.chars: list[list[str | None]] = []  # None: not known
        self.styles: list[list[Style | None]] = []
        self.their_style: Style | None = None  # the style Textual's writes left in force
        self.forget()

    def forget(self, size: tuple[int, int] | None = None) -> None:
        """Know nothing of what the terminal shows, where its cursor is or which
        colours are in force (something else may have written), and set its size."""
        with self.lock:
            self._forget(size)

    def _forget(self, size: tuple[int, int] | None = None) -> None:
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
        with self.lock:
            if size != self.size:
                self._forget(size)
            try:
                return self._rewrite(data)
            except GiveUp:
                # as Textual wrote it, and from a known state: Textual never
                # carries a style from one write to the next
                self._forget()
                self.style = self.their_style = PLAIN
                return compact(data) + RESET

    # reading what Textual writes -----------------------------------------------
    def _rewrite(self, data: str) -> str:
        self._out: list[str] = []
        self._dirty: dict[int, bytearray] = {}  # row: 1 for each cell that changed
        # what Textual's own stream would leave: its style and cursor
        style, cursor = self.their_style, self.their_cursor
        placed = False  # the cursor was put where it is by a move, not by text
        self._reach: int | None = None  # on a line written as it is: how far it may reach
        width, height = self.size
        for match in _TOKENS.finditer(data):
            kind = match.lastgroup
            if kind == "text":
                if style is None or cursor is None:
                    raise GiveUp
                text = match.group(0)
                cells, doubt = _cells(text, self.cjk)
                if cells is None:
                    raise GiveUp
                if doubt or self._reach is not None:
                    cursor = self._put_as_is(text, cells, doubt, cursor, style)
                else:
                    cursor = self._put(cells, cursor, style)
                placed = False
            elif kind == "sgr":
                style = apply_sgr(style, match.group(2))
                if style is None:
                    raise GiveUp
            elif kind == "cup":
                row, col = match.group(4), match.group(5)
                cursor = (int(col or 1) - 1, int(row or 1) - 1)
                placed, self._reach = True, None
                if not (0 <= cursor[0] < width and 0 <= cursor[1] < height):
                    raise GiveUp
            elif kind == "cr":
                if cursor is None or (self._reach or 0) > width:
                    raise GiveUp  # unknown, or on a line that may have run over
                cursor, placed, self._reach = (0, cursor[1]), True, None
            elif kind == "lf":
                if cursor is None or cursor[1] + 1 >= height or (self._reach or 0) > width:
                    raise GiveUp  # unknown, or it would scroll
                # the tty turns it into CR LF (ONLCR: Textual leaves output processing on)
                cursor, placed, self._reach = (0, cursor[1] + 1), True, None
            elif _HARMLESS.fullmatch(match.group(0)):
                # (on a line written as it is, the cursor is where Textual's left it)
                self._flush(cursor, style, place=self._reach is None)
                self._out.append(match.group(0))
            else:
                raise GiveUp
        self._flush(cursor, style, place=placed)
        # after a line written as it is, where the cursor is is a guess
        self.their_style = style
        self.their_cursor = cursor if self._reach is None else None
        return "".join(self._out)

    def _put_as_is(self, text: str, cells: tuple[str, ...], doubt: int,
                   cursor: tuple[int, int], style: Style) -> tuple[int, int]:
        """Textual writes ``text``, which terminals may draw wider or narrower than
        ``cells``, at ``cursor``: write it as it is, and forget the line."""
        x, y = cursor
        width, height = self.size
        if self._reach is None:  # the first on this line: the cursor is where Textual's is
            self._flush(cursor, style, place=True)
            self._reach = x
        elif style != self.style:
            self._set_style(style, spaces_only=False)
        self._out.append(text)
        self.cursor = None  # where the terminal's cursor is now: not known
        self._reach += len(cells) + doubt
        end = x + len(cells)
        if end > width:
            raise GiveUp
        rows = [y]
        if self._reach > width:  # it may run over onto the next line
            if y + 1 >= height:
                raise GiveUp  # and scroll the screen
            rows.append(y + 1)
        for row in rows:
            self.chars[row] = [None] * width
            self.styles[row] = [None] * width
            self._dirty.pop(row, None)
        return (end, y) if end < width else (width - 1, y)

    def _put(self, cells: tuple[str, ...], cursor: tuple[int, int],
             style: Style) -> tuple[int, int]:
        """Textual writes ``cells`` at ``cursor``: note the cells that change."""
        if not cells or cells[0] == "":
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
                    cost = len("".join(cast("list[str]", gap)).encode())  # no None: tested
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
            text = "".join(cast("list[str]", chars[x:x + n]))  # known cells only: no None
            x += n
            now = self.style
            if style != now:
                assert style is not None
                spaces = not text.strip(" ")
                if not (spaces and not style[0] and style[1] is None and now is not None
                        and now[2] == style[2] and not now[0] & PAINT_SPACES):
                    # (not spaces that look the same in the style in force)
                    self._set_style(style, spaces_only=spaces)
            out.append(text)
        width = self.size[0]
        self.cursor = (x2, y) if x2 < width else None

    def _set_style(self, style: Style, spaces_only: bool) -> None:
        if self.style is None:
            sgr, self.style = transition(PLAIN, style, spaces_only)
            if not sgr.startswith(RESET):
                sgr = RESET + sgr
        else:
            sgr, self.style = transition(self.style, style, spaces_only)
        self._out.append(sgr)
