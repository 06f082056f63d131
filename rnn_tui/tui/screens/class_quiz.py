"""The class's question (issue 18): a box over the bottom of the stepper.

Not a screen of its own: a widget on the stepper's screen, drawn over its last
rows (``position: absolute``, ``overlay: screen``), so the stepper keeps
repainting behind it as the class moves on, and a follower sees the revealed
sub-step above the histogram. It shows what the hub's newest ``quiz``
message says (``ClassLink.quiz``):

- open, to a student: the question, a box for the guess (Enter sends it; it
  may be changed until the reveal; not a number: an inline message), the
  counted guess, the seconds left;
- open, to the teacher: the question and "answered 17 / 28"; K reveals;
- revealed: the true value, the class's guesses in bars binned around it
  (``teach.histogram``), this student's own bin marked, the points, the total,
  and the top five (none to students with ``serve --anonymous``).

Escape hides it (K shows it again while it is open). All text is the
catalogue's ("cquiz."), rendered when shown: F2 renders it again.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from rnn_tui.teach import fmt, histogram
from rnn_tui.teach.i18n import tr
from rnn_tui.teach.narration import sub
from rnn_tui.teach.quiz import parse_guess
from rnn_tui.tui.keys import follow_language
from rnn_tui.tui.panels.quizbar import MAX_GUESS_CHARS
from rnn_tui.tui.textfield import TextField

if TYPE_CHECKING:
    from rnn_tui.tui.classlink import ClassLink


def value_name(msg: dict[str, Any]) -> str:
    """sum₂[1], h₂[3] or y: what was asked."""
    name = {"pre": f"{tr('word.sum')}{sub(msg['t'])}", "h": f"h{sub(msg['t'])}",
            "y": "y"}[msg["what"]]
    return name if msg["entry"] is None else f"{name}[{msg['entry'] + 1}]"


def quiz_lines(msg: dict[str, Any], role: str | None, precision: int = 3,
               hint: str | None = None, leads: bool = True) -> list[str]:
    """The box's text (above the guess box, while it is open), in the current language.
    ``leads``: a teacher who leads reveals with K (another teacher only watches)."""
    p = precision
    title = tr("cquiz.title", n=msg["qid"])
    if msg["open"]:
        ask = tr(f"cquiz.ask_{msg['what']}", name=value_name(msg), n=msg["b"] + 1)
        lines = [f"{title}  {ask}"]
        state = []
        if role == "teacher":
            state.append(tr("cquiz.answered", n=msg["answered"], total=msg["total"]))
        elif msg["guess"] is not None:
            state.append(tr("cquiz.your_guess", guess=fmt.num(msg["guess"], p)))
        else:
            state.append(tr("cquiz.no_guess_yet"))
        if msg["seconds"] is not None:
            state.append(tr("cquiz.seconds", s=int(msg["seconds"] + 0.5)))
        lines.append("  ".join(state))
        keys = "cquiz.keys_student" if role != "teacher" \
            else "cquiz.keys_teacher" if leads else "cquiz.keys_watch"
        lines.append(hint or tr(keys))
        return lines
    truth = msg["truth"]
    lines = [f"{title}  " + tr("cquiz.truth", name=value_name(msg), truth=fmt.num(truth, p))
             + "  " + tr("cquiz.guesses", n=msg["answered"])]
    own = None
    if role != "teacher" and msg["guess"] is not None:
        own = histogram.bin_of(msg["guess"], truth)
    labels = [tr(key) for key in histogram.LABELS]
    lines += histogram.lines(msg["bins"] or [0] * len(labels), labels, own, tr("cquiz.you"),
                             bar_width=20)
    mine = msg["mine"]
    if role != "teacher":
        if msg["points"] is None:
            you = tr("cquiz.no_points")
        else:
            you = tr("cquiz.points", guess=fmt.num(msg["guess"], p), points=msg["points"])
        best = 2 * (mine[0] + mine[2])
        lines.append(f"{you}  {tr('cquiz.total', points=mine[1], best=best)}  "
                     + tr("cquiz.keys_closed"))
    else:
        lines[0] += "  " + tr("cquiz.keys_closed")
    if msg["top"]:
        names = " · ".join(f"{fmt.clip(name, 12)} {points}" for name, points in msg["top"])
        lines.append(tr("cquiz.top", names=names))
    return lines


class ClassQuiz(Vertical):
    """The class's question over the bottom of the stepper (see the module's docstring)."""

    can_focus = True  # so esc reaches it once the guess box is gone (the app's keys still do)

    DEFAULT_CSS = """
    ClassQuiz {
        position: absolute;
        overlay: screen;
        width: 100%;
        height: auto;
        display: none;
        border-top: heavy $warning;
        background: $surface;
        padding: 0 1;
    }
    ClassQuiz #cquiz-text { text-wrap: nowrap; text-overflow: ellipsis; }
    ClassQuiz #cquiz-input { width: 40; display: none; }
    """

    BINDINGS = [Binding("escape", "hide", "Hide", show=False, id="cquiz_hide")]

    def __init__(self, link: ClassLink, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.link = link
        self.hint: tuple[str, dict] | None = None  # a catalogue key and its values
        self._asked: tuple | None = None  # (qid, open) the guess box was cleared for
        self._rows = 1
        self._deadline: float | None = None  # (monotonic) when the open question closes
        self._seen: dict | None = None  # the message the deadline was taken from
        self._offset: tuple[int, int] | None = None  # where _place last put the box

    def compose(self) -> ComposeResult:
        yield Static("", id="cquiz-text", markup=False)
        yield TextField(id="cquiz-input", max_length=MAX_GUESS_CHARS, compact=True)

    @property
    def shown(self) -> bool:
        return bool(self.display)

    def on_mount(self) -> None:
        follow_language(self, self.show_quiz)
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        """serve --quiz-seconds: the seconds left count down between the hub's messages."""
        msg = self.link.quiz
        if msg is not None and msg["open"] and self._deadline is not None \
                and self.shown:
            self.show_quiz()

    def on_resize(self) -> None:
        self._place()

    def _place(self) -> None:
        """Just above the key bar, over the stepper's last rows: its height is known
        from its lines (one a line, never wrapped), so one layout places it."""
        height = self._rows + 1  # the line on top
        screen_height = self.screen.size.height
        offset = (0, max(1, screen_height - height - 1))
        if self.styles.height is None or self.styles.height.value != height:
            self.styles.height = height
        if offset != self._offset:  # (styles.offset holds Scalars, never equal to ints)
            self._offset = offset
            self.styles.offset = offset

    def show_quiz(self, new: bool = False) -> None:
        quiz = self.link.quiz
        if quiz is None:
            return
        msg: dict[str, Any] = quiz
        if new:
            self.link.quiz_hidden = False
        student_open = msg["open"] and self.link.role != "teacher"
        state = (msg["qid"], msg["open"])
        field = self.query_one("#cquiz-input", Input)
        if state != self._asked:
            self._asked = state
            self.hint = None
            field.value = ""
        if self.hint is not None and self.hint[0] == "cquiz.sent" and msg["guess"] is not None \
                and parse_guess(self.hint[1]["text"]) == msg["guess"]:
            self.hint = None  # counted: the line above says so
        hint = tr(self.hint[0], **self.hint[1]) if self.hint is not None else None
        if msg is not self._seen:
            self._seen = msg
            self._deadline = None if msg["seconds"] is None \
                else time.monotonic() + msg["seconds"]
        if self._deadline is not None and msg["open"]:
            msg = {**msg, "seconds": max(0.0, self._deadline - time.monotonic())}
        lines = quiz_lines(msg, self.link.role, self.link.app.precision, hint, self.link.leads)
        self.query_one("#cquiz-text", Static).update("\n".join(lines))
        self._rows = len(lines) + (1 if student_open else 0)
        field.placeholder = tr("quiz.placeholder")
        # display, not CSS classes: a class would match the stylesheet again (forty
        # students at once at the reveal)
        if field.display != student_open:
            field.display = student_open
        shown = not self.link.quiz_hidden
        if self.display != shown:
            self.display = shown
        if shown:
            if student_open:
                if not field.has_focus:
                    field.focus()
            elif self.app.focused is None or self.app.focused is field:
                self.focus()
        elif self.has_focus_within:
            self.app.set_focus(None)
        self._place()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.hint = self.link.answer(event.value)
        self.show_quiz()

    def action_hide(self) -> None:
        self.link.quiz_hidden = True
        self.show_quiz()
        self.link.app.refresh_view()  # the status line says a question is open


def show(link: ClassLink, new: bool = False) -> None:
    """Show the newest quiz message (mounting the box the first time)."""
    app = link.app
    boxes = app.stepper_screen.query(ClassQuiz)
    if boxes:
        boxes.first().show_quiz(new)
        return
    box = ClassQuiz(link, id="class-quiz")
    app.stepper_screen.mount(box)
    app.call_after_refresh(box.show_quiz, new)
