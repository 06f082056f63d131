"""Issue 13: a flood of input never grows the app without bound.

Textual's input thread reads the terminal as fast as bytes come and posted an
event per key into the app's unbounded queue: sending ``l`` as fast as possible
grew a session from 53 MB to 2.9 GB in a minute. The driver now holds at most
``driver.MAX_PENDING_INPUT`` events in the app's hands and otherwise waits, so
the terminal (and the server behind it) stop sending. Measured here on a real
pty: the child's peak RSS (VmHWM) across a flood, and that it still answers.
"""

from __future__ import annotations

import os
import random
import select
import sys
import time

import pytest

from rnn_tui.tui import driver

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pty and /proc")

#: how much the app may grow during a flood (before the fix it grew 90-110 MB in 3 s; now 2-6 MB)
GROWTH_LIMIT = 40 * 1024 * 1024


def status_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def start(tmp_path, served: bool = True):
    from benchmarks.ptyrun import PtyProcess

    env = dict(os.environ)
    env.pop("RNN_TUI_RAW_OUTPUT", None)
    if served:
        env["RNN_TUI_SERVED"] = "1"  # nothing a random key does writes a file
    p = PtyProcess([sys.executable, "-m", "rnn_tui", "--lang", "en"], env=env,
                   cwd=str(tmp_path))
    p.read_until(b"rnn-tui", timeout=30)
    p.read_until_quiet(0.3, first=10.0)
    return p


def flood(p, chunk: bytes | None, seconds: float, limit: int, seed: int = 0) -> int:
    """Write ``chunk`` (or random printable bytes) as fast as the pty takes it, for
    at most ``seconds`` and ``limit`` bytes, reading (and dropping) the output
    all along. Returns the bytes written."""
    rng = random.Random(seed)
    printable = bytes(c for c in range(0x20, 0x7F) if c not in b"qQ")  # q would quit
    os.set_blocking(p.fd, False)
    sent = 0
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline and sent < limit:
            readable, writable, _ = select.select([p.fd], [p.fd], [], 0.05)
            if readable:
                try:
                    if not os.read(p.fd, 65536):
                        break
                except BlockingIOError:
                    pass
                except OSError:  # EIO: the child is gone
                    break
            if writable:
                data = chunk if chunk is not None else bytes(
                    rng.choice(printable) for _ in range(256))
                try:
                    sent += os.write(p.fd, data[: limit - sent])
                except BlockingIOError:
                    pass
    finally:
        os.set_blocking(p.fd, True)
    return sent


def still_answers(p, timeout: float) -> bool:
    """After the flood: the app catches up and quits on ``q`` within ``timeout`` s
    (escape first: random keys may have opened another screen)."""
    deadline = time.monotonic() + timeout
    p.read_until_quiet(0.5, first=0.5)  # what was sent is taken
    p.data.clear()
    keys = [b"\x1b", b"\x1b", b"\x1b", b"q"]
    while time.monotonic() < deadline:
        p.send(keys[0])
        keys = keys[1:] + keys[:1]
        end = time.monotonic() + 0.3  # apart: ESC then q at once would be alt+q
        while time.monotonic() < end:
            pid, status = os.waitpid(p.pid, os.WNOHANG)
            if pid:
                p.returncode = os.waitstatus_to_exitcode(status)
                return p.returncode == 0
            p._read(0.05)
            p.data.clear()
    return False


def run_flood(tmp_path, chunk: bytes | None, seconds: float) -> tuple[int, int]:
    p = start(tmp_path)
    try:
        before = status_kb(p.pid, "VmRSS")
        sent = flood(p, chunk, seconds, limit=64 * 1024 * 1024)
        peak = status_kb(p.pid, "VmHWM")
        after = status_kb(p.pid, "VmRSS")
        print(f"sent {sent} B in {seconds} s; RSS {before} kB -> {after} kB, peak {peak} kB")
        assert (peak - before) * 1024 < GROWTH_LIMIT, (before, peak)
        assert still_answers(p, timeout=30)
    finally:
        if p.returncode is None:
            p.close(quit_keys=b"\x1bq", timeout=5)
        else:
            os.close(p.fd)
    return before, peak


@pytest.mark.slow  # a flood: 18 s of wall time; the gate's own tests below stay quick
def test_a_flood_of_l_keeps_memory_bounded(tmp_path) -> None:
    run_flood(tmp_path, b"l" * 4096, seconds=3)


@pytest.mark.slow  # ~18 s on a busy 2-core machine
def test_a_flood_of_random_printable_bytes_keeps_memory_bounded(tmp_path) -> None:
    run_flood(tmp_path, None, seconds=3)


@pytest.mark.slow
@pytest.mark.parametrize("chunk", [b"l" * 4096, None], ids=["l", "random"])
def test_a_long_flood_keeps_memory_bounded(tmp_path, chunk) -> None:
    run_flood(tmp_path, chunk, seconds=20)


# --- the gate itself -------------------------------------------------------------------


def test_the_gate_admits_up_to_its_limit_then_waits_then_drops() -> None:
    gate = driver.InputGate(limit=3, stall=0.2)
    assert [gate.admit() for _ in range(3)] == [True] * 3
    t = time.monotonic()
    assert gate.admit() is False  # the app took none for 0.2 s: dropped
    assert 0.15 < time.monotonic() - t < 2
    t = time.monotonic()
    assert gate.admit() is False  # still stalled: dropped at once
    assert time.monotonic() - t < 0.1
    gate.taken()
    assert gate.admit() is True  # the app took one: one more
    gate.idle()
    assert gate.pending == 0 and [gate.admit() for _ in range(3)] == [True] * 3
    assert gate.dropped == 2


def test_the_gate_waits_for_the_app_rather_than_dropping() -> None:
    import threading

    gate = driver.InputGate(limit=2, stall=5)
    admitted = []

    def post() -> None:
        for _ in range(6):
            admitted.append(gate.admit())

    thread = threading.Thread(target=post)
    thread.start()
    for _ in range(40):
        time.sleep(0.01)
        gate.taken()
        if len(admitted) == 6:
            break
    thread.join(5)
    assert admitted == [True] * 6 and gate.dropped == 0


def test_the_gate_lets_go_when_the_driver_stops() -> None:
    gate = driver.InputGate(limit=1, stall=30)
    assert gate.admit()
    t = time.monotonic()
    assert gate.admit(stop=lambda: True) is False
    assert time.monotonic() - t < 1
