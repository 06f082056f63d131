"""The floor under issue 18's benchmark: what forty sessions cost to show a reveal at once.

Not a test. ``benchmarks/class_bench.py --quiz`` times the class's last answer to the
histogram on every screen (target: p95 <= 150 ms for 40 students). This asks what the
least any session could do costs, on the same server and clients:

* ``raw``: a session that writes a fixed reveal (about as many bytes as the app's
  histogram box, 1,150) when told to, and nothing else: the SSH server relaying
  forty writes and the forty clients decrypting them;
* ``textual``: the least Textual app: one Static, which on the signal shows an
  eight-line histogram (it grows, as the quiz box does: one layout, one repaint).

The same real server (``rnn-tui serve``, the students' sessions forked from its warm
process at its ``--student-nice``), only the session's command is the floor's (as
``ssh_bench --floor``); forty asyncssh clients at 80x24 in this process, as
class_bench's. A round: every session is signalled at once (SIGUSR1, one ``kill``
each: less than the hub's forty messages), then the time until every client has the
round's mark on its screen. No hub, no JSON, no stepper: a lower bound.

    python -m benchmarks.quiz_floor                 # 40 students, 10 rounds, both floors
    python -m benchmarks.quiz_floor --students 10 40 --rounds 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time

import asyncssh

from benchmarks.ssh_bench import cpu_ms, p95, proc_tree, start_server, warm_pid

#: A raw session: the first frame, then a reveal of ~1,150 bytes at each SIGUSR1.
RAW_SESSION = r'''
import os, signal, sys, tty
tty.setraw(0)
os.write(1, b"\x1b[?1049h\x1b[2J\x1b[1;1H rnn-tui  t = 0/3  (floor: raw)")
n = 0
def reveal(*_):
    global n
    n += 1
    out = [f"\x1b[15;1H\x1b[1;38;5;214mQuestion {n}: REVEAL {n} truth 0.731\x1b[K".encode()]
    for row in range(16, 23):
        out.append(f"\x1b[{row};1H\x1b[0;38;5;{row + 100}m{'under by 0.05' :<20}".encode()
                   + "█".encode() * 30 + f" {row}\x1b[K".encode())
    os.write(1, b"".join(out)[:1150])
signal.signal(signal.SIGUSR1, reveal)
while True:
    try:
        data = os.read(0, 1024)
    except InterruptedError:
        continue
    if not data or b"q" in data:
        sys.exit(0)
'''

#: The least Textual app: a Static that shows an eight-line histogram at each SIGUSR1.
TEXTUAL_SESSION = r'''
import asyncio, signal
from textual.app import App
from textual.widgets import Static

LABELS = ["under by > 0.2", "under by 0.05-0.2", "within 0.05", "over by 0.05-0.2",
          "over by > 0.2"]

class Floor(App):
    CSS = "Static { height: auto; }"
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self):
        yield Static(" rnn-tui  t = 0/3  (floor: textual)", id="s", markup=False)

    def on_mount(self):
        self.n = 0
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, self.reveal)

    def reveal(self):
        self.n += 1
        lines = [f"Question {self.n}: REVEAL {self.n}  truth 0.731  40 guesses"]
        lines += [f"{label:<18} {'#' * (4 * k + 1)} {k}" for k, label in enumerate(LABELS)]
        lines += ["your answer 0.70: 2 points  total 4 of 6", "top: ann 6 . bob 4 . cho 4"]
        self.query_one("#s").update("\n".join(lines))

Floor().run()
'''

SESSIONS = {"raw": RAW_SESSION, "textual": TEXTUAL_SESSION}


class Screen(asyncssh.SSHClientSession):
    """A client's output: the time the mark it waits for came (in a chunk, or across two)."""

    def __init__(self) -> None:
        self.tail = b""
        self.want: bytes | None = None
        self.came: float | None = None
        self.got = asyncio.Event()

    def data_received(self, data: bytes, datatype) -> None:
        self.tail = (self.tail + data)[-4096:]
        if self.want is not None and self.came is None and self.want in self.tail:
            self.came = time.perf_counter()
        self.got.set()

    def connection_lost(self, exc) -> None:
        self.got.set()


