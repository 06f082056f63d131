"""Panels, key bindings and the tests themselves on Textual's public API only.

The panels draw with the Line API (``render_line``) and refresh only the
Regions that changed; the footer's words are looked up when read
(``TranslatedBindings``); the tests read the screen through ``Screen`` and
``Widget`` methods, and notifications through ``run_test``'s message hook.
"""

from __future__ import annotations

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
    """After steps, the output (a class on #middle), the batch view, a theme, a
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
        panel = app.query_one("#input-term", Panel)
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
        panel = app.query_one("#input-term", Panel)
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
