r"""The focal losses as tf.keras and a plain-torch focal loss evaluate them.

Keras's ``binary_focal_crossentropy`` (Keras 3) and torchvision's ``sigmoid_focal_loss``,
written in plain torch, evaluate the same formula literally:

.. math::

    p_t = y p + (1 - y)(1 - p), \qquad \ell = \alpha_t (1 - p_t)^\gamma\, B(y, p),

with :math:`1 - p_t` formed by subtraction (it rounds to 0 for a confident right answer in
float32) and the framework's own binary cross-entropy :math:`B`: Keras clips probabilities to
:math:`[10^{-7}, 1 - 10^{-7}]`, but from logits its ``keras.ops.sigmoid`` output remembers
the logits and ``binary_crossentropy`` uses them (no clip); torch clamps each log at -100 on
probabilities and uses ``binary_cross_entropy_with_logits`` on logits. The derivatives are
those the autograds take through these formulas. The inputs come validated.
"""

from __future__ import annotations

import numpy as np

from . import _conventions as conv
from ._cross_entropy import _binary_inputs, _categorical_inputs
from ._focal import balance, focal_options, smooth_binary
from ._validation import quiet


def _literal_miss(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``1 - (y p + (1 - y)(1 - p))``, literally, as both frameworks write it."""
    return 1 - (y * p + (1 - y) * (1 - p))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-z))


def binary_focal(y, x, convention: str, gamma: float, balanced: bool, alpha: float,
                 from_logits: bool, grad: bool) -> np.ndarray:
    """The unreduced loss (``grad=False``) or its derivative w.r.t. ``x`` under a convention."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        p = _sigmoid(x) if from_logits else x
        miss = _literal_miss(y, p)
        bce = conv.binary_cross_entropy(y, x, from_logits, convention)
        if not grad:
            out = np.power(miss, gamma) * bce
        else:
            # The backward pass of m^gamma B, step by step as autograd takes it: to m,
            # gamma m^(gamma - 1) B; to p_t, minus that; to p through p_t = p y + (1 - p)(1 - y),
            # g y - g (1 - y) (so an infinite g times a 0 label is nan, as in both autograds);
            # from logits on through the sigmoid's backward p (1 - p), plus m^gamma dB/dz with
            # dB/dz = p - y; on probabilities plus m^gamma dB/dp, each framework's.
            g = -(gamma * np.power(miss, gamma - 1) * bce)
            through_p = g * y - g * (1 - y)
            if from_logits:
                out = through_p * (p * (1 - p)) + np.power(miss, gamma) * (p - y)
            else:
                out = through_p + np.power(miss, gamma) * conv.binary_cross_entropy_grad(
                    y, p, convention)
        if balanced:
            out = balance(y, alpha) * out
        return out.astype(x.dtype, copy=False)


@quiet
def binary(convention: str, y_true, y_pred, gamma, apply_class_balancing, alpha, from_logits,
           label_smoothing, reduction=None, sample_weight=None):
    """The loss (``reduction`` given) or its derivative (``reduction=None``), with the exact
    function's checks; labels smoothed as Keras smooths them; weighed with the convention's
    plain product and mean (:func:`~lossnotes._conventions.weighted`)."""
    gamma, balanced, alpha, smoothing, from_logits = focal_options(
        gamma, apply_class_balancing, alpha, label_smoothing, from_logits)
    y, x = _binary_inputs(y_true, y_pred, from_logits)
    y = smooth_binary(y, smoothing)
    out = binary_focal(y, x, convention, gamma, balanced, alpha, from_logits,
                       grad=reduction is None)
    if reduction is None:
        return conv.weighted_grad(out, sample_weight)[()]
    return conv.weighted(out, reduction, sample_weight, convention)


# categorical ----------------------------------------------------------------------------------


def categorical_focal(y, z, convention: str, alpha: float, gamma: float, from_logits: bool,
                      axis: int, grad: bool) -> np.ndarray:
    """Keras: softmax (from logits), each row divided by its sum and clipped, then
    ``-alpha (1 - o)^gamma y log o`` summed. torch, as a reader writes it: ``log p`` from
    ``F.log_softmax`` (or ``torch.log`` of probabilities), ``p = exp(log p)``, and
    ``-alpha (1 - p)^gamma y log p`` summed, literally (``0 * -inf`` is ``nan``)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if convention == "keras":
            p = conv.literal_softmax(z, axis) if from_logits else z
            s = np.sum(p, axis=axis, keepdims=True)
            o = np.clip(p / s, *conv.keras_clip_bounds(z.dtype))
            if not grad:
                return np.sum(np.power(1 - o, gamma) * alpha * (-y * np.log(o)), axis=axis)
            # d/do of -alpha (1 - o)^gamma y log o, 0 where the clip acted; then through o = p/S
            # (as in Keras's categorical cross-entropy) and, from logits, the softmax.
            g_o = alpha * (gamma * np.power(1 - o, gamma - 1) * (y * np.log(o))
                           - np.power(1 - o, gamma) * y / o)
            g_o = np.where(conv.keras_clip_mask(p / s), g_o, 0)
            g_p = g_o / s - np.sum(g_o * p, axis=axis, keepdims=True) / (s * s)
            if not from_logits:
                return g_p
            return p * (g_p - np.sum(g_p * p, axis=axis, keepdims=True))
        log_p = conv.literal_log_softmax(z, axis) if from_logits else np.log(z)
        p = np.exp(log_p) if from_logits else z
        if not grad:
            return -np.sum(alpha * np.power(1 - p, gamma) * y * log_p, axis=axis)
        # through log p (the derivative w.r.t. log p is alpha g, g as in the exact gradient,
        # formed literally), then log_softmax's backward, or torch.log's (divide by p)
        g = alpha * y * (gamma * np.power(1 - p, gamma - 1) * p * log_p - np.power(1 - p, gamma))
        if from_logits:
            return g - p * np.sum(g, axis=axis, keepdims=True)
        return g / p


@quiet
def categorical(convention: str, y_true, y_pred, alpha, gamma, from_logits, label_smoothing,
                axis, reduction=None, sample_weight=None):
    """The loss (``reduction`` given) or its derivative (``reduction=None``): the exact
    function's checks, except that rows need not sum to 1 (both renormalise or take them as
    they are); labels smoothed as Keras smooths them; one weight per row, weighed as in
    :func:`binary`."""
    from ._focal import check_fraction, check_gamma, smooth_categorical
    from ._validation import check_flag

    alpha, gamma = check_fraction(alpha, "alpha"), check_gamma(gamma)
    smoothing = check_fraction(label_smoothing, "label_smoothing")
    from_logits = check_flag(from_logits, "from_logits")
    y, z, axis = _categorical_inputs(y_true, y_pred, from_logits, axis, convention)
    y = smooth_categorical(y, smoothing, axis)
    out = categorical_focal(y, z, convention, alpha, gamma, from_logits, axis,
                            grad=reduction is None)
    out = out.astype(z.dtype, copy=False)
    if reduction is None:
        return conv.weighted_grad(out, sample_weight, axis)[()]
    return conv.weighted(out, reduction, sample_weight, convention)
