"""Sessions forked from a warm process (a "zygote"), not started from nothing.

A fresh session is a new Python interpreter that imports NumPy, Textual and the
app before it can draw anything: about 0.2 s of CPU and 35 MiB of memory of its
own, and at the start of a class everyone connects at once. So ``rnn-tui serve``
keeps one *warm process*: the session command's interpreter (same flags, same
sys.path), started once, with the app's modules imported and the collector's
objects frozen (``gc.freeze``), that does nothing but wait. Each session is a
``fork`` of it: its pages are shared until written, and it starts drawing at
once.

Two halves live here:

* :func:`main` is the warm process (``python -I ... session.py --warm SCRIPT
  ARGS``, see :func:`warm_command`). No threads, no event loop: a blocking loop
  over a ``SOCK_SEQPACKET`` socket to the server. A request is a small JSON
  packet (the session's environment and resource limits) with the pty slave
  attached (SCM_RIGHTS). The warm process forks; the child makes the pty its
  controlling terminal (setsid, TIOCSCTTY), keeps only fds 0, 1 and 2, resets
  its signals, sets its limits, environment, random state and directory, then
  runs SCRIPT as the spawned session would and ``os._exit``\\ s. The warm process
  answers with the child's pid (and a pidfd), reaps its children, kills what a
  child left in its process group, and reports each wait status.
* :class:`WarmProcess` is the server's handle on it: starts it (and starts it
  again if it dies, waiting longer each time it dies young), asks it for
  sessions (:meth:`WarmProcess.spawn`, which answers None when the warm process
  is not up: the caller then starts the session the old way), and passes exit
  statuses on.
"""

from __future__ import annotations

import asyncio
import base64
import fcntl
import gc
import io
import json
import logging
import os
import select
import signal
import socket
import sys
import termios
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rnn_tui.serve.ptyproc import get_winsize, readable

log = logging.getLogger("rnn_tui.cli.serve")

SESSION_PY = str(Path(__file__).parent.parent / "cli" / "session.py")
#: The warm process's end of its socket to the server.
CONTROL_FD = 3
#: The largest packet either side sends or accepts.
MAX_MESSAGE = 64 * 1024
#: Interpreter flags a session command may have for a warm process to stand in for it.
_FLAGS = frozenset({"-I", "-B", "-E", "-s", "-S", "-u", "-q"})
_FLAGS_WITH_VALUE = frozenset({"-X", "-W"})
#: Signals the warm process handles or ignores, set back in a child as a fresh
#: interpreter has them (Python's own SIGINT handler; the rest the default).
_CHILD_DEFAULT = tuple(getattr(signal, name) for name in ("SIGCHLD", "SIGTERM", "SIGHUP",
                                                          "SIGWINCH", "SIGUSR1", "SIGUSR2")
                       if hasattr(signal, name))
_PR_SET_CHILD_SUBREAPER = 36
#: ``RNN_TUI_WARM_REHEARSAL=0`` in the server's environment: the warm process does
#: not rehearse a session before it forks any (session.py's ``rehearse``), to compare.
REHEARSAL_ENV = "RNN_TUI_WARM_REHEARSAL"
#: ``RNN_TUI_WARM_FRAME=0``: no session is drawn ahead from the rehearsal's first frame.
FRAME_ENV = "RNN_TUI_WARM_FRAME"
#: Switching to the alternate screen. A terminal on it already may clear it when
#: told again (VTE does: GNOME Terminal and others), so a session drawn ahead
#: does not pass the app's own on.
ALT_SCREEN = "\x1b[?1049h"


