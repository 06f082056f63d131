"""rnn_tui.term.compact: fewer bytes, the same screen.

Both streams are replayed in pyte, a terminal emulator, and compared cell by
cell: character, colours and attributes. A space's foreground, boldness,
italics and blinking are not compared when nothing makes them visible (no
underline, reverse or strike), since that is the one liberty compact and
rnn_tui.term.Terminal take.
"""

from __future__ import annotations

import os
import random
import sys
import time

import pyte
import pytest

from rnn_tui.term import compact, parse
from rnn_tui.tui import driver
from tests.conftest import ROOT

E = "\x1b["


def screen_of(data: str, size: tuple[int, int] = (40, 8)) -> list[list[tuple]]:
    screen = pyte.Screen(*size)
    pyte.Stream(screen).feed(data)
    return cells_of(screen)


def cells_of(screen: pyte.Screen) -> list[list[tuple]]:
    """What a screen shows, cell by cell, leaving out what can't be seen."""
    cells = []
    for y in range(screen.lines):
        row = []
        for x in range(screen.columns):
            c = screen.buffer[y][x]
            visible_fg = c.data != " " or c.underscore or c.reverse or c.strikethrough
            if visible_fg:
                row.append((c.data, c.fg, c.bg, c.bold, c.italics,
                            c.underscore, c.reverse, c.strikethrough, c.blink))
            else:
                row.append((c.data, "-", c.bg, "-", "-", False, False, False, "-"))
        cells.append(row)
    return cells


def test_a_run_after_a_run_says_only_what_changes() -> None:
    # worked by hand: same background, another foreground
    data = f"{E}38;5;1;48;5;2mab{E}0m{E}38;5;3;48;5;2mcd{E}0m"
    assert compact(data) == f"{E}38;5;1;48;5;2mab{E}38;5;3mcd{E}0m"
    # the same style twice: no code at all between the runs
    data = f"{E}1;38;5;1mab{E}0m{E}1;38;5;1mcd{E}0m"
    assert compact(data) == f"{E}1;38;5;1mabcd{E}0m"
    # bold switched on is added, and switched off by its own code (22)
    assert compact(f"{E}31mab{E}0m{E}1;31mcd{E}0m") == f"{E}31mab{E}1mcd{E}0m"
    assert compact(f"{E}1;31mab{E}0m{E}31mcd{E}0m") == f"{E}1;31mab{E}22mcd{E}0m"
    # 22 also ends dim: dim that stays is switched on again
    assert compact(f"{E}1;2mab{E}0m{E}2mcd{E}0m") == f"{E}1;2mab{E}22;2mcd{E}0m"
    # when switching off costs more than starting again, start again
    data = f"{E}1;4;7;38;5;1;48;5;2mab{E}0m{E}3mcd{E}0m"
    assert compact(data) == f"{E}1;4;7;38;5;1;48;5;2mab{E}0m{E}3mcd{E}0m"
    # back to the terminal's own colours
    assert compact(f"{E}31;42mab{E}0m{E}42mcd{E}0m") == f"{E}31;42mab{E}39mcd{E}0m"


def test_spaces_keep_the_foreground_they_find() -> None:
    data = f"{E}31;42mab{E}0m{E}32;42m   {E}0m"
    assert compact(data) == f"{E}31;42mab   {E}0m"
    # but not under an underline, which paints a space in the foreground colour
    data = f"{E}31;42mab{E}0m{E}4;32;42m   {E}0m"
    assert compact(data) == f"{E}31;42mab{E}4;32m   {E}0m"


def test_anything_else_passes_unchanged() -> None:
    assert compact("plain text, no codes") == "plain text, no codes"
    assert compact(f"{E}31mab{E}1mcd{E}0m") == f"{E}31mab{E}1mcd{E}0m"  # added, not reset
    unknown = f"{E}31mab{E}0m{E}58;5;3mcd{E}0m"  # an underline colour
    assert compact(unknown) == unknown
    assert parse("58;5;3") is None and parse("38;5") is None and parse("38;2;1;2") is None
    # a reset before other text is written where it was
    assert compact(f"{E}31mab{E}0mxy") == f"{E}31mab{E}0mxy"


def test_line_ends_and_cursor_moves_carry_the_style_over() -> None:
    # they paint nothing: the next line's run says only what changes
    data = f"{E}31mab{E}0m{E}5;1H{E}31mcd{E}0m"
    assert compact(data) == f"{E}31mab{E}5;1Hcd{E}0m"
    data = f"{E}31;42mab{E}0m\r\n{E}2;1H{E}32;42mcd{E}0m"
    assert compact(data) == f"{E}31;42mab\r\n{E}2;1H{E}32mcd{E}0m"


def test_parse_reads_every_colour_form() -> None:
    assert parse("1;3;38;5;75;48;2;1;2;3") == (frozenset({"1", "3"}), "38;5;75", "48;2;1;2;3")
    assert parse("94;101") == (frozenset(), "94", "101")
    assert parse("39;49") == (frozenset(), None, None)  # as after a reset


STYLES = ["", "1", "3", "4", "7", "9", "1;3", "2"]
COLOURS_FG = [None, "31", "94", "38;5;75", "38;5;215", "38;2;10;20;30", "39"]
COLOURS_BG = [None, "42", "48;5;233", "48;5;17", "48;2;1;2;3", "49"]


