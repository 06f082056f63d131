"""The SSH server behind ``rnn-tui serve``: one app process per session.

Each SSH connection may open one session. A session that asks for a pty and a
shell gets its own app process on its own pseudo-terminal (see
:mod:`rnn_tui.ptyproc`); everything else (commands, sftp/scp, forwarding, a
session without a pty) is refused with a one-line message. Limits keep one
client from exhausting the machine: sessions at once, one session per
connection, a login grace time, a cap on connections still logging in, and an
idle timeout.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncssh

from rnn_tui.ptyproc import PtyProcess, clamp_size

log = logging.getLogger("rnn_tui.serve")

#: Environment variables of the server never passed to a session.
_DROP_ENV = {"TERM", "COLORTERM", "COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "DISPLAY",
             "WAYLAND_DISPLAY", "STY", "WINDOWID", "VTE_VERSION", "RNN_TUI_SERVED"}
_DROP_PREFIXES = ("SSH_", "TMUX", "TERM_", "TEXTUAL", "KITTY_", "WT_", "ITERM", "KONSOLE_")
_TERM_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
_COLORTERM_RE = re.compile(r"[A-Za-z0-9._+-]{1,32}")

# Undo what a full-screen app may have left on the client's terminal when we
# end it ourselves: main screen, cursor shown, mouse off, attributes reset.
TERMINAL_RESET = (
    b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l\x1b[?2004l"
    b"\x1b[?1049l\x1b[?25h\x1b[0m\r\n"
)

MSG_NO_PTY = "This server runs the rnn-tui stepper, which needs a terminal: use ssh -t.\r\n"
MSG_NO_COMMANDS = ("This server runs only the rnn-tui stepper; commands are not allowed. "
                   "Connect without one (ssh -t -p PORT user@host).\r\n")
MSG_FULL = "Sorry, the class is full ({n} sessions). Please try again in a little while.\r\n"
MSG_IDLE = "rnn-tui: session closed after {t} without a key press. Goodbye!\r\n"
MSG_SHUTDOWN = "rnn-tui: the class server is shutting down. Goodbye!\r\n"
MSG_START_FAILED = "rnn-tui: could not start the stepper; please tell your teacher.\r\n"


def app_command(app_options: Sequence[str]) -> list[str]:
    """The session command: this Python running ``python -m rnn_tui [app options]``."""
    return [sys.executable, "-m", "rnn_tui", *app_options]


def session_env(term: str | None, colorterm: str | None,
                base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a session process."""
    base = dict(os.environ if base is None else base)
    env = {k: v for k, v in base.items()
           if k not in _DROP_ENV and not k.startswith(_DROP_PREFIXES)}
    env["TERM"] = term if term and _TERM_RE.fullmatch(term) else "xterm-256color"
    if colorterm and _COLORTERM_RE.fullmatch(colorterm):
        env["COLORTERM"] = colorterm
    env["TEXTUAL_ANIMATIONS"] = "none"
    env["RNN_TUI_SERVED"] = "1"
    return env


def describe(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} seconds"


@dataclass
class ServeConfig:
    """What ``rnn-tui serve`` was asked to do."""

    host_keys: list  # asyncssh.SSHKey
    command: list[str]
    host: str = "127.0.0.1"
    port: int = 2222
    auth: str = "none"  # "keys" | "password" | "none"
    authorized_keys: object | None = None  # asyncssh.SSHAuthorizedKeys
    password: bytes | None = None
    max_sessions: int = 50
    idle_timeout: float = 1800.0
    login_timeout: float = 30.0
    max_auth_tries: int = 6
    #: Connections still logging in or not yet in a session, at once (default:
    #: max(20, max_sessions)).
    max_pending: int = 0
    #: Seconds between SIGHUP/SIGTERM and SIGKILL when ending a session process.
    kill_grace: float = 2.0
    auth_fail_delay: float = 0.3
    base_env: dict[str, str] | None = None


@dataclass
class Stats:
    connections: int = 0
    sessions_started: int = 0
    refused_full: int = 0
    refused_busy: int = 0
    auth_failures: int = 0
    ended: list[int] = field(default_factory=list)


