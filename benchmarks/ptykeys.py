"""Row 2, on a real pty: the whole process's CPU per key press, writing included.

Row 2's Pilot figure leaves out what only a terminal costs: reading the key
from the pty, and writing the frame (for rnn-tui, the damage writing of
rnn_tui/term/damage.py, which compares each frame with the screen it keeps).
Here the app runs as ``rnn-tui`` would, on a pty (TERM=xterm-256color), and
the same keys as row 2 are sent one at a time, each after the last one's frame
was written (output quiet for ``QUIET`` seconds). The figure is the CPU the
process spent (all its threads: Linux /proc/PID/task/*/schedstat) over the
measured presses, divided by their count; the baseline app gets the same
keys, alternately. The waits are idle: both apps spend them asleep.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.common import (
    APP_MARKER,
    BASELINE_MARKER,
    ROOT,
    app_command,
    baseline_command,
    child_env,
)
from benchmarks.keys import cycle_keys
from benchmarks.ptyrun import KEYS, PtyProcess
from benchmarks.startup import QUIET as FIRST_QUIET

#: Seconds without output that end one key's frame.
QUIET = 0.04


def cpu_seconds(pid: int) -> float:
    """CPU time of every thread of ``pid`` so far (nanosecond counts, Linux)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):  # a thread that just ended
            continue
    return total / 1e9


def press_cost(argv: list[str], marker: bytes, keys: list[str], size: tuple[int, int],
               warmup: int, presses: int) -> float:
    """CPU seconds per press of ``keys`` (cycled), after ``warmup`` presses."""
    p = PtyProcess(argv, size=size, env=child_env(), cwd=str(ROOT))
    try:
        p.read_until(marker)
        p.read_until_quiet(FIRST_QUIET, first=FIRST_QUIET)
        sent = 0

        def press() -> None:
            nonlocal sent
            p.send(KEYS[keys[sent % len(keys)]])
            sent += 1
            p.read_until_quiet(QUIET, first=1.0)

        for _ in range(warmup):
            press()
        start = cpu_seconds(p.pid)
        for _ in range(presses):
            press()
        return (cpu_seconds(p.pid) - start) / presses
    finally:
        p.close()


@dataclass
class PtyCosts:
    app: list[float] = field(default_factory=list)  # CPU seconds per press, one per round
    baseline: list[float] = field(default_factory=list)


def measure(size: tuple[int, int], presses: int = 60, warmup: int = 10, rounds: int = 3,
            app_args: tuple[str, ...] = (), time_steps: int = 3) -> PtyCosts:
    keys = cycle_keys(time_steps)
    out = PtyCosts()
    for i in range(rounds):
        order = [False, True] if i % 2 == 0 else [True, False]
        for is_app in order:
            if is_app:
                out.app.append(press_cost(app_command(app_args), APP_MARKER, keys, size,
                                          warmup, presses))
            else:
                out.baseline.append(press_cost(baseline_command(), BASELINE_MARKER, keys, size,
                                               warmup, presses))
    return out


def available() -> bool:
    return os.path.exists(f"/proc/{os.getpid()}/task")
