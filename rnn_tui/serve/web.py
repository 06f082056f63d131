"""The web door: the stepper in a browser (``rnn-tui web``, ``rnn-tui serve --web-port``).

Built on textual-serve: its browser side (``static/js/textual.js``, xterm.js
with Textual's client) and its :class:`~textual_serve.app_service.AppService`
(the packet protocol to an app process run with Textual's web driver). This
module puts its own aiohttp application around them:

- ``GET /`` is the login page (the class password; with a class hub, a name),
  or, with a valid session cookie, the app page: textual-serve's page with
  nothing from the internet (Roboto Mono from the package itself, then the
  system's monospace font).
- ``POST /login`` checks the password in constant time (``hmac.compare_digest``),
  each failure slowed down and counted per address (a token bucket and a
  lockout, as ``serve`` does); success sets a cookie signed with a random
  per-server key (HMAC-SHA256; HttpOnly, SameSite=Strict).
- ``GET /ws`` (the websocket the page opens) refuses without that cookie or
  from another origin. Only then does an app process start: one per browser
  tab, the same isolated session command as ``serve`` (``app_command``), with
  ``session_env``, a private working directory removed at the end, the
  session resource limits and its own process session (set up by
  :mod:`rnn_tui.serve.weblaunch`, the command textual-serve runs); its driver is
  :class:`rnn_tui.serve.webdriver.SessionWebDriver` (input bounded, no mouse).
- What the browser sends is checked: messages of at most 64 kB, JSON of the
  expected shapes only; key presses at most ``input_rate`` bytes a second
  (the socket is then not read: backpressure), bracketed-paste markers taken
  out; sizes clamped. Downloads and URL opening from the app are dropped.
- Limits as ``serve``'s: at most ``max_sessions`` (counting the SSH door's when
  both run), ``idle_timeout`` without a key press, every process ended and
  reaped when its tab closes or the server stops.

With a class hub (``serve`` with teachers), each browser student is admitted
as a student ``via="web"`` and follows the teacher like an SSH student.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import html
import ipaddress
import json
import logging
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import textual_serve
from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from rnn_tui.serve import weblaunch
from rnn_tui.serve.hub import Hub
from rnn_tui.serve.ptyproc import clamp_size, readable
from rnn_tui.serve.sshd import (
    MSG_FULL,
    MSG_IDLE,
    MSG_SHUTDOWN,
    MSG_START_FAILED,
    PASTE_HOLD,
    TERMINAL_RESET,
    PasteFilter,
    SessionLimits,
    describe,
    printable,
    session_env,
)

log = logging.getLogger("rnn_tui.cli.serve")

#: The driver of a browser session's app process.
WEB_DRIVER = "rnn_tui.serve.webdriver:SessionWebDriver"
COOKIE = "rnn_tui_web"
#: The longest cookie value looked at (a signed one is about 150 characters).
MAX_COOKIE = 512
#: A login form's body, at most (a password and a name).
MAX_FORM = 4096
MAX_PASSWORD = 1024
#: A browser student's name (shown in the roster), at most this many characters.
MAX_NAME = 32
#: A websocket message from the browser, at most (a paste is a few kB).
MAX_WS_MESSAGE = 64 * 1024
#: What textual-serve's page needs from its static folder; nothing else is served.
STATIC_DIR = Path(textual_serve.__file__).parent / "static"
STATIC_FILES = frozenset({
    "js/textual.js", "css/xterm.css", "images/background.png",
    "fonts/RobotoMono-VariableFont_wght.ttf", "fonts/RobotoMono-Italic-VariableFont_wght.ttf",
})
_HOST_RE = re.compile(r"[A-Za-z0-9.:\[\]-]{1,255}")

MSG_APP_STOPPED = "rnn-tui: the stepper stopped (status {code}); please tell your teacher.\r\n"
MSG_WEB_FULL = MSG_FULL.replace("Please try again in a little while.", "Reload in a little while.")

#: The pages' few words (what the app says is in its own catalogue), by language.
PAGE_TEXT = {
    "en": {"lead": "Step through a recurrent neural network, one key at a time.",
           "log_in": "log in", "name": "Your name", "password": "Class password",
           "start": "Start", "wrong": "Wrong password.",
           "locked": "Too many wrong passwords: wait {s} s.", "no_name": "Type your name.",
           "bad": "That did not work; try again.", "starting": "starting…",
           "ended": "Session ended.", "again": "Start again"},
    "ko": {"lead": "순환 신경망이 계산하는 과정을 키 하나씩 따라가 봅니다.",
           "log_in": "로그인", "name": "이름", "password": "수업 비밀번호",
           "start": "시작", "wrong": "비밀번호가 틀렸습니다.",
           "locked": "비밀번호를 너무 많이 틀렸습니다. {s}초 뒤에 다시 해 보세요.",
           "no_name": "이름을 입력해 주세요.", "bad": "잘 되지 않았습니다. 다시 해 보세요.",
           "starting": "시작하는 중…", "ended": "세션이 끝났습니다.", "again": "다시 시작"},
}


@dataclass
class WebConfig:
    """What the web door was asked to do. Times are in seconds."""

    command: list[str]
    host: str = "127.0.0.1"
    port: int = 8000
    #: The class password; None: no password (``--no-auth``).
    password: bytes | None = None
    max_sessions: int = 50
    idle_timeout: float = 1800.0
    #: Ask for a name on the login page (a class hub runs).
    ask_name: bool = False
    #: Pause after each failed login; then per address: tries at once, refill a
    #: second, and how long an address that used them all is locked out.
    auth_fail_delay: float = 0.3
    auth_burst: int = 10
    auth_rate: float = 0.5
    auth_lockout: float = 60.0
    max_addresses: int = 4096
    #: Key-press bytes a session may send per second, on average over ``input_burst``.
    input_rate: int = 64 * 1024
    input_burst: int = 256 * 1024
    limits: SessionLimits = field(default_factory=SessionLimits)
    session_root: str | None = None
    #: Seconds between asking an app to quit, SIGTERM and SIGKILL.
    kill_grace: float = 2.0
    #: How long a login lasts (the cookie).
    cookie_lifetime: float = 12 * 3600.0
    #: Added to a session process's nice value (with a class: students yield to teachers).
    student_nice: int = 0
    title: str = "rnn-tui"
    #: The pages' language (``--lang``); None: each browser's (Accept-Language).
    lang: str | None = None
    #: HTTP connections at once (default: max(64, 4 * max_sessions)); past it a new one
    #: is closed at once.
    max_connections: int = 0
    #: Host names a browser may use besides IP addresses, localhost, the --host
    #: and this machine's own names (``--allow-host``): any other Host header is
    #: refused, so a web page elsewhere can't reach the door by DNS rebinding.
    allowed_hosts: tuple[str, ...] = ()


def host_name(host: str | None) -> str:
    """The name in a Host header, lower case, without its port or IPv6 brackets."""
    host = (host or "").strip().lower().rstrip(".")
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else ""
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def machine_names() -> set[str]:
    """localhost and this machine's own names (short and fully qualified)."""
    names = {"localhost"}
    for name in (socket.gethostname(), socket.getfqdn()):
        name = host_name(name)
        if name:
            names.update({name, name.split(".", 1)[0]})
    return names


