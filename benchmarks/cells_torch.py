"""The gated cells against PyTorch's nn.GRU and nn.LSTM (float64): forward and gradients.

Not a test (torch is not a dependency of rnn-tui). Run it where torch is
installed (``pip install torch==2.13.0``)::

    python -m benchmarks.cells_torch

For each cell and each problem (the lesson's batch, and random padded
batches), PyTorch's module gets its own random init, then its weights are
transposed to our row-vector convention (and once the other way: our trained
preset loaded into PyTorch's module, b_hh = 0 but GRU's b_hn):

- gate order in ``weight_ih_l0``/``weight_hh_l0``: (r, z, n) for GRU, (i, f, g, o)
  for LSTM; our ``Wx_ = weight_ih_l0[k·H:(k+1)·H].T``, ``Wh_`` likewise;
- PyTorch has two biases per gate, we have one: ``b_ = b_ih + b_hh``, except
  GRU's n, whose ``b_hn`` sits inside ``r ⊙ (h·Whn + bhn)``: ``bxn = b_in``,
  ``bhn = b_hn`` (so our ``dbr`` must equal both ``b_ir.grad`` and ``b_hr.grad``);
- padding: ``pack_padded_sequence``, so h_n (and c_n) is each sentence's state
  after its own last token, which is what we carry past the end.

It prints the largest absolute differences: h at every real step, c_n, y, the
loss (to reach: 1e-12) and every weight's gradient (1e-9); exit status 1 if a
bound is missed.
"""

from __future__ import annotations

import sys

import numpy as np

from rnn_tui.core.cells import GatedWeights, forward_gated, gated_gradients
from rnn_tui.core.data import lesson_dataset
from rnn_tui.core.train import cell_preset_name, load_any_weights

FORWARD_BOUND = 1e-12
GRAD_BOUND = 1e-9


def to_ours(cell: str, module, linear, vocab: list[str]) -> GatedWeights:  # noqa: ANN001
    """PyTorch's module and output layer as our weights (transposed, biases summed)."""
    H = module.hidden_size
    wi = module.weight_ih_l0.detach().numpy()
    wh = module.weight_hh_l0.detach().numpy()
    bi = module.bias_ih_l0.detach().numpy()
    bh = module.bias_hh_l0.detach().numpy()
    gates = ("r", "z", "n") if cell == "gru" else ("i", "f", "g", "o")
    arrays: dict[str, object] = {}
    for k, g in enumerate(gates):
        rows = slice(k * H, (k + 1) * H)
        arrays[f"Wx{g}"] = wi[rows].T
        arrays[f"Wh{g}"] = wh[rows].T
        if (cell, g) == ("gru", "n"):
            arrays["bxn"] = bi[rows][None]
            arrays["bhn"] = bh[rows][None]
        else:
            arrays[f"b{g}"] = (bi[rows] + bh[rows])[None]
    arrays["Wy"] = linear.weight.detach().numpy().T
    arrays["by"] = linear.bias.detach().numpy()[None]
    return GatedWeights(cell, vocab, arrays)


def load_into(module, linear, ours: GatedWeights) -> None:  # noqa: ANN001
    """Our weights into PyTorch's module (the inverse of ``to_ours``: b_hh = 0 but b_hn)."""
    import torch

    H = ours.hidden
    gates = ours.spec.gates
    with torch.no_grad():
        module.bias_hh_l0.zero_()
        for k, g in enumerate(gates):
            rows = slice(k * H, (k + 1) * H)
            module.weight_ih_l0[rows] = torch.tensor(ours[f"Wx{g}"].T)
            module.weight_hh_l0[rows] = torch.tensor(ours[f"Wh{g}"].T)
            if (ours.cell, g) == ("gru", "n"):
                module.bias_ih_l0[rows] = torch.tensor(ours["bxn"][0])
                module.bias_hh_l0[rows] = torch.tensor(ours["bhn"][0])
            else:
                module.bias_ih_l0[rows] = torch.tensor(ours[f"b{g}"][0])
        linear.weight[...] = torch.tensor(ours.Wy.T)
        linear.bias[...] = torch.tensor(ours.by[0])


def torch_grads(cell: str, module, linear) -> dict[str, list[np.ndarray]]:  # noqa: ANN001
    """PyTorch's gradients under our names: a list (two for a summed bias, which must agree)."""
    H = module.hidden_size
    gi = module.weight_ih_l0.grad.numpy()
    gh = module.weight_hh_l0.grad.numpy()
    gbi = module.bias_ih_l0.grad.numpy()
    gbh = module.bias_hh_l0.grad.numpy()
    gates = ("r", "z", "n") if cell == "gru" else ("i", "f", "g", "o")
    out: dict[str, list[np.ndarray]] = {}
    for k, g in enumerate(gates):
        rows = slice(k * H, (k + 1) * H)
        out[f"Wx{g}"] = [gi[rows].T]
        out[f"Wh{g}"] = [gh[rows].T]
        if (cell, g) == ("gru", "n"):
            out["bxn"] = [gbi[rows][None]]
            out["bhn"] = [gbh[rows][None]]
        else:
            out[f"b{g}"] = [gbi[rows][None], gbh[rows][None]]
    out["Wy"] = [linear.weight.grad.numpy().T]
    out["by"] = [linear.bias.grad.numpy()[None]]
    return out


