"""The losses as ``torch.nn.functional`` computes them: the same names and arguments as
the exact functions of ``lossnotes``.

``lossnotes.binary_cross_entropy`` is the mathematics;
``lossnotes.like_torch.binary_cross_entropy`` is what ``F.binary_cross_entropy`` returns for the
same inputs, repeated operation by operation in NumPy: each log clamped at -100, the backward's
division by ``max(p (1 - p), 1e-12)``, the literal ``log_softmax`` that gives nan at an infinite
logit, ``log(1 + exp(-m))`` evaluated directly in ``soft_margin_loss``, labels used as given,
the gradient -1 that ``clamp`` passes at the hinge's kink. Where torch computes the mathematics
itself the function is the exact one (``like_torch.mse is lossnotes.mse``).

torch has no ``sample_weight``: its way is ``reduction="none"`` and a weighted sum by hand,
which these functions reproduce, ``(w * loss).sum() / w.sum()`` for ``"mean"`` (a weight of 0
leaves a ``nan`` a ``nan``). ``class_weight`` is ``F.cross_entropy``'s ``weight=``: each
class's term times its weight, and without sample weights the mean divides by the sum of the
labels' class weights for class indices, by the number of rows for probability targets.
``pos_weight`` is ``F.binary_cross_entropy_with_logits``'s (logits only). ``ignore_index`` is
``F.cross_entropy``'s: an ignored label's value is 0, and without sample weights the mean
leaves it out of the denominator (with them, the sum of all the weights divides, as a mean
written by hand does).

Each function validates its inputs as the exact one does, except where torch accepts more
(labels of 0 in the margin losses); the measured behaviour behind every line is checked against
torch by ``tests/test_compare.py`` and ``python -m lossnotes``.
"""

from __future__ import annotations

import math

import numpy as np

from . import (
    _conventions,
    _focal_conventions,
    _margin,
    _multiclass_margin,
    _multilabel,
    _overlap_conventions,
)
from . import _ctc as _ctc_module
from ._divergence import (  # F.nll_loss picks and negates: the exact function
    HALF_LOG_2PI,
    _poisson_inputs,
    kl_inputs,
    nll_loss,
    nll_loss_grad,
    variance,
)
from ._focal import (  # no such loss in torch; the plain-torch formula is the mathematics
    categorical_generalized_cross_entropy,
    categorical_generalized_cross_entropy_grad,
)
from ._links import _one_hot, _pick, log_sigmoid

# What torch computes as the mathematics is the exact function itself.
from ._margin import hinge, squared_hinge, squared_hinge_grad
from ._multilabel import multilabel_soft_margin_loss_grad
from ._regression import _residual, huber, huber_grad, mae, mae_grad, mse, mse_grad
from ._regression_more import log_cosh, log_cosh_grad  # the stable form, with torch ops
from ._triplet import (
    _distance_terms,
    _p_terms,
    _triplet_grad,
    triplet_margin_loss,  # torch's pairwise_distance and eps: the exact one
    triplet_margin_with_distance_loss,
)
from ._validation import check_axis, check_flag, pair, quiet

__all__ = [  # the names of the exact functions
    "margin", "hinge", "hinge_grad", "squared_hinge", "squared_hinge_grad",
    "logistic", "logistic_grad",
    "binary_cross_entropy", "binary_cross_entropy_grad", "categorical_cross_entropy",
    "categorical_cross_entropy_grad", "sparse_categorical_cross_entropy",
    "sparse_categorical_cross_entropy_grad", "mse", "mse_grad", "mae", "mae_grad", "huber",
    "huber_grad", "binary_focal_cross_entropy", "binary_focal_cross_entropy_grad",
    "categorical_focal_cross_entropy", "categorical_focal_cross_entropy_grad", "dice",
    "dice_grad", "tversky", "tversky_grad", "categorical_generalized_cross_entropy",
    "categorical_generalized_cross_entropy_grad",
    # divergences, counts and positive targets, robust regression
    "kl_divergence", "kl_divergence_grad", "poisson", "poisson_grad", "gaussian_nll_loss",
    "gaussian_nll_loss_grad", "log_cosh", "log_cosh_grad", "mean_absolute_percentage_error",
    "mean_absolute_percentage_error_grad", "mean_squared_logarithmic_error",
    "mean_squared_logarithmic_error_grad", "nll_loss", "nll_loss_grad",
    # similarity
    "negative_cosine_similarity", "negative_cosine_similarity_grad",
]

CONVENTION = "torch"


def margin(y, score):
    r"""``y * score`` with the labels as given: -1, 0 or +1 (a 0 label makes the margin 0).

    A hand-written ``clamp(1 - y * x, min=0)`` and ``F.soft_margin_loss`` read labels as they
    are; a 0 times an infinite score is ``nan``.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.margin([1, 0, -1], [2.0, 0.5, -0.25])
    array([2.  , 0.  , 0.25])
    """
    return _conventions.margin_of(CONVENTION, y, score)


def hinge_grad(m, *, sample_weight=None):
    r"""The derivative of ``clamp(1 - m, min=0)`` that ``torch.autograd`` reports.

    ``torch.autograd`` passes the gradient of ``clamp(1 - m, min=0)`` at the bound: -1 for
    :math:`m \le 1`, the kink included, and 0 above (lossnotes chooses 0 at the kink).

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.hinge_grad([0.0, 1.0, 2.0])
    array([-1., -1.,  0.])
    """
    return _conventions.weighted_grad(_conventions.hinge_grad(_margin._m(m)), sample_weight)


@quiet
def logistic(m, *, reduction="none", sample_weight=None):
    r"""``F.soft_margin_loss``'s ``log(1 + exp(-m))``, evaluated directly.

    ``exp(-m)`` overflows for a margin below about -709 in float64 (-88 in float32): the loss
    is then ``inf`` where the exact one is :math:`-m`. ``reduction`` as in
    :func:`lossnotes.logistic` (``F.soft_margin_loss`` defaults to ``"mean"``).

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.logistic([-1000.0, 0.0, 1000.0])  # exp(1000) overflows
    array([       inf, 0.69314718, 0.        ])
    """
    return _conventions.weighted(_conventions.logistic(_margin._m(m)), reduction, sample_weight)


def logistic_grad(m, *, sample_weight=None):
    r"""``F.soft_margin_loss``'s backward.

    It is :math:`-e/(1 + e)` with :math:`e = e^{-m}` evaluated
    directly, as ``F.soft_margin_loss``'s backward does: ``nan`` (:math:`\infty/\infty`) once
    :math:`e^{-m}` overflows.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.logistic_grad([-1000.0, 0.0, 1000.0])
    array([ nan, -0.5, -0. ])
    """
    return _conventions.weighted_grad(_conventions.logistic_grad(_margin._m(m)), sample_weight)


