r"""High-precision reference values of every lossnotes function, computed with mpmath.

Each ``ref_*`` function below takes the *same* inputs as the lossnotes function of that name
(floats, read exactly: a float32 0.1 is the number 0.100000001490116...) and returns an object
array of mpmath numbers carrying :data:`DIGITS` significant digits.

The formulas are chosen so that no rounding error is ever amplified by cancellation: a
subtraction only ever involves exact inputs (``y - y_hat``, ``z_k - max z``) or two quantities of
opposite sign, ``log(1 + x)`` is always ``log1p(x)``, and a probability close to 1 is never
subtracted from 1 (``1 - softmax_k`` is the sum of the other classes' terms). Every result is
therefore correct to about :data:`DIGITS` significant digits, far more than the 16 of a float64
needs; ``tests/test_accuracy.py`` recomputes a sample at twice the precision to check it.
"""

from __future__ import annotations

import contextlib
import functools

import mpmath
import numpy as np

#: Significant decimal digits of every reference value.
DIGITS = 50

# A private context: the global mpmath.mp (and its precision) belongs to the user.
mp = mpmath.MPContext()
mp.dps = DIGITS

ZERO, ONE, INF = mp.zero, mp.one, mp.inf


def to_mp(x) -> mpmath.mpf:
    """A float (of any NumPy width) as the exact binary number it holds."""
    return _to_mp(float(x))


@functools.lru_cache(maxsize=65536)
def _to_mp(x: float) -> mpmath.mpf:
    return mp.mpf(x)


# ---------------------------------------------------------------------------------------------
# scalar building blocks, cached by input: most losses share sigmoid and softplus values
# ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def softplus(x: float) -> mpmath.mpf:
    """log(1 + e^x); mpmath's log1p keeps full relative precision for tiny e^x."""
    return mp.log1p(mp.exp(to_mp(x)))


@functools.lru_cache(maxsize=65536)
def sigmoid(x: float) -> mpmath.mpf:
    """1 / (1 + e^-x), to full relative precision on both tails (nothing is subtracted)."""
    return 1 / (1 + mp.exp(-to_mp(x)))


def _elementwise(scalar, *arrays) -> np.ndarray:
    """Apply a scalar function of Python floats to broadcast arrays; object array out."""
    arrays = np.broadcast_arrays(*(np.asarray(a) for a in arrays))
    out = np.empty(arrays[0].shape, dtype=object)
    for index in np.ndindex(out.shape):
        out[index] = scalar(*(float(a[index]) for a in arrays))
    return out


# ---------------------------------------------------------------------------------------------
# links
# ---------------------------------------------------------------------------------------------


def ref_sigmoid(z):
    return _elementwise(sigmoid, z)


def ref_log_sigmoid(z):
    return _elementwise(lambda v: -softplus(-v), z)


@functools.lru_cache(maxsize=16384)
def _row_parts(row: tuple[float, ...]):
    """Shared pieces of the softmax family for one row of finite-or-infinite scores.

    Returns ``(m, e, s, top)``: the maximum ``m`` (a float), the terms ``e_k = exp(z_k - m)``,
    ``s`` = the sum of all terms but one maximal one (so the full sum is ``1 + s``), and, for
    a row holding ``+inf``, the mask of its infinite entries (else None). A row of no entry
    has the limits lossnotes gives too: the log of its empty sum is -inf, its softmax empty.
    """
    if not row:
        return -np.inf, [], ZERO, None
    m = max(row)
    if m == np.inf:
        return m, None, None, [v == np.inf for v in row]
    if m == -np.inf:
        raise ValueError("a row of only -inf scores has no softmax")
    e = [mp.exp(to_mp(v) - to_mp(m)) for v in row]  # z_k - m of two exact floats: no cancellation
    k = row.index(m)
    s = mp.fsum(e[j] for j in range(len(row)) if j != k)
    return m, e, s, None


@functools.lru_cache(maxsize=16384)
def _logsumexp_row(row):
    m, _, s, top = _row_parts(row)
    if top is not None:
        return INF
    return to_mp(m) + mp.log1p(s)


