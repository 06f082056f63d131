"""damage.Terminal: only the cells that change are written, and the screen is the same.

Textual's writes and the rewritten ones are replayed in two pyte screens (a
terminal emulator) and compared cell by cell after every write, as in
test_wire.py.
"""

from __future__ import annotations

import codecs
import os
import random
import sys
import time
from unicodedata import east_asian_width

import pyte
import pytest
from rich.cells import cell_len
from wcwidth import wcwidth

from rnn_tui.term import Terminal, apply_sgr, cjk_locale, compact
from tests.conftest import ROOT
from tests.test_wire import cells_of

E = "\x1b["
SIZE = (12, 3)


class XtermScreen(pyte.Screen):
    """pyte, plus what xterm does and pyte does not: writing over one half of a
    wide character blanks the other half (here a "?", to be seen in a test)."""

    BLANKED = "?"

    def draw(self, data: str) -> None:
        for char in data:
            x, line = self.cursor.x, self.buffer[self.cursor.y]
            width = wcwidth(char)
            if width > 0 and x < self.columns:
                if x > 0 and line[x].data == "":  # the second half of one
                    line[x - 1] = line[x - 1]._replace(data=self.BLANKED)
                end = x + width
                if end < self.columns and line[end].data == "":  # the first half
                    line[end] = line[end]._replace(data=self.BLANKED)
            super().draw(char)


class Replay:
    """A pyte screen that is fed write after write."""

    def __init__(self, size: tuple[int, int]) -> None:
        self.screen = XtermScreen(*size)
        self.stream = pyte.Stream(self.screen)

    def feed(self, data: str) -> None:
        self.stream.feed(data)

    def resize(self, size: tuple[int, int]) -> None:
        self.screen.resize(lines=size[1], columns=size[0])

    def cells(self) -> list[list[tuple]]:
        return cells_of(self.screen)


def known() -> Terminal:
    """A Terminal that knows the style in force (none) but no cell yet, as after
    Textual's first write (which it does not follow: the alternate screen)."""
    t = Terminal()
    assert t.rewrite(f"{E}?1049h", SIZE) == f"{E}?1049h{E}0m"
    return t


def test_only_the_changed_cells_are_written() -> None:
    t = Terminal()
    data = f"{E}1;1H{E}31;42mt = 1/3{E}0m{E}3;1H"
    # not even the style in force is known: as it was
    assert t.rewrite(data, SIZE) == compact(data) + f"{E}0m"
    # no cell is known yet: all of them, and the cursor put back
    assert t.rewrite(data, SIZE) == f"{E}1H{E}31;42mt = 1/3{E}0m{E}3H"
    # the same line with one character changed: a move, that character, a reset
    second = t.rewrite(f"{E}1;1H{E}31;42mt = 2/3{E}0m{E}3;1H", SIZE)
    assert second == f"{E}1;5H{E}31;42m2{E}0m{E}3H"
    # nothing changed: nothing written but the cursor, which is where it was
    assert t.rewrite(f"{E}1;1H{E}31;42mt = 2/3{E}0m{E}3;1H", SIZE) == ""


def test_a_cell_written_twice_in_one_write_ends_as_written_last() -> None:
    t = known()
    t.rewrite(f"{E}1;1Habc", SIZE)
    # b becomes X, then X again (no change from the first time) and c Y: both written
    assert t.rewrite(f"{E}1;2HX{E}1;2HXY", SIZE) == f"{E}1;2HXY"
    # changed and then changed back: writing it again does no harm
    assert t.rewrite(f"{E}1;1HZ{E}1;1Ha", SIZE) in ("", f"{E}1Ha")


def test_a_style_change_alone_is_a_change() -> None:
    t = known()
    t.rewrite(f"{E}1;1H{E}31mab{E}0m", SIZE)
    assert t.rewrite(f"{E}1;1H{E}31ma{E}0m{E}1;31mb{E}0m", SIZE) == f"{E}1;2H{E}1;31mb{E}0m"


def test_runs_close_together_are_joined() -> None:
    t = known()
    t.rewrite(f"{E}1;1Habcdefghijkl", SIZE)
    # four unchanged cells cost no more than moving over them (ESC[4C): written
    assert t.rewrite(f"{E}1;1HaXcdefYhijkl", SIZE) == f"{E}1;2HXcdefY"
    # five cost more: the cursor moves forward over them
    assert t.rewrite(f"{E}1;1HaZcdefYhijkQ", SIZE) == f"{E}1;2HZ{E}9CQ"


