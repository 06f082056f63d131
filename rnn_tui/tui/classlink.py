"""The app's side of the class (issue 16): follow the teacher, lead, lock, hands, roster.

A served session whose environment names the class hub (``classroom.ENV_SOCKET``
and ``ENV_TOKEN``, read by ``cli/main.py``) gets a ``ClassLink``. It connects to
the hub's unix socket in a worker on the app's loop, says hello with its token,
then:

- after every ``refresh_view`` it sends where this session is (``sync``: one
  ``position``, only when it changed); a session that leads sends the whole
  lesson (``content``) first whenever its data or weights changed;
- a following session (everyone but the leader, until they press a stepping
  key) applies the leader's newest content and position: the lesson's data,
  weights, selection, position, views, and the backward view (opened, moved,
  closed). Its own quiz score, language, theme and size stay its own;
- a stepping key leaves follow mode (``allow``), ``f`` comes back; while the
  class is locked a student's stepping keys are refused, and say so;
- if the link breaks the session carries on alone, says so, and retries every
  ``RETRY`` seconds; on reconnecting it follows the leader's newest state.

Keys (in RNNApp.BINDINGS; on only in a class, by role; the help lists them
there): ``f`` follow the teacher again, ``a`` raise or lower one's hand
(students); ``c`` the roster (a screen; also a panel beside the stepper when the
terminal is roomy), ``o`` lock or unlock, ``F`` take the lead (teachers);
``K`` asks the class (the leader, issue 18: about the next sum, h or y; K again
reveals it early), or shows the open question again (a student who hid it).
The hub grades; this side sends only the guess as typed (``answer``), and
shows the hub's ``quiz`` messages in ``screens/class_quiz.py``'s box. When the
question is revealed, the leader steps on to the sub-step that shows its value.

What to send waits in one slot per message type (latest wins): a slow hub
never holds up the keys, and nothing here grows without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import fields, replace
from typing import TYPE_CHECKING, Any

from rnn_tui.teach import classroom
from rnn_tui.teach.i18n import tr
from rnn_tui.teach.lesson import Lesson, LessonError

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.timer import Timer

    from rnn_tui.tui.app import RNNApp
    from rnn_tui.tui.screens.class_quiz import ClassQuiz
    from rnn_tui.tui.view import View

#: Seconds between attempts to reach the hub again after the link broke.
RETRY = 2.0
#: Seconds to wait for the hub to accept a connection.
CONNECT_TIMEOUT = 5.0
#: The order pending messages are written in (content before its position).
ORDER = ("content", "position", "ask", "answer", "reveal", "hand", "lock", "lead",
         "clear_hand")
#: Seconds between a question's reveal and the leader's step to its value (every
#: screen draws the histogram first, then the class's step).
STEP_AFTER_REVEAL = 1.0
#: Hands lowered from the roster and not yet written (one slot per student).
MAX_PENDING_CLEARS = 64

#: Who may use each class key.
ROLE_ACTIONS = {
    "class_follow": ("teacher", "student"),
    "class_hand": ("student",),
    "class_roster": ("teacher",),
    "class_lock": ("teacher",),
    "class_lead": ("teacher",),
    "class_quiz": ("teacher", "student"),
}
#: Help rows for a class: the keys, the catalogue key, who has them.
HELP = [
    ("f", "class.help_follow", ("teacher", "student")),
    ("a", "class.help_hand", ("student",)),
    ("c", "class.help_roster", ("teacher",)),
    ("o", "class.help_lock", ("teacher",)),
    ("F", "class.help_lead", ("teacher",)),
    ("K", "cquiz.help_ask", ("teacher",)),
    ("K", "cquiz.help_open", ("student",)),
]

#: The app's actions that move or change the lesson: a follower's own key.
STEP_ACTIONS = frozenset({
    "next_substep", "next_step", "back_substep", "back_step", "reset", "to_end",
    "select", "select_number", "toggle_batch", "toggle_play", "train",
    "toggle_weights", "backward", "edit_sentences", "edit_weights",
})
#: The backward screen's actions that move it (or close it).
BACKWARD_ACTIONS = frozenset({"move", "step", "jump", "select", "close"})


def help_rows(role: str | None) -> list[tuple[str, str]]:
    """The class's help rows for this role (none outside a class)."""
    return [(keys, key) for keys, key, roles in HELP if role in roles]


