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
import re
import sys
from collections.abc import Mapping
from typing import NamedTuple


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


#: The rehearsal's terminal: the size most students have.
REHEARSAL_SIZE = (80, 24)
#: The rehearsal gives up (and the warm process goes on without it) after this long.
REHEARSAL_SECONDS = 15.0
#: Output quiet this long after a key: the app has answered it.
_QUIET = 0.1
#: Output quiet this long after the start: the first frame is whole.
_FRAME_QUIET = 0.3


class Rehearsal(NamedTuple):
    #: All the app wrote (at most 1 MiB): its first frame, the same screen
    #: written whole again twice (Ctrl+L), its answer to →, its end.
    output: bytes
    #: Where in ``output`` the first screen is, written whole the second time.
    frame: slice
    #: The terminal's size, (columns, rows).
    size: tuple[int, int]


def rehearse(options: list[str], size: tuple[int, int] = REHEARSAL_SIZE,
             timeout: float = REHEARSAL_SECONDS) -> Rehearsal | None:
    """Run one session of the app here, in the warm process, on a new pty: its
    first frame, that screen written whole again (Ctrl+L, the app's redraw,
    twice), one key (→) answered, then q. What that fills (Textual's parsed
    stylesheets and caches, Rich's, ours, the code paths' first runs) is then
    shared by every session forked from here instead of built by each one.

    Nothing is left running: the app's loop is closed, its driver's threads
    joined, the pty closed, the standard streams and signal handlers back as
    they were. Returns what the app wrote, or None if it could not run (the
    options are for ``--text``, say, or it failed: the warm process goes on
    without it)."""
    import asyncio
    import io
    import signal
    import threading

    from rnn_tui.cli import main as cli
    from rnn_tui.serve.ptyproc import set_winsize

    try:
        args = cli.run_parser().parse_args(options)
    except (SystemExit, Exception):  # (the server checked them: a session would fail too)
        return None
    if args.text:
        return None
    lang = cli.i18n.lang()
    cli.i18n.set_lang(cli.lang_of(options))
    handlers = {sig: signal.getsignal(sig) for sig in signal.valid_signals()}
    streams = {name: getattr(sys, name) for name in
               ("stdin", "stdout", "stderr", "__stdin__", "__stdout__", "__stderr__")}
    master, slave = os.openpty()
    output = bytearray()
    marks: list[int] = []
    try:
        set_winsize(slave, *size)
        stdin = io.TextIOWrapper(open(slave, "rb", closefd=False), encoding="utf-8")
        stdout = io.TextIOWrapper(open(slave, "wb", closefd=False), encoding="utf-8",
                                  line_buffering=True)
        for name in ("stdin", "__stdin__"):
            setattr(sys, name, stdin)
        for name in ("stdout", "stderr", "__stdout__", "__stderr__"):
            setattr(sys, name, stdout)
        model = cli.trace_model(args) if args.trace is not None else cli.build_model(args)
        from rnn_tui.tui.app import make_app

        app = make_app(model, precision=args.precision, lang=args.lang, theme=args.theme)
        asyncio.run(_drive(app, master, output, marks, timeout))
    except Exception as exc:  # the warm process goes on without it
        print(f"rnn-tui: the warm process's rehearsal failed: {exc!r}"[:300],
              file=streams["__stderr__"], flush=True)
        return None
    finally:
        for name, stream in streams.items():
            setattr(sys, name, stream)
        for sig, handler in handlers.items():
            if handler is not None and signal.getsignal(sig) is not handler:
                try:
                    signal.signal(sig, handler)
                except (OSError, ValueError):  # pragma: no cover
                    pass
        os.close(slave)
        os.close(master)
        cli.i18n.set_lang(lang)
    if threading.active_count() != 1:  # the driver's threads must all be gone
        print("rnn-tui: the warm process's rehearsal left threads running",
              file=sys.stderr, flush=True)
        return None
    if len(marks) < 3:
        return None
    # the second Ctrl+L's: by then the first frame and the first repaint are done
    return Rehearsal(bytes(output), slice(marks[1], marks[2]), size)


async def _drive(app, master: int, output: bytearray, marks: list[int], timeout: float) -> None:
    """Run ``app`` on the pty whose master is ``master``, as a student would: wait
    for its first frame, press Ctrl+L twice, then →, waiting for each answer,
    then q. ``marks``: where in ``output`` each key was pressed."""
    import asyncio
    import contextlib
    import time

    loop = asyncio.get_running_loop()
    os.set_blocking(master, False)
    last = [time.monotonic()]

    def readable() -> None:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the slave is closed
            data = b""
        if not data:
            loop.remove_reader(master)
            return
        if len(output) < 1024 * 1024:
            output.extend(data)
        last[0] = time.monotonic()

    async def quiet(seconds: float = _QUIET) -> None:
        while not output or time.monotonic() - last[0] < seconds:
            await asyncio.sleep(_QUIET / 4)

    async def student() -> None:
        await quiet(_FRAME_QUIET)  # the first frame
        for key in (b"\x0c", b"\x0c", b"\x1b[C", b"q"):  # Ctrl+L twice, →, q
            marks.append(len(output))
            os.write(master, key)
            last[0] = time.monotonic()
            await quiet()

    loop.add_reader(master, readable)
    run = asyncio.ensure_future(app.run_async(mouse=False))
    keys = asyncio.ensure_future(student())
    try:
        await asyncio.wait_for(asyncio.shield(run), timeout)
    except asyncio.TimeoutError:
        app.exit()
        await asyncio.wait_for(run, 5)
    else:
        # the app's last bytes (leaving the alternate screen) were written before it
        # returned, but may not have been read from the pty yet: read them too
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(quiet(), 1.0)
    finally:
        keys.cancel()
        loop.remove_reader(master)


