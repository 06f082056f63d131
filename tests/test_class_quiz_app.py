"""Asking the class (issue 18), in the apps: Pilot apps linked to a real class hub.

The teacher presses K; every student's app shows the question in a box over
the stepper; they type guesses; the reveal shows the truth, the histogram with
their own bin marked, their points, and the class steps on to the value.
"""

from __future__ import annotations

import re

from conftest import screen_text
from test_follow import TEACHER_SEED, class_app, hub_running, until, up

from rnn_tui.serve.results import Results
from rnn_tui.teach import fmt
from rnn_tui.tui.screens.class_quiz import ClassQuiz

SMALL = (80, 24)


def box(app) -> ClassQuiz | None:
    found = app.stepper_screen.query(ClassQuiz)
    return found.first() if found else None


def shown(app) -> bool:
    b = box(app)
    return b is not None and b.shown


def bins_on_screen(text: str, labels: list[str]) -> list[int]:
    """The count at the end of each histogram line (before an own-guess mark)."""
    out = []
    for label in labels:
        m = re.search(re.escape(label) + r" +█* *(\d+)", text)
        assert m, f"no histogram line {label!r} in:\n{text}"
        out.append(int(m.group(1)))
    return out


EN_LABELS = ["under by > 0.2", "under by 0.05–0.2", "within 0.05", "over by 0.05–0.2",
             "over by > 0.2"]
KO_LABELS = ["0.2 넘게 작음", "0.05–0.2 작음", "0.05 이내", "0.05–0.2 큼", "0.2 넘게 큼"]


async def test_the_class_is_asked_answers_and_sees_the_histogram(tmp_path) -> None:
    results = Results(tmp_path)
    async with hub_running(results=results) as hub:
        teacher = class_app(hub, "kim", "teacher", TEACHER_SEED)
        ann = class_app(hub, "ann", "student", 0)
        bob = class_app(hub, "bob", "student", 0)
        cho = class_app(hub, "cho", "student", 0)
        apps = (teacher, ann, bob, cho)
        async with teacher.run_test(size=SMALL) as tp, ann.run_test(size=SMALL) as ap, \
                bob.run_test(size=SMALL) as bp, cho.run_test(size=SMALL) as cp:
            pilots = (tp, ap, bp, cp)
            await until(pilots, lambda: up(*apps) and teacher.classlink.leads
                        and all(a.classlink.applied is not None for a in apps[1:]))
            await tp.press("K")  # at pos 0: steps on to just before the first sum
            await until(pilots, lambda: all(shown(a) for a in apps))
            q = teacher.lesson.question()
            assert q is not None and (q.kind, q.pos) == ("pre", 3)
            assert teacher.pos == 2 and ann.pos == bob.pos == 2  # the class is there too
            assert "answered 0 / 3" in screen_text(teacher)
            assert "guess Σ" in screen_text(ann) or "of sentence 1" in screen_text(ann)
            # ann: a bad guess first (an inline message), then a good one, then changed
            await ap.press(*"abc", "enter")
            await until(pilots, lambda: "'abc' is not a number" in screen_text(ann))
            await ap.press("backspace", "backspace", "backspace", *"9", "enter")
            await until(pilots, lambda: "answered 1 / 3" in screen_text(teacher))
            near = fmt.num(q.truth + 0.03, 2)  # within 0.05: 2 points
            await ap.press(*["backspace"] * 3, *near, "enter")
            await until(pilots, lambda: ann.classlink.quiz["guess"] == float(near))
            assert f"your answer: {fmt.num(float(near))} (counted)" in screen_text(ann)
            # bob types with a Korean input method: fullwidth digits (Pilot can't press a
            # fullwidth point; the hub's test sends one)
            close = f"{q.truth - 0.1:.2f}"
            wide = close.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
            await bp.press(*wide, "enter")
            await until(pilots, lambda: "answered 2 / 3" in screen_text(teacher))
            assert teacher.classlink.quiz["open"]
            await tp.press("K")  # cho never answers: the teacher reveals
            await until(pilots, lambda: all(not a.classlink.quiz["open"] for a in apps))
            await until(pilots, lambda: ann.pos == 3 and cho.pos == 3 and teacher.pos == 3)
            want = [0, 1, 1, 0, 0]  # bob 0.1 under, ann within 0.05, cho none
            ann_text, bob_text, cho_text = (screen_text(a) for a in (ann, bob, cho))
            t_text = screen_text(teacher)
            for text in (ann_text, bob_text, cho_text, t_text):
                assert bins_on_screen(text, EN_LABELS) == want
                assert f"is {fmt.num(q.truth)}." in text
            assert re.search(r"within 0\.05 +█+ +1  ◀ you", ann_text)
            assert re.search(r"under by 0\.05–0\.2 +█+ +1  ◀ you", bob_text)
            assert "◀ you" not in cho_text and "◀ you" not in t_text
            assert f"you said {fmt.num(float(near))}: +2" in ann_text
            assert "+1" in bob_text and "your total: 1 of 2" in bob_text
            assert "you did not answer: +0" in cho_text
            assert "top: ann 2 · bob 1" in t_text
            # the stepper behind shows the revealed sum; esc closes the box
            assert ann.cursor.phase == 3
            await ap.press("escape")
            await until(pilots, lambda: not shown(ann))
            roster = {e["name"]: e["score"] for e in hub.roster()}
            assert roster["ann"] == [1, 2, 0] and roster["cho"] == [0, 0, 1]
            rows = results.path.read_text(encoding="utf-8").splitlines()
            assert len(rows) == 3 and rows[1].split(",")[1] == "ann"


