r"""Focal losses: cross-entropy with easy examples weighted down.

Lin et al.'s focal loss multiplies each cross-entropy term by :math:`(1 - p_t)^\gamma`, where
:math:`p_t` is the probability the model gives the true label: an example the model already
gets right with :math:`p_t = 0.9` keeps :math:`0.01` of its cost at :math:`\gamma = 2`, a hard
one with :math:`p_t = 0.1` keeps :math:`0.81`. Arguments are ``(y_true, y_pred)`` as in the
notes and Keras; ``y_pred`` holds probabilities, or logits with ``from_logits=True``.
"""

from __future__ import annotations

import math

import numpy as np

from ._cross_entropy import (
    _binary_inputs,
    _binary_terms,
    _categorical_inputs,
    _sparse_inputs,
    _weigh_rows,
    _xmul,
    binary_cross_entropy_grad,
)
from ._links import _log_softmax_last, _one_hot, _pick, _sigmoid_pair, _softmax
from ._validation import _class_axis_last, check_flag, check_number, quiet, reduce, weigh


def check_gamma(gamma) -> float:
    """The focusing parameter: a finite number >= 0 (a bool is a TypeError)."""
    return check_number(gamma, "gamma", 0.0, math.inf, "a finite number >= 0",
                         upper_open=True)


def check_fraction(value, name: str) -> float:
    """``alpha`` or ``label_smoothing``: a number in [0, 1] (a bool is a TypeError)."""
    return check_number(value, name, 0.0, 1.0, "a number in [0, 1]")


def focal_options(gamma, apply_class_balancing, alpha, label_smoothing, from_logits):
    """The checked options of the binary focal loss, in the order given."""
    return (check_gamma(gamma), check_flag(apply_class_balancing, "apply_class_balancing"),
            check_fraction(alpha, "alpha"), check_fraction(label_smoothing, "label_smoothing"),
            check_flag(from_logits, "from_logits"))


def smooth_binary(y: np.ndarray, label_smoothing: float) -> np.ndarray:
    """Keras's binary label smoothing, :math:`y (1 - s) + s / 2` (``y`` itself for s = 0)."""
    if label_smoothing == 0:
        return y
    return y * (1 - label_smoothing) + 0.5 * label_smoothing


def balance(y: np.ndarray, alpha: float) -> np.ndarray:
    r""":math:`\alpha_t = \alpha y + (1 - \alpha)(1 - y)`: alpha for class 1, 1 - alpha for 0."""
    return alpha * y + (1 - alpha) * (1 - y)


def _working(y: np.ndarray, z: np.ndarray):
    """``(y, z, dtype)``: float16 and float32 inputs in float64, and the dtype to round the
    result to. The loss chains a power, a log and three products; computed in float64 and
    rounded once, a float32 or float16 result is within an ulp of the truth."""
    dtype = z.dtype
    if dtype.itemsize < 8:
        return y.astype(np.float64), z.astype(np.float64), dtype
    return y, z, dtype


def _miss(y: np.ndarray, p: np.ndarray, from_logits: bool):
    r"""``(1 - p_t, p, 1 - p)``: the probability of the wrong label, with ``p`` and ``1 - p``.

    :math:`1 - p_t = y (1 - p) + (1 - y) p`, a sum of two non-negative terms, so nothing
    cancels; from logits :math:`p = \sigma(z)` and :math:`1 - p = \sigma(-z)`, each to full
    precision (``1 - sigma(z)`` would round to 0 for a confident right answer)."""
    if from_logits:
        p, q = _sigmoid_pair(p)
    else:
        q = 1 - p
    miss = _xmul(y, q, out=np.empty_like(y))  # arrays even for 0-d inputs, for out= below
    miss += _xmul(1 - y, p, out=np.empty_like(y))
    return miss, p, q