@functools.lru_cache(maxsize=16384)
def _log_softmax_row(row):
    m, _, s, top = _row_parts(row)
    if top is not None:
        n = sum(top)
        return tuple(-mp.log(n) if t else -INF for t in top)
    log_total = mp.log1p(s)
    # (z_k - m) <= 0 and -log1p(s) <= 0: a sum of two non-positive numbers, no cancellation.
    return tuple((to_mp(v) - to_mp(m)) - log_total for v in row)


@functools.lru_cache(maxsize=16384)
def _softmax_row(row):
    _, e, s, top = _row_parts(row)
    if top is not None:
        n = sum(top)
        return tuple(ONE / n if t else ZERO for t in top)
    return tuple(ek / (1 + s) for ek in e)


def _rows(func, z, axis, keep_axis: bool):
    """Apply a function of one row (a tuple of floats) along ``axis``."""
    z = np.moveaxis(np.asarray(z), axis, -1)
    lead = z.shape[:-1]
    out = np.empty(lead + ((z.shape[-1],) if keep_axis else ()), dtype=object)
    for index in np.ndindex(lead):
        value = func(tuple(float(v) for v in z[index]))
        if keep_axis:
            for k, v in enumerate(value):
                out[(*index, k)] = v
        else:
            out[index] = value
    return np.moveaxis(out, -1, axis) if keep_axis else out


def ref_logsumexp(z, axis=-1):
    return _rows(_logsumexp_row, z, axis, keep_axis=False)


def ref_log_softmax(z, axis=-1):
    return _rows(_log_softmax_row, z, axis, keep_axis=True)


def ref_softmax(z, axis=-1):
    return _rows(_softmax_row, z, axis, keep_axis=True)


# ---------------------------------------------------------------------------------------------
# the margin view
# ---------------------------------------------------------------------------------------------


def ref_zero_one(m):
    return _elementwise(lambda v: ONE if v <= 0 else ZERO, m)


def ref_zero_one_grad(m):
    return _elementwise(lambda v: ZERO, m)


def ref_perceptron(m):
    return _elementwise(lambda v: mp.mpf(max(-v, 0.0)), m)


def ref_perceptron_grad(m):
    return _elementwise(lambda v: -ONE if v <= 0 else ZERO, m)


def _hinge(v: float):
    return max(1 - to_mp(v), ZERO)


def ref_hinge(m):
    return _elementwise(_hinge, m)


def ref_hinge_grad(m):
    return _elementwise(lambda v: -ONE if v < 1 else ZERO, m)


def ref_squared_hinge(m):
    return _elementwise(lambda v: _hinge(v) ** 2, m)


def ref_squared_hinge_grad(m):
    return _elementwise(lambda v: -2 * _hinge(v), m)


def ref_logistic(m):
    return _elementwise(lambda v: softplus(-v), m)


def ref_logistic_grad(m):
    return _elementwise(lambda v: -sigmoid(-v), m)


def ref_exponential(m):
    return _elementwise(lambda v: mp.exp(-to_mp(v)), m)


def ref_exponential_grad(m):
    return _elementwise(lambda v: -mp.exp(-to_mp(v)), m)


# ---------------------------------------------------------------------------------------------
# cross-entropy
# ---------------------------------------------------------------------------------------------


def _weighted(weight, value):
    """weight * value with 0 * anything = 0: a target weight of 0 drops its term."""
    return ZERO if weight == 0 else weight * value


def _bce(y: float, p: float):
    y, p = to_mp(y), to_mp(p)
    # Both terms are <= 0: no cancellation. log(0) = -inf is mpmath's convention too.
    return -(_weighted(y, mp.log(p)) + _weighted(1 - y, mp.log1p(-p)))


def _bce_logits(y: float, z: float):
    # y softplus(-z) + (1 - y) softplus(z): two non-negative terms.
    return _weighted(to_mp(y), softplus(-z)) + _weighted(1 - to_mp(y), softplus(z))


def _bce_grad(y: float, p: float):
    if p == 0:
        return -INF if y > 0 else ONE
    if p == 1:
        return INF if y < 1 else -ONE
    y, p = to_mp(y), to_mp(p)
    return (p - y) / (p * (1 - p))  # p - y: a difference of exact inputs