class ClassServer:
    """State shared by every connection: limits, live sessions, shutdown."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.connections: set[_Connection] = set()
        self.sessions: set[_Session] = set()
        self.pending = 0
        self.stats = Stats()
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self.closing = False
        self.max_pending = config.max_pending or max(20, config.max_sessions)

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
            kbdint_auth=False,
            gss_host=None,
            host_based_auth=False,
        )
        if c.auth == "keys":
            options["authorized_client_keys"] = c.authorized_keys
        self._acceptor = await asyncssh.create_server(
            lambda: _Connection(self), c.host, c.port, **options)

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
        for conn in list(self.connections):
            conn.close()
        if self._acceptor is not None:
            await self._acceptor.wait_closed()
        # Let the connections finish closing.
        for _ in range(50):
            if not self.connections:
                break
            await asyncio.sleep(0.02)


class _Connection(asyncssh.SSHServer):
    """One client connection (asyncssh calls these methods)."""

    def __init__(self, server: ClassServer) -> None:
        self.server = server
        self.conn: asyncssh.SSHServerConnection | None = None
        self.peer = "?"
        self.username = ""
        self.authenticated = False
        self.counted_pending = False
        self.failures = 0
        self.session: _Session | None = None
        self._no_session_timer: asyncio.TimerHandle | None = None

    # -- connection ----------------------------------------------------------

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        peer = conn.get_extra_info("peername") or ("?", 0)
        self.peer = f"{peer[0]}:{peer[1]}"
        srv = self.server
        srv.stats.connections += 1
        if srv.closing or srv.pending >= srv.max_pending:
            srv.stats.refused_busy += 1
            log.warning("refused %s: too many connections logging in", self.peer)
            asyncio.get_running_loop().call_soon(conn.abort)
            return
        srv.connections.add(self)
        srv.pending += 1
        self.counted_pending = True
        log.info("connect %s", self.peer)

    def connection_lost(self, exc: Exception | None) -> None:
        srv = self.server
        if self.counted_pending:
            srv.pending -= 1
            self.counted_pending = False
        if self._no_session_timer is not None:
            self._no_session_timer.cancel()
        if self in srv.connections:
            srv.connections.discard(self)
            who = self.username if self.authenticated else "(not logged in)"
            reason = f" ({exc})" if exc and not isinstance(exc, asyncssh.ConnectionLost) else ""
            log.info("disconnect %s %s%s", self.peer, who, reason)
        if self.session is not None:
            self.session.client_gone()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

    # -- authentication ------------------------------------------------------

    def begin_auth(self, username: str) -> bool:
        self.username = username[:64]
        return self.server.config.auth != "none"

    def password_auth_supported(self) -> bool:
        return self.server.config.auth == "password"

    async def validate_password(self, username: str, password: str) -> bool:
        secret = self.server.config.password or b""
        ok = hmac.compare_digest(password.encode("utf-8", "surrogateescape"), secret)
        if not ok:
            self.server.stats.auth_failures += 1
            self.failures += 1
            log.info("login failed %s user=%s (wrong password)", self.peer, username[:64])
            await asyncio.sleep(self.server.config.auth_fail_delay)
            if self.failures >= self.server.config.max_auth_tries and self.conn is not None:
                log.info("closing %s: too many failed logins", self.peer)
                self.conn.close()
        return ok

    def auth_completed(self) -> None:
        self.authenticated = True
        log.info("login %s user=%s", self.peer, self.username)
        # An authenticated connection must open its session promptly.
        loop = asyncio.get_running_loop()
        self._no_session_timer = loop.call_later(
            self.server.config.login_timeout, self._no_session)

    def _no_session(self) -> None:
        self._no_session_timer = None
        if self.session is None and self.conn is not None:
            log.info("closing %s: no session opened", self.peer)
            self.conn.close()

    # -- channels ------------------------------------------------------------

    def session_requested(self) -> _Session:
        if self.session is not None:
            raise asyncssh.ChannelOpenError(
                asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, "One session per connection")
        if self._no_session_timer is not None:
            self._no_session_timer.cancel()
            self._no_session_timer = None
        if self.counted_pending:  # no longer waiting: max_sessions bounds it from here
            self.server.pending -= 1
            self.counted_pending = False
        self.session = _Session(self)
        return self.session

    def connection_requested(self, dest_host: str, dest_port: int,
                             orig_host: str, orig_port: int) -> bool:
        log.info("refused %s: port forwarding to %s:%s", self.peer, dest_host, dest_port)
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


class _Session(asyncssh.SSHServerSession):
    """One SSH session channel: refuse it, or bridge it to an app process."""

    def __init__(self, connection: _Connection) -> None:
        self.connection = connection
        self.server = connection.server
        self.chan: asyncssh.SSHServerChannel | None = None
        self.term: str | None = None
        self.size = (80, 24, 0, 0)
        self.has_pty = False
        self.refusal: str | None = None
        self.proc: PtyProcess | None = None
        self.last_input = time.monotonic()
        self.started_at = 0.0
        self._idle_timer: asyncio.TimerHandle | None = None
        self._end_message: str | None = None
        self._input_paused = False
        self._gone = False
        self._start_timer: asyncio.TimerHandle | None = None

    # -- requests before the session starts ----------------------------------

    def connection_made(self, chan: asyncssh.SSHServerChannel) -> None:
        self.chan = chan
        # A session channel must start its shell promptly too.
        self._start_timer = asyncio.get_running_loop().call_later(
            self.server.config.login_timeout, self._not_started)

    def _not_started(self) -> None:
        log.info("closing %s: session never started", self.connection.peer)
        self.connection.close()

    def pty_requested(self, term_type: str, term_size, term_modes) -> bool:
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
        self._start_timer.cancel()
        chan = self.chan
        assert chan is not None
        srv = self.server
        if self.refusal is None and not self.has_pty:
            log.info("refused %s: no pty", self.connection.peer)
            self.refusal = MSG_NO_PTY
        if self.refusal is None and srv.closing:
            self.refusal = MSG_SHUTDOWN
        if self.refusal is None and len(srv.sessions) >= srv.config.max_sessions:
            srv.stats.refused_full += 1
            log.info("refused %s: class is full (%d sessions)", self.connection.peer,
                     len(srv.sessions))
            self.refusal = MSG_FULL.format(n=srv.config.max_sessions)
        if self.refusal is not None:
            self._refuse(self.refusal)
            return
        env = session_env(self.term, chan.get_environment().get("COLORTERM"),
                          srv.config.base_env)
        cols, rows, pw, ph = self.size
        self.proc = PtyProcess(
            srv.config.command, env,
            cols=clamp_size(cols, 80), rows=clamp_size(rows, 24),
            on_output=self._output, on_exit=self._process_exited,
            on_input_drained=self._input_drained,
        )
        try:
            self.proc.start()
        except OSError as exc:
            log.error("could not start session process: %s", exc)
            self.proc = None
            self._refuse(MSG_START_FAILED)
            return
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

    def _refuse(self, message: str) -> None:
        assert self.chan is not None
        try:
            self.chan.write_stderr(message.encode())
            self.chan.exit(1)
        except OSError:
            pass

    # -- data both ways ------------------------------------------------------

    def _output(self, data: bytes) -> None:
        if self.chan is not None and not self._gone:
            try:
                self.chan.write(data)
            except OSError:
                pass

    def pause_writing(self) -> None:
        if self.proc is not None:
            self.proc.pause_output()

    def resume_writing(self) -> None:
        if self.proc is not None:
            self.proc.resume_output()

    def data_received(self, data: bytes, datatype) -> None:
        self.last_input = time.monotonic()
        if self.proc is None or not self.proc.running:
            return
        self.proc.write(data)
        if self.proc.input_backlog > 64 * 1024 and not self._input_paused and self.chan:
            self._input_paused = True
            self.chan.pause_reading()

    def _input_drained(self) -> None:
        if self._input_paused and self.chan is not None:
            self._input_paused = False
            self.chan.resume_reading()

    def terminal_size_changed(self, width: int, height: int,
                              pixwidth: int, pixheight: int) -> None:
        self.size = (width, height, pixwidth, pixheight)
        if self.proc is not None and self.proc.running:
            self.last_input = time.monotonic()
            self.proc.resize(width, height, pixwidth, pixheight)

    def eof_received(self) -> bool:
        return True  # keep the session open (a terminal app reads until hangup)

    # -- end -----------------------------------------------------------------

    def _check_idle(self) -> None:
        self._idle_timer = None
        timeout = self.server.config.idle_timeout
        left = self.last_input + timeout - time.monotonic()
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
        if self.proc is not None and self.proc.running:
            self.proc.terminate(self.server.config.kill_grace)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._start_timer is not None:
            self._start_timer.cancel()
        self.client_gone()
        # One session per connection: when it ends, so does the connection.
        self.connection.close()

    def _process_exited(self, code: int) -> None:
        srv = self.server
        srv.sessions.discard(self)
        srv.stats.ended.append(code)
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
