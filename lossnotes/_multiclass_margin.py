r"""Multiclass margins: the hinge loss of support vector machines with more than two classes.

With scores :math:`z_{i\cdot}` (one per class) and a true class :math:`y_i`, the margin of
class :math:`j` is :math:`z_{iy} - z_{ij}`: how far the true class is ahead of it. Two
generalisations of the binary hinge :math:`\max(0, 1 - m)` share a name and differ in which
margins they charge for:

- **Crammer-Singer** (Keras's ``categorical_hinge``): only the closest rival,
  :math:`\max(0, 1 - (z_{y} - \max_{j \ne y} z_j))`;
- **Weston-Watkins** (torch's ``multi_margin_loss``): every rival, summed and divided by the
  number of classes, :math:`\frac1C \sum_{j \ne y} \max(0, \text{margin} - z_y + z_j)^p`.

On scores ``[2, 1.5, 1.8]`` with true class 0 the first costs 0.8 and the second 1.3 / 3:
:func:`categorical_hinge` and :func:`multi_margin_loss` are different losses. Scores may be any
real numbers, ``+-inf`` included; a margin :math:`\infty - \infty` (the true class and a rival
at the same infinity) has no value and is refused.

The hinge embedding loss (torch's ``hinge_embedding_loss``) applies the same hinge to a
distance between two embeddings: :func:`hinge_embedding_loss`.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._cross_entropy import _weigh_rows, _xmul
from ._links import _one_hot, _pick
from ._validation import (
    _asarray,
    _class_axis_last,
    _where,
    as_floats,
    check_axis,
    check_class_labels,
    check_no_nan,
    check_plus_minus_one,
    first,
    has_nan,
    pair,
    quiet,
    reduce,
    weigh,
)

# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------


def _check_rivals(y_pred: np.ndarray, axis: int) -> None:
    """A margin between classes needs at least two of them."""
    if y_pred.shape[axis] < 2:
        raise ValueError(f"y_pred has {y_pred.shape[axis]} class(es) on axis {axis} (shape "
                         f"{y_pred.shape}); expected at least two (a margin compares the true "
                         "class with the others)")


def _one_hot_rows(y: np.ndarray, name: str, axis: int) -> None:
    """Each row of ``y`` along ``axis`` must be one-hot: a single 1, the rest 0."""
    check_no_nan(y, name)
    bad = (y != 0) & (y != 1)
    if bad.any():
        raise ValueError(f"{name} must hold one-hot rows (0 or 1); found {first(y, bad)!r} "
                         f"{_where(bad)}; for class indices use multi_margin_loss or one-hot "
                         "them first")
    ones = np.count_nonzero(y, axis=axis)
    wrong = ones != 1
    if wrong.any():
        raise ValueError(f"{name} must hold one-hot rows along axis {axis} (exactly one 1 per "
                         f"row); found a row with {first(ones, wrong)} ones {_where(wrong)}")


def _one_hot_inputs(y_true, y_pred, axis):
    y_true, y_pred = pair(y_true, y_pred, check_true=None)
    axis = check_axis(axis, y_pred.ndim)
    _check_rivals(y_pred, axis)
    _one_hot_rows(y_true, "y_true", axis)
    return y_true, y_pred, axis


def _label_inputs(labels, y_pred, axis):
    y_pred = as_floats(y_pred, "y_pred")
    check_no_nan(y_pred, "y_pred")
    axis = check_axis(axis, y_pred.ndim)
    labels = _asarray(labels, "labels")
    _check_rivals(y_pred, axis)
    check_class_labels(labels, y_pred, axis)
    return labels.astype(np.intp, copy=False), y_pred, axis


def _undefined(margins: np.ndarray, rows: np.ndarray) -> None:
    """Refuse rows whose margin is inf - inf: the true class and a rival at the same
    infinity (the scores hold no NaN, so a NaN margin is exactly that)."""
    if has_nan(margins):
        bad = np.isnan(margins)
        if bad.ndim > rows.ndim:
            bad = bad.any(axis=-1)
        _same_infinity(bad, "at the true class and at another class")


def _same_infinity(bad: np.ndarray, where: str) -> None:
    """Refuse the rows ``bad`` (classes last) whose two scores ``where`` are one infinity."""
    raise ValueError(
        f"y_pred holds the same infinity {where} {_where(bad)} (rows with the classes last); "
        "their margin inf - inf has no value: expected at most one of them infinite, or "
        "infinities of opposite signs")


def _check_p(p) -> int:
    if isinstance(p, bool | np.bool_) or not isinstance(p, numbers.Integral):
        raise TypeError(f"p must be the integer 1 or 2; found {p!r} ({type(p).__name__})")
    if p not in (1, 2):
        raise ValueError(f"p must be 1 or 2 (the hinge or its square, as torch takes it); "
                         f"found {p!r}")
    return int(p)


def _check_margin(margin) -> float:
    if isinstance(margin, bool | np.bool_) or not isinstance(margin, numbers.Real) \
            or not np.isfinite(margin):
        raise ValueError(f"margin must be a finite real number; found {margin!r}")
    return float(margin)


def _check_weight(weight, classes: int, dtype) -> np.ndarray | None:
    if weight is None:
        return None
    w = as_floats(weight, "weight")
    if w.shape != (classes,):
        raise ValueError(f"weight has shape {w.shape}; expected one weight per class, shape "
                         f"({classes},)")
    bad = ~(np.isfinite(w) & (w >= 0))
    if bad.any():
        raise ValueError(f"weight must hold finite non-negative numbers; found "
                         f"{first(w, bad)!r} {_where(bad)}")
    return w.astype(dtype)


# --------------------------------------------------------------------------------------------
# Crammer-Singer
# --------------------------------------------------------------------------------------------


def _true_and_rival(y_true: np.ndarray, z: np.ndarray, axis: int):
    """The true class's score, the largest other score (rows with the classes last), and the
    mask of the true class."""
    true = _class_axis_last(y_true, axis) == 1
    z = _class_axis_last(z, axis)
    z_y = z[true].reshape(true.shape[:-1])
    others = np.where(true, -np.inf, z)
    return z_y, others, true


@quiet
def categorical_hinge(y_true, y_pred, *, axis: int = -1, reduction: str = "mean",
                      sample_weight=None):
    r"""The Crammer-Singer multiclass hinge loss (Keras's ``categorical_hinge``).

    .. math::

        \ell_i = \max\Bigl(0,\; 1 - \bigl(z_{i y_i} - \max_{j \ne y_i} z_{ij}\bigr)\Bigr),

    the binary hinge of the margin between the true class and its closest rival. The
    reduction is the mean (default) or sum over samples, or ``"none"``.

    Parameters
    ----------
    y_true : array_like
        One-hot rows along ``axis`` (a single 1, the rest 0), ``y_pred``'s shape.
    y_pred : array_like
        Real scores, at least two classes along ``axis``; ``+-inf`` allowed.
    axis : int, default -1
        The class axis.
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
        On rows of ``y_true`` that are not one-hot, fewer than two classes, NaN, differing
        shapes, the true class and its closest rival at the same infinity (their margin
        :math:`\infty - \infty` has no value), a bad axis or an unknown reduction.

    Notes
    -----
    Keras computes ``max(0, max((1 - y) z) - sum(y z) + 1)``: the true class enters the
    maximum as :math:`0 \cdot z_y = 0`, so when every rival's score is negative Keras compares
    with 0 instead of the best rival (scores ``[-3, -2, -1]``, class 2: Keras 2, exactly 0),
    and any infinite score gives ``nan`` through :math:`0 \cdot \infty`
    (:func:`lossnotes.like_keras.categorical_hinge`). torch.nn.functional has no
    Crammer-Singer loss: its ``multi_margin_loss`` is the Weston-Watkins loss,
    :func:`multi_margin_loss`, which sums over every rival and divides by the number of classes.

    References
    ----------
    K. Crammer and Y. Singer, "On the algorithmic implementation of multiclass kernel-based
    vector machines", JMLR 2 (2001).

    Examples
    --------
    The true class 0 leads its closest rival by 0.2: the loss is 1 - 0.2.

    >>> import lossnotes as ln
    >>> ln.categorical_hinge([[1, 0, 0]], [[2.0, 1.5, 1.8]], reduction="none").round(12)
    array([0.8])
    >>> float(ln.categorical_hinge([[0, 0, 1]], [[-3.0, -2.0, -1.0]]))  # Keras: 2.0
    0.0
    """
    y_true, y_pred, axis = _one_hot_inputs(y_true, y_pred, axis)
    z_y, others, _ = _true_and_rival(y_true, y_pred, axis)
    m = z_y - np.max(others, axis=-1)  # the margin to the closest rival
    _undefined(m, m)
    return reduce(np.asarray(np.maximum(1 - m, 0)), reduction, sample_weight)


@quiet
def categorical_hinge_grad(y_true, y_pred, *, axis: int = -1, sample_weight=None):
    r"""Derivative of the unreduced :func:`categorical_hinge` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial z_{ik}} =
        \begin{cases}
        -1 & k = y_i \\
        1 / |J_i| & k \in J_i = \operatorname{arg\,max}_{j \ne y_i} z_{ij} \\
        0 & \text{otherwise}
        \end{cases}

    where the margin :math:`m_i < 1`, and 0 where :math:`m_i \ge 1`.

    Parameters
    ----------
    y_true, y_pred, axis
        As for :func:`categorical_hinge`.
    sample_weight : array_like, optional
        One weight per sample, which multiplies that sample's derivative.

    Returns
    -------
    ndarray
        Same shape and dtype as ``y_pred``.

    Notes
    -----
    Two kinks, two choices of subgradient: at :math:`m = 1` the derivative 0 (as
    :func:`hinge_grad`); where several rivals tie for the largest score, the derivative of the
    maximum is shared equally among them (as ``tf.reduce_max`` and ``torch.amax`` do).
    TensorFlow's ``maximum(0, x)`` passes a tie at :math:`x = 0` to its first argument, 0, as
    lossnotes does.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.categorical_hinge_grad([[1, 0, 0]], [[2.0, 1.5, 1.8]])
    array([[-1.,  0.,  1.]])
    >>> ln.categorical_hinge_grad([[1, 0, 0]], [[0.0, 0.5, 0.5]])  # a tie: shared
    array([[-1. ,  0.5,  0.5]])
    """
    y_true, y_pred, axis = _one_hot_inputs(y_true, y_pred, axis)
    z_y, others, true = _true_and_rival(y_true, y_pred, axis)
    top = np.max(others, axis=-1)
    m = z_y - top
    _undefined(m, m)
    active = (m < 1)[..., None]
    rivals = (others == top[..., None]) & active
    g = rivals / np.count_nonzero(rivals, axis=-1, keepdims=True).clip(1)
    g = np.where(true & active, -1, g).astype(y_pred.dtype)
    return _weigh_rows(np.moveaxis(g, -1, axis), sample_weight, axis)[()]


# --------------------------------------------------------------------------------------------
# Weston-Watkins
# --------------------------------------------------------------------------------------------


#: The dtype each computes in: float16 and float32 scores in the next wider float, so that their
#: squares, sums and the division by C round once, when the result is cast back.
_WORK = {np.dtype(np.float16): np.dtype(np.float32), np.dtype(np.float32): np.dtype(np.float64)}


def _rival_terms(index, z, margin, axis):
    """``d = margin - (z_y - z_j)`` per class (classes last, in the working dtype), ``-inf`` at
    the true class; the rounding error of that subtraction (``d + lo`` is exact whenever
    ``z_y - z_j`` is); the true class's one-hot mask."""
    z = _class_axis_last(z, axis)
    z = z.astype(_WORK.get(z.dtype, z.dtype))
    last = z.ndim - 1
    true = _one_hot(index, z, last, dtype=bool)
    # z_y - z_j first: exact wherever the two scores are within a factor 2 (Sterbenz).
    diff = np.subtract(_pick(z, index, last)[..., None], z)
    m = z.dtype.type(margin)
    d = m - diff
    # Knuth's TwoSum: the part of margin - diff that d lost to rounding (0 at infinities).
    back = d - m
    lo = (m - (d - back)) - (diff + back)
    lo[~np.isfinite(lo)] = 0
    d[true] = -np.inf
    _undefined(d, index)
    return d, lo, true