class Throttle:
    """Login attempts per client address: a token bucket of ``burst`` refilled at
    ``rate`` a second; an address that empties it is locked out for ``lockout`` s.
    At most ``max_addresses`` remembered (the least recently seen forgotten)."""

    def __init__(self, burst: int, rate: float, lockout: float, max_addresses: int) -> None:
        self.burst, self.rate, self.lockout = burst, rate, lockout
        self.max_addresses = max_addresses
        self.table: OrderedDict[str, list[float]] = OrderedDict()  # ip -> [tokens, stamp, until]

    def locked(self, ip: str) -> float:
        entry = self.table.get(ip)
        return max(0.0, entry[2] - time.monotonic()) if entry else 0.0

    def take(self, ip: str) -> bool:
        now = time.monotonic()
        entry = self.table.get(ip)
        if entry is None:
            entry = self.table[ip] = [float(self.burst), now, 0.0]
            if len(self.table) > self.max_addresses:
                self.table.popitem(last=False)
        self.table.move_to_end(ip)
        if now < entry[2]:
            return False
        entry[0] = min(float(self.burst), entry[0] + (now - entry[1]) * self.rate)
        entry[1] = now
        if entry[0] < 1.0:
            entry[2] = now + self.lockout
            log.warning("web: locking out %s for %s: too many failed logins", ip,
                        describe(self.lockout))
            return False
        entry[0] -= 1.0
        return True

    def give_back(self, ip: str) -> None:
        entry = self.table.get(ip)
        if entry is not None:
            entry[0] = min(float(self.burst), entry[0] + 1.0)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CookieSigner:
    """Session cookies: ``payload.mac``, HMAC-SHA256 with a random key of this server's."""

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key or secrets.token_bytes(32)

    def make(self, name: str, lifetime: float) -> str:
        payload = json.dumps({"n": name, "e": int(time.time() + lifetime),
                              "r": secrets.token_hex(8)}, separators=(",", ":")).encode()
        mac = hmac.new(self.key, payload, hashlib.sha256).digest()
        return f"{_b64(payload)}.{_b64(mac)}"

    def check(self, value: str | None) -> dict | None:
        """The cookie's content if it is ours, unchanged and not expired; else None."""
        if not value or len(value) > MAX_COOKIE or value.count(".") != 1:
            return None
        body, _, mac = value.partition(".")
        try:
            payload, given = _unb64(body), _unb64(mac)
        except (ValueError, TypeError):
            return None
        if not hmac.compare_digest(hmac.new(self.key, payload, hashlib.sha256).digest(), given):
            return None
        try:
            data = json.loads(payload)
        except ValueError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("n"), str) \
                or not isinstance(data.get("e"), int) or data["e"] < time.time():
            return None
        return data


