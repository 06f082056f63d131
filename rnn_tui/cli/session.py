"""The entry point of one served session.

``python -I rnn_tui/cli/session.py [--site DIR] -- OPTIONS``

``rnn-tui serve`` starts it on the session's pty with a minimal environment
(rnn_tui.serve.sshd.session_env), its resource limits already set, and HOME naming
the session's private working directory. It runs with ``-I`` (no PYTHON*
variables, no current directory or user site on sys.path), so it finds the
package from its own location (an installed package or a source checkout
alike), adds any ``--site`` directory the server named, moves into HOME, and
runs the stepper with OPTIONS.

``session.py --warm SCRIPT ARGS...`` starts the server's warm process instead
(rnn_tui.serve.warm): the same interpreter, flags and sys.path, with the app
imported once; each session is then forked from it and runs SCRIPT ARGS (this
file's ``main``, usually) without starting an interpreter.
"""

from __future__ import annotations

import os
import sys


def fix_path() -> None:
    """Make rnn_tui importable (from this file's location), and nothing beside it."""
    here = os.path.dirname(os.path.abspath(__file__))
    package_root = os.path.dirname(os.path.dirname(here))
    # Run as a script, sys.path[0] is rnn_tui/cli/ itself: its modules must not be
    # importable as top-level names. The package's parent is what we want.
    if sys.path and os.path.abspath(sys.path[0] or ".") == here:
        sys.path[0] = package_root
    elif package_root not in sys.path:
        sys.path.insert(0, package_root)


def add_sites(argv: list[str]) -> list[str]:
    """Add the ``--site DIR`` directories that start ``argv``; the app options after them."""
    options = list(argv)
    while options and options[0] == "--site" and len(options) >= 2:
        import site

        site.addsitedir(options[1])
        del options[:2]
    if options and options[0] == "--":
        del options[0]
    return options


def enter_home() -> None:
    """Move into HOME (the session's private directory); files private from now on."""
    home = os.environ.get("HOME", "")
    if home and os.path.isabs(home):
        try:
            os.chdir(home)
        except OSError as exc:
            sys.exit(f"rnn-tui: can't enter the session directory: {exc.strerror}")
    os.umask(0o077)


def _setup(argv: list[str]) -> list[str]:
    """Make rnn_tui importable, enter HOME; the app options."""
    fix_path()
    options = add_sites(argv)
    enter_home()
    return options


#: Packages whose every module the warm process imports: a session may need any
#: of them (a screen, a panel, the class link), and a module imported once in
#: the warm process is shared by every session instead of imported by each.
PRELOAD_PACKAGES = ("rnn_tui.core", "rnn_tui.teach", "rnn_tui.teach.locales", "rnn_tui.term",
                    "rnn_tui.tui", "rnn_tui.tui.panels", "rnn_tui.tui.screens")
#: Modules of those not to import (a tool, not part of a session).
PRELOAD_SKIP = frozenset({"rnn_tui.tui.screenshots"})


def preload(argv: list[str]) -> None:
    """What a session needs, imported in the warm process: the app's modules and
    the ones Textual and NumPy import only when the app first draws."""
    import importlib
    import pkgutil

    add_sites(argv)  # a --site directory's packages are imported from too
    import numpy.random  # noqa: F401
    import rich.cells
    import textual.app  # noqa: F401
    import textual.drivers.linux_driver  # noqa: F401
    import textual.layouts.factory  # noqa: F401
    import textual.pilot  # noqa: F401
    import textual.scrollbar  # noqa: F401

    from rnn_tui.cli import main as cli

    for name in PRELOAD_PACKAGES:
        package = importlib.import_module(name)
        for info in pkgutil.iter_modules(package.__path__):
            module = f"{name}.{info.name}"
            if module not in PRELOAD_SKIP:
                importlib.import_module(module)
    cli.run_parser()
    rich.cells.cell_len("한 →")  # loads the Unicode width tables


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--warm"]:  # the server's warm process: session.py --warm SCRIPT ARGS
        fix_path()
        import gc

        gc.disable()  # as the app does while it imports (rnn_tui.cli.main)
        if len(argv) > 1 and os.path.isfile(argv[1]) and os.path.samefile(argv[1], __file__):
            preload(argv[2:])
        from rnn_tui.serve import warm

        return warm.main(argv[1:])
    options = _setup(argv)
    from rnn_tui.cli import main as cli

    return cli.main(options)


if __name__ == "__main__":
    sys.exit(main())