async def test_korean_class() -> None:
    from rnn_tui.teach import i18n

    async with hub_running(anonymous=True) as hub:
        teacher = class_app(hub, "kim", "teacher", TEACHER_SEED, lang="ko")
        min_ = class_app(hub, "min", "student", 0, lang="ko")
        async with teacher.run_test(size=SMALL) as tp, min_.run_test(size=SMALL) as mp:
            pilots = (tp, mp)
            await until(pilots, lambda: up(teacher, min_) and teacher.classlink.leads
                        and min_.classlink.applied is not None)
            i18n.set_lang("ko")
            await tp.press("K")
            await until(pilots, lambda: shown(min_))
            assert "문장 1 의 Σ" in screen_text(min_) or "문장 1 의" in screen_text(min_)
            await mp.press("x", "enter")
            await until(pilots, lambda: "'x' 는 숫자가 아니다" in screen_text(min_))
            await mp.press("backspace", "５", "enter")  # fullwidth 5: far above
            await until(pilots, lambda: not teacher.classlink.quiz["open"])
            await until(pilots, lambda: not min_.classlink.quiz["open"])
            text = screen_text(min_)
            assert bins_on_screen(text, KO_LABELS) == [0, 0, 0, 0, 1]
            assert re.search(r"0\.2 넘게 큼 +█+ +1  ◀ 나", text)
            assert "내 답 +5.000: +0  내 합계: 2 점 중 0 점" in text
            assert "상위" not in text  # anonymous: no names to students
            assert "상위: min 0" in screen_text(teacher) or "상위" not in screen_text(teacher)


async def test_late_joiner_gets_the_open_question_and_the_local_quiz_still_works() -> None:
    async with hub_running() as hub:
        teacher = class_app(hub, "kim", "teacher", TEACHER_SEED)
        ann = class_app(hub, "ann", "student", 0)
        async with teacher.run_test(size=SMALL) as tp, ann.run_test(size=SMALL) as ap:
            pilots = [tp, ap]
            await until(pilots, lambda: up(teacher, ann) and teacher.classlink.leads
                        and ann.classlink.applied is not None)
            await tp.press("K")
            await until(pilots, lambda: shown(ann))
            await ap.press("escape")  # hidden: the status line says a question is open
            await until(pilots, lambda: not shown(ann))
            assert "a question is open (K)" in screen_text(ann)
            await ap.press("K")
            await until(pilots, lambda: shown(ann))
            dan = class_app(hub, "dan", "student", 0)
            async with dan.run_test(size=SMALL) as dp:
                pilots.append(dp)
                await until(pilots, lambda: shown(dan) and "answered 0 / 2" in
                            screen_text(teacher))
                await dp.press("0", "enter")
                await until(pilots, lambda: "answered 1 / 2" in screen_text(teacher))
            pilots.pop()  # dan left mid-question: not answered
            await until(pilots, lambda: "answered 0 / 1" in screen_text(teacher))
            await ap.press("1", "enter")  # the last one here: it closes
            await until(pilots, lambda: not teacher.classlink.quiz["open"])


