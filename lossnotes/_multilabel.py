r"""Multilabel losses: one score per class, any number of classes true at once.

With scores :math:`z_{i\cdot}` and targets :math:`y_{ij} \in [0, 1]` (1 where class :math:`j`
applies to sample :math:`i`), each class is a binary problem of its own; a multilabel loss
charges every class and averages over the :math:`C` classes of the sample.
"""

from __future__ import annotations

import numpy as np

from ._cross_entropy import (
    _binary_inputs,
    _weigh_rows,
    _xmul,
    binary_cross_entropy,
    binary_cross_entropy_grad,
)
from ._multiclass_margin import _WORK, _check_weight, _same_infinity
from ._validation import (
    _class_axis_last,
    _where,
    check_axis,
    check_no_nan,
    first,
    has_nan,
    pair,
    quiet,
    reduce,
)

#: The dtype each computes in: float16 and float32 in the next wider float, so that the sum
#: over the classes and the division by C round once, when the result is cast back.


def _class_axis(axis, shape) -> int:
    """The class axis, checked; a sample needs at least one class (its loss divides by C)."""
    axis = check_axis(axis, len(shape))
    if shape[axis] == 0:
        raise ValueError(f"y_pred has 0 classes on axis {axis} (shape {shape}); expected at "
                         "least one (the loss is a mean over the classes)")
    return axis


def _per_class(y_true, y_pred, weight, axis, grad: bool):
    """The binary cross-entropy on logits of each class (or its derivative), classes last, in
    the working dtype, times the class weight; the class axis and the result's dtype."""
    fn = binary_cross_entropy_grad if grad else binary_cross_entropy
    kw = {} if grad else {"reduction": "none"}
    terms = np.asarray(fn(y_true, y_pred, from_logits=True, **kw))
    dtype = terms.dtype
    axis = _class_axis(axis, terms.shape)
    w = _check_weight(weight, terms.shape[axis], dtype)
    y, z = (np.asarray(a, dtype=dtype) for a in (y_true, y_pred))
    terms = _class_axis_last(terms, axis)
    work = _WORK.get(dtype, dtype)
    if work != dtype:  # the terms again, in the wider float: the same formula, rounded less
        y, z = (_class_axis_last(a, axis).astype(work) for a in (y, z))
        terms = np.asarray(fn(y, z, from_logits=True, **kw))
    if w is not None:
        terms = _xmul(w.astype(work), terms)  # a weight of 0 ignores an infinite term
    return terms, axis, dtype


def _sum_classes(terms: np.ndarray) -> np.ndarray:
    """The sum over the last axis with its rounding errors added back (Neumaier's compensated
    summation, one class at a time): in float64, which has no wider float to work in, the
    mean of C terms then rounds about once instead of C times."""
    total = terms[..., 0].copy()
    lost = np.zeros_like(total)
    for k in range(1, terms.shape[-1]):
        x = terms[..., k]
        s = total + x
        lost += np.where(np.abs(total) >= np.abs(x), (total - s) + x, (x - s) + total)
        total = s
    lost[~np.isfinite(lost)] = 0  # inf - inf where a term is infinite: the sum is inf anyway
    return total + lost


