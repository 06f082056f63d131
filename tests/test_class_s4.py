"""The class's benchmark targets (issues 16 and 18, session 4): what each fix keeps true.

- A reveal changes only the question's box on a student's screen: the focus
  stays where it was (a focus change repaints the whole screen in Textual and
  restyles widgets, in every session of the class at once) and no panel of the
  stepper under the box repaints; the guess is typed into the box itself.
- The hub sends each answer's count to the teachers and to the one who
  answered, not to the class; a reveal makes the top five once, not once a member.
- The leader's position goes to the hub after its own frame, not before.
"""

from __future__ import annotations

import asyncio

import pytest
from conftest import screen_text
from test_class_quiz_hub import asked, class_of, hub_with, quizzes
from test_follow import teacher_and_two, until
from textual import events

from rnn_tui.serve.hub import Hub
from rnn_tui.tui import classlink
from rnn_tui.tui.panels.base import Panel
from rnn_tui.tui.screens.class_quiz import ClassQuiz

SMALL = (80, 24)


def box(app) -> ClassQuiz:
    return app.stepper_screen.query_one(ClassQuiz)


def repaints(app) -> int:
    return sum(p.repaints for p in app.stepper_screen.query(Panel))


async def test_a_reveal_keeps_the_focus_and_repaints_no_panel(monkeypatch) -> None:
    monkeypatch.setattr(classlink, "STEP_AFTER_REVEAL", 60.0)  # the class's step: not here
    async with teacher_and_two(SMALL) as (hub, apps, pilots):
        teacher, ann, bob = apps
        tp, ap, bp = pilots
        await tp.press("K")
        await until(pilots, lambda: all(a.classlink.quiz is not None and box(a).shown
                                        for a in apps))
        await ap.press(*"0.5", "enter")  # bob never answers: the teacher reveals
        await until(pilots, lambda: ann.classlink.quiz["guess"] == 0.5)
        for _ in range(3):
            for p in pilots:
                await p.pause()
        focused = {a: a.focused for a in (ann, bob)}
        assert focused[ann] is box(ann) and focused[bob] is box(bob)  # typing goes there
        assert ann.classlink.quiz_box is box(ann)  # kept: not looked up at each message
        before = {a: repaints(a) for a in (ann, bob)}
        await tp.press("K")
        await until(pilots, lambda: all("esc: close" in screen_text(a) for a in apps))
        for a in (ann, bob):
            assert a.focused is focused[a]  # no focus change: no whole-screen repaint
            assert repaints(a) == before[a]  # only the box's lines changed
        assert "◀ you" in screen_text(ann) and "◀ you" not in screen_text(bob)
        await ap.press("escape")  # still closes the box, and the app's keys work again
        await until(pilots, lambda: not box(ann).shown)
        await ap.press("right")
        await until(pilots, lambda: not ann.classlink.following)


async def test_the_guess_is_edited_in_the_box() -> None:
    async with teacher_and_two(SMALL) as (hub, apps, pilots):
        teacher, ann, bob = apps
        tp, ap, bp = pilots
        await tp.press("K")
        await until(pilots, lambda: box(ann).shown and box(ann).typing())
        field = box(ann)
        assert "a number, e.g. -0.25" in screen_text(ann)  # the placeholder
        # the cursor moves: "5", home, "0." -> "0.5"; a character deleted on each side
        await ap.press("5", "home", "0", ".", "end", "9", "backspace", "left", "delete")
        assert (field.value, field.cursor) == ("0.", 2)
        await ap.press("5")
        assert "› 0.5" in screen_text(ann)
        # pasted: its first line, its printable characters, at most 40 in all
        field.post_message(events.Paste("25\nmore lines"))
        await until(pilots, lambda: field.value == "0.525")
        field.post_message(events.Paste("1" * 100))
        await until(pilots, lambda: len(field.value) == 40)
        await ap.press(*["backspace"] * 40, "x", "enter")
        await until(pilots, lambda: "'x' is not a number" in screen_text(ann))
        await ap.press("backspace", "0", ".", "2", "enter")
        await until(pilots, lambda: ann.classlink.quiz["guess"] == 0.2)
        assert "your answer: +0.200 (counted)" in screen_text(ann)
        await tp.press("K")  # revealed: the field goes, and keys no longer type in it
        await until(pilots, lambda: not ann.classlink.quiz["open"])
        assert not field.typing()


async def test_an_answer_is_counted_to_the_teachers_and_the_one_who_answered_only() -> None:
    hub = await hub_with()
    try:
        teacher, students = await class_of(hub, "ann", "bob", "cho", "dan")
        qid = await asked(teacher, students)
        for s in (teacher, *students):
            await s.quiet()
        ann, *others = students
        for text in ("0.1", "0.2", "0.3"):  # one answer, then changed twice
            ann.send("answer", qid=qid, text=text)
            await asyncio.sleep(0.05)
            got = {c: await quizzes(c) for c in (teacher, ann, *others)}
            assert len(got[ann]) == 1 and got[ann][0]["guess"] == float(text)
            assert len(got[teacher]) == 1 and got[teacher][0]["answered"] == 1
            assert all(got[o] == [] for o in others)  # no message per answer to the class
        teacher.send("reveal", qid=qid)
        for c in (teacher, *students):  # the reveal: one message each
            got = [m for m in await quizzes(c) if not m["open"]]
            assert len(got) == 1
    finally:
        await hub.close()


async def test_a_reveal_makes_the_top_once(monkeypatch) -> None:
    calls = []
    top = Hub._top

    def counted(self):
        calls.append(1)
        return top(self)

    monkeypatch.setattr(Hub, "_top", counted)
    hub = await hub_with()
    try:
        teacher, students = await class_of(hub, *(f"s{i}" for i in range(12)))
        qid = await asked(teacher, students)
        for s in students:
            s.send("answer", qid=qid, text="0.5")
        got = [await s.recv("quiz", open=False) for s in students]
        assert len(calls) == 1  # not one per member (it sorts the class each time)
        assert all(g["top"] == got[0]["top"] and len(g["top"]) == 5 for g in got)
    finally:
        await hub.close()


@pytest.mark.parametrize(("seconds", "counting"), [(0.0, False), (30.0, True)])
async def test_the_box_ticks_only_while_seconds_count_down(seconds, counting) -> None:
    """serve --quiz-seconds: the box counts down once a second; without a limit, or once
    revealed, its timer is paused (forty sessions would wake every second for nothing)."""
    async with teacher_and_two(SMALL, quiz_seconds=seconds) as (hub, apps, pilots):
        teacher, ann, bob = apps
        tp, ap, bp = pilots
        await tp.press("K")
        await until(pilots, lambda: box(ann).shown)
        assert box(ann)._counting is counting
        await tp.press("K")
        await until(pilots, lambda: not ann.classlink.quiz["open"])
        assert box(ann)._counting is False
