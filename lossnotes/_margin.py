r"""The margin view of binary classification.

With labels :math:`y \in \{-1, +1\}` and a real score :math:`f(x)`, the margin
:math:`m = y f(x)` is positive exactly when the sign of the score is right. Every loss here is
a decreasing function of :math:`m` alone, applied elementwise: it maps an array of margins to
an array of losses of the same shape and dtype (average them yourself, or use the
cross-entropy functions, which reduce). Each ``*_grad`` returns :math:`dL/dm`; by the chain
rule the derivative with respect to the score is :math:`y \, dL/dm`. With ``sample_weight``
(one finite non-negative weight per margin, or per sample as the leading axes) each ``*_grad``
returns :math:`w_i \, dL/dm_i`, the derivative of the weighted unreduced loss, with a weight
of 0 giving 0; 0/1 weights are the mask of every loss here.
"""

from __future__ import annotations

import numpy as np

from ._links import _log1p_exp_minus_abs, _sigmoid
from ._validation import (
    as_float_array,
    check_no_nan,
    check_plus_minus_one,
    has_nan,
    pair,
    quiet,
    reduce,
    weigh,
)


def margin(y, score):
    r"""The margin :math:`m = y \, f(x)` of labels in {-1, +1} and real scores.

    .. math::

        m_i = y_i \, f(x_i), \qquad m_i > 0 \iff \operatorname{sign} f(x_i) = y_i.

    Parameters
    ----------
    y : array_like
        Labels, each exactly -1 or +1.
    score : array_like
        Real scores :math:`f(x)`, the same shape as ``y``.

    Returns
    -------
    ndarray
        Same shape and floating dtype as ``score``.

    Raises
    ------
    ValueError
        If a label is not -1 or +1 (labels in {0, 1} must be mapped with :math:`2y - 1`); if
        the shapes differ, or on NaN. The frameworks read labels of 0 too; see
        :func:`lossnotes.like_keras.margin` and :func:`lossnotes.like_torch.margin`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.margin([1, -1, 1], [2.0, 0.5, -0.25])
    array([ 2.  , -0.5 , -0.25])
    """
    y, score = pair(y, score, "y", "score", check_true=None, check_pred=None)
    # |y| is 1 everywhere exactly when its minimum and maximum are 1 (a NaN fails that too);
    # its buffer then receives the margins, which are NaN exactly where the score is.
    m = np.abs(y, out=np.empty_like(score))
    if m.size and not np.minimum.reduce(m, axis=None) == np.maximum.reduce(m, axis=None) == 1:
        check_no_nan(y, "y")
        check_plus_minus_one(y, "y")
    np.multiply(y, score, out=m)
    if has_nan(m):
        check_no_nan(score, "score")
    return m[()]


def _m(m) -> np.ndarray:
    return as_float_array(m, "m")


@quiet
def zero_one(m, *, reduction: str = "none", sample_weight=None):
    r"""The 0-1 loss: 1 for a wrong (or undecided) sign, 0 for a right one.

    .. math::

        L(m) = \mathbb{1}[m \le 0] =
        \begin{cases} 1 & m \le 0 \\ 0 & m > 0 \end{cases}

    Parameters
    ----------
    m : array_like
        Margins :math:`y f(x)` of any shape.
    reduction : {"none", "mean", "sum"}, default "none"
        ``"none"`` keeps one value per margin, the loss as a function of the margin;
        ``"mean"`` and ``"sum"`` reduce over every element, as the other losses do.
    sample_weight : array_like, optional
        One finite non-negative weight per margin, or per sample as ``m``'s leading axes:
        ``"none"`` gives :math:`w_i \mathbb{1}[m_i \le 0]`, ``"mean"`` divides their sum by
        :math:`\sum_i w_i` (0/1 weights are a mask; see :func:`~lossnotes.mse`).

    Returns
    -------
    ndarray or scalar
        For ``"none"``, ``m``'s shape and dtype (its mean is the error rate); else a scalar.

    Notes
    -----
    A score of exactly 0 decides nothing and is counted as an error. The loss is a step: not
    convex and with derivative 0 wherever it exists, which is why it is measured but not
    optimised (see :func:`zero_one_grad`).

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.zero_one([-2.0, 0.0, 0.5, 3.0])
    array([1., 1., 0., 0.])
    """
    m = _m(m)
    return reduce((m <= 0).astype(m.dtype), reduction, sample_weight)


