"""The Textual stepper: the forward pass, one key press at a time.

The app holds a ``Stepper`` (the engine) and a position counted in sub-steps
(``Cursor``). Keys change reactive attributes; watchers move the stepper and
hand a ``View`` down to the panels, each of which repaints only if what it
shows has changed.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import numpy as np
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.driver import Driver
from textual.geometry import Size
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from rnn_tui.core.cursor import Cursor
from rnn_tui.core.data import Dataset
from rnn_tui.core.model import Weights
from rnn_tui.core.stepper import Stepper
from rnn_tui.teach import fmt, i18n, quiz
from rnn_tui.teach.i18n import tr
from rnn_tui.teach.narration import sub
from rnn_tui.teach.quiz import Question, Score
from rnn_tui.teach.weight_sets import TrainingOutcome, WeightSets
from rnn_tui.term import CJK_LANGUAGES, Terminal, cjk_locale
from rnn_tui.tui import driver as drivers
from rnn_tui.tui.keys import translate_bindings
from rnn_tui.tui.panels import numbers
from rnn_tui.tui.panels.base import Panel
from rnn_tui.tui.panels.batchview import BatchMatrices
from rnn_tui.tui.panels.quizbar import QuizBar
from rnn_tui.tui.panels.stepper import (
    BatchPanel,
    EquationLine,
    HistoryPanel,
    InputTerm,
    KeyBar,
    NarrationPanel,
    OutputPanel,
    RecurrentTerm,
    StatusBar,
    SumTerm,
)
from rnn_tui.tui.screens.help import HelpScreen, key_label
from rnn_tui.tui.themes import PROJECTOR, TEXTUAL_THEMES, THEMES
from rnn_tui.tui.view import View

if TYPE_CHECKING:  # imported when the key is pressed, not at start-up
    from rnn_tui.tui.screens.sentences import SentencesScreen
    from rnn_tui.tui.screens.weights_editor import WeightsScreen

MIN_WIDTH, MIN_HEIGHT = 80, 24
ROOMY_WIDTH, ROOMY_HEIGHT = 110, 34
SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0)  # autoplay sub-steps per second


class RNNApp(App[int]):
    """Step through a many-to-one RNN."""

    CSS_PATH = "app.tcss"
    TITLE = "rnn-tui"
    ENABLE_COMMAND_PALETTE = False
    AUTO_FOCUS = None  # keys go to the app's bindings; only the quiz box takes focus

    BINDINGS = [
        Binding("right,l,space", "next_substep", "Sub-step", key_display="→", id="next"),
        Binding("shift+right,L", "next_step", "Step", key_display="L", id="step"),
        Binding("left,h", "back", "Back", key_display="←", id="back"),
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
    ]

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
    ]

    # repaint=False: an App's reactive would otherwise repaint the whole screen on
    # every change; the panels repaint themselves, and only when their content changed.
    pos: reactive[int] = reactive(0, repaint=False)
    selected: reactive[int] = reactive(0, repaint=False)
    batch_view: reactive[bool] = reactive(False, repaint=False)
    playing: reactive[bool] = reactive(False, repaint=False)
    speed: reactive[float] = reactive(2.0, repaint=False)
    lang: reactive[str] = reactive("en", init=False, repaint=False)
    look: reactive[str] = reactive("default", init=False, repaint=False)  # themes.THEMES
    quiz: reactive[bool] = reactive(False, init=False, repaint=False)  # predict, then reveal
    use_trained: reactive[bool] = reactive(False, always_update=True, init=False, repaint=False)

    def __init__(
        self,
        dataset: Dataset,
        weights: Weights,
        precision: int = 3,
        activation: str = "tanh",
        lang: str | None = None,
        theme: str = "default",
        seed: int = 0,
    ) -> None:
        # what the terminal shows, for writing only what changes (before
        # App.__init__, which asks for the driver class); in a CJK locale it
        # does not guess the width of characters terminals draw one way or another
        self.terminal = Terminal(cjk=cjk_locale() or (lang or i18n.detect()) in CJK_LANGUAGES)
        # the input the driver may hand over before the app takes it (see drivers.InputGate)
        self.input_gate = drivers.InputGate()
        super().__init__()
        self.register_theme(PROJECTOR)
        self.set_reactive(RNNApp.look, theme)
        i18n.set_lang(lang or i18n.detect())
        self.set_reactive(RNNApp.lang, i18n.lang())
        self.dataset = dataset
        self.weights = weights
        # the initial set (what i and the weights editor's restore go back to) and,
        # once trained, the trained set
        self.weight_sets = WeightSets(weights)
        self.seed = seed  # for the Wxh rows of new tokens
        self.precision = precision
        self.activation = activation
        self.version = 0
        self.stepper = self._new_stepper()
        self._timer: Timer | None = None
        self.score = Score()
        self.question: Question | None = None  # waiting for a guess
        self.feedback = ""  # how close the last guess was
        self._edited_cache: tuple | None = None  # (weights, base, cells) of _edited()
        self._shown_step_title: str | None = None  # the step panel's title, as text

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver for this terminal, writing only the cells that change
        with fewer colour codes (see rnn_tui/term and driver.py)."""
        driver = super().get_driver_class()
        if os.environ.get("TEXTUAL_DRIVER"):
            return driver  # another driver asked for by name (a web one): as it is
        # input bounded, and no mouse events without mouse support (see drivers.guarded)
        driver = drivers.guarded(driver, self.input_gate)
        if not drivers.enabled():
            return driver
        if sys.platform == "win32":
            # Textual cuts a write into 8 kB pieces there, escape codes too, and
            # a piece is more than the screen model follows: colour codes only
            return drivers.compacting(driver)
        return drivers.compacting(driver, self.terminal, lambda: tuple(self.size))

    async def on_event(self, event: events.Event) -> None:
        # an input event the driver posted, taken now: the driver may post another
        if isinstance(event, drivers.GATED) and not event.is_forwarded:
            self.input_gate.taken()
        await super().on_event(event)

    def on_idle(self) -> None:
        self.input_gate.idle()

    # --- Textual's own actions that touch files or the process: not in a served session
    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        from rnn_tui.tui.screens.files import served

        if served():
            self._refuse("screenshot")
            return
        super().action_screenshot(filename, path)

    def action_suspend_process(self) -> None:
        from rnn_tui.tui.screens.files import served

        if served():
            self._refuse("suspend")
            return
        super().action_suspend_process()

    def _new_stepper(self) -> Stepper:
        d = self.dataset
        return Stepper(
            self.weights, d.X, d.lengths, d.labels, vocab=list(d.vocab), activation=self.activation
        )

    # --- layout ---------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Vertical(id="main"):
            with Horizontal(id="top"):
                yield BatchPanel(id="batch")
                yield HistoryPanel(id="history")
            with VerticalScroll(id="middle", can_focus=False):
                with Vertical(id="step"):
                    yield InputTerm(id="input-term")
                    yield RecurrentTerm(id="recurrent-term")
                    yield SumTerm(id="sum-term")
                    yield EquationLine(id="equation")
                yield BatchMatrices(id="batch-matrices")
                yield OutputPanel(id="output")
            yield NarrationPanel(id="narration")
        yield Static(id="too-small", markup=False)
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        self._apply_look()
        self._apply_size()
        self._apply_lang()
        self.refresh_view()

    def _apply_lang(self) -> None:
        """Titles, the too-small message and the footer, in the current language."""
        # Content: a title is text, never markup (Textual parses a str as markup)
        self.query_one("#batch").border_title = Content(tr("title.batch"))
        self.query_one("#history").border_title = Content(tr("title.history", h0="h₀"))
        self.query_one("#batch-matrices").border_title = Content(tr("title.batch_view"))
        self.query_one("#output").border_title = Content(tr("title.output"))
        self.query_one("#narration").border_title = Content(tr("title.narration"))
        self.query_one("#too-small", Static).update(
            tr("too_small", w=MIN_WIDTH, h=MIN_HEIGHT)
        )
        translate_bindings(self)

    @property
    def stepper_screen(self) -> Screen:
        """The stepper's own screen, even while another screen is on top of it."""
        return self.screen_stack[0] if self.screen_stack else self.screen

    def on_resize(self, event: events.Resize) -> None:
        self._apply_size(event.size)

    def _apply_size(self, size: Size | None = None) -> None:
        width, height = size or self.size
        # wide layers: how many entries of a vector fit (the lesson's 3 always do)
        limit = 5 if width < 120 else 9 if width < 200 else 0
        if limit != numbers.limit():
            numbers.set_limit(limit)
            if self.is_mounted:
                self.refresh_view()
        self.stepper_screen.set_class(width < MIN_WIDTH or height < MIN_HEIGHT, "too-small")
        self.stepper_screen.set_class(width >= ROOMY_WIDTH and height >= ROOMY_HEIGHT, "roomy")

    # --- state -> screen --------------------------------------------------------
    @property
    def cursor(self) -> Cursor:
        return Cursor(self.pos, self.stepper.steps)

    def view(self) -> View:
        return View(
            stepper=self.stepper,
            cursor=self.cursor,
            selected=self.selected,
            precision=self.precision,
            texts=tuple(self.dataset.texts),
            version=self.version,
            batch=self.batch_view,
            playing=self.playing,
            speed=self.speed,
            lang=self.lang,
            theme=self.look,
            mode=self.mode_text(),
            feedback=self.feedback,
            edited=self._edited(),
        )

    def _edited(self) -> frozenset:
        """Cells of the weights in use that differ from the set they came from (key w)."""
        base = self.weight_sets.get(self.use_trained)
        W = self.weights
        cached = self._edited_cache
        if cached is not None and cached[0] is W and cached[1] is base:
            return cached[2]  # weights are replaced, never changed in place: compare once
        cells = set()
        if W is not base and W.vocab == base.vocab:
            for name in ("Wxh", "Whh", "bh", "Wy", "by"):
                a, b = getattr(W, name), getattr(base, name)
                if a.shape == b.shape:
                    cells.update((name, int(r), int(c)) for r, c in np.argwhere(a != b))
        self._edited_cache = (W, base, frozenset(cells))
        return self._edited_cache[2]

    def mode_text(self) -> str:
        """Extra words for the status bar; features add theirs here."""
        parts = []
        if self.activation != "tanh":  # the lesson's is tanh: say when it is another
            parts.append(f"[{self.activation}]")
        if self.weights_label:  # once there are trained weights: which set is in use
            parts.append(f"[{self.weights_label}]")
        if self.quiz:
            parts.append(tr("status.quiz", points=self.score.points, best=self.score.best))
        return "  ".join(parts)

    def refresh_view(self) -> None:
        """Move the engine to the cursor's time step, then let each panel repaint if needed."""
        t = self.cursor.t
        while self.stepper.t < t:
            self.stepper.step()
        while self.stepper.t > t:
            self.stepper.back()
        view = self.view()
        for panel in self.query(Panel):
            if self._shown(panel.id, view):
                panel.show(view)  # a hidden panel catches up when it is shown again
        title = self._step_title(view)
        if title != self._shown_step_title:  # setting it repaints the whole box, children too
            # the sentence is the user's text: Content, never parsed as markup
            self.query_one("#step").border_title = Content(title)
            self._shown_step_title = title
        self.stepper_screen.set_class(self.batch_view, "batch-view")
        self.stepper_screen.query_one("#middle").set_class(view.cursor.at_output, "at-output")
        self.stepper_screen.set_class(self.quiz, "quiz-on")

    def push_screen(self, *args, **kwargs):
        result = super().push_screen(*args, **kwargs)
        self.call_after_refresh(self._refresh_keys)  # keys a screen on top takes
        return result

    def pop_screen(self):
        result = super().pop_screen()
        self.call_after_refresh(self._refresh_keys)
        return result

    def _refresh_keys(self) -> None:
        if self.is_mounted:
            self.query_one(KeyBar).show(self.view())

    #: Panels that only one view shows (the others show in every view).
    STEP_PANELS = frozenset({"input-term", "recurrent-term", "sum-term", "equation"})

    def _shown(self, panel_id: str | None, view: View) -> bool:
        """Whether the panel is on screen in this view (mirrors app.tcss)."""
        at_output = view.cursor.at_output
        if panel_id in self.STEP_PANELS:
            return not at_output and not view.batch
        if panel_id == "batch-matrices":
            return not at_output and (view.batch or self.stepper_screen.has_class("roomy"))
        if panel_id == "output":
            return at_output
        if panel_id in ("batch", "history"):
            return not view.batch
        return True

    def _step_title(self, view: View) -> str:
        b = view.selected
        # no t here: a new title repaints the whole box (the status bar says t)
        return tr("title.step", n=b + 1, text=view.texts[b])

    def watch_pos(self) -> None:
        self.refresh_view()

    def watch_selected(self) -> None:
        if self.question is not None:
            self._close_question()
        self.refresh_view()

    def watch_batch_view(self) -> None:
        self.refresh_view()

    def watch_lang(self, lang: str) -> None:
        i18n.set_lang(lang)
        self._apply_lang()
        self.refresh_view()

    def watch_look(self) -> None:
        self._apply_look()
        self.refresh_view()

    def _apply_look(self) -> None:
        numbers.set_palette(self.look)
        self.theme = TEXTUAL_THEMES[self.look]
        self.stepper_screen.set_class(self.look == "projector", "projector")

    def watch_speed(self) -> None:
        if self.playing:
            self._start_timer()
        self.refresh_view()

    def watch_playing(self, playing: bool) -> None:
        if playing:
            self._start_timer()
        elif self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.refresh_view()

    def _start_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_interval(1.0 / self.speed, self._tick)

    def _tick(self) -> None:
        if self.cursor.at_output:
            self.playing = False
        else:
            self.pos += 1

    def _move(self, pos: int) -> None:
        cursor = self.cursor
        clamped = cursor.clamp(pos)
        if clamped == self.pos:
            self.stepper.message = tr("msg.at_end" if pos > self.pos else "msg.at_start")
            self.refresh_view()
            return
        self.stepper.message = ""
        self.pos = clamped

    # --- actions ------------------------------------------------------------------
    def action_next_substep(self) -> None:
        if self.quiz and self.question is None and self._ask(self.pos + 1):
            return
        self._move(self.pos + 1)

    # --- predict, then reveal -------------------------------------------------
    def action_toggle_quiz(self) -> None:
        self.quiz = not self.quiz

    def watch_quiz(self, quiz: bool) -> None:
        if not quiz:
            self._close_question()
        self.feedback = tr("quiz.on") if quiz else ""
        self.refresh_view()

    def _ask(self, pos: int) -> bool:
        """Ask for a guess before revealing ``pos``; False if it reveals nothing to guess."""
        if pos > self.cursor.last:
            return False
        q = quiz.question(self.stepper, Cursor(pos, self.stepper.steps), self.selected)
        if q is None:
            return False
        self.question = q
        if not self.query(QuizBar):  # mounted the first time a question is asked
            self.query_one("#main").mount(QuizBar(id="quiz"))
            self.call_after_refresh(self._show_question, q)
        else:
            self._show_question(q)
        return True

    def _show_question(self, q: Question) -> None:
        name = {"pre": f"{tr('word.sum')}{sub(q.t)}", "h": f"h{sub(q.t)}", "y": "y"}[q.kind]
        if q.entry is not None:
            name += f"[{q.entry + 1}]"
        self.stepper_screen.add_class("asking")
        self.query_one(QuizBar).ask(tr(f"quiz.ask_{q.kind}", name=name, n=q.b + 1))

    def _close_question(self) -> None:
        self.question = None
        self.stepper_screen.remove_class("asking")
        self.set_focus(None)

    def on_quiz_bar_guessed(self, event: QuizBar.Guessed) -> None:
        q = self.question
        if q is None:
            return
        guess = quiz.parse_guess(event.text)
        if guess is None:
            self.query_one(QuizBar).hint(tr("quiz.not_a_number", text=event.text.strip()))
            return
        g = quiz.grade(q, guess)
        self.score.add(g)
        p = self.precision
        self.feedback = tr(g.verdict, guess=fmt.num(guess, p), truth=fmt.num(q.truth, p),
                           error=f"{g.error:.{p}f}", points=g.points)
        self._close_question()
        self._move(q.pos)

    def on_quiz_bar_skipped(self, event: QuizBar.Skipped) -> None:
        q = self.question
        if q is None:
            return
        self.feedback = tr("quiz.skipped", truth=fmt.num(q.truth, self.precision))
        self._close_question()
        self._move(q.pos)


    def action_next_step(self) -> None:
        self._move(self.cursor.next_step() if not self.cursor.at_output else self.pos + 1)

    def action_back(self) -> None:
        self._move(self.pos - 1)

    def action_back_step(self) -> None:
        self._move(self.cursor.previous_step() if self.pos else -1)

    def action_reset(self) -> None:
        self.playing = False
        self._move(0 if self.pos else -1)

    def action_to_end(self) -> None:
        self._move(self.cursor.last if not self.cursor.at_output else self.pos + 1)

    def action_select(self, delta: int) -> None:
        self.selected = (self.selected + delta) % self.stepper.batch

    def action_select_number(self, number: int) -> None:
        if number <= self.stepper.batch:
            self.selected = number - 1
        else:
            self.stepper.message = tr("msg.no_sentence", n=number)
            self.refresh_view()

    def action_toggle_batch(self) -> None:
        self.batch_view = not self.batch_view

    def action_toggle_play(self) -> None:
        if not self.playing and self.cursor.at_output:
            self.pos = 0
        self.playing = not self.playing

    def action_speed(self, direction: int) -> None:
        i = min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - self.speed))
        self.speed = SPEEDS[max(0, min(len(SPEEDS) - 1, i + direction))]

    def action_next_lang(self) -> None:
        self.lang = i18n.LANGS[(i18n.LANGS.index(self.lang) + 1) % len(i18n.LANGS)]

    def action_redraw(self) -> None:
        """Write the whole screen again, as if nothing were known of it (Ctrl+L,
        as in curses programs): for when something else wrote over it."""
        self.terminal.forget()
        self.screen.refresh()

    def action_next_theme(self) -> None:
        self.look = THEMES[(THEMES.index(self.look) + 1) % len(THEMES)]

    # --- training (t, i) and the backward pass (g): see widgets/training.py, backward.py
    @property
    def weights_label(self) -> str:
        return self.weight_sets.label(self.use_trained)

    def watch_use_trained(self, trained: bool) -> None:
        """Swap the stepper's weights; keep the sentence and the position."""
        self.weights = self.weight_sets.get(trained)
        self.stepper = self._new_stepper()
        self.version += 1
        self.refresh_view()  # moves the new stepper to the cursor (that clears its message)
        self.stepper.message = self.weight_sets.describe(trained)
        self.refresh_view()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        top = self.screen_stack[-1] if self.screen_stack else None
        if getattr(top, "OWNS_KEYS", False):
            return action == "quit"  # those screens have their own keys
        if action in ("train", "toggle_weights", "backward"):
            return len(self.screen_stack) <= 1  # not on top of another screen
        return True

    def action_train(self) -> None:
        self.playing = False
        start = "trained" if self.use_trained else "initial"
        from rnn_tui.tui.screens.training import TrainingScreen

        screen = TrainingScreen(self.weights, self.dataset, self.activation, start)
        self.push_screen(screen, lambda outcome: self._trained(outcome, start == "trained"))

    def _trained(self, outcome: TrainingOutcome | None, from_trained: bool) -> None:
        if outcome is not None:
            self.weight_sets.add(outcome, from_trained)
            self.use_trained = True

    def action_toggle_weights(self) -> None:
        if self.weight_sets.trained is None:
            self.stepper.message = tr("msg.not_trained")
            self.refresh_view()
        else:
            self.use_trained = not self.use_trained

    def action_backward(self) -> None:
        self.playing = False
        from rnn_tui.tui.screens.backward import BackwardScreen

        screen = BackwardScreen(self.stepper, self.selected, tuple(self.dataset.texts),
                                self.precision + 1, self.weights_label)
        self.push_screen(screen, self._backward_closed)

    def _backward_closed(self, selected: int | None) -> None:
        if selected is not None:  # the sentence last shown there stays selected here
            self.selected = selected

    def action_help(self) -> None:
        self.push_screen(HelpScreen([(key_label(k), tr(d)) for k, d in self.HELP]))

    # --- editing (issue 8): screens in widgets/, the engine recomputes -------------
    def action_edit_sentences(self) -> None:
        self.playing = False
        from rnn_tui.tui.screens.sentences import SentencesScreen

        self.push_screen(SentencesScreen(self.dataset, self.weights, self.seed))

    def action_edit_weights(self) -> None:
        self.playing = False
        from rnn_tui.tui.screens.weights_editor import WeightsScreen

        self.push_screen(WeightsScreen(self.weights, self.initial_weights, self.dataset,
                                       self.activation, self.precision))

    def action_export(self) -> None:
        from rnn_tui.tui.screens.files import ExportScreen, served

        if served():
            self._refuse("export")
            return
        self.push_screen(ExportScreen(self.stepper, self.precision))

    def action_save(self) -> None:
        from rnn_tui.tui.screens.files import SaveScreen, served

        if served():
            self._refuse("save")
            return
        self.push_screen(SaveScreen(self.weights, self.dataset))

    def _refuse(self, what: str) -> None:
        """Served over SSH: say so in the status line and a notification, write nothing."""
        from rnn_tui.tui.screens.files import served_message

        self.stepper.message = served_message(what)
        self.refresh_view()
        self.notify(served_message(what, long=True), severity="warning", markup=False)

    def on_sentences_screen_applied(self, message: SentencesScreen.Applied) -> None:
        """A new batch: restart the stepper on it at t = 0."""
        result = message.result
        if result.new_tokens:
            # every weight set the app keeps grows the same seeded rows
            sets = self.weight_sets
            sets.initial = sets.initial.extend_vocab(result.new_tokens, self.seed)
            if sets.trained is not None:
                sets.trained = sets.trained.extend_vocab(result.new_tokens, self.seed)
            # the tokens are the user's text: markup=False shows them as typed
            self.notify(result.notice(), title=tr("edit.vocabulary"), timeout=8, markup=False)
        self.dataset = result.dataset
        self.install_weights(result.weights, restart=True)

    def on_weights_screen_edited(self, message: WeightsScreen.Edited) -> None:
        self.install_weights(message.weights)

    @property
    def initial_weights(self) -> Weights:
        """The weights the app started with (grown with the vocabulary)."""
        return self.weight_sets.initial

    def install_weights(self, weights: Weights, restart: bool = False) -> None:
        """A new Stepper on these weights, moved to the same position (or to t = 0)."""
        self.weights = weights
        self.stepper = self._new_stepper()
        self.version += 1
        if restart:
            self.playing = False
            self.pos = 0
        self.selected = min(self.selected, self.stepper.batch - 1)
        self.refresh_view()


def make_app(
    model, precision: int = 3, lang: str | None = None, theme: str = "default"
) -> RNNApp:
    """The app for a resolved CLI model (see ``cli.build_model``); tests use it too."""
    return RNNApp(
        model.dataset,
        model.weights,
        precision=precision,
        activation=model.activation,
        lang=lang,
        theme=theme,
        seed=model.seed,
    )
