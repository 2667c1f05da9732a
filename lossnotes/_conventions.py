r"""Framework conventions: the hand formulas as tf.keras and torch.nn.functional evaluate them.

The public loss functions compute exact mathematics. ``lossnotes.like_keras`` and
``lossnotes.like_torch`` call the arithmetic below, which repeats each framework's documented
edge behaviour (clipping, log clamps, renormalisation, label conversion, the subgradient chosen
at a kink, literal formulas that return ``nan`` at infinite inputs) operation by operation, so
that the result matches the framework to the rounding of the dtype. The formulas receive
validated inputs; the entry points at the end of the module validate them as the exact
functions do.

Every number below was measured against TensorFlow 2.21.0 / Keras 3.15.1 and PyTorch 2.13.0, and
is checked again by ``tests/test_compare.py`` and ``python -m lossnotes``; they hold unchanged on
the oldest supported releases, TensorFlow 2.16.1 / Keras 3.0.0 (``make oldest-test``) and torch
2.0.1 (run by hand; README, "Which versions").
"""

from __future__ import annotations

import numpy as np

from . import _cross_entropy as ce
from ._links import _one_hot, _pick
from ._validation import _where, check_flag, first, pair, quiet, reduce, weigh

#: ``keras.config.epsilon()``: Keras clips probabilities to ``[EPSILON, 1 - EPSILON]``.
KERAS_EPSILON = 1e-7
#: torch's ``binary_cross_entropy`` clamps each log at -100.
TORCH_LOG_CLAMP = -100.0
#: torch's ``binary_cross_entropy`` backward divides by ``max(p (1 - p), 1e-12)``, its 1e-12 a
#: C ``float``: 9.99999996e-13 even in float64, so the float64 derivative at p = 0, y = 1 is
#: -1.0000000039958029e12 (measured), not -1e12.
TORCH_BCE_GRAD_EPS = float(np.float32(1e-12))


def keras_clip_bounds(dtype) -> tuple:
    """``(eps, 1 - eps)`` as Keras applies them: computed in Python floats, then cast.

    In float32, ``1 - 1e-7`` rounds to 0.99999988 (the float32 spacing below 1 is 6e-8), so a
    certain wrong prediction at p = 1 costs less than one at p = 0.
    """
    t = np.dtype(dtype).type
    return t(KERAS_EPSILON), t(1.0 - KERAS_EPSILON)


def keras_clip_mask(p: np.ndarray) -> np.ndarray:
    """Where ``tf.clip_by_value`` passes the gradient: inside the clip range, bounds included."""
    lo, hi = keras_clip_bounds(p.dtype)
    return (p >= lo) & (p <= hi)


# --------------------------------------------------------------------------------------------
# binary cross-entropy
# --------------------------------------------------------------------------------------------


def binary_cross_entropy(y: np.ndarray, p: np.ndarray, from_logits: bool, convention: str):
    """Unreduced binary cross-entropy under a framework convention."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if from_logits:
            if convention == "keras":
                # tf.nn.sigmoid_cross_entropy_with_logits, literally: relu(z) - z y + log1p(e^-|z|).
                # 0 * inf = nan and inf - inf = nan make every infinite logit nan except
                # z = -inf with y = 1 (inf).
                nonneg = p >= 0
                relu = np.where(nonneg, p, 0)
                neg_abs = np.where(nonneg, -p, p)
                return (relu - p * y) + np.log1p(np.exp(neg_abs))
            # torch: (1 - y) z - log_sigmoid(z); 0 * inf = nan at infinite logits.
            return (1 - y) * p - (np.minimum(p, 0) - np.log1p(np.exp(-np.abs(p))))
        if convention == "keras":
            # Clip to [eps, 1 - eps], then log (not log1p) of 1 - p, as Keras does.
            pc = np.clip(p, *keras_clip_bounds(p.dtype))
            bce = y * np.log(pc)
            bce += (1 - y) * np.log(1 - pc)
            return -bce
        # torch: each log clamped at -100; the clamp makes 0 * log 0 = 0 * (-100) = 0.
        clamp = p.dtype.type(TORCH_LOG_CLAMP)
        log_p = np.maximum(np.log(p), clamp)
        log_q = np.maximum(np.log1p(-p), clamp)
        return (y - 1) * log_q - y * log_p


def binary_cross_entropy_grad(y: np.ndarray, p: np.ndarray, convention: str):
    """Derivative of the unreduced binary cross-entropy in probabilities under a convention.

    (With logits both autograds return sigma(z) - y, the exact derivative, bounded and right
    at +-inf, so there is no logit convention.)
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if convention == "keras":
            # The derivative of -(y log p + (1 - y) log(1 - p)) at the clipped p, and 0 where
            # tf.clip_by_value clipped (its gradient is 0 outside the range).
            pc = np.clip(p, *keras_clip_bounds(p.dtype))
            g = -(y * np.reciprocal(pc) - (1 - y) * np.reciprocal(1 - pc))
            return np.where(keras_clip_mask(p), g, 0).astype(p.dtype, copy=False)
        # torch's backward ignores its own -100 clamp: (p - y) / max(p (1 - p), 1e-12).
        denom = np.maximum((1 - p) * p, p.dtype.type(TORCH_BCE_GRAD_EPS))
        return (p - y) / denom