def test_spaces_need_only_their_background() -> None:
    t = known()
    t.rewrite(f"{E}1;1H{E}31;42mab  {E}0m", SIZE)
    # the spaces' foreground (and boldness) changed: they look the same, nothing to write
    assert t.rewrite(f"{E}1;1H{E}31;42mab{E}0m{E}1;33;42m  {E}0m", SIZE) == ""
    # their background changed: written, keeping the foreground in force
    out = t.rewrite(f"{E}1;1H{E}31;42mab{E}0m{E}33;44m  {E}0m", SIZE)
    assert out == f"{E}1;3H{E}44m  {E}0m"


def test_what_it_does_not_follow_is_written_as_it_was() -> None:
    t = known()
    line = f"{E}1;1H{E}31mabc{E}0m"
    t.rewrite(line, SIZE)
    for unknown in (f"{E}2J", f"{E}?1049h", f"{E}58;5;3m", "\x07", f"{E}5A", "\x1b]8;;x\x1b\\"):
        data = unknown + line
        assert t.rewrite(data, SIZE) == compact(data) + f"{E}0m"
        # and then nothing is known: the same line is written whole
        assert t.rewrite(line, SIZE) == f"{E}1H{E}31mabc{E}0m"


def test_a_line_feed_on_the_last_row_gives_up() -> None:
    t = known()
    data = f"{E}3;1Habc\n"
    assert t.rewrite(data, SIZE) == compact(data) + f"{E}0m"
    # one between two lines of an update is a move
    assert t.rewrite(f"{E}1;1Habc\r\n{E}2;1Hdef", SIZE) == f"{E}1Habc{E}2Hdef"


def test_harmless_codes_stay_where_they_were() -> None:
    t = known()
    data = f"{E}?2026h{E}1;1H{E}31mabc{E}0m{E}?25h{E}?2026l"
    out = t.rewrite(data, SIZE)
    assert out == f"{E}?2026h{E}1H{E}31mabc{E}0m{E}?25h{E}?2026l"
    assert t.rewrite(data, SIZE) == f"{E}?2026h{E}?25h{E}?2026l"


def test_a_new_size_forgets_the_screen() -> None:
    t = known()
    line = f"{E}1;1Habc"
    t.rewrite(line, SIZE)
    assert t.rewrite(line, SIZE) == ""
    # every cell again, and a reset first: the colours in force are not known either
    assert t.rewrite(line, (20, 5)) == f"{E}1H{E}0mabc"
    t.forget()
    assert t.rewrite(line, (20, 5)) == f"{E}1H{E}0mabc"


def test_colours_another_program_left_on_are_reset() -> None:
    """Something writes over the screen and leaves reverse video on: after
    forget() (Ctrl+L) what is written starts from a reset. (Textual's own
    stream would draw "ab" reversed here: its colour codes add to what is in
    force.)"""
    new = Replay(SIZE)
    t = known()
    frame = f"{E}1;1H{E}31mab{E}0m{E}2;1Hxyz{E}1;1H"
    new.feed(t.rewrite(frame, SIZE))
    new.feed(f"{E}7m{E}2;5HWALL")  # another program's, colours left on
    t.forget()
    new.feed(t.rewrite(frame, SIZE))
    clean = Replay(SIZE)
    clean.feed(frame)
    assert new.screen.display[:2] == ["ab          ", "xyz WALL    "]
    assert [row[:3] for row in new.cells()[:2]] == [row[:3] for row in clean.cells()[:2]]


def test_half_a_wide_character_it_was_to_write_gives_up() -> None:
    # 가 and then x over its second half, in one write: the first half is
    # blanked by the terminal and can't be written as it was
    t = known()
    data = f"{E}1;1H가{E}1;2Hx"
    assert t.rewrite(data, SIZE) == compact(data) + f"{E}0m"


