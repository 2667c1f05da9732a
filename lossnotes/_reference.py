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
    """A float (of any NumPy width) as the exact binary number it holds; an mpmath number
    (a smoothed target, computed in high precision) as it is."""
    return x if hasattr(x, "_mpf_") else _to_mp(float(x))


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


def _rows(func, z, axis, keep_axis: bool, y=None):
    """Apply a function of one row (a tuple of floats) along ``axis``; given targets ``y`` of
    ``z``'s shape, a function of the pair of rows ``(y row, z row)``."""
    z = np.moveaxis(np.asarray(z), axis, -1)
    ys = None if y is None else np.moveaxis(np.asarray(y), axis, -1)
    lead = z.shape[:-1]
    out = np.empty(lead + ((z.shape[-1],) if keep_axis else ()), dtype=object)
    for index in np.ndindex(lead):
        row = tuple(float(v) for v in z[index])
        value = func(row) if ys is None else func(tuple(float(v) for v in ys[index]), row)
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


def _binary_options(scalar, a: float, q):
    """``scalar(y, x)`` with the binary target smoothed towards 1/2 (``1 - y~`` is formed in
    high precision from it, where lossnotes rounds each smoothed target once) and, given a
    ``pos_weight`` ``q``, with the positive target weight ``q y~`` in ``y``'s place: ``scalar``
    then takes the positive and the negative target weights, ``scalar(q y~, 1 - y~, x)``."""
    def target(y):
        return _smoothed(y, a, 2) if a else to_mp(y)

    q = ONE if q is None else to_mp(q)
    return lambda y, x: scalar(_weighted(q, target(y)), 1 - target(y), x)


def _bce(pos, neg, p: float):
    p = to_mp(p)
    # Both terms are <= 0: no cancellation. log(0) = -inf is mpmath's convention too.
    return -(_weighted(pos, mp.log(p)) + _weighted(neg, mp.log1p(-p)))


def _bce_logits(pos, neg, z: float):
    # q y softplus(-z) + (1 - y) softplus(z): two non-negative terms.
    return _weighted(pos, softplus(-z)) + _weighted(neg, softplus(z))


def _bce_grad(pos, neg, p: float):
    # -q y / p + (1 - y) / (1 - p), a term whose target weight is 0 dropped (its limit at
    # p = 0 or 1 included). Without pos_weight (pos + neg = 1) it is (p - y) / (p (1 - p)).
    if p == 0:
        return -INF if pos > 0 else neg
    if p == 1:
        return INF if neg > 0 else -pos
    p = to_mp(p)
    if pos + neg == 1:
        return (p - pos) / (p * (1 - p))  # p - y: a difference of exact numbers
    return (neg * p - pos * (1 - p)) / (p * (1 - p))


def _bce_logits_grad(pos, neg, z: float):
    # (1 - y) sigma(z) - q y sigma(-z): for a hard label and no smoothing one term, each to
    # full precision.
    return _weighted(neg, sigmoid(z)) - _weighted(pos, sigmoid(-z))


def _smoothed(y, a, c: int):
    """The target ``y (1 - a) + a / c``, exactly (to DIGITS digits), from the float inputs."""
    a = to_mp(a)
    return to_mp(y) * (1 - a) + a / c


def ref_binary_cross_entropy(y_true, y_pred, from_logits=False, label_smoothing=0.0,
                             pos_weight=None):
    fn = _bce_logits if from_logits else _bce
    return _elementwise(_binary_options(fn, label_smoothing, pos_weight), y_true, y_pred)


def ref_binary_cross_entropy_grad(y_true, y_pred, from_logits=False, label_smoothing=0.0,
                                  pos_weight=None):
    fn = _bce_logits_grad if from_logits else _bce_grad
    return _elementwise(_binary_options(fn, label_smoothing, pos_weight), y_true, y_pred)


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


def _smoothed_rows(rows, a: float, class_weight=None):
    """Each (index, y, row) with ``y`` smoothed towards 1/C in high precision and, given class
    weights ``c``, each target weighted by its class's, ``c_k y~_k``."""
    for index, y, row in rows:
        y = tuple(_smoothed(v, a, len(y)) for v in y) if a else tuple(to_mp(v) for v in y)
        if class_weight is not None:
            c = [to_mp(v) for v in np.asarray(class_weight).ravel()]
            y = tuple(_weighted(ck, yk) for ck, yk in zip(c, y, strict=True))
        yield index, y, row


def ref_categorical_cross_entropy(y_true, y_pred, from_logits=False, axis=-1,
                                  label_smoothing=0.0, class_weight=None):
    shape = np.moveaxis(np.asarray(y_pred), axis, -1).shape[:-1]
    out = np.empty(shape, dtype=object)
    rows = _smoothed_rows(_pairs_of_rows(y_true, y_pred, axis), label_smoothing, class_weight)
    for index, y, row in rows:
        log_p = _log_probabilities(row, from_logits)
        out[index] = -mp.fsum(_weighted(yk, lk) for yk, lk in zip(y, log_p, strict=True))
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