#: What the app writes as it starts that is not the picture: terminal queries
#: (their answers would come twice), input modes it sets itself (the keyboard
#: protocol, focus reports, bracketed paste, the mouse) and the pointer's shape.
_NOT_PICTURE = re.compile(
    rb"\x1b\[\?\d+\$p|\x1b\[[>=<]\d*(?:;\d*)*u"
    rb"|\x1b\[\?(?:9|100[0-6]|1015|1016|2004|2048)[hl]"
    rb"|\x1b\]22;[^\x07\x1b]{0,64}(?:\x07|\x1b\\)")
#: Environment variables a session's first frame does not depend on (its own
#: directory; the locale counts through the language and character widths).
_FRAME_FREE = frozenset({"HOME", "TMPDIR", "LANG"})


def frame_key(env: Mapping[str, str]) -> tuple:
    """What, in a session's environment, its first frame depends on: every
    variable but its own directory and the locale, and of the locale the
    language it speaks and how it counts character widths (a class member's
    environment names the class hub, so it never matches a lone session's)."""
    from rnn_tui.teach import i18n
    from rnn_tui.term import cjk_locale

    rest = tuple(sorted((k, v) for k, v in env.items()
                        if k not in _FRAME_FREE and not k.startswith("LC_")))
    return rest, i18n.detect(env), cjk_locale(env)


#: Before the picture drawn ahead: the alternate screen, the cursor hidden, no
#: line wrap (as the app's own start sets them).
FRAME_START = b"\x1b[?1049h\x1b[?25l\x1b[?7l"


def first_frame(rehearsal: Rehearsal | None):
    """The rehearsal's first screen as a :class:`rnn_tui.serve.warm.FirstFrame`:
    FRAME_START, then the app's own bytes for that screen written whole (its
    Ctrl+L), which paint every cell; None if there is none, or if they hold
    more than a picture (a mode the app sets itself, a query)."""
    from rnn_tui.serve.warm import FirstFrame

    if rehearsal is None:
        return None
    picture = rehearsal.output[rehearsal.frame]
    if not picture or _NOT_PICTURE.search(picture) or b"\x1b[?1049" in picture:
        return None
    if not whole(picture, rehearsal.size):
        return None
    return FirstFrame(FRAME_START + picture, rehearsal.size, frame_key(os.environ), frame_key)


def whole(picture: bytes, size: tuple[int, int]) -> bool:
    """Whether ``picture`` paints every cell of a screen of ``size`` (read by the
    app's own terminal model, rnn_tui/term): a repaint cut short is not kept."""
    from rnn_tui.term import Terminal

    model = Terminal()
    try:
        model.rewrite(picture.decode("utf-8"), size)
    except UnicodeDecodeError:
        return False
    return all(cell is not None for row in model.chars for cell in row)


def rehearse_frames(options: list[str], keep: bool = True) -> list:
    """Rehearse a session (:func:`rehearse`); its first frame, if ``keep``.

    One: its environment's (xterm-256color, no COLORTERM). Another rehearsal
    with ``COLORTERM=truecolor`` would give that terminal's, but cost every
    session 0.5 MiB more of its own memory (PSS; measured with 8 sessions:
    20.0 against 19.5 MiB), as what it leaves behind is written over by each."""
    rehearsal = rehearse(options)
    frame = first_frame(rehearsal) if keep else None
    return [] if frame is None else [frame]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--warm"]:  # the server's warm process: session.py --warm SCRIPT ARGS
        fix_path()
        import gc

        gc.disable()  # as the app does while it imports (rnn_tui.cli.main)
        frames = []
        if len(argv) > 1 and os.path.isfile(argv[1]) and os.path.samefile(argv[1], __file__):
            preload(argv[2:])
            if os.environ.get("RNN_TUI_WARM_REHEARSAL", "1") != "0":
                frames = rehearse_frames(add_sites(argv[2:]),
                                         os.environ.get("RNN_TUI_WARM_FRAME", "1") != "0")
        from rnn_tui.serve import warm

        return warm.main(argv[1:], first_frames=frames)
    options = _setup(argv)
    from rnn_tui.cli import main as cli

    return cli.main(options)


if __name__ == "__main__":
    sys.exit(main())