def _bce_logits_grad(y: float, z: float):
    # (1 - y) sigma(z) - y sigma(-z): for a hard label one term, each to full precision.
    return _weighted(1 - to_mp(y), sigmoid(z)) - _weighted(to_mp(y), sigmoid(-z))


def ref_binary_cross_entropy(y_true, y_pred, from_logits=False):
    return _elementwise(_bce_logits if from_logits else _bce, y_true, y_pred)


def ref_binary_cross_entropy_grad(y_true, y_pred, from_logits=False):
    return _elementwise(_bce_logits_grad if from_logits else _bce_grad, y_true, y_pred)


def _pairs_of_rows(y_true, y_pred, axis):
    y = np.moveaxis(np.asarray(y_true), axis, -1)
    p = np.moveaxis(np.asarray(y_pred), axis, -1)
    for index in np.ndindex(p.shape[:-1]):
        yield index, tuple(float(v) for v in y[index]), tuple(float(v) for v in p[index])


@functools.lru_cache(maxsize=16384)
def _log_probabilities(row, from_logits):
    if from_logits:
        return _log_softmax_row(row)
    return tuple(mp.log(to_mp(v)) for v in row)


def ref_categorical_cross_entropy(y_true, y_pred, from_logits=False, axis=-1):
    shape = np.moveaxis(np.asarray(y_pred), axis, -1).shape[:-1]
    out = np.empty(shape, dtype=object)
    for index, y, row in _pairs_of_rows(y_true, y_pred, axis):
        log_p = _log_probabilities(row, from_logits)
        out[index] = -mp.fsum(_weighted(to_mp(yk), lk) for yk, lk in zip(y, log_p, strict=True))
    return out


def _softmax_grad_row(y: tuple, row: tuple):
    """sum(y) softmax(z)_k - y_k for one row, without cancelling softmax_k against y_k = 1.

    With e_j = exp(z_j - m) and S = sum e_j, it equals
    (e_k sum_{j!=k} y_j - y_k sum_{j!=k} e_j) / S: for a one-hot target only one of the two
    terms is non-zero, and each is a sum of positive numbers.
    """
    _, e, _, top = _row_parts(row)
    if top is not None:
        limit = _softmax_row(row)
        total = mp.fsum(to_mp(v) for v in y)
        return tuple(total * pk - to_mp(yk) for pk, yk in zip(limit, y, strict=True))
    y = [to_mp(v) for v in y]
    total = mp.fsum(e)
    out = []
    for k in range(len(row)):
        others_y = mp.fsum(y[j] for j in range(len(row)) if j != k)
        others_e = mp.fsum(e[j] for j in range(len(row)) if j != k)
        out.append((e[k] * others_y - _weighted(y[k], others_e)) / total)
    return tuple(out)


def ref_categorical_cross_entropy_grad(y_true, y_pred, from_logits=False, axis=-1):
    y_pred = np.asarray(y_pred)
    out = np.empty(np.moveaxis(y_pred, axis, -1).shape, dtype=object)
    for index, y, row in _pairs_of_rows(y_true, y_pred, axis):
        if from_logits:
            grad = _softmax_grad_row(y, row)
        else:
            grad = tuple(
                ZERO if yk == 0 else (-INF if pk == 0 else -to_mp(yk) / to_mp(pk))
                for yk, pk in zip(y, row, strict=True)
            )
        for k, g in enumerate(grad):
            out[(*index, k)] = g
    return np.moveaxis(out, -1, axis)


def _one_hot(labels, y_pred, axis):
    y_pred = np.asarray(y_pred)
    one_hot = np.zeros(y_pred.shape)
    index = np.expand_dims(np.asarray(labels).astype(np.intp), axis)
    np.put_along_axis(one_hot, index, 1.0, axis=axis)
    return one_hot


def ref_sparse_categorical_cross_entropy(labels, y_pred, from_logits=False, axis=-1):
    one_hot = _one_hot(labels, y_pred, axis)
    return ref_categorical_cross_entropy(one_hot, y_pred, from_logits, axis)