# --------------------------------------------------------------------------------------------
# categorical and sparse categorical cross-entropy
# --------------------------------------------------------------------------------------------


def literal_log_softmax(z: np.ndarray, axis: int) -> np.ndarray:
    """``z - logsumexp(z)`` with the max shift and no limits: a +inf score gives nan.

    This is how ``tf.nn.softmax_cross_entropy_with_logits`` and torch's ``log_softmax``
    evaluate it; lossnotes' exact ``log_softmax`` returns the limit instead.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        m = np.max(z, axis=axis, keepdims=True)
        shifted = z - m
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def literal_softmax(z: np.ndarray, axis: int) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        e = np.exp(z - np.max(z, axis=axis, keepdims=True))
        return e / np.sum(e, axis=axis, keepdims=True)


def _keras_renormalised(p: np.ndarray, axis: int):
    """Keras's categorical step one: divide each row by its sum (0/0 = nan for a zero row)."""
    s = np.sum(p, axis=axis, keepdims=True)
    return p / s, s


def categorical_cross_entropy(y, p, from_logits: bool, axis: int, convention: str):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if from_logits:
            # Keras and torch alike: y times the literal log-softmax, plain products, so a
            # +inf score, or a target of 0 against a log-probability of -inf, gives nan.
            return -np.sum(y * literal_log_softmax(p, axis), axis=axis)
        if convention == "keras":
            q, _ = _keras_renormalised(p, axis)
            q = np.clip(q, *keras_clip_bounds(p.dtype))
            return -np.sum(y * np.log(q), axis=axis)
        # torch: F.cross_entropy(log p, y) with probability targets. log_softmax(log p) is
        # log(p / sum p): the row is renormalised too, and 0 * log 0 = 0 * (-inf) = nan.
        return -np.sum(y * literal_log_softmax(np.log(p), axis), axis=axis)


def categorical_cross_entropy_grad(y, p, from_logits: bool, axis: int, convention: str):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if from_logits:
            sm = literal_softmax(p, axis)
            if convention == "keras":
                # tf.nn.softmax_cross_entropy_with_logits backpropagates softmax(z) - y, which
                # is the derivative of its loss only when each target row sums to 1 (measured:
                # for a row summing to s it lacks (s - 1) softmax(z)).
                return sm - y
            return np.sum(y, axis=axis, keepdims=True) * sm - y
        if convention == "keras":
            # Through q = p / S and the clip: g_q = -y / q inside the clip range, 0 outside;
            # d/dp_j = g_q_j / S - sum_k g_q_k p_k / S^2. For a row that sums to 1 this is
            # -y/p + sum(y): the exact gradient plus a constant per row.
            q, s = _keras_renormalised(p, axis)
            inside = keras_clip_mask(q)
            qc = np.clip(q, *keras_clip_bounds(p.dtype))
            g_q = np.where(inside, -y / qc, 0)
            return g_q / s - np.sum(g_q * p, axis=axis, keepdims=True) / (s * s)
        # torch: autograd of -sum(y log_softmax(log p)): (softmax(log p) sum(y) - y) / p, with
        # 0/0 = nan where p = 0 and y = 0.
        sm = literal_softmax(np.log(p), axis)
        return (sm * np.sum(y, axis=axis, keepdims=True) - y) / p


