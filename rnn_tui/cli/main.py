"""The ``rnn-tui`` command: argument parsing and one-line errors.

``rnn-tui [options]`` opens the stepper (or ``--text`` prints the forward
pass). Subcommands (``rnn-tui NAME ...``) are listed in ``SUBCOMMANDS`` and
imported only when used, so start-up stays fast.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

from rnn_tui import __version__
from rnn_tui.teach import i18n
from rnn_tui.teach.i18n import tr

if TYPE_CHECKING:  # imported when used (start-up time)
    from rnn_tui.core.cells import GatedWeights
    from rnn_tui.core.data import Dataset
    from rnn_tui.core.model import Weights

PROG = "rnn-tui"

#: name -> module with ``main(argv) -> int``; imported lazily.
SUBCOMMANDS: dict[str, str] = {
    "train": "rnn_tui.cli.train",
    "export": "rnn_tui.cli.export",
    "serve": "rnn_tui.cli.serve",
    "web": "rnn_tui.cli.web",
}


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


#: argparse's fixed phrases (Python 3.10-3.13) and our type checks' own, each a
#: pattern and the catalogue key that says it in the current language.
_ARGPARSE_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), key) for pattern, key in (
        (r"argument (?P<name>[^:]+): (?P<message>.*)", "cli.arg.argument"),
        (r"unrecognized arguments: (?P<args>.*)", "cli.arg.unrecognized"),
        (r"the following arguments are required: (?P<args>.*)", "cli.arg.required"),
        (r"one of the arguments (?P<args>.*) is required", "cli.arg.one_of_required"),
        (r"not allowed with argument (?P<arg>.*)", "cli.arg.not_allowed_with"),
        (r"invalid choice: (?P<value>.*) \(choose from (?P<choices>.*)\)",
         "cli.arg.invalid_choice"),
        (r"invalid (?P<type>\S+) value: (?P<value>.*)", "cli.arg.invalid_type"),
        (r"ambiguous option: (?P<option>\S+) could match (?P<matches>.*)", "cli.arg.ambiguous"),
        (r"ignored explicit argument (?P<value>.*)", "cli.arg.ignored_explicit"),
        (r"expected one argument", "cli.arg.expected_one"),
        (r"expected at most one argument", "cli.arg.expected_at_most_one"),
        (r"expected at least one argument", "cli.arg.expected_at_least_one"),
        (r"expected (?P<n>\d+) arguments?", "cli.arg.expected_n"),
        (r"expected a whole number, not (?P<text>.*)", "cli.arg.whole_number"),
        (r"expected a number, not (?P<text>.*)", "cli.arg.number"),
        (r"must be at least (?P<low>\S+), not (?P<value>.*)", "cli.arg.at_least"),
        (r"must be between (?P<low>\S+) and (?P<high>\S+), not (?P<value>.*)",
         "cli.arg.between"),
        (r"must be 0 or more, not (?P<value>.*)", "cli.arg.zero_or_more"),
        (r"must be a positive number, not (?P<value>.*)", "cli.arg.positive"),
    )
)


def translate_usage_error(message: str) -> str:
    """argparse's English usage error in the current language (``--lang ko``).

    argparse writes fixed English phrases; each one we know is matched and said
    again through the catalogue (an ``argument X: ...`` wraps another phrase,
    which is translated too). What the user typed is kept as typed; a phrase we
    don't know stays English."""
    if i18n.lang() == "en":
        return message
    for pattern, key in _ARGPARSE_PHRASES:
        match = pattern.fullmatch(message)
        if match:
            values = match.groupdict()
            if "message" in values:
                values["message"] = translate_usage_error(values["message"])
            return tr(key, **values)
    return message


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (not usage + error), in our language."""

    def error(self, message: str) -> NoReturn:
        raise CliError(tr("cli.see_help", message=translate_usage_error(message),
                          prog=self.prog))


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, not {value}")
        return value

    parse.__name__ = "int"
    return parse


def seed_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """The options every command that builds a model takes."""
    g = parser.add_argument_group("model")
    g.add_argument("--data", metavar="FILE", help="sentences: 'label<TAB>sentence' per line "
                   "(default: the lesson's three sentences)")
    g.add_argument("--weights", metavar="FILE", help="weights JSON, or 'trained' for the "
                   "built-in trained weights (default: seeded random)")
    g.add_argument("--hidden", type=bounded_int(1, 64), default=None, metavar="N",
                   help="hidden nodes for random weights (default 3)")
    g.add_argument("--seed", type=seed_int, default=None, metavar="N",
                   help="seed for random weights (default 0)")
    g.add_argument("--bias", choices=("scalar", "vector"), default=None,
                   help="Bh shape: scalar (1,1) as in the lesson, or vector (1,H)")
    g.add_argument("--activation", choices=("tanh", "relu", "sigmoid"), default="tanh",
                   help="hidden-layer activation (default tanh, as in the lesson)")
    g.add_argument("--cell", choices=("rnn", "gru", "lstm"), default=None,
                   help="the cell: rnn (the lesson's, default), gru or lstm (gated: stepped "
                   "gate by gate); default: the --weights file's")


@dataclass
class Model:
    """What the model options resolve to."""

    dataset: Dataset
    weights: Weights | GatedWeights  # a GRU's or an LSTM's with --cell gru|lstm (issue 21)
    seed: int
    hidden: int
    bias: str
    activation: str = "tanh"


def check_names(args: argparse.Namespace, *names: str) -> None:
    """CliError for a file option given as '' (it would silently mean "not given")."""
    for name in names:
        value = getattr(args, name, None)
        if value is not None and not value.strip():
            raise CliError(tr("cli.empty_name", option=f"--{name}"))


def build_model(args: argparse.Namespace) -> Model:
    """Dataset and weights from the model options, or a CliError."""
    from rnn_tui.core.data import DataError, lesson_dataset, load_data, size_error
    from rnn_tui.core.model import Weights, WeightsError

    check_names(args, "data", "weights", "out")
    cell = model_cell(args)
    if cell != "rnn":  # GRU or LSTM (issue 21): the app, export and serve step it too
        dataset, gated, seed = build_gated_model(args, cell)
        return Model(dataset, gated, seed, gated.hidden, "vector")
    seed = 0 if args.seed is None else args.seed
    try:
        if args.weights is not None:
            for name in ("hidden", "bias", "seed"):
                if getattr(args, name) is not None:
                    raise CliError(tr("cli.not_with_weights", name=name))
            from rnn_tui.core.backprop import TrainingError  # only here: training is big
            from rnn_tui.core.train import check_saved_pair, load_weights

            try:
                weights = load_weights(args.weights)  # a file, or a preset name
                if args.data is not None and os.path.exists(args.weights):
                    check_saved_pair(args.weights, args.data)
            except TrainingError as exc:
                raise CliError(str(exc)) from None
            if args.data is not None:
                dataset = load_data(args.data, weights.vocab)
            else:
                dataset = lesson_dataset().with_vocab(weights.vocab)
        else:
            dataset = load_data(args.data) if args.data is not None else lesson_dataset()
            weights = Weights.init(
                dataset.vocab,
                hidden=3 if args.hidden is None else args.hidden,
                seed=seed,
                bias=args.bias or "scalar",
            )
        B, T, V = dataset.X.shape
        too_big = size_error(B, T, V, weights.hidden)
        if too_big:
            raise DataError(too_big)
    except (DataError, WeightsError) as exc:
        raise CliError(str(exc)) from None
    activation = getattr(args, "activation", None) or "tanh"
    return Model(dataset, weights, seed, weights.hidden, weights.bias, activation)


def model_cell(args: argparse.Namespace) -> str:
    """The cell asked for: ``--cell``, else the ``--weights`` file's (``"cell"`` key), else rnn."""
    cell = getattr(args, "cell", None)
    if cell is not None:
        return str(cell)
    if getattr(args, "weights", None):
        from rnn_tui.core.cells import GatedWeights
        from rnn_tui.core.train import load_any_weights

        try:
            weights = load_any_weights(args.weights)
        except ValueError:  # a bad file: build_model says what is wrong with it
            return "rnn"
        if isinstance(weights, GatedWeights):
            return weights.cell
    return "rnn"


