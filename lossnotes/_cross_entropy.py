r"""Cross-entropy: binary, categorical and sparse categorical.

Every function takes ``(y_true, y_pred)`` in the order of the notes and tf.keras. ``y_pred``
holds probabilities by default and raw scores (logits) with ``from_logits=True``; the logit
forms never build a probability and then take its logarithm, so they stay exact where the
probability would round to 0 or 1.
"""

from __future__ import annotations

import numpy as np

from ._links import (
    _check_not_all_minus_inf,
    _log1p_exp_minus_abs,
    _log_softmax_last,
    _one_hot,
    _pick,
    _sigmoid_pair,
    _softmax_grad,
)
from ._validation import (
    _asarray,
    _class_axis_last,
    _xmul,
    as_floats,
    as_weights,
    check_axis,
    check_class_labels,
    check_flag,
    check_no_nan,
    check_number,
    check_rows_sum_to_one,
    check_unit_interval,
    has_nan,
    pair,
    quiet,
    reduce,
    sample_weights,
    weigh,
)


def _xlog(a: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``a * log(p)`` with the convention ``0 log 0 = 0``, under
    :data:`~lossnotes._validation.quiet`."""
    log_p = np.log(p, out=np.empty_like(p))
    return _xmul(a, log_p, out=log_p)


def _binary_labels(y: np.ndarray, name: str) -> None:
    check_unit_interval(y, name, "binary labels (or soft labels)")


def _probabilities(p: np.ndarray, name: str) -> None:
    check_unit_interval(p, name, hint="; pass from_logits=True for raw scores")


def _prediction_check(from_logits: bool, logits_checked_later: bool):
    """The check of ``y_pred``: probabilities in [0, 1], or logits without NaN, unless the
    caller finds a NaN logit in its result (``logits_checked_later``: None)."""
    if not from_logits:
        return _probabilities
    return None if logits_checked_later else check_no_nan


def _binary_inputs(y_true, y_pred, from_logits: bool, logits_checked_later: bool = False):
    """The checked inputs; with ``logits_checked_later`` a NaN logit is left to the caller."""
    return pair(y_true, y_pred, check_true=_binary_labels,
                check_pred=_prediction_check(from_logits, logits_checked_later))


@quiet
def binary_cross_entropy(
    y_true, y_pred, *, from_logits: bool = False, reduction: str = "mean", sample_weight=None,
    pos_weight=None, label_smoothing: float = 0.0,
):
    r"""Binary cross-entropy between targets in [0, 1] and predicted probabilities or logits.

    .. math::

        \ell_i = -\bigl(y_i \log p_i + (1 - y_i) \log(1 - p_i)\bigr),

    with :math:`p_i = \sigma(z_i)` when ``from_logits=True``.

    With logits this is evaluated as

    .. math::

        \ell_i = y_i \operatorname{softplus}(-z_i) + (1 - y_i) \operatorname{softplus}(z_i),
        \qquad \operatorname{softplus}(x) = \log(1 + e^{x}).

    The reduction is the mean (default) or sum over **all** elements, or ``"none"``; with
    weights :math:`w_i` the weighted mean :math:`\sum_i w_i \ell_i / \sum_i w_i`, the sum
    :math:`\sum_i w_i \ell_i`, or :math:`w_i \ell_i`. A ``pos_weight`` :math:`q` weighs the
    positive term only:

    .. math::

        \ell_i = -\bigl(q\, y_i \log p_i + (1 - y_i) \log(1 - p_i)\bigr).

    Parameters
    ----------
    y_true : array_like
        Targets in [0, 1]: hard labels 0/1 or soft labels.
    y_pred : array_like
        Probabilities in [0, 1], or real logits if ``from_logits``; the same shape as
        ``y_true``.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits :math:`z` rather than probabilities.
    reduction : {"mean", "sum", "none"}, default "mean"
    sample_weight : array_like, optional
        Finite non-negative weights, one per element (``y_pred``'s shape) or one per sample
        as ``y_pred``'s leading axes, as for :func:`~lossnotes.mse`: ``"mean"`` divides by
        the sum of the weights over every element, so 0/1 weights are exactly a mask (a
        masked term counts as absent, even an infinite one); all-0 weights are refused with
        ``"mean"``.
    pos_weight : float or array_like, optional
        A finite non-negative weight :math:`q` of the positive term :math:`y \log p`: a single
        number (shape ``()``), or one per output along ``y_pred``'s last axis (shape ``(D,)``
        for ``(N, D)`` predictions, a multi-label problem's weight per label), as torch's
        ``binary_cross_entropy_with_logits(pos_weight=)`` takes it; no other shape. It changes
        each element's loss, not how many elements there are: ``"mean"`` still divides by the
        sum of the sample weights (the number of elements without them), as torch does.
        :math:`q = n_{\text{neg}} / n_{\text{pos}}` makes the positives of an imbalanced
        problem weigh as much as the negatives.
    label_smoothing : float in [0, 1], default 0
        Smooths each target towards 1/2 before the loss, as Keras does:
        :math:`\tilde y = y (1 - a) + a/2`, computed as :math:`y + a(1/2 - y)`, and
        :math:`1 - \tilde y` as :math:`(1 - y) + a(y - 1/2)` (not by subtracting from 1, which
        would cost the small one its precision). With it even a right prediction costs at
        least the entropy of :math:`\tilde y`. torch's binary losses have no smoothing.
        :math:`\tilde y` is not a float: it is rounded to ``y_pred``'s dtype, so the loss is
        within 2.5 ulp of the exact one in float64 (4 in float32) on the accuracy grids. The
        derivative in :math:`p` forms :math:`p - \tilde y` as :math:`(p - y) + a(y - 1/2)`,
        rounded once near its zero for a hard label (within 2 ulp); the one in :math:`z`
        crosses zero where :math:`\sigma(z) = \tilde y`, and there it is within a few ulps of
        :math:`\tilde y` in absolute terms (the sigmoid's rounding), not in ulps of itself.

    Returns
    -------
    ndarray or scalar
        ``y_pred``'s shape for ``"none"``, else a scalar; ``y_pred``'s floating dtype.

    Raises
    ------
    ValueError
        On differing shapes, targets or probabilities outside [0, 1], NaN, an unknown
        reduction, a ``sample_weight`` of another shape, with a negative, infinite or NaN
        weight, or all 0 with ``"mean"``, a ``pos_weight`` of another shape or with such
        a weight, or a ``label_smoothing`` outside [0, 1] or NaN (not a number: TypeError).

    Notes
    -----
    Exact mathematics: a certain and wrong probability (:math:`p = 0`, :math:`y = 1`) costs
    ``+inf``, a certain and right one costs exactly 0, and :math:`0 \log 0` is taken as 0. No
    clipping is applied: that is a framework convention (Keras clips to
    :math:`[10^{-7}, 1 - 10^{-7}]`, torch clamps each log at -100). ``log1p(-p)`` is used for
    :math:`\log(1 - p)`, so a small :math:`p` keeps its precision. With logits, each softplus
    is computed as :math:`\max(x, 0) + \log(1 + e^{-|x|})`, so logits of :math:`\pm 1000`
    give finite, exact values, and logits of :math:`\pm\infty` give their limits (0 for a
    right infinite logit, ``+inf`` for a wrong one).

    Unlike ``tf.keras.losses.binary_crossentropy``, which averages over the last axis and
    returns one value per sample, ``"none"`` keeps every element; the ``"mean"`` of all
    elements equals torch's default and the mean of Keras's per-sample values.

    References
    ----------
    Goodfellow, Bengio and Courville, *Deep Learning*, MIT Press, 2016, section 6.2.2.2.

    Examples
    --------
    The notes' PyTorch example: nine confident right answers and one sure-ish right one.

    >>> import lossnotes as ln
    >>> y = [0.0] + [1.0] * 9
    >>> p = [0.2] + [0.8] * 9
    >>> round(float(ln.binary_cross_entropy(y, p)), 12)  # = -log(0.8)
    0.223143551314
    >>> ln.binary_cross_entropy([1.0, 0.0], [1000.0, 1000.0], from_logits=True, reduction="none")
    array([   0., 1000.])
    >>> ln.binary_cross_entropy([1.0, 0.0], [0.5, 0.5], pos_weight=3.0, reduction="none").round(6)
    array([2.079442, 0.693147])

    """
    from_logits = check_flag(from_logits, "from_logits")
    a = _check_smoothing(label_smoothing)
    y, z = _binary_inputs(y_true, y_pred, from_logits, logits_checked_later=True)
    pos, neg = _binary_targets(y, z, pos_weight, a)
    loss = _binary_terms(y, z, from_logits, np.multiply, pos, neg)  # log 0 = -inf
    if has_nan(loss):
        # A NaN logit, or a 0 * inf (an infinite logit, a probability of 0 or 1, and a weight
        # of 0): then, and only then, the terms again with 0 * inf taken as 0.
        check_no_nan(z, "y_pred")
        loss = _binary_terms(y, z, from_logits, _xmul, pos, neg)
    return reduce(loss, reduction, sample_weight)


def _positive_targets(y: np.ndarray, pos_weight, z: np.ndarray):
    """``q y``, the weight of each positive term, with ``pos_weight`` checked: a single weight
    or one per output along ``z``'s last axis. None without a ``pos_weight``."""
    if pos_weight is None:
        return None
    q = as_weights(pos_weight, "pos_weight", z.dtype)
    if q.ndim != 0 and q.shape != z.shape[-1:]:
        raise ValueError(
            f"pos_weight has shape {q.shape}; expected a single weight, shape (), or one per "
            f"output along y_pred's last axis, shape {z.shape[-1:]}, for y_pred of shape "
            f"{z.shape}; nothing else is broadcast"
        )
    return np.multiply(y, q)


def _check_smoothing(label_smoothing) -> float:
    """``label_smoothing`` as a float in [0, 1]."""
    return check_number(label_smoothing, "label_smoothing", 0.0, 1.0, "a number in [0, 1]")


def _binary_targets(y: np.ndarray, z: np.ndarray, pos_weight, a: float):
    """The weights of the positive and negative terms, ``q y~`` and ``1 - y~`` with
    ``y~ = y (1 - a) + a/2``, or (None, None) when neither option changes them. ``1 - y~`` is
    formed from ``1 - y`` alike, never by subtracting ``y~`` from 1."""
    if not a:
        return _positive_targets(y, pos_weight, z), None
    # y + a (1/2 - y): for a hard label one rounding (1/2 - y and a/2 are exact), for a soft
    # one about one and a half; y (1 - a) + a/2 would round (1 - a), its product and the sum.
    pos = np.subtract(0.5, y)
    pos *= a
    pos += y
    neg = np.subtract(y, 0.5)
    neg *= a
    neg += 1 - y
    return _positive_targets(pos, pos_weight, z) if pos_weight is not None else pos, neg


def _binary_terms(y: np.ndarray, z: np.ndarray, from_logits: bool, mul,
                  pos: np.ndarray | None = None, neg: np.ndarray | None = None) -> np.ndarray:
    """The unreduced loss, each product taken by ``mul``; ``pos`` and ``neg`` weigh the
    positive and negative terms (``q y``, ``1 - y`` smoothed) in place of ``y`` and
    ``1 - y``."""
    q_y = y if pos is None else pos
    n_y = 1 - y if neg is None else neg
    if from_logits:
        # softplus(-z) = max(-z, 0) + t and softplus(z) = max(z, 0) + t share the same
        # t = log1p(exp(-|z|)), so y softplus(-z) + (1 - y) softplus(z) = [the max terms] + t
        # (+ (q y + 1 - y) t with a pos_weight). Adding t last keeps a tiny loss (z = 40,
        # y = 1 gives 4.2e-18) instead of cancelling it as softplus(z) - y z would. Each term
        # in its own buffer, in place.
        minus = np.negative(z, out=np.empty_like(z))
        loss = mul(q_y, np.clip(minus, 0, np.inf, out=minus), out=minus)  # q y max(-z, 0)
        loss += mul(n_y, np.clip(z, 0, np.inf, out=np.empty_like(z)))  # (1 - y) max(z, 0)
        t = _log1p_exp_minus_abs(z)
        loss += t if pos is None and neg is None else mul(q_y + n_y, t, out=t)
        return loss
    # log1p(-p) rather than log(1 - p): exact for small p.
    log_p = np.log(z, out=np.empty_like(z))
    loss = mul(q_y, log_p, out=log_p)
    log1m = np.negative(z, out=np.empty_like(z))
    loss += mul(n_y, np.log1p(log1m, out=log1m), out=log1m)
    return np.negative(loss, out=loss)


@quiet
def binary_cross_entropy_grad(
    y_true, y_pred, *, from_logits: bool = False, sample_weight=None, pos_weight=None,
    label_smoothing: float = 0.0,
):
    r"""Derivative of the unreduced :func:`binary_cross_entropy` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell}{\partial p} = -\frac{y}{p} + \frac{1 - y}{1 - p}
        = \frac{p - y}{p (1 - p)},
        \qquad
        \frac{\partial \ell}{\partial z} = \sigma(z) - y,

    and with a ``pos_weight`` :math:`q`, :math:`-q y / p + (1 - y)/(1 - p)` and
    :math:`(1 - y)\sigma(z) - q y \sigma(-z)`.

    Parameters
    ----------
    y_true, y_pred, from_logits, sample_weight, pos_weight, label_smoothing
        As for :func:`binary_cross_entropy`; smoothing puts :math:`\tilde y` in :math:`y`'s
        place.

    Returns
    -------
    ndarray
        Same shape and dtype as ``y_pred``: the derivative with respect to the probability,
        or to the logit when ``from_logits=True``; with ``sample_weight``, of the weighted
        unreduced loss, :math:`w_i \, \partial \ell_i / \partial p_i` (a weight of 0 gives
        0, even where the derivative is infinite). Divide by :math:`\sum_i w_i` for the
        derivative of the weighted mean.

    Notes
    -----
    With respect to the probability the derivative diverges at a certain and wrong prediction
    (``-inf`` at :math:`p = 0, y = 1`); a term whose target weight is 0 is dropped, so
    :math:`p = 0, y = 0` gives the finite one-sided value 1. With respect to the logit the
    derivative is bounded by 1 in size: :math:`\sigma(z) - y` is computed as
    :math:`(1 - y)\sigma(z) - y\,\sigma(-z)` so that a confident right answer gets its tiny
    derivative to full precision instead of :math:`1 - 1 = 0`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.binary_cross_entropy_grad([1.0, 0.0], [0.5, 0.5])
    array([-2.,  2.])
    >>> ln.binary_cross_entropy_grad([1.0, 1.0], [-50.0, 50.0], from_logits=True)
    array([-1.00000000e+00, -1.92874985e-22])
    """
    from_logits = check_flag(from_logits, "from_logits")
    a = _check_smoothing(label_smoothing)
    y_true, y_pred = _binary_inputs(y_true, y_pred, from_logits)
    pos, neg = _binary_targets(y_true, y_pred, pos_weight, a)
    q_y = y_true if pos is None else pos
    n_y = 1 - y_true if neg is None else neg
    if from_logits:
        s_pos, s_neg = _sigmoid_pair(y_pred)  # sigma(z), sigma(-z), each to full precision
        if a and pos_weight is None:
            # sigma(z) - y~ arranged as [(1 - y) sigma(z) - y sigma(-z)] + a (y - 1/2): for a
            # hard label the bracket is one sigmoid and a (y - 1/2) = +-a/2, so near the zero
            # (sigma(z) close to y~) only the sigmoid's rounding is left, where
            # (1 - y~) sigma(z) - y~ sigma(-z) cancels two rounded products.
            grad = (1 - y_true) * s_pos - y_true * s_neg
            grad += a * (y_true - 0.5)
            return weigh(grad, sample_weight)
        return weigh(n_y * s_pos - q_y * s_neg, sample_weight)
    p = y_pred + 0  # -0.0 is the probability 0: 1/p must be +inf, not -inf
    if a and pos_weight is None:
        # The same derivative over one denominator, (1 - y~)/(1 - p) - y~/p = (p - y~) /
        # (p (1 - p)), with p - y~ = (p - y) + a (y - 1/2): near its zero (p close to y~) the
        # two terms cancel and each carried its roundings (60 ulp of the result), while for a
        # hard label p - y is exact there (Sterbenz) and a (y - 1/2) = +-a/2 too, so the
        # difference is rounded once. At p = 0 or 1 it is -inf or +inf (0 < y~ < 1).
        diff = np.subtract(y_true, 0.5)
        diff *= a
        diff += p - y_true
        return weigh(diff / (p * (1 - p)), sample_weight)
    # y/p overflows to inf for a subnormal p: that is the true derivative's rounding.
    return weigh(_ratio(n_y, 1 - p) - _ratio(q_y, p), sample_weight)


def _categorical_inputs(y_true, y_pred, from_logits: bool, axis: int, convention: str = "exact",
                        logits_checked_later: bool = False):
    """The checked inputs; ``convention`` ("keras", "torch": :mod:`lossnotes.like_keras`,
    :mod:`lossnotes.like_torch`) accepts probability rows that do not sum to 1 and rows of
    only -inf logits; with ``logits_checked_later`` logits are left to
    :func:`~lossnotes._links._log_softmax_last`, which refuses NaN and such rows."""
    from_logits = check_flag(from_logits, "from_logits")
    y_true, y_pred = pair(y_true, y_pred, check_true=_class_targets,
                          check_pred=_prediction_check(from_logits, logits_checked_later))
    axis = check_axis(axis, y_pred.ndim)
    _check_classes(y_pred, axis)
    _check_rows(y_pred, axis, from_logits, convention, logits_checked_later)
    return y_true, y_pred, axis


def _check_classes(y_pred: np.ndarray, axis: int) -> None:
    if y_pred.shape[axis] == 0:
        raise ValueError(f"y_pred has no classes on axis {axis} (shape {y_pred.shape}); "
                         "expected at least one class")


def _check_rows(y_pred, axis, from_logits, convention, logits_checked_later) -> None:
    if convention != "exact":
        # Keras renormalises rows and torch's log-probability losses take them as they are:
        # only the exact formula insists on a distribution.
        return
    if not from_logits:
        check_rows_sum_to_one(y_pred, axis, "y_pred")
    elif not logits_checked_later:
        _check_not_all_minus_inf(y_pred, axis, "y_pred")


def _class_targets(y: np.ndarray, name: str) -> None:
    check_unit_interval(y, name, "class probabilities (one-hot or soft labels)")


@quiet
def categorical_cross_entropy(
    y_true, y_pred, *, from_logits: bool = False, axis: int = -1, reduction: str = "mean",
    sample_weight=None, class_weight=None, label_smoothing: float = 0.0,
):
    r"""Categorical cross-entropy between target distributions and predicted ones.

    .. math::

        \ell_i = -\sum_{k=1}^{C} y_{ik} \log p_{ik},
        \qquad p_{i\cdot} = \operatorname{softmax}(z_{i\cdot}) \text{ when }
        \texttt{from\_logits=True},

    and with logits, :math:`\log p_{ik} = z_{ik} - \operatorname{logsumexp}(z_{i\cdot})`.
    The reduction is the mean (default) or sum over samples, or ``"none"``; with weights
    :math:`w_i` the weighted mean :math:`\sum_i w_i \ell_i / \sum_i w_i`, the sum
    :math:`\sum_i w_i \ell_i`, or :math:`w_i \ell_i`. With class weights :math:`c_k`,

    .. math::

        \ell_i = -\sum_{k=1}^{C} c_k\, y_{ik} \log p_{ik}, \qquad
        L = \frac{\sum_i w_i \ell_i}{\sum_i w_i v_i}, \quad
        v_i = \sum_k c_k\, y_{ik} \ (\texttt{"mean"}),

    where :math:`v_i` is the weight of sample :math:`i`'s target (:math:`c_{y_i}` for a
    one-hot row), so the mean is a true weighted mean of the unweighted per-sample losses
    (torch's ``cross_entropy(weight=)`` divides by the number of samples instead when its
    targets are probabilities, and by :math:`\sum_i c_{y_i}` when they are class indices).

    Parameters
    ----------
    y_true : array_like
        Targets in [0, 1], the same shape as ``y_pred``: usually a distribution per sample
        (one-hot or soft labels). Rows that do not sum to 1 are accepted, as both frameworks
        accept them, and the formula is applied as written: ``[1, 1, 0]`` costs
        :math:`-\log p_1 - \log p_2` and an all-zero row costs 0 (for several true classes
        per sample, :func:`binary_cross_entropy` is the usual loss).
    y_pred : array_like
        Probabilities that sum to 1 along ``axis``, or real logits if ``from_logits``.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits.
    axis : int, default -1
        The class axis (Keras's convention; torch puts classes on axis 1).
    reduction : {"mean", "sum", "none"}, default "mean"
    sample_weight : array_like, optional
        Finite non-negative weights, one per sample: the shape of the unreduced loss
        (``y_pred``'s shape without ``axis``) or its leading axes (``(N,)`` for a loss of
        shape ``(N, L)``), nothing else broadcast. ``"mean"`` divides by the sum of the
        weights over every sample, so 0/1 weights are exactly a mask (a masked sample counts
        as absent, even an infinite loss); all-0 weights are refused with ``"mean"``.
    class_weight : array_like, optional
        One finite non-negative weight per class, shape ``(C,)`` (torch's ``weight=``;
        Keras's ``class_weight`` of ``fit``, which becomes the sample weight
        :math:`c_{y_i}`): it multiplies each class's term, and ``"mean"`` divides by the sum
        of the targets' weights :math:`w_i v_i` (see above). A class weight of 0 drops that
        class's terms, even infinite ones.
    label_smoothing : float in [0, 1], default 0
        Smooths each target row towards the uniform distribution over the :math:`C` classes
        of ``axis`` before the loss, as Keras and torch do:
        :math:`\tilde y_{ik} = y_{ik}(1 - a) + a/C`. With class weights the smoothed target
        is weighted, :math:`c_k \tilde y_{ik}`, and so is the mean's denominator
        :math:`v_i = \sum_k c_k \tilde y_{ik}` (torch divides by :math:`\sum_i c_{y_i}`
        of the unsmoothed targets instead). The smoothed targets are rounded to ``y_pred``'s
        dtype: the accuracy is as for :func:`binary_cross_entropy`'s smoothing.

    Returns
    -------
    ndarray or scalar
        ``y_pred``'s shape without ``axis`` for ``"none"``, else a scalar; ``y_pred``'s dtype.

    Raises
    ------
    ValueError
        On differing shapes, values outside [0, 1], probabilities that do not sum to 1 along
        ``axis`` (to within the dtype's rounding), NaN, a bad axis, an unknown reduction, a
        ``sample_weight`` or ``class_weight`` of another shape or with a negative, infinite or
        NaN weight, weights of the targets that are all 0 with ``"mean"``, or a
        ``label_smoothing`` outside [0, 1] or NaN.

    Notes
    -----
    Probabilities are not renormalised or clipped (Keras does both; see the comparison
    chapter): a true class with probability 0 costs ``+inf``. With logits the log-softmax is
    computed with the max-shift of :func:`logsumexp`, so logits of 1000 are fine, and the
    softmax is never formed.

    Examples
    --------
    The notes' example: true class 1, predicted [0.4, 0.6].

    >>> import lossnotes as ln
    >>> round(float(ln.categorical_cross_entropy([[0.0, 1.0]], [[0.4, 0.6]])), 12)  # = -log 0.6
    0.510825623766
    >>> float(ln.categorical_cross_entropy([[0.0, 1.0, 0.0]], [[100.0, -100.0, 0.0]],
    ...                                    from_logits=True))
    200.0

    """
    y_true, y_pred, axis = _categorical_inputs(y_true, y_pred, from_logits, axis,
                                               logits_checked_later=True)
    y_true = _smoothed(y_true, y_pred, axis, _check_smoothing(label_smoothing))
    c = _class_weights(class_weight, y_pred, axis, reduction)
    target = None
    if c is not None:  # c_k y_ik in y's place, and each target's weight v_i for the mean
        y_true = np.multiply(y_true, _along(c, axis, y_pred.ndim))
        target = np.asarray(np.sum(y_true, axis=axis))
    if from_logits:  # log_softmax with the classes last: move the targets' classes alike
        log_p = _log_softmax_last(y_pred, axis, name="y_pred")
        terms = _xmul(_class_axis_last(y_true, axis), log_p, out=log_p)  # 0 * inf as 0
        axis = -1
    else:
        terms = _xlog(y_true, y_pred)  # log 0 = -inf; 0 log 0 = 0
    loss = np.asarray(np.sum(terms, axis=axis))  # the pairwise sum of each row
    return reduce(np.negative(loss, out=loss), reduction, sample_weight, target_weight=target)


def _class_weights(class_weight, y_pred: np.ndarray, axis: int, reduction: str = "none"):
    """``class_weight`` checked: C finite non-negative weights in ``y_pred``'s dtype, or None.
    For ``"mean"`` they are divided by the largest, which changes no weighted mean (its
    numerator and denominator scale alike) and keeps their sums finite."""
    if class_weight is None:
        return None
    c = as_weights(class_weight, "class_weight", y_pred.dtype)
    n = y_pred.shape[axis]
    if c.shape != (n,):
        raise ValueError(
            f"class_weight has shape {c.shape}; expected one weight per class, shape ({n},), "
            f"for y_pred of shape {y_pred.shape} with classes on axis {axis}"
        )
    top = np.maximum.reduce(c) if reduction == "mean" else 0
    return c / top if top > 0 else c


def _smoothed(y: np.ndarray, y_pred: np.ndarray, axis: int, a: float) -> np.ndarray:
    """The targets smoothed towards 1/C along ``axis``: ``y (1 - a) + a / C``, as
    ``y + a (1/C - y)`` (``y`` itself when ``a`` is 0)."""
    if not a:
        return y
    out = np.subtract(1 / y_pred.shape[axis], y)  # y + a (1/C - y): fewer roundings than
    out *= a                                       # y (1 - a) + a/C for a one-hot target
    out += y
    return out


def _along(c: np.ndarray, axis: int, ndim: int) -> np.ndarray:
    """The class weights shaped to multiply an array of ``ndim`` dimensions along ``axis``."""
    return c.reshape((-1,) + (1,) * (ndim - 1 - axis))


@quiet
def categorical_cross_entropy_grad(
    y_true, y_pred, *, from_logits: bool = False, axis: int = -1, sample_weight=None,
    class_weight=None, label_smoothing: float = 0.0,
):
    r"""Derivative of the unreduced :func:`categorical_cross_entropy` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial p_{ik}} = -\frac{y_{ik}}{p_{ik}},
        \qquad
        \frac{\partial \ell_i}{\partial z_{ik}} = \Bigl(\sum_j y_{ij}\Bigr)
        \operatorname{softmax}(z_{i\cdot})_k - y_{ik}.

    Parameters
    ----------
    y_true, y_pred, from_logits, axis, sample_weight, class_weight, label_smoothing
        As for :func:`categorical_cross_entropy`; class weights :math:`c_k` and smoothing
        put :math:`c_k \tilde y_{ik}` in the place of :math:`y_{ik}` in the formulas above.

    Returns
    -------
    ndarray
        Same shape and dtype as ``y_pred``; with ``sample_weight``, the derivative of the
        weighted unreduced loss: each row times its sample's weight (a weight of 0 gives 0,
        even where the derivative is infinite).

    Notes
    -----
    The derivative with respect to the probabilities treats each :math:`p_{ik}` as a free
    variable (the constraint :math:`\sum_k p_{ik} = 1` is not projected out); entries whose
    target is 0 get exactly 0. With respect to logits, the familiar
    :math:`\operatorname{softmax}(z) - y` holds when each target row sums to 1: it is bounded,
    which is why frameworks want logits.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.categorical_cross_entropy_grad([[0.0, 1.0]], [[0.4, 0.6]]).round(6)
    array([[ 0.      , -1.666667]])
    >>> ln.categorical_cross_entropy_grad([[0.0, 1.0]], [[0.0, 0.0]], from_logits=True)
    array([[ 0.5, -0.5]])
    """
    y_true, y_pred, axis = _categorical_inputs(y_true, y_pred, from_logits, axis)
    y_true = _smoothed(y_true, y_pred, axis, _check_smoothing(label_smoothing))
    c = _class_weights(class_weight, y_pred, axis)
    if c is not None:
        y_true = np.multiply(y_true, _along(c, axis, y_pred.ndim))
    if from_logits:
        # sum(y) softmax(z) - y, without cancelling softmax against 1 at the largest score.
        return _weigh_rows(_softmax_grad(y_pred, y_true, axis), sample_weight, axis)
    return _weigh_rows(_minus_reciprocal(y_true, y_pred), sample_weight, axis)


def _weigh_rows(grad: np.ndarray, sample_weight, axis: int):
    """A row loss's gradient times its samples' weights (checked against the loss's shape,
    ``grad``'s without ``axis``)."""
    if sample_weight is None:
        return grad
    return weigh(grad, sample_weight, grad.shape[:axis] + grad.shape[axis + 1:], axis)


def _minus_reciprocal(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``-y / p`` with ``0 / 0`` taken as 0, a probability of -0.0 as +0.0 (so ``-inf``, not
    ``+inf``), and an overflow to ``-inf`` at a subnormal ``p`` taken as the true value."""
    return np.negative(_ratio(y, p + 0)) + 0  # + 0: the 0 of a target 0 is +0.0, not -0.0


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a / b``, one rounding, with ``0 / 0`` taken as 0 (a term whose target weight is 0 is
    dropped). Not ``a * (1 / b)``: ``1 / b`` overflows where ``a / b`` need not (a smoothed or
    weighted target below 1, a small probability in float16)."""
    out = np.divide(a, b)
    if out.ndim:
        np.copyto(out, 0, where=np.isnan(out))  # the inputs hold no NaN: each is a 0 / 0
    elif np.isnan(out):
        out = out.dtype.type(0)
    return out


def _sparse_inputs(labels, y_pred, from_logits: bool, axis: int, convention: str = "exact",
                   logits_checked_later: bool = False):
    """As :func:`_categorical_inputs`, for class indices."""
    from_logits = check_flag(from_logits, "from_logits")
    y_pred = as_floats(y_pred, "y_pred")
    check_pred = _prediction_check(from_logits, logits_checked_later)
    if check_pred is not None:
        check_pred(y_pred, "y_pred")
    axis = check_axis(axis, y_pred.ndim)
    labels = _asarray(labels, "labels")
    _check_classes(y_pred, axis)
    check_class_labels(labels, y_pred, axis)
    _check_rows(y_pred, axis, from_logits, convention, logits_checked_later)
    return labels.astype(np.intp, copy=False), y_pred, axis



def _ignored(labels, ignore_index, sample_weight, reduction: str = "none"):
    """The labels with each one equal to ``ignore_index`` replaced by class 0, and the sample
    weights (1 when not given) with those labels' weights set to 0: an ignored label is a
    sample weight of 0. For ``"mean"``, a batch of only ignored labels is refused."""
    if isinstance(ignore_index, (bool, np.bool_)) or not isinstance(ignore_index,
                                                                    (int, np.integer)):
        raise TypeError(f"ignore_index must be an integer (a label value to ignore) or None; "
                        f"found {ignore_index!r} ({type(ignore_index).__name__})")
    labels = _asarray(labels, "labels")
    if labels.dtype.kind not in "iuf":
        raise ValueError(f"labels must be integer class indices; found dtype {labels.dtype}")
    keep = labels != ignore_index
    if reduction == "mean" and keep.size and not keep.any():
        raise ValueError(
            f"every label equals ignore_index={ignore_index}: the mean over no labels is 0/0, "
            "undefined; expected at least one label that is not ignored (reduction='sum' gives "
            "0)"
        )
    w = keep.astype(np.float64)
    if sample_weight is not None:
        w *= sample_weights(sample_weight, keep.shape, np.float64)
    return np.where(keep, labels, 0), w


def _one_hot_inputs(labels, y_pred, from_logits, axis):
    """The labels as one-hot rows (checked as class indices first), and ``y_pred``."""
    index, y_pred, axis = _sparse_inputs(labels, y_pred, from_logits, axis,
                                         logits_checked_later=True)
    return _one_hot(index, y_pred, axis), y_pred


@quiet
def sparse_categorical_cross_entropy(
    labels, y_pred, *, from_logits: bool = False, axis: int = -1, reduction: str = "mean",
    sample_weight=None, class_weight=None, label_smoothing: float = 0.0, ignore_index=None,
):
    r"""Categorical cross-entropy with the true class given as an integer index.

    .. math::

        \ell_i = -\log p_{i, c_i},

    with :math:`\log p_{i, c_i} = z_{i, c_i} - \operatorname{logsumexp}(z_{i\cdot})` when
    ``from_logits=True``.

    Equal to :func:`categorical_cross_entropy` with one-hot targets, without building them.

    Parameters
    ----------
    labels : array_like of int
        Class indices :math:`c_i \in \{0, \dots, C-1\}`, of ``y_pred``'s shape without
        ``axis``.
    y_pred : array_like
        Probabilities summing to 1 along ``axis``, or logits if ``from_logits``.
    from_logits : bool, default False
    axis : int, default -1
        The class axis.
    reduction : {"mean", "sum", "none"}, default "mean"
    sample_weight : array_like, optional
        One finite non-negative weight per label (``labels``' shape) or per sample as its
        leading axes, as for :func:`categorical_cross_entropy`: ``"mean"`` is
        :math:`\sum_i w_i \ell_i / \sum_i w_i`, so 0/1 weights are exactly a mask.
    class_weight : array_like, optional
        One finite non-negative weight per class, shape ``(C,)``: :math:`\ell_i` becomes
        :math:`c_{c_i} \ell_i` and ``"mean"`` divides by :math:`\sum_i w_i c_{c_i}`, as
        torch's ``cross_entropy(weight=)`` does (its mean divides by the sum of the target
        classes' weights) and as Keras's ``class_weight`` in ``fit`` would with a true
        weighted mean (its default reduction divides by the number of samples instead).
    label_smoothing : float in [0, 1], default 0
        The one-hot target of each label smoothed towards 1/C, as torch's
        ``cross_entropy(label_smoothing=)`` does: the loss is then
        :func:`categorical_cross_entropy` of those smoothed rows, with the same options.
        Keras's sparse loss has no smoothing.
    ignore_index : int, optional
        A label value that marks a target to ignore (padding, an unlabelled pixel): such a
        label contributes 0 to ``"none"`` and ``"sum"`` and is left out of the mean's
        denominator, exactly as a ``sample_weight`` of 0 (torch's ``ignore_index``, whose
        default -100 must be given here; Keras's ``ignore_class``). Any integer: a negative
        one such as -100, or a valid class index, whose labels are then all ignored (the
        class still takes part in every row's softmax), as both frameworks allow; it is not
        ambiguous, since every label equal to it is ignored, and it lets a "void" class of a
        segmentation map be skipped. Labels must be class indices in [0, C) or equal to it. A
        batch whose labels are all ignored has no mean (0/0; torch returns nan, Keras 0) and
        is refused with ``"mean"``. For the other losses, ``sample_weight`` with 0/1 weights
        is the mask.

    Returns
    -------
    ndarray or scalar
        ``labels``' shape for ``"none"``, else a scalar; ``y_pred``'s dtype.

    Raises
    ------
    ValueError
        On labels of the wrong shape, labels that are not integers in [0, C), and the checks
        of :func:`categorical_cross_entropy` (``sample_weight`` among them).

    Notes
    -----
    Examples
    --------
    >>> import lossnotes as ln
    >>> round(float(ln.sparse_categorical_cross_entropy([1], [[0.4, 0.6]])), 12)  # = -log 0.6
    0.510825623766
    >>> ln.sparse_categorical_cross_entropy([0, 3], [[44.0, 10.0, 22.0, 5.0]] * 2,
    ...                                     from_logits=True, reduction="none").round(6)
    array([ 0., 39.])

    A padded position (label -100) is left out of the mean:

    >>> round(float(ln.sparse_categorical_cross_entropy([1, -100], [[0.4, 0.6], [0.5, 0.5]],
    ...                                                 ignore_index=-100)), 12)  # = -log 0.6
    0.510825623766

    """
    if ignore_index is not None:
        labels, sample_weight = _ignored(labels, ignore_index, sample_weight, reduction)
    if _check_smoothing(label_smoothing):
        return categorical_cross_entropy(
            *_one_hot_inputs(labels, y_pred, from_logits, axis), from_logits=from_logits,
            axis=axis, reduction=reduction, sample_weight=sample_weight,
            class_weight=class_weight, label_smoothing=label_smoothing)
    index, y_pred, axis = _sparse_inputs(labels, y_pred, from_logits, axis,
                                         logits_checked_later=True)
    c = _class_weights(class_weight, y_pred, axis, reduction)
    if from_logits:
        log_p = _log_softmax_last(y_pred, axis, index, name="y_pred")
    else:
        log_p = _pick(y_pred, index, axis)  # a new array: the log of the picked entries only
        np.log(log_p, out=log_p)
    loss = np.negative(log_p, out=log_p)
    target = None if c is None else c[index]  # each label's class weight
    if target is not None:
        _xmul(loss, target, out=loss)  # a class weight of 0 drops even an infinite term
    return reduce(loss, reduction, sample_weight, target_weight=target)


@quiet
def sparse_categorical_cross_entropy_grad(
    labels, y_pred, *, from_logits: bool = False, axis: int = -1, sample_weight=None,
    class_weight=None, label_smoothing: float = 0.0, ignore_index=None,
):
    r"""Derivative of the unreduced :func:`sparse_categorical_cross_entropy` w.r.t. ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial p_{ik}} = -\frac{[k = c_i]}{p_{ik}},
        \qquad
        \frac{\partial \ell_i}{\partial z_{ik}} = \operatorname{softmax}(z_{i\cdot})_k - [k = c_i].

    Parameters
    ----------
    labels, y_pred, from_logits, axis, sample_weight, class_weight, label_smoothing, ignore_index
        As for :func:`sparse_categorical_cross_entropy` (an ignored label's row is 0); a class
        weight multiplies the rows
        whose label is that class, and with smoothing the derivative is
        :func:`categorical_cross_entropy_grad`'s of the smoothed one-hot rows.

    Returns
    -------
    ndarray
        Same shape and dtype as ``y_pred``; with ``sample_weight``, each row times its
        sample's weight, as for :func:`categorical_cross_entropy_grad`.

    Notes
    -----
    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.sparse_categorical_cross_entropy_grad([1], [[0.0, 0.0]], from_logits=True)
    array([[ 0.5, -0.5]])
    """
    if ignore_index is not None:
        labels, sample_weight = _ignored(labels, ignore_index, sample_weight)
    if _check_smoothing(label_smoothing):
        return categorical_cross_entropy_grad(
            *_one_hot_inputs(labels, y_pred, from_logits, axis), from_logits=from_logits,
            axis=axis, sample_weight=sample_weight, class_weight=class_weight,
            label_smoothing=label_smoothing)
    index, y_pred, axis = _sparse_inputs(labels, y_pred, from_logits, axis)
    c = _class_weights(class_weight, y_pred, axis)
    if from_logits:
        grad = _softmax_grad(y_pred, None, axis, labels=index)  # softmax(z) - one_hot, accurately
        if c is not None:
            _xmul(grad, np.expand_dims(c[index], axis), out=grad)
    else:
        # -c / p, the class weight in the target (c / p overflows only where its value does)
        target = _one_hot(index, y_pred, axis)
        if c is not None:
            target *= np.expand_dims(c[index], axis)
        grad = _minus_reciprocal(target, y_pred)
    return _weigh_rows(grad, sample_weight, axis)
