"""The stepper's keys: its bindings, and the rules on them that don't need the app.

``APP`` is ``RNNApp.BINDINGS``: every key with its action and an id (the id
names the key's words in the catalogue: ``key.<id>``). A gated cell's lesson
refuses the keys that are the vanilla cell's only (``refused_by_cell``), and a
class's keys are the class link's (``class_key``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.binding import Binding, BindingType

from rnn_tui.teach.i18n import tr
from rnn_tui.teach.lesson import Lesson

APP: list[BindingType] = [
    Binding("right,l,space", "next_substep", "Sub-step", key_display="→", id="next"),
    Binding("shift+right,L", "next_step", "Step", key_display="L", id="step"),
    Binding("left,h", "back_substep", "Back", key_display="←", id="back"),
    Binding("shift+left,H", "back_step", "Back a step", show=False, id="back_step"),
    Binding("home,r", "reset", "Reset", show=False, id="reset"),
    Binding("end", "to_end", "Run to the end", show=False, id="end"),
    Binding("up", "select(-1)", "Sentence", key_display="↑↓", id="up"),
    Binding("down", "select(1)", "Next sentence", show=False, id="down"),
    *[
        Binding(str(i), f"select_number({i})", f"Sentence {i}", show=False, id=f"n{i}")
        for i in range(1, 10)
    ],
    Binding("b", "toggle_batch", "Batch", id="batch"),
    Binding("n", "network", "Network", show=False, id="network"),
    Binding("m", "memory", "Memory", show=False, id="memory"),
    Binding("p", "toggle_play", "Play", id="play"),
    Binding("t", "train", "Train", id="train"),
    Binding("i", "toggle_weights", "Initial/trained", show=False, id="weights"),
    Binding("g", "backward", "Grad", id="grad"),
    Binding("e", "edit_sentences", "Sentences", show=False, id="edit_sentences"),
    Binding("w", "edit_weights", "Weights", show=False, id="edit_weights"),
    Binding("x", "export", "Export", show=False, id="export"),
    Binding("s", "save", "Save", show=False, id="save"),
    Binding("plus,equals_sign", "speed(1)", "Faster", show=False, id="faster"),
    Binding("minus", "speed(-1)", "Slower", show=False, id="slower"),
    Binding("k", "toggle_quiz", "Quiz", show=False, id="quiz"),
    Binding("f2", "next_lang", "Language", show=False, id="lang"),
    Binding("f3", "next_theme", "Theme", show=False, id="theme"),
    Binding("question_mark", "help", "Help", key_display="?", id="help"),
    Binding("q", "quit", "Quit", id="quit"),
    Binding("ctrl+l", "redraw", "Redraw", show=False, id="redraw"),
    # a class's keys (issue 16): on only in a class, by role (check_action)
    Binding("f", "class_follow", "Follow", show=False, id="class_follow"),
    Binding("a", "class_hand", "Hand", show=False, id="class_hand"),
    Binding("c", "class_roster", "Class", show=False, id="class_roster"),
    Binding("o", "class_lock", "Lock", show=False, id="class_lock"),
    Binding("F", "class_lead", "Lead", show=False, id="class_lead"),
    Binding("K", "class_quiz", "Ask the class", show=False, id="class_quiz"),
]

#: The keys a gated cell's lesson refuses (yet), and what the status line calls them.
GATED_REFUSED = {"train": "gate.what.train", "toggle_weights": "gate.what.train",
                 "edit_weights": "gate.what.edit", "edit_sentences": "gate.what.edit",
                 "toggle_quiz": "gate.what.quiz"}


def action_name(action: str | tuple) -> str:
    """An action's name without its namespace and arguments ("app.select(1)" -> "select")."""
    name = action[1] if isinstance(action, tuple) else action.split("(")[0]
    return str(name).rpartition(".")[2]


def refused_by_cell(lesson: Lesson, name: str) -> bool:
    """True (and the status line says why) if a gated lesson can't do ``name`` yet."""
    what = GATED_REFUSED.get(name) if lesson.cell != "rnn" else None
    if what is None:
        return False
    lesson.say("gate.not_here", cell=lesson.cell, what=tr(what))
    return True


def class_key(name: str) -> Callable[[Any], None]:
    """The action of a class's key: the class link's, in a class (else nothing)."""

    def action(app: Any) -> None:
        if app.classlink is not None:
            app.classlink.key(name)

    action.__name__ = f"action_{name}"
    return action
