r"""Segmentation overlaps: the Dice and Tversky losses, one value per sample.

A sample is a row along ``axis`` (its pixels, say) of targets :math:`y \in [0, 1]` and
predicted probabilities :math:`p \in [0, 1]`. With the soft counts

.. math::

    I = \sum_k y_k p_k, \qquad M = \sum_k y_k (1 - p_k), \qquad E = \sum_k (1 - y_k)\, p_k,

the overlap, the target mass the prediction misses and the mass it adds, both losses are
ratios of sums of non-negative terms, so nothing cancels.
"""

from __future__ import annotations

import math

import numpy as np

from ._cross_entropy import _binary_labels, _probabilities, _weigh_rows
from ._focal import _working
from ._validation import check_axis, check_number, pair, quiet, reduce, where_row


def _check_weight(value, name: str) -> float:
    """A Tversky weight: a finite number >= 0."""
    return check_number(value, name, 0.0, math.inf, "a finite number >= 0", upper_open=True)


def _inputs(y_true, y_pred, axis):
    """``(y, p, axis, dtype)``: float16 and float32 computed in float64 (rounded once at the
    end, as the focal losses do)."""
    y, p = pair(y_true, y_pred, check_true=_binary_labels, check_pred=_probabilities)
    axis = check_axis(axis, p.ndim)
    return (*_working(y, p)[:2], axis, p.dtype)


def _counts(y: np.ndarray, p: np.ndarray, axis: int):
    """``(I, M, E)`` per row, keeping the axis (for broadcasting against the row)."""
    def total(x):
        return np.sum(x, axis=axis, keepdims=True)
    return total(y * p), total(y * (1 - p)), total((1 - y) * p)


def _denominator(i, m, e, alpha, beta, axis):
    """``I + alpha M + beta E``, refusing a row where it is 0 (the ratio is 0 / 0)."""
    d = i + alpha * m + beta * e
    if (d == 0).any():
        raise ValueError(
            f"y_true and y_pred have a row along axis {axis} {where_row(d == 0, axis)} "
            "where the overlap and the weighted misses and additions are all 0 (an empty target "
            "and an empty prediction, or zero weights): the loss is 0 / 0 there; expected at "
            "least one positive count per row"
        )
    return d


def _tversky_loss(y_true, y_pred, alpha, beta, axis, reduction, sample_weight):
    y, p, axis, dtype = _inputs(y_true, y_pred, axis)
    i, m, e = _counts(y, p, axis)
    loss = (alpha * m + beta * e) / _denominator(i, m, e, alpha, beta, axis)
    return reduce(np.squeeze(loss, axis=axis).astype(dtype), reduction, sample_weight)


def _tversky_grad(y_true, y_pred, alpha, beta, axis, sample_weight):
    y, p, axis, dtype = _inputs(y_true, y_pred, axis)
    i, m, e = _counts(y, p, axis)
    d = _denominator(i, m, e, alpha, beta, axis)
    # dI/dp = y, dM/dp = -y, dE/dp = 1 - y; the quotient rule on N / (I + N), N = alpha M +
    # beta E, gives (I N' - N I') / d^2 = ((1 - y) beta I - y (alpha I + N)) / d^2: for a hard
    # label one term, of one sign.
    n = alpha * m + beta * e
    g = (((1 - y) * (beta * i) - y * (alpha * i + n)) / (d * d)).astype(dtype)
    return _weigh_rows(g, sample_weight, axis)[()]


@quiet
def tversky(y_true, y_pred, *, alpha: float = 0.5, beta: float = 0.5, axis: int = -1,
            reduction: str = "mean", sample_weight=None):
    r"""Tversky loss, as Keras's ``tversky`` weights it.

    .. math::

        \ell_i = 1 - \frac{I_i}{I_i + \alpha M_i + \beta E_i}
        = \frac{\alpha M_i + \beta E_i}{I_i + \alpha M_i + \beta E_i},

    with :math:`I = \sum_k y_k p_k`, :math:`M = \sum_k y_k (1 - p_k)` (target missed) and
    :math:`E = \sum_k (1 - y_k) p_k` (prediction outside the target) over ``axis``. With
    :math:`\alpha = \beta = 1/2` it is :func:`dice`; :math:`\alpha = \beta = 1` gives one minus
    the (soft) Jaccard index.

    Parameters
    ----------
    y_true : array_like
        Targets in [0, 1] (a mask, or soft).
    y_pred : array_like
        Probabilities in [0, 1], ``y_true``'s shape.
    alpha, beta : float, default 0.5
        Finite weights :math:`\ge 0` of the missed target mass :math:`M` and of the
        prediction outside the target :math:`E`.
    axis : int, default -1
        The axis summed over: one loss per row along it.
    reduction : {"mean", "sum", "none"}, default "mean"
        Over the rows.
    sample_weight : array_like, optional
        One finite non-negative weight per row (a sample: its whole ratio), as for
        :func:`~lossnotes.negative_cosine_similarity`: ``"mean"`` is
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. A weight scales a sample's ratio, not its
        pixels: weighing pixels would weigh the sums :math:`I, M, E`, another loss.

    Returns
    -------
    ndarray or scalar
        ``y_pred``'s shape without ``axis`` for ``"none"``, else a scalar.

    Raises
    ------
    ValueError
        On differing shapes, values outside [0, 1], NaN, a bad axis, a negative or infinite
        weight, or a row where the denominator is 0 (empty target and prediction: 0 / 0).

    Notes
    -----
    **The traps.** Keras computes ``fp = sum((1 - y_pred) * y_true)`` and
    ``fn = sum(y_pred * (1 - y_true))``, weighted by ``alpha`` and ``beta``: its "fp" is the
    target mass the prediction *misses* (a false negative in the usual sense), so Keras's
    ``alpha`` is the weight Salehi et al. call :math:`\beta` (penalising false negatives);
    lossnotes follows Keras's arithmetic and names the sums for what they are. Keras's
    ``axis`` defaults to ``None``: one loss over the whole batch, not one per sample
    (``axis`` arrived in Keras 3.8.0; ``tversky`` itself in 3.3.0). Sums of products and a
    quotient, each rounded: within 10 ulp in float64 on the accuracy grid (rows of 4; a sum of
    more terms adds rounding errors), and float32 and float16 are computed in float64 and
    rounded once. Keras adds
    :math:`10^{-7}` to the denominator (:func:`lossnotes.like_keras.tversky`); torch has no
    Tversky loss.

    References
    ----------
    S. S. M. Salehi, D. Erdogmus and A. Gholipour, "Tversky loss function for image
    segmentation using 3D fully convolutional deep networks", MLMI 2017 (arXiv:1706.05721).

    Examples
    --------
    >>> import lossnotes as ln
    >>> y = [[1.0, 1.0, 0.0, 0.0]]
    >>> p = [[0.9, 0.6, 0.2, 0.0]]  # I = 1.5, M = 0.5, E = 0.2
    >>> ln.tversky(y, p, alpha=0.7, beta=0.3, reduction="none").round(8)  # 0.41 / 1.91
    array([0.21465969])
    """
    alpha, beta = _check_weight(alpha, "alpha"), _check_weight(beta, "beta")
    return _tversky_loss(y_true, y_pred, alpha, beta, axis, reduction, sample_weight)