def sparse_categorical_cross_entropy(index, p, from_logits: bool, axis: int, convention: str):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if from_logits:
            logp = literal_log_softmax(p, axis)
        elif convention == "keras":
            # Keras clips first, takes the log, then the log-softmax of that: log(p_c / sum p)
            # over the clipped row, so rows are renormalised after clipping (the reverse of
            # categorical cross-entropy's order).
            logp = literal_log_softmax(np.log(np.clip(p, *keras_clip_bounds(p.dtype))), axis)
        else:
            # torch: F.nll_loss(log p, c) = -log p_c, no renormalisation and no clamp.
            logp = np.log(p)
        return -_pick(logp, index, axis)


def sparse_categorical_cross_entropy_grad(index, p, from_logits: bool, axis: int,
                                          convention: str):
    one_hot = _one_hot(index, p, axis)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if from_logits:
            return literal_softmax(p, axis) - one_hot
        if convention == "keras":
            pc = np.clip(p, *keras_clip_bounds(p.dtype))
            sm = literal_softmax(np.log(pc), axis)  # pc / sum(pc)
            return np.where(keras_clip_mask(p), (sm - one_hot) / pc, 0).astype(p.dtype)
        # torch: nll_loss backward gives -1 at the class, then torch.log's backward divides by p:
        # 0 / 0 = nan at a zero probability of another class.
        return -one_hot / p


# --------------------------------------------------------------------------------------------
# margin losses
# --------------------------------------------------------------------------------------------


def margin_labels(y: np.ndarray, convention: str) -> np.ndarray:
    """Labels as the framework reads them (already checked to be in {-1, 0, +1})."""
    if convention == "keras" and np.all((y == 0) | (y == 1)):
        # keras.losses.hinge / squared_hinge: convert only if *every* label is 0 or 1.
        return 2 * y - 1
    return y


def hinge_grad(m: np.ndarray) -> np.ndarray:
    """Autograd of max(1 - m, 0) (TensorFlow) and clamp(1 - m, min=0) (torch): -1 for m <= 1."""
    return np.where(m <= 1, -1, 0).astype(m.dtype)


def logistic(m: np.ndarray) -> np.ndarray:
    """torch's soft_margin_loss: log(1 + exp(-m)) directly; exp overflows for very wrong m."""
    with np.errstate(over="ignore"):
        return np.log1p(np.exp(-m))


def logistic_grad(m: np.ndarray) -> np.ndarray:
    """torch's soft_margin_loss backward: -e / (1 + e), e = exp(-m); inf / inf = nan."""
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(-m)
        return -e / (1 + e)


# --------------------------------------------------------------------------------------------
# the entry points of like_keras and like_torch: the exact functions' checks, then the above
# --------------------------------------------------------------------------------------------
# Each takes the framework first; the inputs are checked as the exact function checks them,
# except where the framework accepts more (rows of probabilities that do not sum to 1, margin
# labels of 0).


def margin_of(convention: str, y, score) -> np.ndarray:
    y, score = pair(y, score, "y", "score")
    bad = (y != 1) & (y != -1) & (y != 0)
    if bad.any():
        raise ValueError(f"y must hold labels in {{-1, 0, +1}} for {convention}; found "
                         f"{first(y, bad)!r} {_where(bad)}")
    with np.errstate(invalid="ignore"):  # a 0 label times an infinite score is nan, as in torch
        return margin_labels(y, convention) * score


# ``sample_weight`` multiplies the loss or its derivative plainly, as the frameworks do
# (w * loss, and autograd's w * derivative): a weight of 0 against an infinite or nan term
# gives nan, where the exact functions drop the term. The weighted "mean" is each
# framework's: Keras's default reduction sum_over_batch_size divides the weighted sum by the
# number of elements; torch has no sample_weight, and a reader writes
# (w * loss).sum() / w.sum(), while its own mean with weight= (class weights) and class
# indices divides by the sum of the target classes' weights.