def _class_weight(weight, index, y_pred, axis):
    """The weight of each sample's true class, or None."""
    w = _check_weight(weight, y_pred.shape[axis], y_pred.dtype)
    return None if w is None else w[index]


@quiet
def multi_margin_loss(labels, y_pred, *, p: int = 1, margin: float = 1.0, weight=None,
                      axis: int = -1, reduction: str = "mean", sample_weight=None):
    r"""The Weston-Watkins multiclass hinge loss (torch's ``multi_margin_loss``).

    .. math::

        \ell_i = \frac{w_{y_i}}{C} \sum_{j \ne y_i}
        \max\bigl(0,\; \text{margin} - (z_{i y_i} - z_{ij})\bigr)^p,

    every rival within ``margin`` of the true class charged, summed and divided by the number
    of classes :math:`C`. The reduction is the mean (default) or sum over samples, or
    ``"none"``.

    Parameters
    ----------
    labels : array_like of int
        Class indices :math:`y_i \in \{0, \dots, C-1\}`, of ``y_pred``'s shape without
        ``axis``.
    y_pred : array_like
        Real scores, at least two classes along ``axis``; ``+-inf`` allowed.
    p : {1, 2}, default 1
        The hinge (1) or the squared hinge (2), the two torch takes.
    margin : float, default 1.0
        The lead over each rival below which it is charged.
    weight : array_like of shape (C,), optional
        A non-negative weight per class, applied to the samples of that true class.
    axis : int, default -1
        The class axis (torch: dimension 1).
    reduction : {"mean", "sum", "none"}, default "mean"
    sample_weight : array_like, optional
        Finite non-negative weights, one per sample (``labels``' shape or its leading axes),
        on top of ``weight``: ``"mean"`` is :math:`\sum_i s_i \ell_i / \sum_i s_i`, with
        :math:`w_{y_i}` inside :math:`\ell_i` (as torch's ``"mean"`` divides by N whatever
        ``weight``).

    Returns
    -------
    ndarray or scalar
        ``labels``' shape for ``"none"``, else a scalar; ``y_pred``'s dtype.

    Raises
    ------
    ValueError
        On labels of the wrong shape or not integers in [0, C), fewer than two classes, NaN,
        ``p`` other than 1 or 2 (``TypeError`` if not an integer), a non-finite ``margin``, a
        ``weight`` of the wrong shape or with a negative or non-finite value, a true class and
        a rival at the same infinity, a bad axis or an unknown reduction.

    Notes
    -----
    The traps: the division is by :math:`C`, not by the :math:`C - 1` rivals, so the same
    scores cost less with more classes; torch's documentation writes the weight inside the
    power, :math:`\max(0, w_y(\text{margin} - z_y + z_j))^p`, but its kernels multiply after
    it, :math:`w_y \max(0, \cdot)^p`, as here; torch takes scores of shape (N, C) or (C,) only.
    A weight of 0 ignores the sample even where a rival's score is ``+inf`` (torch:
    :math:`0 \cdot \infty` = ``nan``). Keras has no Weston-Watkins loss; its
    ``categorical_hinge`` is :func:`categorical_hinge`, the closest rival only.

    References
    ----------
    J. Weston and C. Watkins, "Support vector machines for multi-class pattern recognition",
    ESANN (1999).

    Examples
    --------
    The scores of :func:`categorical_hinge`'s example: both rivals are within the margin.

    >>> import lossnotes as ln
    >>> round(float(ln.multi_margin_loss([0], [[2.0, 1.5, 1.8]])), 12)  # 1.3 / 3
    0.433333333333
    >>> round(float(ln.multi_margin_loss([0], [[2.0, 1.5, 1.8]], p=2)), 12)  # 0.89 / 3
    0.296666666667
    """
    p, margin = _check_p(p), _check_margin(margin)
    index, y_pred, axis = _label_inputs(labels, y_pred, axis)
    w = _class_weight(weight, index, y_pred, axis)
    d, lo, _ = _rival_terms(index, y_pred, margin, axis)
    t = np.maximum(d, 0)
    if p == 2:
        # (d + lo)^2 = d^2 + 2 d lo + lo^2: the middle term restores what rounding d lost,
        # which would otherwise be doubled by the square (lo^2 is below d^2's rounding).
        t = np.add(t * t, 2 * t * lo, where=np.isfinite(t), out=t * t)
    loss = np.asarray(np.sum(t, axis=-1))
    if w is not None:
        loss = _xmul(w.astype(loss.dtype), loss)  # a weight of 0 ignores an infinite term
    loss /= loss.dtype.type(y_pred.shape[axis])
    return reduce(loss.astype(y_pred.dtype), reduction, sample_weight)


