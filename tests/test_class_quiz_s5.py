"""Issue 18, session 5: the reveal changes the class's boxes' lines, not their size.

A student whose answer is counted (and the teacher, from the question on) has a box
as tall as the revealed one; the reveal then repaints it without a layout (a layout
in every session of the class at once was most of a reveal's cost). Typing a guess
never lays the box out either.
"""

from __future__ import annotations

from conftest import screen_text
from test_class_quiz_app import EN_LABELS, SMALL, bins_on_screen, box, shown
from test_follow import teacher_and_two, until
from textual.widgets import Static

from rnn_tui.tui.screens.class_quiz import reveal_rows


def spy_layouts(app) -> list[bool]:
    """Whether each update of the app's quiz box text asked for a layout."""
    text = box(app).query_one("#cquiz-text", Static)
    asked: list[bool] = []
    update = text.update

    def spied(content="", *, layout: bool = True) -> None:
        asked.append(layout)
        update(content, layout=layout)

    text.update = spied  # type: ignore[method-assign]
    return asked


async def test_the_reveal_repaints_the_boxes_without_a_layout() -> None:
    async with teacher_and_two(SMALL) as (hub, apps, pilots):
        teacher, ann, bob = apps
        tp, ap, bp = pilots
        await tp.press("K")
        await until(pilots, lambda: all(shown(a) for a in apps))
        # the teacher's box has the reveal's room at once; an unanswered student's not
        assert box(teacher).size.height == reveal_rows("teacher")
        assert box(ann).size.height < reveal_rows("student")
        typed = spy_layouts(ann)
        await ap.press(*"0.25")  # typing: the same lines, never a layout
        await until(pilots, lambda: "0.25" in screen_text(ann))
        assert typed and not any(typed)
        await ap.press("enter")
        await until(pilots, lambda: ann.classlink.quiz["guess"] == 0.25)
        await until(pilots, lambda: box(ann).size.height == reveal_rows("student"))
        assert "the class's answers come here at the reveal" in screen_text(ann)
        heights = {a: box(a).size.height for a in (teacher, ann)}
        asked = {a: spy_layouts(a) for a in (teacher, ann)}
        await bp.press(*"-1", "enter")  # the last answer: the question closes
        await until(pilots, lambda: all(not a.classlink.quiz["open"] for a in apps))
        await until(pilots, lambda: all("is " in screen_text(a) for a in apps))
        for app in (teacher, ann):
            assert asked[app] and not any(asked[app])  # repainted, not laid out
            assert box(app).size.height == heights[app]
            assert bins_on_screen(screen_text(app), EN_LABELS)[2] + \
                bins_on_screen(screen_text(app), EN_LABELS)[0] >= 1
        # bob answered as it closed: his box grows at the reveal, to the same rows
        assert box(bob).size.height == reveal_rows("student")
        assert sum(bins_on_screen(screen_text(bob), EN_LABELS)) == 2
