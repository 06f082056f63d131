"""A class in one process (issue 16): Pilot apps linked to a real class hub.

The teacher's app and the students' apps run side by side on one loop, each
linked to ``rnn_tui.serve.hub.Hub`` over its unix socket, as ``rnn-tui serve``
links its sessions' processes. The screens are read as text, and the numbers
checked against an independent NumPy run.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import numpy as np
from conftest import screen_text

from rnn_tui.core.data import lesson_dataset
from rnn_tui.core.model import Weights
from rnn_tui.serve.hub import Hub
from rnn_tui.teach import fmt, i18n
from rnn_tui.tui import classlink
from rnn_tui.tui.app import RNNApp

SIZE = (100, 30)
TEACHER_SEED, STUDENT_SEED = 7, 0  # a follower's numbers can only be the teacher's


def class_app(hub: Hub, name: str, role: str, seed: int, lang: str = "en") -> RNNApp:
    d = lesson_dataset()
    token = hub.admit(name, role)
    return RNNApp(d, Weights.init(d.vocab, hidden=3, seed=seed), lang=lang,
                  classroom=(hub.path, token))


def h1(seed: int) -> np.ndarray:
    """h₁ of every sentence, computed here from the weights (no engine code)."""
    d = lesson_dataset()
    w = Weights.init(d.vocab, hidden=3, seed=seed)
    return np.tanh(d.X[:, 0, :] @ w.Wxh + np.zeros((3, 3)) @ w.Whh + w.bh)


def y(seed: int) -> np.ndarray:
    """y of every sentence, by plain NumPy."""
    d = lesson_dataset()
    w = Weights.init(d.vocab, hidden=3, seed=seed)
    h = np.zeros((d.X.shape[0], w.Whh.shape[0]))
    for t in range(d.X.shape[1]):
        active = (t < d.lengths)[:, None]
        h = np.where(active, np.tanh(d.X[:, t, :] @ w.Wxh + h @ w.Whh + w.bh), h)
    return 1 / (1 + np.exp(-(h @ w.Wy + w.by)))


async def until(pilots, check, timeout: float = 15.0) -> None:
    """Let every app run until ``check()`` holds (bounded in time)."""
    deadline = time.monotonic() + timeout
    while True:
        for p in pilots:
            await p.pause()
        if check():
            return
        if time.monotonic() > deadline:
            raise AssertionError("the class did not settle in time")
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def hub_running(**kwargs):
    hub = Hub(**kwargs)
    await hub.start()
    try:
        yield hub
    finally:
        await hub.close()


def up(*apps: RNNApp) -> bool:
    return all(a.classlink.state == "up" for a in apps)


@contextlib.asynccontextmanager
async def teacher_and_two(size: tuple[int, int] = (80, 24), **hub_options):
    """A hub, its teacher kim (leading) and the students ann and bob (seed 0), each app
    running under Pilot and linked: yields (hub, (teacher, ann, bob), (tp, ap, bp))."""
    async with hub_running(**hub_options) as hub:
        teacher = class_app(hub, "kim", "teacher", TEACHER_SEED)
        ann = class_app(hub, "ann", "student", 0)
        bob = class_app(hub, "bob", "student", 0)
        apps = (teacher, ann, bob)
        async with teacher.run_test(size=size) as tp, ann.run_test(size=size) as ap, \
                bob.run_test(size=size) as bp:
            pilots = (tp, ap, bp)
            await until(pilots, lambda: up(*apps) and teacher.classlink.leads
                        and all(a.classlink.applied is not None for a in apps[1:]))
            yield hub, apps, pilots


async def test_students_follow_the_teacher_step_and_output() -> None:
    async with hub_running() as hub:
        teacher = class_app(hub, "kim", "teacher", TEACHER_SEED)
        ann = class_app(hub, "ann", "student", STUDENT_SEED)
        bob = class_app(hub, "bob", "student", STUDENT_SEED)
        async with teacher.run_test(size=SIZE) as tp, ann.run_test(size=SIZE) as ap, \
                bob.run_test(size=SIZE) as bp:
            pilots = (tp, ap, bp)
            await until(pilots, lambda: up(teacher, ann, bob) and teacher.classlink.leads)
            await until(pilots, lambda: ann.pos == bob.pos == 0
                        and ann.classlink.applied is not None)
            await tp.press("L")
            await until(pilots, lambda: ann.pos == bob.pos == 4)
            want = h1(TEACHER_SEED)
            for app in (ann, bob):
                np.testing.assert_allclose(app.stepper.h, want, rtol=1e-12)
                text = screen_text(app)
                assert "following kim" in text
                for value in want[0]:
                    assert fmt.num(value) in text
            await tp.press("end")
            await until(pilots, lambda: ann.cursor.at_output and bob.cursor.at_output)
            want_y = y(TEACHER_SEED)
            for app in (ann, bob):
                np.testing.assert_allclose(app.stepper.output.y, want_y, rtol=1e-12)
                assert fmt.prob(want_y[0, 0]) in screen_text(app)


async def test_own_key_leaves_follow_mode_and_f_returns() -> None:
    async with hub_running() as hub:
        teacher = class_app(hub, "kim", "teacher", TEACHER_SEED)
        ann = class_app(hub, "ann", "student", STUDENT_SEED)
        async with teacher.run_test(size=SIZE) as tp, ann.run_test(size=SIZE) as ap:
            pilots = (tp, ap)
            await until(pilots, lambda: up(teacher, ann) and ann.classlink.applied is not None)
            await tp.press("L")
            await until(pilots, lambda: ann.pos == 4)
            await ap.press("right")  # her own key: she carries on from the teacher's state
            await until(pilots, lambda: ann.pos == 5)
            assert not ann.classlink.following
            assert "on your own; f: follow the teacher" in screen_text(ann)
            await tp.press("L", "L")
            await until(pilots, lambda: teacher.pos == 12)
            await until(pilots, lambda: teacher.classlink.roster is not None and any(
                not s["following"] for s in teacher.classlink.roster["students"]
                if s["name"] == "ann"))
            assert ann.pos == 5  # not moved by the teacher
            np.testing.assert_allclose(ann.weights.Wxh, teacher.weights.Wxh)  # his weights
            await ap.press("f")
            await until(pilots, lambda: ann.pos == 12)
            assert ann.classlink.following
            assert "following kim" in screen_text(ann)
            await tp.press("left")
            await until(pilots, lambda: ann.pos == 11)


async def test_lock_refuses_stepping_keys_then_unlock() -> None:
    async with hub_running() as hub:
        teacher = class_app(hub, "kim", "teacher", TEACHER_SEED)
        ann = class_app(hub, "ann", "student", STUDENT_SEED)
        async with teacher.run_test(size=SIZE) as tp, ann.run_test(size=SIZE) as ap:
            pilots = (tp, ap)
            await until(pilots, lambda: up(teacher, ann) and ann.classlink.applied is not None)
            await tp.press("L")
            await until(pilots, lambda: ann.pos == 4)
            await ap.press("right", "right")  # on her own, a little ahead
            await until(pilots, lambda: ann.pos == 6)
            await tp.press("o")  # lock: everyone follows
            await until(pilots, lambda: ann.classlink.locked and ann.pos == 4)
            assert ann.classlink.following
            await ap.press("right", "L", "down", "b", "g")  # all refused
            await until(pilots, lambda: "the class is locked" in screen_text(ann))
            assert (ann.pos, ann.selected, ann.batch_view) == (4, 0, False)
            assert len(ann.screen_stack) == 1  # no backward view of her own
            assert "[class locked]" in screen_text(ann)
            await ap.press("f2")  # language still works
            await until(pilots, lambda: ann.lang == "ko")
            await ap.press("f2")
            await tp.press("L")
            await until(pilots, lambda: ann.pos == 8)
            await tp.press("o")  # unlock
            await until(pilots, lambda: not ann.classlink.locked)
            await ap.press("right")
            await until(pilots, lambda: ann.pos == 9)
            assert not ann.classlink.following


async def test_roster_shows_names_positions_and_hands() -> None:
    async with hub_running() as hub:
        teacher = class_app(hub, "kim", "teacher", TEACHER_SEED)
        ann = class_app(hub, "ann", "student", STUDENT_SEED)
        bob = class_app(hub, "bob", "student", STUDENT_SEED)
        async with teacher.run_test(size=SIZE) as tp, ann.run_test(size=SIZE) as ap, \
                bob.run_test(size=SIZE) as bp:
            pilots = (tp, ap, bp)
            await until(pilots, lambda: up(teacher, ann, bob)
                        and bob.classlink.applied is not None)
            await tp.press("L")
            await until(pilots, lambda: ann.pos == bob.pos == 4)
            await bp.press("down", "right")  # bob: sentence 2, t 2 sub-step 1, on his own
            await ap.press("a")  # ann raises her hand
            # the roster chooses the first raised hand when it opens: open it once the
            # teacher has heard of ann's (a roster comes at most twice a second)
            await until(pilots, lambda: teacher.classlink.hands == 1)
            await tp.press("c")
            await until(pilots, lambda: "✋ ann" in screen_text(teacher)
                        and "bob" in screen_text(teacher)
                        and "sentence 2, t 2/3, 1/4" in screen_text(teacher))
            text = screen_text(teacher)
            assert "2 connected, 1 following" in text
            ann_line = next(line for line in text.splitlines() if "ann" in line)
            assert "following" in ann_line and "sentence 1, t 1/3, 4/4" in ann_line
            bob_line = next(line for line in text.splitlines() if "bob" in line)
            assert "on own" in bob_line and "✋" not in bob_line
            assert "hand raised" in screen_text(ann)
            assert teacher.classlink.hands == 1
            assert "✋ 1 raised (c: roster)" in teacher.view().mode  # the status bar's words
            # the teacher lowers ann's hand from the roster: the raised hand is chosen first
            await tp.press("enter")
            await until(pilots, lambda: not ann.classlink.hand)
            await until(pilots, lambda: "✋" not in screen_text(teacher))
            assert "raised" not in teacher.view().mode
            assert "hand raised" not in screen_text(ann)
            await tp.press("escape")
            await until(pilots, lambda: len(teacher.screen_stack) == 1)


async def test_a_late_joiner_gets_the_whole_state_at_once() -> None:
    async with hub_running() as hub:
        teacher = class_app(hub, "kim", "teacher", TEACHER_SEED)
        async with teacher.run_test(size=SIZE) as tp:
            await until((tp,), lambda: up(teacher) and teacher.classlink.leads)
            await tp.press("down", "down", "L", "L", "right", "b")
            late = class_app(hub, "lee", "student", STUDENT_SEED)
            async with late.run_test(size=SIZE) as lp:
                pilots = (tp, lp)
                await until(pilots, lambda: late.pos == 9)
                assert (late.selected, late.batch_view) == (2, True)
                np.testing.assert_allclose(late.weights.Wxh, teacher.weights.Wxh)
                assert "following kim" in screen_text(late)


async def test_the_link_lost_then_back() -> None:
    async with hub_running() as hub:
        teacher = class_app(hub, "kim", "teacher", TEACHER_SEED)
        ann = class_app(hub, "ann", "student", STUDENT_SEED)
        async with teacher.run_test(size=SIZE) as tp, ann.run_test(size=SIZE) as ap:
            pilots = (tp, ap)
            await until(pilots, lambda: up(teacher, ann) and ann.classlink.applied is not None)
            await hub.close()  # the server's hub is gone
            await until(pilots, lambda: ann.classlink.state == "lost")
            assert "class link lost; retrying" in screen_text(ann)
            await ap.press("right", "right")  # she keeps working on her own
            assert ann.pos == 2


async def test_reconnects_and_follows_the_newest_state(monkeypatch) -> None:
    monkeypatch.setattr(classlink, "RETRY", 0.05)
    async with hub_running() as hub:
        teacher = class_app(hub, "kim", "teacher", TEACHER_SEED)
        token = hub.admit("ann", "student")
        d = lesson_dataset()
        ann = RNNApp(d, Weights.init(d.vocab, hidden=3, seed=STUDENT_SEED), lang="en",
                     classroom=(hub.path, token))
        async with teacher.run_test(size=SIZE) as tp, ann.run_test(size=SIZE) as ap:
            pilots = (tp, ap)
            await until(pilots, lambda: up(teacher, ann) and ann.classlink.applied is not None)
            # another link says ann's hello: the hub drops hers (one link per token)
            reader, writer = await asyncio.open_unix_connection(hub.path)
            writer.write(b'{"v":1,"type":"hello","token":"%s"}\n' % token.encode())
            await writer.drain()
            await tp.press("L")
            # she loses the link, comes back (the stray link is dropped in turn) and
            # follows the newest state again
            await until(pilots, lambda: ann.classlink.joins == 2 and ann.pos == 4)
            assert "following kim" in screen_text(ann)
            writer.close()


async def test_the_teacher_leaves_students_keep_the_last_state() -> None:
    async with hub_running() as hub:
        teacher = class_app(hub, "kim", "teacher", TEACHER_SEED)
        ann = class_app(hub, "ann", "student", STUDENT_SEED)
        async with ann.run_test(size=SIZE) as ap:
            async with teacher.run_test(size=SIZE) as tp:
                await until((tp, ap), lambda: up(teacher, ann)
                            and ann.classlink.applied is not None)
                await tp.press("L")
                await until((tp, ap), lambda: ann.pos == 4)
            await until((ap,), lambda: ann.classlink.leader is None)
            assert ann.pos == 4
            np.testing.assert_allclose(ann.stepper.h, h1(TEACHER_SEED))
            assert "the teacher left; the last state stays" in screen_text(ann)


async def test_a_korean_student_with_an_english_teacher() -> None:
    async with hub_running() as hub:
        teacher = class_app(hub, "kim", "teacher", TEACHER_SEED, lang="en")
        min_ = class_app(hub, "min", "student", STUDENT_SEED, lang="ko")
        async with teacher.run_test(size=SIZE) as tp, min_.run_test(size=SIZE) as mp:
            pilots = (tp, mp)
            await until(pilots, lambda: up(teacher, min_) and min_.classlink.applied is not None)
            await tp.press("L")
            await until(pilots, lambda: min_.pos == 4)
            # the language is each session's own (one process here: the last app's
            # language is the catalogue's, so only the student's screen is read)
            i18n.set_lang("ko")
            min_.refresh_view()
            await mp.pause()
            text = screen_text(min_)
            assert min_.lang == "ko" and teacher.lang == "en"
            assert "kim 따라가는 중" in text
            for value in h1(TEACHER_SEED)[0]:
                assert fmt.num(value) in text
            await mp.press("right")
            await until(pilots, lambda: "혼자 진행 중; f: 선생님 따라가기" in screen_text(min_))


async def test_students_follow_the_backward_view() -> None:
    async with hub_running() as hub:
        teacher = class_app(hub, "kim", "teacher", TEACHER_SEED)
        ann = class_app(hub, "ann", "student", STUDENT_SEED)
        async with teacher.run_test(size=SIZE) as tp, ann.run_test(size=SIZE) as ap:
            pilots = (tp, ap)
            await until(pilots, lambda: up(teacher, ann) and ann.classlink.applied is not None)
            await tp.press("down", "end", "g", "right", "right", "right")
            await until(pilots, lambda: type(ann.screen).__name__ == "BackwardScreen"
                        and ann.screen.pos == 3)
            assert ann.screen.selected == 1
            await tp.press("escape")
            await until(pilots, lambda: len(ann.screen_stack) == 1)
            assert ann.lesson.backward is None


async def test_another_teacher_takes_the_lead() -> None:
    async with hub_running() as hub:
        kim = class_app(hub, "kim", "teacher", TEACHER_SEED)
        lee = class_app(hub, "lee", "teacher", STUDENT_SEED)
        ann = class_app(hub, "ann", "student", STUDENT_SEED)
        async with kim.run_test(size=SIZE) as kp, lee.run_test(size=SIZE) as lp, \
                ann.run_test(size=SIZE) as ap:
            pilots = (kp, lp, ap)
            await until(pilots, lambda: up(kim, lee, ann) and kim.classlink.leads
                        and lee.classlink.applied is not None)
            await kp.press("L")
            await until(pilots, lambda: ann.pos == lee.pos == 4)  # lee follows too
            await lp.press("F")
            await until(pilots, lambda: lee.classlink.leads and not kim.classlink.leads)
            await lp.press("L")
            await until(pilots, lambda: ann.pos == kim.pos == 8)
            assert "following lee" in screen_text(ann) and "following lee" in screen_text(kim)
            assert "you lead the class" in screen_text(lee)


async def test_class_keys_only_in_a_class_and_by_role() -> None:
    d = lesson_dataset()
    alone = RNNApp(d, Weights.init(d.vocab, hidden=3, seed=0), lang="en")
    async with alone.run_test(size=SIZE) as p:
        await p.press("question_mark")
        await p.pause()
        assert "follow the teacher" not in " ".join(text for _, text in alone.screen.rows)
        await p.press("escape", "a", "o", "c", "f", "F")
        assert alone.pos == 0 and len(alone.screen_stack) == 1
    async with hub_running() as hub:
        ann = class_app(hub, "ann", "student", STUDENT_SEED)
        async with ann.run_test(size=(100, 40)) as ap:
            await until((ap,), lambda: up(ann))
            await ap.press("o", "c", "F")  # a teacher's keys: nothing for a student
            await ap.pause()
            assert len(ann.screen_stack) == 1 and not hub.locked and hub.leader is None
            await ap.press("question_mark")
            await until((ap,), lambda: len(ann.screen_stack) == 2)
            rows = " ".join(text for _, text in ann.screen.rows)
            assert "follow the teacher again" in rows and "raise / lower your hand" in rows
            assert "lock / unlock" not in rows


def test_the_environment_names_the_hub(monkeypatch) -> None:
    from rnn_tui.cli.main import classroom_env
    from rnn_tui.teach.classroom import ENV_SOCKET, ENV_TOKEN

    monkeypatch.delenv(ENV_SOCKET, raising=False)
    monkeypatch.delenv(ENV_TOKEN, raising=False)
    assert classroom_env() is None
    monkeypatch.setenv(ENV_SOCKET, "/tmp/hub.sock")
    monkeypatch.setenv(ENV_TOKEN, "secret")
    assert classroom_env() == ("/tmp/hub.sock", "secret")
    assert ENV_TOKEN not in __import__("os").environ  # not handed down to children


async def test_the_roster_beside_the_stepper_when_roomy(monkeypatch) -> None:
    from rnn_tui.teach import classroom
    from rnn_tui.tui.panels.roster import RosterPanel

    monkeypatch.setattr(classlink, "RETRY", 0.05)

    async with hub_running() as hub:
        teacher = class_app(hub, "kim", "teacher", TEACHER_SEED)
        ann = class_app(hub, "ann", "student", STUDENT_SEED)
        roomy = (130, 40)
        async with teacher.run_test(size=roomy) as tp, ann.run_test(size=roomy) as ap:
            pilots = (tp, ap)
            await until(pilots, lambda: up(teacher, ann) and ann.classlink.applied is not None)
            await ap.press("a")

            def panel_text() -> str:
                panel = teacher.query_one(RosterPanel)
                return "\n".join(s.text for s in panel.render_lines(panel.region.reset_offset))

            await until(pilots, lambda: "✋ ann" in panel_text())
            panel = teacher.query_one(RosterPanel)
            assert panel.display and panel.region.right == roomy[0]
            assert teacher.query_one("#step").region.right <= panel.region.x  # beside it
            # the narration too (docked at the bottom, beside the docked roster), and it
            # wraps to the width it has: none of its words under the roster
            narration = teacher.query_one("#narration")
            assert narration.region.right == panel.region.x
            assert narration.region.bottom == panel.region.bottom
            shown = screen_text(teacher).splitlines()[narration.region.y:narration.region.bottom]
            words = " ".join(line[:narration.region.right] for line in shown).split()
            assert words and words == " ".join(
                s.text for s in narration.render_lines(narration.region.reset_offset)).split()
            text = panel_text()
            assert "1 connected, 1 following" in text and "sentence 1, start" in text
            assert not ann.query(RosterPanel)  # a student has none
            await tp.resize_terminal(100, 30)
            await tp.pause()
            assert not teacher.query_one(RosterPanel).display  # no room: the c key shows it
            assert teacher.query_one("#narration").region.right == 100  # the whole width
            await ap.press("a")  # lowered while the panel is hidden (and not drawn)
            await until(pilots, lambda: teacher.classlink.hands == 0)
            await tp.resize_terminal(*roomy)
            await until(pilots, lambda: "ann" in panel_text() and "✋" not in panel_text())
            # a welcome again (the link back) while the help is on top: still one roster
            # (a second would be a DuplicateIds error)
            await tp.press("question_mark")
            await tp.pause()
            assert teacher.screen is not teacher.stepper_screen
            joins = teacher.classlink.joins
            # another link says kim's hello: the hub drops hers (one link per token),
            # and her app links again (test_reconnects_and_follows_the_newest_state)
            reader, writer = await asyncio.open_unix_connection(hub.path)
            writer.write(classroom.encode("hello", token=teacher.classlink.token))
            await writer.drain()
            await until(pilots, lambda: teacher.classlink.joins > joins and up(teacher))
            assert len(teacher.stepper_screen.query(RosterPanel)) == 1
            writer.close()


def test_what_waits_to_be_sent_is_one_message_per_kind() -> None:
    """Latest state wins on the session's side too: while the socket is slow, each
    kind of message waits in one slot, replaced by a newer one."""
    d = lesson_dataset()
    app = RNNApp(d, Weights.init(d.vocab, hidden=3, seed=0), lang="en",
                 classroom=("/nonexistent", "token"))
    link = app.classlink
    link.state, link.role, link.leads = "up", "teacher", True
    for pos in range(1, 13):
        app.lesson.pos = pos
        link.sync()
    for student in range(1000):
        link.clear_hand(student)
    kinds = [k if isinstance(k, str) else k[0] for k in link._pending]
    assert kinds.count("position") == 1 and kinds.count("content") == 1
    assert kinds.count("clear_hand") == classlink.MAX_PENDING_CLEARS
    assert b'"pos":12' in link._pending["position"]


async def test_a_bad_line_from_the_hub_drops_the_link(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(classlink, "RETRY", 0.05)
    lines = [b'{"v":1,"type":"welcome","id":1,"name":"ann","role":"student"}\n',
             b'{"v":2,"type":"class"}\n']
    hellos = []

    async def hub(reader, writer):
        hellos.append(await reader.readline())
        for line in lines:
            writer.write(line)
        await writer.drain()
        await reader.read()  # until the app closes the link

    server = await asyncio.start_unix_server(hub, str(tmp_path / "hub.sock"))
    d = lesson_dataset()
    app = RNNApp(d, Weights.init(d.vocab, hidden=3, seed=0), lang="en",
                 classroom=(str(tmp_path / "hub.sock"), "tok"))
    async with server, app.run_test(size=SIZE) as p:
        await until((p,), lambda: len(hellos) >= 2)  # dropped, then tried again
        assert hellos[0] == b'{"v":1,"type":"hello","token":"tok"}\n'
        assert app.classlink.joins >= 1
        await p.press("right")
        assert app.pos == 1  # the lesson goes on


def test_roster_lines_fit_and_say_everything() -> None:
    from rich.cells import cell_len

    from rnn_tui.tui.panels.roster import roster_lines

    def entry(i, name, **kw):
        e = {"id": i, "name": name, "via": "ssh", "role": "student", "following": True,
             "selected": 0, "t": 0, "steps": 3, "phase": 0, "idle": 0.0, "hand": False,
             "score": [0, 0, 0]}
        return {**e, **kw}

    roster = {"connected": 3, "following": 1, "students": [
        entry(1, "Ms Kim", role="teacher", following=False),
        entry(2, "ann", hand=True, selected=1, t=2, phase=3, idle=75.0, score=[2, 3, 1]),
        entry(3, "김민준" * 8, following=False, phase=5, t=3, idle=7300.0),
        entry(4, "[red]x\x1b[2J", idle=5.4),
    ]}
    for wide, width in ((False, 26), (True, 100), (True, 40)):
        lines = roster_lines(roster, "Ms Kim", width, chosen=2, wide=wide)
        assert all(cell_len(line.plain) <= width for line in lines)
        text = "\n".join(line.plain for line in lines)
        assert "3 connected, 1 following" in text
        assert "\x1b" not in text and "[red]x?[2J" in text  # text, never markup or escapes
    text = "\n".join(line.plain for line in roster_lines(roster, "Ms Kim", 100, wide=True))
    ann = next(line for line in text.splitlines() if "ann" in line)
    assert ann.startswith("✋ ann") and "following" in ann and "sentence 2, t 2/3, 3/4" in ann
    assert "idle 1m" in ann and "quiz 3/6" in ann
    assert "leads" in text.splitlines()[1] and "(teacher)" in text.splitlines()[1]
    assert "on own" in text and "sentence 1, output" in text and "idle 2h" in text
    assert "idle 5s" in text


async def test_before_any_teacher_leads_students_still_follow() -> None:
    """Keys pressed while waiting for the teacher don't leave follow mode: when the
    teacher starts, everyone is on the teacher's screen."""
    async with hub_running() as hub:
        ann = class_app(hub, "ann", "student", STUDENT_SEED)
        async with ann.run_test(size=SIZE) as ap:
            await until((ap,), lambda: up(ann))
            assert "waiting for the teacher" in screen_text(ann)
            await ap.press("right", "right", "down")
            assert ann.pos == 2 and ann.classlink.following
            teacher = class_app(hub, "kim", "teacher", TEACHER_SEED)
            async with teacher.run_test(size=SIZE) as tp:
                await until((tp, ap), lambda: ann.classlink.applied is not None)
                assert (ann.pos, ann.selected) == (0, 0)
                np.testing.assert_allclose(ann.weights.Wxh, teacher.weights.Wxh)
                assert "following kim" in screen_text(ann)


