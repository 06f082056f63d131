"""Panels, key bindings and the tests themselves on Textual's public API only.

The panels draw with the Line API (``render_line``) and refresh only the
Regions that changed; the footer's words are looked up when read
(``TranslatedBindings``); the tests read the screen through ``Screen`` and
``Widget`` methods, and notifications through ``run_test``'s message hook.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import press
from test_app import _cells, lesson_app
from textual.binding import Binding
from textual.screen import Screen
from textual.strip import Strip
from textual.visual import Visual

from rnn_tui.teach import i18n
from rnn_tui.tui.keys import TranslatedBindings
from rnn_tui.tui.panels.base import Panel
from rnn_tui.tui.screens.backward import BackwardScreen

ROOT = Path(__file__).resolve().parent.parent

#: Textual's private attributes that code once read or wrote (issue 14), and any
#: import of a private name from textual.
PRIVATE_ATTRIBUTES = ("render_cache", "dirty_regions", "compositor", "notifications", "driver")
PRIVATE = re.compile(
    r"from textual[a-zA-Z_.]* import .*\b_[A-Za-z]"
    r"|\._(?:" + "|".join(PRIVATE_ATTRIBUTES) + r")\b"
    r"|\._bindings\."
)


def test_no_private_textual_api_in_the_package_or_the_tests() -> None:
    hits = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in ("rnn_tui", "tests")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if PRIVATE.search(line)
    ]
    assert not hits, "\n".join(hits)


def textual_serve_private_names() -> set[str]:
    """Every ``_name`` textual-serve defines or uses (attributes, methods, modules)."""
    import textual_serve

    names = set()
    for path in Path(textual_serve.__file__).parent.rglob("*.py"):
        names.add(path.stem)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def textual_serve_private_uses(source: str, private: set[str]) -> list[str]:
    """Where ``source`` imports a private name or module of textual_serve, touches one of
    its private attributes, or (in a subclass of one of its classes) defines or uses a
    ``_name`` of its own on ``self`` (which could be, or become, textual-serve's)."""
    tree = ast.parse(source)
    hits, theirs = [], {"textual_serve"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("textual_serve"):
            theirs.update(alias.asname or alias.name for alias in node.names)
            if any(_private(part) for part in node.module.split(".")) or any(
                    _private(alias.name) for alias in node.names):
                hits.append(f"{node.lineno}: import from {node.module}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("textual_serve") and any(
                        _private(part) for part in alias.name.split(".")):
                    hits.append(f"{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.Attribute) and node.attr in private:
            hits.append(f"{node.lineno}: .{node.attr}")

    def root(expr: ast.expr) -> str:
        while isinstance(expr, ast.Attribute):
            expr = expr.value
        return expr.id if isinstance(expr, ast.Name) else ""

    for cls in ast.walk(tree):
        if not isinstance(cls, ast.ClassDef) or not any(root(b) in theirs for b in cls.bases):
            continue
        for node in ast.walk(cls):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _private(node.name):
                hits.append(f"{node.lineno}: {cls.name}.{node.name}")
            elif isinstance(node, ast.Attribute) and _private(node.attr) \
                    and isinstance(node.value, ast.Name) and node.value.id == "self":
                hits.append(f"{node.lineno}: {cls.name}: self.{node.attr}")
    return hits


def test_no_private_textual_serve_api_in_the_package() -> None:
    """The web door holds textual-serve to the house rule (issue 19): its AppService
    through the public API only. The check finds what the door once did."""
    private = textual_serve_private_names()
    assert {"_open_app_process", "_process", "_stdin", "_binary_encode"} <= private
    once = (
        "from textual_serve.app_service import AppService\n"
        "from textual_serve._binary_encode import load\n"
        "class SessionService(AppService):\n"
        "    async def _open_app_process(self, width, height):\n"
        "        self._process = proc = self.proc\n"
        "        self._stdin = proc.stdin\n"
        "        self._lower_priority(proc.pid)\n"
        "x = service._task\n"
    )
    found = textual_serve_private_uses(once, private)
    assert {int(hit.split(":")[0]) for hit in found} == {2, 4, 5, 6, 7, 8}, found
    hits, checked = [], 0
    for path in sorted((ROOT / "rnn_tui").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "textual_serve" in text:
            checked += 1
            hits += [f"{path.relative_to(ROOT)}:{hit}"
                     for hit in textual_serve_private_uses(text, private)]
    assert checked >= 1 and not hits, "\n".join(hits)


def drawn(panel: Panel) -> list[Strip]:
    """The panel's lines as the Line API hands them to Textual."""
    return [panel.render_line(y) for y in range(panel.size.height)]


def textuals_own(panel: Panel) -> list[Strip]:
    """The same content drawn afresh by Textual's general path, padded to the height."""
    width, height = panel.size
    lines = Visual.to_strips(panel, panel.render(), width, height, panel.visual_style)
    blank = Strip.blank(width, panel.visual_style.rich_style)
    return (lines + [blank] * height)[:height]


async def test_panels_never_show_stale_lines() -> None:
    """After steps, the output (in the step box's place), the batch view, a theme, a
    language and a resize, every panel draws what Textual would draw now."""
    app = lesson_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for keys in (["right"], ["right", "right"], ["L"], ["end"], ["b"], ["right"], ["f3"],
                     ["home", "right"], ["f2"], ["L", "L"]):
            await press(pilot, *keys)
            checked = 0
            for panel in app.query(Panel):
                width, height = panel.size
                if not panel.display or panel._content is None or not width or not height:
                    continue
                base = panel.visual_style.rich_style
                assert _cells(drawn(panel), width, base) == _cells(textuals_own(panel), width,
                                                                   base), (keys, panel.id)
                checked += 1
            assert checked >= 4, keys
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        for panel in app.query(Panel):
            if panel.display and panel._content is not None and panel.size.width:
                base = panel.visual_style.rich_style
                assert _cells(drawn(panel), panel.size.width, base) == _cells(
                    textuals_own(panel), panel.size.width, base), panel.id


async def test_a_style_change_alone_repaints_a_panel() -> None:
    """No new content, only a new background: Textual's refresh drops the kept lines."""
    app = lesson_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "right")
        panel = app.query_one("#step", Panel)
        before = drawn(panel)
        repaints = panel.repaints
        panel.styles.background = "red"
        await pilot.pause()
        after = drawn(panel)
        assert panel.repaints == repaints  # show() built nothing new
        assert [line.text for line in after] == [line.text for line in before]
        red = panel.visual_style.rich_style.bgcolor
        assert red is not None and red.triplet == (255, 0, 0)
        assert all(red in {segment.style.bgcolor for segment in line if segment.style}
                   for line in after)


async def test_a_step_refreshes_only_the_changed_span_of_a_line() -> None:
    app = lesson_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "right")
        panel = app.query_one("#step", Panel)
        lines_before, repaints = panel.lines_repainted, panel.repaints
        refreshed = []
        original = panel.refresh

        def spy(*regions, **kwargs):
            refreshed.append((regions, kwargs))
            return original(*regions, **kwargs)

        panel.refresh = spy  # type: ignore[method-assign]
        old = drawn(panel)
        await press(pilot, "right")  # x·Wxh's marker moves on to h·Whh
        assert panel.repaints == repaints + 1
        changed = panel.lines_repainted - lines_before
        assert 0 < changed < panel.size.height
        new = drawn(panel)
        assert sum(a.text != b.text for a, b in zip(old, new, strict=True)) == changed
        # show()'s own refreshes name Regions and keep the lines it made
        assert not [r for r in refreshed if not r[0]]


class _Plain(Screen):
    BINDINGS = [Binding("z", "bell", "Close", id="close")]


class _Described(TranslatedBindings, Screen):
    BINDINGS = [Binding("z", "bell", "Close", id="close")]


async def test_footer_words_are_looked_up_when_read_not_written_into_bindings() -> None:
    app = lesson_app(lang="ko")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(_Plain())
        await pilot.pause()
        assert app.screen.active_bindings["z"].binding.description == "Close"
        app.pop_screen()
        await app.push_screen(_Described())
        await pilot.pause()
        assert app.screen.active_bindings["z"].binding.description == i18n.tr("key.close")
        assert i18n.tr("key.close") != "Close"  # Korean
        i18n.set_lang("en")
        assert app.screen.active_bindings["z"].binding.description == "Close"
    assert _Described.BINDINGS[0].description == "Close"  # the binding itself is as written
    assert issubclass(BackwardScreen, TranslatedBindings)  # the screen with Textual's Footer
