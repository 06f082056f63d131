"""The Textual stepper: the forward pass, one key press at a time.

The app is a controller. The lesson's state (data, weights, position,
selection, views, quiz score) lives in ``app.lesson``, a plain object
(``rnn_tui.teach.lesson.Lesson``); the app keeps only presentation (language,
theme, autoplay). A key changes the lesson, then ``refresh_view`` builds a
``View`` from it and hands it to the panels, each of which repaints only if
what it shows has changed. Helpers: ``layout`` (the panels, app.tcss's rules),
``view`` (lesson -> View), ``quizflow`` (predict, then reveal), ``autoplay``,
``routes`` (the screens) and ``terminal_app`` (the driver, Ctrl+L, served refusals).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events
from textual.app import ComposeResult
from textual.content import Content
from textual.dom import DOMNode
from textual.geometry import Size
from textual.reactive import reactive
from textual.screen import Screen

from rnn_tui.core.cells import GatedWeights
from rnn_tui.core.data import Dataset
from rnn_tui.core.model import Weights
from rnn_tui.teach import fmt, i18n
from rnn_tui.teach.i18n import tr
from rnn_tui.teach.lesson import Lesson
from rnn_tui.tui import bindings, layout, routes
from rnn_tui.tui.autoplay import Autoplay, next_speed
from rnn_tui.tui.lesson_attrs import LessonAttributes, changes_lesson
from rnn_tui.tui.panels import numbers
from rnn_tui.tui.panels.base import Panel
from rnn_tui.tui.panels.quizbar import QuizBar
from rnn_tui.tui.panels.stepper import KeyBar
from rnn_tui.tui.quizflow import QuizFlow
from rnn_tui.tui.terminal_app import TerminalApp
from rnn_tui.tui.themes import PROJECTOR, TEXTUAL_THEMES, THEMES
from rnn_tui.tui.view import View, lesson_view

if TYPE_CHECKING:  # imported when the key is pressed, not at start-up
    from rnn_tui.tui.classlink import ClassLink
    from rnn_tui.tui.screens.sentences import SentencesScreen
    from rnn_tui.tui.screens.weights_editor import WeightsScreen


class RNNApp(LessonAttributes, TerminalApp):
    """Step through a many-to-one RNN."""

    CSS_PATH = "app.tcss"
    TITLE = "rnn-tui"
    ENABLE_COMMAND_PALETTE = False
    AUTO_FOCUS = None  # keys go to the app's bindings; only the quiz box takes focus

    BINDINGS = bindings.APP  # keys -> actions (tui/bindings.py)

    HELP_ROWS = routes.HELP  # the help screen's rows (DOMNode.HELP is Textual's help text)

    # presentation only (the lesson is in self.lesson). repaint=False: an App's
    # reactive would otherwise repaint the whole screen on every change; the
    # panels repaint themselves, and only when their content changed.
    playing: reactive[bool] = reactive(False, repaint=False)
    speed: reactive[float] = reactive(2.0, repaint=False)
    lang: reactive[str] = reactive("en", init=False, repaint=False)
    look: reactive[str] = reactive("default", init=False, repaint=False)  # themes.THEMES

    def __init__(
        self,
        dataset: Dataset,
        weights: Weights | GatedWeights,
        precision: int = 3,
        activation: str = "tanh",
        lang: str | None = None,
        theme: str = "default",
        seed: int = 0,
        classroom: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(lang or i18n.detect())
        self.register_theme(PROJECTOR)
        self.set_reactive(RNNApp.look, theme)
        i18n.set_lang(lang or i18n.detect())
        self.set_reactive(RNNApp.lang, i18n.lang())
        self.lesson = Lesson.start(dataset, weights, activation, seed)
        self.precision = precision
        self.quizflow = QuizFlow(self)
        self.autoplay = Autoplay(self, self._tick)
        self._shown_step_title: str | None = None  # the step panel's title, as text
        self.classlink: ClassLink | None = None  # in a class: the link to the hub
        self._placed: list[DOMNode] | None = None  # layout.placed, asked once
        if classroom is not None:
            from rnn_tui.tui.classlink import ClassLink

            self.classlink = ClassLink(self, *classroom)

    def _edited(self) -> frozenset:
        return self.lesson.edited()

    # --- layout ---------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield from layout.compose(self.lesson.cell)

    def on_mount(self) -> None:
        self._apply_look()
        self._apply_size()
        self._apply_lang()
        self.refresh_view()
        if self.classlink is not None:
            self.classlink.start()

    def _apply_lang(self) -> None:
        layout.apply_lang(self)
        self.refresh_bindings()  # the footer reads the words again

    def _apply_look(self) -> None:
        numbers.set_palette(self.look)
        self.theme = TEXTUAL_THEMES[self.look]
        self.stepper_screen.set_class(self.look == "projector", "projector")

    @property
    def stepper_screen(self) -> Screen:
        """The stepper's own screen, even while another screen is on top of it."""
        return self.screen_stack[0] if self.screen_stack else self.screen

    def on_resize(self, event: events.Resize) -> None:
        self._apply_size(event.size)

    def _apply_size(self, size: Size | None = None) -> None:
        # (no `self.is_mounted` test: on an App that is a method, is_mounted(widget))
        if layout.apply_size(self.stepper_screen, size or self.size):
            # later: App's own resize handler (after this one) sets the new self.size
            self.call_later(self.refresh_view)

    # --- lesson -> screen ---------------------------------------------------------
    def view(self) -> View:
        view = lesson_view(self.lesson, precision=self.precision, feedback=self.quizflow.feedback,
                           playing=self.playing, speed=self.speed, lang=self.lang,
                           theme=self.look, size=self.size)
        if self.classlink is not None:  # the class's words; the roster panel's room
            view = self.classlink.dress(view)
        return layout.with_diagram(view, self.stepper_screen.has_class("roomy"))

    def refresh_view(self) -> None:
        """Let each panel repaint what changed in the lesson."""
        q = self.quizflow.question
        if q is not None and (q.b != self.lesson.selected or not self.lesson.quiz):
            self.quizflow.close()  # asked about another sentence, or the quiz is off
        view = self.view()
        roomy = self.stepper_screen.has_class("roomy")
        # the stepper screen's panels, as self.query(Panel) finds them, at a tenth of its cost
        panels = self.screen_stack[0].walk_children(Panel) if self.screen_stack else []
        for panel in panels:
            if layout.shown(panel.id, view, roomy):
                panel.show(view)  # a hidden panel catches up when it is shown again
        # no t here: a new title repaints the whole box (the status bar says t)
        title = tr("title.step", n=view.selected + 1, text=view.texts[view.selected])
        if title != self._shown_step_title:  # setting it repaints the whole box, children too
            # the sentence is the user's text: Content, never parsed as markup
            self.query_one("#step").border_title = Content(title)
            self._shown_step_title = title
        self.stepper_screen.set_class(self.quiz, "quiz-on")
        if self.classlink is not None:
            self.classlink.sync()  # where this session is, to the class hub
        if self._placed is None:
            self._placed = layout.placed(self.stepper_screen)
        layout.place(self._placed, view, roomy)  # the parts on screen now

    def push_screen(self, *args, **kwargs):
        result = super().push_screen(*args, **kwargs)
        if self.classlink is not None and args:
            self.classlink.screen_pushed(args[0])
        self.call_after_refresh(self._refresh_keys)  # keys a screen on top takes
        return result

    def pop_screen(self):
        result = super().pop_screen()
        self.call_after_refresh(self._refresh_keys)
        return result

    def _refresh_keys(self) -> None:
        self.query_one(KeyBar).show(self.view())

    # --- presentation state ---------------------------------------------------------
    def watch_lang(self, lang: str) -> None:
        i18n.set_lang(lang)
        self._apply_lang()
        self.refresh_view()

    def watch_look(self) -> None:
        self._apply_look()
        self.refresh_view()

    def watch_playing(self) -> None:
        self.autoplay.run(self.playing, self.speed)
        self.refresh_view()

    watch_speed = watch_playing

    def _tick(self) -> None:
        if self.lesson.tick():
            self.refresh_view()
        else:
            self.playing = False

    # --- actions: keys -> lesson changes ----------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        top = self.screen_stack[-1] if self.screen_stack else None
        if action.startswith("class_"):  # in a class only, by role
            return self.classlink is not None and self.classlink.may(action, top)
        if getattr(top, "OWNS_KEYS", False):
            return action == "quit"  # those screens have their own keys
        if action in ("train", "toggle_weights", "backward"):
            return len(self.screen_stack) <= 1  # not on top of another screen
        return True

    async def run_action(self, action, default_namespace=None, namespaces=None) -> bool:
        """In a class, a stepping key leaves follow mode, or is refused while locked."""
        name = bindings.action_name(action)
        if bindings.refused_by_cell(self.lesson, name):  # the vanilla cell's only (issue 21)
            self.refresh_view()
            return True
        link = self.classlink
        if link is not None and not link.allow(name, default_namespace):
            return True  # refused (the status line says why)
        return await super().run_action(action, default_namespace, namespaces)

    # a class's keys: each one the class link's (f, a, c, o, F, K)
    action_class_follow = bindings.class_key("class_follow")
    action_class_hand = bindings.class_key("class_hand")
    action_class_roster = bindings.class_key("class_roster")
    action_class_lock = bindings.class_key("class_lock")
    action_class_lead = bindings.class_key("class_lead")
    action_class_quiz = bindings.class_key("class_quiz")  # K: ask the class (issue 18)

    def action_next_substep(self) -> None:
        lesson = self.lesson
        if not (lesson.quiz and self.quizflow.question is None and self.quizflow.ask()):
            lesson.step()
        self.refresh_view()

    # one change to the lesson each, then a repaint
    action_next_step = changes_lesson("next_step")
    # not action_back: that is Textual's App.action_back (pop the screen)
    action_back_substep = changes_lesson("back")
    action_back_step = changes_lesson("back_step")
    action_to_end = changes_lesson("to_end")
    action_select = changes_lesson("select")
    action_select_number = changes_lesson("select_number")
    action_toggle_batch = changes_lesson("toggle_batch")
    action_toggle_weights = changes_lesson("toggle_trained")

    def action_reset(self) -> None:
        self.playing = False
        self.lesson.reset()
        self.refresh_view()

    def action_toggle_quiz(self) -> None:
        self.lesson.toggle_quiz()
        self.quizflow.toggled(self.lesson.quiz)
        self.refresh_view()

    def on_quiz_bar_guessed(self, event: QuizBar.Guessed) -> None:
        if self.quizflow.guessed(event.text):
            self.refresh_view()

    def on_quiz_bar_skipped(self, event: QuizBar.Skipped) -> None:
        if self.quizflow.skipped():
            self.refresh_view()

    def action_toggle_play(self) -> None:
        if not self.playing and self.cursor.at_output:
            self.lesson.pos = 0
        self.playing = not self.playing

    def action_speed(self, direction: int) -> None:
        self.speed = next_speed(self.speed, direction)

    def action_next_lang(self) -> None:
        self.lang = i18n.LANGS[(i18n.LANGS.index(self.lang) + 1) % len(i18n.LANGS)]

    def action_next_theme(self) -> None:
        self.look = THEMES[(THEMES.index(self.look) + 1) % len(THEMES)]

    # --- the screens: each opens one (see routes.py) ------------------------------
    action_train = routes.train
    action_backward = routes.backward
    action_edit_sentences = routes.edit_sentences
    action_edit_weights = routes.edit_weights
    action_export = routes.export
    action_save = routes.save
    action_help = routes.show_help
    action_network = routes.network

    def action_memory(self) -> None:
        """Key m: how much h_T depends on each token of the selected sentence (bars)."""
        from rnn_tui.tui.screens.memory import MemoryScreen

        self.push_screen(MemoryScreen(self.lesson))

    def refuse(self, what: str) -> None:
        """Served over SSH: say so in the status line (no toast over the narration)."""
        self.lesson.say(f"served.{what}")
        self.refresh_view()

    def show_notice(self, text: str) -> None:
        """A notification (Textual's own, e.g. a screenshot saved): in the status line."""
        self.lesson.say("notice.text", text=fmt.clip(" ".join(text.split()), 100))
        self.refresh_view()

    def action_help_quit(self) -> None:
        """Ctrl+C (Textual's hint that it does not quit): in the status line, not a toast."""
        self.lesson.say("notice.quit", quit="q")
        self.refresh_view()

    def on_sentences_screen_applied(self, message: SentencesScreen.Applied) -> None:
        """A new batch: restart the stepper on it at t = 0."""
        from rnn_tui.tui.screens.sentences import vocabulary_notice

        result = message.result
        self.playing = False
        self.lesson.new_dataset(result)
        if result.new_tokens:  # in the status line: a toast would cover the narration
            key, values = vocabulary_notice(result)
            self.lesson.say(key, **values)
        self.refresh_view()

    def on_weights_screen_edited(self, message: WeightsScreen.Edited) -> None:
        self.install_weights(message.weights)

    def install_weights(self, weights: Weights, restart: bool = False) -> None:
        """A new Stepper on these weights, moved to the same position (or to t = 0)."""
        if restart:
            self.playing = False
        self.lesson.install_weights(weights, restart)
        self.refresh_view()


def make_app(model, precision: int = 3, lang: str | None = None,
             theme: str = "default", classroom: tuple[str, str] | None = None) -> RNNApp:
    """The app for a resolved CLI model (see ``cli.build_model``); tests use it too.
    ``classroom``: the class hub's socket and this session's token (a served class)."""
    return RNNApp(model.dataset, model.weights, precision=precision,
                  activation=model.activation, lang=lang, theme=theme, seed=model.seed,
                  classroom=classroom)