def ref_sparse_categorical_cross_entropy_grad(labels, y_pred, from_logits=False, axis=-1):
    one_hot = _one_hot(labels, y_pred, axis)
    return ref_categorical_cross_entropy_grad(one_hot, y_pred, from_logits, axis)


# ---------------------------------------------------------------------------------------------
# regression (the residual y - y_hat of two floats is exact at this precision)
# ---------------------------------------------------------------------------------------------


def _residual(y: float, p: float):
    return to_mp(y) - to_mp(p)


def ref_mse(y_true, y_pred):
    return _elementwise(lambda y, p: _residual(y, p) ** 2, y_true, y_pred)


def ref_mse_grad(y_true, y_pred):
    return _elementwise(lambda y, p: -2 * _residual(y, p), y_true, y_pred)


def ref_mae(y_true, y_pred):
    return _elementwise(lambda y, p: abs(_residual(y, p)), y_true, y_pred)


def ref_mae_grad(y_true, y_pred):
    return _elementwise(lambda y, p: mp.sign(-_residual(y, p)), y_true, y_pred)


def _huber(delta: float):
    d = to_mp(delta)

    def loss(y, p):
        a = abs(_residual(y, p))
        # delta (|r| - delta / 2) rather than delta |r| - delta^2 / 2: |r| - delta / 2 >= delta / 2.
        return a * a / 2 if a <= d else d * (a - d / 2)

    return loss


def _huber_grad(delta: float):
    d = to_mp(delta)
    return lambda y, p: min(max(-_residual(y, p), -d), d)


def ref_huber(y_true, y_pred, delta=1.0):
    return _elementwise(_huber(delta), y_true, y_pred)


def ref_huber_grad(y_true, y_pred, delta=1.0):
    return _elementwise(_huber_grad(delta), y_true, y_pred)


#: name -> reference function, for every lossnotes function that has one (the registry
#: reads its records' references here).
REFERENCES = {
    "sigmoid": ref_sigmoid,
    "log_sigmoid": ref_log_sigmoid,
    "logsumexp": ref_logsumexp,
    "log_softmax": ref_log_softmax,
    "softmax": ref_softmax,
    "zero_one": ref_zero_one,
    "zero_one_grad": ref_zero_one_grad,
    "perceptron": ref_perceptron,
    "perceptron_grad": ref_perceptron_grad,
    "hinge": ref_hinge,
    "hinge_grad": ref_hinge_grad,
    "squared_hinge": ref_squared_hinge,
    "squared_hinge_grad": ref_squared_hinge_grad,
    "logistic": ref_logistic,
    "logistic_grad": ref_logistic_grad,
    "exponential": ref_exponential,
    "exponential_grad": ref_exponential_grad,
    "binary_cross_entropy": ref_binary_cross_entropy,
    "binary_cross_entropy_grad": ref_binary_cross_entropy_grad,
    "categorical_cross_entropy": ref_categorical_cross_entropy,
    "categorical_cross_entropy_grad": ref_categorical_cross_entropy_grad,
    "sparse_categorical_cross_entropy": ref_sparse_categorical_cross_entropy,
    "sparse_categorical_cross_entropy_grad": ref_sparse_categorical_cross_entropy_grad,
    "mse": ref_mse,
    "mse_grad": ref_mse_grad,
    "mae": ref_mae,
    "mae_grad": ref_mae_grad,
    "huber": ref_huber,
    "huber_grad": ref_huber_grad,
}

# ---------------------------------------------------------------------------------------------
# multiclass margins (a margin z_y - z_j of two floats is exact at this precision)
# ---------------------------------------------------------------------------------------------


def _label_rows(labels, y_pred, axis):
    """(index, true class, row of floats) for each sample, the classes along ``axis``."""
    p = np.moveaxis(np.asarray(y_pred), axis, -1)
    labels = np.asarray(labels)
    for index in np.ndindex(p.shape[:-1]):
        yield index, int(labels[index]), tuple(float(v) for v in p[index])


def _one_hot_labels(y_true, axis):
    return np.argmax(np.moveaxis(np.asarray(y_true), axis, -1), axis=-1)


