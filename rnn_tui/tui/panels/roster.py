"""The class roster (issue 16): who is connected, following, where, idle, hands, quiz.

``roster_lines`` turns the hub's roster message into lines of text (names are
the users' text: never markup); the roster screen (key ``c``) and the panel
beside the stepper (a teacher's, when the terminal is roomy) both draw them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text
from textual.content import Content
from textual.widgets import Static

from rnn_tui.teach.classroom import display_name
from rnn_tui.teach.i18n import tr
from rnn_tui.tui.keys import follow_language
from rnn_tui.tui.panels import numbers as n

if TYPE_CHECKING:
    from rnn_tui.tui.classlink import ClassLink

#: The panel's width beside the stepper, in cells.
PANEL_WIDTH = 30  # at the roomy width (110) the stepper keeps its 80
HAND = "✋"


def idle_text(seconds: float) -> str:
    """5s, 3m, 2h: how long a session did nothing of its own."""
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    return f"{s // 3600}h"


def where_text(entry: dict[str, Any], short: bool = False) -> str:
    """Sentence, t and sub-step, counted from 1 as the screen counts."""
    n_, t, steps, phase = entry["selected"] + 1, entry["t"], entry["steps"], entry["phase"]
    prefix = "class.short" if short else "class.where"
    if phase == 0:
        return tr(f"{prefix}_start", n=n_)
    if phase == 5:
        return tr(f"{prefix}_output", n=n_)
    return tr(prefix, n=n_, t=t, T=steps, k=phase)


def quiz_text(entry: dict[str, Any]) -> str:
    asked, points, skipped = entry["score"]
    best = 2 * (asked + skipped)
    return tr("status.quiz", points=points, best=best) if best else ""


def count_text(roster: dict[str, Any] | None) -> str:
    if roster is None:
        return tr("class.roster_none")
    return tr("class.roster_count", connected=roster["connected"],
              following=roster["following"])


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells (with … when cut)."""
    if cell_len(text) <= width:
        return text
    out = ""
    for ch in text:
        if cell_len(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def marked_name(entry: dict[str, Any]) -> str:
    """The name (printable: the hub's word is checked again), and (teacher) or (browser)."""
    name = display_name(entry["name"])
    if entry["role"] == "teacher":
        return name + " " + tr("class.teacher_mark")
    if entry.get("via") == "web":
        return name + " " + tr("class.web_mark")
    return name


def roster_lines(roster: dict[str, Any] | None, leader: str | None, width: int,
                 chosen: int | None = None, wide: bool = False,
                 rows: int | None = None) -> list[Text]:
    """The roster as lines ``width`` cells wide at most: the counts, then one
    entry per session (three or four lines each unless ``wide``); ``chosen`` (a session's
    id) is drawn reversed. In ``rows`` lines (the panel's height) a larger class gets
    a line each, raised hands and those on their own first, then "… N more"."""
    lines = [Text(fit(count_text(roster), width), style="bold")]
    if roster is None:
        return lines
    students = roster["students"]
    if not students:
        lines.append(Text(fit(tr("class.roster_empty"), width), style=n.muted()))
    if not wide and rows is not None and 1 + 4 * len(students) > rows:
        return lines + compact_lines(students, leader, width, rows - 1)
    names = [marked_name(s) for s in students]
    name_width = max([cell_len(name) for name in names] + [4])
    name_width = min(name_width, 16 if wide else width - 3)
    for s, name in zip(students, names, strict=True):
        style = "reverse" if s["id"] == chosen else ""
        hand = HAND if s["hand"] else "  "
        state = tr("class.state_following") if s["following"] else tr("class.state_own")
        details = [state, where_text(s), tr("class.idle", time=idle_text(s["idle"]))]
        quiz = quiz_text(s)
        if quiz:
            details.append(quiz)
        if s["role"] == "teacher" and s["name"] == leader:
            details[0] = tr("class.state_leads")
        if wide:
            head = f"{hand} {fit(name, name_width)}"
            head += " " * max(0, name_width + 3 - cell_len(head))
            lines.append(Text(fit(head + "  " + " · ".join(details), width), style=style))
        else:  # narrow (the panel): the name, where, following and idle, the quiz
            lines.append(Text(fit(f"{hand} {name}", width), style=f"bold {style}".strip()))
            lines.append(Text(fit("   " + details[1], width), style=style))
            lines.append(Text(fit("   " + " · ".join(details[0:3:2]), width), style=style))
            if quiz:
                lines.append(Text(fit("   " + quiz, width), style=style))
    return lines


def compact_lines(students: list[dict[str, Any]], leader: str | None, width: int,
                  rows: int) -> list[Text]:
    """One line a session, in ``rows`` lines: hands up first, then those on their own."""
    order = sorted(students, key=lambda s: (not s["hand"], s["following"]))
    if len(order) > rows:
        shown = order[:max(rows - 1, 0)]
        more = [Text(fit(tr("class.more", n=len(order) - len(shown)), width), style=n.muted())]
    else:
        shown, more = order, []
    lines = []
    for s in shown:
        hand = HAND if s["hand"] else "  "
        where = where_text(s, short=True)
        if s["role"] == "teacher" and s["name"] == leader:
            mark = tr("class.state_leads")
        else:
            mark = "" if s["following"] else tr("class.own_short")
        tail = f" {where} {mark}".rstrip()
        name = display_name(s["name"]) if s["role"] == "teacher" else marked_name(s)
        name = fit(name, max(width - 2 - cell_len(tail) - 1, 4))
        line = f"{hand} {name}"
        line += " " * max(1, width - cell_len(line) - cell_len(tail)) + tail.lstrip()
        lines.append(Text(fit(line, width)))
    return lines + more


class RosterPanel(Static):
    """The roster beside the stepper: a teacher's, when the terminal is roomy."""

    SCOPED_CSS = False  # the rule below names the screen's size class
    DEFAULT_CSS = f"""
    RosterPanel {{
        dock: right;
        width: {PANEL_WIDTH};
        height: 1fr;
        display: none;
        border: round $accent;
        padding: 0 1;
    }}
    Screen.roomy RosterPanel {{
        display: block;
    }}
    /* the narration (and the quiz's question) is docked at #main's bottom: beside
       the roster, not under it */
    Screen.roomy #main.with-roster > #narration,
    Screen.roomy #main.with-roster > #quiz {{
        margin-right: {PANEL_WIDTH};
    }}
    """

    def __init__(self, link: ClassLink, **kwargs: Any) -> None:
        super().__init__("", markup=False, **kwargs)
        self.link = link
        self._shown: tuple | None = None

    def on_mount(self) -> None:
        follow_language(self, self.show_roster)

    def on_resize(self) -> None:
        self.show_roster()  # shown again, or another height

    def show_roster(self) -> None:
        self.border_title = Content(tr("class.roster_title"))  # text, never markup
        if not self.display:
            self._shown = None  # drawn when shown (on_resize): a hidden panel costs nothing
            return
        lines = roster_lines(self.link.roster, self.link.leader, PANEL_WIDTH - 4,
                             rows=max(self.content_region.height, 3))
        key = tuple((line.plain, line.style) for line in lines)
        if key != self._shown:  # only when what it shows changed
            self._shown = key
            self.update(Text("\n").join(lines))