@quiet
def multilabel_soft_margin_loss(y_true, y_pred, *, weight=None, axis: int = -1,
                                reduction: str = "mean", sample_weight=None):
    r"""The multilabel logistic loss (torch's ``multilabel_soft_margin_loss``).

    .. math::

        \ell_i = \frac{1}{C} \sum_{j=1}^{C} w_j \bigl( y_{ij} \operatorname{softplus}(-z_{ij})
        + (1 - y_{ij}) \operatorname{softplus}(z_{ij}) \bigr),

    with :math:`\operatorname{softplus}(x) = \log(1 + e^{x})`:
    the binary cross-entropy on logits of each class, weighted by class and averaged over the
    :math:`C` classes of the sample: one value per sample. The reduction is the mean (default)
    or sum over samples, or ``"none"``.

    Parameters
    ----------
    y_true : array_like
        Targets in [0, 1] (1 where the class applies; soft targets allowed), ``y_pred``'s
        shape.
    y_pred : array_like
        Real scores (logits), ``+-inf`` allowed; the classes along ``axis``.
    weight : array_like of shape (C,), optional
        A non-negative weight per class, applied to that class's term in every sample.
    axis : int, default -1
        The class axis (torch: the last dimension).
    reduction : {"mean", "sum", "none"}, default "mean"
    sample_weight : array_like, optional
        Finite non-negative weights, one per sample (the shape of the unreduced loss, or its
        leading axes); ``"mean"`` is :math:`\sum_i w_i \ell_i / \sum_i w_i`, as for
        :func:`~lossnotes.mse`.

    Returns
    -------
    ndarray or scalar
        ``y_pred``'s shape without ``axis`` for ``"none"``, else a scalar; ``y_pred``'s dtype.

    Raises
    ------
    ValueError
        On differing shapes, targets outside [0, 1], NaN, a ``weight`` of the wrong shape or
        with a negative or non-finite value, a bad axis or an unknown reduction.

    Notes
    -----
    Keras has no loss of this name, and needs none: ``keras.losses.binary_crossentropy(y_true,
    y_pred, from_logits=True)`` averages the same terms over the last axis, the same number
    per sample (without a class weight). The traps: the mean over classes makes the loss of
    one sample smaller as classes are added that it gets right, and lossnotes'
    :func:`binary_cross_entropy` with ``reduction="mean"`` averages over every element, which
    equals this loss's mean only without class weights. torch evaluates
    :math:`-(y \log\sigma(z) + (1 - y) \log\sigma(-z))` literally, so a right infinite logit
    gives :math:`0 \cdot (-\infty)` = ``nan`` (here its limit 0), and multiplies by the weight
    after, so a weight of 0 against a wrong infinite logit is ``nan`` too (here 0).

    Examples
    --------
    Two classes apply, one does not; every logit is 0, so every term is :math:`\log 2`:

    >>> import lossnotes as ln
    >>> round(float(ln.multilabel_soft_margin_loss([[1, 1, 0]], [[0.0, 0.0, 0.0]])), 12)
    0.69314718056

    A class weight of 0 drops the second class: each sample keeps half its first term,
    :math:`2 \operatorname{softplus}(-3) / 2` and :math:`2 \operatorname{softplus}(0.5) / 2`:

    >>> ln.multilabel_soft_margin_loss([[1, 0], [0, 1]], [[3.0, -2.0], [0.5, 0.5]],
    ...                                weight=[2.0, 0.0], reduction="none").round(6)
    array([0.048587, 0.974077])
    """
    terms, _, dtype = _per_class(y_true, y_pred, weight, axis, grad=False)
    total = _sum_classes(terms) if terms.dtype == dtype else np.sum(terms, axis=-1)
    loss = total / terms.dtype.type(terms.shape[-1])
    return reduce(np.asarray(loss).astype(dtype), reduction, sample_weight)


@quiet
def multilabel_soft_margin_loss_grad(y_true, y_pred, *, weight=None, axis: int = -1,
                                     sample_weight=None):
    r"""Derivative of the unreduced :func:`multilabel_soft_margin_loss` with respect to
    ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial z_{ij}} = \frac{w_j}{C}\bigl(\sigma(z_{ij}) -
        y_{ij}\bigr),

    computed as :math:`(1 - y)\sigma(z) - y\,\sigma(-z)` (as :func:`binary_cross_entropy_grad`
    does), so that a confident right answer keeps its tiny derivative.

    Parameters
    ----------
    y_true, y_pred, weight, axis
        As for :func:`multilabel_soft_margin_loss`.
    sample_weight : array_like, optional
        One weight per sample, which multiplies that sample's derivative.

    Returns
    -------
    ndarray
        Same shape and dtype as ``y_pred``.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.multilabel_soft_margin_loss_grad([[1, 1, 0]], [[0.0, 0.0, 0.0]]) * 3
    array([[-0.5, -0.5,  0.5]])
    """
    g, axis, dtype = _per_class(y_true, y_pred, weight, axis, grad=True)
    g = g / g.dtype.type(g.shape[-1])
    return _weigh_rows(np.moveaxis(g, -1, axis).astype(dtype), sample_weight, axis)[()]