@dataclass(frozen=True)
class FirstFrame:
    """A session's first frame, known ahead (the warm process's rehearsal, see
    rnn_tui/cli/session.py): a child whose terminal has this size and whose
    environment has this ``key`` is drawn it at once, before the app starts.

    ``data``: the bytes (the alternate screen, then the picture); ``key_of``
    makes the key of an environment."""

    data: bytes
    size: tuple[int, int]
    key: Hashable
    key_of: Callable[[Mapping[str, str]], Hashable]

    def fits(self, env: Mapping[str, str], size: tuple[int, int]) -> bool:
        return tuple(size) == tuple(self.size) and self.key_of(env) == self.key


#: Leaving the picture drawn ahead: the normal screen, the cursor, line wrap.
LEAVE_AHEAD = "\x1b[?1049l\x1b[?25h\x1b[?7h"


class _DrawnAhead:
    """Whether a session's picture drawn ahead is still waiting for the app."""

    waiting = True

    def leave(self) -> None:
        """At exit, the app never having taken the screen: back to the normal one."""
        if self.waiting:
            self.waiting = False
            try:
                os.write(1, LEAVE_AHEAD.encode())
            except OSError:
                pass


class _AheadStream(io.TextIOWrapper):
    """A standard stream of a session drawn ahead (:class:`FirstFrame`). The
    terminal is on the alternate screen already, showing the app's first frame,
    so the app's own switch to it (Textual's first write) is left out: some
    terminals (VTE: GNOME Terminal and others) would clear the picture. Anything
    else written first (an error message, a traceback: the app did not start)
    goes to the normal screen, where it stays."""

    ahead: _DrawnAhead

    def write(self, text: str) -> int:
        if self.ahead.waiting and text:
            self.ahead.waiting = False
            if text.startswith(ALT_SCREEN):
                return super().write(text[len(ALT_SCREEN):]) + len(ALT_SCREEN)
            super().write(LEAVE_AHEAD)
        return super().write(text)


def warm_command(command: Sequence[str]) -> list[str] | None:
    """The command starting a warm process for sessions that run ``command``.

    ``command`` must be this Python (a few flags allowed) running a script: the
    warm process is this interpreter with the same flags running session.py
    ``--warm SCRIPT ARGS``. None for anything else (it can't stand in for it)."""
    if not command or command[0] != sys.executable:
        return None
    i = 1
    while i < len(command) and command[i].startswith("-"):
        if command[i] in _FLAGS:
            i += 1
        elif command[i] in _FLAGS_WITH_VALUE and i + 1 < len(command):
            i += 2
        else:
            return None
    if i >= len(command) or not command[i].endswith(".py") or not os.path.isfile(command[i]):
        return None
    return [*command[:i], SESSION_PY, "--warm", *command[i:]]


# -- the warm process -----------------------------------------------------------


def _max_fd() -> int:
    try:
        return max(int(os.sysconf("SC_OPEN_MAX")), 256)
    except (OSError, ValueError):  # pragma: no cover
        return 65536


def _send(sock: socket.socket, message: dict, fds: Sequence[int] = ()) -> None:
    data = json.dumps(message, separators=(",", ":")).encode()
    if fds:
        socket.send_fds(sock, [data], list(fds))
    else:
        sock.send(data)


def _reap(sock: socket.socket, children: set[int]) -> None:
    """Reap every child that has exited: first kill what it left in its process
    group (while it is a zombie its id can't be reused), then tell the server."""
    while True:
        try:
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return
        if info is None:
            return
        pid = info.si_pid
        if pid in children:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:  # pragma: no cover
            continue
        if pid in children:
            children.discard(pid)
            try:
                _send(sock, {"op": "exit", "pid": pid, "status": status})
            except OSError:
                pass


