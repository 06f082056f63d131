"""Training speed: rnn_tui.core.train.train against the same model in PyTorch.

The lesson's task (3 sentences, 3 steps, 2 features, 3 hidden nodes, scalar Bh),
full-batch Adam (lr 0.05), 2000 epochs, float64, from the same starting weights
(``Weights.init(vocab, hidden=3, seed=0)``). Each row is the median of several
runs, wall-clock time of the training loop only (set-up excluded).

PyTorch rows are skipped when ``torch`` is not importable; it is not a
dependency of rnn-tui (``pip install torch`` to measure). Rows:

- ``rnn_tui`` : ``rnn_tui.core.train.train`` (NumPy forward + BPTT by hand + Adam)
- ``torch, same loop`` : the lesson's equations written with torch tensors,
  autograd for the backward pass, ``torch.optim.Adam``. Same model, same maths:
  its final weights are compared with ours (they should agree to ~1e-10).
- ``torch, nn.RNN`` : the idiomatic ``nn.RNN`` + ``nn.Linear`` (note: nn.RNN
  has two vector biases instead of the lesson's one scalar Bh).

Run:  python benchmarks/train_bench.py [--runs 7] [--epochs 2000]
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np

from rnn_tui.core.data import lesson_dataset
from rnn_tui.core.model import WEIGHT_NAMES, Weights
from rnn_tui.core.train import train

LR = 0.05


def time_ours(weights: Weights, epochs: int) -> tuple[float, Weights]:
    dataset = lesson_dataset()
    start = time.perf_counter()
    result = train(weights, dataset, epochs, lr=LR, optimizer="adam")
    return time.perf_counter() - start, result.weights


def time_torch_same_loop(weights: Weights, epochs: int) -> tuple[float, np.ndarray]:
    import torch

    d = lesson_dataset()
    X = torch.tensor(d.X, dtype=torch.float64)
    target = torch.tensor(d.labels, dtype=torch.float64).reshape(-1, 1)
    names = WEIGHT_NAMES
    params = [
        torch.tensor(getattr(weights, n), dtype=torch.float64, requires_grad=True)
        for n in names
    ]
    Wxh, Whh, bh, Wy, by = params
    opt = torch.optim.Adam(params, lr=LR)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    T = X.shape[1]
    start = time.perf_counter()
    for _ in range(epochs):
        opt.zero_grad()
        h = torch.zeros(X.shape[0], Whh.shape[0], dtype=torch.float64)
        for t in range(T):
            h = torch.tanh(X[:, t] @ Wxh + h @ Whh + bh)
        z = h @ Wy + by
        loss = loss_fn(z, target)
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start
    flat = np.concatenate([p.detach().numpy().ravel() for p in params])
    return seconds, flat


def time_torch_nn_rnn(weights: Weights, epochs: int) -> tuple[float, None]:
    import torch

    d = lesson_dataset()
    X = torch.tensor(d.X, dtype=torch.float64)
    target = torch.tensor(d.labels, dtype=torch.float64).reshape(-1, 1)
    torch.manual_seed(0)
    rnn = torch.nn.RNN(2, 3, nonlinearity="tanh", batch_first=True).double()
    head = torch.nn.Linear(3, 1).double()
    with torch.no_grad():  # start from the same Wxh, Whh, Wy, By; Bh into b_ih, b_hh = 0
        rnn.weight_ih_l0.copy_(torch.tensor(weights.Wxh.T))
        rnn.weight_hh_l0.copy_(torch.tensor(weights.Whh.T))
        rnn.bias_ih_l0.fill_(float(weights.bh[0, 0]))
        rnn.bias_hh_l0.zero_()
        head.weight.copy_(torch.tensor(weights.Wy.T))
        head.bias.copy_(torch.tensor(weights.by[0]))
    opt = torch.optim.Adam([*rnn.parameters(), *head.parameters()], lr=LR)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    start = time.perf_counter()
    for _ in range(epochs):
        opt.zero_grad()
        _, h_T = rnn(X)
        loss = loss_fn(head(h_T[0]), target)
        loss.backward()
        opt.step()
    return time.perf_counter() - start, None


def median_ms(fn, weights: Weights, epochs: int, runs: int):
    times, last = [], None
    fn(weights, min(epochs, 50))  # warm-up: imports, first-call costs
    for _ in range(runs):
        seconds, last = fn(weights, epochs)
        times.append(seconds * 1000)
    return statistics.median(times), last


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--epochs", type=int, default=2000)
    args = ap.parse_args()

    d = lesson_dataset()
    w0 = Weights.init(d.vocab, hidden=3, seed=0)
    rows = []
    ours_ms, ours_w = median_ms(time_ours, w0, args.epochs, args.runs)
    rows.append(("rnn_tui (NumPy " + np.__version__ + ")", ours_ms))
    note = ""
    try:
        import torch
    except ImportError:
        torch = None
        note = "PyTorch not importable: its rows are skipped."
    if torch is not None:
        same_ms, torch_flat = median_ms(time_torch_same_loop, w0, args.epochs, args.runs)
        rows.append((f"torch {torch.__version__}, same loop + autograd", same_ms))
        rnn_ms, _ = median_ms(time_torch_nn_rnn, w0, args.epochs, args.runs)
        rows.append((f"torch {torch.__version__}, nn.RNN + nn.Linear", rnn_ms))
        ours_flat = np.concatenate(
            [getattr(ours_w, n).ravel() for n in WEIGHT_NAMES]
        )
        diff = float(np.max(np.abs(ours_flat - torch_flat)))
        note = (f"Final weights, rnn_tui vs torch same loop: max |difference| = {diff:.1e}. "
                f"torch threads: {torch.get_num_threads()}.")

    print(f"Training the lesson's RNN: {args.epochs} epochs, full-batch Adam lr {LR}, "
          f"float64; median of {args.runs} runs. {platform.python_implementation()} "
          f"{platform.python_version()}, {platform.machine()}.")
    print()
    print("| implementation | median ms | µs / epoch | time vs rnn_tui |")
    print("|---|---:|---:|---:|")
    for name, ms in rows:
        print(f"| {name} | {ms:.1f} | {ms * 1000 / args.epochs:.1f} | {ms / ours_ms:.2f}× |")
    if note:
        print()
        print(note)


if __name__ == "__main__":
    main()
