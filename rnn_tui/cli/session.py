"""The entry point of one served session.

``python -I rnn_tui/cli/session.py [--site DIR] -- OPTIONS``

``rnn-tui serve`` starts it on the session's pty with a minimal environment
(rnn_tui.serve.sshd.session_env), its resource limits already set, and HOME naming
the session's private working directory. It runs with ``-I`` (no PYTHON*
variables, no current directory or user site on sys.path), so it finds the
package from its own location (an installed package or a source checkout
alike), adds any ``--site`` directory the server named, moves into HOME, and
runs the stepper with OPTIONS.
"""

from __future__ import annotations

import os
import sys


def _setup(argv: list[str]) -> list[str]:
    """Make rnn_tui importable, enter HOME; the app options."""
    here = os.path.dirname(os.path.abspath(__file__))
    package_root = os.path.dirname(os.path.dirname(here))
    # Run as a script, sys.path[0] is rnn_tui/cli/ itself: its modules must not be
    # importable as top-level names. The package's parent is what we want.
    if sys.path and os.path.abspath(sys.path[0] or ".") == here:
        sys.path[0] = package_root
    elif package_root not in sys.path:
        sys.path.insert(0, package_root)
    options = list(argv)
    while options and options[0] == "--site" and len(options) >= 2:
        import site

        site.addsitedir(options[1])
        del options[:2]
    if options and options[0] == "--":
        del options[0]
    home = os.environ.get("HOME", "")
    if home and os.path.isabs(home):
        try:
            os.chdir(home)
        except OSError as exc:
            sys.exit(f"rnn-tui: can't enter the session directory: {exc.strerror}")
    os.umask(0o077)
    return options


def main(argv: list[str] | None = None) -> int:
    options = _setup(list(sys.argv[1:] if argv is None else argv))
    from rnn_tui.cli import main as cli

    return cli.main(options)


if __name__ == "__main__":
    sys.exit(main())
