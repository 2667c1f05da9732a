r"""The margin view of binary classification.

With labels :math:`y \in \{-1, +1\}` and a real score :math:`f(x)`, the margin
:math:`m = y f(x)` is positive exactly when the sign of the score is right. Every loss here is
a decreasing function of :math:`m` alone, applied elementwise: it maps an array of margins to
an array of losses of the same shape and dtype (average them yourself, or use the
cross-entropy functions, which reduce). Each ``*_grad`` returns :math:`dL/dm`; by the chain
rule the derivative with respect to the score is :math:`y \, dL/dm`.
"""

from __future__ import annotations

import numpy as np

from . import _conventions
from ._conventions import check_convention
from ._links import _log1p_exp_minus_abs, _sigmoid
from ._validation import _where, as_float_array, check_plus_minus_one, first, pair


def margin(y, score, *, convention: str = "exact"):
    r"""The margin :math:`m = y \, f(x)` of labels in {-1, +1} and real scores.

    .. math::

        m_i = y_i \, f(x_i), \qquad m_i > 0 \iff \operatorname{sign} f(x_i) = y_i.

    Parameters
    ----------
    y : array_like
        Labels, each exactly -1 or +1.
    score : array_like
        Real scores :math:`f(x)`, the same shape as ``y``.
    convention : {"exact", "keras", "torch"}, default "exact"
        How labels are read. ``"exact"`` accepts only -1 and +1. The framework conventions
        also accept 0, as the frameworks do: ``"keras"`` converts the labels with
        :math:`2y - 1` when **every** label is 0 or 1 (``keras.losses.hinge`` and
        ``squared_hinge``), ``"torch"`` uses them as given (a hand-written
        ``clamp(1 - y * x, min=0)``, ``F.soft_margin_loss``), so a 0 label gives margin 0.

    Returns
    -------
    ndarray
        Same shape and floating dtype as ``score``.

    Raises
    ------
    ValueError
        If a label is not -1 or +1 (labels in {0, 1} must be mapped with :math:`2y - 1`), or,
        under a framework convention, not -1, 0 or +1; if the shapes differ, or on NaN.

    Notes
    -----
    Keras's conversion is all or nothing: labels [0, 1, 1] become [-1, 1, 1], but in
    [0, 1, -1] the single -1 turns it off and the 0 stays a 0.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.margin([1, -1, 1], [2.0, 0.5, -0.25])
    array([ 2.  , -0.5 , -0.25])
    >>> ln.margin([1, 0, 1], [2.0, 0.5, -0.25], convention="keras")
    array([ 2.  , -0.5 , -0.25])
    >>> ln.margin([1, 0, -1], [2.0, 0.5, -0.25], convention="keras")
    array([2.  , 0.  , 0.25])
    """
    check_convention(convention)
    y, score = pair(y, score, "y", "score")
    if convention == "exact":
        # |y| is 1 everywhere exactly when its minimum and maximum are 1; its buffer then
        # receives the margins.
        m = np.abs(y, out=np.empty_like(score))
        if m.size and not np.minimum.reduce(m, axis=None) == np.maximum.reduce(m, axis=None) == 1:
            check_plus_minus_one(y, "y")
        return np.multiply(y, score, out=m)[()]
    bad = (y != 1) & (y != -1) & (y != 0)
    if bad.any():
        raise ValueError(
            f"y must hold labels in {{-1, 0, +1}} under convention={convention!r}; found "
            f"{first(y, bad)!r} {_where(bad)}"
        )
    with np.errstate(invalid="ignore"):  # a 0 label times an infinite score is nan, as in torch
        return _conventions.margin_labels(y, convention) * score


def _m(m) -> np.ndarray:
    return as_float_array(m, "m")


def zero_one(m):
    r"""The 0-1 loss: 1 for a wrong (or undecided) sign, 0 for a right one.

    .. math::

        L(m) = \mathbb{1}[m \le 0] =
        \begin{cases} 1 & m \le 0 \\ 0 & m > 0 \end{cases}

    Parameters
    ----------
    m : array_like
        Margins :math:`y f(x)` of any shape.

    Returns
    -------
    ndarray
        Same shape and dtype as ``m``; its mean is the error rate.

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
    return (m <= 0).astype(m.dtype)


def zero_one_grad(m):
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
    return np.zeros_like(_m(m))


def perceptron(m):
    r"""The perceptron loss :math:`\max(0, -m)`.

    .. math::

        L(m) = \max(0, -m)

    Parameters
    ----------
    m : array_like
        Margins of any shape.

    Returns
    -------
    ndarray
        Same shape and dtype as ``m``.

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
    return np.maximum(-m, 0)


def perceptron_grad(m):
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
    return np.subtract(0, g, out=g)  # -1 or +0


def hinge(m):
    r"""The hinge loss of support vector machines, :math:`\max(0, 1 - m)`.

    .. math::

        L(m) = \max(0, 1 - m)

    Parameters
    ----------
    m : array_like
        Margins of any shape.

    Returns
    -------
    ndarray
        Same shape and dtype as ``m``.

    Notes
    -----
    Convex, an upper bound of the 0-1 loss, and zero only once the margin reaches 1: a correct
    sign is not enough, the point must be clear of the boundary.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.hinge([-1.0, 0.0, 0.5, 1.0, 2.0])
    array([2. , 1. , 0.5, 0. , 0. ])
    """
    m = _m(m)
    out = np.subtract(1, m, out=np.empty_like(m))
    return np.clip(out, 0, np.inf, out=out)[()]  # max(1 - m, 0): clip's SIMD path