async def connect(port: int) -> tuple[asyncssh.SSHClientConnection, Screen]:
    conn = await asyncssh.connect("127.0.0.1", port, known_hosts=None, username="student",
                                  client_keys=None, agent_path=None)
    _, screen = await conn.create_session(Screen, term_type="xterm-256color",
                                          term_size=(80, 24), encoding=None)
    deadline = time.monotonic() + 60
    while b"t = 0/3" not in screen.tail:
        screen.got.clear()
        if time.monotonic() > deadline:
            raise RuntimeError(f"no first frame: {screen.tail[-300:]!r}")
        await asyncio.wait_for(screen.got.wait(), 60)
    return conn, screen


def cmdline(pid: int) -> bytes:
    """Process ``pid``'s command line (empty if it is gone)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


async def floor(kind: str, n: int, args, tmp: str) -> dict:
    script = os.path.join(tmp, f"{kind}_session.py")
    with open(script, "w") as f:
        f.write(SESSIONS[kind])
    server, port = await start_server(n + 1, os.path.join(tmp, "host_key"),
                                      floor=(script, os.devnull))
    conns: list[asyncssh.SSHClientConnection] = []
    all_screens: list[Screen] = []
    try:
        for i in range(0, n, 10):  # ten at a time: the logins are not what is timed
            got = await asyncio.gather(*(connect(port) for _ in range(min(10, n - i))))
            conns += [c for c, _ in got]
            all_screens += [s for _, s in got]
        await asyncio.sleep(1.0)
        zygote = warm_pid(server.pid)
        pids = [p for p in proc_tree(server.pid) if p not in (server.pid, zygote)
                and script.encode() in cmdline(p)]
        if len(pids) != n:
            raise RuntimeError(f"{len(pids)} sessions found, {n} expected")
        every, each, cpu = [], [], []
        for r in range(1, args.rounds + 1):
            mark = f"REVEAL {r}".encode()
            for s in all_screens:
                s.want, s.came = mark, None
            before = sum(cpu_ms(p) for p in pids)
            t0 = time.perf_counter()
            for pid in pids:
                os.kill(pid, signal.SIGUSR1)
            deadline = t0 + 10
            while any(s.came is None for s in all_screens) and time.perf_counter() < deadline:
                await asyncio.sleep(0.002)
            times = [(s.came - t0) * 1000 for s in all_screens if s.came is not None]
            if len(times) != n:
                raise RuntimeError(f"round {r}: {n - len(times)} screens without the reveal")
            every.append(max(times))
            each += times
            await asyncio.sleep(args.pause)
            cpu.append((sum(cpu_ms(p) for p in pids) - before) / n)
    finally:
        for c in conns:
            c.close()
        server.terminate()
        await server.wait()
    return {"kind": kind, "n": n, "every": every, "each": each, "cpu": cpu}


def table(rows: list[dict], args) -> str:
    out = [f"The floor under the quiz's reveal: every session signalled at once, {args.rounds} "
           "rounds; the time until every screen shows the round's mark; 80×24, asyncssh "
           "clients in one process on the same 2 CPUs, sessions at the server's "
           "--student-nice (+15)", "",
           "| session | students | every screen, median / p95 (max) | each screen, median / "
           "p95 | CPU a session, a reveal (median) |",
           "|---|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['kind']} | {r['n']} | {statistics.median(r['every']):.0f} / "
                   f"{p95(r['every']):.0f} ms ({max(r['every']):.0f}) | "
                   f"{statistics.median(r['each']):.0f} / {p95(r['each']):.0f} ms | "
                   f"{statistics.median(r['cpu']):.1f} ms |")
    return "\n".join(out)


async def amain(args) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.students:
            for kind in args.kind:
                rows.append(await floor(kind, n, args, tmp))
                print(f"# {kind}, {n} students: done (load {os.getloadavg()[0]:.2f})",
                      file=sys.stderr)
    print(table(rows, args))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--students", type=int, nargs="+", default=[40])
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--pause", type=float, default=0.5, help="seconds between rounds")
    p.add_argument("--kind", nargs="+", choices=list(SESSIONS), default=list(SESSIONS))
    args = p.parse_args()
    for n in args.students:
        if not 1 <= n <= 200:
            p.error("--students: 1 to 200")
    asyncio.run(amain(args))


if __name__ == "__main__":
    main()
