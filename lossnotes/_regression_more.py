r"""More regression losses: log-cosh, and the relative errors of positive targets (the
percentage error and the squared logarithmic error).

Like :mod:`lossnotes._regression`, each loss is a function of the residual
:math:`r = y - \hat y` (or of the targets and predictions themselves), takes
``(y_true, y_pred)`` and returns ``y_pred``'s dtype; the ``*_grad`` functions differentiate
with respect to the prediction.
"""

from __future__ import annotations

import math

import numpy as np

from ._regression import _residual
from ._validation import _where, check_no_nan, first, pair, quiet, reduce, weigh

#: log 2, the constant of log cosh x = |x| - log 2 + log(1 + e^(-2|x|)).
LOG_2 = math.log(2.0)
#: Above this |x| the form |x| - log 2 + log1p(e^(-2|x|)) is used; below, log1p(2 sinh(x/2)^2).
_LOG_COSH_SWITCH = 5.0


def _working(r: np.ndarray) -> np.ndarray:
    """float16 residuals in float32 (one rounding at the end), others as they are."""
    return r.astype(np.float32) if r.dtype == np.float16 else r


@quiet
def log_cosh(y_true, y_pred, *, reduction: str = "mean", sample_weight=None):
    r"""Log-cosh loss: quadratic for small residuals, linear (minus :math:`\log 2`) for large.

    .. math::

        \ell_i = \log \cosh(\hat y_i - y_i),

        \log\cosh x \approx \tfrac12 x^2 \ (|x| \ll 1), \quad
        \log\cosh x \approx |x| - \log 2 \ (|x| \gg 1).

    Like Huber with :math:`\delta = 1` it limits the pull of outliers, but it is smooth
    everywhere (every derivative exists), and its derivative is :math:`\tanh`.

    Parameters
    ----------
    y_true, y_pred, reduction, sample_weight
        As for :func:`~lossnotes.mse` (with weights :math:`w_i`, ``"mean"`` is
        :math:`\sum_i w_i \ell_i / \sum_i w_i`).

    Returns
    -------
    ndarray or scalar
        ``y_pred``'s shape for ``"none"``, else a scalar; ``y_pred``'s dtype.

    Raises
    ------
    ValueError
        As for :func:`~lossnotes.mse`.

    Notes
    -----
    :math:`\cosh x` overflows beyond :math:`|x| \approx 710` in float64 (89 in float32), so
    the literal ``log(cosh(x))`` (the one-line torch version, ``torch.log(torch.cosh(x))``)
    gives ``inf`` where the loss is :math:`|x| - \log 2`. The stable form

    .. math::

        \log\cosh x = |x| - \log 2 + \log\bigl(1 + e^{-2|x|}\bigr)

    never overflows, and is what ``keras.losses.log_cosh`` computes (as
    :math:`x + \operatorname{softplus}(-2x) - \log 2`); but for small :math:`|x|` it subtracts
    :math:`\log 2` from a number close to it, and :math:`\tfrac12 x^2` drowns (at
    :math:`x = 10^{-8}` it gives 0 or a rounding error of :math:`10^{-16}` instead of
    :math:`5 \times 10^{-17}`). lossnotes uses it for :math:`|x| > 5` only, and below
    :math:`\log\cosh x = \log\bigl(1 + 2 \sinh^2(x/2)\bigr)`, since
    :math:`\cosh x - 1 = 2\sinh^2(x/2)` without cancellation. That chains the roundings of
    ``sinh``, the square and ``log1p``: within 4 ulp in float64 (2.9 measured where NumPy runs
    without AVX-512), the bound its registry record promises. float16 is computed in float32
    and rounded once. torch.nn.functional has no log-cosh loss.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.log_cosh([0.0, 0.0, 0.0], [1e-8, 1.0, 1000.0], reduction="none")
    array([5.00000000e-17, 4.33780830e-01, 9.99306853e+02])
    """
    r = _residual(y_true, y_pred)
    a = np.abs(_working(r))
    s = np.sinh(a * 0.5)  # inf beyond |x| = 1420 in float64: that branch is not taken there
    small = np.log1p(2 * s * s)
    # |x| - log 2 + log1p(e^(-2|x|)): no overflow, and little cancellation above 5
    big = (a - LOG_2) + np.log1p(np.exp(-2 * a))
    loss = np.where(a > _LOG_COSH_SWITCH, big, small)
    return reduce(loss.astype(r.dtype, copy=False), reduction, sample_weight)


@quiet
def log_cosh_grad(y_true, y_pred, *, sample_weight=None):
    r"""Derivative of the unreduced :func:`log_cosh` with respect to the prediction.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_i} = \tanh(\hat y_i - y_i),

    about the residual for small residuals (like MSE's, halved) and :math:`\pm 1` for large
    ones (like MAE's), continuously in between. ``sample_weight`` multiplies it, as for
    :func:`~lossnotes.mse_grad`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.log_cosh_grad([0.0, 0.0, 0.0], [0.5, -1.0, 1000.0])
    array([ 0.46211716, -0.76159416,  1.        ])
    """
    r = _residual(y_true, y_pred)
    np.subtract(0, r, out=r)  # y_pred - y_true, +0 at a zero residual
    return weigh(np.tanh(r, out=r), sample_weight)[()]