def _rival_margin(row, k):
    """z_k - max_{j != k} z_j, and the rivals that reach the maximum."""
    top = max(v for j, v in enumerate(row) if j != k)
    return to_mp(row[k]) - to_mp(top), [j for j, v in enumerate(row) if j != k and v == top]


def ref_categorical_hinge(y_true, y_pred, axis=-1):
    shape = np.moveaxis(np.asarray(y_pred), axis, -1).shape[:-1]
    out = np.empty(shape, dtype=object)
    for index, k, row in _label_rows(_one_hot_labels(y_true, axis), y_pred, axis):
        out[index] = max(ZERO, 1 - _rival_margin(row, k)[0])
    return out


def ref_categorical_hinge_grad(y_true, y_pred, axis=-1):
    p = np.moveaxis(np.asarray(y_pred), axis, -1)
    out = np.full(p.shape, ZERO, dtype=object)
    for index, k, row in _label_rows(_one_hot_labels(y_true, axis), y_pred, axis):
        m, rivals = _rival_margin(row, k)
        if m < 1:
            out[(*index, k)] = -ONE
            for j in rivals:
                out[(*index, j)] = ONE / len(rivals)
    return np.moveaxis(out, -1, axis)


def _rival_terms(row, k, margin):
    """margin - (z_k - z_j) for each rival j (None at k)."""
    return [None if j == k else to_mp(margin) - (to_mp(row[k]) - to_mp(v))
            for j, v in enumerate(row)]


def _class_weight(weight, k):
    return ONE if weight is None else to_mp(np.asarray(weight, dtype=np.float64)[k])


def ref_multi_margin_loss(labels, y_pred, p=1, margin=1.0, weight=None, axis=-1):
    shape = np.moveaxis(np.asarray(y_pred), axis, -1).shape[:-1]
    out = np.empty(shape, dtype=object)
    for index, k, row in _label_rows(labels, y_pred, axis):
        terms = [max(ZERO, d) ** p for d in _rival_terms(row, k, margin) if d is not None]
        out[index] = _weighted(_class_weight(weight, k), mp.fsum(terms)) / len(row)
    return out


def ref_multi_margin_loss_grad(labels, y_pred, p=1, margin=1.0, weight=None, axis=-1):
    shape = np.moveaxis(np.asarray(y_pred), axis, -1).shape
    out = np.full(shape, ZERO, dtype=object)
    for index, k, row in _label_rows(labels, y_pred, axis):
        w = _class_weight(weight, k)
        for j, d in enumerate(_rival_terms(row, k, margin)):
            if d is not None and d > 0:
                out[(*index, j)] = _weighted(w, ONE if p == 1 else 2 * d) / len(row)
        out[(*index, k)] = -mp.fsum(out[(*index, j)] for j in range(len(row)) if j != k)
    return np.moveaxis(out, -1, axis)


REFERENCES.update({
    "categorical_hinge": ref_categorical_hinge,
    "categorical_hinge_grad": ref_categorical_hinge_grad,
    "multi_margin_loss": ref_multi_margin_loss,
    "multi_margin_loss_grad": ref_multi_margin_loss_grad,
})

# ---------------------------------------------------------------------------------------------
# multilabel losses
# ---------------------------------------------------------------------------------------------


def _multilabel_rows(y_true, y_pred, weight, axis):
    """(index, targets, scores, class weights) for each sample, the classes along ``axis``."""
    y = np.moveaxis(np.asarray(y_true), axis, -1)
    p = np.moveaxis(np.asarray(y_pred), axis, -1)
    w = [ONE] * p.shape[-1] if weight is None else [
        to_mp(v) for v in np.asarray(weight, dtype=np.float64)]
    for index in np.ndindex(p.shape[:-1]):
        yield index, [float(v) for v in y[index]], [float(v) for v in p[index]], w


def ref_multilabel_soft_margin_loss(y_true, y_pred, weight=None, axis=-1):
    shape = np.moveaxis(np.asarray(y_pred), axis, -1).shape[:-1]
    out = np.empty(shape, dtype=object)
    for index, y, z, w in _multilabel_rows(y_true, y_pred, weight, axis):
        # non-negative terms: no cancellation
        out[index] = mp.fsum(_weighted(wj, _bce_logits(yj, zj))
                             for yj, zj, wj in zip(y, z, w, strict=True)) / len(z)
    return out