def main(argv: list[str], first_frames: Sequence[FirstFrame] = ()) -> int:
    """The warm process: ``session.py --warm SCRIPT ARGS``, its socket on fd 3.

    session.py has imported what SCRIPT needs (for the app itself) by now, and
    rehearsed it: the first of ``first_frames`` a session fits is drawn ahead."""
    if not argv:
        print("rnn-tui: the warm process needs a script to run", file=sys.stderr)
        return 2
    script, args = argv[0], argv[1:]
    try:
        sock = socket.socket(fileno=CONTROL_FD)
    except OSError as exc:
        print(f"rnn-tui: the warm process has no socket: {exc}", file=sys.stderr)
        return 2
    os.set_inheritable(CONTROL_FD, False)
    os.closerange(CONTROL_FD + 1, _max_fd())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server's Ctrl-C is the server's
    try:  # orphans of sessions are ours to reap, not init's
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    gc.collect()
    gc.freeze()  # what is here now is shared with every child: the collector leaves it be
    gc.enable()
    threads = len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else 1
    # (the server is told of every frame a session may be drawn: they fit a packet)
    first_frames = [f for f in first_frames if len(f.data) <= MAX_MESSAGE // 8][:4]
    _send(sock, {"op": "ready", "pid": os.getpid(), "threads": threads,
                 "frames": [[base64.b64encode(f.data).decode(), *f.size]
                            for f in first_frames]})
    children: set[int] = set()
    while True:
        ready, _, _ = select.select([sock.fileno(), wake_r], [], [])
        if wake_r in ready:
            try:
                while os.read(wake_r, 512):
                    pass
            except BlockingIOError:
                pass
            _reap(sock, children)
        if sock.fileno() not in ready:
            continue
        try:
            data, fds, flags, _ = socket.recv_fds(sock, MAX_MESSAGE, 4)
        except OSError:
            return 0
        if not data and not fds:
            return 0  # the server closed its end: it is stopping
        try:
            request = json.loads(data) if not flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC) \
                else None
        except ValueError:
            request = None
        if (not isinstance(request, dict) or request.get("op") != "spawn" or len(fds) != 1):
            for fd in fds:
                os.close(fd)
            rid = request.get("id") if isinstance(request, dict) else None
            if not _answer(sock, {"op": "error", "id": rid, "error": "bad request"}):
                return 0
            continue
        slave = fds[0]
        try:
            pid = os.fork()
        except OSError as exc:
            os.close(slave)
            if not _answer(sock, {"op": "error", "id": request.get("id"), "error": str(exc)}):
                return 0
            continue
        if pid == 0:  # the session
            _child(slave, request, script, args, first_frames)  # never returns
        os.close(slave)
        children.add(pid)
        pidfd = None
        try:
            pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):  # pragma: no cover - old kernel
            pass
        answered = _answer(sock, {"op": "spawned", "id": request.get("id"), "pid": pid},
                           [pidfd] if pidfd is not None else [])
        if pidfd is not None:
            os.close(pidfd)
        if not answered:
            return 0


def _answer(sock: socket.socket, message: dict, fds: Sequence[int] = ()) -> bool:
    """Send ``message``; False if the server is gone (the warm process then exits)."""
    try:
        _send(sock, message, fds)
    except OSError:
        return False
    return True


def _child(slave: int, request: dict, script: str, args: list[str],
           first_frames: Sequence[FirstFrame] = ()) -> None:
    """In the forked child: become the session, run ``script``, never return."""
    code = 1
    ahead: _DrawnAhead | None = None
    try:
        # Signals first: the wakeup fd is about to be closed, and the app may
        # open something under the same number.
        signal.set_wakeup_fd(-1)
        for sig in _CHILD_DEFAULT:
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        # Nothing else: not the socket to the server, not another session's pty.
        os.closerange(3, _max_fd())
        _set_limits(request.get("rlimits") or [])
        env = request.get("env") or {}
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in env.items()})
        size = get_winsize(0)
        frame = next((f for f in first_frames if f.fits(os.environ, size)), None)
        if frame is not None:
            _draw_ahead(frame.data)
            ahead = _DrawnAhead()
        _fresh_process_state(script, args, ahead)
        code = _run(script)
    except SystemExit as exc:
        code = _exit_status(exc)
    except BaseException:  # a fresh interpreter would print it too
        try:
            import traceback

            traceback.print_exc()
        except BaseException:  # pragma: no cover
            pass
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:  # noqa: S110 - exiting anyway
                pass
        if ahead is not None:  # the app never took the screen: not left on the picture
            ahead.leave()
        os._exit(code)