def ref_categorical_cross_entropy_grad(y_true, y_pred, from_logits=False, axis=-1,
                                       label_smoothing=0.0, class_weight=None):
    y_pred = np.asarray(y_pred)
    out = np.empty(np.moveaxis(y_pred, axis, -1).shape, dtype=object)
    rows = _smoothed_rows(_pairs_of_rows(y_true, y_pred, axis), label_smoothing, class_weight)
    for index, y, row in rows:
        if from_logits:
            grad = _softmax_grad_row(y, row)
        else:
            grad = tuple(
                ZERO if yk == 0 else (-INF if pk == 0 else -yk / to_mp(pk))
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


# The sparse loss is the categorical one of the one-hot rows, with the same options: a class
# weight c_k multiplies the (smoothed) target of class k, so without smoothing the loss is
# c_{label} times -log p_{label}.
def ref_sparse_categorical_cross_entropy(labels, y_pred, from_logits=False, axis=-1,
                                         label_smoothing=0.0, class_weight=None):
    one_hot = _one_hot(labels, y_pred, axis)
    return ref_categorical_cross_entropy(one_hot, y_pred, from_logits, axis, label_smoothing,
                                         class_weight)


def ref_sparse_categorical_cross_entropy_grad(labels, y_pred, from_logits=False, axis=-1,
                                              label_smoothing=0.0, class_weight=None):
    one_hot = _one_hot(labels, y_pred, axis)
    return ref_categorical_cross_entropy_grad(one_hot, y_pred, from_logits, axis,
                                              label_smoothing, class_weight)


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


# ---------------------------------------------------------------------------------------------
# divergences and counts (the terms of a divergence have both signs; at 50 digits their
# cancellation near q = p still leaves far more digits than a float64 holds)
# ---------------------------------------------------------------------------------------------


def _kl_term(p: float, q: float):
    if p == 0:
        return ZERO
    if q == 0:
        return INF
    # log1p((p - q) / q): p - q of two exact floats is exact, so no digit is lost near q = p.
    return to_mp(p) * mp.log1p((to_mp(p) - to_mp(q)) / to_mp(q))


def ref_kl_divergence(y_true, y_pred, axis=-1):
    shape = np.moveaxis(np.asarray(y_pred), axis, -1).shape[:-1]
    out = np.empty(shape, dtype=object)
    for index, p, q in _pairs_of_rows(y_true, y_pred, axis):
        out[index] = mp.fsum(_kl_term(pk, qk) for pk, qk in zip(p, q, strict=True))
    return out


def _kl_grad(p: float, q: float):
    return ZERO if p == 0 else (-INF if q == 0 else -to_mp(p) / to_mp(q))


def ref_kl_divergence_grad(y_true, y_pred, axis=-1):
    return _elementwise(_kl_grad, y_true, y_pred)


def _log_factorial(y: float):
    return mp.loggamma(to_mp(y) + 1)


def _poisson(log_input: bool, full: bool):
    def loss(y: float, p: float):
        if log_input:
            # e^x - y x: +inf at x = +inf (e^x wins) and at x = -inf for y > 0.
            if p == np.inf or (p == -np.inf and y > 0):
                value = INF
            else:
                value = mp.exp(to_mp(p)) - _weighted(to_mp(y), to_mp(p))
        elif p == np.inf or (p == 0 and y > 0):
            value = INF
        else:
            value = to_mp(p) - _weighted(to_mp(y), mp.log(to_mp(p)) if p > 0 else -INF)
        return value + _log_factorial(y) if full else value
    return loss


def _poisson_grad(log_input: bool):
    def grad(y: float, p: float):
        if log_input:
            if p == np.inf:
                return INF
            return (ZERO if p == -np.inf else mp.exp(to_mp(p))) - to_mp(y)
        if p == np.inf or (p == 0 and y == 0):
            return ONE
        if p == 0:
            return -INF
        return (to_mp(p) - to_mp(y)) / to_mp(p)  # p - y: a difference of exact inputs
    return grad


def ref_poisson(y_true, y_pred, log_input=False, full=False):
    return _elementwise(_poisson(log_input, full), y_true, y_pred)


def ref_poisson_grad(y_true, y_pred, log_input=False, full=False):
    return _elementwise(_poisson_grad(log_input), y_true, y_pred)


def _gaussian_nll(full: bool):
    def loss(y: float, p: float, v: float):
        value = (mp.log(to_mp(v)) + _residual(y, p) ** 2 / to_mp(v)) / 2
        return value + mp.log(2 * mp.pi) / 2 if full else value
    return loss


def ref_gaussian_nll_loss(y_true, y_pred, var=1.0, full=False):
    return _elementwise(_gaussian_nll(full), y_true, y_pred, var)


def ref_gaussian_nll_loss_grad(y_true, y_pred, var=1.0, full=False):
    return _elementwise(lambda y, p, v: -_residual(y, p) / to_mp(v), y_true, y_pred, var)


def _log_cosh(y: float, p: float):
    # log(1 + 2 sinh(x/2)^2): cosh x - 1 without cancellation, so tiny residuals keep digits
    return mp.log1p(2 * mp.sinh(_residual(y, p) / 2) ** 2)


def ref_log_cosh(y_true, y_pred):
    return _elementwise(_log_cosh, y_true, y_pred)


def ref_log_cosh_grad(y_true, y_pred):
    return _elementwise(lambda y, p: mp.tanh(-_residual(y, p)), y_true, y_pred)


def ref_mean_absolute_percentage_error(y_true, y_pred):
    return _elementwise(lambda y, p: 100 * abs(_residual(y, p)) / abs(to_mp(y)), y_true, y_pred)


def ref_mean_absolute_percentage_error_grad(y_true, y_pred):
    return _elementwise(lambda y, p: 100 * mp.sign(-_residual(y, p)) / abs(to_mp(y)), y_true,
                        y_pred)


def _log_ratio(y: float, p: float):
    # log(1 + p) - log(1 + y): 1 + x of a float is exact at this precision, and the two logs'
    # cancellation near p = y still leaves far more digits than a float64 holds
    return mp.log1p(to_mp(p)) - mp.log1p(to_mp(y))


def ref_mean_squared_logarithmic_error(y_true, y_pred):
    return _elementwise(lambda y, p: _log_ratio(y, p) ** 2, y_true, y_pred)


def ref_mean_squared_logarithmic_error_grad(y_true, y_pred):
    return _elementwise(lambda y, p: 2 * _log_ratio(y, p) / (1 + to_mp(p)), y_true, y_pred)


def ref_nll_loss(labels, y_pred, axis=-1):
    # -y_pred at each row's class: the one-hot weights pick it, exactly
    one_hot = _one_hot(labels, y_pred, axis)
    shape = np.moveaxis(np.asarray(y_pred), axis, -1).shape[:-1]
    out = np.empty(shape, dtype=object)
    for index, y, row in _pairs_of_rows(one_hot, y_pred, axis):
        out[index] = -to_mp(row[y.index(1.0)])
    return out


def ref_nll_loss_grad(labels, y_pred, axis=-1):
    return _elementwise(lambda y, p: -to_mp(y), _one_hot(labels, y_pred, axis), y_pred)


# ---------------------------------------------------------------------------------------------
# focal losses
# ---------------------------------------------------------------------------------------------


def _focal_parts(y: float, x: float, from_logits: bool, label_smoothing: float):
    """``(y, p, 1 - p, m, B)``: the (smoothed) target, the probability and its complement, the
    probability of the wrong label m = y (1 - p) + (1 - y) p, and the cross-entropy B."""
    y = to_mp(y) * (1 - to_mp(label_smoothing)) + to_mp(label_smoothing) / 2
    if from_logits:
        p, q = sigmoid(x), sigmoid(-x)
        ce = _weighted(y, softplus(-x)) + _weighted(1 - y, softplus(x))
    else:
        p = to_mp(x)
        q = 1 - p  # exact: a float and 1 differ in far fewer than DIGITS digits
        ce = -(_weighted(y, mp.log(p)) + _weighted(1 - y, mp.log1p(-p)))
    # two non-negative terms: no cancellation
    return y, p, q, _weighted(y, q) + _weighted(1 - y, p), ce


def _focal_alpha(y, apply_class_balancing: bool, alpha: float):
    return to_mp(alpha) * y + (1 - to_mp(alpha)) * (1 - y) if apply_class_balancing else ONE


def _binary_focal(gamma, apply_class_balancing, alpha, from_logits, label_smoothing):
    g = to_mp(gamma)

    def loss(y, x):
        y, _, _, m, ce = _focal_parts(y, x, from_logits, label_smoothing)
        # m = 0 only where ce = 0 (a certain right answer), never against ce = inf
        focal = ZERO if ce == 0 else m**g * ce
        return _weighted(_focal_alpha(y, apply_class_balancing, alpha), focal)  # 0 * inf = 0

    return loss


def _binary_focal_grad(gamma, apply_class_balancing, alpha, from_logits, label_smoothing):
    g = to_mp(gamma)

    def grad(y, x):
        y, p, q, m, ce = _focal_parts(y, x, from_logits, label_smoothing)
        # the cross-entropy's derivative, w.r.t. z (p - y) or w.r.t. p ((p - y) / (p (1 - p)))
        if from_logits:
            ce_grad = _weighted(1 - y, p) - _weighted(y, q)
            slope = p * q  # dp/dz
        elif p == 0:
            ce_grad = -INF if y > 0 else ONE
            slope = ONE
        elif p == 1:
            ce_grad = INF if y < 1 else -ONE
            slope = ONE
        else:
            ce_grad, slope = (p - y) / (p * q), ONE
        second = m**g * ce_grad
        if mp.isinf(second):  # 1/p outgrows gamma m^(gamma - 1) log p
            return _weighted(_focal_alpha(y, apply_class_balancing, alpha), second)
        # the first term's limit is 0 where m = 0 or dp/dz = 0 (there m^(gamma-1) ce p q -> 0)
        first = ZERO
        if not (m == 0 or slope == 0 or g == 0):
            first = g * m ** (g - 1) * (1 - 2 * y) * ce * slope
        return _weighted(_focal_alpha(y, apply_class_balancing, alpha), first + second)

    return grad


def _focal_row(y: tuple, row: tuple, from_logits: bool):
    """``(log p, p, 1 - p)`` of one row: from logits ``1 - p_k`` is the other classes' share,
    a sum of positive terms (a row holding +inf takes the limits)."""
    if not from_logits:
        p = [to_mp(v) for v in row]
        return [mp.log(v) for v in p], p, [1 - v for v in p]  # 1 - p: exact at DIGITS digits
    log_p, p = _log_softmax_row(row), _softmax_row(row)
    _, e, _, top = _row_parts(row)
    if top is not None:
        return list(log_p), list(p), [1 - v for v in p]  # p is 0, 1/n or 1: exact
    total = mp.fsum(e)
    return list(log_p), list(p), [mp.fsum(e[j] for j in range(len(e)) if j != k) / total
                                  for k in range(len(e))]


def _focal_smoothed(y: tuple, label_smoothing: float):
    s = to_mp(label_smoothing)
    return [to_mp(v) * (1 - s) + s / len(y) for v in y]


def ref_categorical_focal_cross_entropy(y_true, y_pred, alpha=0.25, gamma=2.0,
                                        from_logits=False, label_smoothing=0.0, axis=-1):
    g = to_mp(gamma)

    def loss(y, row):
        log_p, _, q = _focal_row(y, row, from_logits)
        # each term <= 0; q^gamma = 0 only where log p = 0
        return -to_mp(alpha) * mp.fsum(_weighted(yk, ZERO if qk == 0 else qk**g * lk)
                                       for yk, lk, qk in zip(_focal_smoothed(y, label_smoothing),
                                                             log_p, q, strict=True))

    return _rows(loss, y_pred, axis, False, y_true)


def ref_categorical_focal_cross_entropy_grad(y_true, y_pred, alpha=0.25, gamma=2.0,
                                             from_logits=False, label_smoothing=0.0, axis=-1):
    g, a = to_mp(gamma), to_mp(alpha)

    def slope(qk, x):  # gamma q^(gamma - 1) x, with its limit 0 where q = 0 (then x = 0)
        return ZERO if (qk == 0 or g == 0 or x == 0) else g * qk ** (g - 1) * x

    def grad(y, row):
        log_p, p, q = _focal_row(y, row, from_logits)
        y = _focal_smoothed(y, label_smoothing)
        if not from_logits:
            return tuple(ZERO if yk == 0 else (-INF if pk == 0 else a * yk * (
                slope(qk, lk) - qk**g / pk)) for yk, lk, pk, qk in zip(y, log_p, p, q,
                                                                          strict=True))
        # g_k = y_k (gamma q^(gamma-1) p log p - q^gamma), each term <= 0
        gk = [_weighted(yk, slope(qk, ZERO if pk == 0 else pk * lk) - qk**g)
              for yk, lk, pk, qk in zip(y, log_p, p, q, strict=True)]
        return tuple(a * (gk[j] * q[j] - p[j] * mp.fsum(gk[k] for k in range(len(gk)) if k != j))
                     for j in range(len(gk)))

    return _rows(grad, y_pred, axis, True, y_true)


def ref_binary_focal_cross_entropy(y_true, y_pred, gamma=2.0, apply_class_balancing=False,
                                   alpha=0.25, from_logits=False, label_smoothing=0.0):
    return _elementwise(_binary_focal(gamma, apply_class_balancing, alpha, from_logits,
                                      label_smoothing), y_true, y_pred)


def ref_binary_focal_cross_entropy_grad(y_true, y_pred, gamma=2.0, apply_class_balancing=False,
                                        alpha=0.25, from_logits=False, label_smoothing=0.0):
    return _elementwise(_binary_focal_grad(gamma, apply_class_balancing, alpha, from_logits,
                                           label_smoothing), y_true, y_pred)


def _gce(q: float):
    q = to_mp(q)

    def loss(onehot: tuple, row: tuple):
        (pc,) = [to_mp(v) for v, h in zip(row, onehot, strict=True) if h]
        return -mp.expm1(q * mp.log(pc)) / q if pc else 1 / q  # 1 - p^q without cancelling

    return loss


def _gce_grad(q: float):
    q = to_mp(q)

    def grad(onehot: tuple, row: tuple):
        return tuple(ZERO if not h else (-(to_mp(v) ** (q - 1)) if v or q == 1 else -INF)
                     for v, h in zip(row, onehot, strict=True))

    return grad


def ref_categorical_generalized_cross_entropy(labels, y_pred, q=0.5, axis=-1):
    return _rows(_gce(q), y_pred, axis, False, _one_hot(labels, y_pred, axis))


def ref_categorical_generalized_cross_entropy_grad(labels, y_pred, q=0.5, axis=-1):
    return _rows(_gce_grad(q), y_pred, axis, True, _one_hot(labels, y_pred, axis))


# ---------------------------------------------------------------------------------------------
# segmentation overlaps
# ---------------------------------------------------------------------------------------------


def _overlap_counts(y: tuple, row: tuple):
    """I, M, E of one row: sums of exact products of non-negative terms."""
    y, p = [to_mp(v) for v in y], [to_mp(v) for v in row]
    return (mp.fsum(a * b for a, b in zip(y, p, strict=True)),
            mp.fsum(a * (1 - b) for a, b in zip(y, p, strict=True)),
            mp.fsum((1 - a) * b for a, b in zip(y, p, strict=True)))


def ref_tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=-1):
    a, b = to_mp(alpha), to_mp(beta)

    def loss(y, row):
        i, m, e = _overlap_counts(y, row)
        n = a * m + b * e
        return n / (i + n) if i + n else mp.nan  # 0 / 0: no value

    return _rows(loss, y_pred, axis, False, y_true)