def binary_cross_entropy(y_true, y_pred, *, from_logits=False, reduction="mean",
                         sample_weight=None, pos_weight=None,
                         label_smoothing=0.0):
    r"""``F.binary_cross_entropy`` (``_with_logits`` for ``from_logits=True``).

    Each log is clamped at -100, so a certain and wrong prediction costs 100:

    .. math::

        \ell^{\text{torch}}_i = -\bigl(y_i \max(\log p_i, -100)
        + (1 - y_i) \max(\log(1 - p_i), -100)\bigr).

    With logits torch evaluates :math:`(1 - y) z - \log \sigma(z)` literally: an infinite
    logit gives ``nan`` where :math:`0 \cdot \infty` or :math:`\infty - \infty` appears.
    Keras's arithmetic, and both side by side: :func:`lossnotes.like_keras.binary_cross_entropy`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> import numpy as np
    >>> y, p = np.float32([1.0, 0.0]), np.float32([0.0, 1.0])
    >>> ln.like_torch.binary_cross_entropy(y, p, reduction="none")
    array([100., 100.], dtype=float32)
    """
    return _conventions.binary(CONVENTION, y_true, y_pred, from_logits, reduction,
                               sample_weight, pos_weight, label_smoothing)


def binary_cross_entropy_grad(y_true, y_pred, *, from_logits=False, sample_weight=None,
                              pos_weight=None,
                              label_smoothing=0.0):
    r"""The derivative of torch's binary cross-entropy that ``torch.autograd`` reports.

    torch's backward ignores its own -100 clamp:

    .. math::

        \frac{\partial \ell^{\text{torch}}}{\partial p} =
        \frac{p - y}{\max(p (1 - p), 10^{-12})},

    with the :math:`10^{-12}` a C ``float`` (9.99999996e-13) even in float64: :math:`\mp 10^{12}`
    at a certain and wrong prediction. With logits it is the exact :math:`\sigma(z) - y`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.binary_cross_entropy_grad([1.0, 1.0], [0.0, 0.5])
    array([-1.e+12, -2.e+00])
    """
    return _conventions.binary(CONVENTION, y_true, y_pred, from_logits,
                               sample_weight=sample_weight, pos_weight=pos_weight,
                               label_smoothing=label_smoothing)


def categorical_cross_entropy(y_true, y_pred, *, from_logits=False, axis=-1, reduction="mean",
                              sample_weight=None, class_weight=None,
                              label_smoothing=0.0):
    r"""``F.cross_entropy`` given ``log p`` (or the logits); rows need not sum to 1.

    ``log_softmax(log p)`` is :math:`\log(p / \sum p)`, so each row is renormalised:
    :math:`\ell^{\text{torch}}_i = -\sum_k y_{ik} \log (p_{ik} / \sum_j p_{ij})`, multiplied
    plainly (:math:`0 \cdot \log 0` is ``nan``). With logits a ``+inf`` logit, or a 0 target
    against a ``-inf`` one, gives ``nan``. Keras's arithmetic:
    :func:`lossnotes.like_keras.categorical_cross_entropy`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> round(float(ln.like_torch.categorical_cross_entropy([[0.0, 1.0, 0.0]],
    ...                                                     [[0.2, 0.2, 0.2]])), 6)  # log 3
    1.098612
    """
    return _conventions.categorical(CONVENTION, y_true, y_pred, from_logits, axis, reduction,
                                    sample_weight, class_weight, label_smoothing)


def categorical_cross_entropy_grad(y_true, y_pred, *, from_logits=False, axis=-1,
                                   sample_weight=None, class_weight=None,
                                   label_smoothing=0.0):
    r"""The derivative of torch's categorical cross-entropy that ``torch.autograd`` reports.

    Through the renormalisation, :math:`-y_{ik}/p_{ik} + \sum_j y_{ij} / \sum_j p_{ij}`: the
    exact derivative plus one constant per row, ``nan`` (:math:`0/0`) where
    :math:`p_{ik} = y_{ik} = 0`; see :func:`lossnotes.like_keras.categorical_cross_entropy_grad`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.categorical_cross_entropy_grad([[0.0, 1.0]], [[0.4, 0.6]]).round(6)
    array([[ 1.      , -0.666667]])
    """
    return _conventions.categorical(CONVENTION, y_true, y_pred, from_logits, axis,
                                    sample_weight=sample_weight, class_weight=class_weight,
                                    label_smoothing=label_smoothing)


def sparse_categorical_cross_entropy(labels, y_pred, *, from_logits=False, axis=-1,
                                     reduction="mean", sample_weight=None, class_weight=None,
                                     label_smoothing=0.0, ignore_index=None):
    r"""``F.nll_loss(log p, labels)`` (``F.cross_entropy`` for logits); rows need not sum to 1.

    ``F.nll_loss`` takes :math:`\log p_{i, c_i}` as it is, :math:`\ell^{\text{torch}}_i =
    -\log p_{i, c_i}`: no renormalisation, no clamp. With logits a row holding a ``+inf`` logit
    gives ``nan``.

    Examples
    --------
    >>> import lossnotes as ln
    >>> round(float(ln.like_torch.sparse_categorical_cross_entropy([1], [[0.2, 0.2, 0.2]])),
    ...       6)  # -log 0.2: no renormalisation
    1.609438
    """
    return _conventions.sparse(CONVENTION, labels, y_pred, from_logits, axis, reduction,
                               sample_weight, class_weight, label_smoothing, ignore_index)


def sparse_categorical_cross_entropy_grad(labels, y_pred, *, from_logits=False, axis=-1,
                                          sample_weight=None, class_weight=None,
                                          label_smoothing=0.0,
                                          ignore_index=None):
    r"""The derivative of torch's sparse categorical cross-entropy that ``torch.autograd`` reports.

    The exact derivative, except that :math:`0/0` gives ``nan`` at a zero probability of
    another class (autograd through ``torch.log``).

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.sparse_categorical_cross_entropy_grad([1], [[0.4, 0.6]]).round(6)
    array([[-0.      , -1.666667]])
    """
    return _conventions.sparse(CONVENTION, labels, y_pred, from_logits, axis,
                               sample_weight=sample_weight, class_weight=class_weight,
                               label_smoothing=label_smoothing, ignore_index=ignore_index)



# --------------------------------------------------------------------------------------------
# divergences, counts and positive targets, robust regression
# --------------------------------------------------------------------------------------------

#: ``F.poisson_nll_loss``'s default ``eps``, added to the rate inside the log.
TORCH_POISSON_EPS = 1e-8


