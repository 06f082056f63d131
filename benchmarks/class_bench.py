"""Benchmark a class that follows its teacher (issue 16): one teacher, N students.

Not a test. Starts the real server (``python -m rnn_tui serve --no-auth
--teacher-keys FILE`` on a free loopback port, real app sessions), logs in one
teacher (with the teacher key) and N students (no login), all 80x24 with
asyncssh's client, waits until every student's status line says it follows the
teacher, then has the teacher press ``--presses`` keys (Right x10, Left x10,
...; every press moves the lesson), one at a time, waiting for the class to go
quiet (and ``--think`` seconds) between presses.

For every press it records
  * every student: teacher's key sent -> the last byte of the slowest student's
    repaint (each repaint ends when the output stays quiet for ``--quiet`` ms);
  * each student:  key sent -> last byte of that student's repaint;
  * teacher:       key sent -> last byte of the teacher's own repaint;
and reports median, p95 and max. The same teacher alone (no students) gives the
baseline for the teacher's own time. At the end every student's screen must
show the teacher's t and sub-step (checked with pyte), else it says so.

    python benchmarks/class_bench.py                 # 40 students (and the teacher alone)
    python benchmarks/class_bench.py --students 10 40 --presses 60
    python benchmarks/class_bench.py --quiz 10      # asking the class (issue 18)

``--quiz R``: R questions instead of key presses. For each, the teacher presses
K, every student's box shows the question, all but one student answer (and the
round waits until each of their screens shows its answer counted, and the
teacher's "answered N-1 / N": forty sessions still drawing those answers would
otherwise be timed as the reveal), then the last one answers: the question
closes (everyone answered) and the time is taken from that last answer to the
histogram on every screen, the teacher's too
(each screen is read with pyte once the class is quiet, chunk by chunk: the
arrival of the first chunk after which it shows "Question N:" and the revealed
box's "esc: close"). It also says what the reveal cost: the CPU of the server
and of a session (from /proc, from the last answer until the class is quiet)
and the bytes a screen got.

``--spread S`` (with ``--quiz``): the answers but the last are sent over S seconds
and the last right after them, without waiting for them to be drawn: the reveal
while the class may still be drawing the others (0: all at once).

``--teacher-apart``: the teacher's client runs in a process of its own (this
script, ``--teacher-client``) and times its own key, so that this process reading
forty students' output (decrypting it, in one event loop) cannot delay reading the
teacher's last byte; it runs in a scheduling group of its own at nice -10 (if
allowed; the table says if not), as the teacher's terminal is on another machine
and not behind forty students' repaints on the server's 2 CPUs; the students'
times are taken from the same moment (the system's monotonic clock).

``--servers 2`` (issue 20): a class bigger than one machine, on one machine: a
redis-server of its own (loopback, a free port) and two ``serve --class-broker``
processes sharing the class; the teacher and N students on the first, N more
students on the second (``--students N`` is per server). The times are the same
(the teacher's key to every student's screen), and split by server.

The client runs on the same machine and shares its 2 CPUs with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import statistics
import sys
import tempfile
import time

import asyncssh
import pyte

RIGHT, LEFT = b"\x1b[C", b"\x1b[D"
SIZE = (80, 24)
TEACHER_NAME = "Ms Kim"
#: Where the status line says the stepper is ("t = 1/3  sub-step 2/4", "... output").
WHERE = re.compile(r"t = \d+/\d+\s+(?:sub-step \d/\d|output|start)")
#: Bytes of a session's output kept for the final check.
MAX_KEPT = 4 * 1024 * 1024


def keys(presses: int) -> list[bytes]:
    out: list[bytes] = []
    while len(out) < presses:
        out += [RIGHT] * 10 + [LEFT] * 10
    return out[:presses]


def cpu_ms(pid: int) -> float:
    """CPU time of one process (its threads' schedstat, in ns: a thread that ended
    is not counted) so far, in ms; else its stat (user + system, in 10 ms ticks)."""
    try:
        total = 0
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        return total / 1e6
    except (OSError, IndexError, ValueError):
        pass
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def tree(root: int) -> list[int]:
    """``root``'s descendants (from /proc), not ``root`` itself."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], list(parents.get(root, []))
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += parents.get(pid, [])
    return out


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