def adopt(lesson: Lesson, new: Lesson) -> None:
    """Make ``lesson`` the lesson ``new`` in place (screens keep a reference to it),
    keeping its own quiz mode and score; its revision moves on, so every panel
    that shows the data or the weights repaints."""
    quiz, score, revision = lesson.quiz, lesson.score, lesson.revision
    for f in fields(Lesson):
        setattr(lesson, f.name, getattr(new, f.name))
    lesson.quiz, lesson.score, lesson.revision = quiz, score, revision + 1


class ClassLink:
    """One session's link to the class hub (see the module's docstring)."""

    def __init__(self, app: RNNApp, path: str, token: str) -> None:
        self.app = app
        self._reveal_step: Timer | None = None  # the step after a reveal, still to come
        self.path, self.token = path, token
        self.state = "connecting"  # "up" once welcomed, "lost" while retrying
        self.role: str | None = None  # from the hub's welcome (the SSH login chose it)
        self.name = ""
        self.id: int | None = None
        self.following = True  # the default for everyone but the leader
        self.leads = False
        self.locked = False
        self.leader: str | None = None
        self.broker_lost = False  # serve --class-broker: the class's link to other servers
        self.hand = False
        self.joins = 0  # welcomes so far (a reconnect makes another)
        self.hands = 0  # hands raised in the class (a teacher's roster says)
        self.roster: dict[str, Any] | None = None
        self.content: tuple[int, dict] | None = None  # the newest (rev, lesson) received
        self.position: dict[str, Any] | None = None  # the newest leader position received
        self.applied: int | None = None  # the rev of the content the lesson shows
        self._bad_rev: int | None = None  # a content that did not read (not tried again)
        self._sent_content: tuple | None = None
        self._sent_position: dict[str, Any] | None = None
        self._pending: dict[Any, bytes] = {}
        self._wake = asyncio.Event()
        self._watched: Screen | None = None  # the backward view whose position we send
        self.quiz: dict[str, Any] | None = None  # the hub's newest quiz message (issue 18)
        self.quiz_hidden = False  # esc hid the question's box
        self.quiz_box: ClassQuiz | None = None  # that box, once mounted (class_quiz.show)
        self._moved_for: int | None = None  # the question the leader stepped on after
        self._quiz_status: str | None = None  # the status line's words at the last quiz

    # --- running ------------------------------------------------------------------
    def start(self) -> None:
        self.app.run_worker(self._run(), name="class link", group="class", exit_on_error=False)

    async def _run(self) -> None:
        while True:
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except (OSError, EOFError, ValueError, asyncio.TimeoutError,
                    asyncio.IncompleteReadError):
                pass  # ValueError: a line too long, or a bad message (MessageError)
            except Exception:  # noqa: BLE001 - whatever went wrong, the lesson goes on alone
                pass
            self._lost()
            await asyncio.sleep(RETRY)

    async def _session(self) -> None:
        reader, writer = await asyncio.wait_for(
            asyncio.open_unix_connection(self.path, limit=classroom.MAX_LINE), CONNECT_TIMEOUT)
        writing = None
        try:
            self._pending.clear()
            writer.write(classroom.encode("hello", token=self.token))
            writing = asyncio.create_task(self._write(writer))
            while True:
                line = await reader.readline()
                if not line.endswith(b"\n"):
                    raise EOFError  # the hub closed the link (or cut a line)
                self._receive(classroom.decode(line, "hub"))
        finally:
            if writing is not None:
                writing.cancel()
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _write(self, writer: asyncio.StreamWriter) -> None:
        """Write what is pending, in ORDER, then wait for the socket to take it;
        meanwhile newer messages replace the pending ones."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            pending, self._pending = self._pending, {}
            try:
                for key in sorted(pending, key=lambda k: ORDER.index(
                        k[0] if isinstance(k, tuple) else k)):
                    writer.write(pending[key])
                await writer.drain()
            except (ConnectionError, OSError):
                return  # the reader sees the link end too, and tries again

    def _send(self, kind: str, key: Any = None, **fields: Any) -> bool:
        if self.state != "up":
            return False
        try:
            line = classroom.encode(kind, **fields)
        except ValueError:  # not JSON (a weight that overflowed): not sent
            return False
        if len(line) > classroom.MAX_LINE:
            return False
        if kind == "clear_hand":
            clears = [k for k in self._pending if isinstance(k, tuple)]
            if len(clears) >= MAX_PENDING_CLEARS:
                return False
        self._pending[key or kind] = line
        self._wake.set()
        return True

    def _lost(self) -> None:
        was = self.state
        self.state = "lost"
        self.leads = False
        self.roster, self.hands = None, 0
        if was != "lost":
            self._update()

    # --- from the hub --------------------------------------------------------------
    def _receive(self, msg: dict[str, Any]) -> None:
        kind = msg["type"]
        if kind == "welcome":
            self.state = "up"
            self.joins += 1
            self.role, self.name, self.id = msg["role"], msg["name"], msg["id"]
            self.applied = None  # a hub started again counts its revisions again
            self._sent_content = self._sent_position = None
            if self.hand:
                self._send("hand", up=True)
            if self.role == "teacher":
                self._mount_roster_panel()
            self._update()
        elif kind == "class":
            self._class(msg)
        elif kind == "content":
            self.content = (msg["rev"], msg["lesson"])
            self._follow()
        elif kind == "position":
            self.position = msg
            self._follow()
        elif kind == "roster":
            self.roster = msg
            self._show_roster()
            hands = sum(1 for s in msg["students"] if s["hand"])
            if hands != self.hands:  # the teacher's status bar counts them
                self.hands = hands
                self._update()
        elif kind == "hand":
            self.hand = bool(msg["up"])
            self._update()
        elif kind == "quiz":
            self._quiz(msg)

    def _class(self, msg: dict[str, Any]) -> None:
        leader = msg["leader"]
        self.leader = None if leader is None else classroom.display_name(leader)
        was_locked, self.locked = self.locked, bool(msg["locked"])
        self.broker_lost = msg.get("broker") == "lost"  # issue 20: said until it's back
        if msg["you_lead"] and not self.leads:
            self.leads, self.following = True, False
            self._sent_content = self._sent_position = None  # send the lesson, then where
        elif not msg["you_lead"] and self.leads:
            self.leads = False
            self.follow()  # another teacher took the lead
            return
        if self.locked and not was_locked and self.role == "student" and not self.following:
            self.follow()  # locked: everyone follows
            return
        self._update()

    # --- following -----------------------------------------------------------------
    def follow(self) -> None:
        """Go back to the leader's newest state (``f``, a lock, a lead given up)."""
        if self.leads:
            return
        self.following = True
        self.applied = None  # the lesson may have been changed here: take it again
        app = self.app
        while self._own_screen(app.screen):
            app.pop_screen()
        app.playing = False
        self._follow()

    def _own_screen(self, screen: Screen) -> bool:
        """A screen that changes the lesson on its own (a follower's is closed)."""
        from rnn_tui.tui.screens.files import FileScreen
        from rnn_tui.tui.screens.sentences import SentencesScreen
        from rnn_tui.tui.screens.training import TrainingScreen
        from rnn_tui.tui.screens.weights_editor import WeightsScreen

        return len(self.app.screen_stack) > 1 and isinstance(
            screen, (TrainingScreen, SentencesScreen, WeightsScreen, FileScreen))

    def _follow(self) -> None:
        """Apply the newest content and position, if this session follows."""
        if not self.following or self.leads:
            self._update()
            return
        app, lesson = self.app, self.app.lesson
        content = self.content
        if content is not None and content[0] != self.applied and content[0] != self._bad_rev:
            try:
                new = Lesson.from_dict(content[1])
                if new.cell != lesson.cell:  # the panels are the session's cell's (issue 21)
                    raise LessonError("lesson: cell: not this session's")
            except LessonError:
                self._bad_rev = content[0]  # not this one again; the next content may read
            else:
                if app.quizflow.question is not None:
                    app.quizflow.close()
                adopt(lesson, new)
                self.applied = content[0]
                self._close_backward()  # it showed the old weights' gradients
        where = self.position
        if where is not None and where["rev"] == self.applied and self.applied is not None:
            lesson.selected = min(where["selected"], lesson.batch - 1)
            lesson.pos = lesson.cursor.clamp(where["pos"])
            lesson.batch_view = where["batch_view"]
            self._sync_backward(where["backward"])
        app.refresh_view()

    def _backward_screen(self) -> Any:
        from rnn_tui.tui.screens.backward import BackwardScreen

        stack = self.app.screen_stack
        top = stack[-1] if stack else None
        return top if isinstance(top, BackwardScreen) else None

    def _close_backward(self) -> None:
        screen = self._backward_screen()
        if screen is not None:
            screen.dismiss(screen.selected)

    def _sync_backward(self, pos: int | None, tries: int = 10) -> None:
        """Open, move or close the backward view as the leader's is."""
        app = self.app
        screen = self._backward_screen()
        if pos is None:
            if screen is not None:
                screen.dismiss(app.lesson.selected)
            return
        if screen is None:
            if len(app.screen_stack) > 1:
                return  # the help (or the roster) is on top: the next position opens it
            from rnn_tui.tui import routes

            routes.backward(app)
            screen = self._backward_screen()
        if screen is None:
            return
        if not screen.is_mounted:  # its panels are not there yet
            if tries:
                app.call_after_refresh(lambda: self._follow_backward(tries - 1))
            return
        if screen.selected != app.lesson.selected:
            screen.selected = app.lesson.selected  # (moves it to 0)
        screen.pos = max(0, min(pos, screen.last))

    def _follow_backward(self, tries: int) -> None:
        where = self.position
        if self.following and not self.leads and where is not None \
                and where["rev"] == self.applied:
            self._sync_backward(where["backward"], tries)

    # --- to the hub ------------------------------------------------------------------
    def sync(self) -> None:
        """Send where this session is (after every refresh_view); the leader sends
        its lesson first when the data or the weights changed."""
        if self.state != "up":
            return
        lesson = self.app.lesson
        if self.leads:
            mark = (id(lesson), lesson.revision, id(lesson.dataset), id(lesson.weights))
            if mark != self._sent_content and self._send("content", lesson=lesson.to_dict()):
                self._sent_content = mark
                self._sent_position = None  # the hub keeps a position for its content only
        where = self.where()
        if where != self._sent_position and self._send("position", **where):
            self._sent_position = where

    def where(self) -> dict[str, Any]:
        """This session's position message (the backward view's, while it is open)."""
        lesson = self.app.lesson
        c = lesson.cursor
        screen = self._backward_screen()
        if screen is None or not screen.is_mounted:  # (reading a reactive would set it up)
            backward, selected = lesson.backward, lesson.selected
        else:
            backward, selected = int(screen.pos), int(screen.selected)
        s = lesson.score
        return {"selected": selected, "pos": lesson.pos, "batch_view": lesson.batch_view,
                "backward": backward, "following": self.following and not self.leads,
                "t": c.t, "steps": c.steps, "phase": c.phase,
                "score": [s.asked, s.points, s.skipped]}

    def screen_pushed(self, screen: Screen) -> None:
        """A backward view: its moves are this session's position too."""
        from rnn_tui.tui.screens.backward import BackwardScreen

        if isinstance(screen, BackwardScreen) and screen is not self._watched:
            self._watched = screen  # one open at a time
            for name in ("pos", "selected"):
                self.app.watch(screen, name, lambda: self.sync(), init=False)

    # --- keys ------------------------------------------------------------------------
    def allow(self, action: str, namespace: object) -> bool:
        """Whether a key's action may run: a stepping key leaves follow mode; while
        the class is locked a student's stepping keys are refused (and say so)."""
        from rnn_tui.tui.screens.backward import BackwardScreen

        app = self.app
        if namespace is None or namespace is app:
            own = action in STEP_ACTIONS
        else:
            own = isinstance(namespace, BackwardScreen) and action in BACKWARD_ACTIONS
        if not own or self.leads:
            return True
        if self.locked and self.role == "student":
            app.lesson.say("class.locked_key")
            if len(app.screen_stack) > 1:
                app.notify(tr("class.locked_key"), markup=False)
            app.refresh_view()
            return False
        if self.following and self.content is not None:
            self.following = False  # carry on from here, alone (before any teacher has
            self._sent_position = None  # led, nothing to leave: the lesson will follow)
        return True

    def may(self, action: str, top: object) -> bool:
        """Whether a class key is on for this session, with ``top`` the screen on top
        (on the backward view, which has its own keys, f and a still work)."""
        from rnn_tui.tui.screens.backward import BackwardScreen

        if self.state != "up" or self.role not in ROLE_ACTIONS.get(action, ()):
            return False
        if getattr(top, "OWNS_KEYS", False):
            return isinstance(top, BackwardScreen) and action in ("class_follow", "class_hand")
        if action == "class_quiz" and self.role == "teacher":
            return self.leads  # the leader asks
        return True

    def key(self, action: str) -> None:
        """A class key (the app's action_class_*)."""
        if action == "class_follow":
            self.follow()
        elif action == "class_hand":
            self.hand = not self.hand
            self._send("hand", up=self.hand)
        elif action == "class_lock":
            self._send("lock", on=not self.locked)
        elif action == "class_lead":
            self._send("lead")
        elif action == "class_quiz":
            self._ask_or_reveal()
        elif action == "class_roster":
            from rnn_tui.tui.screens.roster import RosterScreen

            self.app.push_screen(RosterScreen(self))
        self._update()

    def clear_hand(self, student: int) -> None:
        self._send("clear_hand", key=("clear_hand", student), id=student)

    # --- what the status line says ------------------------------------------------
    def dress(self, view: View) -> View:
        """The app's View with the class's words first among the status bar's extras;
        and, while the roster panel is beside the stepper, the room the stepper has."""
        mode = "  ".join(w for w in (self.status(), view.mode) if w)
        view = replace(view, mode=mode)
        size = getattr(view, "size", None)
        if self._panel_shown() and size is not None and size[0]:
            from rnn_tui.tui.panels.roster import PANEL_WIDTH

            view = replace(view, size=(size[0] - PANEL_WIDTH, size[1]))
        return view

    def _panel_shown(self) -> bool:
        return self.role == "teacher" and self.app.stepper_screen.has_class("roomy")

    def status(self) -> str:
        """Words for the status bar: the link, following or not, the lock, the hand."""
        parts = []
        if self.state == "lost":
            parts.append(tr("class.lost"))
        elif self.state == "connecting" or self.role is None:
            parts.append(tr("class.connecting"))
        elif self.leads:
            parts.append(tr("class.you_lead"))
        elif not self.following:
            parts.append(tr("class.own"))
        elif self.leader is not None:
            parts.append(tr("class.following", name=self.leader))
        elif self.content is not None:
            parts.append(tr("class.leader_left"))
        else:
            parts.append(tr("class.waiting"))
        if self.broker_lost and self.state == "up":  # this server goes on; the class is away
            parts.append(tr("class.lost"))
        if self.locked and self.state == "up":
            parts.append(tr("class.locked_mark"))
        if self.hand:
            parts.append(tr("class.hand_up"))
        if self.hands and self.role == "teacher" and self.state == "up":
            parts.append(tr("class.hands", n=self.hands))
        q = self.quiz
        if q is not None and q["open"] and self.state == "up" \
                and (self.quiz_hidden or self.role == "teacher"):
            parts.append(tr("cquiz.answered_mark", n=q["answered"], total=q["total"])
                         if self.leads else tr("cquiz.answered", n=q["answered"], total=q["total"])
                         if self.role == "teacher" else tr("cquiz.open_mark"))
        return "  ".join(parts)

    def _update(self) -> None:
        self.app.refresh_view()

    # --- the roster (teachers) -------------------------------------------------------
    def _mount_roster_panel(self) -> None:
        """The roster beside the stepper (shown when the terminal is roomy)."""
        from rnn_tui.tui.panels.roster import RosterPanel

        if not self.app.query(RosterPanel):
            main = self.app.stepper_screen.query_one("#main")
            main.mount(RosterPanel(self, id="roster"))
            # the narration docked beside it: after the mount, which adds the rule
            # (RosterPanel's CSS) that this class selects
            main.add_class("with-roster")

    def _show_roster(self) -> None:
        from rnn_tui.tui.panels.roster import RosterPanel
        from rnn_tui.tui.screens.roster import RosterScreen

        for panel in self.app.stepper_screen.query(RosterPanel):
            panel.show_roster()
        for screen in self.app.screen_stack:
            if isinstance(screen, RosterScreen):
                screen.show_roster()

    # --- asking the class (issue 18) ----------------------------------------------------
    def _quiz(self, msg: dict[str, Any]) -> None:
        from rnn_tui.tui.screens import class_quiz

        old, self.quiz = self.quiz, msg
        new = old is None or (old["qid"], old["open"]) != (msg["qid"], msg["open"])
        if self.leads and not msg["open"] and msg["qid"] != self._moved_for:
            self._moved_for = msg["qid"]  # revealed: then the class sees the value computed
            self._reveal_step = self.app.set_timer(STEP_AFTER_REVEAL,
                                                   lambda: self._step_to(msg))
        class_quiz.show(self, new)
        status = self.status()
        if status != self._quiz_status:  # (the box itself repainted; the status line may)
            self._quiz_status = status
            self._update()

    def _step_to(self, msg: dict[str, Any]) -> None:
        self._reveal_step = None
        lesson = self.app.lesson
        if self.leads and lesson.selected == msg["b"] and lesson.pos == msg["pos"] - 1:
            lesson.step()
            self.app.refresh_view()

    def _ask_or_reveal(self) -> None:
        """K: the leader asks about the next sum, h or y (stepping on to just before
        it), or reveals the open question; a student shows the open question again."""
        from rnn_tui.tui.screens import class_quiz

        q = self.quiz
        if self.role != "teacher":
            if q is not None:
                class_quiz.show(self, new=True)
            return
        if q is not None and q["open"]:
            self._send("reveal", qid=q["qid"])
            return
        if q is not None and self._reveal_step is not None:
            # asked again before the last reveal's step: take that step first, so the
            # next question is not about the value the class is about to be shown
            self._reveal_step.stop()
            self._reveal_step = None
            self._step_to(q)
        app, lesson = self.app, self.app.lesson
        question = lesson.question()
        for _ in range(8):  # at most the sub-steps of one time step
            if question is not None or not lesson.step():
                break
            question = lesson.question()
        if question is None:
            lesson.say("cquiz.nothing")
        app.refresh_view()  # (sends the position first)
        if question is not None:
            self._send("ask", what=question.kind, b=question.b, t=question.t,
                       entry=question.entry, pos=question.pos, truth=question.truth)

    def answer(self, text: str) -> tuple[str, dict] | None:
        """A student's guess, sent as typed (the hub grades it); a hint if it is not
        a number (nothing sent), or if the question is closed."""
        from rnn_tui.teach.quiz import parse_guess

        q = self.quiz
        if q is None or not q["open"]:
            return ("cquiz.closed", {})
        typed = text.strip()[:classroom.MAX_GUESS]
        if parse_guess(typed) is None:
            return ("cquiz.not_a_number", {"text": typed})
        if not self._send("answer", qid=q["qid"], text=typed):
            return ("class.lost", {})
        return ("cquiz.sent", {"text": typed})