def ref_tversky_grad(y_true, y_pred, alpha=0.5, beta=0.5, axis=-1):
    a, b = to_mp(alpha), to_mp(beta)

    def grad(y, row):
        i, m, e = _overlap_counts(y, row)
        n = a * m + b * e
        d = i + n
        if not d:
            return tuple(mp.nan for _ in row)
        return tuple(((1 - to_mp(v)) * b * i - to_mp(v) * (a * i + n)) / (d * d) for v in y)

    return _rows(grad, y_pred, axis, True, y_true)


def ref_dice(y_true, y_pred, axis=-1):
    return ref_tversky(y_true, y_pred, 0.5, 0.5, axis)


def ref_dice_grad(y_true, y_pred, axis=-1):
    return ref_tversky_grad(y_true, y_pred, 0.5, 0.5, axis)


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
    # focal losses
    "binary_focal_cross_entropy": ref_binary_focal_cross_entropy,
    "binary_focal_cross_entropy_grad": ref_binary_focal_cross_entropy_grad,
    "categorical_focal_cross_entropy": ref_categorical_focal_cross_entropy,
    "categorical_focal_cross_entropy_grad": ref_categorical_focal_cross_entropy_grad,
    "categorical_generalized_cross_entropy": ref_categorical_generalized_cross_entropy,
    "categorical_generalized_cross_entropy_grad": ref_categorical_generalized_cross_entropy_grad,
    # segmentation overlaps
    "dice": ref_dice,
    "dice_grad": ref_dice_grad,
    "tversky": ref_tversky,
    "tversky_grad": ref_tversky_grad,
    # divergences, counts and positive targets
    "kl_divergence": ref_kl_divergence,
    "kl_divergence_grad": ref_kl_divergence_grad,
    "poisson": ref_poisson,
    "poisson_grad": ref_poisson_grad,
    "gaussian_nll_loss": ref_gaussian_nll_loss,
    "gaussian_nll_loss_grad": ref_gaussian_nll_loss_grad,
    "log_cosh": ref_log_cosh,
    "log_cosh_grad": ref_log_cosh_grad,
    "mean_absolute_percentage_error": ref_mean_absolute_percentage_error,
    "mean_absolute_percentage_error_grad": ref_mean_absolute_percentage_error_grad,
    "mean_squared_logarithmic_error": ref_mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error_grad": ref_mean_squared_logarithmic_error_grad,
    "nll_loss": ref_nll_loss,
    "nll_loss_grad": ref_nll_loss_grad,
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
        out[index] = mp.fsum(_weighted(wj, _bce_logits(to_mp(yj), 1 - to_mp(yj), zj))
                             for yj, zj, wj in zip(y, z, w, strict=True)) / len(z)
    return out


