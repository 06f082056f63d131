"""Key bindings shown in the current language (the footer reads their descriptions)."""

from __future__ import annotations

from dataclasses import replace

from textual.dom import DOMNode

from rnn_tui.i18n import tr


def translate_bindings(node: DOMNode) -> None:
    """Give every binding of ``node`` that has an id the description ``key.<id>``."""
    table = node._bindings.key_to_bindings
    for key, bindings in table.items():
        table[key] = [replace(b, description=tr(f"key.{b.id}")) if b.id else b for b in bindings]
    node.refresh_bindings()
