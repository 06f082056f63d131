"""``rnn-tui serve``: host the stepper for a class over SSH.

Every student who connects (``ssh -p 2222 student@host``) gets their own
stepper process on their own terminal. Exactly one way to log in must be
chosen: an authorized_keys file, a password file, or ``--no-auth``.
``--teacher-keys`` (and/or ``--teacher-password-file``) make the logins that
use them teachers': the class then follows the teacher (README, "Leading a
class").
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from rnn_tui.cli.main import PROG, CliError, Parser, add_model_options, bounded_int, build_model

DEFAULT_PORT = 2222


def default_host_key_path(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/rnn-tui/host_key`` (or under ``~/.config``)."""
    environ = os.environ if env is None else env
    base = environ.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".config"
    return root / "rnn-tui" / "host_key"


def load_or_create_host_key(path: Path):
    """The server's ed25519 host key: read it, or generate it (mode 0600, atomically).

    Returns ``(key, created)``.
    """
    import asyncssh

    if path.exists():
        try:
            if path.stat().st_mode & 0o077:
                print(f"{PROG} serve: warning: host key {path} can be read by other users "
                      f"(chmod 600 it)", file=sys.stderr)
            return asyncssh.read_private_key(str(path)), False
        except (OSError, ValueError, asyncssh.KeyImportError) as exc:
            raise CliError(f"can't read host key {path}: {exc}") from None
    key = asyncssh.generate_private_key("ssh-ed25519", comment=f"rnn-tui@{socket.gethostname()}")
    data = key.export_private_key("openssh")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".host_key.", dir=path.parent)  # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o600)
            # Never replace a key another server wrote meanwhile: link, don't rename.
            try:
                os.link(tmp, path)
            except FileExistsError:
                return asyncssh.read_private_key(str(path)), False
        finally:
            os.unlink(tmp)
    except OSError as exc:
        raise CliError(f"can't write host key {path}: {exc.strerror or exc}") from None
    return key, True


def read_password_file(path: str) -> bytes:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CliError(f"can't read password file {path}: {exc.strerror or exc}") from None
    lines = data.splitlines()
    password = lines[0] if lines else b""
    if not password:
        raise CliError(f"password file {path} is empty (the password is its first line)")
    return password


def read_authorized_keys(path: str, what: str = "authorized keys"):
    """The keys of an authorized_keys file, and their comments (the names
    logins with them get): ``(keys, {key blob: comment})``."""
    import asyncssh

    from rnn_tui.serve.sshd import key_names

    try:
        text = Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"can't read {what} {path}: {exc}") from None
    if not any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines()):
        raise CliError(f"{what} file {path} has no keys")
    try:
        return asyncssh.import_authorized_keys(text), key_names(text)
    except (ValueError, asyncssh.KeyImportError) as exc:
        raise CliError(f"bad {what} file {path}: {exc}") from None


def port_int(text: str) -> int:
    return bounded_int(0, 65535)(text)


def listen_options(p: Parser, default_port: int):
    """The "server" group with --host and --port (serve's and web's); returns it."""
    net = p.add_argument_group("server")
    net.add_argument("--host", default="127.0.0.1",
                     help="address to listen on (default 127.0.0.1; 0.0.0.0 for a class)")
    net.add_argument("--port", type=port_int, default=default_port,
                     help=f"port to listen on (default {default_port})")
    return net