@quiet
def tversky_grad(y_true, y_pred, *, alpha: float = 0.5, beta: float = 0.5, axis: int = -1,
                 sample_weight=None):
    r"""Derivative of the unreduced :func:`tversky` with respect to ``y_pred``.

    With :math:`N = \alpha M + \beta E` and :math:`D = I + N`, by the quotient rule
    (:math:`\partial I/\partial p_k = y_k`, :math:`\partial M / \partial p_k = -y_k`,
    :math:`\partial E / \partial p_k = 1 - y_k`),

    .. math::

        \frac{\partial \ell}{\partial p_k} = \frac{(1 - y_k)\, \beta I - y_k (\alpha I + N)}
        {D^2}:

    positive on the background, negative on the target, never cancelling for a hard mask.
    ``sample_weight`` (one weight per row) multiplies each row's derivative.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.tversky_grad([[1.0, 0.0]], [[0.5, 0.5]]).round(8)  # I = M = E = 0.5, D = 1
    array([[-0.75,  0.25]])
    """
    alpha, beta = _check_weight(alpha, "alpha"), _check_weight(beta, "beta")
    return _tversky_grad(y_true, y_pred, alpha, beta, axis, sample_weight)


@quiet
def dice(y_true, y_pred, *, axis: int = -1, reduction: str = "mean", sample_weight=None):
    r"""Dice loss (soft Dice), Keras's ``dice``.

    .. math::

        \ell_i = 1 - \frac{2 \sum_k y_k p_k}{\sum_k y_k + \sum_k p_k}
        = \frac{M_i + E_i}{2 I_i + M_i + E_i},

    the second form (the first rewritten: :math:`\sum y + \sum p = 2I + M + E`) a ratio of
    sums of non-negative terms, so a near-perfect prediction keeps its small loss where
    :math:`1 - 2I/S` would cancel. It is :func:`tversky` with :math:`\alpha = \beta = 1/2`.

    Parameters
    ----------
    y_true, y_pred, axis, reduction, sample_weight
        As for :func:`tversky`.

    Returns
    -------
    ndarray or scalar
        ``y_pred``'s shape without ``axis`` for ``"none"``, else a scalar.

    Raises
    ------
    ValueError
        As for :func:`tversky`: a row with an empty target and an empty prediction has no Dice
        loss (0 / 0).

    Notes
    -----
    **The traps.** Keras's ``dice`` (from Keras 3.2.0) reduces over ``axis=None``, every
    axis: one number for the whole batch, which is not the mean of the per-sample losses
    (``axis`` arrived in Keras 3.4.0). Keras adds :math:`10^{-7}` to the denominator, which
    gives an empty row the loss 1 (:func:`lossnotes.like_keras.dice`); many implementations
    add a "smooth" constant to both numerator and denominator instead, which gives it 0.
    torch.nn.functional has no Dice loss.

    References
    ----------
    F. Milletari, N. Navab and S.-A. Ahmadi, "V-Net", 3DV 2016 (arXiv:1606.04797).

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.dice([[1.0, 1.0, 0.0, 0.0]], [[0.9, 0.6, 0.2, 0.0]], reduction="none").round(8)
    array([0.18918919])
    """
    return _tversky_loss(y_true, y_pred, 0.5, 0.5, axis, reduction, sample_weight)


@quiet
def dice_grad(y_true, y_pred, *, axis: int = -1, sample_weight=None):
    r"""Derivative of the unreduced :func:`dice` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell}{\partial p_k} = \frac{2\bigl((1 - y_k) I - y_k (I + M + E)
        \bigr)}{(2I + M + E)^2} = \frac{2 \bigl(I - y_k S\bigr)}{S^2},

    with :math:`S = \sum y + \sum p`, times each row's weight with ``sample_weight``.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.dice_grad([[1.0, 0.0]], [[0.5, 0.5]]).round(8)  # I = 0.5, S = 2
    array([[-0.75,  0.25]])
    """
    return _tversky_grad(y_true, y_pred, 0.5, 0.5, axis, sample_weight)
