"""Row 3: bytes written to the terminal, on a real pty at 80×24 with TERM=xterm-256color.

After the first frame, keys are sent one at a time; what the app writes until
its output has been quiet for a moment is that key's cost. Sub-steps are Right
presses (cycling through the lesson, Home after the output, Home not counted);
whole steps are L presses (Home after the output, not counted).
"""

from __future__ import annotations

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


def _press(p: PtyProcess, key: str) -> int:
    p.send(KEYS[key])
    return len(p.read_until_quiet(STEP_QUIET, first=1.0))


def measure_one(argv: list[str], marker: bytes, time_steps: int, presses: int,
                size: tuple[int, int] = (80, 24)) -> Wire:
    """``time_steps`` is T: Right reaches the output after 4T + 1 presses, L after T + 1."""
    out = Wire()
    p = PtyProcess(argv, size=size, env=child_env(), cwd=str(ROOT))
    try:
        p.read_until(marker)
        p.read_until_quiet(QUIET, first=QUIET)
        out.first_frame = len(p.data)
        for key, per_cycle, record in (("right", 4 * time_steps + 1, out.substeps),
                                       ("L", time_steps + 1, out.steps)):
            done = 0
            while len(record) < presses:
                record.append(_press(p, key))
                done += 1
                if done == per_cycle:
                    _press(p, "home")
                    done = 0
            if done:
                _press(p, "home")
    finally:
        p.close()
    return out


def measure(presses: int = 26, time_steps: int = 3, app_args: tuple[str, ...] = (),
            size: tuple[int, int] = (80, 24)) -> tuple[Wire, Wire]:
    """(rnn-tui, baseline). Bytes do not depend on load: one run each."""
    app = measure_one(app_command(app_args), APP_MARKER, time_steps, presses, size)
    base = measure_one(baseline_command(), BASELINE_MARKER, time_steps, presses, size)
    return app, base
