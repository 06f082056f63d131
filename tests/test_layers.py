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


def test_every_plain_module_imports_no_ui_or_network_library() -> None:
    names = [m for p in PLAIN for m in modules(p)]
    assert len(names) >= 15, names  # every module, not three
    code = (
        "import importlib, json, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules\n"
        "             if m.split('.')[0] in ('textual', 'rich', 'asyncssh'))\n"
        "print(json.dumps(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out) == []


def test_the_terminal_writer_imports_nothing_else_of_rnn_tui() -> None:
    names = modules("rnn_tui.term")
    code = (
        "import importlib, json, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('rnn_tui.')\n"
        "                        and not m.startswith('rnn_tui.term'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out) == []


def test_the_package_is_where_the_layers_say() -> None:
    top = sorted(i.name for i in pkgutil.iter_modules(rnn_tui.__path__) if i.ispkg)
    assert top == ["cli", "core", "export", "serve", "teach", "term", "tui"]