class Screen(asyncssh.SSHClientSession):
    """One session's output: when bytes arrive, and all of them (bounded) for pyte.

    ``--quiz``: what the screen shows is read with pyte only after the class went
    quiet (``catch_up``), not as the bytes arrive: each chunk is kept with the time
    it arrived, then fed to pyte chunk by chunk, and ``found`` is the arrival time
    of the chunk after which the screen first showed the expected words. Parsing
    41 screens live costs the client (on the same 2 CPUs) about 1 µs a byte in the
    very window being timed, and later screens' times waited for earlier screens'
    parsing.
    """

    def __init__(self) -> None:
        self.first: float | None = None
        self.last = 0.0
        self.data = bytearray()
        self.got = asyncio.Event()
        self.closed = asyncio.Event()
        self.patterns: tuple[str, ...] = ()  # --quiz: when the screen shows these
        self.found: float | None = None
        self.vt: pyte.Screen | None = None  # --quiz: the screen, kept up to date
        self._vt_stream: pyte.ByteStream | None = None
        self.unread: list[tuple[float, bytes]] = []  # --quiz: chunks not yet fed to pyte
        self.unread_bytes = 0
        self.received = 0  # bytes so far (all of them)

    def expect(self, *patterns: str) -> None:
        """Note when the screen first shows every one of ``patterns`` (from now on)."""
        if self.vt is None:
            self.vt = pyte.Screen(*SIZE)
            self._vt_stream = pyte.ByteStream(self.vt)
            self._vt_stream.feed(bytes(self.data))
        self.catch_up()
        self.patterns, self.found = patterns, None
        self._check(time.perf_counter())

    def catch_up(self) -> None:
        """Feed pyte what arrived since, a chunk at a time, noting when the expected
        words first showed."""
        chunks, self.unread, self.unread_bytes = self.unread, [], 0
        assert self._vt_stream is not None or not chunks
        for when, data in chunks:
            self._vt_stream.feed(data)
            self._check(when)

    def _check(self, now: float) -> None:
        if self.patterns and self.found is None and self.vt is not None:
            text = "\n".join(self.vt.display)
            if all(p in text for p in self.patterns):
                self.found = now

    def data_received(self, data: bytes, datatype) -> None:
        now = time.perf_counter()
        if self.first is None:
            self.first = now
        self.last = now
        self.received += len(data)
        if len(self.data) + len(data) <= MAX_KEPT:
            self.data += data
        if self._vt_stream is not None:
            self.unread.append((now, data))
            self.unread_bytes += len(data)
            if self.unread_bytes > MAX_KEPT:
                self.catch_up()  # (a bound: never in a run of this benchmark's size)
        self.got.set()

    def connection_lost(self, exc) -> None:
        self.closed.set()
        self.got.set()

    def mark(self) -> None:
        self.first = None
        self.got.clear()

    def status(self) -> str:
        """The first line of the screen, as the terminal shows it now."""
        screen = pyte.Screen(*SIZE)
        pyte.ByteStream(screen).feed(bytes(self.data))
        return screen.display[0]


class NoLogin(asyncssh.SSHClient):
    """A student: keyboard-interactive with no prompt (the server lets them in)."""

    def kbdint_auth_requested(self) -> str:
        return ""

    def kbdint_challenge_received(self, name, instructions, lang, prompts):
        return None  # no prompt is expected: fail rather than answer one


class Person:
    def __init__(self, port: int, name: str, key=None) -> None:
        self.port, self.name, self.key = port, name, key

    async def connect(self, ready: str) -> None:
        options = dict(known_hosts=None, username=self.name, agent_path=None,
                       client_keys=[self.key] if self.key else None, password=None)
        if self.key is None:
            options["client_factory"] = NoLogin
        self.conn = await asyncssh.connect("127.0.0.1", self.port, **options)
        self.chan, self.screen = await self.conn.create_session(
            Screen, term_type="xterm-256color", term_size=SIZE, encoding=None)
        deadline = time.perf_counter() + 60
        while ready not in self.screen.status():
            if self.screen.closed.is_set() or time.perf_counter() > deadline:
                raise RuntimeError(f"{self.name}: not ready: {self.screen.status()!r}")
            self.screen.got.clear()
            try:
                await asyncio.wait_for(self.screen.got.wait(), 1)
            except asyncio.TimeoutError:
                pass

    async def close(self) -> None:
        self.conn.close()
        await self.conn.wait_closed()


