r"""Divergences between distributions and likelihoods of counts.

:func:`kl_divergence` compares a target distribution with a predicted one, row by row, like
the categorical cross-entropy it differs from by the target's entropy. :func:`poisson` is the
negative log-likelihood of counts under a predicted Poisson rate. Both take
``(y_true, y_pred)`` in the order of the notes and tf.keras, compute the mathematics without
clipping or epsilons (those are the frameworks' conventions, in :mod:`lossnotes.like_keras`
and :mod:`lossnotes.like_torch`), and refuse inputs outside their domain.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ._cross_entropy import (
    _check_classes,
    _class_weights,
    _minus_reciprocal,
    _weigh_rows,
    _xmul,
)
from ._links import _one_hot, _pick
from ._regression import _residual
from ._validation import (
    _asarray,
    _where,
    as_float_array,
    as_floats,
    check_axis,
    check_class_labels,
    check_flag,
    check_no_nan,
    check_rows_sum_to_one,
    check_unit_interval,
    first,
    has_nan,
    pair,
    quiet,
    reduce,
    weigh,
)

# --------------------------------------------------------------------------------------------
# Kullback-Leibler divergence
# --------------------------------------------------------------------------------------------


def _probabilities(x: np.ndarray, name: str) -> None:
    check_unit_interval(x, name)


def kl_inputs(y_true, y_pred, axis, exact: bool = True):
    """Two probability distributions along ``axis``: values in [0, 1], rows summing to 1
    (``exact=False``, for the frameworks' arithmetic: rows as they are)."""
    y_true, y_pred = pair(y_true, y_pred, check_true=_probabilities, check_pred=_probabilities)
    axis = check_axis(axis, y_pred.ndim)
    _check_classes(y_pred, axis)
    if exact:
        for x, name in ((y_true, "y_true"), (y_pred, "y_pred")):
            check_rows_sum_to_one(x, axis, name, hint="Both arguments of a divergence are "
                                  "distributions over the classes")
    return y_true, y_pred, axis


def log_ratio(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``log(p / q)`` for non-negative ``p`` and ``q``, to a few ulp of itself, under
    :data:`~lossnotes._validation.quiet`.

    ``log(p / q)`` rounds ``p / q`` first, which costs relative precision where the ratio is
    close to 1 and the log close to 0; there ``p - q`` is exact (Sterbenz: within a factor 2)
    and ``log1p((p - q) / q)`` keeps it. Where ``p / q`` overflows or underflows although
    both are positive (a subnormal ``q``), the difference of the logs is taken."""
    ratio = np.divide(p, q, out=np.empty_like(p))
    out = np.log(ratio)
    near = (ratio >= 0.5) & (ratio <= 2)
    if near.any():
        d = np.subtract(p, q, where=near, out=np.zeros_like(p))
        np.divide(d, q, where=near, out=d)
        np.log1p(d, where=near, out=out)
    lost = ((ratio == np.inf) & (q > 0)) | ((ratio == 0) & (p > 0))
    if lost.any():
        out[lost] = np.log(p[lost]) - np.log(q[lost])
    return out


@quiet
def kl_divergence(y_true, y_pred, *, axis: int = -1, reduction: str = "mean",
                  sample_weight=None):
    r"""Kullback-Leibler divergence of the predicted distribution from the target one.

    .. math::

        \ell_i = D_{\mathrm{KL}}(p_{i\cdot} \,\|\, q_{i\cdot})
        = \sum_{k=1}^{C} p_{ik} \log \frac{p_{ik}}{q_{ik}},

        0 \log \tfrac{0}{q} = 0, \quad p \log \tfrac{p}{0} = +\infty \ (p > 0),

    with :math:`p` = ``y_true`` and :math:`q` = ``y_pred``, one value per row (classes along
    ``axis``). It equals the categorical cross-entropy :math:`-\sum_k p_{ik} \log q_{ik}`
    minus the target's entropy :math:`-\sum_k p_{ik} \log p_{ik}`, which does not depend on
    the prediction: both losses have the same gradient and the same minimum, where the
    divergence is 0 (:math:`q = p`), while the cross-entropy is then the entropy of
    :math:`p`. The reduction is the mean (default) or sum over rows, or ``"none"``.

    Parameters
    ----------
    y_true : array_like
        The target distribution :math:`p`: values in [0, 1] summing to 1 along ``axis``.
    y_pred : array_like
        The predicted distribution :math:`q`, the same shape, summing to 1 along ``axis``.
    axis : int, default -1
        The class axis.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` averages over rows: torch's ``reduction="batchmean"`` for an (N, C) input,
        not its ``"mean"``, which averages over all N C elements.
    sample_weight : array_like, optional
        One weight per row, as for :func:`~lossnotes.negative_cosine_similarity`.

    Returns
    -------
    ndarray or scalar
        ``y_pred``'s shape without ``axis`` for ``"none"``, else a scalar; ``y_pred``'s dtype.

    Raises
    ------
    ValueError
        On differing shapes, values outside [0, 1], rows of either argument that do not sum
        to 1 along ``axis`` (to within the dtype's rounding), NaN, a bad axis or an unknown
        reduction.

    Notes
    -----
    The frameworks' traps: ``keras.losses.kl_divergence(y_true, y_pred)`` clips **both**
    arguments to :math:`[10^{-7}, 1]`, so a zero target term costs
    :math:`10^{-7} \log(10^{-7} / q)` instead of 0 and a zero prediction under a positive
    target is finite. ``torch.nn.functional.kl_div(input, target)`` takes the **log** of the
    prediction as ``input`` (and the target as probabilities, or as log-probabilities with
    ``log_target=True``), and its default ``reduction="mean"`` divides the sum by the number
    of elements N C, which is the divergence divided by C; ``"batchmean"`` divides by N, the
    mean divergence per row of an (N, C) input. torch computes
    :math:`p \log p - p \log q`, so :math:`p = q = 0` gives ``nan`` (:math:`0 \cdot
    \infty`) where the divergence takes 0.

    Each term :math:`p \log(p/q)` is computed to a few ulp, with ``numpy.log1p`` where
    :math:`p/q` is near 1. The terms of a row have both signs (their sum is never negative,
    Gibbs' inequality): close to :math:`q = p` they cancel, and there the divergence,
    of the order of :math:`\sum (p - q)^2 / p`, is ill-conditioned.

    References
    ----------
    S. Kullback and R. A. Leibler, "On Information and Sufficiency", *Annals of Mathematical
    Statistics* 22(1), 1951.

    Examples
    --------
    >>> import lossnotes as ln
    >>> p = [[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]]
    >>> q = [[0.25, 0.25, 0.5], [0.2, 0.3, 0.5]]
    >>> ln.kl_divergence(p, q, reduction="none")  # log 2 and 0
    array([0.69314718, 0.        ])
    """
    y_true, y_pred, axis = kl_inputs(y_true, y_pred, axis)
    terms = _xmul(y_true, log_ratio(y_true, y_pred))  # 0 log(0/q) = 0, also at q = 0
    loss = np.asarray(np.sum(terms, axis=axis))
    return reduce(loss, reduction, sample_weight)


@quiet
def kl_divergence_grad(y_true, y_pred, *, axis: int = -1, sample_weight=None):
    r"""Derivative of the unreduced :func:`kl_divergence` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial q_{ik}} = -\frac{p_{ik}}{q_{ik}},

    the derivative of the categorical cross-entropy, since the two losses differ by a term
    free of :math:`q`. Each :math:`q_{ik}` is treated as a free variable (the constraint
    :math:`\sum_k q_{ik} = 1` is not projected out); an entry whose target is 0 gets exactly
    0, and a positive target over :math:`q = 0` gives ``-inf``. ``sample_weight`` (one weight
    per row) multiplies each row's derivative.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.kl_divergence_grad([[0.5, 0.5, 0.0]], [[0.25, 0.25, 0.5]])
    array([[-2., -2.,  0.]])
    """
    y_true, y_pred, axis = kl_inputs(y_true, y_pred, axis)
    return _weigh_rows(_minus_reciprocal(y_true, y_pred), sample_weight, axis)[()]


# --------------------------------------------------------------------------------------------
# Poisson negative log-likelihood
# --------------------------------------------------------------------------------------------


def _counts(y: np.ndarray, name: str) -> None:
    """Targets of a count likelihood: finite and non-negative (integers or not)."""
    if not y.size:
        return
    lo, hi = np.minimum.reduce(y, axis=None), np.maximum.reduce(y, axis=None)
    if not (lo >= 0 and hi < np.inf):  # a NaN fails both
        check_no_nan(y, name)
        bad = ~((y >= 0) & (y < np.inf))
        raise ValueError(f"{name} must hold counts, finite numbers >= 0; found "
                         f"{first(y, bad)!r} {_where(bad)}")


def _rates(lam: np.ndarray, name: str) -> None:
    """Poisson rates: >= 0 (+inf allowed, as a limit)."""
    if lam.size and not np.minimum.reduce(lam, axis=None) >= 0:  # a NaN fails too
        check_no_nan(lam, name)
        bad = lam < 0
        raise ValueError(f"{name} must hold Poisson rates >= 0; found {first(lam, bad)!r} "
                         f"{_where(bad)} (pass log_input=True for log-rates)")


def _poisson_inputs(y_true, y_pred, log_input):
    log_input = check_flag(log_input, "log_input")
    y, p = pair(y_true, y_pred, check_true=_counts,
                check_pred=check_no_nan if log_input else _rates)
    return y, p, log_input


def log_factorial(y: np.ndarray) -> np.ndarray:
    """``log(y!) = lgamma(y + 1)`` for finite ``y >= 0``, in ``y``'s dtype, correctly rounded:
    each distinct value once (counts repeat, so this is a sort and a table)."""
    values, index = np.unique(y, return_inverse=True)
    table = np.array([_log_gamma_1p(float(v)) for v in values], dtype=np.float64)
    return table.astype(y.dtype)[index.reshape(y.shape)]


@functools.lru_cache(maxsize=4096)
def _log_gamma_1p(v: float) -> float:
    """log Gamma(v + 1) rounded once to a float. ``math.lgamma`` is off by up to 15 ulp
    (``lgamma(1.5)``); mpmath, imported on the first call only, at 30 digits is not."""
    import mpmath

    ctx = _MP.get("ctx")
    if ctx is None:
        ctx = _MP["ctx"] = mpmath.MPContext()
        ctx.dps = 30
    return float(ctx.loggamma(ctx.mpf(v) + 1))


_MP: dict = {}  # the private mpmath context, made on first use


@quiet
def poisson(y_true, y_pred, *, log_input: bool = False, full: bool = False,
            reduction: str = "mean", sample_weight=None):
    r"""Poisson negative log-likelihood of counts under a predicted rate.

    For a count :math:`y` and a rate :math:`\lambda > 0`,
    :math:`-\log P(y \mid \lambda) = \lambda - y \log \lambda + \log y!`; the last term does
    not depend on the prediction and is left out unless ``full=True``:

    .. math::

        \ell_i = \lambda_i - y_i \log \lambda_i \; [+ \log \Gamma(y_i + 1)],

    with :math:`\lambda_i = \hat y_i`, or :math:`\lambda_i = e^{\hat y_i}` with
    ``log_input=True``, where

    .. math::

        \ell_i = e^{\hat y_i} - y_i \hat y_i \; [+ \log \Gamma(y_i + 1)].

    Parameters
    ----------
    y_true : array_like
        Counts: finite numbers :math:`\ge 0` (non-integers are allowed, with
        :math:`\log \Gamma(y + 1)` for :math:`\log y!`).
    y_pred : array_like
        Rates :math:`\lambda \ge 0` (``+inf`` allowed), or log-rates (any real, ``+-inf``
        allowed) with ``log_input=True``; the same shape as ``y_true``.
    log_input : bool, default False
        Whether ``y_pred`` is :math:`\log \lambda`, as from a linear output layer.
    full : bool, default False
        Whether to add :math:`\log y! = \log\Gamma(y + 1)`, making the loss the exact negative
        log-likelihood (never negative for integer counts).
    reduction : {"mean", "sum", "none"}, default "mean"
    sample_weight : array_like, optional
        As for :func:`~lossnotes.mse`: ``"mean"`` is :math:`\sum_i w_i \ell_i / \sum_i w_i`.

    Returns
    -------
    ndarray or scalar
        ``y_pred``'s shape for ``"none"``, else a scalar; ``y_pred``'s dtype.

    Raises
    ------
    ValueError
        On differing shapes, negative or infinite counts, negative rates, NaN, or an unknown
        reduction; a TypeError for ``log_input`` or ``full`` that is not a bool.

    Notes
    -----
    Limits, not clipping: a rate of 0 costs ``+inf`` for a positive count and 0 for a count
    of 0 (:math:`0 \log 0 = 0`), an infinite rate costs ``+inf``. The frameworks add an
    epsilon inside the log instead: ``keras.losses.poisson`` computes
    :math:`\lambda - y \log(\lambda + 10^{-7})` (a rate of 0 costs :math:`16.1 y`),
    torch's ``poisson_nll_loss(input, target, log_input=False)``
    :math:`\lambda - y \log(\lambda + 10^{-8})`; the shift of :math:`y \varepsilon /
    \lambda` is visible in float64 at every rate. torch's **default** is ``log_input=True``,
    Keras has no log-rate form. torch's ``full=True`` adds Stirling's approximation
    :math:`y \log y - y + \tfrac12 \log(2\pi y)` for :math:`y > 1` only (0 for
    :math:`y \le 1`), not :math:`\log y!`: it is :math:`\log y!` minus about
    :math:`1/(12 y)` (0.078 at :math:`y = 1` is dropped entirely, 0.041 at
    :math:`y = 2`).

    Without ``full`` the loss can be negative (:math:`y > e` near :math:`\lambda = y`) and
    it crosses 0: there no formula is accurate in ulps. With ``log_input`` the log-rate form
    never forms :math:`\log e^{\hat y}`, so it stays exact for :math:`\hat y = \pm 1000`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.poisson([0.0, 1.0, 2.0], [0.5, 1.0, 0.0], reduction="none")
    array([0.5, 1. , inf])
    >>> ln.poisson([0.0, 1.0], [-1000.0, 0.0], log_input=True, reduction="none")
    array([0., 1.])
    >>> print(f"{float(ln.poisson([3.0], [3.0], full=True)):.8f}")  # 3 - 3 log 3 + log 6
    1.49592260
    """
    y, p, log_input = _poisson_inputs(y_true, y_pred, log_input)
    full = check_flag(full, "full")
    if log_input:
        loss = np.exp(p)
        loss -= _xmul(y, p)  # y * (-inf) at y = 0 is 0
        inf = p == np.inf
    else:
        loss = p - _xmul(y, np.log(p))  # 0 log 0 = 0; log 0 = -inf costs +inf
        inf = p == np.inf
    if inf.any():  # inf - inf: the rate dominates, the limit is +inf
        loss[inf] = np.inf
    if full:
        loss += log_factorial(y)
    return reduce(loss, reduction, sample_weight)


@quiet
def poisson_grad(y_true, y_pred, *, log_input: bool = False, full: bool = False,
                 sample_weight=None):
    r"""Derivative of the unreduced :func:`poisson` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial \lambda_i} = 1 - \frac{y_i}{\lambda_i}
        = \frac{\lambda_i - y_i}{\lambda_i},
        \qquad
        \frac{\partial \ell_i}{\partial \hat y_i} = e^{\hat y_i} - y_i
        \ (\texttt{log\_input=True}).

    ``full`` changes nothing (:math:`\log y!` is constant in the prediction). The rate form
    is computed as :math:`(\lambda - y)/\lambda` (the difference is exact near the optimum),
    with its limits 1 at :math:`\lambda = +\infty` and at :math:`\lambda = y = 0`, and
    ``-inf`` at :math:`\lambda = 0 < y`. The log-rate form is computed as
    :math:`y \operatorname{expm1}(\hat y - \log y)` where :math:`e^{\hat y} < 2y`, so it is
    exact at :math:`\hat y \to 0` for :math:`y = 1`. ``sample_weight`` multiplies it, as for
    :func:`~lossnotes.mse_grad`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.poisson_grad([0.0, 1.0, 2.0], [0.5, 1.0, 4.0])
    array([1. , 0. , 0.5])
    >>> print(f"{float(ln.poisson_grad([1.0], [1e-10], log_input=True)[0]):.6e}")
    1.000000e-10
    """
    y, p, log_input = _poisson_inputs(y_true, y_pred, log_input)
    check_flag(full, "full")
    if log_input:
        g = np.exp(p)
        # e^x - y cancels where e^x is close to y: there y expm1(x - log y) keeps the digits.
        t = p - np.log(y)
        near = (y > 0) & (t < math.log(2))
        if near.any():
            g[near] = y[near] * np.expm1(t[near])
        g -= np.where(near, 0, y).astype(g.dtype)
        return weigh(g, sample_weight)[()]
    g = np.subtract(p, y, out=np.empty_like(p))
    g /= p
    if has_nan(g):  # inf / inf (an infinite rate) and 0 / 0 (rate and count 0): the limit 1
        np.copyto(g, 1, where=np.isnan(g))
    return weigh(g, sample_weight)[()]


# --------------------------------------------------------------------------------------------
# Gaussian negative log-likelihood
# --------------------------------------------------------------------------------------------


def variance(var, y_pred: np.ndarray) -> np.ndarray:
    """``var`` as positive finite variances in ``y_pred``'s dtype: a scalar, or an array of
    ``y_pred``'s shape (nothing else is broadcast)."""
    if isinstance(var, (bool, np.bool_)):
        raise TypeError(f"var must be a positive variance or an array of them; found {var!r} "
                        "(a bool)")
    v = as_float_array(var, "var", dtype=y_pred.dtype)
    if v.ndim and v.shape != y_pred.shape:
        raise ValueError(f"var has shape {v.shape} but y_pred has shape {y_pred.shape}; "
                         "expected a scalar or y_pred's shape (nothing is broadcast: for one "
                         "variance per sample, repeat it along the last axis)")
    if v.size and not (np.minimum.reduce(v, axis=None) > 0
                       and np.maximum.reduce(v, axis=None) < np.inf):
        bad = ~((v > 0) & (v < np.inf))
        raise ValueError(f"var must hold positive finite variances; found {first(v, bad)!r} "
                         f"{_where(bad)}")
    return v


#: The constant of the full Gaussian negative log-likelihood, log(2 pi) / 2.
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


@quiet
def gaussian_nll_loss(y_true, y_pred, *, var=1.0, full: bool = False,
                      reduction: str = "mean", sample_weight=None):
    r"""Gaussian negative log-likelihood of the targets under a predicted mean and variance.

    For a target :math:`y`, a predicted mean :math:`\hat y` and variance :math:`\sigma^2`,
    :math:`-\log \mathcal N(y; \hat y, \sigma^2) = \tfrac12 \bigl(\log \sigma^2 +
    (y - \hat y)^2 / \sigma^2\bigr) + \tfrac12 \log 2\pi`; the constant is left out unless
    ``full=True``:

    .. math::

        \ell_i = \frac12 \Bigl(\log \sigma_i^2 + \frac{(y_i - \hat y_i)^2}{\sigma_i^2}\Bigr)
        \; \Bigl[+ \tfrac12 \log 2\pi\Bigr].

    With :math:`\sigma^2 = 1` it is half the squared error; a network that also predicts
    :math:`\sigma^2` learns to widen it where its errors are large.

    Parameters
    ----------
    y_true : array_like
        Targets.
    y_pred : array_like
        Predicted means, the same shape as ``y_true``.
    var : float or array_like, default 1.0
        The predicted variances :math:`\sigma^2 > 0`: one for every element (``y_pred``'s
        shape) or a scalar for all.
    full : bool, default False
        Whether to add the constant :math:`\tfrac12 \log 2\pi`.
    reduction : {"mean", "sum", "none"}, default "mean"
    sample_weight : array_like, optional
        As for :func:`~lossnotes.mse`: ``"mean"`` is :math:`\sum_i w_i \ell_i / \sum_i w_i`.

    Returns
    -------
    ndarray or scalar
        ``y_pred``'s shape for ``"none"``, else a scalar; ``y_pred``'s dtype.

    Raises
    ------
    ValueError
        As for :func:`~lossnotes.mse`, and for a variance that is not positive and finite or
        an array ``var`` of another shape than ``y_pred``; a TypeError for a bool ``var`` or
        ``full``.

    Notes
    -----
    torch's ``gaussian_nll_loss(input, target, var, full=False, eps=1e-6)`` takes the
    prediction first, clamps the variance to at least ``eps`` (without telling autograd: the
    derivative with respect to ``var`` ignores the clamp), refuses negative variances, and
    broadcasts a ``var`` that is one dimension short of ``input`` (one variance per sample);
    here a variance of 0 is refused rather than clamped, and ``var`` must be a scalar or of
    ``y_pred``'s shape. Keras has no such loss.

    For :math:`\sigma^2 < 1` the two terms have opposite signs and the loss crosses 0, where
    no float formula is accurate in ulps; for :math:`\sigma^2 \ge 1` both are
    non-negative.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.gaussian_nll_loss([0.0, 0.0], [1.0, 2.0], var=1.0, reduction="none")  # r^2 / 2
    array([0.5, 2. ])
    >>> print(f"{float(ln.gaussian_nll_loss([0.0], [2.0], var=4.0, full=True)):.8f}")
    2.11208571
    """
    full = check_flag(full, "full")
    r = _residual(y_true, y_pred)
    v = variance(var, r)
    # (r / 2) (r / var): r^2 alone would overflow where the loss does not (float16, var > 1)
    loss = np.divide(r, v)
    r *= 0.5
    loss *= r
    loss += 0.5 * np.log(v)
    if full:
        loss += loss.dtype.type(HALF_LOG_2PI)
    return reduce(loss, reduction, sample_weight)


@quiet
def gaussian_nll_loss_grad(y_true, y_pred, *, var=1.0, full: bool = False,
                           sample_weight=None):
    r"""Derivative of the unreduced :func:`gaussian_nll_loss` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_i} = \frac{\hat y_i - y_i}{\sigma_i^2},

    the residual in units of the variance (``full`` adds a constant and changes nothing).
    ``sample_weight`` multiplies it, as for :func:`~lossnotes.mse_grad`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.gaussian_nll_loss_grad([0.0, 0.0], [1.0, 2.0], var=4.0)
    array([0.25, 0.5 ])
    """
    check_flag(full, "full")
    r = _residual(y_true, y_pred)
    v = variance(var, r)
    np.subtract(0, r, out=r)  # y_pred - y_true, +0 at a zero residual
    r /= v
    return weigh(r, sample_weight)[()]


# --------------------------------------------------------------------------------------------
# negative log-likelihood of a class
# --------------------------------------------------------------------------------------------


def _log_probabilities(x: np.ndarray, name: str) -> None:
    if x.size and not np.maximum.reduce(x, axis=None) <= 0:  # a NaN fails too
        check_no_nan(x, name)
        bad = x > 0
        raise ValueError(
            f"{name} must hold log-probabilities, numbers <= 0 (-inf allowed); found "
            f"{first(x, bad)!r} {_where(bad)}. For scores (logits) use "
            "sparse_categorical_cross_entropy(labels, y_pred, from_logits=True)")


def nll_inputs(labels, y_pred, axis):
    """Class indices and log-probabilities with the classes along ``axis``."""
    y_pred = as_floats(y_pred, "y_pred")
    _log_probabilities(y_pred, "y_pred")
    axis = check_axis(axis, y_pred.ndim)
    labels = _asarray(labels, "labels")
    _check_classes(y_pred, axis)
    check_class_labels(labels, y_pred, axis)
    return labels.astype(np.intp, copy=False), y_pred, axis


@quiet
def nll_loss(labels, y_pred, *, axis: int = -1, reduction: str = "mean", sample_weight=None,
             class_weight=None):
    r"""Negative log-likelihood of the true class, given log-probabilities.

    .. math::

        \ell_i = -\log p_{i, c_i} = -\hat y_{i, c_i},
        \qquad \hat y_{ik} = \log p_{ik} \le 0.

    It only picks and negates: the logarithm was taken before (by a ``log_softmax`` layer).
    On the log of probabilities it is :func:`sparse_categorical_cross_entropy` of the
    probabilities, and on ``log_softmax(z)`` it is the sparse cross-entropy of the logits
    :math:`z`, which is how torch builds ``F.cross_entropy``:
    ``F.nll_loss(F.log_softmax(z, dim=1), labels)``.

    Parameters
    ----------
    labels : array_like of int
        Class indices :math:`c_i \in \{0, \dots, C-1\}`, of ``y_pred``'s shape without
        ``axis``.
    y_pred : array_like
        Log-probabilities (numbers :math:`\le 0`, ``-inf`` allowed), classes along ``axis``.
        Each entry is read as the log of its class's probability; the rows are not
        renormalised (nor required to be: only the true class's entry is used).
    axis : int, default -1
        The class axis (torch puts classes on axis 1).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` averages over samples, like torch's ``"mean"`` without class weights.
    sample_weight : array_like, optional
        Finite non-negative weights, one per sample (``labels``' shape, or its leading axes);
        ``"mean"`` is :math:`\sum_i w_i \ell_i / \sum_i w_i`, as for :func:`~lossnotes.mse`.
    class_weight : array_like, optional
        One finite non-negative weight :math:`c_k` per class, torch's ``weight=``: each
        sample's loss is multiplied by its label's weight, and ``"mean"`` divides by the sum
        of those, :math:`\sum_i w_i c_{y_i} \ell_i / \sum_i w_i c_{y_i}` (torch's definition;
        with class weights alone, :math:`\sum_i c_{y_i} \ell_i / \sum_i c_{y_i}`), as for
        :func:`~lossnotes.sparse_categorical_cross_entropy`.

    Returns
    -------
    ndarray or scalar
        ``labels``' shape for ``"none"``, else a scalar; ``y_pred``'s dtype.

    Raises
    ------
    ValueError
        On labels of the wrong shape or outside [0, C), a positive entry or NaN in
        ``y_pred`` (logits belong in the sparse cross-entropy with ``from_logits=True``), a bad
        axis or an unknown reduction.

    Notes
    -----
    A true class with log-probability ``-inf`` costs ``+inf``. Keras has no loss on
    log-probabilities: ``keras.losses.sparse_categorical_crossentropy(labels, y_pred,
    from_logits=True)`` gives the same number for rows of log-probabilities (their
    ``log_softmax`` is themselves) but renormalises any other row, and its gradient is that of
    the logits, :math:`\operatorname{softmax}(\hat y) - [k = c]`, not :math:`-[k = c]`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> import numpy as np
    >>> log_p = np.log([[0.7, 0.2, 0.1], [0.25, 0.25, 0.5]])
    >>> ln.nll_loss([1, 2], log_p, reduction="none").round(6)  # -log 0.2, -log 0.5
    array([1.609438, 0.693147])
    """
    index, y_pred, axis = nll_inputs(labels, y_pred, axis)
    c = _class_weights(class_weight, y_pred, axis, reduction)
    loss = _pick(y_pred, index, axis)  # a new array
    np.negative(loss, out=loss)
    target = None if c is None else c[index]  # each label's class weight
    if target is not None:
        _xmul(loss, target, out=loss)  # a class weight of 0 drops even an infinite term
    return reduce(loss, reduction, sample_weight, target_weight=target)


@quiet
def nll_loss_grad(labels, y_pred, *, axis: int = -1, sample_weight=None, class_weight=None):
    r"""Derivative of the unreduced :func:`nll_loss` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_{ik}} = -[k = c_i],

    -1 at the true class and 0 elsewhere, whatever the values: the log-probabilities are
    treated as free variables (through a ``log_softmax`` the chain rule turns this into
    :math:`\operatorname{softmax}(z) - [k = c]` for the logits). ``class_weight`` multiplies
    the rows whose label is that class, and ``sample_weight`` each row, as for
    :func:`~lossnotes.sparse_categorical_cross_entropy_grad`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.nll_loss_grad([1], [[-0.5, -1.0, -2.0]])
    array([[ 0., -1.,  0.]])
    """
    index, y_pred, axis = nll_inputs(labels, y_pred, axis)
    g = np.subtract(0, _one_hot(index, y_pred, axis))  # +0 elsewhere, not -0
    c = _class_weights(class_weight, y_pred, axis)
    if c is not None:
        _xmul(g, np.expand_dims(c[index], axis), out=g)
    return _weigh_rows(g, sample_weight, axis)
