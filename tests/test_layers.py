"""The layers, checked by importing every module (import-linter checks the source too)."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import rnn_tui

PLAIN = ("rnn_tui.core", "rnn_tui.teach", "rnn_tui.export")


def modules(prefix: str) -> list[str]:
    package = __import__(prefix, fromlist=["_"])
    found = [prefix]
    for info in pkgutil.walk_packages(package.__path__, prefix + "."):
        found.append(info.name)
    return found


def loaded_by(names: list[str]) -> list[str]:
    """Every module in sys.modules after importing ``names`` in a clean interpreter."""
    code = (
        "import importlib, json, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)


def test_every_plain_module_imports_no_ui_or_network_library() -> None:
    names = [m for p in PLAIN for m in modules(p)]
    assert len(names) >= 15, names  # every module, not three
    bad = [m for m in loaded_by(names) if m.split(".")[0] in ("textual", "rich", "asyncssh")]
    assert bad == []


def test_the_terminal_writer_imports_nothing_else_of_rnn_tui() -> None:
    loaded = loaded_by(modules("rnn_tui.term"))
    assert [m for m in loaded
            if m.startswith("rnn_tui.") and not m.startswith("rnn_tui.term")] == []


def test_the_package_is_where_the_layers_say() -> None:
    top = sorted(i.name for i in pkgutil.iter_modules(rnn_tui.__path__) if i.ispkg)
    assert top == ["cli", "core", "export", "serve", "teach", "term", "tui"]