@quiet
def kl_divergence(y_true, y_pred, *, axis=-1, reduction="mean", sample_weight=None):
    r"""``F.kl_div(torch.log(y_pred), y_true, reduction="none")`` summed over the classes.

    torch takes the log of the prediction as ``input`` and computes, per element,

    .. math::

        \ell^{\text{torch}}_{ik} = \operatorname{xlogy}(p_{ik}, p_{ik}) - p_{ik} \log q_{ik},

    so :math:`p = 0` with :math:`q > 0` gives 0, but :math:`p = q = 0` gives ``nan``
    (:math:`0 \cdot (-\infty)`). Rows need not sum to 1. ``reduction`` as lossnotes reduces
    (the mean over rows is torch's ``"batchmean"`` for an (N, C) input; torch's ``"mean"``
    averages over all N C elements, the divergence divided by C). ``sample_weight`` (one
    weight per row) and the mean are those of a weighted mean written by hand.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.kl_divergence([[1.0, 0.0]], [[1.0, 0.0]], reduction="none")
    array([nan])
    """
    p, q, axis = kl_inputs(y_true, y_pred, axis, exact=False)
    xlogy = np.where(p == 0, 0, p * np.log(p)).astype(p.dtype)
    return _conventions.weighted(np.asarray(np.sum(xlogy - p * np.log(q), axis=axis)),
                                 reduction, sample_weight)


@quiet
def kl_divergence_grad(y_true, y_pred, *, axis=-1, sample_weight=None):
    r"""The derivative ``torch.autograd`` reports through ``torch.log``: :math:`-p / q`
    computed plainly, ``nan`` (:math:`0/0`) where :math:`p = q = 0`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.kl_divergence_grad([[1.0, 0.0]], [[1.0, 0.0]])
    array([[-1., nan]])
    """
    p, q, axis = kl_inputs(y_true, y_pred, axis, exact=False)
    return _conventions.weighted_grad(-p / q, sample_weight, axis)[()]


def _stirling(y: np.ndarray) -> np.ndarray:
    """torch's ``full=True`` term: y log y - y + log(2 pi y) / 2 where y > 1, else 0."""
    big = np.where(y > 1, y, 1).astype(y.dtype)
    term = big * np.log(big) - big + 0.5 * np.log(y.dtype.type(2 * math.pi) * big)
    return np.where(y > 1, term, 0).astype(y.dtype)


@quiet
def poisson(y_true, y_pred, *, log_input=False, full=False, reduction="mean",
            sample_weight=None):
    r"""``F.poisson_nll_loss(y_pred, y_true, log_input=..., full=...)``'s arithmetic.

    .. math::

        \ell^{\text{torch}}_i = \begin{cases}
        e^{\hat y_i} - y_i \hat y_i & \texttt{log\_input=True} \text{ (torch's default)}, \\
        \lambda_i - y_i \log(\lambda_i + 10^{-8}) & \texttt{log\_input=False},
        \end{cases}

    and ``full=True`` adds Stirling's approximation of :math:`\log y!`,
    :math:`y \log y - y + \tfrac12 \log(2\pi y)`, for :math:`y > 1` only (0 below): it
    drops :math:`\log 1! = 0` correctly but misses :math:`\log\Gamma(1.5) = -0.12` at
    :math:`y = 0.5` and about :math:`1/(12 y)` above 1. ``sample_weight`` and the mean are
    those of a weighted mean written by hand (see the module's docstring).

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.poisson([1.0, 2.0], [1.0, 2.0], full=True, reduction="none").round(4)
    array([1.    , 1.2655])
    """
    y, p, log_input = _poisson_inputs(y_true, y_pred, log_input)
    full = check_flag(full, "full")
    if log_input:
        loss = np.exp(p) - y * p
    else:
        loss = p - y * np.log(p + p.dtype.type(TORCH_POISSON_EPS))
    if full:
        loss += _stirling(y)
    return _conventions.weighted(loss, reduction, sample_weight)


@quiet
def poisson_grad(y_true, y_pred, *, log_input=False, full=False, sample_weight=None):
    r"""The derivative ``torch.autograd`` reports: :math:`e^{\hat y} - y` with
    ``log_input=True``, :math:`1 - y / (\lambda + 10^{-8})` without.

    Examples
    --------
    >>> import lossnotes as ln
    >>> print(f"{float(ln.like_torch.poisson_grad([2.0], [0.0])[0]):.8e}")  # 1 - 2 / 1e-8
    -1.99999999e+08
    """
    y, p, log_input = _poisson_inputs(y_true, y_pred, log_input)
    check_flag(full, "full")
    g = np.exp(p) - y if log_input else 1 - y / (p + p.dtype.type(TORCH_POISSON_EPS))
    return _conventions.weighted_grad(g, sample_weight)[()]


#: ``F.gaussian_nll_loss``'s default ``eps``: the variance is clamped to at least this.
TORCH_GAUSSIAN_VAR_EPS = 1e-6


def _torch_variance(var, y_true, y_pred):
    r = _residual(y_true, y_pred)
    v = variance(var, r)
    return r, np.maximum(v, v.dtype.type(TORCH_GAUSSIAN_VAR_EPS))


@quiet
def gaussian_nll_loss(y_true, y_pred, *, var=1.0, full=False, reduction="mean",
                      sample_weight=None):
    r"""``F.gaussian_nll_loss(y_pred, y_true, var, full=..., eps=1e-6)``'s arithmetic: the
    variance clamped to at least :math:`10^{-6}`,

    .. math::

        \ell^{\text{torch}}_i = \frac12 \Bigl(\log \tilde\sigma_i^2
        + \frac{(y_i - \hat y_i)^2}{\tilde\sigma_i^2}\Bigr),
        \qquad \tilde\sigma^2 = \max(\sigma^2, 10^{-6}),

    so a variance of :math:`10^{-8}` counts as :math:`10^{-6}`. (torch also takes a variance
    of 0, clamped the same way; lossnotes refuses it here too.) ``sample_weight`` and the
    mean are those of a weighted mean written by hand (see the module's docstring).

    Examples
    --------
    >>> import lossnotes as ln
    >>> print(f"{float(ln.like_torch.gaussian_nll_loss([0.0], [1e-3], var=1e-8)):.6f}")
    -6.407755
    """
    full = check_flag(full, "full")
    r, v = _torch_variance(var, y_true, y_pred)
    loss = 0.5 * (np.log(v) + r * r / v)
    if full:
        loss += loss.dtype.type(HALF_LOG_2PI)
    return _conventions.weighted(loss, reduction, sample_weight)


@quiet
def gaussian_nll_loss_grad(y_true, y_pred, *, var=1.0, full=False, sample_weight=None):
    r"""The derivative ``torch.autograd`` reports: :math:`(\hat y - y) / \tilde\sigma^2`
    with the clamped variance.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.gaussian_nll_loss_grad([0.0], [1e-3], var=1e-8)
    array([1000.])
    """
    check_flag(full, "full")
    r, v = _torch_variance(var, y_true, y_pred)
    g = np.subtract(0, r) / v  # 0 - r: +0 at a zero residual
    return _conventions.weighted_grad(g, sample_weight)[()]


