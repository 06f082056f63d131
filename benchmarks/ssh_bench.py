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

The client runs on the same machine and shares its CPUs with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import sys
import tempfile
import time

import asyncssh

RIGHT, LEFT = b"\x1b[C", b"\x1b[D"


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
        self.began = self.framed = 0.0
        self.first_byte: list[float] = []
        self.update: list[float] = []
        self.step_bytes: list[int] = []

    async def connect(self) -> None:
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
        await self.quiet()

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


async def start_server(max_sessions: int, key_path: str, warm: bool = True):
    """The server, listening (and its warm process up, unless ``warm`` is False)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "rnn_tui", "serve", "--no-auth", "--port", "0",
        "--host-key", key_path, "--max-sessions", str(max_sessions),
        *([] if warm else ["--no-warm"]),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
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


async def burst(n: int, args, key_path: str, warm: bool) -> dict:
    """One login alone (median of ``args.alone``), then ``n`` at once; memory with all up."""
    server, port = await start_server(n + 1, key_path, warm)
    students: list[Student] = []
    try:
        alone = []
        for _ in range(args.alone):
            s = Student(port, args)
            await s.connect()
            alone.append(s.framed - s.began)
            await s.close()
            await asyncio.sleep(0.3)
        students = [Student(port, args) for _ in range(n)]
        t0 = time.perf_counter()
        await asyncio.gather(*(s.connect() for s in students))
        waits = sorted(s.framed - t0 for s in students)
        await asyncio.sleep(1.0)  # every session drawn and idle
        zygote = warm_pid(server.pid) if warm else None
        sessions = [p for p in proc_tree(server.pid) if p not in (server.pid, zygote)]
        pss = sorted(memory_kib(p)[1] for p in sessions)
        rss = sorted(memory_kib(p)[0] for p in sessions)
        server_pss = memory_kib(server.pid)[1]
        zygote_pss = memory_kib(zygote)[1] if zygote else 0
    finally:
        await asyncio.gather(*(s.close() for s in students if hasattr(s, "conn")),
                             return_exceptions=True)
        server.terminate()
        await server.wait()
    return {
        "mode": "forked from the warm process" if warm else "new process (--no-warm)",
        "n": n,
        "alone": statistics.median(alone),
        "median": statistics.median(waits),
        "last": waits[-1],
        "ratio": waits[-1] / statistics.median(alone),
        "sessions": len(sessions),
        "pss": statistics.median(pss) / 1024,
        "rss": statistics.median(rss) / 1024,
        "pss_total": (sum(pss) + zygote_pss + server_pss) / 1024,
        "zygote": zygote_pss / 1024,
        "server": server_pss / 1024,
    }


def burst_table(rows: list[dict]) -> str:
    lines = [
        f"{os.cpu_count()} CPUs, client on the same machine, 80x24; first frame = the status "
        "line's `t = 0` received, from the start of the SSH connection",
        "",
        "| sessions start as | one login alone | {n} at once: median / last | last ÷ alone "
        "| PSS per session (median) | RSS per session | total PSS (server + warm + sessions) |"
        .format(n=rows[0]["n"] if rows else "N"),
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['mode']} | {r['alone'] * 1000:.0f} ms | {r['median']:.2f} s / "
            f"{r['last']:.2f} s | {r['ratio']:.1f}× | {r['pss']:.1f} MiB | {r['rss']:.0f} MiB "
            f"| {r['pss_total']:.0f} MiB ({r['server']:.0f} + {r['zygote']:.0f} + "
            f"{r['pss_total'] - r['server'] - r['zygote']:.0f}, {r['sessions']} sessions) |")
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
            for warm in ([True, False] if args.compare else [not args.no_warm]):
                rows.append(await burst(args.burst, args, key_path, warm))
                print(f"# burst of {args.burst}, {rows[-1]['mode']}: done", file=sys.stderr)
            print(burst_table(rows))
            return
        for n in args.sessions:
            row = await bench(n, args, key_path)
            print(f"# {n} sessions: done", file=sys.stderr)
            rows.append(row)
    print(table(rows, args))


def main() -> None:
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
    p.add_argument("--no-warm", action="store_true",
                   help="start the server with --no-warm (sessions as new processes)")
    p.add_argument("--max-sessions", type=int, default=0,
                   help="the server's --max-sessions (default: the number of sessions)")
    args = p.parse_args()
    random.seed(args.seed)
    asyncio.run(amain(args))


if __name__ == "__main__":
    main()