def build_gated_model(args: argparse.Namespace, cell: str) -> tuple[Dataset, GatedWeights, int]:
    """Dataset, GRU or LSTM weights and seed from the model options, or a CliError.

    ``--weights trained`` with ``--cell gru`` is the built-in ``trained-gru``.
    """
    from rnn_tui.core.cells import GatedWeights
    from rnn_tui.core.data import DataError, lesson_dataset, load_data, size_error
    from rnn_tui.core.model import WeightsError
    from rnn_tui.core.train import cell_preset_name, load_any_weights

    check_names(args, "data", "weights", "out")
    if getattr(args, "activation", "tanh") != "tanh":
        raise CliError(f"--activation is the rnn cell's; a {cell}'s gates have their own")
    if getattr(args, "bias", None) is not None:
        raise CliError(f"--bias is the rnn cell's; every gate of a {cell} has a (1, H) bias")
    seed = 0 if args.seed is None else args.seed
    try:
        if args.weights is not None:
            for name in ("hidden", "seed"):
                if getattr(args, name) is not None:
                    raise CliError(tr("cli.not_with_weights", name=name))
            name = cell_preset_name(cell) if args.weights == "trained" else args.weights
            if args.weights == "trained" and os.path.exists(args.weights):
                name = args.weights
            loaded = load_any_weights(name)
            if not isinstance(loaded, GatedWeights) or loaded.cell != cell:
                held = loaded.cell if isinstance(loaded, GatedWeights) else "rnn"
                raise CliError(f"{args.weights}: holds the weights of a {held} cell, not a "
                               f"{cell} (--cell {cell})")
            weights = loaded
            if args.data is not None:
                dataset = load_data(args.data, weights.vocab)
            else:
                dataset = lesson_dataset().with_vocab(weights.vocab)
        else:
            dataset = load_data(args.data) if args.data is not None else lesson_dataset()
            hidden = 3 if args.hidden is None else args.hidden
            weights = GatedWeights.init(cell, dataset.vocab, hidden=hidden, seed=seed)
        B, T, V = dataset.X.shape
        too_big = size_error(B, T, V, 3 * weights.hidden)  # a gate's terms are kept for each
        if too_big:
            raise DataError(too_big)
    except (DataError, WeightsError) as exc:
        raise CliError(str(exc)) from None
    return dataset, weights, seed


