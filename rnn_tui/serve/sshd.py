"""The SSH server behind ``rnn-tui serve``: one app process per session.

Each SSH connection may open one session. A session that asks for a pty and a
shell gets its own app process on its own pseudo-terminal (see
:mod:`rnn_tui.serve.ptyproc`), with a minimal environment, a private working
directory and resource limits; everything else (commands, sftp/scp,
forwarding, a session without a pty) is refused with a one-line message.

Limits keep one client from exhausting the machine (docs/ssh.md lists them):
sessions at once; one session per connection; connections still logging in or
not yet in a session, in all and per address, the oldest unauthenticated one
dropped first when full (as OpenSSH's MaxStartups); a login grace time; failed
logins per connection and per address, an address that keeps failing locked
out for a while (as OpenSSH's PerSourcePenalties); a few small environment
variables, only before the session starts; an idle timeout that only key
presses reset. Every per-address table is bounded.

With teachers (``--teacher-keys``, ``--teacher-password-file``) the server also
runs the class hub (:mod:`rnn_tui.serve.hub`): a teacher's login makes a
teacher's session; every session is admitted to the hub and told where it is
in its environment; student sessions run at a lower priority (a higher nice
value) than teachers', so a full class does not slow the leader down.
"""

from __future__ import annotations

import asyncio
import codecs
import hmac
import logging
import os
import re
import resource
import shutil
import site
import sys
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh

from rnn_tui.serve.hub import Hub
from rnn_tui.serve.ptyproc import PtyProcess, clamp_size
from rnn_tui.serve.results import Results
from rnn_tui.serve.warm import WarmProcess

log = logging.getLogger("rnn_tui.cli.serve")

_TERM_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
_COLORTERM_RE = re.compile(r"[A-Za-z0-9._+-]{1,32}")
#: A locale name such as ``ko_KR.UTF-8``, ``C.UTF-8`` or ``de_DE@euro``.
_LOCALE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,39}")
#: Environment variables a client may send (OpenSSH's AcceptEnv), at most
#: ``MAX_CLIENT_ENV`` of them, each value at most ``MAX_ENV_VALUE`` bytes.
ACCEPT_ENV = frozenset({"TERM", "COLORTERM", "LANG", "LC_ALL", "LC_CTYPE",
                        "LC_MESSAGES", "LC_NUMERIC", "LC_COLLATE", "LC_TIME",
                        "LC_MONETARY"})
MAX_CLIENT_ENV = 8
MAX_ENV_VALUE = 64
#: What a session process's PATH is (nothing of the teacher's).
SESSION_PATH = "/usr/local/bin:/usr/bin:/bin"
SESSION_PY = str(Path(__file__).parent.parent / "cli" / "session.py")
#: The client's receive window for a session: what it may send ahead of us.
SESSION_WINDOW = 256 * 1024

