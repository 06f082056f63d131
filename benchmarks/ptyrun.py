"""Run a program on a real pseudo-terminal and watch what it writes.

Used for start-up time, bytes per step and peak RSS. POSIX only.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import termios
import time
from collections.abc import Sequence

#: Keys as a terminal sends them.
KEYS = {
    "right": b"\x1b[C",
    "left": b"\x1b[D",
    "home": b"\x1b[H",
    "end": b"\x1b[F",
    "L": b"L",
    "q": b"q",
    "b": b"b",
    "ctrl+l": b"\x0c",
}


#: Textual asks whether the terminal has synchronized output (DECRQM, mode 2026) ...
SYNC_QUERY = b"\x1b[?2026$p"
#: ... and a terminal that has it answers: set (1) or reset (2), i.e. known.
SYNC_SUPPORTED = b"\x1b[?2026;2$y"
#: The end of a frame written in synchronized output.
SYNC_END = b"\x1b[?2026l"


class PtyProcess:
    """A child process whose stdin, stdout and stderr are a pty of the given size."""

    def __init__(self, argv: Sequence[str], size: tuple[int, int] = (80, 24),
                 env: dict[str, str] | None = None, cwd: str | None = None,
                 resizable: bool = False, sync: bool = False) -> None:
        """``resizable``: the size is the pty's only, not also COLUMNS and LINES
        (which a program would believe over the pty after a :meth:`resize`).
        ``sync``: answer the program's question whether the terminal has
        synchronized output (DECRQM 2026) with yes, so Textual brackets each frame
        with ``ESC[?2026h`` ... ``ESC[?2026l`` and :meth:`read_frame` sees where a
        frame ends (tests; the benchmarks measure bytes without those markers)."""
        cols, rows = size
        env = dict(os.environ if env is None else env)
        env["TERM"] = "xterm-256color"
        env["COLUMNS"], env["LINES"] = str(cols), str(rows)
        if resizable:
            del env["COLUMNS"], env["LINES"]
        for name in ("TEXTUAL", "TEXTUAL_DEVTOOLS", "NO_COLOR", "COLORTERM"):
            env.pop(name, None)
        self.start = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # the child
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                if cwd:
                    os.chdir(cwd)
                os.execvpe(argv[0], list(argv), env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.data = bytearray()
        self.last_chunk_at = self.start
        self.returncode: int | None = None
        self.sync = sync
        self._asked = 0  # where to look next for the synchronized-output question

    # reading -----------------------------------------------------------------
    def _read(self, timeout: float) -> bytes | None:
        """One chunk, b"" at end of file, None on timeout."""
        ready, _, _ = select.select([self.fd], [], [], max(timeout, 0.0))
        if not ready:
            return None
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return b""
        if chunk:
            self.data.extend(chunk)
            self.last_chunk_at = time.perf_counter()
            if self.sync:
                self._answer_sync_query()
        return chunk

    def _answer_sync_query(self) -> None:
        at = self.data.find(SYNC_QUERY, max(self._asked - len(SYNC_QUERY), 0))
        self._asked = len(self.data)
        if at >= 0:
            os.write(self.fd, SYNC_SUPPORTED)

    def read_until(self, marker: bytes, timeout: float = 30.0) -> None:
        """Read until ``marker`` has been written (anywhere since the start)."""
        deadline = time.perf_counter() + timeout
        while marker not in self.data:
            chunk = self._read(deadline - time.perf_counter())
            if chunk is None or chunk == b"":
                tail = bytes(self.data[-400:]).decode("utf-8", "replace")
                raise RuntimeError(f"{marker!r} not seen (output ends with {tail!r})")

    def read_until_quiet(self, quiet: float = 0.15, first: float = 2.0) -> bytes:
        """What is written from now until ``quiet`` seconds pass with no output.

        Waits up to ``first`` seconds for the first byte.
        """
        begin = len(self.data)
        chunk = self._read(first)
        while chunk:
            chunk = self._read(quiet)
        return bytes(self.data[begin:])

    def read_frame(self, first: float = 2.0, settle: float = 0.05,
                   quiet: float = 0.2) -> bytes:
        """What one input makes the program write: from now until a frame has
        ended (``ESC[?2026l``, with ``sync``) and ``settle`` seconds pass with no
        more output; without a frame end seen, until ``quiet`` seconds pass.

        Waits up to ``first`` seconds for the first byte.
        """
        begin = len(self.data)
        chunk = self._read(first)
        while chunk:
            ended = self.sync and SYNC_END in self.data[max(begin, len(self.data) - 4096):]
            chunk = self._read(settle if ended else quiet)
        return bytes(self.data[begin:])

    # the process -------------------------------------------------------------
    def send(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def resize(self, size: tuple[int, int]) -> None:
        """Resize the terminal (the child gets SIGWINCH, as from a terminal window)."""
        cols, rows = size
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def peak_rss(self) -> int:
        """The child's peak resident set size so far, in bytes (Linux /proc)."""
        with open(f"/proc/{self.pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError("VmHWM not in /proc/PID/status")

    def close(self, quit_keys: bytes = b"q", timeout: float = 10.0) -> int:
        """Ask the program to quit, drain its output, reap it (kill it if it hangs)."""
        try:
            self.send(quit_keys)
        except OSError:
            pass
        deadline = time.perf_counter() + timeout
        while self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
                break
            if time.perf_counter() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                _, status = os.waitpid(self.pid, 0)
                self.returncode = os.waitstatus_to_exitcode(status)
                break
            self._read(0.05)
        os.close(self.fd)
        return self.returncode