def parser() -> Parser:
    p = Parser(
        prog=f"{PROG} serve",
        description="Host the stepper for a class over SSH: every student who connects "
        "gets their own stepper.",
        epilog="Students connect with: ssh -p PORT student@HOST (any user name).",
    )
    net = listen_options(p, DEFAULT_PORT)
    net.add_argument("--web-port", type=port_int, default=None, metavar="PORT",
                     help="also let students in with a browser, on this port (the same "
                     "class; with --password-file or --no-auth)")
    net.add_argument("--allow-host", action="append", type=host_arg, default=[], metavar="NAME",
                     help="a host name browsers may use for the web door, besides IP addresses "
                     "and this machine's own names (repeatable; others are refused)")
    net.add_argument("--host-key", metavar="PATH",
                     help="ed25519 host key, created if missing "
                     f"(default {default_host_key_path()})")
    auth = p.add_argument_group("log in (choose exactly one)")
    ex = auth.add_mutually_exclusive_group()
    ex.add_argument("--authorized-keys", metavar="FILE",
                    help="accept the public keys in this authorized_keys file")
    ex.add_argument("--password-file", metavar="FILE",
                    help="accept the password on the first line of FILE")
    ex.add_argument("--no-auth", action="store_true",
                    help="let anyone who can reach the port in (only on a trusted network)")
    teach = p.add_argument_group(
        "teachers (optional: the class then follows the teacher who leads)")
    teach.add_argument("--teacher-keys", metavar="FILE",
                       help="a login with a public key in this authorized_keys file is a "
                       "teacher (the key's comment is the name shown)")
    teach.add_argument("--teacher-password-file", metavar="FILE",
                       help="a login with the password on the first line of FILE is a teacher")
    teach.add_argument("--student-nice", type=bounded_int(0, 19), default=15, metavar="N",
                       help="students' sessions run this much nicer than the teachers' "
                       "and the server's, so the teacher's screen and new logins stay "
                       "quick (default 15; 0 = the same)")
    teach.add_argument("--quiz-seconds", type=bounded_int(0, 3600), default=0,
                       metavar="N", help="a question asked of the class closes after N "
                       "seconds (default 0: when all have answered or the teacher reveals)")
    teach.add_argument("--anonymous", action="store_true",
                       help="students see no names (the quiz's top five is the teacher's)")
    teach.add_argument("--results", metavar="DIR", default=None,
                       help="the class quiz's answers go to a CSV file in DIR (default: "
                       "./rnn-tui-results)")
    broker = p.add_argument_group(
        "a class bigger than one machine (optional: servers share one class through Redis)")
    broker.add_argument("--class-broker", metavar="redis://HOST:PORT/DB", default=None,
                        help="share the class with the other servers that use this Redis and "
                        "--class-name (no password in the URL: see the next option)")
    broker.add_argument("--class-name", metavar="NAME", default=None,
                        help="the class's name in Redis (letters, digits, . _ -)")
    broker.add_argument("--class-broker-password-file", metavar="FILE", default=None,
                        help="Redis's password on the first line of FILE (else from "
                        "REDIS_PASSWORD in the environment, if set)")
    lim = p.add_argument_group("limits")
    lim.add_argument("--max-sessions", type=bounded_int(1, 1000), default=50, metavar="N",
                     help="students at once (default 50)")
    lim.add_argument("--idle-timeout", type=bounded_int(0, 7 * 24 * 3600), default=1800,
                     metavar="SECONDS",
                     help="close a session after this long without a key press "
                     "(default 1800; 0 = never)")
    lim.add_argument("--no-warm", action="store_true",
                     help="start every session as a new process, not forked from a warm "
                     "one (slower to start, more memory; for comparison)")
    add_model_options(p)
    display = p.add_argument_group("display (what every session starts with)")
    display.add_argument("--precision", type=bounded_int(0, 8), default=None, metavar="N",
                         help="decimals shown (default 3)")
    display.add_argument("--lang", choices=("en", "ko"), default=None,
                         help="language (default: each student's own locale)")
    display.add_argument("--theme", choices=("default", "projector"), default=None,
                         help="colours (default: default)")
    return p


def app_options(args) -> list[str]:
    """The app options to pass on to every session's ``python -m rnn_tui``."""
    out: list[str] = []
    for name in ("data", "weights"):
        value = getattr(args, name)
        if value is not None:
            preset = name == "weights" and not os.path.exists(value) and value.startswith(
                "trained")  # a built-in preset's name (trained, trained-gru, ...)
            out += [f"--{name}", value if preset else os.path.abspath(value)]
    for name in ("hidden", "seed", "bias", "precision", "lang", "theme", "cell"):
        value = getattr(args, name, None)
        if value is not None:
            out += [f"--{name}", str(value)]
    if getattr(args, "activation", "tanh") != "tanh":  # the app's default
        out += ["--activation", args.activation]
    return out