# Undo what a full-screen app may have left on the client's terminal when we
# end it ourselves: main screen, cursor shown, mouse off, attributes reset.
TERMINAL_RESET = (
    b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l\x1b[?2004l"
    b"\x1b[?1049l\x1b[?25h\x1b[0m\r\n"
)

MSG_NO_PTY = "This server runs the rnn-tui stepper, which needs a terminal: use ssh -t.\r\n"
MSG_NO_COMMANDS = ("This server runs only the rnn-tui stepper; commands are not allowed. "
                   "Connect without one (ssh -t -p PORT user@host).\r\n")
MSG_FULL = "Sorry, the class is full ({count}). Please try again in a little while.\r\n"
MSG_IDLE = "rnn-tui: session closed after {t} without a key press. Goodbye!\r\n"
MSG_SHUTDOWN = "rnn-tui: the class server is shutting down. Goodbye!\r\n"
MSG_START_FAILED = "rnn-tui: could not start the stepper; please tell your teacher.\r\n"


def full_message(n: int) -> str:
    """MSG_FULL for a class of ``n`` sessions, with the plural right ("1 session")."""
    return MSG_FULL.format(count=f"{n} session" if n == 1 else f"{n} sessions")


#: Bracketed-paste markers. Textual buffers a paste until its end marker, without a
#: limit, so a student could start one and never end it: the server takes the markers
#: out of what a client types, and a paste arrives as ordinary keys (which the app
#: bounds).
PASTE_MARKERS = ("\x1b[200~", "\x1b[201~")
#: How long a possible start of a marker at the end of a packet waits for the rest.
PASTE_HOLD = 0.03


class PasteFilter:
    """Takes bracketed-paste markers out of a stream of text, even split across packets."""

    def __init__(self) -> None:
        self.held = ""

    def feed(self, text: str) -> str:
        """What may go on now; a tail that could begin a marker is held back."""
        text = self.held + text
        self.held = ""
        for marker in PASTE_MARKERS:
            text = text.replace(marker, "")
        for n in range(min(len(text), len(PASTE_MARKERS[0]) - 1), 0, -1):
            tail = text[-n:]
            if any(m.startswith(tail) for m in PASTE_MARKERS):
                self.held, text = tail, text[:-n]
                break
        return text

    def flush(self) -> str:
        """The held tail, when nothing followed it in time (a lone Esc, say)."""
        held, self.held = self.held, ""
        return held


_KEY_LINE_RE = re.compile(
    r"(?:^|\s)((?:ssh|ecdsa|sk)-[A-Za-z0-9@.+-]+)\s+([A-Za-z0-9+/]+={0,3})(?:\s+(.*))?$")


def key_names(text: str) -> dict[bytes, str]:
    """Each key of an authorized_keys text (its public blob) and its comment,
    the name a login with it gets in the class roster."""
    import base64
    import binascii

    names: dict[bytes, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = _KEY_LINE_RE.search(line)
        if m is None:
            continue
        try:
            blob = base64.b64decode(m.group(2), validate=True)
        except (binascii.Error, ValueError):
            continue
        comment = (m.group(3) or "").strip()
        if comment:
            names.setdefault(blob, comment)
    return names


def app_command(app_options: Sequence[str]) -> list[str]:
    """The session command: this Python, isolated from the environment (``-I``),
    running rnn_tui/cli/session.py (which takes the working directory, then runs
    the app) with ``app_options``."""
    command = [sys.executable, "-I", "-B", "-X", "utf8", SESSION_PY]
    # A user-site install is not seen under -I (and HOME changes): name it.
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    if user_site and user_site in sys.path:
        command += ["--site", user_site]
    return [*command, "--", *app_options]


def session_env(term: str | None, client_env: Mapping[str, str] | None = None,
                home: str = "/nonexistent") -> dict[str, str]:
    """The whole environment of a session process: nothing of the server's.

    ``client_env`` is what the client sent (already filtered to ACCEPT_ENV);
    only sane values are kept."""
    client_env = client_env or {}
    env = {
        "PATH": SESSION_PATH,
        "HOME": home,
        "TMPDIR": home,
        "TERM": term if term and _TERM_RE.fullmatch(term) else "xterm-256color",
        "LANG": "C.UTF-8",
        "TEXTUAL_ANIMATIONS": "none",
        "RNN_TUI_SERVED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    colorterm = client_env.get("COLORTERM")
    if colorterm and _COLORTERM_RE.fullmatch(colorterm):
        env["COLORTERM"] = colorterm
    for name, value in client_env.items():
        if (name == "LANG" or name.startswith("LC_")) and name in ACCEPT_ENV \
                and _LOCALE_RE.fullmatch(value):
            env[name] = value
    return env


@dataclass
class SessionLimits:
    """Resource limits of every session process (None: leave as inherited)."""

    #: Address space, bytes. The app peaks at about 0.4 GB of virtual memory
    #: (VmPeak) and 60 MB resident (VmHWM), training included; see docs/ssh.md.
    address_space: int | None = 2 * 1024**3
    #: CPU seconds (SIGXCPU, then SIGKILL 5 s later).
    cpu_seconds: int | None = 3600
    open_files: int | None = 256
    file_size: int | None = 64 * 1024**2
    core: int | None = 0

    def rlimits(self) -> dict[int, tuple[int, int]]:
        out = {}
        for res, value, extra in ((resource.RLIMIT_AS, self.address_space, 0),
                                  (resource.RLIMIT_CPU, self.cpu_seconds, 5),
                                  (resource.RLIMIT_NOFILE, self.open_files, 0),
                                  (resource.RLIMIT_FSIZE, self.file_size, 0),
                                  (resource.RLIMIT_CORE, self.core, 0)):
            if value is not None:
                out[res] = (value, value + extra)
        return out


def printable(text: str, limit: int = 64) -> str:
    """Client text for the log: at most ``limit`` characters, control characters escaped."""
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" if ord(ch) < 256
                   else f"\\u{ord(ch):04x}" for ch in text[:limit])


def describe(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} seconds"


@dataclass
class ServeConfig:
    """What ``rnn-tui serve`` was asked to do. Times are in seconds."""

    host_keys: list  # asyncssh.SSHKey
    command: list[str]
    host: str = "127.0.0.1"
    port: int = 2222
    auth: str = "none"  # "keys" | "password" | "none"
    authorized_keys: asyncssh.SSHAuthorizedKeys | None = None
    password: bytes | None = None
    max_sessions: int = 50
    idle_timeout: float = 1800.0
    #: Time to log in, and then to start the session.
    login_timeout: float = 30.0
    #: Failed logins (passwords and public keys) on one connection before it is closed.
    max_auth_tries: int = 6
    #: Connections still logging in or not yet in a session, at once (default:
    #: max(20, max_sessions)); when full, the oldest is dropped (unauthenticated first).
    max_pending: int = 0
    #: Connections from one address that have been silent (no login begun) for
    #: ``silent_grace`` seconds: over this, its oldest silent one is dropped. Only
    #: silent ones count, so a class behind one NAT address can log in at once.
    max_pending_per_addr: int = 10
    silent_grace: float = 5.0
    #: Seconds between SIGHUP/SIGTERM and SIGKILL when ending a session process.
    kill_grace: float = 2.0
    #: Pause after each failed login.
    auth_fail_delay: float = 0.3
    #: Login attempts one address may make at once (a token bucket) ...
    auth_burst: int = 10
    #: ... refilled at this many a second (0.5: 30 a minute) ...
    auth_rate: float = 0.5
    #: ... and an address that empties it is refused for this long.
    auth_lockout: float = 60.0
    #: Addresses remembered (pending counts, login penalties): least recently seen forgotten.
    max_addresses: int = 4096
    #: Key-press bytes a session may send per second, on average over ``input_burst``.
    input_rate: int = 64 * 1024
    input_burst: int = 256 * 1024
    limits: SessionLimits = field(default_factory=SessionLimits)
    #: Where each session's private working directory is made (default: the temp dir).
    session_root: str | None = None
    #: Teachers: a login with one of these keys, or this password, is a teacher's.
    #: With either, the server runs the class hub (students follow the teacher).
    teacher_keys: asyncssh.SSHAuthorizedKeys | None = None
    teacher_password: bytes | None = None
    #: Names for logins with a key (teachers' and students'): key blob -> comment.
    key_names: dict = field(default_factory=dict)
    #: Added to the nice value of each student's session process, and of its
    #: scheduler group (0: none). At 15 forty students together weigh about as
    #: much as 1.4 teachers (Linux's weights: 36 each against 1024).
    student_nice: int = 15
    #: The leader's new state reaches the class once the leader's own screen is
    #: written, or after this many seconds (0: at once). See hub.py.
    leader_first: float = 0.025
    #: The class quiz (issue 18): a question closes after this many seconds (0: no
    #: limit); students see no names; the answers' CSV goes to this folder.
    quiz_seconds: float = 0.0
    anonymous: bool = False
    results_dir: str = "rnn-tui-results"
    #: A class bigger than one machine (issue 20): the class goes through this Redis
    #: (a broker.BrokerURL, never with the password) under this name.
    class_broker: Any = None
    class_name: str = ""
    class_broker_password: str | None = field(default=None, repr=False)

    @property
    def has_teachers(self) -> bool:
        return self.teacher_keys is not None or self.teacher_password is not None
    #: Fork sessions from a warm process (rnn_tui/serve/warm.py) when ``command``
    #: allows it; until it is up, or if it dies, sessions start the old way.
    warm: bool = False


@dataclass
class Stats:
    connections: int = 0
    sessions_started: int = 0
    refused_full: int = 0
    refused_busy: int = 0
    dropped_pending: int = 0
    refused_locked: int = 0
    auth_failures: int = 0
    #: Passwords and keys actually checked (not refused unchecked for a penalty).
    auth_checked: int = 0
    env_refused: int = 0
    ended: list[int] = field(default_factory=list)


class _Address:
    """What the server remembers about one client address."""

    __slots__ = ("pending", "tokens", "stamp", "locked_until")

    def __init__(self, burst: int, now: float) -> None:
        self.pending: list[_Connection] = []  # oldest first
        self.tokens = float(burst)
        self.stamp = now
        self.locked_until = 0.0


class _RateLimited:
    """Log each kind of line (its format) at most every ``every`` seconds,
    counting what was left out. The formats are this module's, so few."""

    def __init__(self, every: float = 10.0, level: int = logging.WARNING) -> None:
        self.every = every
        self.level = level
        self.last: dict[str, float] = {}
        self.skipped: dict[str, int] = {}

    def __call__(self, message: str, *args) -> None:
        now = time.monotonic()
        if now - self.last.get(message, -1e9) < self.every:
            self.skipped[message] = self.skipped.get(message, 0) + 1
            return
        skipped = self.skipped.pop(message, 0)
        more = f" (and {skipped} more like it)" if skipped else ""
        self.last[message] = now
        log.log(self.level, message + more, *args)


class ClassServer:
    """State shared by every connection: limits, live sessions, shutdown."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.connections: set[_Connection] = set()
        self.sessions: set[_Session] = set()
        #: Connections still logging in or not yet in a session, oldest first.
        self.pending_conns: OrderedDict[_Connection, None] = OrderedDict()
        self.addresses: OrderedDict[str, _Address] = OrderedDict()
        self.stats = Stats()
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self.closing = False
        self.max_pending = config.max_pending or max(20, config.max_sessions)
        self._log_accept_error = _RateLimited()
        #: Refusals a flood could repeat many times a second: a line every few seconds.
        self.log_refusal = _RateLimited(5.0)
        #: Connections that never log in: a flood of them is a few lines a second.
        self.log_anonymous = _RateLimited(0.5, logging.INFO)
        self._old_handler: (
            Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object] | None) = None
        self._loop: asyncio.AbstractEventLoop | None = None
        #: The class hub (only with teachers).
        self.hub: Hub | None = (Hub(log, leader_first=config.leader_first,
                                    quiz_seconds=config.quiz_seconds,
                                    anonymous=config.anonymous,
                                    results=Results(config.results_dir))
                                if config.has_teachers else None)
        self.bridge: Any = None  # serve --class-broker: the hub's link to other servers
        self.warm: WarmProcess | None = None
        #: Sessions through another door (serve --web-port's): counted against max_sessions.
        self.other_sessions: Callable[[], int] = lambda: 0

    @property
    def pending(self) -> int:
        return len(self.pending_conns)

    @property
    def port(self) -> int:
        assert self._acceptor is not None
        return self._acceptor.get_port()

    async def start(self) -> None:
        c = self.config
        options: dict = dict(
            server_host_keys=c.host_keys,
            line_editor=False,
            encoding=None,
            allow_pty=True,
            agent_forwarding=False,
            x11_forwarding=False,
            login_timeout=c.login_timeout,
            keepalive_interval=60,
            keepalive_count_max=3,
            # Without a login of their own, students get in by keyboard-interactive
            # with no prompt, once a teacher's key or password is not offered.
            kbdint_auth=c.auth == "none" and c.has_teachers,
            gss_host=None,
            host_based_auth=False,
        )
        # Public keys are checked by _Connection.validate_public_key (counted,
        # penalised and logged), not by asyncssh's authorized_client_keys.
        if self.hub is not None:
            await self.hub.start()
            if c.class_broker is not None:
                from rnn_tui.serve.broker import Bridge

                self.bridge = Bridge(self.hub, c.class_broker, c.class_name,
                                     c.class_broker_password, log)
                await self.bridge.start()
        self._loop = asyncio.get_running_loop()
        self._old_handler = self._loop.get_exception_handler()
        self._loop.set_exception_handler(self._loop_exception)
        self._acceptor = await asyncssh.create_server(
            lambda: _Connection(self), c.host, c.port, **options)
        if c.warm:
            self.warm = WarmProcess.for_command(c.command)
            if self.warm is not None:
                self.warm.start()

    def _loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict) -> None:
        """Out of file descriptors in the accept loop: one line, not a traceback per accept."""
        exc = context.get("exception")
        if "accept" in str(context.get("message", "")) and isinstance(exc, OSError):
            self._log_accept_error("can't accept connections: %s (asyncio retries in 1 s)",
                                   exc.strerror or exc)
            return
        if self._old_handler is not None:
            self._old_handler(loop, context)
        else:
            loop.default_exception_handler(context)

    # -- per-address state ---------------------------------------------------

    def address(self, ip: str) -> _Address:
        """The entry for ``ip``, made most recently used; the table stays bounded."""
        entry = self.addresses.get(ip)
        if entry is not None:
            self.addresses.move_to_end(ip)
            return entry
        entry = self.addresses[ip] = _Address(self.config.auth_burst, time.monotonic())
        if len(self.addresses) > self.config.max_addresses:
            # Forget the least recently seen address with nothing pending (at most
            # max_pending entries have something pending, so this ends soon).
            for old, state in self.addresses.items():
                if not state.pending and old != ip:
                    del self.addresses[old]
                    break
        return entry

    def locked(self, ip: str) -> float:
        """Seconds ``ip`` is still locked out for (0 if it is not)."""
        entry = self.addresses.get(ip)
        if entry is None:
            return 0.0
        return max(0.0, entry.locked_until - time.monotonic())

    def take_attempt(self, ip: str) -> bool:
        """May ``ip`` have one more login attempt checked now? (A token bucket.)"""
        c = self.config
        entry = self.address(ip)
        now = time.monotonic()
        if now < entry.locked_until:
            return False
        entry.tokens = min(float(c.auth_burst), entry.tokens + (now - entry.stamp) * c.auth_rate)
        entry.stamp = now
        if entry.tokens < 1.0:
            entry.locked_until = now + c.auth_lockout
            log.warning("locking out %s for %s: too many failed logins", ip,
                        describe(c.auth_lockout))
            return False
        entry.tokens -= 1.0
        return True

    def give_back_attempt(self, ip: str) -> None:
        """A successful login costs nothing."""
        entry = self.addresses.get(ip)
        if entry is not None:
            entry.tokens = min(float(self.config.auth_burst), entry.tokens + 1.0)

    # -- connections still logging in ----------------------------------------

    def add_pending(self, conn: _Connection) -> bool:
        """Count ``conn`` as pending. An address may keep ``max_pending_per_addr``
        silent connections (idle sockets: no login begun for ``silent_grace`` s);
        past that its oldest silent one goes. When all are full, the oldest silent
        one goes, else the oldest still logging in, else the oldest logged in
        without a session yet. False if none could go."""
        entry = self.address(conn.ip)
        now = time.monotonic()
        grace = self.config.silent_grace
        stale = [c for c in entry.pending if not c.spoke and now - c.since >= grace]
        if len(stale) >= self.config.max_pending_per_addr:
            self._drop(stale[0], f"from {conn.ip}")
        if len(self.pending_conns) >= self.max_pending:
            everyone = list(self.pending_conns)
            victim = (next((c for c in everyone if not c.spoke), None)
                      or next((c for c in everyone if not c.authenticated), None)
                      or (everyone[0] if everyone else None))
            if victim is None:
                return False
            self._drop(victim, "in all")
        entry.pending.append(conn)
        self.pending_conns[conn] = None
        return True

    def _drop(self, victim: _Connection, where: str) -> None:
        self.stats.dropped_pending += 1
        self.log_refusal("dropping %s: too many connections logging in %s", victim.peer, where)
        self.remove_pending(victim)
        victim.abort()

    def remove_pending(self, conn: _Connection) -> None:
        self.pending_conns.pop(conn, None)
        entry = self.addresses.get(conn.ip)
        if entry is not None and conn in entry.pending:
            entry.pending.remove(conn)

    async def close(self, message: str = MSG_SHUTDOWN) -> None:
        """Stop listening, end every session and its process, close connections."""
        self.closing = True
        if self._acceptor is not None:
            self._acceptor.close()
        for session in list(self.sessions):
            session.end(message)
        waits = [s.proc.wait() for s in list(self.sessions) if s.proc is not None]
        if waits:
            try:
                await asyncio.wait_for(asyncio.gather(*waits, return_exceptions=True),
                                       self.config.kill_grace + 5)
            except asyncio.TimeoutError:  # pragma: no cover - SIGKILL not obeyed
                log.error("%d session process(es) did not end", len(self.sessions))
        if self.warm is not None:
            await self.warm.close()
        if self.bridge is not None:
            await self.bridge.close()
        if self.hub is not None:
            await self.hub.close()
        for conn in list(self.connections):
            conn.close()
        if self._acceptor is not None:
            await self._acceptor.wait_closed()
        # Let the connections finish closing.
        for _ in range(50):
            if not self.connections:
                break
            await asyncio.sleep(0.02)
        if self._loop is not None:
            self._loop.set_exception_handler(self._old_handler)
            self._loop = None


class _Connection(asyncssh.SSHServer):
    """One client connection (asyncssh calls these methods)."""

    def __init__(self, server: ClassServer) -> None:
        self.server = server
        self.conn: asyncssh.SSHServerConnection | None = None
        self.ip = "?"
        self.peer = "?"
        self.username = ""
        self.authenticated = False
        self.spoke = False  # begun logging in (not an idle socket)
        self.since = time.monotonic()
        self.failures = 0
        self.session: _Session | None = None
        self._no_session_timer: asyncio.TimerHandle | None = None
        #: What the login that succeeds makes of this connection (each method
        #: sets them as it checks, so the last check before success decides).
        self.role = "student"
        self.name = ""

    # -- connection ----------------------------------------------------------

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        peer = conn.get_extra_info("peername") or ("?", 0)
        self.ip = str(peer[0])
        self.peer = f"{peer[0]}:{peer[1]}"
        srv = self.server
        srv.stats.connections += 1
        locked = srv.locked(self.ip)
        if srv.closing or locked:
            if locked:
                srv.stats.refused_locked += 1
                srv.log_refusal("refused %s: locked out for %.0fs more", self.peer, locked)
            self.abort()
            return
        if not srv.add_pending(self):
            srv.stats.refused_busy += 1
            srv.log_refusal("refused %s: too many connections logging in", self.peer)
            self.abort()
            return
        srv.connections.add(self)
        srv.log_anonymous("connect %s", self.peer)

    def connection_lost(self, exc: Exception | None) -> None:
        srv = self.server
        srv.remove_pending(self)
        if self._no_session_timer is not None:
            self._no_session_timer.cancel()
            self._no_session_timer = None
        if self in srv.connections:
            srv.connections.discard(self)
            reason = (f" ({printable(str(exc), 120)})"
                      if exc and not isinstance(exc, asyncssh.ConnectionLost) else "")
            if self.authenticated:
                log.info("disconnect %s %s%s", self.peer, self.username, reason)
            else:
                srv.log_anonymous("disconnect %s (not logged in)%s", self.peer, reason)
        if self.session is not None:
            self.session.client_gone()
        self.conn = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

    def abort(self) -> None:
        conn = self.conn
        if conn is not None:
            asyncio.get_running_loop().call_soon(conn.abort)

    def session_starting(self) -> None:
        """The session started (or was refused): no longer pending."""
        self.server.remove_pending(self)

    # -- authentication ------------------------------------------------------

    def begin_auth(self, username: str) -> bool:
        self.spoke = True  # a client, not an idle socket
        self.username = printable(username)
        self.name = username
        c = self.server.config
        return c.auth != "none" or c.has_teachers

    def password_auth_supported(self) -> bool:
        c = self.server.config
        return c.auth == "password" or c.teacher_password is not None

    def public_key_auth_supported(self) -> bool:
        c = self.server.config
        return c.auth == "keys" or c.teacher_keys is not None

    def kbdint_auth_supported(self) -> bool:
        c = self.server.config
        return c.auth == "none" and c.has_teachers

    def get_kbdint_challenge(self, username: str, lang: str, submethods: str) -> bool:
        """No login for students (``--no-auth`` with teachers): in, no prompt."""
        self._login_as("student", username)
        return self.kbdint_auth_supported()

    def _login_as(self, role: str, name: str) -> None:
        self.role, self.name = role, name

    async def _attempt(self, kind: str, check) -> bool:
        """One login attempt: counted per address (checked only if the address
        may try now) and per connection, failures logged and slowed down."""
        srv = self.server
        if self.conn is None or self.failures >= srv.config.max_auth_tries:
            return False
        allowed = srv.take_attempt(self.ip)
        ok = False
        if allowed:
            srv.stats.auth_checked += 1
            ok = check()
        if ok:
            srv.give_back_attempt(self.ip)
            return True
        srv.stats.auth_failures += 1
        self.failures += 1
        if allowed:
            log.info("login failed %s user=%s (%s)", self.peer, self.username, kind)
        else:
            srv.log_refusal("login refused %s user=%s: address locked out", self.peer,
                            self.username)
        await asyncio.sleep(srv.config.auth_fail_delay)
        if self.conn is not None and (self.failures >= srv.config.max_auth_tries
                                      or srv.locked(self.ip)):
            log.info("closing %s: too many failed logins", self.peer)
            self.conn.close()
        return False

    async def validate_password(self, username: str, password: str) -> bool:
        c = self.server.config
        given = password.encode("utf-8", "surrogateescape")

        def check() -> bool:
            # Both compared, always: the time does not say which one matched.
            teacher = c.teacher_password is not None and hmac.compare_digest(
                given, c.teacher_password)
            student = c.auth == "password" and hmac.compare_digest(given, c.password or b"")
            self._login_as("teacher" if teacher else "student", username)
            return teacher or student

        return await self._attempt("wrong password", check)

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        c = self.server.config
        name = c.key_names.get(key.public_data) or username
        teacher = c.teacher_keys is not None and \
            c.teacher_keys.validate(key, self.ip, self.ip) is not None
        if not teacher and c.auth != "keys":
            # A student's own key, where students need none: not a failed login
            # (a class behind one address would lock itself out).
            return False

        def check() -> bool:
            student = not teacher and c.authorized_keys is not None and \
                c.authorized_keys.validate(key, self.ip, self.ip) is not None
            self._login_as("teacher" if teacher else "student", name)
            return teacher or student

        return await self._attempt("unknown public key", check)

    def auth_completed(self) -> None:
        self.authenticated = True
        if not self.name:  # no login needed (--no-auth, no teachers)
            self.name = self.username
        if self.role == "teacher":
            log.info("login %s user=%s: teacher %s", self.peer, self.username,
                     printable(self.name))
        else:
            log.info("login %s user=%s", self.peer, self.username)
        # An authenticated connection must open its session promptly.
        loop = asyncio.get_running_loop()
        self._no_session_timer = loop.call_later(
            self.server.config.login_timeout, self._no_session)

    def _no_session(self) -> None:
        self._no_session_timer = None
        if self.conn is not None and (self.session is None or not self.session.started):
            log.info("closing %s: no session started", self.peer)
            self.conn.close()

    # -- channels ------------------------------------------------------------

    def session_requested(self):
        if self.session is not None or self.conn is None:
            raise asyncssh.ChannelOpenError(
                asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, "One session per connection")
        # Still pending (counted, timed) until the shell starts: _no_session_timer.
        self.session = _Session(self)
        chan = _SessionChannel(self.conn, asyncio.get_running_loop(), True, False, False, 0,
                               1024, None, "strict", SESSION_WINDOW, 32768)
        return chan, self.session

    def connection_requested(self, dest_host: str, dest_port: int,
                             orig_host: str, orig_port: int) -> bool:
        log.info("refused %s: port forwarding to %s:%s", self.peer, printable(dest_host),
                 dest_port)
        return False

    def server_requested(self, listen_host: str, listen_port: int) -> bool:
        log.info("refused %s: remote port forwarding", self.peer)
        return False

    def unix_connection_requested(self, dest_path: str) -> bool:
        log.info("refused %s: unix socket forwarding", self.peer)
        return False

    def unix_server_requested(self, listen_path: str) -> bool:
        log.info("refused %s: unix socket forwarding", self.peer)
        return False

    def tun_requested(self, unit: int | None) -> bool:
        return False

    def tap_requested(self, unit: int | None) -> bool:
        return False


class _SessionChannel(asyncssh.SSHServerChannel):
    """A session channel that keeps only the environment variables we use.

    asyncssh stores every ``env`` request, at any time, without a limit (and
    offers no option or public hook for it), so this overrides its handler:
    like OpenSSH's AcceptEnv, only ACCEPT_ENV names, at most MAX_CLIENT_ENV
    of them, values at most MAX_ENV_VALUE bytes, and only before the session
    starts. The rest is refused (and not stored)."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.accepted_env: dict[str, str] = {}
        self.env_closed = False
        self.on_env_refused: Callable[[], None] | None = None

    def _process_env_request(self, packet) -> bool:
        name_bytes = packet.get_string()
        value_bytes = packet.get_string()
        packet.check_end()
        try:
            name, value = name_bytes.decode("ascii"), value_bytes.decode("utf-8")
        except UnicodeDecodeError:
            name = value = ""
        ok = (not self.env_closed and name in ACCEPT_ENV and len(value_bytes) <= MAX_ENV_VALUE
              and (name in self.accepted_env or len(self.accepted_env) < MAX_CLIENT_ENV))
        if ok:
            self.accepted_env[name] = value
        elif self.on_env_refused is not None:
            self.on_env_refused()
        return ok

    def get_environment(self) -> Mapping[str, str]:
        return dict(self.accepted_env)

    def get_environment_bytes(self) -> Mapping[bytes, bytes]:
        return {k.encode(): v.encode() for k, v in self.accepted_env.items()}


class _Session(asyncssh.SSHServerSession):
    """One SSH session channel: refuse it, or bridge it to an app process."""

    def __init__(self, connection: _Connection) -> None:
        self.connection = connection
        self.server = connection.server
        self.chan: _SessionChannel | None = None
        self.term: str | None = None
        self.size = (80, 24, 0, 0)
        self.has_pty = False
        self.refusal: str | None = None
        self.proc: PtyProcess | None = None
        self.workdir: str | None = None
        self.started = False
        self.last_input = time.monotonic()
        self.started_at = 0.0
        self.class_token: str | None = None
        self._idle_timer: asyncio.TimerHandle | None = None
        self._end_message: str | None = None
        self._input_paused = False
        self._gone = False
        self._start_timer: asyncio.TimerHandle | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._paste = PasteFilter()
        self._paste_timer: asyncio.TimerHandle | None = None
        self._env_refused = 0
        self._tokens = float(self.server.config.input_burst)
        self._tokens_at = time.monotonic()
        self._resume_timer: asyncio.TimerHandle | None = None

    # -- requests before the session starts ----------------------------------

    def connection_made(self, chan: asyncssh.SSHServerChannel) -> None:
        assert isinstance(chan, _SessionChannel)
        self.chan = chan
        chan.on_env_refused = self.env_refused
        # A session channel must start its shell promptly too.
        self._start_timer = asyncio.get_running_loop().call_later(
            self.server.config.login_timeout, self._not_started)

    def _not_started(self) -> None:
        self._start_timer = None
        log.info("closing %s: session never started", self.connection.peer)
        self.connection.close()

    def env_refused(self) -> None:
        self.server.stats.env_refused += 1
        self._env_refused += 1
        if self._env_refused == 1:
            log.info("refused %s: environment variable(s) not accepted", self.connection.peer)

    def pty_requested(self, term_type: str, term_size, term_modes) -> bool:
        if self.started:
            return False
        self.has_pty = True
        self.term = term_type
        self.size = term_size
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        log.info("refused %s: command %r", self.connection.peer, command[:80])
        self.refusal = MSG_NO_COMMANDS
        return True

    def subsystem_requested(self, subsystem: str) -> bool:
        log.info("refused %s: subsystem %r", self.connection.peer, subsystem[:40])
        return False

    def break_received(self, msec: int) -> bool:
        return False

    def signal_received(self, signal: str) -> None:
        pass

    # -- start ---------------------------------------------------------------

    def session_started(self) -> None:
        if self._start_timer is not None:
            self._start_timer.cancel()
            self._start_timer = None
        self.started = True
        self.connection.session_starting()
        chan = self.chan
        assert chan is not None
        chan.env_closed = True
        srv = self.server
        if self.refusal is None and not self.has_pty:
            log.info("refused %s: no pty", self.connection.peer)
            self.refusal = MSG_NO_PTY
        if self.refusal is None and srv.closing:
            self.refusal = MSG_SHUTDOWN
        if self.refusal is None and \
                len(srv.sessions) + srv.other_sessions() >= srv.config.max_sessions:
            srv.stats.refused_full += 1
            log.info("refused %s: class is full (%d sessions)", self.connection.peer,
                     len(srv.sessions))
            self.refusal = full_message(srv.config.max_sessions)
        if self.refusal is not None:
            self._refuse(self.refusal)
            return
        cols, rows, pw, ph = self.size
        try:
            self.workdir = tempfile.mkdtemp(prefix="rnn-tui-session-",
                                            dir=srv.config.session_root)
            env = session_env(self.term, chan.accepted_env, self.workdir)
            env.update(self._join_class())
            self.proc = PtyProcess(
                srv.config.command, env,
                cols=clamp_size(cols, 80), rows=clamp_size(rows, 24),
                on_output=self._output, on_exit=self._process_exited,
                on_input_drained=self._input_drained,
                rlimits=srv.config.limits.rlimits(),
                warm=srv.warm,
            )
            self.proc.start()
        except OSError as exc:
            log.error("could not start session process: %s", exc)
            self.proc = None
            self._remove_workdir()
            self._leave_class()
            self._refuse(MSG_START_FAILED)
            return
        self._lower_priority()
        srv.sessions.add(self)
        srv.stats.sessions_started += 1
        self.started_at = time.monotonic()
        log.info("session start %s user=%s pid=%d term=%s size=%dx%d (%d active)",
                 self.connection.peer, self.connection.username, self.proc.pid,
                 env["TERM"], self.proc.cols, self.proc.rows, len(srv.sessions))
        if srv.config.idle_timeout > 0:
            self.last_input = time.monotonic()
            self._idle_timer = asyncio.get_running_loop().call_later(
                srv.config.idle_timeout, self._check_idle)

    def _join_class(self) -> dict[str, str]:
        """Admit this session to the class hub: what its environment says of it."""
        hub = self.server.hub
        if hub is None:
            return {}
        from rnn_tui.teach.classroom import ENV_SOCKET, ENV_TOKEN

        conn = self.connection
        try:
            self.class_token = hub.admit(conn.name or conn.username, conn.role)
        except RuntimeError as exc:  # pragma: no cover - more than the server allows
            log.error("%s: not in the class: %s", conn.peer, exc)
            return {}
        return {ENV_SOCKET: hub.path, ENV_TOKEN: self.class_token}

    def _leave_class(self) -> None:
        hub, token = self.server.hub, self.class_token
        self.class_token = None
        if hub is not None and token is not None:
            hub.forget(token)

    def _lower_priority(self, tries: int = 50) -> None:
        """A student's process yields the CPU to the teachers' and the server's.

        In a class and without one: with no teacher, sessions still run nicer
        than the server, so that logins (the server's SSH work) are not kept
        waiting by sessions drawing their first frames (40 logins at once: the
        last first frame 1.2–1.6 s with sessions at the server's priority,
        0.6–0.9 s nicer).

        Its nice value goes up by ``student_nice``; and where the kernel groups
        each session's processes for the scheduler (Linux's autogroup: every
        session process calls setsid), where a process's nice counts only
        within its group, so does its group's: else 40 students would each
        weigh as much as the teacher. The group is only written once the
        process leads its own session (a forked one may not yet have)."""
        nice = self.server.config.student_nice
        proc = self.proc
        if self.connection.role != "student" or nice <= 0 \
                or proc is None or proc.pid is None or not proc.running:
            return
        pid = proc.pid
        if tries == 50:
            try:
                os.setpriority(os.PRIO_PROCESS, pid,
                               min(19, os.getpriority(os.PRIO_PROCESS, 0) + nice))
            except OSError:  # it already ended, or we may not
                pass
        try:
            with open(f"/proc/{pid}/stat") as f:
                session = int(f.read().rsplit(")", 1)[1].split()[3])
        except (OSError, ValueError, IndexError):
            return  # not Linux, or it ended
        if session != pid:  # not yet its own session: its group is not its own yet
            if tries > 0:
                asyncio.get_running_loop().call_later(0.02, self._lower_priority, tries - 1)
            return
        try:
            with open(f"/proc/{pid}/autogroup", "w") as f:
                f.write(str(min(19, nice)))
        except OSError:  # no autogroups here
            pass

    def _refuse(self, message: str) -> None:
        assert self.chan is not None
        try:
            self.chan.write_stderr(message.encode())
            self.chan.exit(1)
        except OSError:
            pass

    def _remove_workdir(self) -> None:
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    # -- data both ways ------------------------------------------------------

    def _output(self, data: bytes) -> None:
        if self.chan is not None and not self._gone:
            try:
                self.chan.write(data)
            except OSError:
                pass
        if self.class_token is not None and self.server.hub is not None:
            self.server.hub.wrote(self.class_token)  # the leader's screen went out first

    def pause_writing(self) -> None:
        if self.proc is not None:
            self.proc.pause_output()

    def resume_writing(self) -> None:
        if self.proc is not None:
            self.proc.resume_output()

    def data_received(self, data: bytes, datatype) -> None:
        if self.proc is None or not self.proc.running:
            return
        self.last_input = time.monotonic()
        # Only valid UTF-8 reaches the app: a stray byte (an EUC-KR terminal,
        # 0xFF) becomes U+FFFD; a character split across packets is kept whole.
        text = self._paste.feed(self._decoder.decode(data))
        if text:
            self.proc.write(text.encode("utf-8"))
        if self._paste.held and self._paste_timer is None:
            self._paste_timer = asyncio.get_running_loop().call_later(
                PASTE_HOLD, self._flush_held)
        self._limit_input(len(data))

    def _flush_held(self) -> None:
        self._paste_timer = None
        held = self._paste.flush()
        if held and self.proc is not None and self.proc.running:
            self.proc.write(held.encode("utf-8"))

    def _limit_input(self, n: int) -> None:
        """Backpressure: stop reading the client while the app is behind, or while
        it sends faster than ``input_rate`` (a token bucket of ``input_burst``)."""
        c = self.server.config
        now = time.monotonic()
        self._tokens = min(float(c.input_burst),
                           self._tokens + (now - self._tokens_at) * c.input_rate) - n
        self._tokens_at = now
        if self.chan is None or self._input_paused:
            return
        if self.proc is not None and self.proc.input_backlog > 64 * 1024:
            self._input_paused = True
            self.chan.pause_reading()
        elif self._tokens < 0:
            self._input_paused = True
            self.chan.pause_reading()
            self._resume_timer = asyncio.get_running_loop().call_later(
                -self._tokens / c.input_rate, self._rate_resume)

    def _rate_resume(self) -> None:
        self._resume_timer = None
        self._input_drained()

    def _input_drained(self) -> None:
        if self._resume_timer is not None:
            return  # over the rate: the timer resumes
        if self.proc is not None and self.proc.input_backlog > 64 * 1024:
            return
        if self._input_paused and self.chan is not None:
            self._input_paused = False
            self.chan.resume_reading()

    def terminal_size_changed(self, width: int, height: int,
                              pixwidth: int, pixheight: int) -> None:
        # Not activity: only key presses reset the idle clock.
        self.size = (width, height, pixwidth, pixheight)
        if self.proc is not None and self.proc.running:
            self.proc.resize(width, height, pixwidth, pixheight)

    def eof_received(self) -> bool:
        return True  # keep the session open (a terminal app reads until hangup)

    # -- end -----------------------------------------------------------------

    def _check_idle(self) -> None:
        self._idle_timer = None
        timeout = self.server.config.idle_timeout
        last = self.last_input
        hub = self.server.hub
        if hub is not None and self.class_token is not None:
            # A student who follows is watching: not idle while the leader is active.
            last = max(last, hub.watching(self.class_token) or last)
        left = last + timeout - time.monotonic()
        if left > 0.01:
            self._idle_timer = asyncio.get_running_loop().call_later(left, self._check_idle)
            return
        log.info("idle %s user=%s: closing after %s", self.connection.peer,
                 self.connection.username, describe(timeout))
        self.end(MSG_IDLE.format(t=describe(timeout)))

    def end(self, message: str) -> None:
        """End the session from the server side, telling the client why."""
        if self.proc is not None and self.proc.running:
            self._end_message = message
            self.proc.terminate(self.server.config.kill_grace)

    def client_gone(self) -> None:
        self._gone = True
        for timer in (self._start_timer, self._resume_timer, self._paste_timer):
            if timer is not None:
                timer.cancel()
        self._start_timer = self._resume_timer = self._paste_timer = None
        if self.proc is not None and self.proc.running:
            self.proc.terminate(self.server.config.kill_grace)

    def connection_lost(self, exc: Exception | None) -> None:
        self.client_gone()
        # One session per connection: when it ends, so does the connection.
        self.connection.close()

    def _process_exited(self, code: int) -> None:
        srv = self.server
        srv.sessions.discard(self)
        srv.stats.ended.append(code)
        self._remove_workdir()
        self._leave_class()
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        duration = time.monotonic() - self.started_at
        log.info("session end %s user=%s pid=%s status=%d after %.0fs (%d active)",
                 self.connection.peer, self.connection.username,
                 self.proc.pid if self.proc else "?", code, duration, len(srv.sessions))
        if self._gone or self.chan is None:
            return
        try:
            if self._end_message is not None:
                self.chan.write(TERMINAL_RESET + self._end_message.encode())
            self.chan.exit(code)
        except OSError:
            pass
