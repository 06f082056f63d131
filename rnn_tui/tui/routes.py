"""The screens the app's keys open (t, g, e, w, x, s, n, ?), and what comes back.

The app binds these as its actions (``action_train = routes.train``).

Each screen is imported when its key is pressed, not at start-up. What a
screen hands back changes the lesson (``app.lesson``); the app then repaints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rnn_tui.teach.i18n import tr
from rnn_tui.teach.weight_sets import TrainingOutcome
from rnn_tui.tui.screens.help import HelpScreen, key_label

if TYPE_CHECKING:
    from rnn_tui.core.cells import GatedWeights
    from rnn_tui.core.model import Weights
    from rnn_tui.tui.app import RNNApp

#: Help-screen rows: the keys, and the catalogue key of what they do.
HELP = [
    ("right, l, space", "help.next"),
    ("shift+right, L", "help.step"),
    ("left, h", "help.back"),
    ("shift+left, H", "help.back_step"),
    ("home, r", "help.reset"),
    ("end", "help.end"),
    ("up, down, 1-9", "help.select"),
    ("b", "help.batch"),
    ("n", "help.network"),
    ("m", "help.memory"),
    ("p", "help.play"),
    ("+, -", "help.speed"),
    ("t", "help.train"),
    ("i", "help.weights"),
    ("g", "help.grad"),
    ("e", "help.edit_sentences"),
    ("w", "help.edit_weights"),
    ("x", "help.export"),
    ("s", "help.save"),
    ("k", "help.quiz"),
    ("f2", "help.lang"),
    ("f3", "help.theme"),
    ("?", "help.help"),
    ("q", "help.quit"),
    ("ctrl+l", "help.redraw"),
    ("1, 2, 3", "help.counting"),  # not keys: how the screen counts, said once
]


def _rnn(w: Weights | GatedWeights) -> Weights:
    """A vanilla lesson's weights: the keys that edit or train them (t, e, w) are refused
    for a gated lesson before they get here (bindings.refused_by_cell, issue 21)."""
    return cast("Weights", w)


def show_help(app: RNNApp) -> None:
    rows = HELP
    if app.classlink is not None:  # a class's keys, only in a class (and by role)
        from rnn_tui.tui.classlink import help_rows

        rows = HELP + help_rows(app.classlink.role)
    vocab = app.lesson.dataset.vocab  # a word of the data, for the legend's "[as]"
    app.push_screen(HelpScreen([(key_label(k), tr(d)) for k, d in rows],
                               token=vocab[0] if vocab else "as", precision=app.precision))


def network(app: RNNApp) -> None:
    """Key n: the network unrolled in time, this sub-step highlighted."""
    from rnn_tui.tui.screens.diagram import DiagramScreen

    vocab = app.lesson.dataset.vocab
    app.push_screen(DiagramScreen(app.view, lambda: app.lesson.quiz,
                                  token=vocab[0] if vocab else "as"))


def train(app: RNNApp) -> None:
    from rnn_tui.tui.screens.training import TrainingScreen

    app.playing = False  # autoplay stops while the screen is on top
    lesson = app.lesson
    from_trained = lesson.trained

    def done(outcome: TrainingOutcome | None) -> None:
        if outcome is not None:
            lesson.add_training(outcome, from_trained)
            app.refresh_view()

    start = "trained" if from_trained else "initial"
    app.push_screen(TrainingScreen(_rnn(lesson.weights), lesson.dataset, lesson.activation,
                                   start), done)


def backward(app: RNNApp) -> None:
    from rnn_tui.tui.screens.backward import BackwardScreen

    app.playing = False  # autoplay stops while the screen is on top
    lesson = app.lesson

    def closed(selected: int | None) -> None:
        lesson.backward = None
        if selected is not None:  # the sentence last shown there stays selected here
            lesson.selected = selected
        app.refresh_view()

    screen = BackwardScreen(lesson.stepper, lesson.selected, tuple(lesson.dataset.texts),
                            app.precision + 1, lesson.weights_label)
    lesson.backward = 0
    app.push_screen(screen, closed)
    # the lesson follows the backward view's position while it is open
    app.watch(screen, "pos", lambda pos: setattr(lesson, "backward", pos), init=False)


def edit_sentences(app: RNNApp) -> None:
    from rnn_tui.tui.screens.sentences import SentencesScreen

    app.playing = False  # autoplay stops while the screen is on top
    lesson = app.lesson
    app.push_screen(SentencesScreen(lesson.dataset, _rnn(lesson.weights), lesson.seed))


def edit_weights(app: RNNApp) -> None:
    from rnn_tui.tui.screens.weights_editor import WeightsScreen

    app.playing = False  # autoplay stops while the screen is on top
    lesson = app.lesson
    app.push_screen(WeightsScreen(_rnn(lesson.weights), _rnn(lesson.sets.initial),
                                  lesson.dataset, lesson.activation, app.precision))


def export(app: RNNApp) -> None:
    from rnn_tui.tui.screens.files import ExportScreen, served

    if served():
        app.refuse("export")
    else:
        app.push_screen(ExportScreen(app.lesson.stepper, app.precision),
                        lambda notice: _say(app, notice))


def save(app: RNNApp) -> None:
    from rnn_tui.tui.screens.files import SaveScreen, served

    if served():
        app.refuse("save")
    else:
        app.push_screen(SaveScreen(app.lesson.weights, app.lesson.dataset),
                        lambda notice: _say(app, notice))


def _say(app: RNNApp, notice: tuple[str, dict[str, str]] | None) -> None:
    """What a file screen wrote, in the status line (a toast would cover the narration)."""
    if notice is not None:
        key, values = notice
        app.lesson.say(key, **values)
        app.refresh_view()