@quiet
def binary_focal_cross_entropy(
    y_true, y_pred, *, gamma: float = 2.0, apply_class_balancing: bool = False,
    alpha: float = 0.25, from_logits: bool = False, label_smoothing: float = 0.0,
    reduction: str = "mean", sample_weight=None,
):
    r"""Binary focal cross-entropy (Lin et al. 2017), Keras's ``binary_focal_crossentropy``.

    .. math::

        \ell_i = \alpha_{t,i}\,(1 - p_{t,i})^{\gamma}\,
        \bigl(-y_i \log p_i - (1 - y_i) \log(1 - p_i)\bigr),

    with the probability of the wrong label and the class weight

    .. math::

        1 - p_{t,i} = y_i (1 - p_i) + (1 - y_i)\, p_i,

        \alpha_{t,i} = \begin{cases} \alpha y_i + (1 - \alpha)(1 - y_i) &
        \texttt{apply\_class\_balancing} \\ 1 & \text{otherwise,} \end{cases}

    :math:`p_i = \sigma(z_i)` when ``from_logits=True``, and with ``label_smoothing`` :math:`s`
    the targets first become :math:`y_i (1 - s) + s/2`. For a hard label :math:`1 - p_t` is
    :math:`1 - p` at :math:`y = 1` and :math:`p` at :math:`y = 0`; for soft labels the formula
    is Keras's (the paper defines hard labels only).

    Parameters
    ----------
    y_true : array_like
        Targets in [0, 1]: labels 0/1 or soft labels.
    y_pred : array_like
        Probabilities in [0, 1], or real logits if ``from_logits``; ``y_true``'s shape.
    gamma : float, default 2.0
        The focusing parameter, finite and :math:`\ge 0`; 0 gives binary cross-entropy.
    apply_class_balancing : bool, default False
        Whether to weight class 1 by ``alpha`` and class 0 by ``1 - alpha``.
    alpha : float, default 0.25
        The weight of class 1, in [0, 1]; used only with ``apply_class_balancing``.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits.
    label_smoothing : float, default 0.0
        In [0, 1]: targets are squeezed towards 0.5, as Keras does.
    reduction : {"mean", "sum", "none"}, default "mean"
        Over all elements (Keras averages over the last axis per sample; the mean of those is
        the same number).
    sample_weight : array_like, optional
        As for :func:`~lossnotes.binary_cross_entropy`: finite non-negative weights, per
        element or per sample (the leading axes); ``"mean"`` is
        :math:`\sum_i w_i \ell_i / \sum_i w_i`.

    Returns
    -------
    ndarray or scalar
        ``y_pred``'s shape for ``"none"``, else a scalar; ``y_pred``'s floating dtype.

    Raises
    ------
    ValueError
        On differing shapes, targets or probabilities outside [0, 1], NaN, a ``gamma`` that is
        negative or not finite, an ``alpha`` or ``label_smoothing`` outside [0, 1], or an
        unknown reduction.
    TypeError
        For ``from_logits`` or ``apply_class_balancing`` that is not a bool, or a ``gamma``,
        ``alpha`` or ``label_smoothing`` that is not a number.

    Notes
    -----
    **The traps.** ``alpha`` does nothing unless ``apply_class_balancing=True`` in Keras (its
    default is False), while torchvision's ``sigmoid_focal_loss`` applies ``alpha=0.25``
    unless given ``alpha=-1``: the same call with defaults differs by the factor
    :math:`\alpha_t`. Lin et al. give ``alpha`` to the rare positive class *and* pair it with
    :math:`\gamma = 2`; with :math:`\gamma = 2`, :math:`\alpha = 0.25` weights positives
    *down*. torchvision takes logits only; torch.nn.functional has no focal loss.

    **Numerics.** Exact mathematics, no clipping: a certain and wrong probability costs
    ``+inf``, a certain right one 0. :math:`1 - p_t` is a sum of two non-negative terms, and
    from logits :math:`1 - p = \sigma(-z)`, so a confident right answer keeps its tiny factor
    to full precision where ``1 - p_t`` by subtraction loses it (float32, :math:`z = 10`: the
    literal formula keeps 3 of its 7 digits). Keras clips probabilities to
    :math:`[10^{-7}, 1 - 10^{-7}]` in the cross-entropy factor (from logits it does not: its
    sigmoid's output remembers the logits, which ``binary_crossentropy`` then uses); torch's
    ``F.binary_cross_entropy`` clamps each log at -100. See
    :func:`lossnotes.like_keras.binary_focal_cross_entropy` and
    :func:`lossnotes.like_torch.binary_focal_cross_entropy`.

    **Accuracy.** A power, a logarithm and up to three products, each rounded: in float64
    within 10 ulp of the true value over the accuracy grid (:mod:`lossnotes.accuracy`; about 4.5
    measured, at soft labels), looser than the 2 ulp of the other losses. float32 and float16
    inputs are computed in float64 and rounded once, so those results are within an ulp.

    References
    ----------
    T.-Y. Lin, P. Goyal, R. Girshick, K. He and P. Dollár, "Focal Loss for Dense Object
    Detection", ICCV 2017 (arXiv:1708.02002).

    Examples
    --------
    A confident right answer keeps almost nothing of its cross-entropy, a wrong one most:

    >>> import lossnotes as ln
    >>> ln.binary_focal_cross_entropy([1.0, 1.0], [0.9, 0.1], reduction="none").round(8)
    array([1.05361000e-03, 1.86509393e+00])
    >>> float(ln.binary_focal_cross_entropy([1.0], [0.9], gamma=0.0))  # = -log 0.9
    0.10536051565782628
    >>> ln.binary_focal_cross_entropy([1.0, 0.0], [1000.0, 1000.0], from_logits=True,
    ...                               reduction="none")
    array([   0., 1000.])
    """
    gamma, balanced, alpha, smoothing, from_logits = focal_options(
        gamma, apply_class_balancing, alpha, label_smoothing, from_logits)
    y, z, dtype = _working(*_binary_inputs(y_true, y_pred, from_logits))
    y = smooth_binary(y, smoothing)
    miss, _, _ = _miss(y, z, from_logits)
    loss = _binary_terms(y, z, from_logits, _xmul)  # log 0 = -inf; 0 log 0 = 0
    # miss^gamma is 0 only where the loss is 0 (a certain right answer), or where it
    # underflows: an infinite loss has miss > 0 (y > 0 at p = 0, y < 1 at p = 1), and a
    # positive factor times inf is inf, not the nan of 0 * inf.
    np.multiply(loss, np.power(miss, gamma, out=miss), out=loss, where=~np.isinf(loss))
    if balanced:  # a class weight of 0 ignores its term, even an infinite one
        _xmul(loss, balance(y, alpha), out=loss)
    return reduce(loss.astype(dtype, copy=False), reduction, sample_weight)


