r"""The overlap losses as tf.keras and a plain-torch one-liner evaluate them.

Keras's ``dice`` is ``1 - 2 I / (sum(y) + sum(p) + eps)`` and its ``tversky``
``1 - I / (I + alpha M + beta E + eps)``, with ``eps = 1e-7`` (``keras.config.epsilon()``);
the plain torch formulas have no ``eps``, so an empty row is ``0 / 0 = nan``. Both subtract
from 1 literally. The derivatives are those the autograds take through these formulas; the
inputs are checked as the exact functions check them, except that an empty row is accepted.
"""

from __future__ import annotations

import numpy as np

from ._conventions import KERAS_EPSILON, weighted, weighted_grad
from ._overlap import _check_weight, _counts, _inputs
from ._validation import quiet


def _overlap(y, p, convention, alpha, beta, axis, dice, grad):
    eps = p.dtype.type(KERAS_EPSILON) if convention == "keras" else p.dtype.type(0)
    i, m, e = _counts(y, p, axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        if dice:  # 1 - 2 I / (sum y + sum p + eps)
            s = np.sum(y, axis=axis, keepdims=True) + np.sum(p, axis=axis, keepdims=True) + eps
            if not grad:
                return 1 - 2 * i / s
            return -(2 * y * s - 2 * i) / (s * s)
        d = i + alpha * m + beta * e + eps  # 1 - I / d
        if not grad:
            return 1 - i / d
        dd = y - alpha * y + beta * (1 - y)  # d(d)/dp
        return -(y * d - i * dd) / (d * d)


@quiet
def overlap(convention: str, y_true, y_pred, alpha, beta, axis, dice: bool, reduction=None,
            sample_weight=None):
    """Dice (``dice``) or Tversky: the loss (``reduction`` given) or its derivative, with the
    framework's weights (one per row)."""
    alpha, beta = _check_weight(alpha, "alpha"), _check_weight(beta, "beta")
    y, p, axis, dtype = _inputs(y_true, y_pred, axis)
    y, p = y.astype(dtype), p.astype(dtype)  # the framework's own dtype
    out = _overlap(y, p, convention, alpha, beta, axis, dice, grad=reduction is None)
    if reduction is None:
        return weighted_grad(out, sample_weight, axis)[()]
    return weighted(np.squeeze(out, axis=axis), reduction, sample_weight, convention)
