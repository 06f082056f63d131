"""``rnn-tui web``: the stepper for students with only a browser.

Every browser tab that logs in gets its own stepper process, as an SSH
student does with ``rnn-tui serve`` (same session command, environment,
limits). The page and everything it loads come from this server (no
internet needed). ``rnn-tui serve --web-port N`` opens the same door beside
the SSH one, in the same class.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from rnn_tui.cli.main import PROG, CliError, Parser, add_model_options, bounded_int, build_model
from rnn_tui.cli.serve import (
    app_options,
    host_arg,
    listen_options,
    read_password_file,
    setup_logging,
)

DEFAULT_PORT = 8000


def parser() -> Parser:
    p = Parser(
        prog=f"{PROG} web",
        description="Host the stepper for a class in the browser: every student who "
        "opens the page and logs in gets their own stepper.",
        epilog="Students open http://HOST:PORT/ in a browser.",
    )
    net = listen_options(p, DEFAULT_PORT)
    net.add_argument("--allow-host", action="append", type=host_arg, default=[], metavar="NAME",
                     help="a host name browsers may use, besides IP addresses and this "
                     "machine's own names (repeatable; others are refused)")
    auth = p.add_argument_group("log in (choose exactly one)")
    ex = auth.add_mutually_exclusive_group()
    ex.add_argument("--password-file", metavar="FILE",
                    help="the class password, on the first line of FILE")
    ex.add_argument("--no-auth", action="store_true",
                    help="let anyone who can reach the port in (only on a trusted network)")
    lim = p.add_argument_group("limits")
    lim.add_argument("--max-sessions", type=bounded_int(1, 1000), default=50, metavar="N",
                     help="students at once (default 50)")
    lim.add_argument("--idle-timeout", type=bounded_int(0, 7 * 24 * 3600), default=1800,
                     metavar="SECONDS",
                     help="close a session after this long without a key press "
                     "(default 1800; 0 = never)")
    add_model_options(p)
    display = p.add_argument_group("display (what every session starts with)")
    display.add_argument("--precision", type=bounded_int(0, 8), default=None, metavar="N",
                         help="decimals shown (default 3)")
    display.add_argument("--lang", choices=("en", "ko"), default=None,
                         help="language (default: each browser's language)")
    display.add_argument("--theme", choices=("default", "projector"), default=None,
                         help="colours (default: default)")
    return p


def build_config(args, command: list[str] | None = None):
    """Check every option (a CliError if one is wrong) and build a WebConfig."""
    from rnn_tui.serve.sshd import app_command
    from rnn_tui.serve.web import WebConfig

    if not args.password_file and not args.no_auth:
        raise CliError("choose how students log in: --password-file FILE or --no-auth")
    build_model(args)  # fail now, not in every student's session
    config = WebConfig(
        command=command or app_command(app_options(args)),
        host=args.host,
        port=args.port,
        max_sessions=args.max_sessions,
        idle_timeout=float(args.idle_timeout),
        lang=args.lang,
        allowed_hosts=tuple(args.allow_host),
    )
    if args.password_file:
        config.password = read_password_file(args.password_file)
    return config


def url_host(host: str) -> str:
    import socket

    return socket.gethostname() if host in ("0.0.0.0", "::", "") else host


def main(argv: Sequence[str]) -> int:
    args = parser().parse_args(argv)
    config = build_config(args)
    setup_logging()
    if config.password is None:
        print(f"{PROG} web: warning: --no-auth lets anyone who can reach "
              f"{config.host}:{config.port} use this server", file=sys.stderr, flush=True)

    def ready(door) -> None:
        how = "the class password" if config.password is not None else "no authentication"
        print(f"{PROG} web: listening on {config.host}:{door.port}, up to "
              f"{config.max_sessions} students, log in with {how}.\n"
              f"Students open:  http://{url_host(config.host)}:{door.port}/\n"
              "Stop with Ctrl-C.", flush=True)

    from rnn_tui.serve.web import run_web

    try:
        return asyncio.run(run_web(config, ready=ready))
    except OSError as exc:
        raise CliError(f"can't listen on {config.host}:{config.port}: "
                       f"{exc.strerror or exc}") from None
