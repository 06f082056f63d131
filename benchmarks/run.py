"""Run the benchmark suite and print one Markdown table (issue 4).

Shared machines are noisy, so each figure is the median of several runs, set
against a baseline measured alternately in the same run (a minimal Textual app
that imports NumPy and shows one Static: benchmarks/baseline_app.py), and
quoted as a ratio.

Rows:

1. start-up to the first frame, whole process on a pty (benchmarks/startup.py)
2. CPU time per key press under Pilot, at 80×24 and 200×60 (benchmarks/keys.py), on
   the lesson's data and on a second file (benchmarks/five.tsv: 5 sentences of
   lengths 1–6 over 3 words, hidden 4); and the same keys on a real pty, the
   whole process's CPU, writing included (benchmarks/ptykeys.py)
3. bytes written to a real pty per step (benchmarks/wire.py)
4. the engine at scale, and the Stepper's memory per step (benchmarks/scale.py)
5. peak RSS after start (benchmarks/startup.py)

Run:  python -m benchmarks [--out benchmarks/RESULTS.md]     (about 12 minutes)
      python -m benchmarks --quick                           (tiny sizes, a few seconds)
Rows 1, 3 and 5 need a POSIX pty (Linux for RSS). Training speed is separate:
benchmarks/train_bench.py.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (  # noqa: E402
    HERE,
    Row,
    machine,
    median,
    ratio_text,
    size_text,
    yes_no,
)

#: Row 2's second data: 5 sentences of lengths 1–6 over 3 words, hidden 4 (issue 22).
SECOND_DATA = ("--data", str(HERE / "five.tsv"), "--hidden", "4")
SECOND_NAME = "5 sentences (benchmarks/five.tsv: lengths 1–6, 3 words, hidden 4)"

#: Targets from issue 4 (row 2's from issue 22).
STARTUP_TARGET = 1.25
KEY_RATIO_TARGET = 2.0
KEY_MS_TARGET = 5.0
BYTES_TARGET = 1500
SCALE_TARGET = 1.2


def parse_size(text: str) -> tuple[int, int]:
    cols, rows = text.lower().split("x")
    return int(cols), int(rows)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="tiny sizes and few runs: checks that the suite works (the smoke test)")
    p.add_argument("--only", default="1,2,3,4,5", help="rows to run, e.g. 1,5 (default all)")
    p.add_argument("--runs", type=int, default=7, help="start-up runs of each app (default 7)")
    p.add_argument("--presses", type=int, default=200, help="key presses under Pilot (200)")
    p.add_argument("--warmup", type=int, default=20, help="presses before measuring (20)")
    p.add_argument("--rounds", type=int, default=5, help="Pilot runs of each app per size (5)")
    p.add_argument("--sizes", default="80x24,200x60", help="terminal sizes for row 2")
    p.add_argument("--wire-presses", type=int, default=26,
                   help="Right and L presses measured on the pty (26 each)")
    p.add_argument("--scale", default="512,10000,64,100", metavar="H,V,B,T",
                   help="row 4: hidden, vocab, batch, time steps (default 512,10000,64,100)")
    p.add_argument("--scale-runs", type=int, default=5, help="row 4 runs of each (5)")
    p.add_argument("--data", metavar="FILE", help="rnn-tui --data FILE for rows 1-3 and 5 "
                   "(default: the lesson's 3 sentences)")
    p.add_argument("--no-second", action="store_true",
                   help="row 2 on the first data only (not also on benchmarks/five.tsv)")
    p.add_argument("--pty-presses", type=int, default=60,
                   help="row 2 on a pty: key presses measured per run (60)")
    p.add_argument("--pty-rounds", type=int, default=3,
                   help="row 2 on a pty: runs of each app per size and data (3)")
    p.add_argument("--out", metavar="FILE",
                   help="also write the table to FILE, replacing its part before the "
                   "first '## ' heading (the sections below it are kept)")
    return p


def quick(args: argparse.Namespace) -> None:
    args.runs, args.presses, args.warmup, args.rounds = 1, 5, 2, 1
    args.sizes, args.wire_presses = "80x24", 3
    args.pty_presses, args.pty_rounds = 3, 1
    args.scale, args.scale_runs = "8,50,4,10", 1


def run(args: argparse.Namespace, log=print) -> tuple[list[Row], list[str]]:
    rows: list[Row] = []
    notes: list[str] = []
    only = {s.strip() for s in args.only.split(",")}
    app_args = ("--data", args.data) if args.data else ()
    data_name = f"--data {args.data}" if args.data else "the lesson's 3 sentences (T = 3)"

    from benchmarks import keys as keys_bench

    steps = keys_bench.time_steps(app_args)
    cycle = f"Right ×{4 * steps + 1} then Home, repeated"

    startup = None
    if only & {"1", "5"}:
        from benchmarks import startup as startup_bench

        log(f"rows 1, 5: start-up, {args.runs} runs of each ...")
        startup = startup_bench.measure(runs=args.runs, app_args=app_args)
    if "1" in only and startup:
        a, b = median(startup.app_seconds), median(startup.baseline_seconds)
        r = a / b
        rows.append(Row("1", f"Start-up to first frame (80×24 pty, median of {args.runs})",
                        f"{a:.3f} s", f"{b:.3f} s", ratio_text(r), f"≤ {STARTUP_TARGET}×",
                        yes_no(r <= STARTUP_TARGET)))
        notes.append("Row 1: whole process on a pty, until the last byte of the first frame; "
                     "one warm-up run of each first, which also writes the bytecode cache as "
                     "an install would (even where PYTHONDONTWRITEBYTECODE is set).")

    if "2" in only:
        datas = [(app_args, "the lesson's data" if not args.data else f"--data {args.data}")]
        if not args.no_second:
            datas.append((SECOND_DATA, "5 sentences"))
        from benchmarks import ptykeys

        for data_args, name in datas:
            data_steps = keys_bench.time_steps(data_args)
            for size in [parse_size(s) for s in args.sizes.split(",")]:
                log(f"row 2: key presses at {size_text(size)}, {name}, {args.rounds} rounds ...")
                costs = keys_bench.measure(size, presses=args.presses, warmup=args.warmup,
                                           rounds=args.rounds, app_args=data_args)
                a = median([c.cpu for c in costs.app]) * 1000
                b = median([c.cpu for c in costs.baseline]) * 1000
                rep = median([c.repaints for c in costs.app])
                r = a / b
                rows.append(Row("2", f"CPU per key press, {size_text(size)}, {name} (Pilot, "
                                f"{args.presses} presses, {rep:.1f} panel repaints/press)",
                                f"{a:.2f} ms", f"{b:.2f} ms", ratio_text(r),
                                f"≤ {KEY_RATIO_TARGET:g}×, ≤ {KEY_MS_TARGET:g} ms",
                                yes_no(r <= KEY_RATIO_TARGET and a <= KEY_MS_TARGET)))
                if costs.floor:
                    f = median([c.cpu for c in costs.floor]) * 1000
                    rows.append(Row("2", f"… rnn-tui against the floor: {costs.widgets} "
                                    f"Statics, {costs.repaints:.1f} repainted per press, "
                                    "nothing computed (Pilot; the Baseline column is the "
                                    "floor)",
                                    f"{a:.2f} ms", f"{f:.2f} ms", ratio_text(a / f),
                                    "reported", "—"))
                if not ptykeys.available():
                    continue
                log(f"row 2: on a pty at {size_text(size)}, {name}, {args.pty_rounds} rounds ...")
                pty = ptykeys.measure(size, presses=args.pty_presses, rounds=args.pty_rounds,
                                      app_args=data_args, time_steps=data_steps)
                a, b = median(pty.app) * 1000, median(pty.baseline) * 1000
                rows.append(Row("2", f"… the same on a pty, {size_text(size)}, {name} (whole "
                                f"process, writing included, {args.pty_presses} presses)",
                                f"{a:.2f} ms", f"{b:.2f} ms", ratio_text(a / b), "reported",
                                "—"))
        notes.append(f"Row 2: {args.warmup} warm-up presses, then {args.presses} measured: "
                     f"{cycle} (×{4 * keys_bench.time_steps(SECOND_DATA) + 1} on the 5 "
                     f"sentences); median of "
                     f"{args.rounds} rounds per app, alternated. Pilot is headless: frames "
                     "are composed, not written. On a pty (benchmarks/ptykeys.py): the same "
                     f"keys one at a time, each after the last one's frame, the CPU of all "
                     f"the process's threads over {args.pty_presses} presses, median of "
                     f"{args.pty_rounds} runs per app, alternated: reading the key and "
                     "writing the frame (for rnn-tui, only the cells that changed) included. "
                     "The floor (benchmarks/floor_app.py): a Textual app with as many widgets "
                     "as rnn-tui's screen that repaints as many per press as rnn-tui did "
                     "(Static.update, whole Statics, no layout), alternated with the two: "
                     "what Textual costs, done the usual way, for that screen alone.")
        if not args.no_second:
            notes.append(f"Row 2, second data: {SECOND_NAME}.")

    if "3" in only:
        from benchmarks import wire

        log("row 3: bytes per step on a pty ...")
        app, base, raw = wire.measure(presses=args.wire_presses, time_steps=steps,
                                      app_args=app_args)
        rows.append(Row("3", "Bytes written, first frame (80×24, xterm-256color)",
                        f"{app.first_frame:,}", f"{base.first_frame:,}",
                        ratio_text(app.first_frame / base.first_frame), "—", "—"))
        for name, a_list, b_list in (("sub-step (Right)", app.substeps, base.substeps),
                                     ("whole step (L)", app.steps, base.steps)):
            a, b = median(a_list), median(b_list)
            rows.append(Row("3", f"Bytes per {name}, median of {len(a_list)} (max {max(a_list):,})",
                            f"{a:,.0f}", f"{b:,.0f}", ratio_text(a / b),
                            f"≤ {BYTES_TARGET:,} bytes", yes_no(a <= BYTES_TARGET)))
        notes.append(f"Row 3: keys sent one at a time, a key's bytes are what is written until "
                     f"{wire.STEP_QUIET * 1000:.0f} ms of quiet; Right: {cycle} (Home not "
                     "counted); L to the output, then Home (not counted).")
        damage_ms, compact_ms = wire.writer_cost(raw)
        notes.append(
            "Row 3, for comparison: the same keys written as Textual writes them "
            f"(RNN_TUI_RAW_OUTPUT=1): first frame {raw.first_frame:,}, sub-step "
            f"{median(raw.substeps):,.0f}, whole step {median(raw.steps):,.0f} bytes. "
            "Writing only the cells that changed (rnn_tui/term/damage.py) costs "
            f"{damage_ms:.2f} ms of CPU per key (median; colour codes alone, rnn_tui.term.compact: "
            f"{compact_ms:.2f} ms), replaying that recording; row 2 leaves it out, since "
            "under Pilot nothing is written.")

    if "4" in only:
        from benchmarks import scale

        H, V, B, T = (int(v) for v in args.scale.split(","))
        log(f"row 4: engine at H={H}, V={V}, B={B}, T={T}, {args.scale_runs} runs ...")
        sc = scale.measure(H, V, B, T, runs=args.scale_runs)
        bare = median(sc.seconds["bare"])
        for name, label in (("stepper", "Stepper"), ("forward", "`forward`")):
            a = median(sc.seconds[name])
            r = a / bare
            rows.append(Row("4", f"Engine: {label}, H={H} V={V:,} B={B} T={T}",
                            f"{a:.3f} s", f"{bare:.3f} s (bare loop)", ratio_text(r),
                            f"≤ {SCALE_TARGET}×", yes_no(r <= SCALE_TARGET)))
        m = sc.memory
        ok = m.linear and m.x_is_view
        rows.append(Row("4", "Engine: Stepper history per step",
                        f"{m.per_step / 1024:,.0f} KiB = {m.arrays_per_step:.1f} (B,H) arrays",
                        f"(B,H) = {m.bh_bytes / 1024:,.0f} KiB", "—",
                        "O(T·B·H): constant per step, x a view",
                        yes_no(ok) + f" (x {'a view' if m.x_is_view else 'COPIED'}, "
                        f"{'constant' if m.linear else 'GROWING'} per step)"))
        notes.append(f"Row 4: random one-hot sentences, float64, median of {args.scale_runs} "
                     "runs in rotating order; the bare loop keeps nothing.")

    if "5" in only and startup:
        a, b = median(startup.app_rss), median(startup.baseline_rss)
        rows.append(Row("5", "Peak RSS after start (VmHWM at first frame)",
                        f"{a / 2**20:.1f} MiB", f"{b / 2**20:.1f} MiB", ratio_text(a / b),
                        "reported", "—"))

    notes.insert(0, f"Data: {data_name}. Baseline: benchmarks/baseline_app.py (Textual + NumPy, "
                 "one Static), measured alternately in the same run.")
    return rows, notes


def table(rows: Sequence[Row], notes: Sequence[str], when: str, where: str) -> str:
    lines = [
        f"Measured {when} on {where}.",
        "",
        "| # | Figure | rnn-tui | Baseline | Ratio | Target | Met |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r.number} | {r.figure} | {r.ours} | {r.baseline} | {r.ratio} | "
                     f"{r.target} | {r.met} |")
    lines.append("")
    lines.extend(f"- {n}" for n in notes)
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.quick:
        quick(args)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    rows, notes = run(args, log)
    when = datetime.date.today().isoformat()
    text = table(rows, notes, when, machine())
    sys.stdout.write(text)
    if args.out:
        write_results(Path(args.out), text)
    return 0


def write_results(path: Path, table_text: str) -> None:
    """Put ``table_text`` in ``path`` in place of the part of the file it owns: all
    before the first line that starts with "## ". The sections from there on
    (other benchmarks append theirs: "## The classroom server ...") are kept.
    Written to a temporary file first, then renamed: never half-written."""
    rest = ""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        at = 0 if old.startswith("## ") else old.find("\n## ") + 1  # 0: no heading
        rest = old[at:] if at or old.startswith("## ") else ""
    text = table_text if not rest else table_text.rstrip("\n") + "\n\n" + rest
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