@quiet
def multi_margin_loss_grad(labels, y_pred, *, p: int = 1, margin: float = 1.0, weight=None,
                           axis: int = -1, sample_weight=None):
    r"""Derivative of the unreduced :func:`multi_margin_loss` with respect to ``y_pred``.

    With :math:`d_{ij} = \text{margin} - (z_{iy_i} - z_{ij})`,

    .. math::

        \frac{\partial \ell_i}{\partial z_{ij}} = \frac{w_{y_i}}{C}\, p\,
        \max(0, d_{ij})^{p-1} [d_{ij} > 0] \quad (j \ne y_i),
        \qquad
        \frac{\partial \ell_i}{\partial z_{iy_i}} = -\sum_{j \ne y_i}
        \frac{\partial \ell_i}{\partial z_{ij}}.

    Parameters
    ----------
    labels, y_pred, p, margin, weight, axis
        As for :func:`multi_margin_loss`.
    sample_weight : array_like, optional
        One weight per sample, which multiplies that sample's derivative.

    Returns
    -------
    ndarray
        Same shape and dtype as ``y_pred``.

    Notes
    -----
    At the kink :math:`d = 0` of ``p=1`` the subgradient 0 is chosen, as torch's backward
    (which tests :math:`d > 0`) does.

    Examples
    --------
    >>> import lossnotes as ln
    >>> (3 * ln.multi_margin_loss_grad([0], [[2.0, 1.5, 1.8]])).round(12)
    array([[-2.,  1.,  1.]])
    >>> (3 * ln.multi_margin_loss_grad([0], [[2.0, 1.5, 1.8]], p=2)).round(12)
    array([[-2.6,  1. ,  1.6]])
    """
    p, margin = _check_p(p), _check_margin(margin)
    index, y_pred, axis = _label_inputs(labels, y_pred, axis)
    w = _class_weight(weight, index, y_pred, axis)
    d, lo, true = _rival_terms(index, y_pred, margin, axis)
    g = (d > 0).astype(d.dtype) if p == 1 else 2 * np.where(d > 0, d + lo, 0)
    if w is not None:
        g = _xmul(w.astype(g.dtype)[..., None], g)  # a weight of 0 ignores an infinite term
    g[true] = -np.sum(g, axis=-1).reshape(-1)  # the true class's entry of g is 0 until here
    g /= g.dtype.type(y_pred.shape[axis])
    return _weigh_rows(np.moveaxis(g, -1, axis).astype(y_pred.dtype), sample_weight, axis)[()]