@quiet
def binary_focal_cross_entropy_grad(
    y_true, y_pred, *, gamma: float = 2.0, apply_class_balancing: bool = False,
    alpha: float = 0.25, from_logits: bool = False, label_smoothing: float = 0.0,
    sample_weight=None,
):
    r"""Derivative of the unreduced :func:`binary_focal_cross_entropy` w.r.t. ``y_pred``.

    With :math:`m = 1 - p_t = y (1 - p) + (1 - y) p`, so :math:`dm/dp = 1 - 2y`, and
    :math:`B` the binary cross-entropy, by the product rule

    .. math::

        \frac{\partial \ell}{\partial p} &= \alpha_t \Bigl(\gamma\, m^{\gamma - 1} (1 - 2y)\, B
        + m^{\gamma}\, \frac{p - y}{p (1 - p)}\Bigr),

        \frac{\partial \ell}{\partial z} &= \alpha_t \Bigl(\gamma\, m^{\gamma - 1} (1 - 2y)\,
        B\, p (1 - p) + m^{\gamma} (p - y)\Bigr),

    the second because :math:`dp/dz = p (1 - p) = \sigma(z)\sigma(-z)`. For a hard label both
    terms have the sign of :math:`p - y`, so nothing cancels: at :math:`y = 1`,
    :math:`\partial \ell / \partial p = -\alpha_t\bigl(\gamma (1-p)^{\gamma-1}(-\log p)
    + (1-p)^\gamma / p\bigr)`.

    Parameters
    ----------
    y_true, y_pred, gamma, apply_class_balancing, alpha, from_logits, label_smoothing
        As for :func:`binary_focal_cross_entropy`.
    sample_weight : array_like, optional
        Multiplies the derivative, as for :func:`~lossnotes.binary_cross_entropy_grad`.

    Returns
    -------
    ndarray
        Same shape and dtype as ``y_pred``: the derivative with respect to the probability,
        or to the logit when ``from_logits=True``.

    Notes
    -----
    At :math:`m = 0` (a certain right answer) the first term is taken as its limit 0 (there
    :math:`B = 0` too, and :math:`m^{\gamma-1} B \to 0` for every :math:`\gamma > 0`), so
    :math:`\gamma < 1` gives no ``nan``; where :math:`p (1 - p)` underflows to 0 the first
    logit term is 0 as well. With respect to a probability of exactly 0 or 1 the derivative
    is that of the cross-entropy factor: infinite at a certain wrong answer, and at a certain
    right one :math:`\mp 1` for :math:`\gamma = 0` and 0 otherwise.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.binary_focal_cross_entropy_grad([1.0, 0.0], [0.5, 0.5]).round(8)
    array([-1.19314718,  1.19314718])
    >>> ln.binary_focal_cross_entropy_grad([1.0, 0.0], [0.0, 0.0], from_logits=True).round(8)
    array([-0.2982868,  0.2982868])
    """
    gamma, balanced, alpha, smoothing, from_logits = focal_options(
        gamma, apply_class_balancing, alpha, label_smoothing, from_logits)
    y, z, dtype = _working(*_binary_inputs(y_true, y_pred, from_logits))
    y = smooth_binary(y, smoothing)
    miss, p, q = _miss(y, z, from_logits)
    bce = _binary_terms(y, z, from_logits, _xmul)
    # d(ce)/dp = (p - y)/(p (1 - p)), or d(ce)/dz = p - y, to full precision (terms dropped
    # where their target weight is 0).
    ce_grad = binary_cross_entropy_grad(y, z, from_logits=from_logits)
    first = _xmul(gamma * np.power(miss, gamma - 1) * (1 - 2 * y), bce)  # 0 * inf as 0
    if from_logits:
        first = _xmul(first, p * q)
    first = np.where(miss == 0, 0, first)  # the limit 0: see the Notes
    # Where the cross-entropy's derivative is infinite (a certain wrong probability), m > 0
    # and 1/p outgrows gamma m^(gamma - 1) log p: the derivative is that infinity, also
    # where m^gamma underflows to 0 (0 * inf would be nan).
    infinite = np.isinf(ce_grad)
    second = np.power(miss, gamma) * ce_grad
    grad = np.where(infinite, ce_grad, second + first)
    if balanced:
        _xmul(grad, balance(y, alpha), out=grad)
    return weigh(grad.astype(dtype, copy=False), sample_weight)[()]