def ref_multilabel_soft_margin_loss_grad(y_true, y_pred, weight=None, axis=-1):
    shape = np.moveaxis(np.asarray(y_pred), axis, -1).shape
    out = np.empty(shape, dtype=object)
    for index, y, z, w in _multilabel_rows(y_true, y_pred, weight, axis):
        for j, (yj, zj, wj) in enumerate(zip(y, z, w, strict=True)):
            out[(*index, j)] = (_weighted(wj, _bce_logits_grad(to_mp(yj), 1 - to_mp(yj), zj))
                                / len(z))
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

# ---------------------------------------------------------------------------------------------
# metric learning: the circle loss, from the sums of its definition (not its log-sum-exps)
# ---------------------------------------------------------------------------------------------


def _circle_pairs(labels, embeddings, gamma, margin, remove_diagonal):
    """``(s, pos, neg)``: the exact dot products (each product of two floats is exact at this
    precision, and their sum is rounded once to DIGITS digits) and the pairs' lists."""
    x = [[to_mp(v) for v in row] for row in np.asarray(embeddings, dtype=np.float64)]
    lab = [int(v) for v in np.asarray(labels).ravel()]
    n = len(x)
    s = [[mp.fsum(a * b for a, b in zip(x[i], x[j], strict=True)) for j in range(n)]
         for i in range(n)]
    pos = [[j for j in range(n) if lab[j] == lab[i] and (j != i or not remove_diagonal)]
           for i in range(n)]
    neg = [[j for j in range(n) if lab[j] != lab[i]] for i in range(n)]
    return x, s, pos, neg