def _nonzero_targets(y: np.ndarray, name: str) -> None:
    """Targets of a relative error: finite numbers other than 0."""
    check_no_nan(y, name)
    bad = (y == 0) | np.isinf(y)
    if bad.any():
        raise ValueError(f"{name} holds {first(y, bad)!r} {_where(bad)}; the percentage error "
                         "of a target 0 (or infinite) is undefined: expected finite targets "
                         "other than 0")


def _relative_residual(y_true, y_pred):
    """``(y_true, r = y_true - y_pred)``, the targets refused where they are 0."""
    y_true, y_pred = pair(y_true, y_pred, check_true=_nonzero_targets, check_pred=None)
    return y_true, _residual(y_true, y_pred)


@quiet
def mean_absolute_percentage_error(y_true, y_pred, *, reduction: str = "mean",
                                   sample_weight=None):
    r"""Mean absolute percentage error: the absolute error in percent of the target.

    .. math::

        \ell_i = 100 \, \frac{|y_i - \hat y_i|}{|y_i|}, \qquad y_i \ne 0.

    Parameters
    ----------
    y_true : array_like
        Finite targets, none of them 0.
    y_pred : array_like
        Predictions, the same shape.
    reduction : {"mean", "sum", "none"}, default "mean"
    sample_weight : array_like, optional
        As for :func:`~lossnotes.mse`.

    Returns
    -------
    ndarray or scalar
        ``y_pred``'s shape for ``"none"``, else a scalar; ``y_pred``'s dtype.

    Raises
    ------
    ValueError
        As for :func:`~lossnotes.mse`, and for a target of 0 or an infinite one, whose
        percentage error is undefined.

    Notes
    -----
    A scale-free error (a miss of 1 costs 100 on a target of 1 and 1 on a target of 100), but
    not a symmetric one: under-predicting a positive target costs at most 100, over-predicting
    without bound, so a model trained on it leans low. ``keras.losses.
    mean_absolute_percentage_error`` divides by :math:`\max(|y|, 10^{-7})` instead of
    :math:`|y|`: a target of 0 is accepted and costs :math:`10^{9} |\hat y|`. torch has no
    percentage error.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.mean_absolute_percentage_error([2.0, -4.0, 100.0], [1.0, -5.0, 101.0],
    ...                                   reduction="none")
    array([50., 25.,  1.])
    """
    y, r = _relative_residual(y_true, y_pred)
    np.abs(r, out=r)
    r /= np.abs(y)
    r *= 100
    return reduce(r, reduction, sample_weight)


@quiet
def mean_absolute_percentage_error_grad(y_true, y_pred, *, sample_weight=None):
    r"""(Sub)derivative of the unreduced :func:`mean_absolute_percentage_error` with respect
    to the prediction.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_i} = \frac{100}{|y_i|}
        \operatorname{sign}(\hat y_i - y_i),

    0 at an exact prediction (as for :func:`~lossnotes.mae`): MAE's subgradient, scaled by
    :math:`100 / |y|`, so small targets pull hardest. ``sample_weight`` multiplies it, as for
    :func:`~lossnotes.mse_grad`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.mean_absolute_percentage_error_grad([2.0, -4.0, 100.0], [1.0, -4.0, 101.0])
    array([-50.,   0.,   1.])
    """
    y, r = _relative_residual(y_true, y_pred)
    np.sign(r, out=r)
    np.subtract(0, r, out=r)  # sign(y_pred - y_true), +0 at 0
    r *= 100
    r /= np.abs(y)
    return weigh(r, sample_weight)[()]


def _above_minus_one(x: np.ndarray, name: str) -> None:
    """Inputs of a logarithmic error: finite numbers greater than -1, where log(1 + x) is."""
    if not x.size or (np.minimum.reduce(x, axis=None) > -1
                      and np.maximum.reduce(x, axis=None) < np.inf):  # a NaN fails both
        return
    check_no_nan(x, name)
    bad = ~(x > -1) | np.isinf(x)
    raise ValueError(f"{name} holds {first(x, bad)!r} {_where(bad)}; the logarithmic error "
                     "log(1 + x) is defined for finite x > -1: expected finite numbers greater "
                     "than -1 (counts, prices: numbers >= 0)")