@quiet
def mean_absolute_percentage_error(y_true, y_pred, *, reduction="mean", sample_weight=None):
    r"""The percentage error written with torch ops, ``100 * (y_pred - y_true).abs() /
    y_true.abs()`` (torch has no such loss): a target of 0 divides by 0, ``inf``, or ``nan``
    for a prediction of 0 too. ``sample_weight`` and the mean are those of a weighted mean
    written by hand (see the module's docstring).

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.mean_absolute_percentage_error([0.0, 0.0, 2.0], [0.5, 0.0, 1.0],
    ...                                              reduction="none")
    array([inf, nan, 50.])
    """
    r = _residual(y_true, y_pred)
    return _conventions.weighted(100 * np.abs(r) / np.abs(np.asarray(y_true, dtype=r.dtype)),
                                 reduction, sample_weight)


@quiet
def mean_absolute_percentage_error_grad(y_true, y_pred, *, sample_weight=None):
    r"""``torch.autograd`` through ``(y_pred - y_true).abs() / y_true.abs()``:
    :math:`100 \operatorname{sign}(\hat y - y) / |y|`, ``inf`` at a target of 0 (``nan`` if the
    prediction is 0 too).

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.mean_absolute_percentage_error_grad([0.0, 2.0], [0.5, 1.0])
    array([ inf, -50.])
    """
    r = _residual(y_true, y_pred)
    g = 100 * np.sign(np.subtract(0, r)) / np.abs(np.asarray(y_true, dtype=r.dtype))
    return _conventions.weighted_grad(g, sample_weight)[()]



def _torch_log_difference(y_true, y_pred):
    y, p = pair(y_true, y_pred)
    return np.log1p(p) - np.log1p(y), p


@quiet
def mean_squared_logarithmic_error(y_true, y_pred, *, reduction="mean", sample_weight=None):
    r"""The squared logarithmic error written with torch ops (torch has no such loss),
    ``F.mse_loss(torch.log1p(y_pred), torch.log1p(y_true))``: the two ``log1p`` subtracted,
    ``nan`` below -1 and ``inf`` at -1. ``sample_weight`` and the mean are those of a
    weighted mean written by hand (see the module's docstring).

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.mean_squared_logarithmic_error([1.0, 0.0], [1.0, -2.0], reduction="none")
    array([ 0., nan])
    """
    d, _ = _torch_log_difference(y_true, y_pred)
    return _conventions.weighted(np.square(d), reduction, sample_weight)


@quiet
def mean_squared_logarithmic_error_grad(y_true, y_pred, *, sample_weight=None):
    r"""``torch.autograd`` through ``F.mse_loss(torch.log1p(y_pred), torch.log1p(y_true))``
    unreduced: :math:`2 (\operatorname{log1p}(\hat y) - \operatorname{log1p}(y)) / (1 + \hat y)`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.mean_squared_logarithmic_error_grad([1.0], [3.0])
    array([0.34657359])
    """
    d, p = _torch_log_difference(y_true, y_pred)
    return _conventions.weighted_grad(2 * d / (1 + p), sample_weight)[()]

# --------------------------------------------------------------------------------------------
# multiclass margins, similarity and metric learning
# --------------------------------------------------------------------------------------------

__all__ += ["multi_margin_loss", "multi_margin_loss_grad"]


def _torch_rival_terms(labels, y_pred, p, margin, weight, axis):
    """torch's ``(margin - z_y) + z_j`` per class (classes last), the true class's mask, the
    weight of each sample's class (or None), ``p`` and the class axis."""
    p, margin = _multiclass_margin._check_p(p), _multiclass_margin._check_margin(margin)
    index, z, axis = _multiclass_margin._label_inputs(labels, y_pred, axis)
    w = _multiclass_margin._class_weight(weight, index, z, axis)
    z = np.moveaxis(z, axis, -1)
    last = z.ndim - 1
    true = _one_hot(index, z, last, dtype=bool)
    d = (z.dtype.type(margin) - _pick(z, index, last))[..., None] + z
    d[true] = -np.inf  # the true class is skipped
    return d, true, w, p, axis


@quiet
def multi_margin_loss(labels, y_pred, *, p=1, margin=1.0, weight=None, axis=-1,
                      reduction="mean", sample_weight=None):
    r"""``F.multi_margin_loss`` as its kernel computes it, operation by operation.

    Per rival :math:`j \ne y`: :math:`d = (\text{margin} - z_y) + z_j` (in that order), a term
    :math:`d^p` where :math:`d > 0`, multiplied by :math:`w_y` after the power; their sum
    divided by :math:`C`. So a margin :math:`\infty - \infty` (the true class and a rival at
    the same infinity) is ``nan``, which fails :math:`d > 0` and costs 0, where lossnotes
    refuses it; and a weight of 0 times an infinite term is ``nan``, where lossnotes ignores
    the sample. Otherwise the exact :func:`lossnotes.multi_margin_loss`, rounded in another
    order. ``sample_weight`` (one weight per sample) and the mean are those of a weighted mean
    written by hand (torch's ``multi_margin_loss`` has no sample weights).

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.multi_margin_loss([0], [[float("inf"), float("inf"), 1.0]],
    ...                                 reduction="none")
    array([0.])
    """
    d, _, w, p, axis = _torch_rival_terms(labels, y_pred, p, margin, weight, axis)
    h = np.where(d > 0, d if p == 1 else d * d, 0).astype(d.dtype)
    if w is not None:
        h *= w[..., None]
    return _conventions.weighted(np.sum(h, axis=-1) / h.dtype.type(h.shape[-1]), reduction,
                                 sample_weight)


@quiet
def multi_margin_loss_grad(labels, y_pred, *, p=1, margin=1.0, weight=None, axis=-1,
                           sample_weight=None):
    r"""The derivative of ``F.multi_margin_loss`` that its backward kernel computes.

    :math:`h = 1/C` (``p=1``) or :math:`2 d / C` (``p=2``) at each rival with :math:`d > 0`,
    times :math:`w_y`; :math:`-\sum h` at the true class. An infinite :math:`d` with ``p=2``
    and a weight of 0 give ``nan``; a ``nan`` margin (:math:`\infty - \infty`) gives 0.

    Examples
    --------
    >>> import lossnotes as ln
    >>> (3 * ln.like_torch.multi_margin_loss_grad([0], [[2.0, 1.5, 1.8]])).round(12)
    array([[-2.,  1.,  1.]])
    """
    d, true, w, p, axis = _torch_rival_terms(labels, y_pred, p, margin, weight, axis)
    g = d.dtype.type(1 / d.shape[-1])
    h = np.where(d > 0, g if p == 1 else 2 * g * d, 0).astype(d.dtype)
    if w is not None:
        h *= w[..., None]
    h[true] = -np.sum(h, axis=-1).reshape(-1)
    return _conventions.weighted_grad(np.moveaxis(h, -1, axis), sample_weight, axis)[()]


# focal losses ----------------------------------------------------------------------------------