def zero_one_grad(m, *, sample_weight=None):
    r"""Derivative of :func:`zero_one`: 0 everywhere.

    .. math::

        L'(m) = 0 \quad (m \ne 0)

    At :math:`m = 0` the step has no derivative; 0 is returned there too, which is what
    automatic differentiation reports for a comparison. A gradient that is zero everywhere
    carries no information about which way to move: gradient descent on the 0-1 loss never
    moves.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.zero_one_grad([-2.0, 0.0, 3.0])
    array([0., 0., 0.])
    """
    return weigh(np.zeros_like(_m(m)), sample_weight)


@quiet
def perceptron(m, *, reduction: str = "none", sample_weight=None):
    r"""The perceptron loss :math:`\max(0, -m)`.

    .. math::

        L(m) = \max(0, -m)

    Parameters
    ----------
    m : array_like
        Margins of any shape.
    reduction : {"none", "mean", "sum"}, default "none"
        ``"none"`` keeps one value per margin, the loss as a function of the margin;
        ``"mean"`` and ``"sum"`` reduce over every element, as the other losses do.
    sample_weight : array_like, optional
        One finite non-negative weight per margin, or per sample as ``m``'s leading axes:
        ``"none"`` gives :math:`w_i \max(0, -m_i)`, ``"mean"`` divides their sum by
        :math:`\sum_i w_i` (0/1 weights are a mask; see :func:`~lossnotes.mse`).

    Returns
    -------
    ndarray or scalar
        For ``"none"``, ``m``'s shape and dtype; else a scalar of its dtype.

    Notes
    -----
    Convex and zero for every correct sign, however small the margin: it asks for the right
    side of the boundary and nothing more, unlike :func:`hinge`. It is *not* an upper bound of
    the 0-1 loss: for :math:`-1 < m \le 0` it is below 1, and at :math:`m = 0` it is 0 while
    the 0-1 loss is 1.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.perceptron([-2.0, 0.0, 3.0])
    array([2., 0., 0.])
    """
    m = _m(m)
    return reduce(np.maximum(-m, 0), reduction, sample_weight)


def perceptron_grad(m, *, sample_weight=None):
    r"""Derivative of :func:`perceptron` with respect to the margin.

    .. math::

        L'(m) = \begin{cases} -1 & m \le 0 \\ 0 & m > 0 \end{cases}

    At the kink :math:`m = 0` any value in [-1, 0] is a subgradient; -1 is chosen, as in
    Rosenblatt's rule, which updates on :math:`y f(x) \le 0`, so that a classifier started at
    zero weights (every margin 0) still moves.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.perceptron_grad([-2.0, 0.0, 3.0])
    array([-1., -1.,  0.])
    """
    m = _m(m)
    g = np.array(m <= 0, dtype=m.dtype)
    return weigh(np.subtract(0, g, out=g), sample_weight)  # -1 or +0


@quiet
def hinge(m, *, reduction: str = "none", sample_weight=None):
    r"""The hinge loss of support vector machines, :math:`\max(0, 1 - m)`.

    .. math::

        L(m) = \max(0, 1 - m)

    Parameters
    ----------
    m : array_like
        Margins of any shape.
    reduction : {"none", "mean", "sum"}, default "none"
        ``"none"`` keeps one value per margin, the loss as a function of the margin;
        ``"mean"`` and ``"sum"`` reduce over every element, as the other losses do.
    sample_weight : array_like, optional
        One finite non-negative weight per margin, or per sample as ``m``'s leading axes:
        ``"none"`` gives :math:`w_i \max(0, 1 - m_i)`, ``"mean"`` divides their sum by
        :math:`\sum_i w_i` (0/1 weights are a mask; see :func:`~lossnotes.mse`).

    Returns
    -------
    ndarray or scalar
        For ``"none"``, ``m``'s shape and dtype; else a scalar of its dtype.

    Notes
    -----
    Convex, an upper bound of the 0-1 loss, and zero only once the margin reaches 1: a correct
    sign is not enough, the point must be clear of the boundary.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.hinge([-1.0, 0.0, 0.5, 1.0, 2.0])
    array([2. , 1. , 0.5, 0. , 0. ])
    >>> float(ln.hinge([-1.0, 0.0, 0.5, 1.0, 2.0], reduction="mean"))
    0.7
    """
    m = _m(m)
    out = np.subtract(1, m, out=np.empty_like(m))
    # max(1 - m, 0): SIMD clip
    return reduce(np.clip(out, 0, np.inf, out=out), reduction, sample_weight)