def weighted(loss: np.ndarray, reduction: str, sample_weight, convention: str = "torch",
             target_weight=None, count=None):
    """``reduce`` with the frameworks' plain product of weight and loss, and their mean;
    ``count``: how many values Keras's mean counts (those its ``ignore_class`` keeps)."""
    keras_mean = convention == "keras" and reduction == "mean"
    if sample_weight is None and target_weight is None and not (keras_mean and count is not None):
        return reduce(loss, reduction)
    loss = np.array(loss)
    if keras_mean:  # sum_over_batch_size: the weighted sum over the count, 0 for none
        total = reduce(loss, "sum", sample_weight, mul=np.multiply)
        n = loss.size if count is None else count
        return loss.dtype.type(float(total) / n) if n else loss.dtype.type(0)
    return reduce(loss, reduction, sample_weight, mul=np.multiply, target_weight=target_weight)


def weighted_grad(grad: np.ndarray, sample_weight, axis: int | None = None):
    """The derivative of the weighted unreduced loss: the plain product, as autograd forms it
    (``axis``: the class axis of a row loss's derivative, which its weights do not have)."""
    if axis is None or sample_weight is None:
        return weigh(grad, sample_weight, mul=np.multiply)
    shape = grad.shape[:axis] + grad.shape[axis + 1:]
    return weigh(grad, sample_weight, shape, axis, mul=np.multiply)


def pos_weighted_bce(y: np.ndarray, z: np.ndarray, q_y: np.ndarray) -> np.ndarray:
    """torch's ``binary_cross_entropy_with_logits(pos_weight=)`` and TensorFlow's
    ``tf.nn.weighted_cross_entropy_with_logits``, literally: ``(1 - y) z + (1 + (q - 1) y)
    (log1p(exp(-|z|)) + max(-z, 0))``, with ``q_y`` = q y."""
    with np.errstate(invalid="ignore", over="ignore"):
        return (1 - y) * z + (q_y + (1 - y)) * (np.log1p(np.exp(-np.abs(z)))
                                                + np.maximum(-z, 0))


def _no_smoothing(convention: str, a: float, what: str) -> None:
    if a:
        raise ValueError(f"label_smoothing must be 0 for {convention}: its {what} has no "
                         f"label smoothing; found {a!r}")


@quiet
def binary(convention: str, y_true, y_pred, from_logits, reduction=None, sample_weight=None,
           pos_weight=None, label_smoothing=0.0):
    """Binary cross-entropy (``reduction`` given) or its derivative (``reduction=None``)."""
    from_logits = check_flag(from_logits, "from_logits")
    a = ce._check_smoothing(label_smoothing)
    if convention == "torch":
        _no_smoothing(convention, a, "binary cross-entropy")
    elif a:  # Keras: y (1 - a) + a / 2, in the targets' dtype
        y_true, y_pred = ce._binary_inputs(y_true, y_pred, from_logits)
        y_true = y_true * y_true.dtype.type(1 - a) + y_true.dtype.type(0.5 * a)
    if pos_weight is not None and not from_logits:
        raise ValueError(
            f"pos_weight needs from_logits=True for {convention}: torch has it only in "
            "binary_cross_entropy_with_logits (TensorFlow in weighted_cross_entropy_with_logits)"
            "; found from_logits=False"
        )
    if reduction is None and from_logits:  # sigma(z) - y in both autograds: the exact one
        return weighted_grad(ce.binary_cross_entropy_grad(y_true, y_pred, from_logits=True,
                                                          pos_weight=pos_weight), sample_weight)
    y, p = ce._binary_inputs(y_true, y_pred, from_logits)
    if reduction is None:
        return weighted_grad(binary_cross_entropy_grad(y, p, convention), sample_weight)
    if pos_weight is not None:
        return weighted(pos_weighted_bce(y, p, ce._positive_targets(y, pos_weight, p)),
                        reduction, sample_weight, convention)
    return weighted(binary_cross_entropy(y, p, from_logits, convention), reduction,
                    sample_weight, convention)