def _circle_terms(s, gamma, margin):
    """``(a, da/ds)`` of a positive pair and ``(b, db/ds)`` of a negative pair at ``s``."""
    g, m = to_mp(gamma), to_mp(margin)
    live_p, live_n = s < 1 + m, s > -m
    a = g * (1 + m - s) * (1 - m - s) if live_p else ZERO
    b = g * (s + m) * (s - m) if live_n else ZERO
    return (a, -2 * g * (1 - s) if live_p else ZERO), (b, 2 * g * s if live_n else ZERO)


def _circle_batch(labels, embeddings, gamma, margin, remove_diagonal):
    """log(1 + sum_P e^a sum_N e^b) per sample of one batch, the definition itself."""
    _, s, pos, neg = _circle_pairs(labels, embeddings, gamma, margin, remove_diagonal)
    out = np.empty(len(s), dtype=object)
    for i in range(len(s)):
        p = mp.fsum(mp.exp(_circle_terms(s[i][j], gamma, margin)[0][0]) for j in pos[i])
        q = mp.fsum(mp.exp(_circle_terms(s[i][k], gamma, margin)[1][0]) for k in neg[i])
        out[i] = mp.log1p(p * q)
    return out


def _circle_batch_grad(labels, embeddings, gamma, margin, remove_diagonal):
    """d sum_i l_i / d x_k in one batch: l_i = log(1 + P Q) with P = sum e^a, Q = sum e^b, so
    dl_i/ds_ij = e^a_ij a'_ij Q / (1 + P Q) for a positive pair, e^b_ij b'_ij P / (1 + P Q) for
    a negative one; s_ij = x_i . x_j sends it to x_i (times x_j) and to x_j (times x_i)."""
    x, s, pos, neg = _circle_pairs(labels, embeddings, gamma, margin, remove_diagonal)
    n, d = np.shape(embeddings)
    out = np.full((n, d), ZERO, dtype=object)
    for i in range(n):
        ea = {j: _circle_terms(s[i][j], gamma, margin)[0] for j in pos[i]}
        eb = {k: _circle_terms(s[i][k], gamma, margin)[1] for k in neg[i]}
        p = mp.fsum(mp.exp(a) for a, _ in ea.values())
        q = mp.fsum(mp.exp(b) for b, _ in eb.values())
        slopes = [(j, mp.exp(a) * da * q / (1 + p * q)) for j, (a, da) in ea.items()]
        slopes += [(k, mp.exp(b) * db * p / (1 + p * q)) for k, (b, db) in eb.items()]
        for j, g in slopes:
            for c in range(d):
                out[i, c] += g * x[j][c]
                out[j, c] += g * x[i][c]
    return out


