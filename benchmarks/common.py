"""Shared helpers: the commands to run, medians, ratios, the machine's description."""

from __future__ import annotations

import os
import platform
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: First-frame markers: the status line's "t = 0/T", the baseline's one Static.
APP_MARKER = b"t = 0/"
BASELINE_MARKER = b"baseline ready"


def app_command(app_args: Sequence[str] = ()) -> list[str]:
    return [sys.executable, "-m", "rnn_tui", *app_args]


def baseline_command() -> list[str]:
    return [sys.executable, str(HERE / "baseline_app.py")]


def child_env() -> dict[str, str]:
    """The environment for child processes: rnn_tui importable from this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.pop("PYTHONWARNINGS", None)
    # As installed, a program starts from cached bytecode: a machine that sets
    # this would compile rnn_tui's ~9,000 lines on every start (~40 ms) and
    # the one-file baseline's 50. The warm-up run writes the cache.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


@dataclass
class Row:
    """One line of the table."""

    number: str
    figure: str
    ours: str
    baseline: str
    ratio: str
    target: str
    met: str  # "yes", "no" or "—" (reported, no target)


def yes_no(ok: bool) -> str:
    return "yes" if ok else "**no**"


def ratio_text(ratio: float) -> str:
    return f"{ratio:.2f}×"


def size_text(size: tuple[int, int]) -> str:
    return f"{size[0]}×{size[1]}"


def machine() -> str:
    """CPU model, core count, OS, and the versions that matter."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import numpy
    import textual

    textual_version = getattr(textual, "__version__", None)
    if textual_version is None:
        from importlib.metadata import version

        textual_version = version("textual")
    return (
        f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, Textual {textual_version}, NumPy {numpy.__version__}"
    )
