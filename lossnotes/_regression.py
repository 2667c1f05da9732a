r"""Regression losses, as functions of the residual.

Each loss depends on the prediction only through the residual :math:`r = y - f(x)`; the
``*_grad`` functions return the derivative with respect to the prediction :math:`f(x)`, which
is minus the derivative with respect to the residual.
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    _where,
    as_float_array,
    check_no_nan,
    first,
    has_nan,
    pair,
    quiet,
    reduce,
    weigh,
)


@quiet
def mse(y_true, y_pred, *, reduction: str = "mean", sample_weight=None):
    r"""Mean squared error (L2 loss).

    .. math::

        \ell_i = (y_i - \hat y_i)^2, \qquad
        L = \frac{1}{n}\sum_i \ell_i \ (\texttt{"mean"}), \quad
        \sum_i \ell_i \ (\texttt{"sum"}),

    and with weights :math:`w_i`

    .. math::

        L = \frac{\sum_i w_i \ell_i}{\sum_i w_i} \ (\texttt{"mean"}), \quad
        \sum_i w_i \ell_i \ (\texttt{"sum"}), \quad
        w_i \ell_i \ (\texttt{"none"}).

    Parameters
    ----------
    y_true : array_like
        Targets.
    y_pred : array_like
        Predictions, the same shape as ``y_true``.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` averages over all elements (torch's default; Keras averages over the last
        axis per sample, and the mean of those is the same number).
    sample_weight : array_like, optional
        Finite non-negative weights: one per element (``y_pred``'s shape), or one per sample
        given as ``y_pred``'s leading axes (shape ``(N,)`` for ``(N, D)`` predictions), which
        weighs every element of that sample; no other shape is broadcast. ``"mean"`` is the
        true weighted mean: its denominator is the sum of the weights over every element, so
        0/1 weights are exactly a mask (a masked element counts as if it were absent, even an
        infinite one: :math:`0 \cdot \infty` is taken as 0). Weights that are all 0 have no
        weighted mean (0/0) and are refused with ``"mean"``; ``"sum"`` gives 0 for them.

    Returns
    -------
    ndarray or scalar
        ``y_pred``'s shape for ``"none"``, else a scalar; ``y_pred``'s floating dtype.

    Raises
    ------
    ValueError
        On differing shapes (an (N, 1) prediction against an (N,) target is refused, where
        torch would warn and broadcast to (N, N)), NaN, the same infinity as target and
        prediction (``inf - inf`` has no value), a target too large for the prediction's
        dtype, or an unknown reduction; for ``sample_weight`` of another shape, holding a
        negative, infinite or NaN weight, or all 0 with ``"mean"``. A residual or square
        beyond the largest float is ``inf``, its correct rounding, without a warning.

    Notes
    -----
    Convex and smooth; a residual twice as large costs four times as much, so a few outliers
    can dominate the fit.

    Examples
    --------
    >>> import lossnotes as ln
    >>> float(ln.mse([1.0, 2.0, 3.0], [1.5, 2.0, 1.0]))  # (0.25 + 0 + 4) / 3
    1.4166666666666667
    >>> float(ln.mse([1.0, 2.0, 3.0], [1.5, 2.0, 1.0], sample_weight=[1, 1, 0]))  # a mask
    0.125
    >>> float(ln.mse([1.0, 2.0, 3.0], [1.5, 2.0, 1.0], sample_weight=[2, 0, 1]))  # 4.5 / 3
    1.5
    """
    # a residual or square beyond the largest float is inf, its rounding
    r = _residual(y_true, y_pred)
    return reduce(np.square(r, out=r), reduction, sample_weight)


@quiet
def mse_grad(y_true, y_pred, *, sample_weight=None):
    r"""Derivative of the unreduced :func:`mse` with respect to the prediction.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_i} = 2 (\hat y_i - y_i)

    It shrinks in proportion to the residual, so gradient descent slows down as it nears the
    optimum. With ``sample_weight`` (as for :func:`mse`) it is the derivative
    :math:`w_i \, \partial \ell_i / \partial \hat y_i` of the weighted unreduced loss; the
    derivative of the weighted mean divides it by :math:`\sum_i w_i`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.mse_grad([1.0, 2.0], [1.5, 0.0])
    array([ 1., -4.])
    """
    r = _residual(y_true, y_pred)
    np.subtract(0, r, out=r)  # y_pred - y_true; 0 - r keeps a zero residual +0, not -0
    return weigh(np.multiply(r, 2, out=r), sample_weight)[()]


@quiet
def mae(y_true, y_pred, *, reduction: str = "mean", sample_weight=None):
    r"""Mean absolute error (L1 loss).

    .. math::

        \ell_i = |y_i - \hat y_i|

    Parameters
    ----------
    y_true, y_pred, reduction, sample_weight
        As for :func:`mse`.

    Returns
    -------
    ndarray or scalar
        ``y_pred``'s shape for ``"none"``, else a scalar; ``y_pred``'s dtype.

    Notes
    -----
    Convex and **continuous** everywhere, but not differentiable at a zero residual (a kink,
    not a discontinuity). Outliers cost in proportion to their size, not its square.

    Examples
    --------
    >>> import lossnotes as ln
    >>> float(ln.mae([1.0, 2.0, 3.0], [1.5, 2.0, 1.0]))  # (0.5 + 0 + 2) / 3
    0.8333333333333334
    """
    r = _residual(y_true, y_pred)
    return reduce(np.abs(r, out=r), reduction, sample_weight)


@quiet
def mae_grad(y_true, y_pred, *, sample_weight=None):
    r"""(Sub)derivative of the unreduced :func:`mae` with respect to the prediction.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_i} = \operatorname{sign}(\hat y_i - y_i)

    At a zero residual any value in [-1, 1] is a subgradient; 0 is chosen (as torch's and
    TensorFlow's ``abs`` gradients do), so an exact fit stays put. Elsewhere the size is always
    1, however close the prediction is: a fixed step size keeps overshooting the optimum.
    ``sample_weight`` multiplies it, as for :func:`mse_grad`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.mae_grad([1.0, 2.0, 3.0], [1.5, 2.0, 1.0])
    array([ 1.,  0., -1.])
    """
    r = _residual(y_true, y_pred)
    np.sign(r, out=r)
    np.subtract(0, r, out=r)  # sign(y_pred - y_true), with +0 at 0
    return weigh(r, sample_weight)[()]


def _check_delta(delta) -> float:
    if type(delta) is float and 0 < delta < np.inf:  # the common case, checked without NumPy
        return delta
    if isinstance(delta, (bool, np.bool_)):
        raise TypeError(f"delta must be a positive finite number; found {delta!r} (a bool)")
    if isinstance(delta, int) and abs(delta) > float(np.finfo(np.float64).max):
        raise ValueError(f"delta must be a positive finite number; found an integer of "
                         f"{len(str(abs(delta)))} digits, beyond the largest float")
    d = as_float_array(delta, "delta")
    if d.ndim != 0 or not np.isfinite(d) or d <= 0:
        raise ValueError(f"delta must be a positive finite number; found {delta!r}")
    return float(d)


def _residual(y_true, y_pred) -> np.ndarray:
    """``y_true - y_pred`` in a new array (even 0-d, to be overwritten in place), refusing the
    one residual that is undefined: inf - inf, and NaN. Call it under :data:`quiet`: a
    residual beyond the largest float is inf, the true value rounded."""
    # A NaN in either shows in the residual, so one reduction checks all three.
    y_true, y_pred = pair(y_true, y_pred, check_true=None, check_pred=None)
    r = np.subtract(y_true, y_pred, out=np.empty_like(y_pred))
    if has_nan(r):  # a NaN given, or inf - inf
        check_no_nan(y_pred, "y_pred")
        check_no_nan(y_true, "y_true")
        bad = np.isnan(r)
        raise ValueError(
            f"y_true and y_pred are the same infinity {_where(bad)} (found {first(y_true, bad)!r}"
            " for both); their residual inf - inf is undefined: expected at most one of each "
            "pair to be infinite"
        )
    return r


@quiet
def huber(y_true, y_pred, *, delta: float = 1.0, reduction: str = "mean", sample_weight=None):
    r"""Huber loss: quadratic for small residuals, linear for large ones.

    .. math::

        \ell_i = \begin{cases}
            \tfrac12 r_i^2 & |r_i| \le \delta \\
            \delta\,|r_i| - \tfrac12 \delta^2 & |r_i| > \delta
        \end{cases}
        \qquad r_i = y_i - \hat y_i.

    Parameters
    ----------
    y_true, y_pred
        As for :func:`mse`.
    delta : float, default 1.0
        Where the quadratic part hands over to the linear one; must be positive.
    reduction : {"mean", "sum", "none"}, default "mean"
    sample_weight : array_like, optional
        As for :func:`mse`: ``"mean"`` is :math:`\sum_i w_i \ell_i / \sum_i w_i`.

    Returns
    -------
    ndarray or scalar
        ``y_pred``'s shape for ``"none"``, else a scalar; ``y_pred``'s dtype.

    Raises
    ------
    ValueError
        As for :func:`mse`, and for a ``delta`` that is not positive and finite (a bool is a
        TypeError).

    Notes
    -----
    The constant :math:`-\tfrac12\delta^2` makes the two pieces meet at :math:`|r| = \delta`
    with equal value and equal slope :math:`\pm\delta`, so the loss is convex and continuously
    differentiable. It equals Keras's ``huber`` and torch's ``huber_loss``; torch's
    ``smooth_l1_loss`` with ``beta = delta`` is this loss divided by ``delta``.

    References
    ----------
    P. J. Huber, "Robust Estimation of a Location Parameter", *Annals of Mathematical
    Statistics* 35(1), 1964.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.huber([0.0, 0.0, 0.0], [0.5, 1.0, 3.0], reduction="none")
    array([0.125, 0.5  , 2.5  ])
    """
    delta = _check_delta(delta)
    r = _residual(y_true, y_pred)
    # Clipping at delta gives both branches at once: with q = clip(r, -delta, delta),
    # q (r - q/2) is r^2/2 inside (one rounding: q/2 and r - q/2 are exact there) and
    # delta |r| - delta^2/2 outside. Three buffers, each operation in place.
    q = np.clip(r, -delta, delta)
    half = np.multiply(q, 0.5)
    r -= half
    r *= q
    return reduce(r, reduction, sample_weight)


@quiet
def huber_grad(y_true, y_pred, *, delta: float = 1.0, sample_weight=None):
    r"""Derivative of the unreduced :func:`huber` with respect to the prediction.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_i} = \operatorname{clip}(\hat y_i - y_i,
        -\delta, \delta)

    Continuous everywhere (no subgradient choice is needed): the residual itself inside
    :math:`[-\delta, \delta]`, and :math:`\pm\delta` outside, like a scaled MAE.
    ``sample_weight`` multiplies it, as for :func:`mse_grad`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.huber_grad([0.0, 0.0, 0.0], [0.5, 1.0, -3.0])
    array([ 0.5,  1. , -1. ])
    """
    delta = _check_delta(delta)
    r = _residual(y_true, y_pred)
    np.clip(r, -delta, delta, out=r)
    np.subtract(0, r, out=r)  # clip(y_pred - y_true, -delta, delta)
    return weigh(r, sample_weight)[()]