class ApartTeacher:
    """``--teacher-apart``: the teacher's SSH client in a process of its own (this
    script with ``--teacher-client``), so that reading forty students' output here
    cannot delay reading the teacher's, and in a scheduling group of its own at
    nice -10 (if allowed): the teacher's terminal is on another machine, and the
    time is when its bytes arrive, not when a client sharing the server's 2 CPUs
    with forty repainting students gets a CPU to read them. It times its own key:
    ``press`` sends the key there and gets back when it was written and the
    teacher's last byte (``time.perf_counter``: the system's monotonic clock)."""

    def __init__(self, port: int, key_path: str, q: float, timeout: float) -> None:
        self.port, self.key_path, self.q, self.timeout = port, key_path, q, timeout

    async def connect(self, ready: str) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, os.path.abspath(__file__), "--teacher-client", str(self.port),
            self.key_path, ready, str(self.q), str(self.timeout),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        line = await asyncio.wait_for(self._reply(), 90)
        if not line.startswith("ready "):
            raise RuntimeError(f"teacher: not ready: {line!r}")
        self.priority = line.split(" ", 1)[1]  # "raised" or "not raised"

    async def _reply(self) -> str:
        assert self.proc.stdout is not None
        line = await self.proc.stdout.readline()
        if not line:
            raise RuntimeError("teacher: the client process ended")
        return line.decode().strip()

    async def _ask(self, command: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command.encode() + b"\n")
        await self.proc.stdin.drain()
        return await asyncio.wait_for(self._reply(), self.timeout + 30)

    async def press(self, key: bytes) -> tuple[float, float]:
        t0, last = (await self._ask("press " + key.hex())).split()
        return float(t0), float(last)

    async def status(self) -> str:
        return bytes.fromhex(await self._ask("status")).decode()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._ask("quit")
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.proc.wait(), 10)
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


async def teacher_client(port: int, key_path: str, ready: str, q: float,
                         timeout: float) -> None:
    """The teacher's side of ``--teacher-apart`` (see ApartTeacher): commands on stdin."""
    # its own scheduling group at nice -10, if allowed: the teacher's terminal is on
    # another machine, not waiting for a CPU behind forty students' repaints here
    raised = "raised"
    try:
        os.setsid()
        with open("/proc/self/autogroup", "w") as f:
            f.write("-10")
        os.setpriority(os.PRIO_PROCESS, 0, -10)
    except OSError:
        raised = "not raised"
    teacher = Person(port, "teacher", asyncssh.read_private_key(key_path))
    await teacher.connect(ready)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print(f"ready {raised}", flush=True)
    try:
        while True:
            command = (await reader.readline()).decode().split()
            if not command or command[0] == "quit":
                break
            if command[0] == "status":
                print(teacher.screen.status().encode().hex(), flush=True)
                continue
            teacher.screen.mark()
            t0 = time.perf_counter()
            teacher.chan.write(bytes.fromhex(command[1]))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(teacher.screen.got.wait(), timeout)
            await quiet([teacher], q)
            print(f"{t0!r} {teacher.screen.last!r}", flush=True)
    finally:
        await teacher.close()


def lagging(teacher: Person | str, students: list[Person]) -> list[str]:
    """The students whose status line does not say the teacher's t and sub-step
    (``teacher``: the teacher, or the teacher's status line)."""
    want = WHERE.search(teacher if isinstance(teacher, str) else teacher.screen.status())
    out = []
    for s in students:
        got = WHERE.search(s.screen.status())
        if want is None or got is None or got.group(0) != want.group(0):
            out.append(s.name)
    return out


def all_there(teacher: Person, students: list[Person]) -> bool:
    return not lagging(teacher, students)


async def start_redis(tmp: str) -> tuple[asyncio.subprocess.Process, int]:
    """--servers 2: a redis-server of the benchmark's own (loopback, saves nothing)."""
    import shutil
    import socket

    exe = shutil.which("redis-server")
    if exe is None:
        raise SystemExit("--servers 2 needs redis-server (apt-get install redis-server)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = await asyncio.create_subprocess_exec(
        exe, "-", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL)
    assert proc.stdin is not None
    proc.stdin.write(f"port {port}\nbind 127.0.0.1\nsave \"\"\nappendonly no\n".encode())
    proc.stdin.close()
    for _ in range(250):
        with contextlib.suppress(OSError):
            _, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            return proc, port
        await asyncio.sleep(0.02)
    raise RuntimeError("redis-server did not start")