def compare(cell: str, X: np.ndarray, lengths: np.ndarray, labels: np.ndarray,
            vocab: list[str], seed: int, hidden: int,
            preset: GatedWeights | None = None) -> dict[str, float]:
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    torch.manual_seed(seed)
    V = X.shape[2]
    kind = torch.nn.GRU if cell == "gru" else torch.nn.LSTM
    module = kind(V, hidden, batch_first=True, dtype=torch.float64)
    linear = torch.nn.Linear(hidden, 1, dtype=torch.float64)
    if preset is not None:
        load_into(module, linear, preset)
    ours = to_ours(cell, module, linear, vocab)
    if preset is not None:
        assert np.abs(np.concatenate([(ours[n] - preset[n]).ravel() for n in ours.names])
                      ).max() < 1e-15

    packed = pack_padded_sequence(torch.tensor(X), torch.tensor(lengths), batch_first=True,
                                  enforce_sorted=False)
    out, state = module(packed)
    h_n = state if cell == "gru" else state[0]
    padded, _ = pad_packed_sequence(out, batch_first=True, total_length=X.shape[1])
    z = linear(h_n[0])
    y = torch.sigmoid(z)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(
        z, torch.tensor(labels, dtype=torch.float64).reshape(-1, 1))
    loss.backward()

    Hs, Cs, y_ours = forward_gated(ours, X, lengths)
    active = np.arange(X.shape[1])[None, :] < lengths[:, None]
    diffs = {
        "h (every real step)": float(np.max(np.abs(Hs[active] - padded.detach().numpy()[active]))),
        "h_n": float(np.max(np.abs(Hs[:, -1] - h_n[0].detach().numpy()))),
        "y": float(np.max(np.abs(y_ours - y.detach().numpy()))),
    }
    if cell == "lstm":
        assert Cs is not None
        diffs["c_n"] = float(np.max(np.abs(Cs[:, -1] - state[1][0].detach().numpy())))
    loss_ours, grads = gated_gradients(ours, X, lengths, labels)
    diffs["loss"] = abs(loss_ours - loss.item())
    theirs = torch_grads(cell, module, linear)
    diffs["gradients"] = max(
        float(np.max(np.abs(grads[name] - t))) for name, ts in theirs.items() for t in ts)
    diffs["|gradient| largest"] = max(float(np.max(np.abs(g))) for g in grads.values())
    return diffs


def problems() -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray, list[str], int]]:
    d = lesson_dataset()
    out = [("lesson 3x3x2, H=3", d.X, d.lengths, d.labels, list(d.vocab), 3)]
    rng = np.random.default_rng(21)
    for B, T, V, H in ((6, 7, 5, 4), (16, 20, 8, 8)):
        lengths = rng.integers(1, T + 1, size=B)
        lengths[0] = T
        X = np.zeros((B, T, V))
        for b in range(B):
            X[b, np.arange(lengths[b]), rng.integers(V, size=lengths[b])] = 1.0
        labels = rng.integers(0, 2, size=B)
        out.append((f"random padded {B}x{T}x{V}, H={H}", X, lengths, labels,
                    [f"w{i}" for i in range(V)], H))
    return out


def main() -> int:
    try:
        import torch
    except ImportError:
        print("torch is not installed: pip install torch==2.13.0 (not a dependency of rnn-tui)")
        return 2
    print(f"torch {torch.__version__}, float64; bounds: forward {FORWARD_BOUND:g}, "
          f"gradients {GRAD_BOUND:g}")
    ok = True
    for cell in ("gru", "lstm"):
        for seed, (name, X, lengths, labels, vocab, H) in enumerate(problems()):
            d = compare(cell, X, lengths, labels, vocab, seed, H)
            forward_worst = max(v for k, v in d.items() if k not in ("gradients",
                                                                      "|gradient| largest"))
            good = forward_worst <= FORWARD_BOUND and d["gradients"] <= GRAD_BOUND
            ok &= good
            print(f"{cell:4} {name:28} " + "  ".join(
                f"{k} {v:.1e}" for k, v in d.items()) + ("" if good else "  MISSED"))
        d = lesson_dataset()
        preset = load_any_weights(cell_preset_name(cell))
        assert isinstance(preset, GatedWeights)
        diffs = compare(cell, d.X, d.lengths, d.labels, list(d.vocab), 0, 3, preset)
        print(f"{cell:4} {'lesson, trained preset':28} " + "  ".join(
            f"{k} {v:.1e}" for k, v in diffs.items()))
        ok &= diffs["gradients"] <= GRAD_BOUND and diffs["y"] <= FORWARD_BOUND
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
