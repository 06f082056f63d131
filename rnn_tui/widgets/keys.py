"""Key bindings shown in the current language (the footer reads their descriptions)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from textual.binding import Binding
from textual.dom import DOMNode
from textual.reactive import Reactive

from rnn_tui.i18n import tr

#: F2 for a screen that hides the app's own F2 (a modal screen, or one whose keys the
#: app turns off); the screen's ``action_next_lang`` calls ``next_language``.
LANG_BINDING = Binding("f2", "next_lang", "Language", show=False, id="lang")


def translate_bindings(node: DOMNode) -> None:
    """Give every binding of ``node`` that has an id the description ``key.<id>``."""
    table = node._bindings.key_to_bindings
    for key, bindings in table.items():
        table[key] = [replace(b, description=tr(f"key.{b.id}")) if b.id else b for b in bindings]
    node.refresh_bindings()


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