async def start_server(tmp: str, max_sessions: int, nice: int = 19,
                       extra: tuple[str, ...] = (),
                       name: str = "") -> tuple[asyncio.subprocess.Process, int]:
    teachers = os.path.join(tmp, "teachers.pub")
    with open(teachers, "wb") as f:
        f.write(asyncssh.read_private_key(os.path.join(tmp, "teacher"))
                .export_public_key())
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "rnn_tui", "serve", "--no-auth", "--port", "0",
        "--host-key", os.path.join(tmp, "host_key" + name), "--teacher-keys", teachers,
        "--max-sessions", str(max_sessions + 1), "--seed", "7",
        "--student-nice", str(nice), "--results", os.path.join(tmp, "results" + name),
        *extra,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    text = b""
    while b"Stop with" not in text:
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        if not line:
            raise RuntimeError("server did not start")
        text += line
    return proc, int(re.search(rb"ssh -p (\d+) ", text).group(1))


async def quiet(people: list[Person], q: float, limit: float = 10.0) -> None:
    """Until nobody has received anything for ``q`` seconds (at most ``limit``)."""
    end = time.perf_counter() + limit
    while people and time.perf_counter() < end:
        last = max(p.screen.last for p in people)
        if time.perf_counter() - last >= q:
            return
        await asyncio.sleep(q / 3)


async def seen(people: list[Person], limit: float, q: float = 0.25) -> None:
    """Until every screen has shown its expected words (at most ``limit`` seconds):
    each time the class goes quiet for ``q`` seconds, what arrived is read (pyte)."""
    end = time.perf_counter() + limit
    while True:
        await quiet(people, q, max(0.0, end - time.perf_counter()))
        for p in people:
            p.screen.catch_up()
        if all(p.screen.found is not None for p in people) or time.perf_counter() >= end:
            return
        await asyncio.sleep(q / 3)


async def quiz_rounds(teacher: Person, students: list[Person], args,
                      server: int, sessions: list[int]) -> dict:
    """--quiz: the teacher asks, the class answers; last answer -> every histogram.
    Also what the reveal costs, from that last answer until the class is quiet
    (before the class's step to the value, ``STEP_AFTER_REVEAL`` later): the CPU
    of the server and of each session (/proc), and the bytes each screen got."""
    people = [teacher, *students]
    everyone_ms, each_ms = [], []
    reveal_cpu, reveal_server, reveal_bytes = [], [], []
    missed = early = 0
    for r in range(args.quiz):
        if r and r % 6 == 0:  # six questions a sentence's way to y: start again
            teacher.chan.write(b"r")
            await quiet(people, 0.3)
        question = f"Question {r + 1}:"
        for s in students:
            s.screen.expect(question, "no answer yet")
        teacher.chan.write(b"K")
        await seen(students, args.timeout)
        await quiet(people, 0.2)
        if args.spread is None:
            for s in students[:-1]:
                s.chan.write(b"0.5\r")
                s.screen.expect(question, "(counted)")
            teacher.screen.expect(question,
                                  f"answered {len(students) - 1} / {len(students)}")
            # every answer but the last shown counted (and the teacher's count) before
            # the last one: forty sessions still drawing theirs would be timed as the
            # reveal's
            await seen(people[:-1], args.timeout)
            if any(p.screen.found is None for p in people[:-1]):
                early += 1  # an answer not shown counted: this round is not timed
                await quiet(people, 0.3)
                for p in people:
                    p.screen.patterns = ()
                continue
            await quiet(people, 0.3)
        else:  # --spread S: the others over S seconds, the last right after them
            others = students[:-1]
            for i, s in enumerate(others):
                s.chan.write(b"0.5\r")
                if i < len(others) - 1:
                    await asyncio.sleep(args.spread / max(len(others) - 1, 1))
        for p in people:
            p.screen.expect(question, "esc: close")
        cpu0 = {pid: cpu_ms(pid) for pid in [server, *sessions]}
        bytes0 = [p.screen.received for p in people]
        t0 = time.perf_counter()
        students[-1].chan.write(b"0.5\r")
        await seen(people, args.timeout)
        cpu = {pid: cpu_ms(pid) - c for pid, c in cpu0.items()}
        reveal_server.append(cpu.pop(server))
        reveal_cpu.append(sum(cpu.values()) / max(len(people), 1))
        reveal_bytes.append(sum(p.screen.received - b for p, b in zip(people, bytes0, strict=True))
                            / len(people))
        got = [(p.screen.found - t0) * 1000 for p in people if p.screen.found is not None]
        missed += len(people) - len(got)
        each_ms += got
        if got:
            everyone_ms.append(max(got))
        await quiet(people, 0.3)
        for p in people:
            p.screen.patterns = ()
    return {"everyone": everyone_ms, "each": each_ms, "missed": missed, "early": early,
            "reveal_cpu": statistics.median(reveal_cpu) if reveal_cpu else 0.0,
            "reveal_server": statistics.median(reveal_server) if reveal_server else 0.0,
            "reveal_bytes": statistics.median(reveal_bytes) if reveal_bytes else 0.0}