def test_a_large_class_in_the_panel_gets_a_line_each() -> None:
    from rich.cells import cell_len

    from rnn_tui.tui.panels.roster import roster_lines

    students = [{"id": i, "name": f"student{i:02d}", "via": "ssh", "role": "student",
                 "following": i % 5 != 0, "selected": i % 3, "t": 2, "steps": 3,
                 "phase": 1 + i % 4, "idle": 1.0, "hand": i == 33, "score": [0, 0, 0]}
                for i in range(40)]
    roster = {"connected": 40, "following": 32, "students": students}
    lines = [line.plain for line in roster_lines(roster, None, 26, rows=20)]
    assert len(lines) == 20 and all(cell_len(line) <= 26 for line in lines)
    assert lines[0] == "40 connected, 32 following"
    assert lines[1].startswith("✋ student33")  # a raised hand first,
    assert all(line.endswith(" own") for line in lines[2:10])  # then those on their own
    assert lines[3] == "   student05 3: t2 2/4 own"
    assert lines[10] == "   student01    2: t2 2/4"
    assert lines[-1] == "… 22 more (c: all)"  # 18 shown
    few = [line.plain for line in roster_lines(roster | {"students": students[:3]}, None, 26,
                                               rows=20)]
    assert len(few) == 1 + 3 * 3  # room enough: three lines each