def test_one_rewrite_at_a_time() -> None:
    """The driver's input thread writes too: the driver lets one rewrite run at a time."""
    import threading

    from rnn_tui.tui.driver import compacting

    class SlowTerminal(Terminal):
        inside = overlaps = 0

        def rewrite(self, data: str, size: tuple[int, int]) -> str:
            SlowTerminal.inside += 1
            SlowTerminal.overlaps += SlowTerminal.inside > 1
            time.sleep(0.002)
            SlowTerminal.inside -= 1
            return super().rewrite(data, size)

    class FakeDriver:
        is_inline = False
        written: list[str] = []

        def write(self, data: str) -> None:
            self.written.append(data)

    driver = compacting(FakeDriver, SlowTerminal(), lambda: SIZE)()  # type: ignore[arg-type]

    def writes() -> None:
        for _ in range(20):
            driver.write(f"{E}1;1Habc")

    threads = [threading.Thread(target=writes) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert SlowTerminal.overlaps == 0 and len(FakeDriver.written) == 60


def test_apply_sgr_adds_to_the_style_in_force() -> None:
    plain = (frozenset(), None, None)
    bold_red = apply_sgr(plain, "1;31")
    assert bold_red == (frozenset({"1"}), "31", None)
    assert apply_sgr(bold_red, "22;48;5;17") == (frozenset(), "31", "48;5;17")
    assert apply_sgr(bold_red, "0") == plain and apply_sgr(bold_red, "") == plain
    assert apply_sgr(None, "31") is None  # on top of a style not known
    assert apply_sgr(None, "0;31") == (frozenset(), "31", None)
    assert apply_sgr(plain, "58;5;3") is None  # a code it does not know


PIECES = ["ab", " ", "   ", "x y", "◀", "h₁", "[+0.158 ", "─", "│", "가", "나다", "한국어 ",
          "→ 0", "·", "-0.677", "é"]
CODES = ["", "1", "7", "4", "31", "1;38;5;215", "38;5;75;48;5;233", "48;5;233", "2;32;44",
         "38;2;10;20;30", "9"]


class FakeApp:
    """Writes shaped like Textual's: lines (or their ends) that changed a little,
    each started by a cursor move, runs of styled text each ended by a reset."""

    def __init__(self, rng: random.Random, size: tuple[int, int],
                 pieces: list[str] = PIECES) -> None:
        self.rng, self.size, self.pieces = rng, size, pieces
        self.lines = [self._line() for _ in range(size[1])]

    def _line(self) -> list[tuple[str, str]]:
        width, segments, used = self.size[0], [], 0
        while used < width:
            text = self.rng.choice(self.pieces)
            if used + cell_len(text) > width:
                text = " " * (width - used)
            segments.append((self.rng.choice(CODES), text))
            used += cell_len(text)
        return segments

    def _mutate(self, y: int) -> None:
        rng = self.rng
        if rng.random() < 0.2:
            self.lines[y] = self._line()
            return
        line = self.lines[y]
        i = rng.randrange(len(line))
        codes, text = line[i]
        if rng.random() < 0.5:
            codes = rng.choice(CODES)
        else:  # another text of the same width
            same = [p for p in self.pieces if cell_len(p) == cell_len(text)]
            text = rng.choice(same) if same else text
        line[i] = (codes, text)

    def write(self) -> str:
        rng, parts = self.rng, []
        if rng.random() < 0.1:
            parts.append(rng.choice([f"{E}?2026h", f"{E}?25l", "\x1b]22;default\x07"]))
        rows = sorted(rng.sample(range(self.size[1]), rng.randint(1, self.size[1])))
        for n, y in enumerate(rows):
            self._mutate(y)
            line = self.lines[y]
            start = rng.randrange(len(line)) if rng.random() < 0.4 else 0
            x = sum(cell_len(text) for _, text in line[:start])
            parts.append(f"{E}{y + 1};{x + 1}H")
            for codes, text in line[start:]:
                parts.append(f"{E}{codes}m{text}{E}0m" if codes else text)
            if n < len(rows) - 1:
                parts.append("\r\n")
        if rng.random() < 0.03:
            parts.insert(0, f"{E}2J")  # something it does not follow
        parts.append(f"{E}1;1H")
        return "".join(parts)


def replay_both(app, terminal: Terminal, size: tuple[int, int], replay: type,
                writes: int) -> tuple[int, int]:
    """Feed ``writes`` of the fake app's writes, as written and as rewritten, to two
    terminals; after each the screens must agree. (bytes written, bytes sent)"""
    raw, new = replay(size), replay(size)
    written = sent = 0
    for _ in range(writes):
        data = app.write()
        out = terminal.rewrite(data, size)
        raw.feed(data)
        new.feed(out)
        assert new.cells() == raw.cells(), repr(data)
        written += len(data)
        sent += len(out)
    return written, sent


@pytest.mark.parametrize("seed", range(4))
def test_random_writes_leave_the_same_screen(seed: int) -> None:
    rng = random.Random(seed)
    size = (24, 6)
    app, terminal = FakeApp(rng, size), Terminal()
    written, sent = replay_both(app, terminal, size, Replay, 300)
    assert sent < 0.6 * written


# --- the real app on a pty --------------------------------------------------------


def _run_app(keys: list, lang: str, raw: bool) -> tuple[list[list[tuple]], list[int]]:
    """Run the app on a pty, press ``keys`` (a tuple is a resize, "garbage" writes
    over the screen as another program would); the screen at the end, and the
    bytes each key cost."""
    from benchmarks.ptyrun import KEYS, PtyProcess

    env = dict(os.environ)
    env.pop("RNN_TUI_RAW_OUTPUT", None)
    if raw:
        env["RNN_TUI_RAW_OUTPUT"] = "1"
    size = (80, 24)
    replay = Replay(size)
    decoder = codecs.getincrementaldecoder("utf-8")()  # a read may end inside a character
    argv = [sys.executable, "-m", "rnn_tui", "--lang", lang]
    p = PtyProcess(argv, size=size, env=env, cwd=str(ROOT), resizable=True, sync=True)
    costs = []
    try:
        p.read_until(b"rnn-tui")
        p.read_frame(first=10.0, settle=0.1)
        replay.feed(decoder.decode(bytes(p.data)))
        for key in keys:
            if isinstance(key, tuple):
                p.resize(key)
                replay.resize(key)
            elif key == "garbage":
                # colours left on, as a careless program would
                replay.feed(f"{E}5;10H{E}7mSomebody wrote this{E}12;3HAND THIS")
                continue
            else:
                p.send(KEYS[key])
            out = p.read_frame(first=2.0)  # until the frame ends (synchronized output)
            costs.append(len(out))
            replay.feed(decoder.decode(out))
        time.sleep(0.1)
        replay.feed(decoder.decode(p.read_until_quiet(0.2, first=0.2), final=True))
    finally:
        p.close()
    return replay.cells(), costs


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs a pty")
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_app_on_a_pty_shows_the_same_screen(lang: str) -> None:
    """Keys, the batch view, a resize both ways: the same screen as Textual's own writes."""
    keys = ["right"] * 5 + ["L", "b", "right", "b", (100, 30), "right", "L", (80, 24), "L", "home"]
    raw, raw_costs = _run_app(keys, lang, raw=True)
    new, new_costs = _run_app(keys, lang, raw=False)
    assert new == raw
    assert "".join(c[0] for c in new[0]).startswith(" rnn-tui")
    # in Korean, box lines and arrows are East Asian ambiguous: the lines with them
    # are written as Textual wrote them (measured: 0.23 in English, 0.55 in Korean)
    assert sum(new_costs) < (0.5 if lang == "en" else 0.7) * sum(raw_costs)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs a pty")
def test_ctrl_l_repairs_what_something_else_wrote() -> None:
    keys = ["right", "right", "garbage", "right", "ctrl+l"]
    repaired, costs = _run_app(keys, "en", raw=False)
    clean, _ = _run_app(["right"] * 3, "en", raw=True)
    assert repaired == clean
    assert costs[-1] > 2000  # the whole screen again
    # without Ctrl+L, what was written over stays where nothing changed
    spoiled, _ = _run_app(keys[:-1], "en", raw=False)
    assert spoiled != clean


# --- characters terminals draw at different widths: no guessing -----------------------
#: what the terminal below ignores: emoji presentation selectors and joiners
IGNORED = dict.fromkeys(map(ord, "\ufe0e\ufe0f\u200d"))


class OtherTerminal(XtermScreen):
    """A terminal that disagrees with Rich: it ignores emoji selectors and joiners
    (❤️ is one cell, 👍🏽 four) and, with ``cjk``, draws East Asian ambiguous
    characters (◀ · → │) two cells wide, as terminals do in a CJK locale.
    A blanked half is a space, as in xterm: text that runs over onto the next
    line may blank a space whose (unseen) foreground the writers need not agree on."""

    cjk = False
    BLANKED = " "

    def draw(self, data: str) -> None:
        super().draw(data.translate(IGNORED))


@pytest.fixture
def other_widths(monkeypatch):
    """Widths as OtherTerminal draws them (pyte's and XtermScreen's)."""
    import pyte.screens

    plain = wcwidth

    def width(char: str) -> int:
        if OtherTerminal.cjk and east_asian_width(char) == "A":
            return 2
        return plain(char)

    monkeypatch.setattr(pyte.screens, "wcwidth", width)
    monkeypatch.setattr(sys.modules[__name__], "wcwidth", width, raising=False)
    yield OtherTerminal
    OtherTerminal.cjk = False


class OtherReplay(Replay):
    def __init__(self, size: tuple[int, int]) -> None:
        self.screen = OtherTerminal(*size)
        self.stream = pyte.Stream(self.screen)


def test_an_emoji_with_a_selector_is_written_as_it_came_and_its_line_forgotten() -> None:
    t = known()
    t.rewrite(f"{E}1;1Habcdefghijkl{E}2;1Hxyz", SIZE)
    line = f"{E}1;1Hab{E}31m❤️cd{E}0m"
    # as Textual wrote it, from the piece of text with the emoji in it
    assert t.rewrite(line, SIZE) == f"{E}31m{E}1;3H❤️cd{E}0m"
    # the line's cells are forgotten: the same write again is written again, whole
    assert t.rewrite(line, SIZE) == f"{E}1Hab{E}31m❤️cd{E}0m"
    # other lines are still known
    assert t.rewrite(f"{E}2;1Hxyz", SIZE) == ""
    # and so is the line again, once Textual writes it without the emoji
    t.rewrite(f"{E}1;1Habcdef", SIZE)
    assert t.rewrite(f"{E}1;1HabcdeX", SIZE) == f"{E}1;6HX"


def test_after_a_doubtful_character_the_cursor_is_not_guessed() -> None:
    t = known()
    # text after the emoji goes where the terminal's cursor is, not to a guessed cell;
    # the next move is absolute
    out = t.rewrite(f"{E}1;1H👍🏽{E}1m!{E}0m{E}2;1Hx", SIZE)
    assert out == f"{E}1H👍🏽{E}1m!{E}2H{E}0mx"
    # and text with no move before it, in the next write, is not placed by a guess
    assert t.rewrite(f"{E}1;1H☺️", SIZE) == f"{E}1H☺️"
    assert t.rewrite("more", SIZE) == f"more{E}0m"  # given up: as it was


def test_ambiguous_characters_are_doubtful_only_in_a_cjk_locale() -> None:
    line, changed = f"{E}1;1H│ 0.25 │", f"{E}1;1H│ 0.75 │"
    western = Terminal()
    known_first = western.rewrite(f"{E}?1049h", SIZE)
    assert known_first
    western.rewrite(line, SIZE)
    assert western.rewrite(changed, SIZE) == f"{E}1;5H7"
    cjk = Terminal(cjk=True)
    cjk.rewrite(f"{E}?1049h", SIZE)
    cjk.rewrite(line, SIZE)
    assert cjk.rewrite(changed, SIZE) == f"{E}1H│ 0.75 │"
    # Korean letters are wide everywhere: not doubtful
    cjk.rewrite(f"{E}2;1H가나다", SIZE)
    assert cjk.rewrite(f"{E}2;1H가나라", SIZE) == f"{E}2;5H라"


def test_a_doubtful_line_that_may_run_over_the_edge_forgets_the_next_line_or_gives_up() -> None:
    t = Terminal(cjk=True)
    t.rewrite(f"{E}?1049h", SIZE)
    t.rewrite(f"{E}1;1Habcdefghijkl{E}2;1Habcdefghijkl{E}3;1Habcdefghijkl", SIZE)
    # a full line with two ambiguous characters may be two cells wider: line 2 forgotten
    t.rewrite(f"{E}1;1H→bcdefghijk→", SIZE)
    assert t.rewrite(f"{E}2;1Habcdefghijkl", SIZE) == f"{E}2Habcdefghijkl"
    assert t.rewrite(f"{E}3;1Habcdefghijkl", SIZE) == ""
    # on the last line it could scroll the screen: as Textual wrote it, all forgotten
    data = f"{E}3;1H→bcdefghijk→"
    assert t.rewrite(data, SIZE) == compact(data) + f"{E}0m"
    assert t.rewrite(f"{E}1;1H→bcdefghijk→", SIZE).startswith(f"{E}1H")


@pytest.mark.parametrize("cjk", [False, True])
def test_cells_written_through_a_doubtful_line_stay_right(cjk: bool) -> None:
    """Known cells after a doubtful run, on the same line, are not left where a
    terminal that drew it wider has pushed them."""
    t = Terminal(cjk=cjk)
    t.rewrite(f"{E}?1049h", SIZE)
    t.rewrite(f"{E}1;1Hab{E}1;8Hxyz", SIZE)
    out = t.rewrite(f"{E}1;1H❤️·{E}1;8Hxyz", SIZE)
    # xyz is written again: the terminal may have drawn the emoji over it
    assert out.endswith(f"{E}1;8Hxyz")


@pytest.mark.parametrize(("seed", "cjk"), [(0, False), (1, True), (2, True)])
def test_random_writes_with_doubtful_widths_leave_the_same_screen(
        other_widths, seed: int, cjk: bool) -> None:
    """The oracle: Textual's writes and the rewritten ones on a terminal that draws
    emoji and (in a CJK locale) ambiguous characters at other widths than Rich counts."""
    other_widths.cjk = cjk
    rng = random.Random(seed)
    size = (24, 6)
    app = FakeApp(rng, size, PIECES + ["❤️", "👍🏽", "☺️ ", "a❤️b"])
    terminal = Terminal(cjk=cjk)
    written, sent = replay_both(app, terminal, size, OtherReplay, 200)
    assert sent < written


def test_the_locale_says_whether_ambiguous_characters_may_be_wide() -> None:
    assert cjk_locale({"LANG": "ko_KR.UTF-8"})
    assert cjk_locale({"LC_CTYPE": "ja_JP.eucJP", "LANG": "en_US.UTF-8"})
    assert cjk_locale({"LC_ALL": "zh_TW.UTF-8@radical", "LC_CTYPE": "C"})
    assert not cjk_locale({"LC_ALL": "C", "LANG": "ko_KR.UTF-8"})  # LC_ALL first
    assert not cjk_locale({"LANG": "en_GB.UTF-8"})
    assert not cjk_locale({})


@pytest.mark.parametrize(("lang", "env", "cjk"), [
    ("ko", {"LANG": "en_US.UTF-8"}, True),
    ("en", {"LC_CTYPE": "ja_JP.UTF-8"}, True),
    ("en", {"LANG": "en_US.UTF-8"}, False),
    (None, {"LANG": "ko_KR.UTF-8"}, True),
])
def test_the_app_tells_its_terminal_model_the_locale(monkeypatch, lang, env, cjk) -> None:
    from rnn_tui.teach import i18n
    from tests.test_app import lesson_app

    for var in ("LC_ALL", "LC_CTYPE", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    try:
        assert lesson_app(lang=lang).terminal.cjk is cjk
    finally:
        i18n.set_lang("en")


def test_forget_waits_for_a_rewrite_in_progress() -> None:
    """Ctrl+L (forget, in the app's thread) takes the lock the driver holds
    around each rewrite and its write (the input thread writes too)."""
    import threading

    t = known()
    t.rewrite(f"{E}1;1Habc", SIZE)
    held, release, done = threading.Event(), threading.Event(), threading.Event()

    def writer() -> None:  # as the driver does, around rewrite and write
        with t.lock:
            held.set()
            release.wait(5)

    def redraw() -> None:
        t.forget()
        done.set()

    threads = [threading.Thread(target=writer), threading.Thread(target=redraw)]
    threads[0].start()
    assert held.wait(5)
    threads[1].start()
    assert not done.wait(0.1)  # waits while the write is under way
    release.set()
    assert done.wait(5)
    for thread in threads:
        thread.join(5)
    assert t.rewrite(f"{E}1;1Habc", SIZE) == f"{E}1H{E}0mabc"
