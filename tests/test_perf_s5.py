"""Issue 22, session 5: a panel keeps what it showed by ``show``'s key (a position seen
before is not built again), and ``layout.place`` shows and hides the parts (reaching
the output restyles nothing).

No timing here: speed is measured in benchmarks/.
"""

from __future__ import annotations

from test_perf_s4 import check, six_app

from rnn_tui.tui import layout
from rnn_tui.tui.panels.base import Panel
from rnn_tui.tui.panels.batchview import BatchMatrices
from rnn_tui.tui.panels.stepper import StepBox

PARTS = ("top", "diagram", "step", "batch-matrices", "output")


def builds(monkeypatch) -> dict[str, int]:
    """Count each panel's builds by its id."""
    counts: dict[str, int] = {}
    for cls in {StepBox, BatchMatrices}:
        original = cls.build

        def counted(self, view, _original=original):
            if self.id is not None:  # (not the fresh panels ``check`` builds)
                counts[self.id] = counts.get(self.id, 0) + 1
            return _original(self, view)

        monkeypatch.setattr(cls, "build", counted)
    return counts


async def test_a_position_seen_before_is_not_built_again_and_draws_fresh_lines(
        monkeypatch) -> None:
    counts = builds(monkeypatch)
    app = six_app()
    cycle = ["right"] * 9 + ["home"]
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        for key in cycle:  # the first visit of each position builds
            await pilot.press(key)
        await pilot.pause()
        first = dict(counts)
        assert first["step"] >= 8 and first["batch-matrices"] >= 8
        for key in cycle:  # seen before: drawn from what was kept, nothing built
            await pilot.press(key)
            await pilot.pause()
            assert check(app, f"again {key}") >= 4
        assert counts == first
        await pilot.press("f3")  # another theme: other colours, so built again
        await pilot.pause()
        assert check(app, "f3") >= 4
        await pilot.press("right")
        await pilot.pause()
        assert counts["step"] > first["step"]
        assert check(app, "f3 right") >= 4
        await pilot.resize_terminal(160, 50)  # another size: its lines made again
        await pilot.pause()
        for key in cycle:
            await pilot.press(key)
            await pilot.pause()
            assert check(app, f"160x50 {key}") >= 4


async def test_what_a_panel_keeps_is_bounded() -> None:
    app = six_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        step = app.stepper_screen.query_one(StepBox)
        step.SHOWN_KEPT = 5
        for key in ["right"] * 12:
            await pilot.press(key)
        await pilot.pause()
        assert step.repaints >= 12
        for panel in app.stepper_screen.query(Panel):
            assert len(panel._shown) <= panel.SHOWN_KEPT, panel.id


async def test_place_shows_what_shown_says_and_the_output_restyles_nothing(
        monkeypatch) -> None:
    app = six_app()
    restyled: list[str | None] = []
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        original = type(app).update_styles

        def update_styles(self, node=None, animate=True):
            restyled.append(getattr(node, "id", None))
            return original(self, node, animate)

        monkeypatch.setattr(type(app), "update_styles", update_styles)
        keys = ["L"] * 6 + ["right"] + ["home", "b", "right", "L", "b", "end", "home"]
        seen_output = False
        for key in keys:
            restyled.clear()
            await pilot.press(key)
            await pilot.pause()
            view = app.view()
            roomy = app.stepper_screen.has_class("roomy")
            for part in PARTS:
                node = app.stepper_screen.query_one(f"#{part}")
                assert node.display == layout.shown(part, view, roomy), (key, part)
            if view.cursor.at_output:
                seen_output = True
                assert app.stepper_screen.query_one("#output").display
                assert not app.stepper_screen.query_one("#step").display
                assert restyled == [], key  # no class toggled: no stylesheet matched again
        assert seen_output
        await pilot.resize_terminal(80, 24)  # not roomy: the batch view only on b
        await pilot.pause()
        assert not app.stepper_screen.query_one("#batch-matrices").display
        await pilot.press("b")
        await pilot.pause()
        assert app.stepper_screen.query_one("#batch-matrices").display
        assert not app.stepper_screen.query_one("#step").display
        assert not app.stepper_screen.query_one("#top").display
