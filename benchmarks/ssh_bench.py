"""Benchmark ``rnn-tui serve``: N students stepping at once over loopback SSH.

Not a test. Starts the real server (``python -m rnn_tui serve --no-auth`` on a
free port, real app sessions), opens N sessions with asyncssh's client (80x24,
xterm-256color), waits until every stepper is up, then has each session press
``--steps`` keys (Right x10, Left x10, ... so every press changes the screen).

For every press it records
  * first byte: key sent -> first byte of the repaint received,
  * update:     key sent -> last byte of the repaint received (the output
                then stays quiet for ``--quiet`` ms),
and reports median and p95 over all presses, plus the total memory of the
server and its session processes (RSS summed, and PSS, which counts shared
pages once). Prints a Markdown table.

    python benchmarks/ssh_bench.py                  # N = 10 and 40, students think 0.3-1.0 s
    python benchmarks/ssh_bench.py --think 0        # everyone presses as fast as they can
    python benchmarks/ssh_bench.py --sessions 40 --steps 50
    python benchmarks/ssh_bench.py --sessions 200 --max-sessions 200   # scale

Burst mode (``--burst N``, issue 17): how long a class waits when everyone
connects in the same second. In one run of the server it times one login alone
(connect -> the first frame's status line, median of ``--alone``), then N
logins started at once (each from the same start), and reads every session
process's PSS from /proc/PID/smaps_rollup with all N up. It does this for
sessions forked from the warm process and, with ``--compare``, for sessions
started as new processes (``rnn-tui serve --no-warm``).

    python -m benchmarks.ssh_bench --burst 40 --compare

``--floor`` adds the floor: the same burst against the same server (sessions
forked from its warm process) where a session does the least possible: it
writes a fixed first frame of the same size (with the status line's ``t = 0``)
and answers each key with a fixed update. What is left is the SSH handshakes
of N real clients and the server's work, on the same CPUs.

    python -m benchmarks.ssh_bench --burst 40 --floor     # the floor, then the app forked

Each login also times "ready": one key (Right) sent as soon as the first frame
is in, to its answer on the screen (READY_MARK; the floor answers at once).
The first frame may be drawn ahead by the warm process (before the app runs);
ready is the app's own answer.

``--no-frame`` adds a run whose warm process draws no first frame ahead
(``RNN_TUI_WARM_FRAME=0``), ``--no-rehearsal`` one whose warm process does not
rehearse a session either (``RNN_TUI_WARM_REHEARSAL=0``), to compare:

    python -m benchmarks.ssh_bench --burst 40 --floor --no-frame --no-rehearsal --compare

``--client openssh`` logs in with OpenSSH's client instead, as students do: an
``ssh -tt`` process each, on its own pty (80x24, TERM=xterm-256color), all
spawned behind one gate and started together by opening it; each login is timed
from its ssh's start, its pty read as bytes arrive (a marker searched, nothing
parsed). The default stays asyncssh's client, so the figures so far compare:
its N clients are one Python process that does N key exchanges and decrypts N
streams in turn, so the last of N also waits for the harness. ``--client
asyncssh openssh`` runs each configuration with each client in turn (an A/B in
one invocation):

    python -m benchmarks.ssh_bench --burst 40 --floor --client openssh asyncssh

The clients run on the same machine and share its CPUs with the server; the
table says the CPU the burst took to its last ready, the server's SSH work and
the clients' (this process, and every ssh). OpenSSH's clients take about 4x
asyncssh's (8-9 ms a login against 2-3: a process each, exec, libcrypto), and
each of its logins alone waits about 45 ms for nothing: ssh writes NEWKEYS and
SERVICE_REQUEST as two segments before it sets TCP_NODELAY, so Nagle holds the
second until the server's delayed ACK (40 ms); asyncssh's client (asyncio) sets
TCP_NODELAY at once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import os
import random
import re
import shutil
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time

import asyncssh

RIGHT, LEFT = b"\x1b[C", b"\x1b[D"
#: In the app's answer to the first Right (its explanation: "... A one-hot vector
#: times a matrix picks a row"). Not ``t = 1``: only the cells that change are
#: written, so the status line's answer is the single character ``1``.
READY_MARK = b"one-hot"


def keys(steps: int) -> list[bytes]:
    out = []
    while len(out) < steps:
        out += [RIGHT] * 10 + [LEFT] * 10
    return out[:steps]


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def proc_tree(root: int) -> list[int]:
    """``root`` and all its descendants (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += parents.get(pid, [])
    return out


def memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


class Client(asyncssh.SSHClientSession):
    def __init__(self) -> None:
        self.tail = b""
        self.first: float | None = None
        self.last = 0.0
        self.bytes = 0
        self.got = asyncio.Event()
        self.closed = asyncio.Event()

    def data_received(self, data: bytes, datatype) -> None:
        now = time.perf_counter()
        if self.first is None:
            self.first = now
        self.last = now
        self.bytes += len(data)
        self.tail = (self.tail + data)[-8192:]
        self.got.set()

    def connection_lost(self, exc) -> None:
        self.closed.set()
        self.got.set()


class Student:
    def __init__(self, port: int, args) -> None:
        self.port = port
        self.args = args
        self.began = self.framed = self.answered = 0.0
        self.pid: int | None = None
        self.first_byte: list[float] = []
        self.update: list[float] = []
        self.step_bytes: list[int] = []

    async def connect(self, on_frame=None) -> None:
        self.began = time.perf_counter()
        self.conn = await asyncssh.connect(
            "127.0.0.1", self.port, known_hosts=None, username="student",
            client_keys=None, agent_path=None)
        self.chan, self.session = await self.conn.create_session(
            Client, term_type="xterm-256color", term_size=(80, 24), encoding=None)
        t0 = time.perf_counter()
        while b"t = 0" not in self.session.tail:
            self.session.got.clear()
            if self.session.closed.is_set():
                raise RuntimeError(f"session closed: {self.session.tail[-300:]!r}")
            await asyncio.wait_for(self.session.got.wait(), 60)
        self.framed = time.perf_counter()
        self.ready_after = self.framed - t0
        if on_frame is not None:
            on_frame()
        if self.args.burst:  # "ready": the first key answered
            self.session.tail = b""
            self.chan.write(RIGHT)
            while READY_MARK not in self.session.tail:
                self.session.got.clear()
                if self.session.closed.is_set():
                    raise RuntimeError(f"session closed: {self.session.tail[-300:]!r}")
                await asyncio.wait_for(self.session.got.wait(), 60)
            self.answered = time.perf_counter()
        await self.quiet()

    def received(self) -> int:
        return self.session.bytes

    async def quiet(self) -> None:
        q = self.args.quiet / 1000
        while time.perf_counter() - self.session.last < q:
            await asyncio.sleep(q / 3)

    async def press(self, key: bytes) -> None:
        s = self.session
        s.first = None
        before = s.bytes
        s.got.clear()
        t0 = time.perf_counter()
        self.chan.write(key)
        await asyncio.wait_for(s.got.wait(), 30)
        await self.quiet()
        self.first_byte.append(s.first - t0)
        self.update.append(s.last - t0)
        self.step_bytes.append(s.bytes - before)

    async def run(self, start: asyncio.Event) -> None:
        await start.wait()
        lo, hi = self.args.think
        for key in keys(self.args.steps):
            if hi > 0:
                await asyncio.sleep(random.uniform(lo, hi))
            await self.press(key)

    async def close(self) -> None:
        self.conn.close()
        await self.conn.wait_closed()


#: OpenSSH's client as the tests run it against ``serve --no-auth``: no config
#: file (the system's SendEnv, GSSAPI), no host key check, no BatchMode (it turns
#: keyboard-interactive off) and no askpass (a prompt would fail, not wait).
SSH_OPTS = ["-tt", "-F", "/dev/null", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
            "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10"]
#: What one pty keeps of its output to search for a marker, bytes.
TAIL = 8192


class PtyStudent:
    """One login with OpenSSH's ``ssh -tt``: its own process on its own pty (80x24,
    TERM=xterm-256color, the pty its controlling terminal), as a student's terminal
    runs it. The same timings as :class:`Student` (``began`` = ssh's start,
    ``framed`` = ``t = 0`` read, ``answered`` = READY_MARK read after a Right sent
    at ``framed``), read cheaply: bytes searched in a bounded tail as they arrive,
    nothing parsed.

    Spawned behind a gate (:meth:`spawn`): a shell that waits for the end of a
    pipe, then execs ssh. Closing one pipe starts every ssh of a burst at once;
    spawned one by one, the last of 40 started 0.16 s after the first (each spawn
    waits for its child's exec, on CPUs the ssh already started keep busy)."""

    def __init__(self, port: int, args) -> None:
        self.port = port
        self.args = args
        self.began = self.framed = self.answered = self.last = 0.0
        self.bytes = 0
        self.tail = b""
        self.pid: int | None = None
        self.fd = -1
        self.closed = False
        self.done = asyncio.Event()
        self.on_frame = None

    def received(self) -> int:
        return self.bytes

    def spawn(self, gate: int) -> None:
        """The shell on its own pty, waiting for ``gate`` (a pipe's read end) to
        end; then it execs ssh (the same process: its pid is ssh's)."""
        master, slave = os.openpty()  # both close-on-exec: no ssh holds another's pty
        try:
            fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
            name = os.ttyname(slave)
            env = {k: v for k, v in os.environ.items()
                   if k not in ("SSH_ASKPASS", "DISPLAY", "COLORTERM", "SSH_AUTH_SOCK")}
            env.update(TERM="xterm-256color", SSH_ASKPASS_REQUIRE="never")
            ssh = ["ssh", *SSH_OPTS, "-p", str(self.port), "student@127.0.0.1"]
            # setsid, then the pty opened as fd 0 (so it becomes the controlling
            # terminal: glibc's posix_spawn runs setsid before the file actions),
            # 1, 2; the gate as fd 3, closed for ssh
            self.pid = os.posix_spawn(
                "/bin/sh", ["sh", "-c", 'read _ <&3; exec "$@" 3<&-', "sh", *ssh], env,
                file_actions=[(os.POSIX_SPAWN_OPEN, 0, name, os.O_RDWR, 0),
                              (os.POSIX_SPAWN_DUP2, 0, 1), (os.POSIX_SPAWN_DUP2, 0, 2),
                              (os.POSIX_SPAWN_DUP2, gate, 3)],
                setsid=True)
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        self.fd = master
        os.set_blocking(master, False)
        asyncio.get_running_loop().add_reader(master, self._read)

    def _read(self) -> None:
        try:
            data = os.read(self.fd, 65536)
        except BlockingIOError:
            return
        except OSError:  # EIO: every process holding the pty has left
            data = b""
        now = time.perf_counter()
        if not data:
            self.closed = True
            asyncio.get_running_loop().remove_reader(self.fd)
            self.done.set()
            return
        self.last = now
        self.bytes += len(data)
        self.tail = (self.tail + data)[-TAIL:]
        if not self.framed:
            if b"t = 0" in self.tail:
                self.framed = now
                if self.on_frame is not None:
                    self.on_frame()
                self.tail = b""
                if not self.args.burst:
                    self.done.set()
                    return
                os.write(self.fd, RIGHT)  # "ready": the first key, as soon as the frame is in
        elif not self.answered and READY_MARK in self.tail:
            self.answered = now
            self.done.set()

    async def connect(self, on_frame=None) -> None:
        """The login, timed; spawned and started here unless :func:`start_at_once` did."""
        self.on_frame = on_frame
        if self.pid is None:
            start_at_once([self])
        await asyncio.wait_for(self.done.wait(), 60)
        if self.closed and not self.answered:
            raise RuntimeError(f"ssh ended: {self.tail[-300:]!r}")
        q = self.args.quiet / 1000
        while time.perf_counter() - self.last < q:
            await asyncio.sleep(q / 3)

    async def close(self) -> None:
        """ssh (or its shell) ended (SIGTERM, then SIGKILL after 5 s) and reaped; the pty closed."""
        if self.pid is not None:
            pid, self.pid = self.pid, None
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 5
            while os.waitpid(pid, os.WNOHANG) == (0, 0):
                if time.monotonic() > deadline:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    break
                await asyncio.sleep(0.02)
        if self.fd >= 0:
            if not self.closed:
                asyncio.get_running_loop().remove_reader(self.fd)
            os.close(self.fd)
            self.fd = -1


def start_at_once(students: list[PtyStudent]) -> float:
    """Spawn every student's ssh behind one gate, then open it: they all start now
    (returned, and each one's ``began``)."""
    gate, opener = os.pipe()
    try:
        for s in students:
            s.spawn(gate)
    finally:
        os.close(gate)
        t0 = time.perf_counter()
        for s in students:
            s.began = t0
        os.close(opener)  # every shell's read ends: each execs its ssh
    return t0


#: The floor's session: a fixed first frame, a fixed answer to each key, q or EOF ends it.
FLOOR_SESSION = r'''
import os, sys, tty
with open(sys.argv[1], "rb") as f:
    frame = f.read()
answer = b"\x1b[1;10H1\x1b[8;3Hone-hot" + b"\x1b[K" * 100
tty.setraw(0)
os.write(1, frame)
while True:
    data = os.read(0, 1024)
    if not data or b"q" in data:
        sys.exit(0)
    os.write(1, answer)
'''


def floor_frame(size: int) -> bytes:
    """A first frame of ``size`` bytes: the alternate screen, 24 lines of 80
    characters with colours, the status line's ``t = 0/3``."""
    out = bytearray(b"\x1b[?1049h\x1b[?25l\x1b[1H\x1b[1;38;5;253;48;5;17m rnn-tui  t = 0/3")
    row = 2
    while len(out) < size:
        out += f"\x1b[{(row - 1) % 24 + 1}H\x1b[22;38;5;32;48;5;233m".encode()
        out += "│ ·····  ".encode() * 8
        row += 1
    return bytes(out[:size])


def serve_floor(argv: list[str]) -> int:
    """``rnn-tui serve ARGS`` whose session runs FLOOR_SESSION on ``FRAME``:
    ``python -m benchmarks.ssh_bench --serve-floor SCRIPT FRAME -- ARGS``."""
    from rnn_tui.cli import serve as cli_serve
    from rnn_tui.serve import sshd

    script, frame = argv[0], argv[1]
    # The same server; only its session command is the floor's (a script the
    # warm process can fork: this Python, the same flags).
    sshd.app_command = lambda options: [sys.executable, "-I", "-B", "-X", "utf8", script,
                                        frame]
    return cli_serve.main(argv[4:])  # after '--' and 'serve'


async def start_server(max_sessions: int, key_path: str, warm: bool = True,
                       floor: tuple[str, str] | None = None, rehearse: bool | None = None,
                       frame: bool | None = None):
    """The server, listening (and its warm process up, unless ``warm`` is False);
    ``floor``: (script, frame file) for the floor's sessions."""
    env = dict(os.environ)
    if rehearse is not None:
        env["RNN_TUI_WARM_REHEARSAL"] = "1" if rehearse else "0"
    if frame is not None:
        env["RNN_TUI_WARM_FRAME"] = "1" if frame else "0"
    head = ["-m", "rnn_tui"] if floor is None else \
        ["-m", "benchmarks.ssh_bench", "--serve-floor", *floor, "--"]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *head, "serve", "--no-auth", "--port", "0",
        "--host-key", key_path, "--max-sessions", str(max_sessions),
        *([] if warm else ["--no-warm"]),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
    text = b""
    while b"Stop with" not in text:
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        if not line:
            raise RuntimeError("server did not start")
        text += line
    port = int(re.search(rb"ssh -p (\d+) ", text).group(1))
    log = b""
    while warm and not re.search(rb"warm process \d+ ready", log):
        line = await asyncio.wait_for(proc.stderr.readline(), 30)
        if not line:
            raise RuntimeError(f"the warm process did not start: {log[-500:]!r}")
        log += line

    async def drain() -> None:  # the server's log must not fill its pipe
        while await proc.stderr.read(65536):
            pass
    proc.drain_task = asyncio.ensure_future(drain())  # type: ignore[attr-defined]
    return proc, port


def warm_pid(server_pid: int) -> int | None:
    for pid in proc_tree(server_pid):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"--warm" in f.read().split(b"\0"):
                    return pid
        except OSError:
            continue
    return None


def cpu_ms(pid: int) -> float:
    """CPU time ``pid`` has used, in ms (/proc/PID/schedstat: nanoseconds)."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0]) / 1e6
    except (OSError, ValueError, IndexError):
        return float("nan")


def process_cpu_ms(pid: int) -> float:
    """CPU time process ``pid``'s threads now alive have used, in ms
    (/proc/PID/task/*/schedstat: nanoseconds)."""
    try:
        return sum(cpu_ms(int(t)) for t in os.listdir(f"/proc/{pid}/task"))
    except (OSError, ValueError):
        return float("nan")


def session_pids(server_pid: int, zygote: int | None) -> list[int]:
    return [p for p in proc_tree(server_pid) if p not in (server_pid, zygote)]


async def burst(n: int, args, key_path: str, warm: bool, floor: tuple[str, str] | None = None,
                rehearse: bool = True, frame: bool = True, client: str = "asyncssh") -> dict:
    """One login alone (median of ``args.alone``), then ``n`` at once; memory with all up.
    ``client``: "asyncssh" (every client in this process) or "openssh" (an ``ssh`` each)."""
    server, port = await start_server(n + 1, key_path, warm, floor, rehearse, frame)
    kind = PtyStudent if client == "openssh" else Student
    students: list[Student | PtyStudent] = []
    zygote = warm_pid(server.pid) if warm else None
    try:
        alone, alone_ready, alone_cpu, frame_bytes = [], [], [], []
        for _ in range(args.alone):
            s = kind(port, args)

            def at_frame(s=s) -> None:  # the session's own CPU when its first frame is in
                pids = session_pids(server.pid, zygote)
                alone_cpu.append(sum(cpu_ms(p) for p in pids) if len(pids) == 1
                                 else float("nan"))
                frame_bytes.append(s.received())
            students = [s]  # closed below if its login fails
            await s.connect(at_frame)
            alone.append(s.framed - s.began)
            alone_ready.append(s.answered - s.began)
            await s.close()
            students = []
            await asyncio.sleep(0.3)
        students = [kind(port, args) for _ in range(n)]
        server_cpu, own_cpu = process_cpu_ms(server.pid), time.process_time()
        t0 = time.perf_counter()
        if client == "openssh":  # every ssh spawned, then started together
            t0 = start_at_once(students)  # type: ignore[arg-type]
        await asyncio.gather(*(s.connect() for s in students))
        # the CPU the burst took, to its last ready (and its output quiet): the
        # server's (its SSH work; the sessions' is ``cpu``) and the clients',
        # this process's and every ssh's (from its exec)
        server_cpu = process_cpu_ms(server.pid) - server_cpu
        clients_cpu = (time.process_time() - own_cpu) * 1000 + sum(
            process_cpu_ms(s.pid) for s in students
            if isinstance(s, PtyStudent) and s.pid is not None)
        spawned = max(s.began for s in students) - t0  # the last login's start
        waits = sorted(s.framed - t0 for s in students)
        readies = sorted(s.answered - t0 for s in students)
        await asyncio.sleep(1.0)  # every session drawn and idle
        sessions = session_pids(server.pid, zygote)
        pss = sorted(memory_kib(p)[1] for p in sessions)
        rss = sorted(memory_kib(p)[0] for p in sessions)
        cpu = sorted(cpu_ms(p) for p in sessions)
        server_pss = memory_kib(server.pid)[1]
        zygote_pss = memory_kib(zygote)[1] if zygote else 0
    finally:
        await asyncio.gather(*(s.close() for s in students
                               if isinstance(s, PtyStudent) or hasattr(s, "conn")),
                             return_exceptions=True)
        server.terminate()
        await server.wait()
    mode = ("floor: a fixed frame, forked" if floor is not None
            else "new process (--no-warm)" if not warm
            else "forked, the warm process not rehearsed" if not rehearse
            else "forked, first frame drawn ahead" if frame
            else "forked, rehearsed, no frame drawn ahead")
    return {
        "mode": mode,
        "client": client,
        "spawned": spawned,
        "n": n,
        "alone": statistics.median(alone),
        "alone_ready": statistics.median(alone_ready),
        "alone_cpu": statistics.median(alone_cpu),
        "frame_bytes": statistics.median(frame_bytes),
        "median": statistics.median(waits),
        "last": waits[-1],
        "ratio": waits[-1] / statistics.median(alone),
        "ready_median": statistics.median(readies),
        "server_cpu": server_cpu,
        "clients_cpu": clients_cpu,
        "ready_last": readies[-1],
        "ready_ratio": readies[-1] / statistics.median(alone_ready),
        "cpu": statistics.median(cpu),
        "sessions": len(sessions),
        "pss": statistics.median(pss) / 1024,
        "rss": statistics.median(rss) / 1024,
        "pss_total": (sum(pss) + zygote_pss + server_pss) / 1024,
        "zygote": zygote_pss / 1024,
        "server": server_pss / 1024,
    }


#: How the table names each client, and where its times start.
CLIENTS = {
    "asyncssh": ("asyncssh", "asyncssh's clients, all in this one process, from the start "
                 "of the SSH connection"),
    "openssh": ("OpenSSH", "OpenSSH's `ssh -tt`, a process and a pty each, from the ssh "
                "process's spawn"),
}


def burst_table(rows: list[dict]) -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    clients = "; ".join(CLIENTS[c][1] for c in dict.fromkeys(r["client"] for r in rows))
    n = rows[0]["n"] if rows else "N"
    lines = [
        f"{os.cpu_count()} CPUs (load {load} at the end), clients on the same machine, 80x24; "
        "first frame = the status line's `t = 0` received, ready = a key (Right) sent then "
        f"and its answer received, timed for a login alone {clients}, and for the {n} at "
        "once from the first one's start; CPU = the session process's own, at its first "
        "frame (alone) and 1 s after the burst",
        "",
        "| sessions start as | client | one login alone: frame / ready (CPU) "
        "| {n} at once: median / last frame | last ÷ alone | last ready, ÷ alone "
        "| PSS per session (median) | RSS per session | total PSS (server + warm + sessions) "
        "| CPU to the last ready: server / clients |"
        .format(n=rows[0]["n"] if rows else "N"),
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['mode']} | {CLIENTS[r['client']][0]} "
            f"| {r['alone'] * 1000:.0f} / {r['alone_ready'] * 1000:.0f} ms "
            f"({r['alone_cpu']:.0f} ms; {r['cpu']:.0f} after) | {r['median']:.2f} s / "
            f"{r['last']:.2f} s | {r['ratio']:.1f}× | {r['ready_last']:.2f} s, "
            f"{r['ready_ratio']:.1f}× | {r['pss']:.1f} MiB | {r['rss']:.0f} MiB "
            f"| {r['pss_total']:.0f} MiB ({r['server']:.0f} + {r['zygote']:.0f} + "
            f"{r['pss_total'] - r['server'] - r['zygote']:.0f}, {r['sessions']} sessions) "
            f"| {r['server_cpu'] / 1000:.2f} s / {r['clients_cpu'] / 1000:.2f} s |")
    return "\n".join(lines)


async def bench(n: int, args, key_path: str) -> dict:
    server, port = await start_server(max(n, args.max_sessions), key_path, not args.no_warm)
    students = [Student(port, args) for _ in range(n)]
    try:
        t0 = time.perf_counter()
        # Students arrive over a few seconds, not in the same millisecond.
        async def arrive(i: int, s: Student) -> None:
            await asyncio.sleep(i * args.arrival / max(n, 1))
            await s.connect()
        await asyncio.gather(*(arrive(i, s) for i, s in enumerate(students)))
        all_ready = time.perf_counter() - t0
        pids = proc_tree(server.pid)
        mem_ready = [memory_kib(p) for p in pids]
        start = asyncio.Event()
        runs = [asyncio.create_task(s.run(start)) for s in students]
        t1 = time.perf_counter()
        start.set()
        await asyncio.gather(*runs)
        duration = time.perf_counter() - t1
        pids = proc_tree(server.pid)
        mem_end = [memory_kib(p) for p in pids]
        server_rss = memory_kib(server.pid)[0]
    finally:
        await asyncio.gather(*(s.close() for s in students if hasattr(s, "conn")),
                             return_exceptions=True)
        server.terminate()
        await server.wait()
    first = [x for s in students for x in s.first_byte]
    update = [x for s in students for x in s.update]
    step_bytes = [x for s in students for x in s.step_bytes]
    mem = max(mem_ready, mem_end, key=lambda m: sum(r for r, _ in m))
    return {
        "n": n,
        "presses": len(update),
        "ready": all_ready,
        "ready_each": statistics.median(s.ready_after for s in students),
        "first_med": statistics.median(first) * 1000,
        "first_p95": p95(first) * 1000,
        "upd_med": statistics.median(update) * 1000,
        "upd_p95": p95(update) * 1000,
        "upd_max": max(update) * 1000,
        "bytes": statistics.median(step_bytes),
        "rate": len(update) / duration,
        "server_rss": server_rss / 1024,
        "procs": len(mem),
        "rss": sum(r for r, _ in mem) / 1024,
        "pss": sum(p for _, p in mem) / 1024,
        "exit": server.returncode,
    }


def think_range(text: str) -> tuple[float, float]:
    if "-" in text:
        lo, hi = (float(x) for x in text.split("-", 1))
    else:
        lo = hi = float(text)
    return lo, hi


def table(rows: list[dict], args) -> str:
    lines = [
        f"think time {args.think[0]:g}-{args.think[1]:g} s, {args.steps} presses per session, "
        f"update = output quiet for {args.quiet:g} ms; {os.cpu_count()} CPUs, client on the "
        "same machine",
        "",
        "| sessions | presses/s | first byte median / p95 | update median / p95 (max) "
        "| bytes per press | all ready after | total RSS (server + sessions) | total PSS |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']} | {r['rate']:.1f} | {r['first_med']:.0f} / {r['first_p95']:.0f} ms "
            f"| {r['upd_med']:.0f} / {r['upd_p95']:.0f} ms ({r['upd_max']:.0f}) "
            f"| {r['bytes']:.0f} B | {r['ready']:.1f} s | "
            f"{r['rss']:.0f} MiB ({r['server_rss']:.0f} + {r['rss'] - r['server_rss']:.0f}, "
            f"{r['procs']} procs) | {r['pss']:.0f} MiB |")
    return "\n".join(lines)


async def amain(args) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        key_path = os.path.join(tmp, "host_key")
        if args.burst:
            # (warm, floor, rehearse, frame)
            runs: list[tuple[bool, bool, bool, bool]] = [(not args.no_warm, False, True, True)]
            if args.compare:
                runs = [(True, False, True, True), (False, False, True, True)]
            if args.no_frame:
                runs.insert(1, (True, False, True, False))
            if args.no_rehearsal:
                runs.insert(1 + args.no_frame, (True, False, False, False))
            if args.floor:  # the floor first, then the app as asked
                runs = [(True, True, True, True), *runs]
            # each run with each client in turn: an A/B in the same invocation
            for (warm, floor, rehearse, frame_ahead), client in (
                    (run, c) for run in runs for c in args.client):
                floor_files = None
                if floor:
                    script = os.path.join(tmp, "floor_session.py")
                    frame = os.path.join(tmp, "floor_frame")
                    with open(script, "w") as f:
                        f.write(FLOOR_SESSION)
                    with open(frame, "wb") as f:
                        f.write(floor_frame(args.frame_bytes))
                    floor_files = (script, frame)
                rows.append(await burst(args.burst, args, key_path, warm, floor_files, rehearse,
                                        frame_ahead, client))
                r = rows[-1]
                print(f"# burst of {args.burst}, {r['mode']}, {client}: done (the last login "
                      f"started {r['spawned'] * 1000:.1f} ms after the first; ready median "
                      f"{r['ready_median']:.2f} s; load {os.getloadavg()[0]:.2f})",
                      file=sys.stderr)
            print(burst_table(rows))
            return
        for n in args.sessions:
            row = await bench(n, args, key_path)
            print(f"# {n} sessions: done", file=sys.stderr)
            rows.append(row)
    print(table(rows, args))


def main() -> None:
    if sys.argv[1:2] == ["--serve-floor"]:
        sys.exit(serve_floor(sys.argv[2:]))
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sessions", type=int, nargs="+", default=[10, 40])
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--think", type=think_range, default=(0.3, 1.0), metavar="LO-HI",
                   help="seconds a student waits before each press (default 0.3-1.0; 0 = none)")
    p.add_argument("--arrival", type=float, default=5.0,
                   help="seconds over which the students connect (default 5)")
    p.add_argument("--quiet", type=float, default=50.0,
                   help="ms of silence that ends a repaint (default 50)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--burst", type=int, default=0, metavar="N",
                   help="burst mode: N logins at once vs one alone, and memory per session")
    p.add_argument("--alone", type=int, default=3,
                   help="burst mode: logins alone to take the median of (default 3)")
    p.add_argument("--compare", action="store_true",
                   help="burst mode: also with sessions started as new processes")
    p.add_argument("--floor", action="store_true",
                   help="burst mode: first the floor, sessions that write a fixed frame, "
                   "then the app")
    p.add_argument("--no-rehearsal", action="store_true",
                   help="burst mode: also forked from a warm process that did not rehearse a "
                   "session first (RNN_TUI_WARM_REHEARSAL=0), to compare")
    p.add_argument("--no-frame", action="store_true",
                   help="burst mode: also forked with no first frame drawn ahead "
                   "(RNN_TUI_WARM_FRAME=0), to compare")
    p.add_argument("--frame-bytes", type=int, default=4130,
                   help="burst mode: the floor's first frame, bytes (default 4130, the app's "
                   "at 80x24)")
    p.add_argument("--client", nargs="+", choices=list(CLIENTS), default=["asyncssh"],
                   help="burst mode: who logs in: asyncssh (default: every client in this "
                   "process, comparable with the figures so far) or openssh (an `ssh -tt` "
                   "process on its own pty each, as students log in); both: each run with "
                   "each, in turn")
    p.add_argument("--no-warm", action="store_true",
                   help="start the server with --no-warm (sessions as new processes)")
    p.add_argument("--max-sessions", type=int, default=0,
                   help="the server's --max-sessions (default: the number of sessions)")
    args = p.parse_args()
    args.client = list(dict.fromkeys(args.client))
    if args.client != ["asyncssh"] and not args.burst:
        p.error("--client openssh: burst mode only (--burst N)")
    if "openssh" in args.client and shutil.which("ssh") is None:
        p.error("--client openssh: no ssh (OpenSSH's client) on PATH")
    random.seed(args.seed)
    asyncio.run(amain(args))


if __name__ == "__main__":
    main()