def _exit_status(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    try:
        print(exc.code, file=sys.stderr)
    except BaseException:  # pragma: no cover
        pass
    return 1


def _set_limits(rlimits: list) -> None:
    import resource

    for res, soft, hard in rlimits:
        _, own_hard = resource.getrlimit(res)
        if own_hard != resource.RLIM_INFINITY:
            soft, hard = min(soft, own_hard), min(hard, own_hard)
        resource.setrlimit(res, (soft, hard))


def _draw_ahead(data: bytes) -> None:
    """Write the first frame on the pty now, before the app starts. Echo and
    line editing go off first, as the app turns them off: a key typed at the
    picture waits for the app (queued in the pty), not echoed over it."""
    attrs = termios.tcgetattr(0)
    attrs[3] &= ~(termios.ECHO | termios.ICANON)
    termios.tcsetattr(0, termios.TCSANOW, attrs)
    view = memoryview(data)
    while view:
        view = view[os.write(1, view):]


def _fresh_process_state(script: str, args: list[str], ahead: _DrawnAhead | None = None,
                         ) -> None:
    """What a new interpreter would have, for what the warm one made already
    (``ahead``: its first frame was drawn ahead, see :class:`_AheadStream`)."""
    import locale
    import random
    import tempfile

    # Standard streams on the pty, buffered as Python buffers a terminal.
    utf8 = sys.flags.utf8_mode
    enc = "utf-8" if utf8 else locale.getpreferredencoding(False)
    out = io.TextIOWrapper if ahead is None else _AheadStream
    streams = {
        "stdin": io.TextIOWrapper(open(0, "rb", closefd=False), encoding=enc,
                                  errors="surrogateescape"),
        "stdout": out(open(1, "wb", closefd=False), encoding=enc,
                      errors="surrogateescape", line_buffering=True),
        "stderr": out(open(2, "wb", closefd=False), encoding=enc, errors="backslashreplace",
                      line_buffering=True, write_through=True),
    }
    for stream in (streams["stdout"], streams["stderr"]):
        if isinstance(stream, _AheadStream) and ahead is not None:
            stream.ahead = ahead
    for name, stream in streams.items():
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)
    _coerce_c_locale(locale)
    tempfile.tempdir = None  # cached from the warm process's TMPDIR
    random.seed()  # (os.fork does this too)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()  # the global RandomState: each session its own
    sys.argv = [script, *args]


def _coerce_c_locale(locale) -> None:
    """The character-type locale from the environment, as a new interpreter sets
    it, coercing the C locale to a UTF-8 one (PEP 538) and saying so in LC_CTYPE,
    as it does: with a ``LANG`` this machine has no locale for, a session sees
    ``LC_CTYPE=C.UTF-8`` either way."""
    try:
        current = locale.setlocale(locale.LC_CTYPE, "")
    except locale.Error:  # a locale not installed here: the C locale
        current = locale.setlocale(locale.LC_CTYPE, "C")
    if current not in ("C", "POSIX") or os.environ.get("LC_ALL"):
        return
    for target in ("C.UTF-8", "C.utf8", "UTF-8"):
        try:
            locale.setlocale(locale.LC_CTYPE, target)
        except locale.Error:
            continue
        os.environ["LC_CTYPE"] = target
        return


def _run(script: str) -> int:
    """Run ``script`` as ``python SCRIPT ARGS`` would (sys.argv is set already)."""
    import runpy

    if not sys.flags.isolated and not getattr(sys.flags, "safe_path", 0) and sys.path:
        sys.path[0] = os.path.dirname(os.path.abspath(script))
    runpy.run_path(script, run_name="__main__")
    return 0


