"""The losses as ``torch.nn.functional`` computes them: the same names and arguments as
:mod:`lossnotes`.

``lossnotes.binary_cross_entropy`` is the mathematics; ``lossnotes.like_torch.
binary_cross_entropy`` is what ``F.binary_cross_entropy`` returns for the same inputs, repeated
operation by operation in NumPy: each log clamped at -100, the backward's division by
``max(p (1 - p), 1e-12)``, the literal ``log_softmax`` that gives nan at an infinite logit,
``log(1 + exp(-m))`` evaluated directly in ``soft_margin_loss``, labels used as given, the
gradient -1 that ``clamp`` passes at the hinge's kink. Where torch computes the mathematics
itself the function is the exact one (``like_torch.mse is lossnotes.mse``).

Each function validates its inputs as the exact one does, except where torch accepts more
(labels of 0 in the margin losses); the measured behaviour behind every line is checked against
torch by ``tests/test_compare.py`` and ``python -m lossnotes``.
"""

from __future__ import annotations

from . import _cross_entropy, _margin, _regression

__all__ = [
    "margin", "hinge", "hinge_grad", "squared_hinge", "squared_hinge_grad",
    "logistic", "logistic_grad",
    "binary_cross_entropy", "binary_cross_entropy_grad",
    "categorical_cross_entropy", "categorical_cross_entropy_grad",
    "sparse_categorical_cross_entropy", "sparse_categorical_cross_entropy_grad",
    "mse", "mse_grad", "mae", "mae_grad", "huber", "huber_grad",
]

CONVENTION = "torch"

hinge = _margin.hinge
squared_hinge = _margin.squared_hinge
squared_hinge_grad = _margin.squared_hinge_grad
mse, mse_grad = _regression.mse, _regression.mse_grad
mae, mae_grad = _regression.mae, _regression.mae_grad
huber, huber_grad = _regression.huber, _regression.huber_grad


def margin(y, score):
    """``y * score`` with the labels as given: -1, 0 or +1 (a 0 label makes the margin 0)."""
    return _margin.margin(y, score, convention=CONVENTION)


def hinge_grad(m):
    """Autograd of ``clamp(1 - m, min=0)``: -1 for ``m <= 1`` (the kink included), 0 above."""
    return _margin.hinge_grad(m, convention=CONVENTION)


def logistic(m):
    """``F.soft_margin_loss``'s ``log(1 + exp(-m))``, evaluated directly: inf for a margin
    below about -709 in float64 (-88 in float32), where the exact loss is -m."""
    return _margin.logistic(m, convention=CONVENTION)


def logistic_grad(m):
    """``F.soft_margin_loss``'s backward, ``-e / (1 + e)`` with ``e = exp(-m)``: nan (inf/inf)
    where ``exp`` overflows."""
    return _margin.logistic_grad(m, convention=CONVENTION)


def binary_cross_entropy(y_true, y_pred, *, from_logits=False, reduction="mean"):
    """``F.binary_cross_entropy`` (``_with_logits`` for ``from_logits=True``), unreduced per
    element for ``reduction="none"``."""
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