# categorical ----------------------------------------------------------------------------------


def smooth_categorical(y: np.ndarray, label_smoothing: float, axis: int) -> np.ndarray:
    """Keras's categorical label smoothing, :math:`y (1 - s) + s / C` (``y`` for s = 0)."""
    if label_smoothing == 0:
        return y
    return y * (1 - label_smoothing) + label_smoothing / y.shape[axis]


def _categorical_focal_inputs(y_true, y_pred, alpha, gamma, from_logits, label_smoothing,
                              axis, convention="exact"):
    """The checked options and inputs: ``(alpha, gamma, from_logits, y, y_pred, axis, dtype)``
    with ``y`` smoothed, float16/float32 in float64 (see :func:`_working`)."""
    alpha, gamma = check_fraction(alpha, "alpha"), check_gamma(gamma)
    smoothing = check_fraction(label_smoothing, "label_smoothing")
    from_logits = check_flag(from_logits, "from_logits")
    y, z, axis = _categorical_inputs(y_true, y_pred, from_logits, axis, convention,
                                     logits_checked_later=True)
    y, z, dtype = _working(y, z)
    return alpha, gamma, from_logits, smooth_categorical(y, smoothing, axis), z, axis, dtype


def _class_terms(z: np.ndarray, from_logits: bool, axis: int):
    """``(log p, p, 1 - p)`` with the classes last. From logits ``log p`` is the log-softmax
    and ``1 - p = -expm1(log p)``, as accurate as ``log p`` (the sum of the other classes'
    probabilities); ``1 - softmax`` would keep only the rounding error of a probability near
    1; ``p`` itself is the softmax. Call it under :data:`~lossnotes._validation.quiet`."""
    if from_logits:
        log_p = _log_softmax_last(z, axis, name="y_pred")  # refuses NaN and rows of only -inf
        # e^(z - m) / sum, not exp(log p): that would turn log p's absolute error (an ulp of
        # 500 at z = -500) into a relative one of p
        p = np.array(_class_axis_last(_softmax(z, axis), axis), order="C")
        return log_p, p, -np.expm1(log_p)
    p = _class_axis_last(z, axis)
    return np.log(p), p, 1 - p