# -- the server's side ----------------------------------------------------------


class WarmLost(OSError):
    """The warm process was lost while it held a session's pty, unanswered."""


#: Called with a session's wait status, or None if the warm process died first.
ExitCallback = Callable[[int | None], None]


class WarmProcess:
    """The server's handle on its warm process (see the module's docstring)."""

    def __init__(self, command: Sequence[str], *, spawn_timeout: float = 2.0,
                 restart_delay: float = 1.0, max_restart_delay: float = 30.0,
                 first_restart_delay: float = 0.0) -> None:
        self.command = list(command)
        self.spawn_timeout = spawn_timeout
        #: After a warm process that was up dies, the next starts this much later;
        #: one that dies before it is up, ``restart_delay`` doubled each time.
        self.first_restart_delay = first_restart_delay
        self.restart_delay = restart_delay
        self.max_restart_delay = max_restart_delay
        self.pid: int | None = None
        self.ready = False
        self.closed = False
        #: The first frames the warm process draws ahead in sessions they fit,
        #: with their terminal's size (columns, rows); the first is the default
        #: terminal's (``first_frame``: None if none).
        self.first_frames: list[tuple[bytes, tuple[int, int]]] = []
        #: Times the warm process was started, and sessions it forked.
        self.starts = 0
        self.spawned = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sock: socket.socket | None = None
        self._pidfd: int | None = None
        self._next_id = 0
        self._watchers: dict[int, ExitCallback] = {}
        self._failures = 0  # deaths in a row before it got ready
        self._was_ready = False
        self._restart: asyncio.TimerHandle | None = None
        self._ready_waiters: list[asyncio.Future] = []
        self._exited: asyncio.Future | None = None

    @classmethod
    def for_command(cls, command: Sequence[str], **kwargs) -> WarmProcess | None:
        warm = warm_command(command)
        return None if warm is None else cls(warm, **kwargs)

    # -- life ------------------------------------------------------------------

    def start(self) -> None:
        """Start the warm process (ready a moment later: :meth:`wait_ready`)."""
        from rnn_tui.serve.sshd import session_env

        self._loop = asyncio.get_running_loop()
        if self.closed or self.pid is not None:
            return
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            if theirs.fileno() == CONTROL_FD:  # dup2 onto itself would keep close-on-exec
                moved = socket.socket(fileno=os.dup(theirs.fileno()))
                theirs.close()
                theirs = moved
            # The environment of a session, so that what Textual and NumPy read at
            # import (TEXTUAL_*, thread counts) is what a session would read.
            env = session_env(None, None, "/nonexistent")
            for name in (REHEARSAL_ENV, FRAME_ENV):  # to compare: without
                if os.environ.get(name) == "0":
                    env[name] = "0"
            pid = os.posix_spawn(
                self.command[0], self.command, env,
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                    (os.POSIX_SPAWN_DUP2, theirs.fileno(), CONTROL_FD),
                ],
                setsid=True,  # not in the teacher's terminal's process group
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.pid = pid
        self.starts += 1
        self._was_ready = False
        self._exited = self._loop.create_future()
        ours.setblocking(False)
        self._sock = ours
        self._loop.add_reader(ours.fileno(), self._readable)
        try:
            self._pidfd = os.pidfd_open(pid)
            self._loop.add_reader(self._pidfd, self._warm_exited)
        except (AttributeError, OSError):  # pragma: no cover - not Linux
            self._pidfd = None
        log.info("warm process %d starting", pid)

    async def wait_ready(self, timeout: float = 30.0) -> bool:
        if self.ready:
            return True
        fut = asyncio.get_running_loop().create_future()
        self._ready_waiters.append(fut)
        try:
            return await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            return False
        finally:
            if fut in self._ready_waiters:
                self._ready_waiters.remove(fut)

    async def close(self, grace: float = 2.0) -> None:
        """Stop it (it exits when its socket closes); SIGKILL after ``grace``."""
        self.closed = True
        if self._restart is not None:
            self._restart.cancel()
            self._restart = None
        pid, exited = self.pid, self._exited
        self._lost("the server is stopping")
        if pid is None or exited is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(exited), grace)
        except asyncio.TimeoutError:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            await asyncio.wait_for(asyncio.shield(exited), 5)

    @property
    def first_frame(self) -> bytes | None:
        """The first frame drawn ahead for the default terminal (80x24,
        xterm-256color, no COLORTERM), if any."""
        return self.first_frames[0][0] if self.first_frames else None

    def kill(self) -> None:
        """SIGKILL it (tests; it is started again)."""
        if self.pid is not None:
            os.kill(self.pid, signal.SIGKILL)

    # -- sessions ----------------------------------------------------------------

    def spawn(self, slave: int, env: Mapping[str, str],
              rlimits: Mapping[int, tuple[int, int]], on_exit: ExitCallback,
              ) -> tuple[int, int | None] | None:
        """Fork a session on ``slave`` (the caller keeps and closes it).

        ``(pid, pidfd)``; None if the warm process is not up (start the session
        the old way); WarmLost if it was sent the pty but was lost before it
        answered (start the session the old way, on a new pty: it may yet
        have forked a child on that one). ``on_exit`` gets the wait status
        later (from the loop, never from within this call)."""
        if not self.ready or self._sock is None:
            return None
        self._next_id += 1
        rid = self._next_id
        request = {"op": "spawn", "id": rid, "env": dict(env),
                   "rlimits": [[res, soft, hard] for res, (soft, hard) in rlimits.items()]}
        try:
            _send(self._sock, request, [slave])
        except (BlockingIOError, InterruptedError):
            return None  # its socket is full: it is behind, don't wait for it
        except OSError:
            self._lost("its socket closed")
            return None  # not sent
        deadline = time.monotonic() + self.spawn_timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or self._sock is None:
                break
            if not readable(self._sock.fileno(), left):
                break
            answer: tuple[dict, list[int]] | None = None
            for message, fds in self._receive():
                if answer is None and message.get("id") == rid:
                    answer = message, fds
                else:  # every other packet read with it too (exit statuses)
                    self._dispatch(message, fds)
            if answer is None:
                continue
            message, fds = answer
            if message.get("op") == "spawned" and isinstance(message.get("pid"), int):
                pid = message["pid"]
                self._watchers[pid] = on_exit
                self.spawned += 1
                return pid, (fds[0] if fds else None)
            for fd in fds:
                os.close(fd)
            log.warning("warm process could not fork a session: %s",
                        str(message.get("error"))[:200])
            return None
        if self._sock is not None:
            # No answer in time: it is stuck. It may still fork a child on this
            # pty, so the caller starts the session on a new one, and this warm
            # process is ended (another is started).
            log.warning("warm process %s did not answer in %.1fs: ending it", self.pid,
                        self.spawn_timeout)
            self._lost("it did not answer")
            if self.pid is not None:
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        raise WarmLost("the warm process was lost with the session's pty")

    # -- messages ----------------------------------------------------------------

    def _receive(self) -> list[tuple[dict, list[int]]]:
        """Every packet waiting on the socket, parsed (EOF: the process is lost)."""
        out: list[tuple[dict, list[int]]] = []
        while self._sock is not None:
            try:
                data, fds, flags, _ = socket.recv_fds(self._sock, MAX_MESSAGE, 2)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                self._lost(f"its socket failed: {exc}")
                break
            if not data and not fds:
                self._lost("its socket closed")
                break
            try:
                message = json.loads(data)
            except ValueError:
                message = None
            if not isinstance(message, dict) or flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
                for fd in fds:
                    os.close(fd)
                continue
            out.append((message, fds))
        return out

    def _readable(self) -> None:
        for message, fds in self._receive():
            self._dispatch(message, fds)

    def _dispatch(self, message: dict, fds: list[int]) -> None:
        op = message.get("op")
        for fd in fds:
            os.close(fd)
        if op == "ready":
            self.ready = True
            self._was_ready = True
            self._failures = 0
            self.first_frames = []
            frames = message.get("frames")
            for entry in frames if isinstance(frames, list) else []:
                try:
                    data, cols, rows = entry
                    self.first_frames.append((base64.b64decode(data, validate=True),
                                              (int(cols), int(rows))))
                except (ValueError, TypeError):
                    continue
            threads = message.get("threads", 1)
            if threads != 1:
                log.warning("warm process has %s threads (forking it is unsafe): not used",
                            threads)
                self.ready = False
            if self.first_frames:
                log.info("warm process %s ready (first frames drawn ahead: %s)", self.pid,
                         ", ".join(f"{c}x{r} {len(d)} bytes" for d, (c, r) in self.first_frames))
            else:
                log.info("warm process %s ready", self.pid)
            for fut in self._ready_waiters:
                if not fut.done():
                    fut.set_result(self.ready)
        elif op == "exit":
            pid, status = message.get("pid"), message.get("status")
            callback = self._watchers.pop(pid, None) if isinstance(pid, int) else None
            if callback is not None and isinstance(status, int):
                assert self._loop is not None
                self._loop.call_soon(callback, status)

    # -- death and restart -------------------------------------------------------

    def _close_socket(self) -> None:
        if self._sock is not None:
            if self._loop is not None:
                self._loop.remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None
        self.ready = False

    def _lost(self, why: str) -> None:
        """The warm process is gone or unusable: its sessions go on without it."""
        if self._sock is None:
            return
        if not self.closed:
            log.warning("warm process %s lost (%s); sessions start the old way meanwhile",
                        self.pid, why)
        self._close_socket()
        watchers, self._watchers = self._watchers, {}
        assert self._loop is not None
        for callback in watchers.values():
            self._loop.call_soon(callback, None)
        if self.pid is not None and self._pidfd is None:  # pragma: no cover - no pidfd
            self._kill_and_reap()

    def _warm_exited(self) -> None:
        assert self._loop is not None and self._pidfd is not None
        # Its last messages (exit statuses) first.
        if self._sock is not None:
            self._readable()
        self._loop.remove_reader(self._pidfd)
        os.close(self._pidfd)
        self._pidfd = None
        self._kill_and_reap()
        self._lost("it exited")

    def _kill_and_reap(self) -> None:
        pid, self.pid = self.pid, None
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:  # pragma: no cover
            status = 0
        if self._exited is not None and not self._exited.done():
            self._exited.set_result(status)
        if self.closed:
            return
        if self._was_ready:  # it had been working: another one now
            delay = self.first_restart_delay
        else:  # it dies young: wait longer each time
            self._failures += 1
            delay = min(self.max_restart_delay, self.restart_delay * 2 ** (self._failures - 1))
        log.warning("warm process %d ended (status %d); starting another in %gs",
                    pid, status, delay)
        assert self._loop is not None
        self._restart = self._loop.call_later(delay, self._restart_now)

    def _restart_now(self) -> None:
        self._restart = None
        if self.closed:
            return
        try:
            self.start()
        except OSError as exc:
            log.error("can't start the warm process: %s", exc)
            self._failures += 1
            assert self._loop is not None
            self._restart = self._loop.call_later(self.max_restart_delay, self._restart_now)


def zombie_exit_status(pid: int) -> int | None:
    """The wait status of ``pid`` while it is a zombie not ours to reap (from
    /proc/PID/stat), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if not fields or fields[0] != "Z" or len(fields) < 50:
        return None
    try:
        return int(fields[49])
    except ValueError:  # pragma: no cover
        return None