def build_config(args, command: list[str] | None = None):
    """Check every option (a CliError if one is wrong) and build a ServeConfig."""
    from rnn_tui.serve.sshd import ServeConfig, app_command

    chosen = [bool(args.authorized_keys), bool(args.password_file), args.no_auth]
    if sum(chosen) != 1:
        raise CliError("choose how students log in: --authorized-keys FILE, "
                       "--password-file FILE or --no-auth")
    # Fail now, not in every student's session, if the model options are wrong.
    build_model(args)
    opts = app_options(args)
    config = ServeConfig(
        host_keys=[],
        command=command or app_command(opts),
        host=args.host,
        port=args.port,
        max_sessions=args.max_sessions,
        idle_timeout=float(args.idle_timeout),
        warm=not args.no_warm,
    )
    if args.authorized_keys:
        config.auth = "keys"
        config.authorized_keys, names = read_authorized_keys(args.authorized_keys)
        config.key_names.update(names)
    elif args.password_file:
        config.auth = "password"
        config.password = read_password_file(args.password_file)
    else:
        config.auth = "none"
    if args.teacher_keys:
        config.teacher_keys, names = read_authorized_keys(args.teacher_keys, "teacher keys")
        config.key_names.update(names)  # a teacher's comment names the key
    config.student_nice = args.student_nice
    config.quiz_seconds = float(args.quiz_seconds)
    config.anonymous = args.anonymous
    config.results_dir = str(Path(args.results or "rnn-tui-results").expanduser().absolute())
    if getattr(args, "web_port", None) is not None and config.auth == "keys":
        raise CliError("--web-port needs --password-file or --no-auth "
                       "(a browser has no SSH key)")
    if args.teacher_password_file:
        config.teacher_password = read_password_file(args.teacher_password_file)
        if config.teacher_password == config.password:
            raise CliError("the teacher password must not be the class password")
    broker_options(args, config)
    return config


def broker_options(args, config) -> None:
    """--class-broker, --class-name, --class-broker-password-file (issue 20)."""
    from rnn_tui.serve import broker

    url, name = getattr(args, "class_broker", None), getattr(args, "class_name", None)
    pw_file = getattr(args, "class_broker_password_file", None)
    if url is None:
        if name is not None or pw_file is not None:
            raise CliError("--class-name and --class-broker-password-file go with "
                           "--class-broker redis://HOST:PORT/DB")
        return
    if not config.has_teachers:
        raise CliError("--class-broker needs --teacher-keys or --teacher-password-file "
                       "(start every server of the class the same way)")
    if name is None:
        raise CliError("--class-broker needs --class-name NAME (the same on every server)")
    try:
        config.class_broker = broker.parse_url(url)
        config.class_name = broker.check_name(name)
        config.class_broker_password = broker.read_password(pw_file)
    except broker.BrokerError as exc:
        raise CliError(str(exc)) from None


def fingerprint(key) -> str:
    return key.get_fingerprint("sha256")


def host_arg(text: str) -> str:
    """An --allow-host name: a DNS name of at most 253 letters, digits, - and ."""
    import argparse

    name = text.strip().lower().rstrip(".")
    if not (0 < len(name) <= 253 and all(c.isascii() and (c.isalnum() or c in "-.")
                                          for c in name)):
        raise argparse.ArgumentTypeError(f"{text[:80]!r} is not a host name")
    return name


def _option(command: list[str], name: str) -> str | None:
    """The value of ``name`` among a session command's app options, if given."""
    return command[command.index(name) + 1] if name in command[:-1] else None


def web_door(config, server, port: int, allow_hosts: Sequence[str] = ()):
    """The web door beside the SSH one (``--web-port``): the same class, limits and
    session command; browser students are students of the hub, if one runs."""
    from rnn_tui.serve.web import WebConfig, WebDoor

    web = WebConfig(command=config.command, host=config.host, port=port,
                    password=config.password if config.auth == "password" else None,
                    max_sessions=config.max_sessions, idle_timeout=config.idle_timeout,
                    ask_name=server.hub is not None, limits=config.limits,
                    session_root=config.session_root, student_nice=config.student_nice,
                    lang=_option(config.command, "--lang"),
                    allowed_hosts=tuple(allow_hosts))
    door = WebDoor(web, hub=server.hub, others=lambda: len(server.sessions))
    server.other_sessions = lambda: len(door.sessions)
    return door