def _class_weighted(convention, y, p, axis, class_weight, a=0.0):
    """The targets, smoothed by ``a`` towards 1/C, and each sample's weight under
    ``class_weight``: torch multiplies each class's term of the smoothed target
    (``weight=``), Keras's ``fit`` weighs sample i by the weight of the class
    ``argmax_k y_ik`` of its target as given."""
    c = ce._class_weights(class_weight, p, axis)
    v = None if c is None or convention == "torch" else c[np.argmax(y, axis=axis)]
    y = ce._smoothed(y, p, axis, a)
    if c is not None and convention == "torch":
        y = y * ce._along(c, axis, p.ndim)
    return y, v


def _per_sample(values, v, axis=None):
    """``values`` times each sample's weight ``v`` (plainly), if any."""
    if v is None:
        return values
    return values * (v if axis is None else np.expand_dims(v, axis))


@quiet
def categorical(convention: str, y_true, y_pred, from_logits, axis, reduction=None,
                sample_weight=None, class_weight=None, label_smoothing=0.0):
    """Categorical cross-entropy (``reduction`` given) or its derivative."""
    a = ce._check_smoothing(label_smoothing)
    y, p, axis = ce._categorical_inputs(y_true, y_pred, from_logits, axis, convention)
    y, v = _class_weighted(convention, y, p, axis, class_weight, a)
    if reduction is None:
        g = categorical_cross_entropy_grad(y, p, from_logits, axis, convention)
        return weighted_grad(_per_sample(g, v, axis), sample_weight, axis)
    loss = _per_sample(categorical_cross_entropy(y, p, from_logits, axis, convention), v)
    return weighted(loss, reduction, sample_weight, convention)


@quiet
def sparse(convention: str, labels, y_pred, from_logits, axis, reduction=None,
           sample_weight=None, class_weight=None, label_smoothing=0.0, ignore_index=None):
    """Sparse categorical cross-entropy (``reduction`` given) or its derivative.

    An ignored label (torch's ``ignore_index``, Keras's ``ignore_class``) has the value 0 and
    a row of 0s; torch's mean leaves it out of its denominator (a mean written by hand with
    sample weights divides by all of them), Keras's ``sum_over_batch_size`` divides by the
    number of labels kept (0 when there is none)."""
    a = ce._check_smoothing(label_smoothing)
    if convention == "keras":
        _no_smoothing(convention, a, "sparse_categorical_crossentropy")
    keep = None
    if ignore_index is not None:
        labels, keep = ce._ignored(labels, ignore_index, None)
    index, p, axis = ce._sparse_inputs(labels, y_pred, from_logits, axis, convention)
    from_logits = bool(from_logits)
    c = ce._class_weights(class_weight, p, axis)
    v = None if c is None else c[index]  # torch's weight[y] and Keras's class_weight alike
    # torch's mean with weight= divides by the sum of the labels' class weights, and leaves
    # the ignored ones out; by hand, with sample weights, a reader divides by the sum of those
    target = None
    if convention == "torch" and sample_weight is None:
        target = keep if v is None else (v if keep is None else v * keep)
    if a:  # torch: the smoothed one-hot rows, each class's term times its weight
        y, _ = _class_weighted(convention, _one_hot(index, p, axis), p, axis, class_weight, a)
    if reduction is None:
        if a:
            g = categorical_cross_entropy_grad(y, p, from_logits, axis, convention)
        else:
            g = _per_sample(sparse_categorical_cross_entropy_grad(index, p, from_logits, axis,
                                                                  convention), v, axis)
        if keep is not None:
            g = np.where(np.expand_dims(keep, axis) > 0, g, 0).astype(p.dtype, copy=False)
        return weighted_grad(g, sample_weight, axis)
    if a:
        loss = categorical_cross_entropy(y, p, from_logits, axis, convention)
    else:
        loss = _per_sample(sparse_categorical_cross_entropy(index, p, from_logits, axis,
                                                            convention), v)
    count = None
    if keep is not None:
        loss = np.where(keep > 0, loss, 0).astype(p.dtype, copy=False)
        count = int(np.count_nonzero(keep))
    return weighted(loss, reduction, sample_weight, convention, target, count)