def binary_focal_cross_entropy(y_true, y_pred, *, gamma=2.0, apply_class_balancing=False,
                               alpha=0.25, from_logits=False, label_smoothing=0.0,
                               reduction="mean", sample_weight=None):
    r"""A focal loss written in plain torch, as torchvision's ``sigmoid_focal_loss`` is.

    torch.nn.functional has no focal loss; torchvision's ``sigmoid_focal_loss(inputs,
    targets, alpha=0.25, gamma=2)`` computes, from logits,
    ``ce = F.binary_cross_entropy_with_logits(z, y)``, ``p_t = p y + (1 - p)(1 - y)``,
    ``ce * (1 - p_t) ** gamma`` and, unless ``alpha < 0``, times
    :math:`\alpha_t = \alpha y + (1 - \alpha)(1 - y)`. On probabilities the same lines with
    ``F.binary_cross_entropy``, which clamps each log at -100 and whose backward divides by
    :math:`\max(p (1 - p), 10^{-12})`. :math:`1 - p_t` is formed by subtraction, as there.
    ``apply_class_balancing`` stands for torchvision's ``alpha >= 0``; ``label_smoothing``
    smooths the labels as Keras does. ``sample_weight`` and the mean are those of a weighted
    mean written by hand (see the module's docstring).

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.binary_focal_cross_entropy([1.0, 0.0], [0.0, 1.0], reduction="none")
    array([100., 100.])
    """
    return _focal_conventions.binary(CONVENTION, y_true, y_pred, gamma, apply_class_balancing,
                                     alpha, from_logits, label_smoothing, reduction,
                                     sample_weight)


def binary_focal_cross_entropy_grad(y_true, y_pred, *, gamma=2.0, apply_class_balancing=False,
                                    alpha=0.25, from_logits=False, label_smoothing=0.0,
                                    sample_weight=None):
    r"""The derivative of the plain-torch focal loss that ``torch.autograd`` reports: the
    product rule through the literal :math:`1 - p_t` and torch's cross-entropy, whose
    backward on probabilities ignores its -100 clamp.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.binary_focal_cross_entropy_grad([1.0], [0.0])  # torch's 1e-12 floor
    array([-1.e+12])
    """
    return _focal_conventions.binary(CONVENTION, y_true, y_pred, gamma, apply_class_balancing,
                                     alpha, from_logits, label_smoothing,
                                     sample_weight=sample_weight)


def categorical_focal_cross_entropy(y_true, y_pred, *, alpha=0.25, gamma=2.0, from_logits=False,
                                    label_smoothing=0.0, axis=-1, reduction="mean",
                                    sample_weight=None):
    r"""A categorical focal loss written in plain torch; neither torch.nn.functional nor
    torchvision has one.

    As a reader writes it: ``log_p = F.log_softmax(y_pred, dim=1)`` (or ``torch.log(y_pred)``
    on probabilities), ``p = log_p.exp()``, then
    ``-(alpha * (1 - p) ** gamma * y_true * log_p).sum(dim=1)``: no renormalisation, no clip,
    and a probability of exactly 0 against a target of 0 gives ``0 * -inf = nan``.
    ``sample_weight`` (one weight per row) and the mean are those of a weighted mean written
    by hand.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.categorical_focal_cross_entropy([[0.0, 1.0]], [[0.0, 1.0]])  # 0 * log 0
    np.float64(nan)
    """
    return _focal_conventions.categorical(CONVENTION, y_true, y_pred, alpha, gamma, from_logits,
                                          label_smoothing, axis, reduction, sample_weight)


def categorical_focal_cross_entropy_grad(y_true, y_pred, *, alpha=0.25, gamma=2.0,
                                         from_logits=False, label_smoothing=0.0, axis=-1,
                                         sample_weight=None):
    r"""The derivative of the plain-torch categorical focal loss that ``torch.autograd``
    reports: through ``log_p`` and then ``log_softmax``'s backward (or ``torch.log``'s).

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.categorical_focal_cross_entropy_grad([[0.0, 1.0]], [[0.0, 0.0]],
    ...                                                    from_logits=True).round(7)
    array([[ 0.0745717, -0.0745717]])
    """
    return _focal_conventions.categorical(CONVENTION, y_true, y_pred, alpha, gamma, from_logits,
                                          label_smoothing, axis, sample_weight=sample_weight)


# segmentation overlaps ---------------------------------------------------------------------------


def dice(y_true, y_pred, *, axis=-1, reduction="mean", sample_weight=None):
    r"""A Dice loss in plain torch (torch has none): ``1 - 2 * (y * p).sum(1) / (y.sum(1) +
    p.sum(1))``, literally: an empty row is ``0 / 0 = nan``.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.dice([[0.0, 0.0]], [[0.0, 0.0]], reduction="none")
    array([nan])
    """
    return _overlap_conventions.overlap(CONVENTION, y_true, y_pred, 0.5, 0.5, axis, True,
                                        reduction, sample_weight)


def dice_grad(y_true, y_pred, *, axis=-1, sample_weight=None):
    r"""The derivative of the plain-torch Dice loss that ``torch.autograd`` reports.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.dice_grad([[1.0, 0.0]], [[0.5, 0.5]])
    array([[-0.75,  0.25]])
    """
    return _overlap_conventions.overlap(CONVENTION, y_true, y_pred, 0.5, 0.5, axis, True,
                                        sample_weight=sample_weight)


def tversky(y_true, y_pred, *, alpha=0.5, beta=0.5, axis=-1, reduction="mean",
            sample_weight=None):
    r"""A Tversky loss in plain torch, with Keras's weights:
    ``1 - I / (I + alpha * ((1 - p) * y).sum(1) + beta * (p * (1 - y)).sum(1))``, no epsilon.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.tversky([[0.0, 0.0]], [[0.0, 0.0]], reduction="none")
    array([nan])
    """
    return _overlap_conventions.overlap(CONVENTION, y_true, y_pred, alpha, beta, axis, False,
                                        reduction, sample_weight)


def tversky_grad(y_true, y_pred, *, alpha=0.5, beta=0.5, axis=-1, sample_weight=None):
    r"""The derivative of the plain-torch Tversky loss that ``torch.autograd`` reports.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.tversky_grad([[1.0, 0.0]], [[0.5, 0.5]])
    array([[-0.75,  0.25]])
    """
    return _overlap_conventions.overlap(CONVENTION, y_true, y_pred, alpha, beta, axis, False,
                                        sample_weight=sample_weight)


__all__ += ["multilabel_soft_margin_loss", "multilabel_soft_margin_loss_grad"]


