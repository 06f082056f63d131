"""One child process on its own pseudo-terminal, driven from an asyncio loop.

``rnn-tui serve`` runs one app process per SSH session (Textual binds to its
own process's terminal and SIGWINCH). :class:`PtyProcess` owns the pty master:
it forwards output to a callback, buffers input without blocking the loop,
resizes the terminal, and ends and reaps the child.

The child is started with :func:`os.posix_spawnp` (``setsid`` then opening the
pty slave by name), so the pty becomes its controlling terminal: a resize
(TIOCSWINSZ) sends it SIGWINCH and a hangup sends it SIGHUP, as for a login.
Its exit is noticed through a pidfd (Linux) or, elsewhere, by polling.

Given a :class:`rnn_tui.serve.warm.WarmProcess` that is up, the child is forked
from it instead (same pty set-up, same environment and limits, no interpreter
to start); the warm process is its parent, and reports its wait status. If the
warm process dies first, the exit is noticed through the pidfd it handed over.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import math
import os
import resource
import select
import signal
import struct
import termios
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rnn_tui.serve.warm import WarmProcess

READ_SIZE = 65536
#: Input queued for the child above which the caller should stop reading.
INPUT_HIGH_WATER = 64 * 1024

# Dispositions reset to default in the child (Python ignores SIGPIPE and
# SIGXFSZ; the server has handlers for SIGINT/SIGTERM).
_DEFAULT_SIGNALS = tuple(
    getattr(signal, name)
    for name in ("SIGPIPE", "SIGXFSZ", "SIGINT", "SIGTERM", "SIGHUP", "SIGWINCH", "SIGCHLD")
    if hasattr(signal, name)
)


def exit_code(status: int) -> int:
    """A wait status as a shell-style exit code (128 + N for signal N)."""
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def set_winsize(fd: int, cols: int, rows: int, px_width: int = 0, px_height: int = 0) -> None:
    px_width, px_height = (min(max(int(v), 0), 0xFFFF) for v in (px_width, px_height))
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, px_width, px_height))


def get_winsize(fd: int) -> tuple[int, int]:
    """(cols, rows) of a terminal."""
    rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, bytes(8)))
    return cols, rows


def readable(fd: int, timeout: float = 0.0) -> bool:
    """Whether ``fd`` is readable within ``timeout`` seconds (poll: any fd number)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(max(0, math.ceil(timeout * 1000))))


def clamp_size(value: int, default: int) -> int:
    """A terminal dimension a client sent, kept to something sane."""
    if not isinstance(value, int) or value <= 0:
        return default
    return min(value, 1000)


