"""The optimizers (SGD, Adam) and gradient clipping, on one flat parameter vector."""

from __future__ import annotations

import math

import numpy as np


class SGD:
    """Plain gradient descent: θ ← θ - lr·g."""

    name = "sgd"

    def __init__(self, lr: float) -> None:
        self.lr = float(lr)

    def step(self, theta: np.ndarray, g: np.ndarray) -> None:
        """Update the flat parameter vector ``theta`` in place."""
        theta -= self.lr * g


class Adam:
    """Adam (Kingma & Ba), written as PyTorch's ``torch.optim.Adam`` computes it::

        m ← β1·m + (1-β1)·g          v ← β2·v + (1-β2)·g²
        θ ← θ - lr/(1-β1ᵗ) · m / (√v / √(1-β2ᵗ) + ε)
    """

    name = "adam"

    def __init__(
        self, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ) -> None:
        self.lr, self.beta1, self.beta2, self.eps = float(lr), beta1, beta2, eps
        self.m: np.ndarray | None = None
        self.v: np.ndarray | None = None
        self.t = 0

    def step(self, theta: np.ndarray, g: np.ndarray) -> None:
        """Update the flat parameter vector ``theta`` in place."""
        if self.m is None or self.v is None:
            self.m = np.zeros_like(theta)
            self.v = np.zeros_like(theta)
        self.t += 1
        m, v, b1, b2 = self.m, self.v, self.beta1, self.beta2
        m *= b1
        m += (1.0 - b1) * g
        v *= b2
        v += (1.0 - b2) * (g * g)
        denom = np.sqrt(v)
        denom /= math.sqrt(1.0 - b2**self.t)
        denom += self.eps
        theta -= (self.lr / (1.0 - b1**self.t)) * (m / denom)


OPTIMIZERS = {"sgd": SGD, "adam": Adam}

#: A learning rate that works for the lesson, per optimizer (``train``'s default).
DEFAULT_LR = {"sgd": 0.5, "adam": 0.05}


def clip_by_global_norm(g: np.ndarray, max_norm: float) -> float:
    """Scale the flat gradient ``g`` in place so its norm is at most ``max_norm``.

    As ``torch.nn.utils.clip_grad_norm_``: ``g`` is scaled by
    ``min(max_norm / (norm + 1e-6), 1)`` whatever its norm, so a norm just below
    ``max_norm`` (within 1e-6) is scaled a little too; returns the norm before clipping.
    """
    norm = math.sqrt(float(g @ g))
    coef = max_norm / (norm + 1e-6)
    if coef < 1.0:  # times 1.0 (PyTorch's clamp) would change nothing
        g *= coef
    return norm
