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

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from rnn_tui.teach import fmt, histogram
from rnn_tui.teach.i18n import tr
from rnn_tui.teach.narration import sub
from rnn_tui.teach.quiz import parse_guess
from rnn_tui.tui.keys import follow_language
from rnn_tui.tui.panels.quizbar import MAX_GUESS_CHARS
from rnn_tui.tui.textfield import KeepsKeyOrder

if TYPE_CHECKING:
    from textual.timer import Timer

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


def reveal_rows(role: str | None) -> int:
    """The rows of the revealed box (``quiz_lines``: the truth, the histogram, a
    student's points, and a line kept for the top five). The box takes them before the
    reveal, once its student's answer is counted (a teacher's when asked), so that the
    reveal changes its lines and not its size: a size is a layout (two: Textual lays
    the box out again for its new size) in every session of the class at once."""
    return 1 + len(histogram.LABELS) + (role != "teacher") + 1


#: Keys the guess field takes while a student's question is open (and printable ones).
EDIT_KEYS = frozenset({"backspace", "delete", "left", "right", "home", "end", "enter"})


class ClassQuiz(KeepsKeyOrder, Vertical):
    """The class's question over the bottom of the stepper (see the module's docstring).

    The guess is typed into the box itself (a line of its text, with a cursor),
    not into an Input: the box keeps the focus from the question to the reveal.
    A focus change repaints the whole screen (Textual's ``Screen.focused``) and
    restyles the focused widgets; at the reveal every session of the class
    would do that at once. So the reveal changes only the box's lines."""

    can_focus = True  # it takes the guess's keys; esc reaches it (the app's keys still do)

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
    """

    BINDINGS = [Binding("escape", "hide", "Hide", show=False, id="cquiz_hide")]

    def __init__(self, link: ClassLink, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.link = link
        self.hint: tuple[str, dict] | None = None  # a catalogue key and its values
        self._asked: tuple | None = None  # (qid, open) the guess field was cleared for
        self.value = ""  # the guess being typed (at most MAX_GUESS_CHARS)
        self.cursor = 0  # where the next character goes in value
        self._rows = 1
        self._deadline: float | None = None  # (monotonic) when the open question closes
        self._seen: dict | None = None  # the message the deadline was taken from
        self._offset: tuple[int, int] | None = None  # where _place last put the box
        self._text: tuple | None = None  # what the text shows now (its plain text, spans)
        self._ticker: Timer | None = None  # the seconds left, counting down
        self._counting = False

    def compose(self) -> ComposeResult:
        yield Static("", id="cquiz-text", markup=False)

    @property
    def shown(self) -> bool:
        return bool(self.display)

    def on_mount(self) -> None:
        follow_language(self, self.show_quiz)
        # on only while seconds count down: forty sessions waking every second for
        # nothing would take the class's CPU (the reveal's, too)
        self._ticker = self.set_interval(1.0, self._tick, pause=True)

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

    # --- the guess field --------------------------------------------------------------
    def typing(self) -> bool:
        """Whether a student's guess is being typed here (an open question, shown)."""
        msg = self.link.quiz
        return msg is not None and bool(msg["open"]) and self.link.role != "teacher" \
            and self.shown

    def typed(self, event: events.Key) -> bool:
        return self.typing() and (event.key in EDIT_KEYS or event.is_printable)

    async def on_key(self, event: events.Key) -> None:
        # a key for the field is taken now, in order (KeepsKeyOrder runs the others'
        # bindings as they come, and holds the keys behind one whose effects come later)
        if self._held is None and self.app.focused is self and self.typed(event):
            event.stop()
            event.prevent_default()
            self.edit(event.key, event.character)
            return
        await super().on_key(event)

    def edit(self, key: str, character: str | None = None) -> None:
        """One key in the guess field: a character, a deletion, a move, or enter."""
        value, at = self.value, self.cursor
        if key == "enter":
            self.hint = self.link.answer(value)
        elif key == "backspace":
            if at:
                value, at = value[:at - 1] + value[at:], at - 1
        elif key == "delete":
            value = value[:at] + value[at + 1:]
        elif key in ("left", "right", "home", "end"):
            at = {"left": max(0, at - 1), "right": min(len(value), at + 1), "home": 0,
                  "end": len(value)}[key]
        elif character and character.isprintable() and len(value) < MAX_GUESS_CHARS:
            value, at = value[:at] + character + value[at:], at + 1
        self.value, self.cursor = value, at
        self.show_quiz()

    def on_paste(self, event: events.Paste) -> None:
        """Pasted text goes into the field (its first line, printable characters only)."""
        if not self.typing():
            return
        event.stop()
        text = "".join(c for c in event.text.split("\n", 1)[0] if c.isprintable())
        room = MAX_GUESS_CHARS - len(self.value)
        if text and room > 0:
            text = text[:room]
            at = self.cursor
            self.value = self.value[:at] + text + self.value[at:]
            self.cursor = at + len(text)
            self.show_quiz()

    def field(self) -> Content:
        """The guess field's line: the guess typed, with the cursor (or the placeholder)."""
        value, at = self.value, self.cursor
        if not value:
            return Content.assemble("› ", (" ", "reverse"), (tr("quiz.placeholder"), "dim"))
        under = value[at] if at < len(value) else " "
        return Content.assemble("› ", value[:at], (under, "reverse"), value[at + 1:])

    # --- what the box shows ----------------------------------------------------------
    def show_quiz(self, new: bool = False) -> None:
        quiz = self.link.quiz
        if quiz is None:
            return
        msg: dict[str, Any] = quiz
        if new:
            self.link.quiz_hidden = False
        student_open = msg["open"] and self.link.role != "teacher"
        state = (msg["qid"], msg["open"])
        if state != self._asked:
            self._asked = state
            self.hint = None
            self.value, self.cursor = "", 0
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
        rows = [Content(line) for line in lines]  # the user's text as text, never markup
        if student_open:
            rows.append(self.field())
        room = reveal_rows(self.link.role)
        if not msg["open"] or self.link.role == "teacher" or msg["guess"] is not None:
            if msg["open"]:  # answered (or the teacher's): the reveal's room, taken now
                rows.append(Content.styled(tr("cquiz.waiting"), "dim"))
            rows += [Content("")] * (room - len(rows))
        text = Content("\n").join(rows)
        key = (text.plain, tuple(text.spans))  # (Content's == leaves the spans out: the cursor)
        if key != self._text:  # (the same text again would lay the box out again)
            self._text = key
            # as many lines as before (a key typed, the reveal): no layout, only a repaint
            self.query_one("#cquiz-text", Static).update(text, layout=len(rows) != self._rows)
        self._rows = len(rows)
        shown = not self.link.quiz_hidden
        if self.display != shown:
            self.display = shown
        counting = shown and self._deadline is not None and bool(msg["open"])
        if counting != self._counting and self._ticker is not None:
            self._counting = counting
            if counting:
                self._ticker.resume()
            else:
                self._ticker.pause()
        if shown:
            if self.app.focused is not self and (student_open or self.app.focused is None):
                self.focus()
        elif self.has_focus:
            self.app.set_focus(None)
        self._place()

    def action_hide(self) -> None:
        self.link.quiz_hidden = True
        self.show_quiz()
        self.link.app.refresh_view()  # the status line says a question is open


def show(link: ClassLink, new: bool = False) -> None:
    """Show the newest quiz message (mounting the box the first time; then the box is
    kept by the link: a query walks the whole screen, in every session at a reveal)."""
    box = link.quiz_box
    if box is not None and box.is_attached:
        box.show_quiz(new)
        return
    app = link.app
    box = link.quiz_box = ClassQuiz(link, id="class-quiz")
    app.stepper_screen.mount(box)
    app.call_after_refresh(box.show_quiz, new)