def _circle_stack(batch, grad: bool):
    """``batch`` applied to each batch of a stack (labels (..., N), embeddings (..., N, D))."""
    def ref(labels, embeddings, gamma=80.0, margin=0.4, remove_diagonal=True):
        labels, embeddings = np.asarray(labels), np.asarray(embeddings, dtype=np.float64)
        out = np.empty(embeddings.shape if grad else labels.shape, dtype=object)
        for index in np.ndindex(labels.shape[:-1]):
            out[index] = batch(labels[index], embeddings[index], gamma, margin,
                               remove_diagonal)
        return out
    return ref


ref_circle = _circle_stack(_circle_batch, grad=False)
ref_circle_grad = _circle_stack(_circle_batch_grad, grad=True)


REFERENCES.update({"circle": ref_circle, "circle_grad": ref_circle_grad})
# similarity: the negated cosine (sums of exact products, one square root and a quotient)
# ---------------------------------------------------------------------------------------------


def _cosine_row(y: tuple, p: tuple):
    """``(cos, |y|, |p|)`` of one pair of rows."""
    ym, pm = [to_mp(v) for v in y], [to_mp(v) for v in p]
    ny = mp.sqrt(mp.fsum(v * v for v in ym))
    np_ = mp.sqrt(mp.fsum(v * v for v in pm))
    return mp.fsum(a * b for a, b in zip(ym, pm, strict=True)) / (ny * np_), ym, pm, ny, np_


def ref_negative_cosine_similarity(y_true, y_pred, axis=-1):
    shape = np.moveaxis(np.asarray(y_pred), axis, -1).shape[:-1]
    out = np.empty(shape, dtype=object)
    for index, y, p in _pairs_of_rows(y_true, y_pred, axis):
        out[index] = -_cosine_row(y, p)[0]
    return out


def ref_negative_cosine_similarity_grad(y_true, y_pred, axis=-1):
    shape = np.moveaxis(np.asarray(y_pred), axis, -1).shape
    out = np.empty(shape, dtype=object)
    for index, y, p in _pairs_of_rows(y_true, y_pred, axis):
        cos, ym, pm, ny, np_ = _cosine_row(y, p)
        for k, (a, b) in enumerate(zip(ym, pm, strict=True)):
            out[(*index, k)] = (cos * b / np_ - a / ny) / np_
    return np.moveaxis(out, -1, axis)


REFERENCES.update({
    "negative_cosine_similarity": ref_negative_cosine_similarity,
    "negative_cosine_similarity_grad": ref_negative_cosine_similarity_grad,
})

# ---------------------------------------------------------------------------------------------
# three inputs: the margin ranking loss (x1 - x2 of two floats is exact at this precision)
# ---------------------------------------------------------------------------------------------


def _ranking(x1: float, x2: float, y: float, margin: float, grad: bool):
    """max(0, margin - y (x1 - x2)) or its derivative in x1, exactly; nan where x1 and x2 are
    the same infinity (mpmath's inf - inf)."""
    v = to_mp(margin) - y * (to_mp(x1) - to_mp(x2))
    if mp.isnan(v):
        return v
    if grad:
        return -y * ONE if v > 0 else ZERO
    return max(ZERO, v)


def ref_margin_ranking_loss(x1, x2, y, margin=0.0):
    return _elementwise(lambda a, b, s: _ranking(a, b, s, margin, False), x1, x2, y)


def ref_margin_ranking_loss_grad(x1, x2, y, margin=0.0):
    """The derivatives in x1 and x2, stacked (``margin_ranking_loss_grad`` returns them as a
    tuple)."""
    d1 = _elementwise(lambda a, b, s: _ranking(a, b, s, margin, True), x1, x2, y)
    return np.stack([d1, -d1])


REFERENCES.update({
    "margin_ranking_loss": ref_margin_ranking_loss,
    "margin_ranking_loss_grad": ref_margin_ranking_loss_grad,
})

# ---------------------------------------------------------------------------------------------
# three inputs: the cosine embedding loss. Every product of two floats is exact at this
# precision, so the cross terms a_i b_j - a_j b_i are too: 1 - cos and the derivatives are
# written with them (Lagrange's identity), never as a difference of nearly equal cosines.
# ---------------------------------------------------------------------------------------------


def _cosine_parts(a, b):
    """|a|, |b|, <a, b> and |a|^2 |b|^2 - <a, b>^2 = sum_{i<j} (a_i b_j - a_j b_i)^2."""
    a, b = [to_mp(x) for x in a], [to_mp(x) for x in b]
    dot = mp.fsum(x * y for x, y in zip(a, b, strict=True))
    cross = mp.fsum((a[i] * b[j] - a[j] * b[i]) ** 2
                    for i in range(len(a)) for j in range(i + 1, len(a)))
    return mp.sqrt(mp.fsum(x * x for x in a)), mp.sqrt(mp.fsum(x * x for x in b)), dot, cross


def _one_minus_cos(n1, n2, dot, cross):
    if dot <= 0:
        return 1 - dot / (n1 * n2)  # a sum of two non-negative terms
    return cross / (n1 * n2 * (n1 * n2 + dot))


def _cosine_rows(x1, x2, y, grad: bool):
    """The inputs as arrays, and the object array of the result: one value per pair, or the two
    derivatives (2, D) per pair."""
    x1, x2, y = np.asarray(x1), np.asarray(x2), np.asarray(y)
    return x1, x2, y, np.empty(y.shape + ((2, x1.shape[-1]) if grad else ()), dtype=object)


def ref_cosine_embedding_loss(x1, x2, y, margin=0.0):
    x1, x2, y, out = _cosine_rows(x1, x2, y, False)
    for index in np.ndindex(y.shape):
        n1, n2, dot, cross = _cosine_parts(x1[index], x2[index])
        if y[index] == 1:
            out[index] = _one_minus_cos(n1, n2, dot, cross)
        else:  # cos - margin: the grid keeps the cosine away from the margin
            out[index] = max(ZERO, dot / (n1 * n2) - to_mp(margin))
    return out