@quiet
def categorical_focal_cross_entropy(
    y_true, y_pred, *, alpha: float = 0.25, gamma: float = 2.0, from_logits: bool = False,
    label_smoothing: float = 0.0, axis: int = -1, reduction: str = "mean", sample_weight=None,
):
    r"""Categorical focal cross-entropy, Keras's ``categorical_focal_crossentropy``.

    .. math::

        \ell_i = -\alpha \sum_{k=1}^{C} y_{ik}\, (1 - p_{ik})^{\gamma} \log p_{ik},

    with :math:`p_{i\cdot} = \operatorname{softmax}(z_{i\cdot})` when ``from_logits=True``,

    and with ``label_smoothing`` :math:`s` the targets first become :math:`y (1 - s) + s/C`.
    With :math:`\gamma = 0` it is :math:`\alpha` times :func:`categorical_cross_entropy`.

    Parameters
    ----------
    y_true : array_like
        Targets in [0, 1], ``y_pred``'s shape: one-hot or soft rows.
    y_pred : array_like
        Probabilities that sum to 1 along ``axis``, or real logits if ``from_logits``.
    alpha : float, default 0.25
        A weight in [0, 1] on **every** term (Keras's default 0.25: the loss is a quarter of
        what its formula without ``alpha`` gives).
    gamma : float, default 2.0
        The focusing parameter, finite and :math:`\ge 0`.
    from_logits : bool, default False
    label_smoothing : float, default 0.0
        In [0, 1].
    axis : int, default -1
        The class axis.
    reduction : {"mean", "sum", "none"}, default "mean"
        Over samples (one value per row).
    sample_weight : array_like, optional
        Finite non-negative weights, one per row (the shape of the unreduced loss, or its
        leading axes); ``"mean"`` is :math:`\sum_i w_i \ell_i / \sum_i w_i`, as for
        :func:`~lossnotes.categorical_cross_entropy`.

    Returns
    -------
    ndarray or scalar
        ``y_pred``'s shape without ``axis`` for ``"none"``, else a scalar; ``y_pred``'s dtype.

    Raises
    ------
    ValueError
        As :func:`categorical_cross_entropy` (shapes, ranges, rows that do not sum to 1, NaN,
        axis), and for ``gamma``, ``alpha`` or ``label_smoothing`` out of range.
    TypeError
        For ``from_logits`` that is not a bool, an ``axis`` that is not an integer, or an option
        that is not a number.

    Notes
    -----
    **The traps.** Keras's ``alpha`` is one number for all classes, applied always: unlike
    the binary loss's, there is no switch, and it is not a per-class weight (torch's
    ``F.cross_entropy(weight=...)`` is; torch has no focal loss). Keras renormalises each row
    by its sum and clips it to :math:`[10^{-7}, 1 - 10^{-7}]` before the log *and* the focal
    factor, also from logits (after its softmax), so a true class with probability 0 costs
    :math:`-\alpha \log 10^{-7} \approx 4.03` at :math:`\alpha = 0.25` instead of ``inf``; see
    :func:`lossnotes.like_keras.categorical_focal_cross_entropy`.

    **Numerics.** No clip, no renormalisation: rows must sum to 1 (to rounding). From logits
    the log-softmax is computed with the max shift, and :math:`1 - p` as
    :math:`-\operatorname{expm1}(\log p)`, the sum of the other classes' probabilities, so a
    confident right answer keeps its small factor. A power, a log and products, each rounded:
    within 10 ulp in float64 over the accuracy grid; float32 and float16 are computed in
    float64 and rounded once.

    References
    ----------
    T.-Y. Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017 (arXiv:1708.02002).

    Examples
    --------
    >>> import lossnotes as ln
    >>> y = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    >>> p = [[0.1, 0.8, 0.1], [0.2, 0.3, 0.5]]
    >>> ln.categorical_focal_cross_entropy(y, p, reduction="none").round(8)  # 0.25 (1-p)^2 (-log p)
    array([0.00223144, 0.0433217 ])
    >>> float(ln.categorical_focal_cross_entropy([[0.0, 1.0, 0.0]], [[100.0, -100.0, 0.0]],
    ...                                          from_logits=True, alpha=1.0))
    200.0
    """
    alpha, gamma, from_logits, y, z, axis, dtype = _categorical_focal_inputs(
        y_true, y_pred, alpha, gamma, from_logits, label_smoothing, axis)
    log_p, _, q = _class_terms(z, from_logits, axis)
    # q^gamma is 0 only where log p = 0 (p = 1): no 0 * inf; a 0 target drops its term.
    terms = _xmul(_class_axis_last(y, axis), np.power(q, gamma) * log_p)
    loss = np.asarray(np.sum(terms, axis=-1))
    loss *= -alpha
    return reduce(loss.astype(dtype, copy=False), reduction, sample_weight)