def hinge_grad(m, *, sample_weight=None):
    r"""Derivative of :func:`hinge` with respect to the margin.

    .. math::

        L'(m) = \begin{cases} -1 & m < 1 \\ 0 & m \ge 1 \end{cases}

    At the kink :math:`m = 1` any value in [-1, 0] is a subgradient; 0 is chosen, as in
    Pegasos and as torch's autograd of ``relu(1 - m)`` reports: a point exactly on the
    margin no longer pulls. Both frameworks' autograds report -1 at the kink instead
    (:func:`lossnotes.like_keras.hinge_grad`).

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.hinge_grad([0.0, 1.0, 2.0])
    array([-1.,  0.,  0.])
    """
    m = _m(m)
    g = np.array(m < 1, dtype=m.dtype)
    return weigh(np.subtract(0, g, out=g), sample_weight)  # -1 or +0


@quiet
def squared_hinge(m, *, reduction: str = "none", sample_weight=None):
    r"""The squared hinge loss :math:`\max(0, 1 - m)^2`.

    .. math::

        L(m) = \max(0, 1 - m)^2

    Parameters
    ----------
    m : array_like
        Margins of any shape.
    reduction : {"none", "mean", "sum"}, default "none"
        ``"none"`` keeps one value per margin, the loss as a function of the margin;
        ``"mean"`` and ``"sum"`` reduce over every element, as the other losses do.
    sample_weight : array_like, optional
        One finite non-negative weight per margin, or per sample as ``m``'s leading axes:
        ``"none"`` gives :math:`w_i \max(0, 1 - m_i)^2`, ``"mean"`` divides their sum by
        :math:`\sum_i w_i` (0/1 weights are a mask; see :func:`~lossnotes.mse`).

    Returns
    -------
    ndarray or scalar
        For ``"none"``, ``m``'s shape and dtype; else a scalar of its dtype.

    Notes
    -----
    Convex and differentiable everywhere (its derivative is continuous at :math:`m = 1`), an
    upper bound of the 0-1 loss, but it grows quadratically for badly wrong points.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.squared_hinge([-1.0, 0.0, 0.5, 2.0])
    array([4.  , 1.  , 0.25, 0.  ])
    """
    out = np.asarray(hinge(m))
    np.square(out, out=out)  # beyond the largest float: inf, the true value rounded
    return reduce(out, reduction, sample_weight)


@quiet
def squared_hinge_grad(m, *, sample_weight=None):
    r"""Derivative of :func:`squared_hinge`: :math:`-2 \max(0, 1 - m)`, continuous everywhere.

    .. math::

        L'(m) = -2 \max(0, 1 - m)

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.squared_hinge_grad([-1.0, 1.0, 2.0])
    array([-4.,  0.,  0.])
    """
    m = _m(m)
    return weigh(2 * np.minimum(m - 1, 0), sample_weight)