def _checked(y_true, y_pred):
    """Targets in [0, 1] and logits without NaN, of one shape, as the exact loss takes them."""
    return _binary_inputs(y_true, y_pred, True)


def _plain_class_mean(terms, y_pred, weight, axis, reduction, sample_weight, convention):
    """The frameworks' reduction of per-class terms: times the weight (``0 * inf`` = nan, as
    theirs), summed over the classes and divided by C, in ``y_pred``'s dtype; then weighed
    per sample with the convention's plain product and mean."""
    from . import _conventions

    axis = _class_axis(axis, np.shape(y_pred))
    terms = _class_axis_last(np.asarray(terms), axis)
    w = _check_weight(weight, terms.shape[-1], terms.dtype)
    if w is not None:
        terms = terms * w
    return _conventions.weighted(np.sum(terms, axis=-1) / terms.dtype.type(terms.shape[-1]),
                                 reduction, sample_weight, convention)


# --------------------------------------------------------------------------------------------
# the multilabel hinge (torch's multilabel_margin_loss)
# --------------------------------------------------------------------------------------------


def _zero_one_rows(y_true, y_pred, axis):
    """0/1 targets and real scores of one shape, NaN refused; classes last, and the axis."""
    y, z = pair(y_true, y_pred, check_true=check_no_nan)
    bad = (y != 0) & (y != 1)
    if bad.any():
        raise ValueError(f"y_true must hold 0 or 1 (1 for each class that applies); found "
                         f"{first(y, bad)!r} {_where(bad)}; for torch's class indices padded "
                         "with -1, set y_true[i, k] = 1 for each index k before the first -1")
    axis = _class_axis(axis, z.shape)
    return _class_axis_last(y, axis) == 1, _class_axis_last(z, axis), axis


def _pair_terms(y_true, y_pred, axis):
    """``d = 1 - (z_j - z_k)`` for every target class j and non-target class k of each sample
    (shape (..., C, C), in the working dtype; -inf elsewhere), the axis and the scores'
    dtype."""
    pos, z, axis = _zero_one_rows(y_true, y_pred, axis)
    dtype = z.dtype
    z = z.astype(_WORK.get(dtype, dtype))
    pairs = pos[..., :, None] & ~pos[..., None, :]
    d = 1 - (z[..., :, None] - z[..., None, :])
    if has_nan(d[pairs]):
        _same_infinity((np.isnan(d) & pairs).any(axis=(-2, -1)),
                       "at a target class and at a non-target class")
    return np.where(pairs, d, -np.inf), axis, dtype


