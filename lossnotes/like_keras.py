"""The losses as ``tf.keras`` computes them: the same names and arguments as the exact
functions of ``lossnotes``.

``lossnotes.binary_cross_entropy`` is the mathematics;
``lossnotes.like_keras.binary_cross_entropy`` is what ``keras.losses.binary_crossentropy``
returns for the same inputs, repeated operation by operation in NumPy: the clip of probabilities
to ``[1e-7, 1 - 1e-7]``, ``log(1 - p)`` instead of ``log1p(-p)``, the renormalisation of
probability rows, the literal ``log_softmax`` that gives nan at an infinite logit, the
conversion of 0/1 labels for the hinge losses, the gradient -1 that autograd takes at the
hinge's kink. Where Keras computes the mathematics itself the function is the exact one
(``like_keras.mse is lossnotes.mse``).

Weights are Keras's: ``sample_weight`` multiplies each value plainly (a weight of 0 leaves a
``nan`` a ``nan``), and the cross-entropies' ``"mean"`` is Keras's default reduction
``sum_over_batch_size``, the weighted sum divided by the number of elements (not by the sum of
the weights, as lossnotes' weighted mean and Keras's ``"mean_with_sample_weight"`` do);
``class_weight`` is ``Model.fit(class_weight=)``, which weighs each sample by the weight of
the class at the ``argmax`` of its target row; ``pos_weight`` (logits only) is TensorFlow's
``tf.nn.weighted_cross_entropy_with_logits``; the sparse loss's ``ignore_index`` is Keras's
``ignore_class``: an ignored label's value is 0 and the mean divides the weighted sum by the
number of labels kept (0 when none is). The functions re-exported from lossnotes
(``mse``, ``mae``, ``huber``, the hinge losses) reduce weights as lossnotes does.

Each function validates its inputs as the exact one does, except where Keras accepts more
(hinge labels in {0, 1}); the measured behaviour behind every line is checked against Keras by
``tests/test_compare.py`` and ``python -m lossnotes``.
"""

from __future__ import annotations

import numpy as np

from . import _circle as _circle_module
from . import _conventions, _focal_conventions, _margin, _multiclass_margin, _overlap_conventions
from ._cross_entropy import _class_weights
from ._divergence import (  # Keras has no Gaussian NLL: written with keras.ops, it is exact
    _poisson_inputs,
    gaussian_nll_loss,
    gaussian_nll_loss_grad,
    kl_inputs,
    log_factorial,
    nll_inputs,
)
from ._links import _one_hot, _pick

# What Keras computes as the mathematics is the exact function itself.
from ._margin import hinge, squared_hinge, squared_hinge_grad
from ._multilabel import _plain_class_mean, multilabel_soft_margin_loss_grad
from ._regression import _residual, huber, huber_grad, mae, mae_grad, mse, mse_grad
from ._regression_more import log_cosh_grad  # tanh: Keras's derivative agrees
from ._validation import check_axis, check_flag, pair, quiet