@quiet
def logistic(m, *, reduction: str = "none", sample_weight=None):
    r"""The logistic loss :math:`\log(1 + e^{-m})`, computed stably.

    .. math::

        L(m) = \log\left(1 + e^{-m}\right) = \max(-m, 0) + \log\left(1 + e^{-|m|}\right)

    Parameters
    ----------
    m : array_like
        Margins of any shape; ``+-inf`` allowed.
    reduction : {"none", "mean", "sum"}, default "none"
        ``"none"`` keeps one value per margin, the loss as a function of the margin;
        ``"mean"`` and ``"sum"`` reduce over every element, as the other losses do.
    sample_weight : array_like, optional
        One finite non-negative weight per margin, or per sample as ``m``'s leading axes:
        ``"none"`` gives :math:`w_i \log(1 + e^{-m_i})`, ``"mean"`` divides their sum by
        :math:`\sum_i w_i` (0/1 weights are a mask; see :func:`~lossnotes.mse`).

    Returns
    -------
    ndarray or scalar
        For ``"none"``, ``m``'s shape and dtype; else a scalar of its dtype.

    Notes
    -----
    The naive form overflows for :math:`m < -709` (float64); the right-hand form never
    evaluates a positive exponent and uses ``log1p`` so that a large margin costs
    :math:`e^{-m}` to full relative precision. In natural logarithms it bounds the 0-1 loss only
    after dividing by :math:`\log 2`: :math:`L(0) = \log 2 < 1`. With labels mapped to
    :math:`t = (y + 1)/2` it equals binary cross-entropy on the logit :math:`f(x)`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.logistic([-1000.0, 0.0, 1000.0])
    array([1.00000000e+03, 6.93147181e-01, 0.00000000e+00])
    """
    m = _m(m)
    # softplus(-m) = max(-m, 0) + log1p(exp(-|m|)), right at m = +-inf as well; in two buffers.
    t = _log1p_exp_minus_abs(m)
    # + max(-m, 0)
    return reduce(np.subtract(t, np.clip(m, -np.inf, 0), out=t), reduction, sample_weight)


def logistic_grad(m, *, sample_weight=None):
    r"""Derivative of :func:`logistic`: :math:`-\sigma(-m) = -1/(1 + e^{m})`.

    .. math::

        L'(m) = -\frac{1}{1 + e^{m}} = -\sigma(-m)

    Tends to -1 for very wrong points (like the perceptron and hinge) and to 0 for very right
    ones, but never reaches 0: the logistic loss always asks for a little more margin.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.logistic_grad([-1000.0, 0.0, 1000.0])
    array([-1. , -0.5, -0. ])
    """
    return weigh(-_sigmoid(_m(m), flip=True), sample_weight)  # -sigma(-m)


@quiet
def exponential(m, *, reduction: str = "none", sample_weight=None):
    r"""The exponential loss of AdaBoost, :math:`e^{-m}`.

    .. math::

        L(m) = e^{-m}

    Parameters
    ----------
    m : array_like
        Margins of any shape.
    reduction : {"none", "mean", "sum"}, default "none"
        ``"none"`` keeps one value per margin, the loss as a function of the margin;
        ``"mean"`` and ``"sum"`` reduce over every element, as the other losses do.
    sample_weight : array_like, optional
        One finite non-negative weight per margin, or per sample as ``m``'s leading axes:
        ``"none"`` gives :math:`w_i e^{-m_i}`, ``"mean"`` divides their sum by
        :math:`\sum_i w_i` (0/1 weights are a mask; see :func:`~lossnotes.mse`).

    Returns
    -------
    ndarray or scalar
        For ``"none"``, ``m``'s shape and dtype; else a scalar of its dtype.

    Notes
    -----
    An upper bound of the 0-1 loss that grows exponentially with a wrong margin, which makes it
    sensitive to mislabelled points. For :math:`m < -709` (float64) the true value exceeds the
    largest float and ``inf`` is returned, without an overflow warning.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.exponential([-1.0, 0.0, 1.0])
    array([2.71828183, 1.        , 0.36787944])
    """
    return reduce(np.exp(-_m(m)), reduction, sample_weight)


def exponential_grad(m, *, sample_weight=None):
    r"""Derivative of :func:`exponential`: :math:`-e^{-m}`.

    .. math::

        L'(m) = -e^{-m}

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.exponential_grad([0.0, 1.0])
    array([-1.        , -0.36787944])
    """
    return weigh(-exponential(m), sample_weight)
