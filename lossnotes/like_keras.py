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

Each function validates its inputs as the exact one does, except where Keras accepts more
(hinge labels in {0, 1}); the measured behaviour behind every line is checked against Keras by
``tests/test_compare.py`` and ``python -m lossnotes``.
"""

from __future__ import annotations

import numpy as np

from . import _conventions, _margin, _multiclass_margin

# What Keras computes as the mathematics is the exact function itself.
from ._margin import hinge, squared_hinge, squared_hinge_grad
from ._multilabel import _plain_class_mean, multilabel_soft_margin_loss_grad
from ._regression import huber, huber_grad, mae, mae_grad, mse, mse_grad
from ._validation import quiet, reduce

__all__ = [  # the names of the exact functions
    "margin", "hinge", "hinge_grad", "squared_hinge", "squared_hinge_grad",
    "binary_cross_entropy", "binary_cross_entropy_grad", "categorical_cross_entropy",
    "categorical_cross_entropy_grad", "sparse_categorical_cross_entropy",
    "sparse_categorical_cross_entropy_grad", "mse", "mse_grad", "mae", "mae_grad", "huber",
    "huber_grad",
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


def hinge_grad(m):
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
    return _conventions.hinge_grad(_margin._m(m))


def binary_cross_entropy(y_true, y_pred, *, from_logits=False, reduction="mean"):
    r"""``keras.losses.binary_crossentropy``'s arithmetic, reduced as lossnotes reduces.

    The framework conventions, for probabilities, with :math:`\varepsilon = 10^{-7}` and
    :math:`1 - \varepsilon` rounded to ``y_pred``'s dtype (0.99999988 in float32):

    .. math::

        \ell^{\text{keras}}_i = -\bigl(y_i \log \tilde p_i + (1 - y_i) \log(1 - \tilde p_i)\bigr),
        \quad \tilde p_i = \operatorname{clip}(p_i, \varepsilon, 1 - \varepsilon),
        \qquad
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
    return _conventions.binary(CONVENTION, y_true, y_pred, from_logits, reduction)


def binary_cross_entropy_grad(y_true, y_pred, *, from_logits=False):
    r"""The derivative of Keras's binary cross-entropy that ``tf.GradientTape`` reports.

    Under the framework conventions, for probabilities,

    .. math::

        \frac{\partial \ell^{\text{keras}}}{\partial p} =
        \Bigl(-\frac{y}{\tilde p} + \frac{1 - y}{1 - \tilde p}\Bigr)
        \mathbb{1}[\varepsilon \le p \le 1 - \varepsilon],
        \qquad
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
    return _conventions.binary(CONVENTION, y_true, y_pred, from_logits)


def categorical_cross_entropy(y_true, y_pred, *, from_logits=False, axis=-1, reduction="mean"):
    r"""``keras.losses.categorical_crossentropy``'s arithmetic; rows need not sum to 1.

    The framework conventions for probabilities renormalise each row, Keras before clipping:

    .. math::

        \ell^{\text{keras}}_i = -\sum_k y_{ik} \log \operatorname{clip}\Bigl(
        \frac{p_{ik}}{\sum_j p_{ij}}, \varepsilon, 1 - \varepsilon\Bigr),
        \qquad
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
    return _conventions.categorical(CONVENTION, y_true, y_pred, from_logits, axis, reduction)


def categorical_cross_entropy_grad(y_true, y_pred, *, from_logits=False, axis=-1):
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
    return _conventions.categorical(CONVENTION, y_true, y_pred, from_logits, axis)


def sparse_categorical_cross_entropy(labels, y_pred, *, from_logits=False, axis=-1,
                                     reduction="mean"):
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
    return _conventions.sparse(CONVENTION, labels, y_pred, from_logits, axis, reduction)


def sparse_categorical_cross_entropy_grad(labels, y_pred, *, from_logits=False, axis=-1):
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
    return _conventions.sparse(CONVENTION, labels, y_pred, from_logits, axis)


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
def categorical_hinge(y_true, y_pred, *, axis=-1, reduction="mean"):
    r"""``keras.losses.categorical_hinge``: ``max(max((1 - y) z) - sum(y z) + 1, 0)``.

    The true class enters the maximum as :math:`0 \cdot z_y = 0`, so Keras's rival is
    :math:`\max(0, \max_{j \ne y} z_j)`: where every rival's score is negative it charges
    :math:`\max(0, 1 - z_y)` instead of the exact :math:`\max(0, 1 - z_y + \max_{j \ne y}
    z_j)`. Any infinite score gives ``nan`` (:math:`0 \cdot \infty` in ``y z`` or
    ``(1 - y) z``). Inputs are checked as for :func:`lossnotes.categorical_hinge`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.like_keras.categorical_hinge([[0, 0, 1]], [[-3.0, -2.0, -1.0]], reduction="none")
    array([2.])
    """
    _, _, pos, neg, _ = _keras_hinge_parts(y_true, y_pred, axis)
    return reduce(np.maximum(neg - pos + 1, 0), reduction)


@quiet
def categorical_hinge_grad(y_true, y_pred, *, axis=-1):
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
    return np.moveaxis((1 - y) * dv - y * up, -1, axis).astype(v.dtype)


__all__ += ["multilabel_soft_margin_loss", "multilabel_soft_margin_loss_grad"]


@quiet
def multilabel_soft_margin_loss(y_true, y_pred, *, weight=None, axis=-1, reduction="mean"):
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
    return _plain_class_mean(terms, y_pred, weight, axis, reduction)