def hinge_grad(m, *, convention: str = "exact"):
    r"""Derivative of :func:`hinge` with respect to the margin.

    .. math::

        L'(m) = \begin{cases} -1 & m < 1 \\ 0 & m \ge 1 \end{cases}

    At the kink :math:`m = 1` any value in [-1, 0] is a subgradient; 0 is chosen, as in
    Pegasos and as torch's autograd of ``relu(1 - m)`` reports: a point exactly on the
    margin no longer pulls.

    With ``convention="keras"`` or ``"torch"`` the value at the kink is -1 instead, which is
    what ``tf.GradientTape`` reports for ``keras.losses.hinge`` (the gradient of
    ``maximum(1 - m, 0)`` goes to its first argument on a tie) and ``torch.autograd`` for
    ``clamp(1 - m, min=0)`` (the gradient passes at the bound):

    .. math::

        L'_{\text{keras}}(m) = L'_{\text{torch}}(m) =
        \begin{cases} -1 & m \le 1 \\ 0 & m > 1 \end{cases}

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.hinge_grad([0.0, 1.0, 2.0])
    array([-1.,  0.,  0.])
    >>> ln.hinge_grad([0.0, 1.0, 2.0], convention="torch")
    array([-1., -1.,  0.])
    """
    check_convention(convention)
    m = _m(m)
    if convention != "exact":
        return _conventions.hinge_grad(m)
    g = np.array(m < 1, dtype=m.dtype)
    return np.subtract(0, g, out=g)  # -1 or +0


def squared_hinge(m):
    r"""The squared hinge loss :math:`\max(0, 1 - m)^2`.

    .. math::

        L(m) = \max(0, 1 - m)^2

    Parameters
    ----------
    m : array_like
        Margins of any shape.

    Returns
    -------
    ndarray
        Same shape and dtype as ``m``.

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
    with np.errstate(over="ignore"):  # beyond the largest float: inf, the true value rounded
        return np.square(out, out=out)[()]


def squared_hinge_grad(m):
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
    with np.errstate(over="ignore"):
        return 2 * np.minimum(m - 1, 0)


def logistic(m, *, convention: str = "exact"):
    r"""The logistic loss :math:`\log(1 + e^{-m})`, computed stably.

    .. math::

        L(m) = \log\left(1 + e^{-m}\right) = \max(-m, 0) + \log\left(1 + e^{-|m|}\right)

    Parameters
    ----------
    m : array_like
        Margins of any shape; ``+-inf`` allowed.
    convention : {"exact", "torch"}, default "exact"
        ``"torch"`` evaluates ``log1p(exp(-m))`` directly, as ``F.soft_margin_loss`` does
        (see Notes). Keras has no margin loss; its binary cross-entropy on logits is
        reproduced by ``binary_cross_entropy(..., from_logits=True, convention="keras")``.

    Returns
    -------
    ndarray
        Same shape and dtype as ``m``.

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
    >>> ln.logistic([-1000.0, 0.0, 1000.0], convention="torch")  # exp(1000) overflows
    array([       inf, 0.69314718, 0.        ])
    """
    check_convention(convention, ("exact", "torch"))
    m = _m(m)
    if convention == "torch":
        return _conventions.logistic(m)
    # softplus(-m) = max(-m, 0) + log1p(exp(-|m|)), right at m = +-inf as well; in two buffers.
    t = _log1p_exp_minus_abs(m)
    return np.subtract(t, np.clip(m, -np.inf, 0), out=t)[()]  # + max(-m, 0)


def logistic_grad(m, *, convention: str = "exact"):
    r"""Derivative of :func:`logistic`: :math:`-\sigma(-m) = -1/(1 + e^{m})`.

    .. math::

        L'(m) = -\frac{1}{1 + e^{m}} = -\sigma(-m)

    Tends to -1 for very wrong points (like the perceptron and hinge) and to 0 for very right
    ones, but never reaches 0: the logistic loss always asks for a little more margin.

    With ``convention="torch"`` it is :math:`-e/(1 + e)` with :math:`e = e^{-m}` evaluated
    directly, as ``F.soft_margin_loss``'s backward does: ``nan`` (:math:`\infty/\infty`) once
    :math:`e^{-m}` overflows.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.logistic_grad([-1000.0, 0.0, 1000.0])
    array([-1. , -0.5, -0. ])
    >>> ln.logistic_grad([-1000.0, 0.0, 1000.0], convention="torch")
    array([ nan, -0.5, -0. ])
    """
    check_convention(convention, ("exact", "torch"))
    if convention == "torch":
        return _conventions.logistic_grad(_m(m))
    return -_sigmoid(_m(m), flip=True)  # -sigma(-m)


def exponential(m):
    r"""The exponential loss of AdaBoost, :math:`e^{-m}`.

    .. math::

        L(m) = e^{-m}

    Parameters
    ----------
    m : array_like
        Margins of any shape.

    Returns
    -------
    ndarray
        Same shape and dtype as ``m``.

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
    m = _m(m)
    with np.errstate(over="ignore"):
        return np.exp(-m)


def exponential_grad(m):
    r"""Derivative of :func:`exponential`: :math:`-e^{-m}`.

    .. math::

        L'(m) = -e^{-m}

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.exponential_grad([0.0, 1.0])
    array([-1.        , -0.36787944])
    """
    return -exponential(m)
