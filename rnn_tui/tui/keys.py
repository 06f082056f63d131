"""Key bindings shown in the current language.

A binding's words are the message ``key.<binding id>``, looked up where they
are shown: the app's key bar (``KeyBar``) and Textual's footer, which reads a
screen's ``active_bindings`` (``TranslatedBindings``). No binding is changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from textual.binding import ActiveBinding, Binding
from textual.dom import DOMNode
from textual.reactive import Reactive

from rnn_tui.teach.i18n import tr

#: F2 for a screen that hides the app's own F2 (a modal screen, or one whose keys the
#: app turns off); the screen's ``action_next_lang`` calls ``next_language``.
LANG_BINDING = Binding("f2", "next_lang", "Language", show=False, id="lang")


def described(binding: Binding) -> Binding:
    """``binding`` with the description ``key.<id>`` in the current language (if it has an id)."""
    return replace(binding, description=tr(f"key.{binding.id}")) if binding.id else binding


class TranslatedBindings:
    """A Screen mixin: its active bindings, as Textual's Footer reads them, described
    in the current language (``class MyScreen(TranslatedBindings, Screen)``)."""

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        # a mixin: the Screen after it in the MRO has active_bindings; mypy sees only object
        active: dict[str, ActiveBinding] = super().active_bindings  # type: ignore[misc]
        return {key: item._replace(binding=described(item.binding))
                for key, item in active.items()}


def follow_language(node: DOMNode, apply: Callable[[], None]) -> None:
    """Call ``apply`` now, and again after each language switch (the app's ``lang``)."""
    apply()
    app = node.app
    if isinstance(getattr(type(app), "lang", None), Reactive):
        node.watch(app, "lang", lambda: apply(), init=False)


def next_language(node: DOMNode) -> None:
    """Switch the app to its next language, as the app's own F2 does."""
    app = node.app
    action = getattr(app, "action_next_lang", None)
    if action is not None:
        action()
        # the app refreshes only the top screen's footer; the ones below show through
        for screen in app.screen_stack:
            screen.refresh_bindings()