async def test_students_follow_new_sentences_and_hand_edited_weights() -> None:
    from rnn_tui.teach.edit import rebatch

    async with hub_running() as hub:
        teacher = class_app(hub, "kim", "teacher", TEACHER_SEED)
        ann = class_app(hub, "ann", "student", STUDENT_SEED)
        async with teacher.run_test(size=SIZE) as tp, ann.run_test(size=SIZE) as ap:
            pilots = (tp, ap)
            await until(pilots, lambda: up(teacher, ann) and ann.classlink.applied is not None)
            # the teacher's sentence editor: a new batch, a new word
            result = rebatch([["as", "soon"], ["never", "as", "soon", "as"]], [1, 0],
                             teacher.weights, seed=teacher.lesson.seed)
            teacher.lesson.new_dataset(result)
            teacher.refresh_view()
            await until(pilots, lambda: ann.dataset.texts == teacher.dataset.texts)
            assert ann.weights.vocab == ["as", "soon", "never"]
            # a weight edited by hand (the weights editor): marked as edited there too
            teacher.install_weights(teacher.weights.with_entry("Wxh", 2, 1, 0.5))
            await until(pilots, lambda: ann.weights.Wxh[2, 1] == 0.5)
            assert ann.lesson.edited() == teacher.lesson.edited() == {("Wxh", 2, 1)}
            await tp.press("down", "L", "L")
            await until(pilots, lambda: (ann.selected, ann.pos) == (1, 8))
            want = teacher.stepper.h.copy()
            np.testing.assert_allclose(ann.stepper.h, want)
            assert fmt.num(want[1, 0]) in screen_text(ann)


