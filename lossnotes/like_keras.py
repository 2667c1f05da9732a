"""The losses as ``tf.keras`` computes them: the same names and arguments as :mod:`lossnotes`.

``lossnotes.binary_cross_entropy`` is the mathematics; ``lossnotes.like_keras.
binary_cross_entropy`` is what ``keras.losses.binary_crossentropy`` returns for the same inputs,
repeated operation by operation in NumPy: the clip of probabilities to ``[1e-7, 1 - 1e-7]``,
``log(1 - p)`` instead of ``log1p(-p)``, the renormalisation of probability rows, the literal
``log_softmax`` that gives nan at an infinite logit, the conversion of 0/1 labels for the hinge
losses, the gradient -1 that autograd takes at the hinge's kink. Where Keras computes the
mathematics itself the function is the exact one (``like_keras.mse is lossnotes.mse``).

Each function validates its inputs as the exact one does, except where Keras accepts more
(hinge labels in {0, 1}); the measured behaviour behind every line is checked against Keras by
``tests/test_compare.py`` and ``python -m lossnotes``.
"""

from __future__ import annotations

from . import _cross_entropy, _margin, _regression

__all__ = [
    "margin", "hinge", "hinge_grad", "squared_hinge", "squared_hinge_grad",
    "binary_cross_entropy", "binary_cross_entropy_grad",
    "categorical_cross_entropy", "categorical_cross_entropy_grad",
    "sparse_categorical_cross_entropy", "sparse_categorical_cross_entropy_grad",
    "mse", "mse_grad", "mae", "mae_grad", "huber", "huber_grad",
]

CONVENTION = "keras"

hinge = _margin.hinge
squared_hinge = _margin.squared_hinge
squared_hinge_grad = _margin.squared_hinge_grad
mse, mse_grad = _regression.mse, _regression.mse_grad
mae, mae_grad = _regression.mae, _regression.mae_grad
huber, huber_grad = _regression.huber, _regression.huber_grad


def margin(y, score):
    """``y * score`` with labels read as Keras's hinge losses read them: if every label is 0
    or 1, ``2y - 1``; otherwise as given (-1, 0 or +1)."""
    return _margin.margin(y, score, convention=CONVENTION)


def hinge_grad(m):
    """Autograd of ``maximum(1 - m, 0)``: -1 for ``m <= 1`` (the kink included), 0 above."""
    return _margin.hinge_grad(m, convention=CONVENTION)


def binary_cross_entropy(y_true, y_pred, *, from_logits=False, reduction="mean"):
    """``keras.losses.binary_crossentropy``'s arithmetic (unreduced per element here)."""
    return _cross_entropy.binary_cross_entropy(y_true, y_pred, from_logits=from_logits,
                                               reduction=reduction, convention=CONVENTION)


def binary_cross_entropy_grad(y_true, y_pred, *, from_logits=False):
    return _cross_entropy.binary_cross_entropy_grad(y_true, y_pred, from_logits=from_logits,
                                                    convention=CONVENTION)


def categorical_cross_entropy(y_true, y_pred, *, from_logits=False, axis=-1, reduction="mean"):
    return _cross_entropy.categorical_cross_entropy(
        y_true, y_pred, from_logits=from_logits, axis=axis, reduction=reduction,
        convention=CONVENTION)


def categorical_cross_entropy_grad(y_true, y_pred, *, from_logits=False, axis=-1):
    return _cross_entropy.categorical_cross_entropy_grad(
        y_true, y_pred, from_logits=from_logits, axis=axis, convention=CONVENTION)


def sparse_categorical_cross_entropy(labels, y_pred, *, from_logits=False, axis=-1,
                                     reduction="mean"):
    return _cross_entropy.sparse_categorical_cross_entropy(
        labels, y_pred, from_logits=from_logits, axis=axis, reduction=reduction,
        convention=CONVENTION)


def sparse_categorical_cross_entropy_grad(labels, y_pred, *, from_logits=False, axis=-1):
    return _cross_entropy.sparse_categorical_cross_entropy_grad(
        labels, y_pred, from_logits=from_logits, axis=axis, convention=CONVENTION)