async def bench(n: int, args, tmp: str) -> dict:
    others: list[asyncio.subprocess.Process] = []  # --servers 2: redis, the second server
    if args.servers > 1:
        rproc, rport = await start_redis(tmp)
        others.append(rproc)
        extra = ("--class-broker", f"redis://127.0.0.1:{rport}/0", "--class-name", "bench")
        server, port = await start_server(tmp, n, args.student_nice, extra, "a")
        second, port2 = await start_server(tmp, n, args.student_nice, extra, "b")
        others.append(second)
        n_all = 2 * n
    else:
        server, port = await start_server(tmp, n, args.student_nice)
        port2, n_all = port, n
    q = args.quiet / 1000
    key_path = os.path.join(tmp, "teacher")
    teacher: Person | ApartTeacher = (
        ApartTeacher(port, key_path, q, args.timeout) if args.teacher_apart
        else Person(port, "teacher", asyncssh.read_private_key(key_path)))
    #: The first n students on the teacher's server, the next n (--servers 2) on the other.
    students = [Person(port if i < n else port2, f"s{i:02d}") for i in range(n_all)]
    each_by: tuple[list[float], list[float]] = ([], [])
    everyone_ms: list[float] = []
    each_ms: list[float] = []
    own_ms: list[float] = []
    missed = 0
    quiz: dict = {}
    try:
        before = set(tree(server.pid))
        await teacher.connect("you lead the class")
        teacher_pids = set(tree(server.pid)) - before

        async def arrive(i: int, s: Person) -> None:
            await asyncio.sleep(i * args.arrival / max(n_all, 1))
            await s.connect(f"following {TEACHER_NAME}")

        await asyncio.gather(*(arrive(i, s) for i, s in enumerate(students)))
        people = [teacher, *students]
        #: whose output this process reads (--teacher-apart: the teacher's is read apart)
        read: list[Person] = students if isinstance(teacher, ApartTeacher) else people
        await quiet(read, 0.5)
        sessions = tree(server.pid) + [p for o in others[1:] for p in [o.pid, *tree(o.pid)]]
        cpu0 = {pid: cpu_ms(pid) for pid in [server.pid, *sessions]}
        me0 = time.process_time()
        if args.quiz:
            quiz = await quiz_rounds(teacher, students, args, server.pid, sessions)
            everyone_ms, each_ms, missed = quiz["everyone"], quiz["each"], quiz["missed"]
        for k in keys(args.presses) if args.interval else ():
            # A teacher who does not wait for the class (autoplay, quick keys): only
            # the teacher's own repaint is timed; the class catches up as it can.
            teacher.screen.mark()
            t0 = time.perf_counter()
            teacher.chan.write(k)
            try:
                await asyncio.wait_for(teacher.screen.got.wait(), args.timeout)
            except asyncio.TimeoutError:
                pass
            await quiet([teacher], min(q, args.interval / 2))
            own_ms.append((teacher.screen.last - t0) * 1000)
            await asyncio.sleep(max(0.0, t0 + args.interval - time.perf_counter()))
        if args.interval:  # the class catches up (latest state wins): at most 30 s
            await quiet([teacher], 0.5)
            end = time.perf_counter() + 30
            while time.perf_counter() < end and not all_there(teacher, students):
                await asyncio.sleep(0.25)
        for k in keys(args.presses) if not (args.interval or args.quiz) else ():
            for p in read:
                p.screen.mark()
            pressed = None
            if isinstance(teacher, ApartTeacher):
                pressed = asyncio.create_task(teacher.press(k))
            else:
                t0 = time.perf_counter()
                teacher.chan.write(k)
            try:
                await asyncio.wait_for(asyncio.gather(*(p.screen.got.wait() for p in read)),
                                       args.timeout)
            except asyncio.TimeoutError:
                pass
            await quiet(read, q)
            if pressed is not None:
                t0, last = await pressed
            else:
                last = teacher.screen.last
            own_ms.append((last - t0) * 1000)
            got = [(s.screen.last - t0) * 1000 for s in students if s.screen.first is not None]
            for i, s in enumerate(students):
                if s.screen.first is not None:
                    each_by[i >= n].append((s.screen.last - t0) * 1000)
            missed += n_all - len(got)
            each_ms += got
            if got:
                everyone_ms.append(max(got))
            await asyncio.sleep(args.think)
        cpu = {pid: cpu_ms(pid) - c for pid, c in cpu0.items()}
        client_cpu = (time.process_time() - me0) * 1000
        status = await teacher.status() if isinstance(teacher, ApartTeacher) \
            else teacher.screen.status()
        want = WHERE.search(status)
        wrong = lagging(status, students)
        people_pids = len(people)
    finally:
        await asyncio.gather(*(p.close() for p in [teacher, *students]
                               if hasattr(p, "conn") or hasattr(p, "proc")),
                             return_exceptions=True)
        for proc in [server, *reversed(others)]:
            proc.terminate()
            await proc.wait()
    count = len(own_ms) or len(everyone_ms)  # key presses, or questions (--quiz)
    return {"n": n, "presses": count, "everyone": everyone_ms, "each": each_ms,
            "own": own_ms, "missed": missed, "wrong": wrong, "sessions": people_pids,
            "each_by": each_by, "n_all": n_all,
            "where": want.group(0) if want else "?",
            "cpu_server": cpu[server.pid] / max(count, 1),
            "cpu_sessions": sum(v for p, v in cpu.items() if p != server.pid)
            / max(count, 1),
            "cpu_client": client_cpu / max(count, 1), "quiz": quiz,
            "priority": getattr(teacher, "priority", None),
            "cpu_teacher": sum(cpu.get(p, 0.0) for p in teacher_pids) / max(count, 1)}