@quiet
def categorical_focal_cross_entropy_grad(
    y_true, y_pred, *, alpha: float = 0.25, gamma: float = 2.0, from_logits: bool = False,
    label_smoothing: float = 0.0, axis: int = -1, sample_weight=None,
):
    r"""Derivative of the unreduced :func:`categorical_focal_cross_entropy` w.r.t. ``y_pred``.

    With :math:`q_k = 1 - p_k`, each probability a free variable (as in
    :func:`categorical_cross_entropy_grad`),

    .. math::

        \frac{\partial \ell}{\partial p_k} = \alpha\, y_k \Bigl(\gamma\, q_k^{\gamma - 1}
        \log p_k - \frac{q_k^{\gamma}}{p_k}\Bigr),

    both terms :math:`\le 0`. With respect to logits, through
    :math:`\partial p_k / \partial z_j = p_k ([k = j] - p_j)`, with
    :math:`g_k = p_k\, \partial \ell / \partial p_k / \alpha
    = y_k (\gamma q_k^{\gamma - 1} p_k \log p_k - q_k^{\gamma})`,

    .. math::

        \frac{\partial \ell}{\partial z_j} = \alpha \Bigl(g_j\, q_j - p_j
        \sum_{k \ne j} g_k\Bigr),

    written so that for a one-hot target nothing cancels (:math:`q_j` is the sum of the other
    probabilities, not :math:`1 - p_j`).

    Parameters
    ----------
    y_true, y_pred, alpha, gamma, from_logits, label_smoothing, axis
        As for :func:`categorical_focal_cross_entropy`.
    sample_weight : array_like, optional
        One weight per row, which multiplies that row's derivative.

    Returns
    -------
    ndarray
        Same shape and dtype as ``y_pred``.

    Notes
    -----
    Where :math:`p_k = 1` the term :math:`\gamma q^{\gamma-1} \log p` is taken as its limit 0
    (so :math:`\gamma < 1` gives no ``nan``), and :math:`p \log p` as 0 at :math:`p = 0`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.categorical_focal_cross_entropy_grad([[0.0, 1.0]], [[0.5, 0.5]]).round(8)
    array([[ 0.       , -0.2982868]])
    >>> ln.categorical_focal_cross_entropy_grad([[0.0, 1.0]], [[0.0, 0.0]],
    ...                                         from_logits=True).round(8)
    array([[ 0.0745717, -0.0745717]])
    """
    alpha, gamma, from_logits, y, z, axis, dtype = _categorical_focal_inputs(
        y_true, y_pred, alpha, gamma, from_logits, label_smoothing, axis)
    log_p, p, q = _class_terms(z, from_logits, axis)
    y = _class_axis_last(y, axis)
    qg = np.power(q, gamma)
    slope = np.power(q, gamma - 1) * gamma
    if from_logits:
        slope = _xmul(slope, _xmul(p, log_p))  # p log p = 0 at p = 0
        g = _xmul(y, np.where(q == 0, 0, slope) - qg)  # the limit 0 where p = 1
        others = np.sum(g, axis=-1, keepdims=True) - g  # exact for a one-hot row
        grad = g * q - p * others
    else:
        slope = _xmul(slope, log_p)
        grad = _xmul(y, np.where(q == 0, 0, slope) - qg / p)
    grad *= alpha
    grad = np.moveaxis(grad, -1, axis).astype(dtype, copy=False)
    return _weigh_rows(grad, sample_weight, axis)[()]