async def test_outside_a_class_k_is_the_private_quiz_and_K_does_nothing() -> None:
    from rnn_tui.core.data import lesson_dataset
    from rnn_tui.core.model import Weights
    from rnn_tui.tui.app import RNNApp

    d = lesson_dataset()
    app = RNNApp(d, Weights.init(d.vocab, hidden=3, seed=0), lang="en")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("K")
        assert box(app) is None and app.pos == 0
        await pilot.press("k", "right", "right", "right")
        q = app.quizflow.question
        assert q is not None and q.kind == "pre"
        await pilot.press(*fmt.num(q.truth), "enter")
        await pilot.pause()
        assert app.score.points == 2 and app.pos == q.pos


async def test_quiz_seconds_count_down_and_close() -> None:
    async with hub_running(quiz_seconds=2.0) as hub:
        teacher = class_app(hub, "kim", "teacher", TEACHER_SEED)
        ann = class_app(hub, "ann", "student", 0)
        async with teacher.run_test(size=SMALL) as tp, ann.run_test(size=SMALL) as ap:
            pilots = (tp, ap)
            await until(pilots, lambda: up(teacher, ann) and teacher.classlink.leads
                        and ann.classlink.applied is not None)
            await tp.press("K")
            await until(pilots, lambda: "2 s left" in screen_text(ann))
            await until(pilots, lambda: "1 s left" in screen_text(ann))
            await until(pilots, lambda: "you did not answer: +0" in screen_text(ann))


def test_help_rows_name_K_by_role() -> None:
    from rnn_tui.tui import classlink

    assert ("K", "cquiz.help_ask") in classlink.help_rows("teacher")
    assert ("K", "cquiz.help_open") in classlink.help_rows("student")
    assert not classlink.help_rows(None)


async def test_only_the_leader_asks_and_reveals() -> None:
    async with hub_running() as hub:
        kim = class_app(hub, "kim", "teacher", TEACHER_SEED)
        lee = class_app(hub, "lee", "teacher", 0)
        ann = class_app(hub, "ann", "student", 0)
        async with kim.run_test(size=SMALL) as kp, lee.run_test(size=SMALL) as lp, \
                ann.run_test(size=SMALL) as ap:
            pilots = (kp, lp, ap)
            await until(pilots, lambda: up(kim, lee, ann) and kim.classlink.leads
                        and ann.classlink.applied is not None)
            await lp.press("K")  # not the leader: K is off
            await ap.press("K")  # a student's K only shows an open question
            await until(pilots, lambda: True)
            assert hub.asked == 0 and box(lee) is None and box(ann) is None
            await kp.press("K")
            await until(pilots, lambda: shown(lee) and shown(ann))
            text = screen_text(lee)
            assert "answered 0 / 1" in text and "the teacher who leads reveals it" in text
            assert "K: reveal now" in screen_text(kim)


async def test_asking_again_right_after_a_reveal_asks_about_the_next_value() -> None:
    """K pressed before the reveal's step to the value (1 s later) takes that step
    first: the new question is about the next quantity, and no student sees the
    answer to an open question on their screen."""
    async with hub_running() as hub:
        teacher = class_app(hub, "kim", "teacher", TEACHER_SEED)
        ann = class_app(hub, "ann", "student", 0)
        async with teacher.run_test(size=SMALL) as tp, ann.run_test(size=SMALL) as ap:
            pilots = (tp, ap)
            await until(pilots, lambda: up(teacher, ann) and teacher.classlink.leads
                        and ann.classlink.applied is not None)
            await tp.press("K")  # the sum of t = 1 (pos 3), asked at pos 2
            await until(pilots, lambda: shown(ann) and ann.classlink.quiz["open"])
            first = teacher.classlink.quiz
            await ap.press(*"0.1", "enter")  # everyone answered: the question closes
            await until(pilots, lambda: not teacher.classlink.quiz["open"])
            await tp.press("K")  # at once, before the reveal's step has come
            await until(pilots, lambda: teacher.classlink.quiz["open"]
                        and ann.classlink.quiz is not None and ann.classlink.quiz["open"])
            second = teacher.classlink.quiz
            assert second["qid"] != first["qid"]
            q = teacher.lesson.question()
            assert q is not None and q.pos == 4 and q.kind != "pre"  # h₁ now, not the sum
            assert teacher.pos == 3
            await until(pilots, lambda: ann.pos == 3)
            await tp.pause(1.3)  # the old step's time passes: nothing moves
            await ap.pause()
            assert teacher.pos == 3 and ann.pos == 3
            h1 = fmt.num(float(teacher.stepper.H[0, 0, 0]))
            assert f"h₁ = tanh(sum) (1,3) = [{h1}" not in screen_text(ann)
