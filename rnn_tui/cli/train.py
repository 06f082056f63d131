"""``rnn-tui train``: train the network by backpropagation through time and save the weights.

::

    rnn-tui train --out weights.json            # the lesson's three sentences
    rnn-tui --weights weights.json --text       # then look at the trained forward pass

The lesson's built-in ``trained`` weights are exactly what this makes with
``--epochs 2000 --seed 0 --decimals 6`` (see ``rnn_tui.core.train.PRESET_RECIPE``).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import cast

import numpy as np

from rnn_tui.cli.main import (
    PROG,
    CliError,
    Parser,
    add_model_options,
    build_gated_model,
    build_model,
    check_names,
    model_cell,
    positive_int,
)


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, not {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def decimals_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if not 0 <= value <= 15:
        raise argparse.ArgumentTypeError(f"must be between 0 and 15, not {value}")
    return value


def parser() -> Parser:
    from rnn_tui.core.optim import DEFAULT_LR
    from rnn_tui.core.train import PRESET_RECIPE

    p = Parser(
        prog=f"{PROG} train",
        description="Train the RNN by backpropagation through time; save the weights as JSON.",
        epilog=f"Load the result with: {PROG} --weights FILE --text",
    )
    add_model_options(p)
    g = p.add_argument_group("training")
    g.add_argument("--epochs", type=positive_int, default=PRESET_RECIPE["epochs"], metavar="N",
                   help=f"passes over the data (default {PRESET_RECIPE['epochs']})")
    g.add_argument("--optimizer", choices=("sgd", "adam"), default="adam",
                   help="default adam")
    g.add_argument("--lr", type=positive_float, default=None, metavar="X",
                   help="learning rate (default "
                   + ", ".join(f"{v} for {k}" for k, v in DEFAULT_LR.items()) + ")")
    g.add_argument("--clip", type=positive_float, default=None, metavar="X",
                   help="clip the gradient's global norm to X (default: no clipping)")
    g.add_argument("--batch-size", type=positive_int, default=None, metavar="N",
                   help="sentences per update, shuffled by --seed (default: all of them)")
    g.add_argument("--decimals", type=decimals_int, default=None, metavar="N",
                   help="round the saved weights to N decimals (default: full precision)")
    g.add_argument("--out", required=True, metavar="FILE", help="where to save the weights JSON")
    return p


def check_writable(out: Path) -> None:
    """Fail before training, not after, when the weights could not be saved.

    Only a regular file or a new name is written: a symbolic link, a device
    or a pipe is refused (``data.check_target``), never replaced.
    """
    from rnn_tui.core.data import check_target

    if out.is_dir():
        raise CliError(f"{out}: is a directory (--out wants a file name)")
    try:
        check_target(out)
    except OSError as exc:
        raise CliError(f"{out}: cannot write ({exc.strerror or exc})") from None
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise CliError(f"{out}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise CliError(f"{out}: folder {folder} is not writable")


def main(argv: Sequence[str]) -> int:
    from rnn_tui.core.backprop import TrainingError, evaluate
    from rnn_tui.core.data import DataError
    from rnn_tui.core.model import Weights, WeightsError
    from rnn_tui.core.train import rounded, train

    args = parser().parse_args(argv)
    check_names(args, "out")
    out = Path(args.out)
    check_writable(out)
    cell = model_cell(args)
    if cell != "rnn":
        return train_gated_main(args, out, cell)
    model = build_model(args)
    # the cell is "rnn" here (a gated cell went above), so build_model gave a Weights
    dataset, weights = model.dataset, cast(Weights, model.weights)
    epoch_done = 0
    start = time.perf_counter()
    try:
        print(
            f"training {args.epochs} epochs: {len(dataset)} sentences, "
            f"vocabulary {len(weights.vocab)}, hidden {weights.hidden}, {model.activation}, "
            f"{args.optimizer}" + (f" lr {args.lr}" if args.lr else ""),
            flush=True,
        )
        with ProgressBar(args.epochs) as report:

            def callback(epoch: int, loss: float, accuracy: float) -> None:
                nonlocal epoch_done
                epoch_done = epoch
                report(epoch, loss, accuracy)

            result = train(
                weights, dataset, args.epochs, lr=args.lr, seed=model.seed,
                optimizer=args.optimizer, clip=args.clip, activation=model.activation,
                callback=callback, batch_size=args.batch_size,
            )
    except KeyboardInterrupt:
        print(f"{PROG} train: interrupted at epoch {epoch_done} of {args.epochs}; "
              "nothing saved", file=sys.stderr)
        return 130
    except (TrainingError, DataError, WeightsError) as exc:
        raise CliError(str(exc)) from None
    seconds = time.perf_counter() - start
    trained = result.weights
    if args.decimals is not None:
        trained = rounded(trained, args.decimals)
    try:
        trained.save(out)  # atomic: out is the old file or the new one, never half of one
    except KeyboardInterrupt:
        print(f"{PROG} train: interrupted while saving; {out} is either as before or "
              "complete, never half-written", file=sys.stderr)
        return 130
    except OSError as exc:
        raise CliError(f"{out}: cannot write ({exc.strerror or exc})") from None
    except WeightsError as exc:  # save() turns an OSError into this
        raise CliError(str(exc)) from None
    with np.errstate(over="ignore", invalid="ignore"):
        loss, accuracy = evaluate(trained, dataset, model.activation)
    if not math.isfinite(loss):
        raise CliError(f"saved {out}, but the numbers overflowed: its loss is {loss} "
                       "(the weights are too large)")
    print(f"trained in {seconds:.2f} s: loss {loss:.6f}, accuracy {accuracy:.0%}")
    print(f"saved {out}; look at it with: {PROG} --weights {out} --text")
    return 0


def train_gated_main(args: argparse.Namespace, out: Path, cell: str) -> int:
    """``rnn-tui train --cell gru|lstm``: as for the rnn cell, with ``train_gated``."""
    from rnn_tui.core.backprop import TrainingError
    from rnn_tui.core.cells import mean_loss
    from rnn_tui.core.data import DataError
    from rnn_tui.core.model import WeightsError
    from rnn_tui.core.train import rounded_gated, train_gated

    dataset, weights, seed = build_gated_model(args, cell)
    epoch_done = 0
    start = time.perf_counter()
    try:
        print(f"training {args.epochs} epochs: {len(dataset)} sentences, vocabulary "
              f"{len(weights.vocab)}, hidden {weights.hidden}, {cell}, {args.optimizer}"
              + (f" lr {args.lr}" if args.lr else ""), flush=True)
        with ProgressBar(args.epochs) as report:

            def callback(epoch: int, loss: float, accuracy: float) -> None:
                nonlocal epoch_done
                epoch_done = epoch
                report(epoch, loss, accuracy)

            result = train_gated(weights, dataset, args.epochs, lr=args.lr, seed=seed,
                                 optimizer=args.optimizer, clip=args.clip, callback=callback,
                                 batch_size=args.batch_size)
    except KeyboardInterrupt:
        print(f"{PROG} train: interrupted at epoch {epoch_done} of {args.epochs}; "
              "nothing saved", file=sys.stderr)
        return 130
    except (TrainingError, DataError, WeightsError) as exc:
        raise CliError(str(exc)) from None
    seconds = time.perf_counter() - start
    trained = result.weights
    if args.decimals is not None:
        trained = rounded_gated(trained, args.decimals)
    try:
        trained.save(out)
    except KeyboardInterrupt:
        print(f"{PROG} train: interrupted while saving; {out} is either as before or "
              "complete, never half-written", file=sys.stderr)
        return 130
    except WeightsError as exc:
        raise CliError(str(exc)) from None
    with np.errstate(over="ignore", invalid="ignore"):
        loss = mean_loss(trained, dataset.X, dataset.lengths, dataset.labels)
    accuracy = result.history.accuracies[-1] if result.history.accuracies else 0.0
    print(f"trained in {seconds:.2f} s: loss {loss:.6f}, accuracy {accuracy:.0%} "
          "(of the last epoch)")
    print(f"saved {out}; look at it with: {PROG} --weights {out} --text")
    return 0


class ProgressBar:
    """A Rich progress bar on stderr, updated at most 20 times a second; Rich imported only here."""

    def __init__(self, epochs: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.epochs = epochs
        self.last = -1.0
        self.bar = Progress(
            TextColumn("epoch"),
            MofNCompleteColumn(),
            BarColumn(),
            TextColumn("loss {task.fields[loss]}"),
            TextColumn("accuracy {task.fields[accuracy]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self.task = self.bar.add_task("train", total=epochs, loss="-", accuracy="-")

    def __enter__(self):
        self.bar.__enter__()
        return self.report

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.bar.__exit__(exc_type, exc, tb)

    def report(self, epoch: int, loss: float, accuracy: float) -> None:
        now = time.monotonic()
        if now - self.last >= 0.05 or epoch == self.epochs:
            self.last = now
            self.bar.update(self.task, completed=epoch, loss=f"{loss:.6f}",
                            accuracy=f"{accuracy:.0%}")