def run_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description="Step through a many-to-one recurrent neural network, one key at a time.",
        epilog="Subcommands: " + (", ".join(SUBCOMMANDS) if SUBCOMMANDS else "none yet")
        + f". Run '{PROG} NAME --help' for one.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    add_model_options(parser)
    parser.add_argument("--precision", type=bounded_int(0, 8), default=3, metavar="N",
                        help="decimals shown (default 3)")
    parser.add_argument("--lang", choices=("en", "ko"), default=None,
                        help="language: en or ko (default: from LC_ALL / LC_MESSAGES / LANG)")
    parser.add_argument("--theme", choices=("default", "projector"), default="default",
                        help="projector: high contrast, bold numbers, no dim text")
    parser.add_argument("--text", action="store_true",
                        help="print the forward pass as plain text instead of opening the app")
    parser.add_argument("--trace", metavar="FILE",
                        help="replay a JSON trace saved by 'rnn-tui export --format json' "
                        "(or key x): its sentences, weights and activation are used")
    return parser


def trace_model(args: argparse.Namespace) -> Model:
    """Dataset, weights and activation from ``--trace FILE`` (checked by recomputing)."""
    from rnn_tui.core.data import printable
    from rnn_tui.export.trace import TraceError, load_trace

    check_names(args, "trace")
    for name in ("data", "weights", "hidden", "bias", "seed", "cell"):
        if getattr(args, name, None) is not None:
            raise CliError(tr("cli.not_with_trace", name=name))
    try:
        trace = load_trace(args.trace)
        dataset = trace.dataset()
    except TraceError as exc:
        message = str(exc)
        name = printable(args.trace, 200)
        if not message.startswith(name):
            message = f"{name}: {message}"
        raise CliError(message) from None
    weights = trace.weights
    bias = getattr(weights, "bias", "vector")  # a gated cell's gates each have a (1, H) bias
    return Model(dataset, weights, 0, weights.hidden, bias, trace.activation)