__all__ = [  # the names of the exact functions
    "margin", "hinge", "hinge_grad", "squared_hinge", "squared_hinge_grad",
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

CONVENTION = "keras"


def margin(y, score):
    r"""``y * score`` with labels read as Keras's hinge losses read them.

    ``keras.losses.hinge`` and ``squared_hinge`` convert labels with :math:`2y - 1` when
    **every** label is 0 or 1; otherwise they use them as given. The conversion is all or
    nothing: labels [0, 1, 1] become [-1, 1, 1], but in [0, 1, -1] the single -1 turns it off
    and the 0 stays a 0 (margin 0). Labels must be -1, 0 or +1.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_keras.margin([1, 0, 1], [2.0, 0.5, -0.25])
    array([ 2.  , -0.5 , -0.25])
    >>> ln.like_keras.margin([1, 0, -1], [2.0, 0.5, -0.25])
    array([2.  , 0.  , 0.25])
    """
    return _conventions.margin_of(CONVENTION, y, score)


def hinge_grad(m, *, sample_weight=None):
    r"""The derivative of the hinge loss that ``tf.GradientTape`` reports.

    The value at the kink is -1 instead, which is
    what ``tf.GradientTape`` reports for ``keras.losses.hinge`` (the gradient of
    ``maximum(1 - m, 0)`` goes to its first argument on a tie) and ``torch.autograd`` for
    ``clamp(1 - m, min=0)`` (the gradient passes at the bound):

    .. math::

        L'_{\text{keras}}(m) = L'_{\text{torch}}(m) =
        \begin{cases} -1 & m \le 1 \\ 0 & m > 1 \end{cases}

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_keras.hinge_grad([0.0, 1.0, 2.0])
    array([-1., -1.,  0.])
    """
    return _conventions.weighted_grad(_conventions.hinge_grad(_margin._m(m)), sample_weight)


def binary_cross_entropy(y_true, y_pred, *, from_logits=False, reduction="mean",
                         sample_weight=None, pos_weight=None,
                         label_smoothing=0.0):
    r"""``keras.losses.binary_crossentropy``'s arithmetic, reduced as lossnotes reduces.

    The framework conventions, for probabilities, with :math:`\varepsilon = 10^{-7}` and
    :math:`1 - \varepsilon` rounded to ``y_pred``'s dtype (0.99999988 in float32):

    .. math::

        \ell^{\text{keras}}_i = -\bigl(y_i \log \tilde p_i + (1 - y_i) \log(1 - \tilde p_i)\bigr),
        \quad \tilde p_i = \operatorname{clip}(p_i, \varepsilon, 1 - \varepsilon),

        \ell^{\text{torch}}_i = -\bigl(y_i \max(\log p_i, -100)
        + (1 - y_i) \max(\log(1 - p_i), -100)\bigr).

    Keras evaluates :math:`\log(1 - \tilde p)` with ``log``, not ``log1p``, which costs relative
    precision for small :math:`p` in float32. For logits, Keras evaluates
    :math:`\max(z, 0) - z y + \log(1 + e^{-|z|})` and torch
    :math:`(1 - y) z - \log \sigma(z)`, literally: an infinite logit gives ``nan`` where
    :math:`0 \cdot \infty` or :math:`\infty - \infty` appears (Keras returns ``inf`` for
    :math:`z = -\infty, y = 1`).

    Examples
    --------
    >>> import lossnotes as ln
    >>> import numpy as np
    >>> y, p = np.float32([1.0, 0.0]), np.float32([0.0, 1.0])
    >>> ln.like_keras.binary_cross_entropy(y, p, reduction="none").round(4)
    array([16.1181, 15.9424], dtype=float32)
    """
    return _conventions.binary(CONVENTION, y_true, y_pred, from_logits, reduction,
                               sample_weight, pos_weight, label_smoothing)


def binary_cross_entropy_grad(y_true, y_pred, *, from_logits=False, sample_weight=None,
                              pos_weight=None,
                              label_smoothing=0.0):
    r"""The derivative of Keras's binary cross-entropy that ``tf.GradientTape`` reports.

    Under the framework conventions, for probabilities,

    .. math::

        \frac{\partial \ell^{\text{keras}}}{\partial p} =
        \Bigl(-\frac{y}{\tilde p} + \frac{1 - y}{1 - \tilde p}\Bigr)
        \mathbb{1}[\varepsilon \le p \le 1 - \varepsilon],

        \frac{\partial \ell^{\text{torch}}}{\partial p} =
        \frac{p - y}{\max(p (1 - p), 10^{-12})}:

    Keras's clip stops the gradient outside its range, while torch's backward ignores its own
    -100 clamp and returns :math:`\mp 10^{12}` at a certain and wrong prediction.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_keras.binary_cross_entropy_grad([1.0, 1.0], [0.0, 0.5])
    array([ 0., -2.])
    """
    return _conventions.binary(CONVENTION, y_true, y_pred, from_logits,
                               sample_weight=sample_weight, pos_weight=pos_weight,
                               label_smoothing=label_smoothing)


def categorical_cross_entropy(y_true, y_pred, *, from_logits=False, axis=-1, reduction="mean",
                              sample_weight=None, class_weight=None,
                              label_smoothing=0.0):
    r"""``keras.losses.categorical_crossentropy``'s arithmetic; rows need not sum to 1.

    The framework conventions for probabilities renormalise each row, Keras before clipping:

    .. math::

        \ell^{\text{keras}}_i = -\sum_k y_{ik} \log \operatorname{clip}\Bigl(
        \frac{p_{ik}}{\sum_j p_{ij}}, \varepsilon, 1 - \varepsilon\Bigr),

        \ell^{\text{torch}}_i = -\sum_k y_{ik} \log \frac{p_{ik}}{\sum_j p_{ij}},

    the latter because ``log_softmax(log p)`` is :math:`\log(p / \sum p)`. Both multiply
    plainly, so :math:`0 \cdot \log 0` is ``nan`` for torch (and, with logits, a
    ``+inf`` logit or a 0 target against a ``-inf`` one gives ``nan`` under both).

    Examples
    --------
    >>> import lossnotes as ln
    >>> round(float(ln.like_keras.categorical_cross_entropy([[0.0, 1.0, 0.0]],
    ...                                                     [[0.2, 0.2, 0.2]])), 6)  # log 3
    1.098612
    """
    return _conventions.categorical(CONVENTION, y_true, y_pred, from_logits, axis, reduction,
                                    sample_weight, class_weight, label_smoothing)


def categorical_cross_entropy_grad(y_true, y_pred, *, from_logits=False, axis=-1,
                                   sample_weight=None, class_weight=None,
                                   label_smoothing=0.0):
    r"""The derivative of Keras's categorical cross-entropy that ``tf.GradientTape`` reports.

    Both frameworks differentiate through their renormalisation of the probabilities: inside
    Keras's clip range, and always for torch,

    .. math::

        \frac{\partial \ell^{\text{keras}}_i}{\partial p_{ik}} =
        \frac{\partial \ell^{\text{torch}}_i}{\partial p_{ik}} =
        -\frac{y_{ik}}{p_{ik}} + \frac{\sum_j y_{ij}}{\sum_j p_{ij}},

    the exact derivative plus the same constant for every class of a row: a vector along
    :math:`(1, \dots, 1)`, a direction in which no change of :math:`p` within the simplex
    moves. Keras zeroes the gradient of entries it clipped; torch gives ``nan`` (:math:`0/0`)
    where :math:`p_{ik} = y_{ik} = 0`. With logits the conventions differ from the exact
    derivative at a ``+inf`` logit (``nan``), and Keras's also wherever a target row does not
    sum to 1: TensorFlow's fused kernel backpropagates
    :math:`\operatorname{softmax}(z_{i\cdot})_k - y_{ik}` whatever :math:`\sum_j y_{ij}` is.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_keras.categorical_cross_entropy_grad([[0.0, 1.0]], [[0.4, 0.6]]).round(6)
    array([[ 1.      , -0.666667]])
    """
    return _conventions.categorical(CONVENTION, y_true, y_pred, from_logits, axis,
                                    sample_weight=sample_weight, class_weight=class_weight,
                                    label_smoothing=label_smoothing)


def sparse_categorical_cross_entropy(labels, y_pred, *, from_logits=False, axis=-1,
                                     reduction="mean", sample_weight=None, class_weight=None,
                                     label_smoothing=0.0, ignore_index=None):
    r"""``keras.losses.sparse_categorical_crossentropy``'s arithmetic; rows need not sum to 1.

    Keras clips first and renormalises the clipped row afterwards (through the log-softmax
    of :math:`\log \tilde p`), the reverse of its categorical order; torch's ``nll_loss``
    takes :math:`\log p_{i, c_i}` as it is:

    .. math::

        \ell^{\text{keras}}_i = -\log \frac{\tilde p_{i, c_i}}{\sum_j \tilde p_{ij}},
        \quad \tilde p = \operatorname{clip}(p, \varepsilon, 1 - \varepsilon),
        \qquad
        \ell^{\text{torch}}_i = -\log p_{i, c_i}.

    With logits both conventions return ``nan`` for a row holding a ``+inf`` logit.

    Examples
    --------
    >>> import lossnotes as ln
    >>> round(float(ln.like_keras.sparse_categorical_cross_entropy([1], [[0.2, 0.2, 0.2]])),
    ...       6)  # log 3: Keras renormalises the row
    1.098612
    """
    return _conventions.sparse(CONVENTION, labels, y_pred, from_logits, axis, reduction,
                               sample_weight, class_weight, label_smoothing, ignore_index)


def sparse_categorical_cross_entropy_grad(labels, y_pred, *, from_logits=False, axis=-1,
                                          sample_weight=None, class_weight=None,
                                          label_smoothing=0.0,
                                          ignore_index=None):
    r"""The derivative of Keras's sparse categorical cross-entropy that ``tf.GradientTape`` reports.

    For Keras the derivative with respect to the probabilities is
    :math:`(\tilde p_{ik} / \sum_j \tilde p_{ij} - [k = c_i]) / \tilde p_{ik}` inside the
    clip range and 0 outside; for torch it is the exact one, except that :math:`0/0`
    gives ``nan`` at a zero probability of another class.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_keras.sparse_categorical_cross_entropy_grad([1], [[0.4, 0.6]]).round(6)
    array([[ 1.      , -0.666667]])
    """
    return _conventions.sparse(CONVENTION, labels, y_pred, from_logits, axis,
                               sample_weight=sample_weight, class_weight=class_weight,
                               label_smoothing=label_smoothing, ignore_index=ignore_index)



# --------------------------------------------------------------------------------------------
# divergences, counts and positive targets, robust regression
# --------------------------------------------------------------------------------------------


def _keras_clip(x: np.ndarray, hi: float = 1.0) -> np.ndarray:
    """``ops.clip(x, keras.config.epsilon(), hi)`` in ``x``'s dtype."""
    t = x.dtype.type
    return np.clip(x, t(_conventions.KERAS_EPSILON), t(hi))


@quiet
def kl_divergence(y_true, y_pred, *, axis=-1, reduction="mean", sample_weight=None):
    r"""``keras.losses.kl_divergence``'s arithmetic: both arguments clipped to
    :math:`[\varepsilon, 1]`, :math:`\varepsilon = 10^{-7}`, rows taken as they are.

    .. math::

        \ell^{\text{keras}}_i = \sum_k \tilde p_{ik} \log \frac{\tilde p_{ik}}{\tilde q_{ik}},
        \qquad \tilde p = \operatorname{clip}(p, \varepsilon, 1),
        \ \tilde q = \operatorname{clip}(q, \varepsilon, 1).

    A class with target 0 costs :math:`\varepsilon \log(\varepsilon / q)` (negative, about
    :math:`-10^{-6}`) instead of 0, and a prediction of 0 under a positive target costs
    :math:`p \log(p / \varepsilon)` instead of ``inf``. Rows need not sum to 1.
    ``sample_weight`` (one weight per row) and the mean are Keras's (see the module's
    docstring).

    Examples
    --------
    >>> import lossnotes as ln
    >>> print(f"{float(ln.like_keras.kl_divergence([[0.5, 0.5]], [[1.0, 0.0]])):.6f}")
    7.365901
    """
    p, q, axis = kl_inputs(y_true, y_pred, axis, exact=False)
    p, q = _keras_clip(p), _keras_clip(q)
    return _conventions.weighted(np.asarray(np.sum(p * np.log(p / q), axis=axis)), reduction,
                                 sample_weight, "keras")


@quiet
def kl_divergence_grad(y_true, y_pred, *, axis=-1, sample_weight=None):
    r"""The derivative of Keras's KL divergence that ``tf.GradientTape`` reports:
    :math:`-\tilde p / \tilde q` where :math:`\varepsilon \le q \le 1` (the clip passes the
    gradient, bounds included), 0 where the clip moved :math:`q`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_keras.kl_divergence_grad([[0.5, 0.5]], [[1.0, 0.0]])
    array([[-0.5,  0. ]])
    """
    p, q, axis = kl_inputs(y_true, y_pred, axis, exact=False)
    t = q.dtype.type
    inside = (q >= t(_conventions.KERAS_EPSILON)) & (q <= 1)
    g = np.where(inside, -_keras_clip(p) / _keras_clip(q), t(0))
    return _conventions.weighted_grad(g, sample_weight, axis)[()]


@quiet
def poisson(y_true, y_pred, *, log_input=False, full=False, reduction="mean",
            sample_weight=None):
    r"""``keras.losses.poisson``'s arithmetic: an epsilon inside the log.

    .. math::

        \ell^{\text{keras}}_i = \lambda_i - y_i \log(\lambda_i + \varepsilon),
        \qquad \varepsilon = 10^{-7},

    so a rate of 0 costs :math:`-y \log \varepsilon = 16.1 y` instead of ``inf``, and every
    rate is shifted by :math:`y \varepsilon / \lambda`. Keras has no log-rate form: with
    ``log_input=True`` this is Keras's loss of :math:`\lambda = e^{\hat y}` (a log-rate of
    -1000 underflows to the rate 0 and costs :math:`16.1 y` instead of :math:`1000 y`); and no
    ``full`` form: ``full=True`` adds the exact :math:`\log\Gamma(y + 1)`, as compare does
    with ``tf.math.lgamma``. ``sample_weight`` and the mean are Keras's (see the module's
    docstring).

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_keras.poisson([2.0], [0.0], reduction="none").round(4)
    array([32.2362])
    """
    y, p, log_input = _poisson_inputs(y_true, y_pred, log_input)
    full = check_flag(full, "full")
    rate = np.exp(p) if log_input else p
    loss = rate - y * np.log(rate + rate.dtype.type(_conventions.KERAS_EPSILON))
    if full:
        loss += log_factorial(y)
    return _conventions.weighted(loss, reduction, sample_weight, "keras")


@quiet
def poisson_grad(y_true, y_pred, *, log_input=False, full=False, sample_weight=None):
    r"""The derivative of Keras's Poisson loss that ``tf.GradientTape`` reports:
    :math:`1 - y / (\lambda + \varepsilon)`, and with ``log_input=True`` (the rate
    :math:`e^{\hat y}`) :math:`e^{\hat y} - y e^{\hat y} / (e^{\hat y} + \varepsilon)`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_keras.poisson_grad([2.0], [0.0])
    array([-19999999.])
    """
    y, p, log_input = _poisson_inputs(y_true, y_pred, log_input)
    check_flag(full, "full")
    rate = np.exp(p) if log_input else p
    g = 1 - y / (rate + rate.dtype.type(_conventions.KERAS_EPSILON))
    return _conventions.weighted_grad(g * rate if log_input else g, sample_weight)[()]


#: ``keras.losses.log_cosh``'s log 2: ``ops.log(2.0)`` is computed in float32 and then cast to
#: y_pred's dtype, so in float64 it is 0.6931471824645996, not 0.6931471805599453.
KERAS_LOG_2 = float(np.log(np.float32(2.0)))


@quiet
def log_cosh(y_true, y_pred, *, reduction="mean", sample_weight=None):
    r"""``keras.losses.log_cosh``'s arithmetic: :math:`x + \operatorname{softplus}(-2x) -
    \log 2` with :math:`x = \hat y - y` and :math:`\log 2` computed in float32.

    The form never overflows, but Keras takes ``ops.log(2.0)`` in float32 and casts it, so
    in float64 every value is :math:`1.9 \times 10^{-9}` below the loss (float32's
    :math:`\log 2` is 0.6931471824645996); for small :math:`|x|` the subtraction of
    :math:`\log 2` also leaves :math:`\tfrac12 x^2` with only absolute accuracy.
    ``sample_weight`` and the mean are Keras's (see the module's docstring).

    Examples
    --------
    >>> import lossnotes as ln
    >>> print(f"{float(ln.like_keras.log_cosh([0.0], [1e-8])):.3e}")  # the loss: 5.0e-17
    -1.905e-09
    """
    r = _residual(y_true, y_pred)
    x = np.subtract(0, r)
    t = -2 * x  # softplus(t) = max(t, 0) + log1p(exp(-|t|))
    softplus = np.maximum(t, 0) + np.log1p(np.exp(-np.abs(t)))
    return _conventions.weighted(x + softplus - x.dtype.type(KERAS_LOG_2), reduction,
                                 sample_weight, "keras")


def _keras_percentage(y_true, y_pred):
    r = _residual(y_true, y_pred)
    y = np.asarray(y_true, dtype=r.dtype)
    return r, np.maximum(np.abs(y), y.dtype.type(_conventions.KERAS_EPSILON))


@quiet
def mean_absolute_percentage_error(y_true, y_pred, *, reduction="mean", sample_weight=None):
    r"""``keras.losses.mean_absolute_percentage_error``'s arithmetic: it divides by
    :math:`\max(|y|, 10^{-7})`,

    .. math::

        \ell^{\text{keras}}_i = 100 \, \frac{|y_i - \hat y_i|}{\max(|y_i|, 10^{-7})},

    so a target of 0 is accepted and costs :math:`10^9 |\hat y|`. ``sample_weight`` and the
    mean are Keras's (see the module's docstring).

    Examples
    --------
    >>> import lossnotes as ln
    >>> print(f"{float(ln.like_keras.mean_absolute_percentage_error([0.0], [0.5])):.4g}")
    5e+08
    """
    r, m = _keras_percentage(y_true, y_pred)
    return _conventions.weighted(100 * np.abs(r / m), reduction, sample_weight, "keras")


@quiet
def mean_absolute_percentage_error_grad(y_true, y_pred, *, sample_weight=None):
    r"""The derivative ``tf.GradientTape`` reports: :math:`100 \operatorname{sign}(\hat y - y)
    / \max(|y|, 10^{-7})`, 0 at an exact prediction.

    Examples
    --------
    >>> import lossnotes as ln
    >>> print(f"{float(ln.like_keras.mean_absolute_percentage_error_grad([0.0], [0.5])[0]):.4g}")
    1e+09
    """
    r, m = _keras_percentage(y_true, y_pred)
    return _conventions.weighted_grad(100 * np.sign(np.subtract(0, r)) / m, sample_weight)[()]



def _keras_log_difference(y_true, y_pred):
    """``log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)``, Keras's two logs, and
    the predictions and epsilon in their dtype."""
    y, p = pair(y_true, y_pred)
    eps = p.dtype.type(_conventions.KERAS_EPSILON)
    return np.log(np.maximum(p, eps) + 1) - np.log(np.maximum(y, eps) + 1), p, eps


@quiet
def mean_squared_logarithmic_error(y_true, y_pred, *, reduction="mean", sample_weight=None):
    r"""``keras.losses.mean_squared_logarithmic_error``'s arithmetic: every value below
    :math:`\epsilon = 10^{-7}` is raised to it, then

    .. math::

        \ell^{\text{keras}}_i = \bigl(\log(\max(\hat y_i, \epsilon) + 1)
        - \log(\max(y_i, \epsilon) + 1)\bigr)^2,

    so a negative prediction is clipped, not refused, and the two logs cancel where the
    prediction is close to the target (absolute accuracy only). ``sample_weight`` and the
    mean are Keras's (see the module's docstring).

    Examples
    --------
    >>> import lossnotes as ln
    >>> print(f"{float(ln.like_keras.mean_squared_logarithmic_error([1.0], [-0.5])):.6f}")
    0.480453
    """
    d, _, _ = _keras_log_difference(y_true, y_pred)
    return _conventions.weighted(np.square(d), reduction, sample_weight, "keras")


@quiet
def mean_squared_logarithmic_error_grad(y_true, y_pred, *, sample_weight=None):
    r"""The derivative ``tf.GradientTape`` reports: :math:`2 d / (\hat y + 1)` with Keras's
    difference of logs :math:`d`, and 0 where the prediction is below :math:`\epsilon`
    (``maximum`` passes no gradient to the value it replaces).

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_keras.mean_squared_logarithmic_error_grad([1.0], [-0.5])
    array([0.])
    """
    d, p, eps = _keras_log_difference(y_true, y_pred)
    g = np.where(p >= eps, 2 * d / (np.maximum(p, eps) + 1), 0)
    return _conventions.weighted_grad(g, sample_weight)[()]


@quiet
def nll_loss(labels, y_pred, *, axis=-1, reduction="mean", sample_weight=None,
             class_weight=None):
    r"""``keras.losses.sparse_categorical_crossentropy(labels, y_pred, from_logits=True)``,
    Keras's nearest loss: it takes ``y_pred`` as logits and applies ``log_softmax`` first,

    .. math::

        \ell^{\text{keras}}_i = -\hat y_{i, c_i} + \log \sum_k e^{\hat y_{ik}},

    which is :func:`lossnotes.nll_loss` for rows of log-probabilities (the log of their sum is
    0) and renormalises any other row; evaluated literally, a row of only ``-inf`` gives
    ``nan``. ``sample_weight`` and the mean are Keras's, and ``class_weight`` is
    ``Model.fit``'s, a weight per sample for its label (see the module's docstring).

    Examples
    --------
    >>> import lossnotes as ln
    >>> print(f"{float(ln.like_keras.nll_loss([0], [[-1.0, -2.0, -3.0]])):.6f}")  # not 1
    0.407606
    """
    index, y, axis = nll_inputs(labels, y_pred, axis)
    loss = np.negative(_pick(_conventions.literal_log_softmax(y, axis), index, axis))
    c = _class_weights(class_weight, y, axis)
    if c is not None:
        loss *= c[index]
    return _conventions.weighted(loss, reduction, sample_weight, "keras")


@quiet
def nll_loss_grad(labels, y_pred, *, axis=-1, sample_weight=None, class_weight=None):
    r"""The derivative ``tf.GradientTape`` reports for the softmax cross-entropy on logits:
    :math:`\operatorname{softmax}(\hat y)_k - [k = c]`, which for log-probabilities is
    :math:`p_k - [k = c]` (lossnotes: :math:`-[k = c]`).

    Examples
    --------
    >>> import lossnotes as ln
    >>> import numpy as np
    >>> ln.like_keras.nll_loss_grad([1], np.log([[0.5, 0.5]]))
    array([[ 0.5, -0.5]])
    """
    index, y, axis = nll_inputs(labels, y_pred, axis)
    g = _conventions.literal_softmax(y, axis) - _one_hot(index, y, axis)
    c = _class_weights(class_weight, y, axis)
    if c is not None:
        g *= np.expand_dims(c[index], axis)
    return _conventions.weighted_grad(g, sample_weight, axis)[()]


# --------------------------------------------------------------------------------------------
# multiclass margins, similarity and metric learning
# --------------------------------------------------------------------------------------------

__all__ += ["categorical_hinge", "categorical_hinge_grad"]


def _keras_hinge_parts(y_true, y_pred, axis):
    """Keras's ``pos = sum(y z)``, ``v = (1 - y) z`` and ``neg = max(v)``, classes last, with
    NumPy's ``0 * inf = nan`` as TensorFlow's."""
    y, z, axis = _multiclass_margin._one_hot_inputs(y_true, y_pred, axis)
    y, z = np.moveaxis(y, axis, -1), np.moveaxis(z, axis, -1)
    v = (1 - y) * z
    return y, v, np.sum(y * z, axis=-1), np.max(v, axis=-1), axis


@quiet
def categorical_hinge(y_true, y_pred, *, axis=-1, reduction="mean", sample_weight=None):
    r"""``keras.losses.categorical_hinge``: ``max(max((1 - y) z) - sum(y z) + 1, 0)``.

    The true class enters the maximum as :math:`0 \cdot z_y = 0`, so Keras's rival is
    :math:`\max(0, \max_{j \ne y} z_j)`: where every rival's score is negative it charges
    :math:`\max(0, 1 - z_y)` instead of the exact :math:`\max(0, 1 - z_y + \max_{j \ne y}
    z_j)`. Any infinite score gives ``nan`` (:math:`0 \cdot \infty` in ``y z`` or
    ``(1 - y) z``). Inputs are checked as for :func:`lossnotes.categorical_hinge`.
    ``sample_weight`` (one weight per row) and the mean are Keras's (see the module's
    docstring).

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_keras.categorical_hinge([[0, 0, 1]], [[-3.0, -2.0, -1.0]], reduction="none")
    array([2.])
    """
    _, _, pos, neg, _ = _keras_hinge_parts(y_true, y_pred, axis)
    return _conventions.weighted(np.maximum(neg - pos + 1, 0), reduction, sample_weight,
                                 "keras")


@quiet
def categorical_hinge_grad(y_true, y_pred, *, axis=-1, sample_weight=None):
    r"""The derivative of Keras's categorical hinge that ``tf.GradientTape`` reports.

    ``maximum(e, 0)`` passes the gradient to ``e = neg - pos + 1`` where :math:`e \ge 0`, the
    kink included (-1 at the true class, +1 at the rival, where lossnotes chooses 0);
    ``reduce_max`` shares it among the entries of ``(1 - y) z`` equal to the maximum (the true
    class's 0 among them, which passes nothing on), and gives :math:`0/0` = ``nan`` to a whole
    row whose maximum is ``nan``.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_keras.categorical_hinge_grad([[1, 0, 0]], [[3.0, 2.0, 0.5]])  # the kink
    array([[-1.,  1.,  0.]])
    """
    y, v, pos, neg, axis = _keras_hinge_parts(y_true, y_pred, axis)
    up = (neg - pos + 1 >= 0)[..., None]  # False for nan, as TensorFlow's x >= y
    ties = v == neg[..., None]
    dv = up * (ties / np.sum(ties, axis=-1, keepdims=True))  # 0/0 = nan for a nan maximum
    g = np.moveaxis((1 - y) * dv - y * up, -1, axis).astype(v.dtype)
    return _conventions.weighted_grad(g, sample_weight, axis)[()]


# focal losses ----------------------------------------------------------------------------------


def binary_focal_cross_entropy(y_true, y_pred, *, gamma=2.0, apply_class_balancing=False,
                               alpha=0.25, from_logits=False, label_smoothing=0.0,
                               reduction="mean", sample_weight=None):
    r"""``keras.losses.binary_focal_crossentropy``'s arithmetic, reduced as lossnotes reduces.

    Keras forms :math:`p_t = y p + (1 - y)(1 - p)` and the factor :math:`(1 - p_t)^\gamma`
    literally (by subtraction, so it rounds to 0 for a confident right answer in float32),
    and multiplies it by its own binary cross-entropy: on probabilities, clipped to
    :math:`[10^{-7}, 1 - 10^{-7}]` (the gradient is 0 where it clipped); from logits, it
    applies ``keras.ops.sigmoid``, whose output remembers the logits, so
    ``binary_crossentropy`` evaluates :math:`\max(z, 0) - z y + \log(1 + e^{-|z|})` without a
    clip (an infinite logit gives ``nan``). ``sample_weight`` and the mean are Keras's (see
    the module's docstring).

    Examples
    --------
    >>> import lossnotes as ln
    >>> import numpy as np
    >>> y, p = np.float32([1.0, 0.0]), np.float32([0.0, 1.0])
    >>> ln.like_keras.binary_focal_cross_entropy(y, p, reduction="none").round(4)
    array([16.1181, 15.9424], dtype=float32)
    """
    return _focal_conventions.binary(CONVENTION, y_true, y_pred, gamma, apply_class_balancing,
                                     alpha, from_logits, label_smoothing, reduction,
                                     sample_weight)


def binary_focal_cross_entropy_grad(y_true, y_pred, *, gamma=2.0, apply_class_balancing=False,
                                    alpha=0.25, from_logits=False, label_smoothing=0.0,
                                    sample_weight=None):
    r"""The derivative of Keras's binary focal cross-entropy that ``tf.GradientTape`` reports:
    the product rule through the literal :math:`1 - p_t` and the clipped cross-entropy (its
    part 0 where the clip acts), or from logits through the sigmoid, whose backward is
    :math:`p (1 - p)` of its output.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_keras.binary_focal_cross_entropy_grad([1.0, 1.0], [0.0, 0.5]).round(6)
    array([-32.236191,  -1.193147])
    """
    return _focal_conventions.binary(CONVENTION, y_true, y_pred, gamma, apply_class_balancing,
                                     alpha, from_logits, label_smoothing,
                                     sample_weight=sample_weight)


def categorical_focal_cross_entropy(y_true, y_pred, *, alpha=0.25, gamma=2.0, from_logits=False,
                                    label_smoothing=0.0, axis=-1, reduction="mean",
                                    sample_weight=None):
    r"""``keras.losses.categorical_focal_crossentropy``'s arithmetic; rows need not sum to 1.

    Keras applies the softmax (from logits), divides each row by its sum, clips it to
    :math:`[10^{-7}, 1 - 10^{-7}]` and sums :math:`-\alpha (1 - o)^\gamma y \log o` over the
    clipped :math:`o`, the focal factor included:

    .. math::

        \ell^{\text{keras}}_i = -\alpha \sum_k y_{ik} (1 - o_{ik})^{\gamma} \log o_{ik},
        \qquad o_{ik} = \operatorname{clip}\Bigl(\frac{p_{ik}}{\sum_j p_{ij}},
        \varepsilon, 1 - \varepsilon\Bigr).

    ``sample_weight`` (one weight per row) and the mean are Keras's (see the module's
    docstring).

    Examples
    --------
    >>> import lossnotes as ln
    >>> round(float(ln.like_keras.categorical_focal_cross_entropy([[0.0, 1.0]], [[1.0, 0.0]])),
    ...       4)  # 0.25 * (1 - 1e-7)^2 * -log(1e-7), not inf
    4.0295
    """
    return _focal_conventions.categorical(CONVENTION, y_true, y_pred, alpha, gamma, from_logits,
                                          label_smoothing, axis, reduction, sample_weight)


def categorical_focal_cross_entropy_grad(y_true, y_pred, *, alpha=0.25, gamma=2.0,
                                         from_logits=False, label_smoothing=0.0, axis=-1,
                                         sample_weight=None):
    r"""The derivative of Keras's categorical focal cross-entropy that ``tf.GradientTape``
    reports: 0 where the clip acted, then through the renormalisation :math:`p / \sum p` (which
    adds one constant per row on probabilities) and, from logits, the softmax.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_keras.categorical_focal_cross_entropy_grad([[0.0, 1.0]], [[0.5, 0.5]]).round(6)
    array([[ 0.149143, -0.149143]])
    """
    return _focal_conventions.categorical(CONVENTION, y_true, y_pred, alpha, gamma, from_logits,
                                          label_smoothing, axis, sample_weight=sample_weight)


# segmentation overlaps ---------------------------------------------------------------------------


def dice(y_true, y_pred, *, axis=-1, reduction="mean", sample_weight=None):
    r"""``keras.losses.dice``'s arithmetic, row by row: ``1 - 2 I / (sum(y) + sum(p) + 1e-7)``.

    The :math:`10^{-7}` in the denominator gives an empty row (no target, no prediction) the
    loss 1 and shifts every other one by about :math:`2I \cdot 10^{-7} / S^2`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> float(ln.like_keras.dice([[0.0, 0.0]], [[0.0, 0.0]]))  # lossnotes refuses 0 / 0
    1.0
    """
    return _overlap_conventions.overlap(CONVENTION, y_true, y_pred, 0.5, 0.5, axis, True,
                                        reduction, sample_weight)


def dice_grad(y_true, y_pred, *, axis=-1, sample_weight=None):
    r"""The derivative of Keras's Dice loss that ``tf.GradientTape`` reports,
    :math:`2 (I - y_k S_\varepsilon) / S_\varepsilon^2` with
    :math:`S_\varepsilon = \sum y + \sum p + 10^{-7}`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_keras.dice_grad([[1.0, 0.0]], [[0.5, 0.5]]).round(6)
    array([[-0.75,  0.25]])
    """
    return _overlap_conventions.overlap(CONVENTION, y_true, y_pred, 0.5, 0.5, axis, True,
                                        sample_weight=sample_weight)


def tversky(y_true, y_pred, *, alpha=0.5, beta=0.5, axis=-1, reduction="mean",
            sample_weight=None):
    r"""``keras.losses.tversky``'s arithmetic, row by row:
    ``1 - I / (I + alpha * sum((1 - p) y) + beta * sum(p (1 - y)) + 1e-7)``.

    Examples
    --------
    >>> import lossnotes as ln
    >>> float(ln.like_keras.tversky([[0.0, 0.0]], [[0.0, 0.0]]))  # lossnotes refuses 0 / 0
    1.0
    """
    return _overlap_conventions.overlap(CONVENTION, y_true, y_pred, alpha, beta, axis, False,
                                        reduction, sample_weight)


def tversky_grad(y_true, y_pred, *, alpha=0.5, beta=0.5, axis=-1, sample_weight=None):
    r"""The derivative of Keras's Tversky loss that ``tf.GradientTape`` reports (the quotient
    rule through its denominator with :math:`10^{-7}`).

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_keras.tversky_grad([[1.0, 0.0]], [[0.5, 0.5]]).round(6)
    array([[-0.75,  0.25]])
    """
    return _overlap_conventions.overlap(CONVENTION, y_true, y_pred, alpha, beta, axis, False,
                                        sample_weight=sample_weight)


# metric learning: the circle loss -----------------------------------------------------------------


def _circle(labels, embeddings, gamma, margin, remove_diagonal):
    """``(G, S, x, dtype)`` as Keras forms them: in the embeddings' dtype, with the similarity
    clamped at 1 (its cosine distance ``max(1 - s, 0)``) and the clamp's derivative in ``G``
    (``tf.maximum`` passes the gradient to ``1 - s`` where ``1 - s >= 0``)."""
    gamma, margin, remove_diagonal = _circle_module._check_options(gamma, margin,
                                                                   remove_diagonal)
    lab, x, dtype = _circle_module._inputs(labels, embeddings, gamma, margin)
    x = x.astype(dtype)
    s = _circle_module.similarities(x)
    loss, g = _circle_module.circle_parts(np.minimum(s, 1), lab, gamma, margin,
                                          remove_diagonal)
    return loss.astype(dtype), np.where(s <= 1, g, 0).astype(dtype), x


@quiet
def circle(labels, embeddings, *, gamma=80.0, margin=0.4, remove_diagonal=True,
           reduction="mean", sample_weight=None):
    r"""``keras.losses.circle``'s arithmetic, with the ``Circle`` class's mean.

    Keras's similarity is :math:`1 - d` with the cosine distance
    :math:`d = \max(1 - x_i \cdot x_j, 0)`: the dot product clamped at 1, which changes
    nothing for unit embeddings and everything for longer ones. Keras marks the zero losses
    (a sample without a positive or a negative pair) as masked, so ``Circle()``'s
    ``"sum_over_batch_size"``, here ``"mean"``, divides the weighted sum by the number of
    *positive* losses (0 when there is none).

    Examples
    --------
    >>> import lossnotes as ln
    >>> x = [[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]]  # sample 2 has no positive pair: loss 0
    >>> ln.like_keras.circle([0, 0, 1], x, gamma=1.0).round(8)  # (l_0 + l_1) / 2
    np.float64(0.64843115)
    >>> ln.like_keras.circle([0, 0], [[2.0, 0.0], [1.5, 0.5]], gamma=1.0, reduction="none")
    array([0., 0.])
    """
    loss, _, _ = _circle(labels, embeddings, gamma, margin, remove_diagonal)
    count = int(np.count_nonzero(loss > 0))
    return _conventions.weighted(loss, reduction, sample_weight, CONVENTION, count=count)


@quiet
def circle_grad(labels, embeddings, *, gamma=80.0, margin=0.4, remove_diagonal=True,
                sample_weight=None):
    r"""The gradient of the summed ``keras.losses.circle`` that ``tf.GradientTape`` reports:
    :func:`lossnotes.circle_grad`'s formula with the similarity clamped at 1, where its
    derivative is 0.

    Examples
    --------
    >>> import lossnotes as ln
    >>> import numpy as np
    >>> x = [[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]]  # unit embeddings: the exact gradient
    >>> bool(np.allclose(ln.like_keras.circle_grad([0, 0, 1], x), ln.circle_grad([0, 0, 1], x)))
    True
    """
    _, g, x = _circle(labels, embeddings, gamma, margin, remove_diagonal)
    w = _circle_module._weights(sample_weight, x.shape[:-1])
    return _circle_module._grad_from_parts(g, x, None if w is None else w.astype(x.dtype))


__all__ += ["circle", "circle_grad"]


# robust classification ------------------------------------------------------------------------


def categorical_generalized_cross_entropy(labels, y_pred, *, q=0.5, axis=-1, reduction="mean",
                                          sample_weight=None):
    r"""``keras.losses.categorical_generalized_cross_entropy``'s arithmetic: the exact
    :math:`(1 - p_c^q)/q` on rows that need not sum to 1 (Keras neither checks nor
    renormalises them; its ``1 - p**q`` differs from the exact value by rounding only).
    ``sample_weight`` and the mean are Keras's (see the module's docstring).

    Examples
    --------
    >>> import lossnotes as ln
    >>> float(ln.like_keras.categorical_generalized_cross_entropy([1], [[0.2, 0.2, 0.2]],
    ...                                                           q=1.0))  # 1 - 0.2
    0.8
    """
    from . import _focal

    q, index, p, axis = _focal._gce_inputs(labels, y_pred, q, axis, CONVENTION)
    return _conventions.weighted((1 - _pick(p, index, axis) ** q) / q, reduction, sample_weight,
                                 "keras")


def categorical_generalized_cross_entropy_grad(labels, y_pred, *, q=0.5, axis=-1,
                                               sample_weight=None):
    r"""The derivative that ``tf.GradientTape`` reports: :math:`-p_c^{q-1}` at the true class,
    taken through ``sum(y_pred * one_hot)``, so where the true class has probability 0 and
    :math:`q < 1` the other classes get :math:`0 \cdot (-\infty) = ` ``nan``.
    ``sample_weight`` (one weight per row) multiplies each row's derivative.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_keras.categorical_generalized_cross_entropy_grad([1], [[1.0, 0.0]], q=0.5)
    array([[ nan, -inf]])
    """
    from . import _focal

    q, index, p, axis = _focal._gce_inputs(labels, y_pred, q, axis, CONVENTION)
    hot = _one_hot(index, p, axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.expand_dims(-_pick(p, index, axis) ** (q - 1), axis)
        return _conventions.weighted_grad(hot * g, sample_weight, axis)[()]


__all__ += ["multilabel_soft_margin_loss", "multilabel_soft_margin_loss_grad"]


@quiet
def multilabel_soft_margin_loss(y_true, y_pred, *, weight=None, axis=-1, reduction="mean",
                                sample_weight=None):
    r"""``keras.losses.binary_crossentropy(y_true, y_pred, from_logits=True)``, Keras's
    equivalent of torch's multilabel soft margin loss (the mean over the last axis), with a
    class weight as ``keras.ops.mean(weight * keras.ops.binary_crossentropy(...), axis=-1)``.

    Each term is :func:`binary_cross_entropy`'s Keras arithmetic on logits,
    :math:`\max(z, 0) - z y + \log(1 + e^{-|z|})`: an infinite logit gives ``nan``
    (:math:`\infty - \infty` or :math:`0 \cdot \infty`) except :math:`z = -\infty` with
    :math:`y = 1` (``inf``), and a weight of 0 times an infinite term is ``nan``. The
    derivative is the exact one, :func:`lossnotes.multilabel_soft_margin_loss_grad`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_keras.multilabel_soft_margin_loss([[1, 0]], [[float("inf"), -1.0]],
    ...                                           reduction="none")
    array([nan])
    """
    terms = binary_cross_entropy(y_true, y_pred, from_logits=True, reduction="none")
    return _plain_class_mean(terms, y_pred, weight, axis, reduction, sample_weight, CONVENTION)


# --------------------------------------------------------------------------------------------
# similarity
# --------------------------------------------------------------------------------------------


def _keras_normalize(x: np.ndarray, axis: int):
    """``keras.ops.normalize(x, axis)`` (order 2), as ``keras.losses.cosine_similarity``
    calls it: ``x * min(rsqrt(sum(x^2)), 1 / eps)``; also the factor and whether it is the
    clamp."""
    s = np.sum(x * x, axis=axis, keepdims=True)
    cap = x.dtype.type(1 / _conventions.KERAS_EPSILON)
    r = 1 / np.sqrt(s)
    return x * np.minimum(r, cap), np.minimum(r, cap), r > cap


def _keras_cosine_inputs(y_true, y_pred, axis):
    y, p = pair(y_true, y_pred)
    return y, p, check_axis(axis, p.ndim)


@quiet
def negative_cosine_similarity(y_true, y_pred, *, axis=-1, reduction="mean",
                               sample_weight=None):
    r"""``keras.losses.cosine_similarity``'s arithmetic: each row normalised by
    :math:`\min(1/\lVert x \rVert, 1/\epsilon)`, :math:`\epsilon = 10^{-7}`, then

    .. math::

        \ell^{\text{keras}}_i = -\sum_k \frac{y_{ik}}{\max(\lVert y_i \rVert, \epsilon)}
        \frac{\hat y_{ik}}{\max(\lVert \hat y_i \rVert, \epsilon)},

    so a zero vector scores 0, vectors shorter than :math:`\epsilon` score less than their
    cosine, and a squared norm beyond the largest float scores 0 (its factor is 0).
    ``sample_weight`` and the mean are Keras's (see the module's docstring).

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_keras.negative_cosine_similarity([[1.0, 2.0], [1.0, 2.0]],
    ...                                          [[0.0, 0.0], [1e-9, 2e-9]], reduction="none")
    array([-0.        , -0.02236068])
    """
    y, p, axis = _keras_cosine_inputs(y_true, y_pred, axis)
    a, _, _ = _keras_normalize(y, axis)
    b, _, _ = _keras_normalize(p, axis)
    return _conventions.weighted(-np.sum(a * b, axis=axis), reduction, sample_weight, "keras")


@quiet
def negative_cosine_similarity_grad(y_true, y_pred, *, axis=-1, sample_weight=None):
    r"""The derivative ``tf.GradientTape`` reports: with :math:`a = y \min(1/\lVert y \rVert,
    1/\epsilon)` and :math:`r = 1/\lVert \hat y \rVert`, :math:`-(a r - (a \cdot \hat y) r^3
    \hat y)` (the exact derivative) where :math:`r \le 1/\epsilon`, and :math:`-a/\epsilon`
    where the clamp holds (a constant factor: a zero prediction gets :math:`-a/\epsilon`).

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_keras.negative_cosine_similarity_grad([[3.0, 4.0]], [[0.0, 0.0]])
    array([[-6000000., -8000000.]])
    """
    y, p, axis = _keras_cosine_inputs(y_true, y_pred, axis)
    a, _, _ = _keras_normalize(y, axis)
    _, r, clamped = _keras_normalize(p, axis)
    exact = a * r - np.sum(a * p, axis=axis, keepdims=True) * r**3 * p
    g = -np.where(clamped, a * r, exact)
    return _conventions.weighted_grad(g, sample_weight, axis)[()]

# keras.losses.ctc is compared on the calls whose mathematics it computes (float32, blank 0,
# every frame, labels padded with 0; see _registry._ctc_keras_unavailable): the exact function.
from ._ctc import ctc, ctc_grad  # noqa: E402

__all__ += ["ctc", "ctc_grad"]