@quiet
def multilabel_soft_margin_loss(y_true, y_pred, *, weight=None, axis=-1, reduction="mean",
                                sample_weight=None):
    r"""``F.multilabel_soft_margin_loss`` as torch computes it, operation by operation.

    torch evaluates :math:`-(y \log\sigma(z) + (1 - y) \log\sigma(-z))` literally, multiplies
    by the class weight, sums over the last dimension and divides by C. A right infinite logit
    gives :math:`0 \cdot (-\infty)` = ``nan`` (the exact limit is 0), and a weight of 0 times
    a wrong infinite logit's ``inf`` is ``nan`` (lossnotes: 0). Its derivative is the exact
    one, :func:`lossnotes.multilabel_soft_margin_loss_grad` (torch's autograd gives
    :math:`(\sigma(z) - y) w / C` even where the loss is ``nan``). ``sample_weight`` (one
    weight per sample) and the mean are those of a weighted mean written by hand.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.multilabel_soft_margin_loss([[1, 0]], [[float("inf"), -1.0]],
    ...                                           reduction="none")
    array([nan])
    """
    y, z = _multilabel._checked(y_true, y_pred)
    terms = -(y * log_sigmoid(z) + (1 - y) * log_sigmoid(-z))
    return _multilabel._plain_class_mean(terms, z, weight, axis, reduction, sample_weight,
                                         CONVENTION)


__all__ += ["hinge_embedding_loss", "hinge_embedding_loss_grad"]


def _torch_embedding_terms(y_true, y_pred, margin):
    """Labels and distances as torch takes them (labels unchecked), the margin in their
    dtype."""
    y, x = pair(y_true, y_pred)
    return y, x, x.dtype.type(_multiclass_margin._check_margin(margin))


@quiet
def hinge_embedding_loss(y_true, y_pred, *, margin=1.0, reduction="mean", sample_weight=None):
    r"""``F.hinge_embedding_loss`` as torch computes it, labels unchecked.

    torch computes ``where(y != 1, max(0, margin - x), 0) + where(y != -1, x, 0)``: for labels
    in :math:`\{-1, +1\}` the exact :func:`lossnotes.hinge_embedding_loss`; any other label
    (0, 2, 0.5) charges both terms, :math:`x + \max(0, \text{margin} - x)`.
    ``sample_weight`` and the mean are those of a weighted mean written by hand.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.hinge_embedding_loss([0, 0], [0.3, 2.0], reduction="none")
    array([1., 2.])
    """
    y, x, margin = _torch_embedding_terms(y_true, y_pred, margin)
    far = np.where(y != 1, np.maximum(margin - x, 0), 0)
    return _conventions.weighted((far + np.where(y != -1, x, 0)).astype(x.dtype), reduction,
                                 sample_weight)


@quiet
def hinge_embedding_loss_grad(y_true, y_pred, *, margin=1.0, sample_weight=None):
    r"""The derivative of ``F.hinge_embedding_loss`` that ``torch.autograd`` reports.

    ``clamp_min`` passes the bound, so a dissimilar pair exactly at the margin gets -1 (the
    exact function chooses 0); a label other than -1 and +1 gets both terms' derivatives,
    :math:`1 - [x \le \text{margin}]`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.hinge_embedding_loss_grad([-1, 0, 0], [1.0, 0.3, 2.0])
    array([-1.,  0.,  1.])
    """
    y, x, margin = _torch_embedding_terms(y_true, y_pred, margin)
    near = np.where((y != 1) & (x <= margin), -1, 0)
    return _conventions.weighted_grad((near + np.where(y != -1, 1, 0)).astype(x.dtype),
                                      sample_weight)[()]


__all__ += ["multilabel_margin_loss", "multilabel_margin_loss_grad"]


def _torch_pair_terms(y_true, y_pred, axis):
    """torch's ``(1 - z_j) + z_k`` for every target class j and non-target class k (classes
    last; -inf elsewhere, and at a nan, which fails torch's test d > 0), and the axis."""
    pos, z, axis = _multilabel._zero_one_rows(y_true, y_pred, axis)
    pairs = pos[..., :, None] & ~pos[..., None, :]
    d = (1 - z)[..., :, None] + z[..., None, :]
    return np.where(pairs & ~np.isnan(d), d, -np.inf), axis


@quiet
def multilabel_margin_loss(y_true, y_pred, *, axis=-1, reduction="mean", sample_weight=None):
    r"""``F.multilabel_margin_loss`` as its kernel computes it, on the same 0/1 targets as
    :func:`lossnotes.multilabel_margin_loss` (torch takes them as indices padded with -1).

    Per pair of a target class j and a non-target class k: :math:`d = (1 - z_j) + z_k` (in that
    order), charged where :math:`d > 0`; the sum divided by C. A target class and a
    non-target class at the same infinity give :math:`d` = ``nan``, which fails the test and
    costs 0, where lossnotes refuses the margin :math:`\infty - \infty`. ``sample_weight``
    (one weight per sample) and the mean are those of a weighted mean written by hand.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.multilabel_margin_loss([[1, 0, 0]], [[float("inf"), float("inf"), 0.0]],
    ...                                      reduction="none")
    array([0.])
    """
    d, _ = _torch_pair_terms(y_true, y_pred, axis)
    t = np.maximum(d, 0).reshape(*d.shape[:-2], -1)
    return _conventions.weighted(np.sum(t, axis=-1) / t.dtype.type(d.shape[-1]), reduction,
                                 sample_weight)


@quiet
def multilabel_margin_loss_grad(y_true, y_pred, *, axis=-1, sample_weight=None):
    r"""The derivative of ``F.multilabel_margin_loss`` that its backward kernel computes:
    :math:`\mp 1/C` at the two classes of each pair with :math:`(1 - z_j) + z_k > 0` (so 0 at
    the kink and at a ``nan`` pair).

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.multilabel_margin_loss_grad([[1, 0, 0, 1]], [[0.1, 0.2, 0.4, 0.8]])
    array([[-0.5,  0.5,  0.5, -0.5]])
    """
    d, axis = _torch_pair_terms(y_true, y_pred, axis)
    return _conventions.weighted_grad(_multilabel._pair_gradient(d, axis), sample_weight,
                                      axis)[()]


# --------------------------------------------------------------------------------------------
# similarity
# --------------------------------------------------------------------------------------------

#: ``F.cosine_similarity``'s default ``eps``: each norm is raised to at least this.
TORCH_COSINE_EPS = 1e-8


def _torch_cosine_parts(y_true, y_pred, axis):
    """``F.cosine_similarity(y_pred, y_true)``'s pieces: the target row divided by its clamped
    norm, y_pred, its norm (inf where the squared norm overflows) and that norm clamped."""
    y, p = pair(y_true, y_pred)
    axis = check_axis(axis, p.ndim)
    eps = p.dtype.type(TORCH_COSINE_EPS)

    def norm(x):
        return np.sqrt(np.sum(x * x, axis=axis, keepdims=True))

    return y / np.maximum(norm(y), eps), p, norm(p), np.maximum(norm(p), eps), axis