def run(argv: Sequence[str]) -> int:
    args = run_parser().parse_args(argv)
    model = trace_model(args) if args.trace is not None else build_model(args)
    if args.text:
        from rnn_tui.core.model import OverflowedError, Weights
        from rnn_tui.teach.textmode import render, render_gated

        weights = model.weights
        try:
            if isinstance(weights, Weights):
                text = render(model.dataset, weights, args.precision, model.activation)
            else:  # a GRU's or an LSTM's weights (issue 21)
                text = render_gated(model.dataset, weights, args.precision)
        except OverflowedError as exc:
            raise CliError(str(exc)) from None
        sys.stdout.write(text)
        return 0
    from rnn_tui.tui.app import make_app

    app = make_app(model, precision=args.precision, lang=args.lang, theme=args.theme,
                   classroom=classroom_env())
    gc.freeze()  # what start-up built stays: later collections skip it
    gc.enable()
    # Served over SSH (rnn-tui serve sets RNN_TUI_SERVED=1), every mouse move would
    # cross the network, and nothing here needs a mouse: leave mouse tracking off.
    app.run(mouse=os.environ.get("RNN_TUI_SERVED") != "1")
    return app.return_code or 0


def classroom_env() -> tuple[str, str] | None:
    """The class hub's socket and this session's token, when ``rnn-tui serve`` runs a
    class (taken out of the environment: nothing started from here inherits them)."""
    from rnn_tui.teach.classroom import ENV_SOCKET, ENV_TOKEN

    path, token = os.environ.pop(ENV_SOCKET, ""), os.environ.pop(ENV_TOKEN, "")
    return (path, token) if path and token else None


def lang_of(argv: Sequence[str]) -> str:
    """The language of our messages: ``--lang`` if given (and known), else the locale's."""
    for i, arg in enumerate(argv):
        value = arg.partition("=")[2] if arg.startswith("--lang=") else (
            argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else None)
        if value in i18n.LANGS:
            return value
    return i18n.detect()


#: The longest error message printed (a longer one is cut, saying how much).
MESSAGE_LIMIT = 400


def safe_message(message: str) -> str:
    """One line fit for a terminal: control characters (ESC, CR, newlines) escaped as
    ``\\x1b``, and at most ``MESSAGE_LIMIT`` characters."""
    if len(message) <= MESSAGE_LIMIT and message.isprintable():
        return message  # the usual case: no need to import rnn_tui.core.data (and NumPy)
    from rnn_tui.core.data import printable

    return printable(message, MESSAGE_LIMIT)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    i18n.set_lang(lang_of(argv))
    # Importing Textual and NumPy creates some 400,000 objects that live as long
    # as the program; the collector would traverse them again and again as they
    # come (~25 ms before the first frame, a 15 ms full pass among it). It is
    # off while we import and build, and the survivors are frozen (run()).
    gc.disable()
    try:
        if argv and argv[0] in SUBCOMMANDS:
            module = importlib.import_module(SUBCOMMANDS[argv[0]])
            gc.enable()
            return module.main(argv[1:])
        return run(argv)
    except CliError as exc:
        print(tr("cli.error", prog=PROG, message=safe_message(str(exc))), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    finally:
        gc.enable()