class PtyProcess:
    """A child process on a new pty.

    ``on_output(bytes)`` gets everything the child writes; ``on_exit(code)`` is
    called once, after the child is reaped and its last output delivered.
    """

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        *,
        cols: int = 80,
        rows: int = 24,
        on_output: Callable[[bytes], None],
        on_exit: Callable[[int], None],
        on_input_drained: Callable[[], None] | None = None,
        rlimits: Mapping[int, tuple[int, int]] | None = None,
        warm: WarmProcess | None = None,
    ) -> None:
        self.argv = list(argv)
        self.env = dict(env)
        self.cols, self.rows = clamp_size(cols, 80), clamp_size(rows, 24)
        self._on_output = on_output
        self._on_exit = on_exit
        self._on_input_drained = on_input_drained
        self.rlimits = dict(rlimits or {})
        self.warm = warm
        #: Forked from the warm process (not our child: it reports the exit).
        self.forked = False
        self._loop = asyncio.get_running_loop()
        self.pid: int | None = None
        self.returncode: int | None = None
        self._master: int | None = None
        self._pidfd: int | None = None
        self._poll: asyncio.TimerHandle | None = None
        self._kill: asyncio.TimerHandle | None = None
        self._reading = False
        self._paused = False
        self._inbuf = bytearray()
        self._writing = False
        self._exited = asyncio.get_running_loop().create_future()

    # -- start ---------------------------------------------------------------

    def start(self) -> None:
        master, slave = os.openpty()
        try:
            set_winsize(slave, self.cols, self.rows)
            if self.warm is not None:
                from rnn_tui.serve.warm import WarmLost

                try:
                    forked = self._fork_from_warm(slave)
                except WarmLost:  # it may have a child on this pty: a new one for ours
                    os.close(master)
                    os.close(slave)
                    master = slave = -1
                    master, slave = os.openpty()
                    set_winsize(slave, self.cols, self.rows)
                    forked = False
                if forked:
                    os.set_blocking(master, False)
                    self._master = master
                    self._resume_reading()
                    return
            tty_name = os.ttyname(slave)
            self.pid = os.posix_spawnp(
                self.argv[0],
                self.argv,
                self.env,
                file_actions=[
                    # Opened after setsid, without O_NOCTTY: the controlling tty.
                    (os.POSIX_SPAWN_OPEN, 0, tty_name, os.O_RDWR, 0),
                    (os.POSIX_SPAWN_DUP2, 0, 1),
                    (os.POSIX_SPAWN_DUP2, 0, 2),
                ],
                setsid=True,
                setsigdef=_DEFAULT_SIGNALS,
                setsigmask=(),
            )
        except BaseException:
            if master >= 0:
                os.close(master)
            raise
        finally:
            if slave >= 0:
                os.close(slave)
        try:
            self._apply_rlimits()
        except BaseException:
            os.close(master)
            self._signal_group(signal.SIGKILL)
            os.waitpid(self.pid, 0)
            raise
        os.set_blocking(master, False)
        self._master = master
        self._resume_reading()
        try:
            self._pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):
            self._poll = self._loop.call_later(0.2, self._poll_exit)
        else:
            self._loop.add_reader(self._pidfd, self._child_exited)

    def _fork_from_warm(self, slave: int) -> bool:
        """Have the warm process fork the child on ``slave``; False if it can't now."""
        if self.warm is None:
            return False
        started = self.warm.spawn(slave, self.env, self.rlimits, self._warm_exit)
        if started is None:
            return False
        self.pid, self._pidfd = started
        self.forked = True
        return True

    def _warm_exit(self, status: int | None) -> None:
        """The warm process reaped the child (``status``), or died first (None)."""
        if self.returncode is not None:
            return
        if status is not None:
            self._finish(exit_code(status))
        elif self._pidfd is not None:  # an orphan now: its exit is still seen
            self._loop.add_reader(self._pidfd, self._orphan_exited)
        else:  # pragma: no cover - no pidfd: nothing tells us when it ends
            self._finish(255)

    def _orphan_exited(self) -> None:
        from rnn_tui.serve.warm import zombie_exit_status

        assert self.pid is not None
        status = zombie_exit_status(self.pid)
        if status is not None:  # still a zombie, so its id is still its own
            self._signal_group(signal.SIGKILL, force=True)  # what it left behind
        self._finish(255 if status is None else exit_code(status))

    def _apply_rlimits(self) -> None:
        """Set the child's resource limits (``prlimit``: posix_spawn can't).

        The child is then still starting its interpreter, before it runs any of
        the app. A limit is never raised above the server's own hard limit."""
        assert self.pid is not None
        if self.rlimits and not hasattr(resource, "prlimit"):  # pragma: no cover - not Linux
            raise OSError("can't set a session's resource limits on this system")
        for res, (soft, hard) in self.rlimits.items():
            _, own_hard = resource.getrlimit(res)
            if own_hard != resource.RLIM_INFINITY:
                soft, hard = min(soft, own_hard), min(hard, own_hard)
            try:
                resource.prlimit(self.pid, res, (soft, hard))
            except ProcessLookupError:  # it already exited: nothing to limit
                return

    @property
    def running(self) -> bool:
        return self.pid is not None and self.returncode is None

    # -- output --------------------------------------------------------------

    def _resume_reading(self) -> None:
        if self._master is not None and not self._reading and not self._paused:
            self._loop.add_reader(self._master, self._read_ready)
            self._reading = True

    def _stop_reading(self) -> None:
        if self._reading and self._master is not None:
            self._loop.remove_reader(self._master)
        self._reading = False

    def pause_output(self) -> None:
        """Stop reading the child's output (the SSH channel is full)."""
        self._paused = True
        self._stop_reading()

    def resume_output(self) -> None:
        self._paused = False
        self._resume_reading()

    def _read_ready(self) -> None:
        assert self._master is not None  # the reader is removed before the fd is closed
        try:
            data = os.read(self._master, READ_SIZE)
        except BlockingIOError:
            return
        except OSError:  # EIO: every slave fd is closed, the child is (nearly) gone
            data = b""
        if data:
            self._on_output(data)
        else:
            self._stop_reading()

    def _drain_output(self) -> None:
        """Deliver whatever the child wrote before it exited."""
        if self._master is None:
            return
        while True:
            try:
                data = os.read(self._master, READ_SIZE)
            except OSError:
                return
            if not data:
                return
            self._on_output(data)

    # -- input ---------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Queue input for the child; never blocks."""
        if self._master is None or not data:
            return
        self._inbuf += data
        if not self._writing:
            self._write_ready()

    @property
    def input_backlog(self) -> int:
        return len(self._inbuf)

    def _write_ready(self) -> None:
        if self._master is None:
            return
        while self._inbuf:
            try:
                n = os.write(self._master, self._inbuf)
            except BlockingIOError:
                break
            except OSError:
                self._inbuf.clear()
                break
            del self._inbuf[:n]
        if self._inbuf and not self._writing:
            self._loop.add_writer(self._master, self._write_ready)
            self._writing = True
        elif not self._inbuf:
            if self._writing:
                self._loop.remove_writer(self._master)
                self._writing = False
            if self._on_input_drained is not None:
                self._on_input_drained()

    # -- resize --------------------------------------------------------------

    def resize(self, cols: int, rows: int, px_width: int = 0, px_height: int = 0) -> None:
        """Set the terminal size; the kernel sends the child SIGWINCH."""
        cols, rows = clamp_size(cols, self.cols), clamp_size(rows, self.rows)
        self.cols, self.rows = cols, rows
        if self._master is not None and self.running:
            set_winsize(self._master, cols, rows, px_width, px_height)

    # -- end -----------------------------------------------------------------

    def terminate(self, grace: float = 2.0) -> None:
        """SIGHUP and SIGTERM the child's session now, SIGKILL after ``grace``."""
        if not self.running:
            return
        self._signal_group(signal.SIGHUP)
        self._signal_group(signal.SIGTERM)
        if self._kill is None:
            self._kill = self._loop.call_later(grace, self._signal_group, signal.SIGKILL)

    def kill(self) -> None:
        if self.running:
            self._signal_group(signal.SIGKILL)

    def _signal_group(self, sig: int, force: bool = False) -> None:
        if self.pid is None or self.returncode is not None:
            return
        if self.forked and not force and self._pidfd is not None and readable(self._pidfd):
            # Not our child: once it has exited, the warm process may reap it
            # at any moment (and ends its group itself).
            return
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass
        except PermissionError:  # pragma: no cover - group gone and id reused
            pass

    async def wait(self) -> int:
        return await asyncio.shield(self._exited)

    def _poll_exit(self) -> None:
        self._poll = None
        if self._reap(os.WNOHANG):
            return
        self._poll = self._loop.call_later(0.2, self._poll_exit)

    def _child_exited(self) -> None:
        self._reap(0)

    def _reap(self, flags: int) -> bool:
        assert self.pid is not None
        # The child is a zombie (pidfd readable) so its id can't be reused yet:
        # kill anything it left behind in its process group, then reap it.
        if flags == 0:
            self._signal_group(signal.SIGKILL)
        try:
            pid, status = os.waitpid(self.pid, flags)
        except ChildProcessError:  # reaped by someone else
            pid, status = self.pid, 255 << 8
        if pid == 0:
            return False
        self._finish(exit_code(status))
        return True

    def _finish(self, code: int) -> None:
        self.returncode = code
        for handle in (self._kill, self._poll):
            if handle is not None:
                handle.cancel()
        self._kill = self._poll = None
        if self._pidfd is not None:
            self._loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = None
        self._drain_output()
        self._close_master()
        if not self._exited.done():
            self._exited.set_result(code)
        self._on_exit(code)

    def _close_master(self) -> None:
        if self._master is None:
            return
        self._stop_reading()
        if self._writing:
            self._loop.remove_writer(self._master)
            self._writing = False
        self._inbuf.clear()
        try:
            os.close(self._master)
        except OSError as exc:  # pragma: no cover
            if exc.errno != errno.EBADF:
                raise
        self._master = None