@quiet
def negative_cosine_similarity(y_true, y_pred, *, axis=-1, reduction="mean",
                               sample_weight=None):
    r"""``-F.cosine_similarity(y_pred, y_true, dim=axis)`` (torch's cosine is a similarity,
    not a loss): each row divided by its norm raised to at least :math:`\epsilon = 10^{-8}`,

    .. math::

        \ell^{\text{torch}}_i = -\sum_k \frac{\hat y_{ik}}{\max(\lVert \hat y_i \rVert,
        \epsilon)} \frac{y_{ik}}{\max(\lVert y_i \rVert, \epsilon)},

    so a zero vector scores 0, vectors shorter than :math:`\epsilon` score less than their
    cosine, and a squared norm beyond the largest float scores 0 (a division by ``inf``).
    ``sample_weight`` and the mean are those of a weighted mean written by hand.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.negative_cosine_similarity([[1.0, 2.0], [1.0, 2.0]],
    ...                                          [[0.0, 0.0], [1e-9, 2e-9]], reduction="none")
    array([-0.       , -0.2236068])
    """
    b, p, _, n_c, axis = _torch_cosine_parts(y_true, y_pred, axis)
    return _conventions.weighted(-np.sum(p / n_c * b, axis=axis), reduction, sample_weight)


@quiet
def negative_cosine_similarity_grad(y_true, y_pred, *, axis=-1, sample_weight=None):
    r"""``torch.autograd`` through it: torch clamps the norms under ``no_grad``, so with
    :math:`b = y / \max(\lVert y \rVert, \epsilon)` and :math:`n = \max(\lVert \hat y \rVert,
    \epsilon)` it reports :math:`-(b/n - (\hat y \cdot b)\, \hat y / (n^2 \lVert \hat y \rVert))`,
    the exact derivative where the norm is at least :math:`\epsilon`, and :math:`-b/\epsilon`
    at a zero prediction.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.negative_cosine_similarity_grad([[3.0, 4.0]], [[0.0, 0.0]])
    array([[-60000000., -80000000.]])
    """
    b, p, n, n_c, axis = _torch_cosine_parts(y_true, y_pred, axis)
    along = np.sum(p * b, axis=axis, keepdims=True) / (n_c * n_c)
    g = -(b / n_c - np.where(n > 0, along * p / n, 0))
    return _conventions.weighted_grad(g, sample_weight, axis)[()]


__all__ += ["margin_ranking_loss", "margin_ranking_loss_grad"]


def _torch_ranking_terms(x1, x2, y, margin):
    """torch's ``-y * (x1 - x2) + margin``, labels unchecked (a nan where x1 and x2 are the same
    infinity)."""
    x1, x2 = pair(x1, x2, "x1", "x2")
    y, _ = pair(y, x1, "y", "x1")
    return y, -y * (x1 - x2) + x1.dtype.type(_multiclass_margin._check_margin(margin))


@quiet
def margin_ranking_loss(x1, x2, y, *, margin=0.0, reduction="mean", sample_weight=None):
    r"""``F.margin_ranking_loss`` as torch computes it: ``(-y * (x1 - x2) + margin).clamp_min(0)``,
    labels unchecked.

    For labels in :math:`\{-1, +1\}` the exact :func:`lossnotes.margin_ranking_loss`; a label 0
    makes every pair cost ``max(0, margin)``, and ``x1`` and ``x2`` at the same infinity give
    ``nan``.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.margin_ranking_loss([2.0, 1.0], [1.0, 3.0], [0, 2], margin=0.5,
    ...                                   reduction="none")
    array([0.5, 4.5])
    """
    _, t = _torch_ranking_terms(x1, x2, y, margin)
    return _conventions.weighted(np.maximum(t, 0), reduction, sample_weight)


@quiet
def margin_ranking_loss_grad(x1, x2, y, *, margin=0.0, sample_weight=None):
    r"""The derivatives of ``F.margin_ranking_loss`` that ``torch.autograd`` reports: ``clamp_min``
    passes the bound, so a pair exactly at the margin gets :math:`(-y, +y)` (the exact function
    chooses 0), and a ``nan`` term gets 0.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.margin_ranking_loss_grad([1.5, 1.0], [1.0, 1.0], [1, -1], margin=0.5)
    (array([-1.,  1.]), array([ 1., -1.]))
    """
    y, t = _torch_ranking_terms(x1, x2, y, margin)
    passes = t >= 0
    return (_conventions.weighted_grad(np.where(passes, -y, 0).astype(t.dtype), sample_weight),
            _conventions.weighted_grad(np.where(passes, y, 0).astype(t.dtype), sample_weight))


__all__ += ["cosine_embedding_loss", "cosine_embedding_loss_grad"]

#: What ``F.cosine_embedding_loss`` adds to each squared norm: ``EPSILON`` in ATen's Loss.cpp,
#: a C++ ``float`` 1e-12, so 9.99999996e-13 also in float64 (measured: the derivative at a zero
#: vector is 1/sqrt(eps) = 1000000.0020, not 999999.9999995).
TORCH_COSINE_EMBEDDING_EPS = float(np.float32(1e-12))


def _torch_cosine_terms(x1, x2, y, margin):
    """torch's arithmetic in the inputs' dtype: the labels (unchecked), x1, x2, the squared
    norms plus eps, their product's square root and the cosine."""
    x1, x2 = pair(x1, x2, "x1", "x2")
    y = np.asarray(y, dtype=x1.dtype)
    eps = x1.dtype.type(TORCH_COSINE_EMBEDDING_EPS)
    a, b = np.sum(x1 * x1, axis=-1) + eps, np.sum(x2 * x2, axis=-1) + eps
    denom = np.sqrt(a * b)
    cos = np.sum(x1 * x2, axis=-1) / denom
    return y, x1, x2, a, b, denom, cos, x1.dtype.type(_multiclass_margin._check_margin(margin))


@quiet
def cosine_embedding_loss(x1, x2, y, *, margin=0.0, reduction="mean", sample_weight=None):
    r"""``F.cosine_embedding_loss`` as torch computes it: ``1e-12`` added to each squared norm.

    torch's cosine is :math:`\langle x_1, x_2 \rangle / \sqrt{(\|x_1\|^2 + \epsilon)
    (\|x_2\|^2 + \epsilon)}` with :math:`\epsilon = 10^{-12}`, so a zero vector has cosine 0
    (a similar pair costs 1, a dissimilar one :math:`\max(0, -\text{margin})`) where the exact
    function refuses it, and a vector of norm near :math:`10^{-6}` or below has its cosine
    shrunk. ``1 - cos`` is computed as it reads; a label other than -1 and +1 costs 0.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_torch.cosine_embedding_loss([[0.0, 0.0], [1e-7, 0.0]], [[1.0, 0.0], [1.0, 0.0]],
    ...                                     [1, 1], reduction="none").round(6)
    array([1.      , 0.900496])
    """
    y, _, _, _, _, _, cos, margin = _torch_cosine_terms(x1, x2, y, margin)
    out = np.where(y == 1, 1 - cos, 0) + np.where(y == -1, np.maximum(cos - margin, 0), 0)
    return _conventions.weighted(out.astype(cos.dtype), reduction, sample_weight)