def ref_multilabel_soft_margin_loss_grad(y_true, y_pred, weight=None, axis=-1):
    shape = np.moveaxis(np.asarray(y_pred), axis, -1).shape
    out = np.empty(shape, dtype=object)
    for index, y, z, w in _multilabel_rows(y_true, y_pred, weight, axis):
        for j, (yj, zj, wj) in enumerate(zip(y, z, w, strict=True)):
            out[(*index, j)] = _weighted(wj, _bce_logits_grad(yj, zj)) / len(z)
    return np.moveaxis(out, -1, axis)


def _pairs(y, z):
    """1 - (z_j - z_k) for each target class j and non-target class k (z_j - z_k of two floats
    is exact here)."""
    return [(j, k, 1 - (to_mp(z[j]) - to_mp(z[k])))
            for j in range(len(z)) if y[j] == 1 for k in range(len(z)) if y[k] == 0]


def ref_multilabel_margin_loss(y_true, y_pred, axis=-1):
    shape = np.moveaxis(np.asarray(y_pred), axis, -1).shape[:-1]
    out = np.empty(shape, dtype=object)
    for index, y, z, _ in _multilabel_rows(y_true, y_pred, None, axis):
        out[index] = mp.fsum(max(ZERO, d) for _, _, d in _pairs(y, z)) / len(z)
    return out


def ref_multilabel_margin_loss_grad(y_true, y_pred, axis=-1):
    shape = np.moveaxis(np.asarray(y_pred), axis, -1).shape
    out = np.full(shape, ZERO, dtype=object)
    for index, y, z, _ in _multilabel_rows(y_true, y_pred, None, axis):
        for j, k, d in _pairs(y, z):
            if d > 0:
                out[(*index, j)] -= ONE / len(z)
                out[(*index, k)] += ONE / len(z)
    return np.moveaxis(out, -1, axis)


REFERENCES.update({
    "multilabel_soft_margin_loss": ref_multilabel_soft_margin_loss,
    "multilabel_soft_margin_loss_grad": ref_multilabel_soft_margin_loss_grad,
    "multilabel_margin_loss": ref_multilabel_margin_loss,
    "multilabel_margin_loss_grad": ref_multilabel_margin_loss_grad,
})

# ---------------------------------------------------------------------------------------------
# similarity: the hinge embedding loss (margin - x of two floats is exact at this precision)
# ---------------------------------------------------------------------------------------------


def _hinge_embedding(y: float, x: float, margin: float):
    return to_mp(x) if y == 1 else max(ZERO, to_mp(margin) - to_mp(x))


def _hinge_embedding_grad(y: float, x: float, margin: float):
    return ONE if y == 1 else (-ONE if x < margin else ZERO)


def ref_hinge_embedding_loss(y_true, y_pred, margin=1.0):
    return _elementwise(lambda y, x: _hinge_embedding(y, x, margin), y_true, y_pred)


def ref_hinge_embedding_loss_grad(y_true, y_pred, margin=1.0):
    return _elementwise(lambda y, x: _hinge_embedding_grad(y, x, margin), y_true, y_pred)


REFERENCES.update({
    "hinge_embedding_loss": ref_hinge_embedding_loss,
    "hinge_embedding_loss_grad": ref_hinge_embedding_loss_grad,
})

#: Every cache of reference values: :func:`digits` clears them when the precision changes.
_CACHES = (_to_mp, softplus, sigmoid, _row_parts, _logsumexp_row, _log_softmax_row, _softmax_row,
           _log_probabilities)


@contextlib.contextmanager
def digits(n: int):
    """Compute references at ``n`` significant digits inside the block (for checking them)."""
    old = mp.dps
    for f in _CACHES:
        f.cache_clear()
    mp.dps = n
    try:
        yield
    finally:
        mp.dps = old
        for f in _CACHES:
            f.cache_clear()