@quiet
def multilabel_margin_loss(y_true, y_pred, *, axis: int = -1, reduction: str = "mean",
                           sample_weight=None):
    r"""The multilabel hinge loss (torch's ``multilabel_margin_loss``).

    .. math::

        \ell_i = \frac{1}{C} \sum_{j:\, y_{ij} = 1} \; \sum_{k:\, y_{ik} = 0}
        \max\bigl(0,\; 1 - (z_{ij} - z_{ik})\bigr),

    every pair of a class that applies and one that does not charged until the first scores
    at least 1 above the second, summed and divided by the number of classes :math:`C`. A
    sample with no class that applies (or no class that does not) costs 0. The reduction is
    the mean (default) or sum over samples, or ``"none"``.

    Parameters
    ----------
    y_true : array_like
        0/1 targets, ``y_pred``'s shape: 1 for each class that applies.
    y_pred : array_like
        Real scores, ``+-inf`` allowed; the classes along ``axis``.
    axis : int, default -1
        The class axis (torch: the last dimension, of inputs (C,) or (N, C) only).
    reduction : {"mean", "sum", "none"}, default "mean"
    sample_weight : array_like, optional
        Finite non-negative weights, one per sample (the shape of the unreduced loss, or its
        leading axes); ``"mean"`` is :math:`\sum_i w_i \ell_i / \sum_i w_i`, as for
        :func:`~lossnotes.mse`.

    Returns
    -------
    ndarray or scalar
        ``y_pred``'s shape without ``axis`` for ``"none"``, else a scalar; ``y_pred``'s dtype.

    Raises
    ------
    ValueError
        On targets other than 0 and 1, NaN, differing shapes, no class, a target class and a
        non-target class at the same infinity (their margin :math:`\infty - \infty` has no
        value), a bad axis or an unknown reduction.

    Notes
    -----
    lossnotes takes the targets as a 0/1 matrix, not as torch does: torch takes, per sample,
    the indices of the classes that apply, padded with -1 to the length C, and reads them up
    to the first -1. So ``[3, 0, -1, 1]`` means the classes 3 and 0 (the 1 after the -1 is
    silently ignored), and an index given twice is charged twice. A 0/1 matrix has none of
    these traps, is checked against the scores' shape, and is the input of
    :func:`multilabel_soft_margin_loss` and of Keras's equivalent; ``compare`` converts it to
    torch's indices. The division is by :math:`C`, not by the number of pairs, and the margin
    is fixed at 1. Keras has no such loss; with ``keras.ops``, for 0/1 targets ``t`` and scores
    ``z`` of shape (N, C)::

        ops.mean(ops.sum(t[:, :, None] * (1 - t[:, None, :])
                         * ops.relu(1 - z[:, :, None] + z[:, None, :]), axis=(1, 2)) / C)

    Examples
    --------
    torch's example, the classes 3 and 0 of scores ``[0.1, 0.2, 0.4, 0.8]``: the four pairs
    cost 1.1, 1.3, 0.4 and 0.6, and 3.4 / 4 = 0.85.

    >>> import lossnotes as ln
    >>> round(float(ln.multilabel_margin_loss([[1, 0, 0, 1]], [[0.1, 0.2, 0.4, 0.8]])), 12)
    0.85
    """
    d, _, dtype = _pair_terms(y_true, y_pred, axis)
    t = np.maximum(d, 0)
    t = t.reshape(*t.shape[:-2], -1)  # every pair of each sample
    total = _sum_classes(t) if t.dtype == dtype else np.sum(t, axis=-1)
    return reduce(np.asarray(total / t.dtype.type(d.shape[-1])).astype(dtype), reduction,
                  sample_weight)


@quiet
def multilabel_margin_loss_grad(y_true, y_pred, *, axis: int = -1, sample_weight=None):
    r"""Derivative of the unreduced :func:`multilabel_margin_loss` with respect to ``y_pred``.

    With :math:`a_{ijk} = [y_{ij} = 1][y_{ik} = 0][1 - (z_{ij} - z_{ik}) > 0]`, the pairs
    within the margin,

    .. math::

        \frac{\partial \ell_i}{\partial z_{ij}} = \frac{1}{C}\Bigl(\sum_{m} a_{imj}
        - \sum_{k} a_{ijk}\Bigr):

    each active pair pushes its target class up and its non-target class down by
    :math:`1 / C`.

    Parameters
    ----------
    y_true, y_pred, axis
        As for :func:`multilabel_margin_loss`.
    sample_weight : array_like, optional
        One weight per sample, which multiplies that sample's derivative.

    Returns
    -------
    ndarray
        Same shape and dtype as ``y_pred``.

    Notes
    -----
    At the kink (a pair exactly 1 apart) the subgradient 0 is chosen, as torch's backward
    (which tests :math:`d > 0`) does.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.multilabel_margin_loss_grad([[1, 0, 0, 1]], [[0.1, 0.2, 0.4, 0.8]])
    array([[-0.5,  0.5,  0.5, -0.5]])
    """
    d, axis, dtype = _pair_terms(y_true, y_pred, axis)
    return _weigh_rows(_pair_gradient(d, axis).astype(dtype), sample_weight, axis)[()]


def _pair_gradient(d, axis):
    """-1/C at the target class and +1/C at the other class of each pair with d > 0 (shape
    (..., C, C), -inf off the pairs), the classes moved back to ``axis``."""
    active = (d > 0).astype(d.dtype)
    g = (np.sum(active, axis=-2) - np.sum(active, axis=-1)) / d.dtype.type(d.shape[-1])
    return np.moveaxis(g, -1, axis)