@quiet
def cosine_embedding_loss_grad(x1, x2, y, *, margin=0.0, sample_weight=None):
    r"""The derivatives of ``F.cosine_embedding_loss`` that ``torch.autograd`` reports, with its
    ``1e-12``: :math:`\partial \cos / \partial x_1 = x_2 / d - \langle x_1, x_2 \rangle
    (\|x_2\|^2 + \epsilon) \, x_1 / d^3`, :math:`d` the denominator; ``clamp_min`` passes the
    bound (a dissimilar pair at the margin gets the derivative of the cosine).

    Examples
    --------
    >>> import lossnotes as ln
    >>> d1, d2 = ln.like_torch.cosine_embedding_loss_grad([[0.0, 0.0]], [[1.0, 0.0]], [1])
    >>> print(d1.round(3), d2.round(3))
    [[-1000000.002       -0.   ]] [[-0. -0.]]
    """
    y, x1, x2, a, b, denom, cos, margin = _torch_cosine_terms(x1, x2, y, margin)
    p = (cos * denom)[..., None]
    d3 = (denom**3)[..., None]
    sign = np.where(y == 1, -1, np.where((y == -1) & (cos - margin >= 0), 1, 0))[..., None]
    sign = sign.astype(x1.dtype)
    return tuple(_conventions.weighted_grad(g, sample_weight, axis=-1 % g.ndim)
                 for g in (sign * (x2 / denom[..., None] - p * b[..., None] * x1 / d3),
                           sign * (x1 / denom[..., None] - p * a[..., None] * x2 / d3)))


__all__ += ["triplet_margin_loss", "triplet_margin_loss_grad"]


@quiet
def triplet_margin_loss_grad(anchor, positive, negative, *, margin=1.0, p=2.0, eps=1e-6,
                             swap=False, sample_weight=None):
    r"""The derivatives of ``F.triplet_margin_loss`` that ``torch.autograd`` reports: those of
    :func:`lossnotes.triplet_margin_loss_grad`, except at the kink (a triplet exactly the margin
    short, loss 0), where ``clamp_min`` passes the derivative of the distances (the exact
    function chooses 0).

    Examples
    --------
    >>> import lossnotes as ln
    >>> da, dp, dn = ln.like_torch.triplet_margin_loss_grad([[0.0, 0.0]], [[3.0, 4.0]],
    ...                                                     [[0.0, 6.0]], eps=0.0)
    >>> print(da, dp, dn)
    [[-0.6  0.2]] [[0.6 0.8]] [[ 0. -1.]]
    """
    terms, slopes, w2, dtype = _p_terms(anchor, positive, negative, margin, p, eps, swap)
    return _triplet_grad(terms, slopes, w2, dtype, at_kink=True, sample_weight=sample_weight,
                         mul=np.multiply)


__all__ += ["triplet_margin_with_distance_loss", "triplet_margin_with_distance_loss_grad"]


@quiet
def triplet_margin_with_distance_loss_grad(anchor, positive, negative, *, distance="euclidean",
                                           margin=1.0, swap=False, sample_weight=None):
    r"""The derivatives of ``F.triplet_margin_with_distance_loss`` that ``torch.autograd``
    reports: those of :func:`lossnotes.triplet_margin_with_distance_loss_grad`, except at the
    kink, where ``clamp_min`` passes the derivative of the distances.

    Examples
    --------
    >>> import lossnotes as ln
    >>> da, dp, dn = ln.like_torch.triplet_margin_with_distance_loss_grad(
    ...     [[1.0, 0.0]], [[0.0, 1.0]], [[-1.0, 0.0]], distance="cosine")
    >>> print(da, dp, dn)
    [[ 0. -1.]] [[-1.  0.]] [[0. 0.]]
    """
    terms, slopes, w2, dtype = _distance_terms(anchor, positive, negative, distance, margin,
                                               swap)
    return _triplet_grad(terms, slopes, w2, dtype, at_kink=True, sample_weight=sample_weight,
                         mul=np.multiply)


__all__ += ["ctc", "ctc_grad"]


@quiet
def ctc(labels, logits, *, input_lengths=None, label_lengths=None, blank=0, reduction="mean",
        sample_weight=None):
    r"""``F.ctc_loss`` on ``F.log_softmax(logits, -1)`` (time first): each sequence's loss is
    the exact one (:func:`lossnotes.ctc`, +inf without an alignment, as with torch's default
    ``zero_infinity=False``), and ``reduction="mean"`` divides each by its label length (at
    least 1) before the mean (with ``sample_weight``, the weighted mean of those quotients).

    Examples
    --------
    >>> import numpy as np
    >>> import lossnotes as ln
    >>> labels, logits = [[1, 0], [1, 1]], np.zeros((2, 3, 2))
    >>> ln.ctc(labels, logits, reduction="none").round(6)
    array([0.287682, 2.079442])
    >>> float(ln.like_torch.ctc(labels, logits).round(6))  # (log(4/3) + log(8) / 2) / 2
    0.663701
    """
    loss = _ctc_module.ctc(labels, logits, input_lengths=input_lengths,
                           label_lengths=label_lengths, blank=blank, reduction="none")
    if reduction != "mean":
        return _ctc_module.reduce(loss, reduction, sample_weight)
    _, y_len, *_ = _ctc_module._inputs(labels, logits, input_lengths, label_lengths, blank)
    return _ctc_module.reduce(loss / np.maximum(y_len, 1).astype(loss.dtype), "mean",
                              sample_weight)


@quiet
def ctc_grad(labels, logits, *, input_lengths=None, label_lengths=None, blank=0,
             sample_weight=None):
    r"""The derivative that ``torch.autograd`` reports for ``F.ctc_loss``: the exact one
    (:func:`lossnotes.ctc_grad`), except for a sequence without an alignment, whose loss is
    +inf and whose gradient torch makes NaN at every logit of its frames (0 after its input
    length), with the default ``zero_infinity=False``; ``zero_infinity=True`` gives 0,
    lossnotes' value.

    Examples
    --------
    >>> import numpy as np
    >>> import lossnotes as ln
    >>> g = ln.like_torch.ctc_grad([[1, 1]], np.zeros((1, 2, 2)))  # 1 1 needs 3 frames
    >>> bool(np.isnan(g).all()), bool((ln.ctc_grad([[1, 1]], np.zeros((1, 2, 2))) == 0).all())
    (True, True)
    """
    kw = {"input_lengths": input_lengths, "label_lengths": label_lengths, "blank": blank}
    g = _ctc_module.ctc_grad(labels, logits, sample_weight=sample_weight, **kw)
    impossible = np.isinf(_ctc_module.ctc(labels, logits, reduction="none", **kw))
    _, _, x_len, *_ = _ctc_module._inputs(labels, logits, input_lengths, label_lengths, blank)
    frames = np.arange(g.shape[1]) < x_len[:, None]
    return np.where((impossible[:, None] & frames)[..., None], np.nan, g).astype(g.dtype)
