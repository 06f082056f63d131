"""Rows 1 and 5: start-up to first frame, and peak RSS once started.

Each run spawns the whole process on a real pty (80×24, TERM=xterm-256color),
waits for a string of the first frame, then reads until the output has been
quiet for a moment: the first frame's time is when its last byte arrived. Peak
RSS (VmHWM) is read then, and 'q' is sent. The app and the baseline alternate.
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
from benchmarks.ptyrun import PtyProcess

QUIET = 0.25  # seconds without output that end the first frame


@dataclass
class Startup:
    app_seconds: list[float] = field(default_factory=list)
    baseline_seconds: list[float] = field(default_factory=list)
    app_rss: list[int] = field(default_factory=list)
    baseline_rss: list[int] = field(default_factory=list)
    app_first_frame_bytes: list[int] = field(default_factory=list)
    baseline_first_frame_bytes: list[int] = field(default_factory=list)


def first_frame(argv: list[str], marker: bytes, size: tuple[int, int]) -> tuple[float, int, int]:
    """(seconds to the first frame, peak RSS in bytes, bytes written) for one process."""
    p = PtyProcess(argv, size=size, env=child_env(), cwd=str(ROOT))
    try:
        p.read_until(marker)
        p.read_until_quiet(QUIET, first=QUIET)
        seconds = p.last_chunk_at - p.start
        rss = p.peak_rss()
        written = len(p.data)
    finally:
        code = p.close()
    if code != 0:
        raise RuntimeError(f"{argv} exited with {code}")
    return seconds, rss, written


def measure(runs: int = 7, size: tuple[int, int] = (80, 24), app_args: tuple[str, ...] = (),
            warmup: int = 1) -> Startup:
    out = Startup()
    app, base = app_command(app_args), baseline_command()
    for _ in range(warmup):  # bytecode and the page cache, not counted
        first_frame(base, BASELINE_MARKER, size)
        first_frame(app, APP_MARKER, size)
    for i in range(runs):
        # alternate which goes first, so that a drift in load hits both alike
        order = [(base, False), (app, True)] if i % 2 == 0 else [(app, True), (base, False)]
        for argv, is_app in order:
            seconds, rss, written = first_frame(
                argv, APP_MARKER if is_app else BASELINE_MARKER, size
            )
            if is_app:
                out.app_seconds.append(seconds)
                out.app_rss.append(rss)
                out.app_first_frame_bytes.append(written)
            else:
                out.baseline_seconds.append(seconds)
                out.baseline_rss.append(rss)
                out.baseline_first_frame_bytes.append(written)
    return out