def random_stream(rng: random.Random, size: tuple[int, int]) -> str:
    """Output shaped like Textual's: runs of styled text, each ended by a reset,
    lines started by cursor moves, and now and then something else."""
    cols, rows = size
    parts = []
    for _ in range(rng.randint(1, 12)):
        parts.append(f"{E}{rng.randint(1, rows)};{rng.randint(1, cols)}H")
        for _ in range(rng.randint(1, 8)):
            codes = [c for c in (rng.choice(STYLES), rng.choice(COLOURS_FG),
                                 rng.choice(COLOURS_BG)) if c]
            text = rng.choice(["ab", "  ", "x y", "◀", "h₁", "   ", "[+0.158 ", "─" * 3])
            if codes:
                parts.append(f"{E}{';'.join(codes)}m{text}{E}0m")
            else:
                parts.append(text)
            if rng.random() < 0.05:
                parts.append(rng.choice([f"{E}1m", f"{E}58;5;3m", "\r\n", f"{E}m"]))
    return "".join(parts)


def test_random_streams_leave_the_same_screen() -> None:
    rng = random.Random(4)
    size = (40, 8)
    saved = 0
    for _ in range(400):
        data = random_stream(rng, size)
        out = compact(data)
        assert screen_of(out, size) == screen_of(data, size), repr(data)
        assert len(out) <= len(data)
        saved += len(data) - len(out)
    assert saved > 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs a pty")
def test_the_app_draws_the_same_screen_with_fewer_bytes() -> None:
    """The real app on a pty, written both ways, the same keys: the same screen."""
    from benchmarks.ptyrun import KEYS, PtyProcess

    argv = [sys.executable, "-m", "rnn_tui", "--lang", "en"]
    keys = ["right"] * 6 + ["L", "L", "L", "home", "right"]
    screens, sizes = [], []
    for raw in (True, False):
        env = dict(os.environ)
        env.pop("RNN_TUI_RAW_OUTPUT", None)
        if raw:
            env["RNN_TUI_RAW_OUTPUT"] = "1"
        p = PtyProcess(argv, size=(80, 24), env=env, cwd=str(ROOT), sync=True)
        try:
            p.read_until(b"rnn-tui")
            p.read_frame(first=10.0, settle=0.1)
            for key in keys:
                p.send(KEYS[key])
                p.read_frame(first=2.0)  # until the frame ends (synchronized output)
            time.sleep(0.1)
            p.read_until_quiet(0.2, first=0.2)
            data = bytes(p.data).decode("utf-8")
        finally:
            p.close()
        screens.append(screen_of(data, (80, 24)))
        sizes.append(len(data))
    raw_screen, compact_screen = screens
    assert compact_screen == raw_screen
    assert "".join(c[0] for c in compact_screen[0]).startswith(" rnn-tui")
    assert sizes[1] < 0.8 * sizes[0]


def test_the_app_writes_through_the_compacting_driver(monkeypatch) -> None:
    from tests.test_app import lesson_app

    monkeypatch.delenv("RNN_TUI_RAW_OUTPUT", raising=False)
    monkeypatch.delenv("TEXTUAL_DRIVER", raising=False)
    assert lesson_app().get_driver_class().__name__.startswith("Compacting")
    monkeypatch.setenv("RNN_TUI_RAW_OUTPUT", "1")
    assert not lesson_app().get_driver_class().__name__.startswith("Compacting")
    assert driver.enabled() is False


# --- the package: term stands alone, and its dependencies are declared ----------------


def test_the_terminal_model_imports_no_textual() -> None:
    """rnn_tui.term is text in, text out: the Textual driver around it is in
    rnn_tui/tui/driver.py (it used to be in term, which then imported Textual)."""
    import json
    import pkgutil
    import subprocess

    import rnn_tui.term

    names = ["rnn_tui.term"] + [f"rnn_tui.term.{m.name}"
                                for m in pkgutil.iter_modules(rnn_tui.term.__path__)]
    code = (
        "import importlib, json, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules}\n"
        "                        & {'textual', 'asyncssh', 'numpy'})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=str(ROOT)).stdout
    assert json.loads(out) == []
    assert {"sgr", "damage"} <= {n.rsplit(".", 1)[-1] for n in names}


def _requirements() -> tuple[list[str], dict[str, list[str]], dict[str, str]]:
    """pyproject's dependencies and extras, and requirements-test.lock's pins."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {}
    for line in (ROOT / "requirements-test.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version.strip()
    return project["dependencies"], project["optional-dependencies"], pins


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:3])


def test_rich_is_declared_with_the_version_term_needs() -> None:
    """split_graphemes came with Rich 14.3; Textual alone would accept 14.2."""
    dependencies, _, _ = _requirements()
    rich = [d for d in dependencies if d.replace(" ", "").startswith("rich>=")]
    assert len(rich) == 1
    assert _version(rich[0].split(">=")[1].split(",")[0]) >= (14, 3)
    from rich.cells import split_graphemes  # what it is for

    assert split_graphemes("가a")[1] == 3


def test_the_lock_pins_the_rendering_stack_and_ci_uses_it() -> None:
    dependencies, extras, pins = _requirements()
    for name in ("textual", "rich", "pygments", "markdown-it-py", "mdit-py-plugins", "mdurl",
                 "platformdirs", "typing-extensions", "pytest-textual-snapshot", "syrupy",
                 "jinja2", "markupsafe", "pytest", "pyte", "wcwidth"):
        assert name in pins, name
    # the same Textual as the test extra's pin, and a Rich the package accepts
    textual = [d for d in extras["test"] if d.startswith("textual==")]
    assert textual == [f"textual=={pins['textual']}"]
    assert _version(pins["rich"]) >= (14, 3)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -q -e '.[test]' -c requirements-test.lock" in ci