# --------------------------------------------------------------------------------------------
# similarity: the hinge embedding loss
# --------------------------------------------------------------------------------------------


def _embedding_inputs(y_true, y_pred, margin):
    y_true, y_pred = pair(y_true, y_pred)
    check_plus_minus_one(y_true, "y_true")
    return y_true == 1, y_pred, y_pred.dtype.type(_check_margin(margin))


@quiet
def hinge_embedding_loss(y_true, y_pred, *, margin: float = 1.0, reduction: str = "mean",
                         sample_weight=None):
    r"""The hinge embedding loss of a distance (torch's ``hinge_embedding_loss``).

    .. math::

        \ell_i = \begin{cases}
        x_i & y_i = +1 \\
        \max(0,\; \text{margin} - x_i) & y_i = -1
        \end{cases}

    for a distance :math:`x_i` between the two embeddings of a pair (L1 or L2, computed by the
    caller) and a label saying whether the pair is similar: a similar pair
    (:math:`y_i = +1`) is charged its distance, a dissimilar one (:math:`y_i = -1`) is charged
    until it is margin apart. The reduction is the mean
    (default) or sum over all elements, or ``"none"``.

    Parameters
    ----------
    y_true : array_like
        Labels in :math:`\{-1, +1\}`, ``y_pred``'s shape.
    y_pred : array_like
        The distances :math:`x` (real numbers, ``+-inf`` allowed; meant to be >= 0).
    margin : float, default 1.0
        The distance beyond which a dissimilar pair costs nothing.
    reduction : {"mean", "sum", "none"}, default "mean"
    sample_weight : array_like, optional
        As for :func:`~lossnotes.mse`: one weight per pair (or per sample, as the leading
        axes); ``"mean"`` is :math:`\sum_i w_i \ell_i / \sum_i w_i`.

    Returns
    -------
    ndarray or scalar
        ``y_pred``'s shape for ``"none"``, else a scalar; ``y_pred``'s dtype.

    Raises
    ------
    ValueError
        On labels other than -1 and +1, NaN, differing shapes, a non-finite ``margin`` or an
        unknown reduction.

    Notes
    -----
    The traps: ``y_pred`` is a distance, not a score, so a similar pair is charged its
    distance whole (no margin, no hinge) and the loss is linear in it; a negative "distance"
    would make a negative loss. torch does not check its labels: it computes
    ``where(y != 1, max(0, margin - x), 0) + where(y != -1, x, 0)``, so a label 0 (or any
    other value) charges both terms, :math:`x + \max(0, \text{margin} - x)`, at least the
    margin; lossnotes refuses such labels. Keras has no such loss.

    Examples
    --------
    A similar pair 0.3 apart costs 0.3; dissimilar pairs 0.3 and 1.5 apart cost 0.7 and 0:

    >>> import lossnotes as ln
    >>> ln.hinge_embedding_loss([1, -1, -1], [0.3, 0.3, 1.5], reduction="none")
    array([0.3, 0.7, 0. ])
    """
    similar, x, margin = _embedding_inputs(y_true, y_pred, margin)
    return reduce(np.where(similar, x, np.maximum(margin - x, 0)), reduction, sample_weight)


@quiet
def hinge_embedding_loss_grad(y_true, y_pred, *, margin: float = 1.0, sample_weight=None):
    r"""Derivative of the unreduced :func:`hinge_embedding_loss` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial x_i} = \begin{cases}
        1 & y_i = +1 \\
        -1 & y_i = -1,\ x_i < \text{margin} \\
        0 & y_i = -1,\ x_i \ge \text{margin}
        \end{cases}

    Parameters
    ----------
    y_true, y_pred, margin, sample_weight
        As for :func:`hinge_embedding_loss`.

    Returns
    -------
    ndarray
        Same shape and dtype as ``y_pred``; with ``sample_weight``, each value times its
        weight.

    Notes
    -----
    At the kink :math:`x = \text{margin}` of a dissimilar pair lossnotes chooses the
    subgradient 0 (as :func:`hinge_grad`); torch's ``clamp_min`` passes the bound, -1.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.hinge_embedding_loss_grad([1, -1, -1], [0.3, 0.3, 1.0])
    array([ 1., -1.,  0.])
    """
    similar, x, margin = _embedding_inputs(y_true, y_pred, margin)
    return weigh(np.where(similar, 1, np.where(x < margin, -1, 0)).astype(x.dtype),
                 sample_weight)
