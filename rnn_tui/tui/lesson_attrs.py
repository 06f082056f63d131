"""The app's shortcuts to its lesson: read-only attributes, and one-change actions.

``RNNApp`` keeps its lesson in ``app.lesson`` (``rnn_tui.teach.lesson.Lesson``);
tests and screens read ``app.pos``, ``app.stepper`` and the like, which are the
lesson's. ``changes_lesson(name)`` is an action that makes one change to the
lesson and repaints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rnn_tui.teach.lesson import Lesson


def _lesson(name: str) -> property:
    """A read-only view of ``app.lesson.<name>``."""
    return property(lambda self: getattr(self.lesson, name))


def changes_lesson(name: str) -> Callable[..., None]:
    """An action that calls ``lesson.<name>(*args)`` (one change), then repaints."""

    def action(self: Any, *args: int) -> None:
        getattr(self.lesson, name)(*args)
        self.refresh_view()

    return action


class LessonAttributes:
    """A mixin: the lesson's state, read-only, as attributes of the app."""

    lesson: Lesson

    pos = _lesson("pos")
    selected = _lesson("selected")
    batch_view = _lesson("batch_view")
    quiz = _lesson("quiz")
    use_trained = _lesson("trained")
    stepper = _lesson("stepper")
    cursor = _lesson("cursor")
    dataset = _lesson("dataset")
    weights = _lesson("weights")
    weight_sets = _lesson("sets")
    initial_weights = property(lambda self: self.lesson.sets.initial)
    activation = _lesson("activation")
    version = _lesson("revision")
    score = _lesson("score")
    weights_label = _lesson("weights_label")
    question = property(lambda self: self.quizflow.question)
