"""``rnn-tui export``: write the forward pass trace as Markdown, LaTeX, CSV or JSON.

::

    rnn-tui export --format md|tex|csv|json [model options] [--precision N] [--out FILE]

Writes to stdout unless ``--out`` is given; ``--out`` replaces the file
atomically. Without ``--format``, the format comes from the ``--out`` suffix.
``--out`` writes only a regular file or a new name: a symbolic link, a device
(``/dev/null``), a pipe or a folder is refused, never replaced.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from rnn_tui.cli.main import PROG, CliError, Parser, add_model_options, bounded_int, build_model
from rnn_tui.teach.i18n import tr

FORMATS = ("md", "tex", "csv", "json")
#: ``--out`` suffixes that imply a format when ``--format`` is not given.
SUFFIXES = {".md": "md", ".markdown": "md", ".tex": "tex", ".csv": "csv", ".json": "json"}


def parser() -> Parser:
    p = Parser(
        prog=f"{PROG} export",
        description="Export every number of the forward pass: each sentence, each time step "
        "(x, x·Wxh, h·Whh, Bh, their sum, h), then z, y, prediction, target and loss.",
        epilog="md: a handout with the equations and numbers; tex: a standalone LaTeX article; "
        "csv: tidy, one number per row; json: versioned, reloadable "
        "(see docs/trace-format.md).",
    )
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="output format (default: from the --out suffix)")
    add_model_options(p)
    p.add_argument("--precision", type=bounded_int(0, 8), default=3, metavar="N",
                   help="decimals in md and tex (default 3); csv and json are always "
                   "written in full precision")
    p.add_argument("--out", metavar="FILE", help="write here (atomically) instead of stdout")
    return p


def choose_format(fmt: str | None, out: str | None) -> str:
    """The --format, or the one the --out suffix names, or a CliError."""
    if fmt is not None:
        return fmt
    if out is not None and Path(out).suffix.lower() in SUFFIXES:
        return SUFFIXES[Path(out).suffix.lower()]
    raise CliError(f"choose a format with --format {{{','.join(FORMATS)}}}"
                   " (or give --out a .md, .tex, .csv or .json name)")


def check_out(out: str | None) -> None:
    """CliError now (before any work) when ``--out`` names something we won't replace."""
    from rnn_tui.core.data import check_target

    if out is None:
        return
    if not out.strip():
        raise CliError(tr("cli.empty_name", option="--out"))
    if Path(out).is_dir():
        raise CliError(f"{out}: is a directory")
    try:
        check_target(Path(out))
    except OSError as exc:
        raise CliError(f"{out}: cannot write ({exc.strerror or exc})") from None


def write(text: str, out: str | None) -> None:
    """To stdout, or atomically to ``out``; an unwritable path is a CliError."""
    from rnn_tui.core.data import atomic_write_text

    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    check_out(out)
    try:
        atomic_write_text(out, text)
    except OSError as exc:
        raise CliError(f"{out}: cannot write ({exc.strerror or exc})") from None


def main(argv: Sequence[str]) -> int:
    args = parser().parse_args(list(argv))
    fmt = choose_format(args.format, args.out)
    check_out(args.out)
    model = build_model(args)

    from rnn_tui.core.model import OverflowedError
    from rnn_tui.export.trace import TraceError, build_trace, render

    try:  # too big, or numbers that overflowed: a one-line error, nothing written
        trace = build_trace(model.dataset, model.weights, model.activation)
        text = render(trace, fmt, args.precision)
    except (TraceError, OverflowedError) as exc:
        raise CliError(str(exc)) from None
    write(text, args.out)
    return 0