async def test_a_position_waits_for_its_content(tmp_path) -> None:
    """A position stamped with a revision the session has not got is kept, and used
    once that content arrives; the student's own quiz score stays hers."""
    from rnn_tui.teach.classroom import encode
    from rnn_tui.teach.lesson import Lesson

    d = lesson_dataset()
    first = Lesson.start(d, Weights.init(d.vocab, hidden=3, seed=TEACHER_SEED)).to_dict()
    second = Lesson.start(d, Weights.init(d.vocab, hidden=3, seed=3)).to_dict()
    where = {"selected": 2, "pos": 4, "batch_view": False, "backward": None}
    go = asyncio.Event()

    async def hub(reader, writer):
        await reader.readline()
        writer.write(encode("welcome", id=2, name="ann", role="student")
                     + encode("class", locked=False, leader="kim", you_lead=False)
                     + encode("content", rev=1, lesson=first)
                     + encode("position", rev=2, **where))
        await writer.drain()
        await go.wait()
        writer.write(encode("content", rev=2, lesson=second))
        await writer.drain()
        await reader.read()

    server = await asyncio.start_unix_server(hub, str(tmp_path / "hub.sock"))
    ann = RNNApp(d, Weights.init(d.vocab, hidden=3, seed=0), lang="en",
                 classroom=(str(tmp_path / "hub.sock"), "tok"))
    async with server, ann.run_test(size=SIZE) as p:
        ann.lesson.score.points = 3  # her own quiz so far
        ann.lesson.score.asked = 2
        await until((p,), lambda: ann.classlink.applied == 1 and ann.classlink.position)
        assert (ann.pos, ann.selected) == (0, 0)  # the position is for revision 2
        go.set()
        await until((p,), lambda: ann.classlink.applied == 2)
        assert (ann.pos, ann.selected) == (4, 2)
        np.testing.assert_allclose(ann.weights.Wxh, Weights.init(d.vocab, hidden=3, seed=3).Wxh)
        assert (ann.lesson.score.asked, ann.lesson.score.points) == (2, 3)