def _log_ratio(y_true, y_pred):
    r"""``(d, 1 + y_pred, dtype)``: :math:`d = \log(1 + \hat y) - \log(1 + y)` as
    :math:`\log\bigl(1 + (\hat y - y) / (1 + y)\bigr)`, in float64 for float16 and float32
    inputs (rounded once by the caller), in the inputs' dtype otherwise."""
    y, p = pair(y_true, y_pred, check_true=_above_minus_one, check_pred=_above_minus_one)
    dtype = p.dtype
    if dtype.itemsize < 8:
        y, p = y.astype(np.float64), p.astype(np.float64)
    # The two logs cancel where y_pred is close to y_true; their difference is the log of
    # the ratio (1 + y_pred) / (1 + y_true) = 1 + t, t = (y_pred - y_true) / (1 + y_true),
    # whose log1p keeps the digits of a small difference.
    d = np.subtract(p, y, out=np.empty_like(p))  # an array even for 0-d inputs
    d /= np.add(1, y)
    low = d <= -0.5
    np.log1p(d, out=d)
    # Where the ratio is below 1/2, log1p(t) near t = -1 would amplify t's rounding (its
    # condition number grows without bound there); the two logs are then far apart, and
    # their difference loses nothing.
    if low.any():
        d[low] = np.log1p(p[low]) - np.log1p(y[low])
    return d, np.add(1, p), dtype


@quiet
def mean_squared_logarithmic_error(y_true, y_pred, *, reduction: str = "mean",
                                   sample_weight=None):
    r"""Mean squared logarithmic error: the squared error of :math:`\log(1 + x)`.

    .. math::

        \ell_i = \bigl(\log(1 + \hat y_i) - \log(1 + y_i)\bigr)^2
               = \log^2\!\frac{1 + \hat y_i}{1 + y_i}, \qquad y_i, \hat y_i > -1,

    reduced as :func:`~lossnotes.mse` reduces (with weights :math:`w_i`, ``"mean"`` is
    :math:`\sum_i w_i \ell_i / \sum_i w_i`).

    Parameters
    ----------
    y_true : array_like
        Finite targets greater than -1 (in practice counts, prices, sizes: numbers >= 0).
    y_pred : array_like
        Finite predictions greater than -1, the same shape.
    reduction : {"mean", "sum", "none"}, default "mean"
    sample_weight : array_like, optional
        As for :func:`~lossnotes.mse`.

    Returns
    -------
    ndarray or scalar
        ``y_pred``'s shape for ``"none"``, else a scalar; ``y_pred``'s floating dtype.

    Raises
    ------
    ValueError
        As for :func:`~lossnotes.mse`, and for a value of ``y_true`` or ``y_pred`` that is
        -1 or less (no logarithm) or infinite.

    Notes
    -----
    A relative error: predicting 110 for 100 costs about what 11 for 10 costs (the log of
    their ratio), and missing by a factor below costs what missing by the same factor above
    does; the +1 keeps a target of 0 finite and makes misses on values below 1 count less.
    ``keras.losses.mean_squared_logarithmic_error`` first raises every value below
    :math:`\epsilon = 10^{-7}` to it (a negative prediction is clipped, not refused), then
    subtracts ``log(x + 1)`` of both; the two logs cancel where the prediction is close to
    the target, and their difference keeps only its absolute accuracy there (no bound in
    ulps holds at a prediction a few ulps from the target). lossnotes takes
    the log of the ratio instead, :math:`\log\bigl(1 + (\hat y - y)/(1 + y)\bigr)`, which
    keeps a small difference's digits (and the difference of the two logs where the ratio is
    below 1/2, so that they cannot cancel). The square doubles the relative error of the
    difference, which carries the roundings of the quotient and of ``log1p``: within 4 ulp
    in float64 (2.3 measured), the bound its registry record promises; float16 and float32
    are computed in float64 and rounded once. torch has no such loss;
    ``F.mse_loss(torch.log1p(y_pred), torch.log1p(y_true))`` writes it.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.mean_squared_logarithmic_error([0.0, 1.0, 9.0], [0.0, 3.0, 99.0], reduction="none")
    array([0.        , 0.48045301, 5.30189811])
    >>> loss = ln.mean_squared_logarithmic_error([1.0, 9.0], [3.0, 99.0], sample_weight=[1, 0])
    >>> print(f"{loss:.8f}")  # log(2)^2: the second sample weighs nothing
    0.48045301
    """
    d, _, dtype = _log_ratio(y_true, y_pred)
    return reduce(np.square(d, out=d).astype(dtype, copy=False), reduction, sample_weight)


@quiet
def mean_squared_logarithmic_error_grad(y_true, y_pred, *, sample_weight=None):
    r"""Derivative of the unreduced :func:`mean_squared_logarithmic_error` with respect to
    the prediction.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_i}
        = \frac{2 \bigl(\log(1 + \hat y_i) - \log(1 + y_i)\bigr)}{1 + \hat y_i},

    0 at an exact prediction, and smaller for larger predictions: the log compresses large
    values. ``sample_weight`` multiplies it, as for :func:`~lossnotes.mse_grad`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.mean_squared_logarithmic_error_grad([1.0, 1.0], [3.0, 1.0])  # log(2) / 2, 0
    array([0.34657359, 0.        ])
    """
    d, one_p, dtype = _log_ratio(y_true, y_pred)
    d *= 2
    d /= one_p
    return weigh(d.astype(dtype, copy=False), sample_weight)[()]