# robust classification ----------------------------------------------------------------------


def check_q(q) -> float:
    """Generalized cross-entropy's ``q``: a number in (0, 1] (a bool is a TypeError)."""
    value = check_number(q, "q", 0.0, 1.0, "a number in (0, 1]")
    if value == 0:
        raise ValueError("q must be a number in (0, 1]; found 0 (the limit q -> 0 is "
                         "cross-entropy: use sparse_categorical_cross_entropy)")
    return value


def _gce_inputs(labels, y_pred, q, axis, convention="exact"):
    q = check_q(q)
    index, p, axis = _sparse_inputs(labels, y_pred, False, axis, convention)
    return q, index, p, axis


def _gce_working(labels, y_pred, q, axis):
    """As :func:`_gce_inputs`, with float16/float32 in float64 and the dtype to round to:
    ``q`` (0.1, say) then enters as the double it is, not rounded to the inputs' dtype."""
    q, index, p, axis = _gce_inputs(labels, y_pred, q, axis)
    dtype = p.dtype
    return q, index, (p.astype(np.float64) if dtype.itemsize < 8 else p), axis, dtype


@quiet
def categorical_generalized_cross_entropy(labels, y_pred, *, q: float = 0.5, axis: int = -1,
                                          reduction: str = "mean", sample_weight=None):
    r"""Generalized cross-entropy (Zhang & Sabuncu 2018), Keras's
    ``categorical_generalized_cross_entropy``.

    .. math::

        \ell_i = \frac{1 - p_{i, c_i}^{\,q}}{q}, \qquad 0 < q \le 1,

    the Box-Cox transform of the probability of the true class :math:`c_i`: it tends to the
    cross-entropy :math:`-\log p` as :math:`q \to 0`, and at :math:`q = 1` it is
    :math:`1 - p`, half the mean absolute error between the one-hot target and the
    probability row. Bounded by :math:`1/q`, so a mislabelled example cannot dominate the fit.

    Parameters
    ----------
    labels : array_like of int
        Class indices, ``y_pred``'s shape without ``axis``: despite its name, Keras's loss
        takes class indices, not one-hot rows.
    y_pred : array_like
        Probabilities summing to 1 along ``axis`` (no ``from_logits``: Keras has none).
    q : float, default 0.5
        In (0, 1]. Keras's ``q`` has no default.
    axis : int, default -1
        The class axis.
    reduction : {"mean", "sum", "none"}, default "mean"
    sample_weight : array_like, optional
        Finite non-negative weights, ``labels``' shape or its leading axes; ``"mean"`` is
        :math:`\sum_i w_i \ell_i / \sum_i w_i`, as for
        :func:`~lossnotes.sparse_categorical_cross_entropy`.

    Returns
    -------
    ndarray or scalar
        ``labels``' shape for ``"none"``, else a scalar; ``y_pred``'s dtype.

    Raises
    ------
    ValueError
        As :func:`sparse_categorical_cross_entropy` (labels, rows that do not sum to 1, NaN,
        axis), and for ``q`` outside (0, 1].
    TypeError
        For a ``q`` that is not a number or an ``axis`` that is not an integer.

    Notes
    -----
    :math:`1 - p^q` is computed as :math:`-\operatorname{expm1}(q \log p)`, so a confident
    right answer keeps its small loss (:math:`p = 1 - 10^{-12}`, :math:`q = 0.5`:
    :math:`10^{-12}`, where ``1 - p**q`` keeps 4 digits); float16 and float32 are computed
    in float64 and rounded once. A true class with probability 0
    costs :math:`1/q`, its derivative is :math:`-\infty`. Keras (from 3.10.0) multiplies the
    row by a one-hot mask, so its gradient is ``nan`` for every other class where the true
    class has probability 0; torch has no such loss.

    References
    ----------
    Z. Zhang and M. R. Sabuncu, "Generalized Cross Entropy Loss for Training Deep Neural
    Networks with Noisy Labels", NeurIPS 2018 (arXiv:1805.07836).

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.categorical_generalized_cross_entropy([1, 0], [[0.36, 0.64], [0.75, 0.25]], q=0.5,
    ...                                          reduction="none").round(12)  # 2 (1 - sqrt p)
    array([0.4       , 0.26794919])
    """
    q, index, p, axis, dtype = _gce_working(labels, y_pred, q, axis)
    picked = _pick(p, index, axis)  # a new array: the true class's probability per row
    loss = np.log(picked, out=picked)
    loss *= q
    np.expm1(loss, out=loss)
    loss /= -q  # (1 - p^q) / q
    return reduce(loss.astype(dtype, copy=False), reduction, sample_weight)


