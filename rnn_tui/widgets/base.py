"""The base of every panel: repaint only when what it shows has changed."""

from __future__ import annotations

from collections.abc import Hashable

from rich.console import RenderableType
from textual.widgets import Static

from rnn_tui.widgets import numbers
from rnn_tui.widgets.view import View


class Panel(Static):
    """A Static that knows which parts of the View it depends on.

    ``key(view)`` names those parts; ``show(view)`` repaints only when the key
    changed, so a step repaints just the panels whose content changed (bytes
    per step matter over SSH).
    """

    _NEVER = object()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._key: Hashable = self._NEVER
        self.repaints = 0  # how often content was replaced (tests and benchmarks read it)

    def key(self, view: View) -> Hashable:
        raise NotImplementedError

    def build(self, view: View) -> RenderableType:
        raise NotImplementedError

    def show(self, view: View) -> None:
        # the language and the theme change every panel's words or colours
        key = (getattr(view, "lang", None), getattr(view, "theme", None), numbers.limit(),
               self.key(view))
        if key == self._key:
            return
        self._key = key
        self.repaints += 1
        self.update(self.build(view))

    def forget(self) -> None:
        """Repaint on the next ``show``."""
        self._key = self._NEVER