def browser_locale(accept_language: str | None) -> str | None:
    """A LANG for the session from the browser's first language (ko or en), else None."""
    first = (accept_language or "")[:200].split(",")[0].strip().lower()
    if first.startswith("ko"):
        return "ko_KR.UTF-8"
    if first.startswith("en"):
        return "en_US.UTF-8"
    return None


#: How long a session's process may take to start (its launcher to say so), at most.
START_TIMEOUT = 20.0
#: After the app ended: how long its launcher may take to write its exit status.
STATUS_TIMEOUT = 5.0
LAUNCHER = str(Path(__file__).with_name("weblaunch.py"))


async def gone(pid: int, pidfd: int | None) -> None:
    """Until process ``pid`` has ended: its pidfd readable (Linux), else polled."""
    if pidfd is not None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def ended() -> None:
            if not done.done():
                done.set_result(None)

        loop.add_reader(pidfd, ended)
        try:
            await done
        finally:
            loop.remove_reader(pidfd)
        return
    while True:  # pragma: no cover - no pidfd_open: poll
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        except PermissionError:
            pass
        await asyncio.sleep(0.05)


def pidfd_of(pid: int) -> int | None:
    """A pidfd for ``pid`` (Linux), or None (it has ended already, or no pidfd_open)."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


class SessionService(AppService):
    """textual-serve's app service on its public API only, starting our session
    command: exactly ``env``, in ``workdir``, in a process session of its own, with
    the session limits and ``nice``. The command string it runs (with a shell) is our
    launcher (rnn_tui/serve/weblaunch.py) with a spec file in ``workdir``; the
    launcher says the app's pid and, at the end, its exit status, in files there.
    Downloads and URL opening from the app are not passed on."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], workdir: str,
                 rlimits: dict[int, tuple[int, int]], nice: int = 0, **kwargs: Any) -> None:
        self.spec_path = os.path.join(workdir, weblaunch.SPEC_NAME)
        # -S: no site-packages (the launcher is standard library only): 5 MB, not 8
        command = "exec " + shlex.join([sys.executable, "-I", "-S", "-B", LAUNCHER,
                                        self.spec_path])
        super().__init__(command, download_manager=DownloadManager(), **kwargs)
        self.argv = list(argv)
        self.env = env
        self.workdir = workdir
        self.rlimits = rlimits
        self.nice = nice
        #: The app's process id (its process session's and group's too), once started.
        self.pid: int | None = None
        #: Its exit status once it ended (asyncio's way: -N for signal N), else None.
        self.returncode: int | None = None
        self.pidfd: int | None = None
        #: The launcher: the app's parent, waiting to write its exit status.
        self.launcher_pid: int | None = None
        self.launcher_pidfd: int | None = None
        self.reader_done = asyncio.Event()
        self.exit_task: asyncio.Future | None = None

    def write_spec(self) -> None:
        spec = {"argv": self.argv, "env": self.env, "cwd": self.workdir, "nice": self.nice,
                "rlimits": [[res, soft, hard] for res, (soft, hard) in self.rlimits.items()]}
        fd = os.open(self.spec_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                     0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(spec, f)

    async def run(self) -> None:
        """AppService's reader (what the app writes), noting when it has finished."""
        try:
            await super().run()
        finally:
            self.reader_done.set()

    async def start(self, width: int, height: int) -> None:
        """Start the app (OSError if it could not start); its pid learnt from the
        launcher within START_TIMEOUT s."""
        self.write_spec()
        try:
            await super().start(width, height)
            said = await self.launcher_says(weblaunch.PID_NAME, START_TIMEOUT)
        except BaseException:
            self.abandon()
            raise
        try:
            parsed: object = json.loads(said or "{}")
        except ValueError:
            parsed = {}
        info: dict[str, Any] = parsed if isinstance(parsed, dict) else {}
        pid = info.get("pid")
        if type(pid) is not int or pid <= 1:
            self.abandon()
            raise OSError(printable(str(info.get("error") or "the launcher said nothing"), 300))
        self.pid = pid
        self.pidfd = pidfd_of(pid)
        launcher = info.get("launcher")
        if type(launcher) is int and launcher > 1:
            self.launcher_pid, self.launcher_pidfd = launcher, pidfd_of(launcher)
        self.exit_task = asyncio.ensure_future(self.wait_exit())

    async def launcher_says(self, name: str, timeout: float) -> str | None:
        """The launcher's file ``name`` (read, then deleted), waiting at most ``timeout``
        s; None if it did not come (or the launcher ended without it)."""
        path = os.path.join(self.workdir, name)
        deadline = time.monotonic() + timeout
        pause = 0.002  # then longer: a start takes ~15 ms, a loaded machine longer
        while True:
            try:
                with open(path, "rb") as f:
                    text = f.read(4096).decode("utf-8", "replace")
                os.unlink(path)
                return text
            except FileNotFoundError:
                pass
            if time.monotonic() >= deadline:
                return None
            if self.reader_done.is_set():  # no app output any more: a last while
                deadline = min(deadline, time.monotonic() + 2.0)
            await asyncio.sleep(pause)
            pause = min(0.02, pause * 1.5)

    def abandon(self) -> None:
        """A start that failed: the spec file gone, the app's stdin closed (its end)."""
        try:
            os.unlink(self.spec_path)
        except OSError:
            pass
        try:
            self.stdin.close()
        except (AssertionError, RuntimeError, OSError):
            pass

    async def wait_exit(self) -> int | None:
        """Until the app has ended, then its launcher (STATUS_TIMEOUT s at most): the
        exit status the launcher wrote, or None."""
        assert self.pid is not None
        try:
            await gone(self.pid, self.pidfd)
            if self.launcher_pid is not None:
                try:
                    await asyncio.wait_for(gone(self.launcher_pid, self.launcher_pidfd),
                                           STATUS_TIMEOUT)
                except asyncio.TimeoutError:
                    log.warning("web: the launcher of pid %s did not end", self.pid)
        finally:
            for fd in (self.pidfd, self.launcher_pidfd):
                if fd is not None:
                    os.close(fd)
            self.pidfd = self.launcher_pidfd = None
        said = await self.launcher_says(weblaunch.STATUS_NAME, 0.0)
        said = (said or "").strip()
        self.returncode = int(said) if said.lstrip("-").isdigit() and len(said) < 12 else None
        return self.returncode

    async def wait(self) -> int | None:
        """Until the app has ended; its exit status (None: not known)."""
        assert self.exit_task is not None
        return await asyncio.shield(self.exit_task)

    def running(self) -> bool:
        """Whether the app has not ended (so its pid is still its own)."""
        if self.exit_task is None or self.exit_task.done():
            return False
        if self.pidfd is not None:
            return not readable(self.pidfd)
        return not hasattr(os, "pidfd_open")  # Linux: no pidfd, it had ended at once

    async def on_meta(self, data: bytes) -> None:
        try:
            meta = json.loads(data)
        except ValueError:
            return
        if isinstance(meta, dict) and meta.get("type") == "exit":
            await self.remote_close()

    async def on_packed(self, payload: bytes) -> None:
        return  # file deliveries: a served session neither reads nor writes files

    def killpg(self, sig: int) -> None:
        if self.pid is not None and self.running():
            try:
                os.killpg(self.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass

    async def end(self, grace: float) -> int | None:
        """Ask the app to quit; SIGTERM its process session after ``grace`` s, SIGKILL
        after another. Returns its exit status once it ended."""
        if self.exit_task is None:
            return None
        stopping = asyncio.ensure_future(self.stop())  # quit, then the reader to its end
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if sig is not None:
                self.killpg(sig)
            try:
                await asyncio.wait_for(self.wait(), grace)
                break
            except asyncio.TimeoutError:
                continue
        code = await self.wait()
        try:
            await asyncio.wait_for(stopping, grace)
        except (asyncio.TimeoutError, Exception):  # noqa: BLE001 - it is over either way
            pass
        return code


class WebSession:
    """One browser tab: its websocket, its app process, its limits."""

    def __init__(self, door: WebDoor, ws: web.WebSocketResponse, name: str, peer: str) -> None:
        self.door = door
        self.ws = ws
        self.name = name
        self.peer = peer
        self.service: SessionService | None = None
        self.workdir: str | None = None
        self.class_token: str | None = None
        self.last_input = time.monotonic()
        self.started_at = time.monotonic()
        self.end_message: str | None = None
        self._paste = PasteFilter()
        self._flush: asyncio.TimerHandle | None = None
        self._tokens = float(door.config.input_burst)
        self._tokens_at = time.monotonic()
        self.pid: int | None = None
        self._watch: asyncio.Future | None = None

    async def start(self, width: int, height: int, lang: str | None) -> bool:
        door, c = self.door, self.door.config
        self.workdir = tempfile.mkdtemp(prefix="rnn-tui-web-", dir=c.session_root)
        env = session_env("xterm-256color", {"LANG": lang} if lang else None, self.workdir)
        env.update({"TEXTUAL_DRIVER": WEB_DRIVER, "TEXTUAL_FPS": "60",
                    "TEXTUAL_COLOR_SYSTEM": "truecolor", "COLORTERM": "truecolor"})
        if door.hub is not None:
            from rnn_tui.teach.classroom import ENV_SOCKET, ENV_TOKEN

            try:
                self.class_token = door.hub.admit(self.name, "student", via="web")
                env.update({ENV_SOCKET: door.hub.path, ENV_TOKEN: self.class_token})
            except RuntimeError as exc:  # pragma: no cover - more than the hub allows
                log.error("web %s: not in the class: %s", self.peer, exc)
        self.service = SessionService(
            c.command, env, self.workdir, c.limits.rlimits(),
            nice=c.student_nice if door.hub is not None else 0,
            write_bytes=self.ws.send_bytes, write_str=self.ws.send_str, close=self.ws.close)
        try:
            await self.service.start(width, height)
        except OSError as exc:
            log.error("web: could not start session process: %s", exc)
            self.service = None
            self.cleanup()
            return False
        self.pid = self.service.pid
        self._watch = asyncio.ensure_future(self._watch_exit(self.service))
        return True

    async def _watch_exit(self, proc: SessionService) -> None:
        """An app that ends without saying so (it crashed, or was killed) closes the tab's
        socket too, with a word (an app that quits says so itself: the exit packet)."""
        code = await proc.wait()
        await asyncio.sleep(0.2)  # its last output goes first
        if not self.ws.closed and self.end_message is None:
            log.info("web %s name=%s: the app ended by itself (status %s)", self.peer,
                     printable(self.name), code)
            await self.close(MSG_APP_STOPPED.format(code=code))

    async def send_keys(self, text: str) -> None:
        c = self.door.config
        self.last_input = time.monotonic()
        data = self._paste.feed(text).encode("utf-8", "replace")
        if data and self.service is not None:
            await self.service.send_bytes(data)
        if self._paste.held and self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(PASTE_HOLD, self._flush_held)
        # at most input_rate bytes a second on average: past that, stop reading the socket
        now = time.monotonic()
        self._tokens = min(float(c.input_burst),
                           self._tokens + (now - self._tokens_at) * c.input_rate) - len(text)
        self._tokens_at = now
        if self._tokens < 0:
            await asyncio.sleep(-self._tokens / c.input_rate)

    def _flush_held(self) -> None:
        self._flush = None
        held = self._paste.flush()
        if held and self.service is not None:
            asyncio.ensure_future(self.service.send_bytes(held.encode("utf-8", "replace")))

    def idle_for(self) -> float:
        last = self.last_input
        hub = self.door.hub
        if hub is not None and self.class_token is not None:
            last = max(last, hub.watching(self.class_token) or last)
        return time.monotonic() - last

    async def close(self, message: str) -> None:
        """End from the server's side, telling the browser why."""
        if self.end_message is None:
            self.end_message = message
            try:
                await self.ws.send_bytes(TERMINAL_RESET + message.encode())
            except Exception:  # noqa: BLE001 - the browser may be gone already
                pass
        await self.ws.close()

    async def end(self) -> int | None:
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        code = None
        if self.service is not None:
            code = await self.service.end(self.door.config.kill_grace)
        self.cleanup()
        return code

    def cleanup(self) -> None:
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
        hub, token = self.door.hub, self.class_token
        self.class_token = None
        if hub is not None and token is not None:
            hub.forget(token)


class _Refused(asyncio.Protocol):
    """A connection over the limit: closed as soon as it is accepted."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # loop.create_server's connections (TCP) always come with an asyncio.Transport
        cast(asyncio.Transport, transport).abort()


class WebDoor:
    """The web server: login, pages, and one app process per websocket."""

    def __init__(self, config: WebConfig, hub: Hub | None = None,
                 others: Callable[[], int] = lambda: 0) -> None:
        self.config = config
        self.hub = hub
        #: Sessions through another door (serve's SSH ones): counted against max_sessions.
        self.others = others
        self.signer = CookieSigner()
        self.throttle = Throttle(config.auth_burst, config.auth_rate, config.auth_lockout,
                                 config.max_addresses)
        self.sessions: set[WebSession] = set()
        self.started = 0  # app processes started, in all (tests read it)
        self.ended: list[int | None] = []
        self.closing = False
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None
        self.max_connections = config.max_connections or max(64, 4 * config.max_sessions)
        self.refused_connections = 0
        self._refusal_logged = -1e9
        self._handlers: set[asyncio.Task] = set()
        self.port = config.port
        #: The cookie's name: cookies are per host, not per port (two doors, two cookies).
        self.cookie = COOKIE
        #: Host names (besides IP addresses) a request may name (see known_host).
        self.host_names = machine_names() | {host_name(config.host)} | {
            host_name(h) for h in config.allowed_hosts}

    # -- the aiohttp application ----------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_FORM, middlewares=[self._headers])
        app.add_routes([
            web.get("/", self.index),
            web.post("/login", self.login),
            web.get("/ws", self.websocket),
            web.get("/static/{path:.+}", self.static),
        ])
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.make_app(), handle_signals=False, access_log=None,
                                     keepalive_timeout=15, shutdown_timeout=1.0)
        await self._runner.setup()
        server = self._runner.server
        assert server is not None
        loop = asyncio.get_running_loop()
        issued = 0  # handlers made whose connection aiohttp has not counted yet

        def counted() -> None:
            nonlocal issued
            issued = 0

        def connection() -> asyncio.BaseProtocol:
            # aiohttp caps neither: at most max_connections at once, else closed at once.
            # A handler is counted (server.connections) once its connection_made has run,
            # a loop turn after this; until two turns later, it counts here.
            nonlocal issued
            if len(server.connections) + issued < self.max_connections:
                issued += 1
                if issued == 1:
                    loop.call_soon(loop.call_soon, counted)
                return server()
            self.refused_connections += 1
            now = time.monotonic()
            if now - self._refusal_logged >= 5.0:
                self._refusal_logged = now
                log.warning("web: refusing connections: %d open (the limit)",
                            self.max_connections)
            return _Refused()

        self._listener = await loop.create_server(
            connection, self.config.host, self.config.port, backlog=128)
        self.port = int(self._listener.sockets[0].getsockname()[1])
        self.cookie = f"{COOKIE}_{self.port}"

    async def close(self) -> None:
        """Stop listening; end every session and its process (reaped)."""
        self.closing = True
        if self._listener is not None:
            self._listener.close()
        for session in list(self.sessions):
            asyncio.ensure_future(session.close(MSG_SHUTDOWN))
        handlers = list(self._handlers)
        if handlers:
            await asyncio.wait(handlers, timeout=3 * self.config.kill_grace + 5)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._listener is not None:
            await self._listener.wait_closed()
            self._listener = None

    @web.middleware
    async def _headers(self, request: web.Request, handler) -> web.StreamResponse:
        if not self.known_host(request.host):
            name = host_name(request.host)[:80]
            log.info("web: refused a request for host %r (not this server's name)", name)
            return web.Response(status=421, text=(
                f"rnn-tui web: {name!r} is not a name of this server; "
                f"its teacher can start it with --allow-host {name}\n"))
        response = await handler(request)
        h = response.headers
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "same-origin")  # no-referrer: a form's Origin is null
        if not request.path.startswith("/static/"):
            h.setdefault("Cache-Control", "no-store")
            h.setdefault("X-Frame-Options", "DENY")
            h.setdefault("Content-Security-Policy",
                         "default-src 'self'; script-src 'self' 'unsafe-inline'; "
                         "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                         "font-src 'self'; connect-src 'self' ws: wss:; "
                         "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
        return response

    def known_host(self, host: str) -> bool:
        """An IP address, localhost, the --host, this machine's names or an --allow-host."""
        name = host_name(host)
        if not name:
            return False
        try:
            ipaddress.ip_address(name)
            return True
        except ValueError:
            pass
        return name in self.host_names

    # -- who is logged in -----------------------------------------------------

    def who(self, request: web.Request) -> dict | None:
        return self.signer.check(request.cookies.get(self.cookie))

    @property
    def needs_login(self) -> bool:
        return self.config.password is not None or self.config.ask_name

    @staticmethod
    def scheme(request: web.Request) -> str:
        """http, or https behind a TLS proxy that says so (X-Forwarded-Proto)."""
        forwarded = request.headers.get("X-Forwarded-Proto", "")
        return "https" if request.scheme == "https" or forwarded == "https" else "http"

    def same_origin(self, request: web.Request) -> bool:
        """No Origin (not a browser's cross-site request), or this server's own."""
        origin = request.headers.get("Origin")
        return origin is None or origin == f"{self.scheme(request)}://{request.host}"

    def _set_cookie(self, response: web.StreamResponse, name: str) -> None:
        response.set_cookie(self.cookie, self.signer.make(name, self.config.cookie_lifetime),
                            max_age=int(self.config.cookie_lifetime), path="/",
                            httponly=True, samesite="Strict")

    # -- pages ----------------------------------------------------------------

    async def index(self, request: web.Request) -> web.StreamResponse:
        if self.who(request) is not None:
            return self.app_page(request)
        if not self.needs_login:  # --no-auth, no class: straight in
            response = self.app_page(request)
            self._set_cookie(response, "")
            return response
        return self.login_page(request)

    def words(self, request: web.Request) -> tuple[str, dict[str, str]]:
        """The pages' language (--lang, else the browser's) and their words in it."""
        lang = self.config.lang
        if lang not in PAGE_TEXT:
            locale = browser_locale(request.headers.get("Accept-Language")) or ""
            lang = "ko" if locale.startswith("ko") else "en"
        return lang, PAGE_TEXT[lang]

    def login_page(self, request: web.Request, error: str = "", status: int = 200,
                   **values: str) -> web.Response:
        c = self.config
        lang, w = self.words(request)
        fields = []
        if c.ask_name:
            fields.append(
                f'<label>{html.escape(w["name"])} <input name="name" autocomplete="name" '
                f'required maxlength="{MAX_NAME}" autofocus></label>')
        if c.password is not None:
            fields.append(
                f'<label>{html.escape(w["password"])} <input name="password" type="password" '
                f'required maxlength="{MAX_PASSWORD}" autocomplete="current-password"'
                f'{"" if c.ask_name else " autofocus"}></label>')
        message = w[error].format(**values) if error else ""
        body = LOGIN_PAGE.format(
            lang=lang, title=html.escape(c.title), fields="\n".join(fields),
            log_in=html.escape(w["log_in"]), lead=html.escape(w["lead"]),
            start=html.escape(w["start"]),
            error=f'<p class="error" role="alert">{html.escape(message)}</p>' if error else "")
        return web.Response(text=body, content_type="text/html", status=status)

    def app_page(self, request: web.Request) -> web.Response:
        host = request.host if _HOST_RE.fullmatch(request.host or "") else \
            f"{self.config.host}:{self.port}"
        scheme = "wss" if self.scheme(request) == "https" else "ws"
        lang, w = self.words(request)
        body = APP_PAGE.format(lang=lang, title=html.escape(self.config.title),
                               starting=html.escape(w["starting"]),
                               ended=html.escape(w["ended"]), again=html.escape(w["again"]),
                               ws_url=html.escape(f"{scheme}://{host}/ws", quote=True))
        return web.Response(text=body, content_type="text/html")

    async def static(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        if path not in STATIC_FILES:
            raise web.HTTPNotFound()
        return web.FileResponse(STATIC_DIR / path,
                                headers={"Cache-Control": "public, max-age=3600"})

    async def login(self, request: web.Request) -> web.StreamResponse:
        c = self.config
        if not self.same_origin(request):
            raise web.HTTPForbidden(text="forbidden")
        ip = request.remote or "?"
        locked = self.throttle.locked(ip)
        if locked:
            return self.login_page(request, "locked", 429, s=f"{locked:.0f}")
        try:
            form = await request.post()
        except (ValueError, web.HTTPException):
            return self.login_page(request, "bad", 400)
        password, name = form.get("password", ""), form.get("name", "")
        if not isinstance(password, str) or not isinstance(name, str):
            return self.login_page(request, "bad", 400)
        name = " ".join(printable(name, MAX_NAME).split())[:MAX_NAME]
        if c.password is not None:
            if not self.throttle.take(ip):
                return self.login_page(request, "locked", 429,
                                       s=f"{self.throttle.locked(ip):.0f}")
            given = password[:MAX_PASSWORD].encode("utf-8", "surrogateescape")
            if not hmac.compare_digest(given, c.password):
                log.info("web: login failed %s (wrong password)", ip)
                await asyncio.sleep(c.auth_fail_delay)
                return self.login_page(request, "wrong", 403)
            self.throttle.give_back(ip)
        if c.ask_name and not name:
            return self.login_page(request, "no_name", 400)
        log.info("web: login %s name=%s", ip, printable(name) or "-")
        response = web.Response(status=303, headers={"Location": "/"})
        self._set_cookie(response, name)
        return response

    # -- the app --------------------------------------------------------------

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        who = self.who(request)
        if who is None or not self.same_origin(request):
            raise web.HTTPForbidden(text="log in first")
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            return await self._run_session(request, who)
        finally:
            if task is not None:
                self._handlers.discard(task)

    async def _run_session(self, request: web.Request, who: dict) -> web.StreamResponse:
        c = self.config
        ws = web.WebSocketResponse(heartbeat=30, max_msg_size=MAX_WS_MESSAGE)
        await ws.prepare(request)
        peer = request.remote or "?"
        session = WebSession(self, ws, who["n"] or "browser", peer)
        if self.closing:
            await session.close(MSG_SHUTDOWN)
            return ws
        if len(self.sessions) + self.others() >= c.max_sessions:
            log.info("web: refused %s: class is full (%d sessions)", peer,
                     len(self.sessions) + self.others())
            n = c.max_sessions
            await session.close(MSG_WEB_FULL.format(
                count=f"{n} session" if n == 1 else f"{n} sessions"))
            return ws
        width = clamp_size(_int(request.query.get("width")), 80)
        height = clamp_size(_int(request.query.get("height")), 24)
        self.sessions.add(session)
        try:
            if not await session.start(width, height,
                                       browser_locale(request.headers.get("Accept-Language"))):
                await session.close(MSG_START_FAILED)
                return ws
            self.started += 1
            log.info("web: session start %s name=%s pid=%s size=%dx%d (%d active)", peer,
                     printable(session.name), session.pid, width, height, len(self.sessions))
            idle = asyncio.ensure_future(self._watch_idle(session)) \
                if c.idle_timeout > 0 else None
            try:
                await self._read(session)
            finally:
                if idle is not None:
                    idle.cancel()
        finally:
            code = await session.end()
            self.sessions.discard(session)  # counted until its process is reaped
            self.ended.append(code)
            if not ws.closed:
                await ws.close()
            if session.pid is not None:
                log.info("web: session end %s name=%s pid=%s status=%s after %.0fs "
                         "(%d active)", peer, printable(session.name), session.pid, code,
                         time.monotonic() - session.started_at, len(self.sessions))
        return ws

    async def _read(self, session: WebSession) -> None:
        """What the browser sends: checked, then passed on (textual-serve's envelope)."""
        service = session.service
        assert service is not None
        async for message in session.ws:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = json.loads(message.data)
            except ValueError:
                continue
            if not isinstance(envelope, list) or not envelope:
                continue
            kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
            if kind == "stdin" and isinstance(data, str):
                await session.send_keys(data)
            elif kind == "resize" and isinstance(data, dict):
                # not activity: only key presses reset the idle clock
                await service.set_terminal_size(clamp_size(_int(data.get("width")), 80),
                                                clamp_size(_int(data.get("height")), 24))
            elif kind == "ping" and isinstance(data, str) and len(data) <= 32:
                await session.ws.send_json(["pong", data])
            elif kind == "focus":
                await service.focus()
            elif kind == "blur":
                await service.blur()

    async def _watch_idle(self, session: WebSession) -> None:
        timeout = self.config.idle_timeout
        while True:
            left = timeout - session.idle_for()
            if left <= 0.01:
                break
            await asyncio.sleep(left)
        log.info("web: idle %s name=%s: closing after %s", session.peer,
                 printable(session.name), describe(timeout))
        await session.close(MSG_IDLE.format(t=describe(timeout)))


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) <= 6:
        return int(value)
    return 0


async def run_web(config: WebConfig, *, ready: Callable[[WebDoor], None] | None = None,
                  stop: asyncio.Event | None = None) -> int:
    """Serve until ``stop`` is set (or SIGINT/SIGTERM); end every session; 0."""
    door = WebDoor(config)
    await door.start()  # OSError: the caller says it can't listen
    loop = asyncio.get_running_loop()
    stop = stop or asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if ready is not None:
        ready(door)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    log.info("web: shutting down: ending %d session(s)", len(door.sessions))
    await door.close()
    log.info("web: stopped")
    return 0


_STYLE = """
@font-face { font-family: "Roboto Mono"; font-weight: 100 700;
  src: url("/static/fonts/RobotoMono-VariableFont_wght.ttf") format("truetype"); }
@font-face { font-family: "Roboto Mono"; font-style: italic; font-weight: 100 700;
  src: url("/static/fonts/RobotoMono-Italic-VariableFont_wght.ttf") format("truetype"); }
body { background: #0c181f; color: rgba(255,255,255,0.95); margin: 0;
  font-family: "Roboto Mono", monospace; }
"""

LOGIN_PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}: {log_in}</title>
<style>""" + _STYLE.replace("{", "{{").replace("}", "}}") + """
main {{ max-width: 28em; margin: 12vh auto; padding: 2em; background: #12232d; }}
label {{ display: block; margin: 1em 0; }}
input {{ display: block; width: 100%; box-sizing: border-box; margin-top: .4em;
  padding: .5em; font: inherit; }}
button {{ padding: .8em 2em; background: #5e0ba7; color: #fff; border: none; font: inherit;
  cursor: pointer; }}
.error {{ color: #ff8a80; }}
</style></head>
<body><main>
<h1>{title}</h1>
<p>{lead}</p>
{error}
<form method="post" action="/login" autocomplete="off">
{fields}
<button type="submit">{start}</button>
</form>
</main></body></html>
"""

# textual-serve's app_index.html, with the font from this server, not a CDN
APP_PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>{title}</title>
<link rel="stylesheet" href="/static/css/xterm.css">
<link rel="preload" href="/static/fonts/RobotoMono-VariableFont_wght.ttf" as="font"
  type="font/ttf" crossorigin>
<script src="/static/js/textual.js"></script>
<style>""" + _STYLE.replace("{", "{{").replace("}", "}}") + """
html, body {{ height: 100%; }}
.textual-terminal {{ width: 100vw; height: 100vh; }}
.dialog-container {{ position: absolute; width: 100vw; height: 100vh; display: flex;
  align-items: center; justify-content: center; z-index: 10; }}
.shade {{ position: absolute; width: 100%; height: 100%; background: #0c181f; }}
.intro {{ width: 640px; max-width: 90vw; height: 200px; z-index: 20; text-align: center;
  background-color: #12232d; display: flex; flex-direction: column; align-items: center;
  justify-content: center; }}
body.-first-byte .intro-dialog {{ display: none; }}
body .textual-terminal {{ opacity: 0; }}
body.-first-byte .textual-terminal {{ opacity: 1; transition: opacity 0.3s ease-out; }}
button {{ padding: 16px 32px; background-color: #5e0ba7; color: #fff; border: none;
  font: inherit; margin: 16px; cursor: pointer; }}
.closed-dialog {{ display: none; }}
body.-closed .closed-dialog {{ display: flex; top: auto; bottom: 0; height: auto; }}
.closed-dialog .intro {{ height: auto; flex-direction: row; }}
#start {{ display: none; }}
</style>
<script>
function restart() {{ window.location.href = "/"; }}
</script>
</head>
<body>
<div class="dialog-container intro-dialog"><div class="shade"></div>
  <div class="intro"><div>{title}</div><div>{starting}</div></div></div>
<div class="dialog-container closed-dialog">
  <div class="intro"><div class="message">{ended}</div>
  <button type="button" onclick="restart()">{again}</button></div></div>
<div id="terminal" class="textual-terminal" data-session-websocket-url="{ws_url}"
  data-font-size="16"></div>
</body></html>
"""
