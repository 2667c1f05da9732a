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

from . import _conventions, _margin

# What torch computes as the mathematics is the exact function itself.
from ._margin import hinge, squared_hinge, squared_hinge_grad
from ._regression import huber, huber_grad, mae, mae_grad, mse, mse_grad
from ._validation import quiet

__all__ = [  # the names of the exact functions
    "margin", "hinge", "hinge_grad", "squared_hinge", "squared_hinge_grad",
    "logistic", "logistic_grad",
    "binary_cross_entropy", "binary_cross_entropy_grad", "categorical_cross_entropy",
    "categorical_cross_entropy_grad", "sparse_categorical_cross_entropy",
    "sparse_categorical_cross_entropy_grad", "mse", "mse_grad", "mae", "mae_grad", "huber",
    "huber_grad",
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