async def serve(config, *, ready=None, web_port: int | None = None,
                allow_hosts: Sequence[str] = ()) -> int:
    """Run the server until SIGINT/SIGTERM; end every session; return 0."""
    from rnn_tui.serve.sshd import ClassServer

    server = ClassServer(config)
    door = None
    try:
        await server.start()
        if web_port is not None:
            door = web_door(config, server, web_port, allow_hosts)
            try:
                await door.start()
            except OSError as exc:
                await server.close()
                raise CliError(f"can't listen on {config.host}:{web_port}: "
                               f"{exc.strerror or exc}") from None
    except OSError as exc:
        raise CliError(f"can't listen on {config.host}:{config.port}: "
                       f"{exc.strerror or exc}") from None
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log = logging.getLogger("rnn_tui.cli.serve")
    log.info("listening on %s:%d", config.host, server.port)
    if ready is not None and door is not None:
        ready(server, door)
    elif ready is not None:
        ready(server)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    log.info("shutting down: ending %d session(s)", len(server.sessions))
    if door is not None:
        await door.close()
    await server.close()
    log.info("stopped")
    return 0


def raise_open_files_limit(config, limits=None) -> str | None:
    """Let the server hold every connection and session it allows: raise its soft
    limit on open files (each session needs about 3: socket, pty, pidfd) up to the
    hard limit. A warning if even that is too low."""
    import resource

    needed = 4 * config.max_sessions + 2 * max(config.max_pending, 20,
                                                config.max_sessions) + 64
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE) if limits is None else limits
    if soft != resource.RLIM_INFINITY and soft < needed:
        new = needed if hard == resource.RLIM_INFINITY else min(hard, needed)
        if new > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
            soft = new
    if soft != resource.RLIM_INFINITY and soft < needed:
        return (f"{PROG} serve: warning: only {soft} open files allowed (ulimit -n), "
                f"{needed} wanted for {config.max_sessions} students; "
                "some connections may be refused")
    return None


def setup_logging() -> None:
    import asyncssh

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    log = logging.getLogger("rnn_tui.cli.serve")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    asyncssh.set_log_level(logging.WARNING)
    logging.getLogger("asyncssh").addHandler(handler)
    logging.getLogger("asyncssh").propagate = False


def banner(config, key_path: Path, key, created: bool, port: int) -> str:
    how = {"keys": "public keys from the authorized keys file",
           "password": "the class password",
           "none": "no authentication"}[config.auth]
    host = config.host
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    lines = [
        f"{PROG} serve: listening on {host}:{port}, up to {config.max_sessions} students, "
        f"log in with {how}.",
        f"Host key {key_path}{' (new)' if created else ''}",
        f"  fingerprint {fingerprint(key)}",
        f"Students connect with:  ssh -p {port} student@{shown}",
    ]
    if config.teacher_keys is not None:
        lines.append(f"Teachers connect with:  ssh -p {port} -i YOUR_KEY teacher@{shown}")
    if config.teacher_password is not None:
        extra = "" if config.auth == "password" else "-o PreferredAuthentications=password "
        lines.append(f"Teachers connect with:  ssh -p {port} {extra}teacher@{shown} "
                     "(the teacher password)")
    if config.has_teachers:
        lines.append(f"Class quiz results (CSV) go to:  {config.results_dir}")
    if getattr(config, "class_broker", None) is not None:
        lines.append(f"Class {config.class_name} shared through {config.class_broker} "
                     "(the leader's server writes the quiz results)")
    lines.append("Stop with Ctrl-C.")
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    args = parser().parse_args(argv)
    config = build_config(args)
    key_path = Path(args.host_key).expanduser() if args.host_key else default_host_key_path()
    key, created = load_or_create_host_key(key_path)
    config.host_keys = [key]
    setup_logging()
    warning = raise_open_files_limit(config)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    if config.auth == "none":
        print(f"{PROG} serve: warning: --no-auth lets anyone who can reach "
              f"{config.host}:{config.port} use this server", file=sys.stderr, flush=True)

    def ready(server, door=None) -> None:
        text = banner(config, key_path, key, created, server.port)
        if door is not None:
            host = config.host
            shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
            text = text.replace("Stop with Ctrl-C.",
                                f"Browsers open:  http://{shown}:{door.port}/\nStop with Ctrl-C.")
        print(text, flush=True)

    return asyncio.run(serve(config, ready=ready, web_port=args.web_port,
                             allow_hosts=args.allow_host))