def _dcos(a, b, n_a, n_b):
    """d cos(a, b) / d a_k = sum_j a_j (a_j b_k - a_k b_j) / (|a|^3 |b|), exactly."""
    a, b = [to_mp(x) for x in a], [to_mp(x) for x in b]
    return [mp.fsum(a[j] * (a[j] * b[k] - a[k] * b[j]) for j in range(len(a)))
            / (n_a**3 * n_b) for k in range(len(a))]


def ref_cosine_embedding_loss_grad(x1, x2, y, margin=0.0):
    """The derivatives in x1 and x2, stacked (``cosine_embedding_loss_grad`` returns them as a
    tuple)."""
    x1, x2, y, out = _cosine_rows(x1, x2, y, True)
    for index in np.ndindex(y.shape):
        n1, n2, dot, _ = _cosine_parts(x1[index], x2[index])
        sign = -ONE if y[index] == 1 else (ONE if dot / (n1 * n2) > to_mp(margin) else ZERO)
        out[index] = [[sign * g for g in _dcos(x1[index], x2[index], n1, n2)],
                      [sign * g for g in _dcos(x2[index], x1[index], n2, n1)]]
    return np.moveaxis(out, -2, 0)


REFERENCES.update({
    "cosine_embedding_loss": ref_cosine_embedding_loss,
    "cosine_embedding_loss_grad": ref_cosine_embedding_loss_grad,
})

# ---------------------------------------------------------------------------------------------
# three inputs: the triplet margin loss. Each difference x - y + eps of floats is exact at this
# precision; the p-norm and its derivative are evaluated as written.
# ---------------------------------------------------------------------------------------------


def _p_norm(x, y, p, eps):
    """||x - y + eps||_p and its derivative in x (0 for a zero difference), exactly."""
    v = [to_mp(s) - to_mp(t) + to_mp(eps) for s, t in zip(x, y, strict=True)]
    p = to_mp(p)
    norm = mp.fsum(abs(e) ** p for e in v) ** (1 / p)
    if norm == 0:
        return norm, [ZERO] * len(v)
    return norm, [mp.sign(e) * (abs(e) / norm) ** (p - 1) for e in v]


def _pairwise(p, eps):
    """||x - y + eps||_p and its derivatives in x and y."""
    def distance(x, y):
        d, g = _p_norm(x, y, p, eps)
        return d, g, [-e for e in g]
    return distance


def _cosine_distance(x, y):
    """1 - cos(x, y) (through Lagrange's identity) and its derivatives in x and y."""
    n1, n2, dot, cross = _cosine_parts(x, y)
    return (_one_minus_cos(n1, n2, dot, cross), [-g for g in _dcos(x, y, n1, n2)],
            [-g for g in _dcos(y, x, n2, n1)])


def _triplet_row(a, pos, neg, margin, swap, distance):
    """margin + d(a, p) - d(a, n) (the least negative distance with ``swap``) and the
    derivatives of the loss in a, p and n where it is positive (at a tie of the swap, half to
    each distance)."""
    d1, g1x, g1y = distance(a, pos)
    d2, g2x, g2y = distance(a, neg)
    dneg, w2, g3x, g3y = d2, ONE, [ZERO] * len(g1x), [ZERO] * len(g1x)
    if swap:
        d3, g3x, g3y = distance(pos, neg)
        dneg = min(d2, d3)
        w2 = ONE if d2 < d3 else (mp.mpf(0.5) if d2 == d3 else ZERO)
    t = to_mp(margin) + d1 - dneg
    on, w3 = (ONE if t > 0 else ZERO), 1 - w2
    return t, [[on * (x - w2 * y) for x, y in zip(g1x, g2x, strict=True)],
               [on * (x - w3 * y) for x, y in zip(g1y, g3x, strict=True)],
               [on * (-w2 * x - w3 * y) for x, y in zip(g2y, g3y, strict=True)]]


def _triplet_rows(anchor, positive, negative, margin, swap, distance, grad):
    a, pos, neg = np.asarray(anchor), np.asarray(positive), np.asarray(negative)
    shape = a.shape[:-1]
    out = np.empty(shape + ((3, a.shape[-1]) if grad else ()), dtype=object)
    for index in np.ndindex(shape):
        t, g = _triplet_row(a[index], pos[index], neg[index], margin, swap, distance)
        out[index] = g if grad else max(ZERO, t)
    return np.moveaxis(out, -2, 0) if grad else out


def ref_triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6,
                            swap=False):
    return _triplet_rows(anchor, positive, negative, margin, swap, _pairwise(p, eps), False)


def ref_triplet_margin_loss_grad(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6,
                                 swap=False):
    """The derivatives in the anchor, the positive and the negative, stacked
    (``triplet_margin_loss_grad`` returns them as a tuple)."""
    return _triplet_rows(anchor, positive, negative, margin, swap, _pairwise(p, eps), True)


_DISTANCES = {"euclidean": _pairwise(2.0, 1e-6), "cosine": _cosine_distance}


def ref_triplet_margin_with_distance_loss(anchor, positive, negative, distance="euclidean",
                                          margin=1.0, swap=False):
    return _triplet_rows(anchor, positive, negative, margin, swap, _DISTANCES[distance], False)


def ref_triplet_margin_with_distance_loss_grad(anchor, positive, negative,
                                               distance="euclidean", margin=1.0, swap=False):
    """The derivatives in the anchor, the positive and the negative, stacked."""
    return _triplet_rows(anchor, positive, negative, margin, swap, _DISTANCES[distance], True)