@quiet
def categorical_generalized_cross_entropy_grad(labels, y_pred, *, q: float = 0.5,
                                               axis: int = -1, sample_weight=None):
    r"""Derivative of the unreduced :func:`categorical_generalized_cross_entropy` w.r.t.
    ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial p_{ik}} = -[k = c_i]\, p_{ik}^{\,q - 1},

    each probability a free variable: 0 for the other classes, and :math:`-\infty` at a true
    class with probability 0 (for :math:`q < 1`). ``sample_weight`` (``labels``' shape or its
    leading axes) multiplies each row's derivative.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.categorical_generalized_cross_entropy_grad([1], [[0.36, 0.64]], q=0.5)  # -1/0.8
    array([[ 0.  , -1.25]])
    """
    q, index, p, axis, dtype = _gce_working(labels, y_pred, q, axis)
    hot = _one_hot(index, p, axis)
    # p^q / p, not p^(q - 1): q - 1 is rounded (0.1 - 1 is not -0.9 exactly), and the error of
    # an exponent grows with |log p| in the power
    slope = np.where(p == 0, np.inf if q < 1 else 1.0, np.power(p, q) / p)  # p^(q-1), at 0 too
    grad = _xmul(hot, -slope)  # 0 for the other classes, even at p = 0
    return _weigh_rows(grad.astype(dtype, copy=False), sample_weight, axis)[()]
