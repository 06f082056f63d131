"""Row 3: bytes written to the terminal, on a real pty at 80×24 with TERM=xterm-256color.

After the first frame, keys are sent one at a time; what the app writes until
its output has been quiet for a moment is that key's cost. Sub-steps are Right
presses (cycling through the lesson, Home after the output, Home not counted);
whole steps are L presses (Home after the output, not counted).
"""

from __future__ import annotations

import codecs
import statistics
import time
from dataclasses import dataclass, field

from benchmarks.common import (
    APP_MARKER,
    BASELINE_MARKER,
    ROOT,
    app_command,
    baseline_command,
    child_env,
)
from benchmarks.ptyrun import KEYS, PtyProcess
from benchmarks.startup import QUIET

STEP_QUIET = 0.12  # seconds without output that end one key's repaint


@dataclass
class Wire:
    first_frame: int = 0
    substeps: list[int] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    #: everything written, the first frame and then one item per key (Home too)
    chunks: list[bytes] = field(default_factory=list)


def _press(p: PtyProcess, key: str, chunks: list[bytes]) -> int:
    p.send(KEYS[key])
    chunks.append(p.read_until_quiet(STEP_QUIET, first=1.0))
    return len(chunks[-1])


def measure_one(argv: list[str], marker: bytes, time_steps: int, presses: int,
                size: tuple[int, int] = (80, 24), env: dict[str, str] | None = None) -> Wire:
    """``time_steps`` is T: Right reaches the output after 4T + 1 presses, L after T + 1."""
    out = Wire()
    p = PtyProcess(argv, size=size, env=child_env() | (env or {}), cwd=str(ROOT))
    try:
        p.read_until(marker)
        p.read_until_quiet(QUIET, first=QUIET)
        out.first_frame = len(p.data)
        out.chunks.append(bytes(p.data))
        for key, per_cycle, record in (("right", 4 * time_steps + 1, out.substeps),
                                       ("L", time_steps + 1, out.steps)):
            done = 0
            while len(record) < presses:
                record.append(_press(p, key, out.chunks))
                done += 1
                if done == per_cycle:
                    _press(p, "home", out.chunks)
                    done = 0
            if done:
                _press(p, "home", out.chunks)
    finally:
        p.close()
    return out


def measure(presses: int = 26, time_steps: int = 3, app_args: tuple[str, ...] = (),
            size: tuple[int, int] = (80, 24)) -> tuple[Wire, Wire, Wire]:
    """(rnn-tui, baseline, rnn-tui writing as Textual does). Bytes do not depend
    on load: one run each."""
    app = measure_one(app_command(app_args), APP_MARKER, time_steps, presses, size)
    base = measure_one(baseline_command(), BASELINE_MARKER, time_steps, presses, size)
    raw = measure_one(app_command(app_args), APP_MARKER, time_steps, presses, size,
                      env={"RNN_TUI_RAW_OUTPUT": "1"})
    return app, base, raw


def writer_cost(raw: Wire, size: tuple[int, int] = (80, 24),
                repeats: int = 5) -> tuple[float, float]:
    """CPU per key, in ms (median over keys, best of ``repeats``), of what the app
    does to Textual's writes: (rnn_tui.term.Terminal.rewrite, rnn_tui.term.compact alone).

    Replays what Textual wrote (``raw``, recorded with RNN_TUI_RAW_OUTPUT=1) one
    key at a time. Row 2 does not include it: under Pilot nothing is written."""
    from rnn_tui.term import Terminal, compact

    decoder = codecs.getincrementaldecoder("utf-8")()
    writes = [decoder.decode(chunk) for chunk in raw.chunks]
    costs = []
    for rewrite in ("damage", "compact"):
        best = [float("inf")] * len(writes)
        for _ in range(repeats):
            terminal = Terminal()
            for i, data in enumerate(writes):
                start = time.perf_counter()
                terminal.rewrite(data, size) if rewrite == "damage" else compact(data)
                best[i] = min(best[i], time.perf_counter() - start)
        costs.append(statistics.median(best[1:]) * 1000)  # keys only, not the first frame
    return costs[0], costs[1]