def ms(values: list[float]) -> str:
    if not values:
        return "–"
    return (f"{statistics.median(values):.0f} / {p95(values):.0f} ms "
            f"({max(values):.0f})")


def quiz_table(rows: list[dict], args) -> str:
    others = ("all but one student answer (until each screen shows its answer counted)"
              if args.spread is None else
              f"all but one student answer over {args.spread:g} s")
    lines = [
        f"{args.quiz} questions asked of the class (K); {others}, then the last one (the "
        "question closes); the time from that last answer to the histogram on "
        f"every screen (the teacher's too); 80×24; students at nice +{args.student_nice}; "
        f"{os.cpu_count()} CPUs, the clients on the same machine",
        "",
        "| students | last answer → every screen shows the histogram, median / p95 (max) "
        "| → each screen, median / p95 (max) | screens without it (rounds not timed: an "
        "answer not shown counted) | CPU per question: "
        "server / sessions / clients | the reveal: CPU of the server, of a session; "
        "bytes to a screen (medians) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if r["n"]:
            lines.append(
                f"| {r['n']} | {ms(r['everyone'])} | {ms(r['each'])} | {r['missed']} "
                f"({r['quiz']['early']}) "
                f"| {r['cpu_server']:.0f} / {r['cpu_sessions']:.0f} / {r['cpu_client']:.0f} ms "
                f"| {r['quiz']['reveal_server']:.0f} ms, {r['quiz']['reveal_cpu']:.1f} ms; "
                f"{r['quiz']['reveal_bytes']:.0f} B |")
    return "\n".join(lines)


def table(rows: list[dict], args) -> str:
    alone = next((r for r in rows if r["n"] == 0), None)
    lines = [
        (f"{args.presses} teacher key presses, one every {args.interval:g} s (not waiting "
         "for the class); " if args.interval else
         f"{args.presses} teacher key presses, one at a time, {args.think:g} s apart; ") +
        "a repaint "
        f"ends after {args.quiet:g} ms of quiet; 80×24; students at nice +{args.student_nice}; "
        f"{os.cpu_count()} CPUs, the clients on the same machine",
        "",
        "| students | teacher key → every student updated, median / p95 (max) "
        "| → each student, median / p95 (max) | teacher's own key → screen, median / p95 (max) "
        "| own vs alone (median) | students not updated | all at the teacher's step "
        "| CPU per key: server / sessions (teacher's) / clients |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    if args.teacher_apart:
        lines[0] += ("; the teacher's client in a process of its own, its own scheduling "
                     "group at nice -10 (--teacher-apart)")
        if any(r["priority"] == "not raised" for r in rows):
            lines[0] += " (its priority could not be raised here)"
    if args.servers > 1:
        lines[0] = (f"two serve processes sharing the class through a local redis-server; "
                    f"N students on each (the teacher on the first); {lines[0]}")
        lines[2] = lines[2].replace("| students |", "| students per server |")
    for r in rows:
        ratio = "–"
        if alone is not None and r is not alone and alone["own"]:
            ratio = f"{statistics.median(r['own']) / statistics.median(alone['own']):.2f}×"
        lines.append(
            f"| {r['n']} | {ms(r['everyone'])} | {ms(r['each'])} | {ms(r['own'])} | {ratio} "
            f"| {r['missed']} | {'yes' if not r['wrong'] else 'NO: ' + ', '.join(r['wrong'])} "
            f"| {r['cpu_server']:.0f} / {r['cpu_sessions']:.0f} ({r['cpu_teacher']:.1f}) / "
            f"{r['cpu_client']:.0f} ms |")
    if args.servers > 1:
        lines += ["", "| students per server | → each student on the teacher's server "
                  "| → each student on the other server |", "|---:|---:|---:|"]
        lines += [f"| {r['n']} | {ms(r['each_by'][0])} | {ms(r['each_by'][1])} |"
                  for r in rows if r["n"]]
    return "\n".join(lines)


async def amain(args) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        key = asyncssh.generate_private_key("ssh-ed25519", comment=TEACHER_NAME)
        path = os.path.join(tmp, "teacher")
        with open(path, "wb") as f:
            f.write(key.export_private_key())
        os.chmod(path, 0o600)
        for n in [*([] if args.quiz else [0]), *args.students]:
            row = await bench(n, args, tmp)
            print(f"# {n} students: done ({row['where']})", file=sys.stderr)
            rows.append(row)
    print(quiz_table(rows, args) if args.quiz else table(rows, args))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--students", type=int, nargs="+", default=[40])
    p.add_argument("--presses", type=int, default=45,
                   help="teacher key presses (default 45: it ends mid-lesson)")
    p.add_argument("--think", type=float, default=0.2,
                   help="seconds between a repaint and the next press (default 0.2)")
    p.add_argument("--arrival", type=float, default=5.0,
                   help="seconds over which the students connect (default 5)")
    p.add_argument("--quiet", type=float, default=50.0,
                   help="ms of silence that ends a repaint (default 50)")
    p.add_argument("--interval", type=float, default=0.0,
                   help="press every this many seconds without waiting for the class "
                   "(only the teacher's own time is measured; default 0: wait)")
    p.add_argument("--student-nice", type=int, default=15,
                   help="serve --student-nice (default 15, as serve; 0: students as teachers)")
    p.add_argument("--quiz", type=int, default=0, metavar="R",
                   help="ask the class R questions instead of pressing keys (issue 18)")
    p.add_argument("--spread", type=float, default=None, metavar="S",
                   help="--quiz: the answers but the last sent over S seconds and the "
                   "last right after them, while the class may still be drawing them "
                   "(default: the last once every other is shown counted)")
    p.add_argument("--servers", type=int, choices=(1, 2), default=1,
                   help="2: two serve processes share the class through a redis-server of "
                   "the benchmark's own; --students N on each (issue 20)")
    p.add_argument("--timeout", type=float, default=5.0,
                   help="seconds to wait for every screen to change after a press")
    p.add_argument("--teacher-apart", action="store_true",
                   help="the teacher's SSH client in a process of its own, timing its own "
                   "key (so reading the students' output here cannot delay it)")
    if len(sys.argv) == 7 and sys.argv[1] == "--teacher-client":  # (--teacher-apart's)
        port, key_path, ready, q, timeout = sys.argv[2:]
        asyncio.run(teacher_client(int(port), key_path, ready, float(q), float(timeout)))
        return
    args = p.parse_args()
    if args.teacher_apart and (args.quiz or args.interval or args.servers > 1):
        p.error("--teacher-apart: with the one-at-a-time key presses only")
    for n in args.students:
        if not 1 <= n <= 200:
            p.error("--students: 1 to 200")
    asyncio.run(amain(args))


if __name__ == "__main__":
    main()