REFERENCES.update({
    "triplet_margin_loss": ref_triplet_margin_loss,
    "triplet_margin_loss_grad": ref_triplet_margin_loss_grad,
    "triplet_margin_with_distance_loss": ref_triplet_margin_with_distance_loss,
    "triplet_margin_with_distance_loss_grad": ref_triplet_margin_with_distance_loss_grad,
})

# ---------------------------------------------------------------------------------------------
# sequences: CTC, the forward-backward sums of Graves et al. in probabilities (not logs)
# ---------------------------------------------------------------------------------------------


def _ctc_sequence(labels, logits, blank):
    """``(p, y, occupancy)`` of one sequence: its frames' logits (T, C) and its labels (the
    blank left out), in probabilities at DIGITS digits, Graves et al.'s recursions as
    written (1-based states s = 1 .. 2L + 1 with the blank at odd s). ``p`` is the sum of
    the probabilities of the paths that collapse to the labels (0 if there are none), ``y``
    the softmax of each frame, ``occupancy[t][k]`` the sum over the paths of the
    probability of those with class ``k`` at frame ``t``.

    Every sum adds non-negative numbers and mpmath's exponent does not underflow, so nothing
    cancels and nothing is lost: the probabilities are correct to about DIGITS digits."""
    u = [[to_mp(v) for v in row] for row in logits]
    y = []
    for row in u:
        top = max(row)
        e = [mp.exp(v - top) for v in row]  # v - top of two exact floats: exact here
        total = mp.fsum(e)
        y.append([x / total for x in e])
    t_len, c = len(u), len(u[0]) if u else 0
    ext = [blank]
    for k in labels:
        ext += [k, blank]
    n = len(ext)

    def skip(s):  # s is 0-based; a label differing from the label two states back
        return s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]

    alpha = [[ZERO] * n for _ in range(t_len)]
    alpha[0][0] = y[0][ext[0]]
    if n > 1:
        alpha[0][1] = y[0][ext[1]]
    for t in range(1, t_len):
        for s in range(n):
            came = alpha[t - 1][s] + (alpha[t - 1][s - 1] if s >= 1 else ZERO)
            if skip(s):
                came += alpha[t - 1][s - 2]
            alpha[t][s] = came * y[t][ext[s]]
    # beta_t(s): the paths from state s at frame t to the end, frame t's emission included
    beta = [[ZERO] * n for _ in range(t_len)]
    beta[-1][n - 1] = y[-1][ext[n - 1]]
    if n > 1:
        beta[-1][n - 2] = y[-1][ext[n - 2]]
    for t in range(t_len - 2, -1, -1):
        for s in range(n):
            went = beta[t + 1][s] + (beta[t + 1][s + 1] if s + 1 < n else ZERO)
            if s + 2 < n and skip(s + 2):
                went += beta[t + 1][s + 2]
            beta[t][s] = went * y[t][ext[s]]
    p = alpha[-1][n - 1] + (alpha[-1][n - 2] if n > 1 else ZERO)
    occupancy = [[ZERO] * c for _ in range(t_len)]
    for t in range(t_len):
        for s in range(n):
            if alpha[t][s] != 0:  # alpha beta counts frame t's emission twice
                occupancy[t][ext[s]] += alpha[t][s] * beta[t][s] / y[t][ext[s]]
    return p, y, occupancy


def _ctc_batches(labels, logits, input_lengths, label_lengths, blank):
    """Each sequence's labels (as a tuple) and frames (a list of rows), cut to its lengths:
    without ``label_lengths``, the labels before the first blank; without ``input_lengths``,
    every frame."""
    lab, u = np.asarray(labels), np.asarray(logits, dtype=np.float64)
    n, t_max = u.shape[:2]
    x_len = [t_max] * n if input_lengths is None else [int(v) for v in input_lengths]
    out = []
    for i in range(n):
        row = [int(v) for v in lab[i]]
        if label_lengths is None:
            length = row.index(blank) if blank in row else len(row)
        else:
            length = int(label_lengths[i])
        out.append((tuple(row[:length]), [[float(v) for v in frame]
                                          for frame in u[i, :x_len[i]]]))
    return out, u.shape


def ref_ctc(labels, logits, input_lengths=None, label_lengths=None, blank=0):
    """-log p per sequence; +inf where no path collapses to the labels."""
    sequences, (n, _, _) = _ctc_batches(labels, logits, input_lengths, label_lengths, blank)
    out = np.empty(n, dtype=object)
    for i, (lab, frames) in enumerate(sequences):
        p, _, _ = _ctc_sequence(lab, frames, blank)
        out[i] = -mp.log(p) if p > 0 else INF
    return out


def ref_ctc_grad(labels, logits, input_lengths=None, label_lengths=None, blank=0):
    """y_t(k) - occupancy_t(k) / p per frame within the sequence's length, 0 after it and 0
    for a sequence without a path (its loss is +inf whatever its logits). The one subtraction
    is of two numbers correct to DIGITS digits: a difference far below both (1e-30 of them)
    would keep fewer, which ``tests/test_accuracy.py``'s check at twice the digits notices."""
    sequences, shape = _ctc_batches(labels, logits, input_lengths, label_lengths, blank)
    out = np.full(shape, ZERO, dtype=object)
    for i, (lab, frames) in enumerate(sequences):
        p, y, occupancy = _ctc_sequence(lab, frames, blank)
        if p == 0:
            continue
        for t, (row, occ) in enumerate(zip(y, occupancy, strict=True)):
            out[i, t] = [a - b / p for a, b in zip(row, occ, strict=True)]
    return out


REFERENCES.update({"ctc": ref_ctc, "ctc_grad": ref_ctc_grad})

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
