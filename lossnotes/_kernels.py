"""Fast paths for the common case, used by the public losses before their general code.

Each kernel takes the raw arguments of a loss and returns its result, or ``None`` when the fast
path does not apply: an input that is not a floating array of at least one dimension, shapes
that differ, an empty array, an edge value (a probability of exactly 0 or 1, an infinite
logit), or a NaN anywhere. The caller then runs its general code, which validates every
argument and raises the same error as always, or handles the edge case exactly as documented.
So the kernels never change what a call raises or how an edge case comes out; on valid inputs
their values agree with the general code to the last ulp or two.

Why they are faster, on arrays of a million elements (see ``benchmarks/bench_losses.py``):

- the checks are reductions (``min``, ``max``), one pass each and no boolean temporaries; a NaN
  makes ``min`` NaN, so one ``min`` checks for NaN and for the lower bound at once. For losses
  whose value is NaN whenever an input is, the NaN check is deferred to the result (one scalar);
- no ``np.where``: masked selection is an order of magnitude slower than arithmetic, and on the
  interior of the domain the masks of the general code select nothing;
- in-place operations on one or two buffers instead of a temporary per operation, and inputs
  of more than a few megabytes in cache-sized blocks;
- reductions over a short class axis on a transposed copy of a block of rows, where each step
  is a contiguous pass (NumPy's reductions along a short axis pay a fixed cost per row);
- ``np.clip`` with two bounds instead of ``np.maximum`` with a scalar (NumPy's SIMD path).

The arithmetic is the general code's formula, term for term and in the same dtype, so a value
does not change when another element of the batch sends the whole call to the general code
(``tests/test_core_hostile.py`` checks that bit for bit); ``tests/test_compare_kernels.py``
holds each kernel to the general code.
"""

from __future__ import annotations

import numpy as np

from ._validation import REDUCTIONS, accumulator

_FLOAT_KINDS = "f"
_REAL_KINDS = "fiub"


# --------------------------------------------------------------------------------------------
# shared pieces
# --------------------------------------------------------------------------------------------


def floating(x):
    """``x`` itself if it is a plain float32 or float64 ndarray of 1 to 32 dimensions, not
    empty, else None: everything else (lists, scalars, integers, float16, whose NumPy
    reductions round differently from the kernels' column passes, masked arrays and other
    subclasses, other libraries' tensors, very high ranks) takes the general path, which
    converts or refuses it."""
    if type(x) is not np.ndarray:
        return None
    ok = x.dtype.kind in _FLOAT_KINDS and x.dtype.itemsize >= 4
    return x if ok and 0 < x.ndim <= 32 and x.size else None


def target_like(y, p: np.ndarray):
    """``y`` in ``p``'s dtype and shape, or None: a plain ndarray of that same floating dtype,
    or of integers or bools against float32 or float64 (a cast that cannot overflow or move a
    value across 0 or 1). Other targets take the general path, which checks them as given."""
    if type(y) is not np.ndarray or y.shape != p.shape:
        return None
    if y.dtype == p.dtype:
        return y
    if y.dtype.kind in "iub" and p.dtype.itemsize >= 4:
        return y.astype(p.dtype)
    return None


def reduction_ok(reduction) -> bool:
    return isinstance(reduction, str) and reduction in REDUCTIONS


def pair(y_true, y_pred):
    p = floating(y_pred)
    if p is None:
        return None
    y = target_like(y_true, p)
    return None if y is None else (y, p)


def within(x: np.ndarray, lo, hi, *, open_lo=False, open_hi=False) -> bool:
    """Every element in the interval (NaN fails): two reductions."""
    a, b = np.min(x), np.max(x)
    ok_lo = a > lo if open_lo else a >= lo
    ok_hi = b < hi if open_hi else b <= hi
    return bool(ok_lo and ok_hi)


def finite(x: np.ndarray) -> bool:
    return within(x, -np.inf, np.inf, open_lo=True, open_hi=True)


def finish(loss: np.ndarray, reduction: str):
    """Reduce as ``_validation.reduce`` does; None if the result shows a NaN (then the general
    code finds which input holds it and raises)."""
    if reduction == "none":
        return None if np.isnan(np.min(loss)) else loss
    acc = accumulator(loss.dtype)
    with np.errstate(over="ignore"):
        out = loss.mean(dtype=acc) if reduction == "mean" else loss.sum(dtype=acc)
        return None if np.isnan(out) else loss.dtype.type(out)


#: The elementwise kernels work in blocks of this many bytes per array once an input exceeds
#: UNBLOCKED_BYTES: the few temporaries of a loss formula then stay in cache instead of
#: streaming arrays of many megabytes through memory once per operation (at 10^6 float64
#: elements this halves the time of Huber's five passes; at 10^7 it divides it by three).
#: Smaller inputs already sit in the last-level cache and skip the per-block overhead.
BLOCK_BYTES = 1 << 19
UNBLOCKED_BYTES = 1 << 22


def elementwise(fn, reduction: str, *arrays):
    """Run ``fn`` (block arrays -> unreduced loss, or None to decline) block by block and reduce.

    The sum of a blocked array is the float64 sum of its blocks' pairwise sums, at least as
    accurate as one pairwise sum over everything (which is what the general code does, and
    what this does for an unblocked array). Returns None if ``fn`` declines a block or the
    result shows a NaN; the general code then runs on the whole input.
    """
    if not reduction_ok(reduction):
        return None
    # An edge value (inf - inf, an overflow) makes a NaN or an inf, never a warning here: a
    # NaN sends the call to the general code, an inf is the true value rounded.
    with np.errstate(all="ignore"):
        return _elementwise(fn, reduction, *arrays)


def _elementwise(fn, reduction: str, *arrays):
    n, itemsize = arrays[-1].size, arrays[-1].itemsize
    if n * itemsize <= UNBLOCKED_BYTES:
        loss = fn(*arrays)
        return None if loss is None else finish(loss, reduction)
    size = BLOCK_BYTES // itemsize
    flat = [a.reshape(-1) for a in arrays]
    shape, total = arrays[-1].shape, 0.0
    if reduction == "none":
        out = np.empty(n, dtype=arrays[-1].dtype)
    for start in range(0, n, size):
        blocks = (a[start:start + size] for a in flat)
        if reduction == "none":
            target = out[start:start + size]
            block = fn(*blocks, out=target)
            if block is None:
                return None
            if block is not target:
                target[...] = block
        else:
            block = fn(*blocks)
            if block is None:
                return None
            total += float(np.add.reduce(block, dtype=np.float64))
    if reduction == "none":
        return None if np.isnan(np.min(out)) else out.reshape(shape)
    if np.isnan(total):
        return None
    dtype = arrays[-1].dtype
    return dtype.type(total / n if reduction == "mean" else total)


# --------------------------------------------------------------------------------------------
# regression
# --------------------------------------------------------------------------------------------


def _squared_error(y, p, out=None):
    loss = np.subtract(y, p, out=out)
    np.square(loss, out=loss)
    return loss


def _absolute_error(y, p, out=None):
    loss = np.subtract(y, p, out=out)
    np.abs(loss, out=loss)
    return loss


def _huber(y, p, delta, out=None):
    # q (r - q/2) with q = clip(r, -delta, delta), the general code's formula, in place.
    r = np.subtract(y, p, out=out)
    q = np.clip(r, -delta, delta)
    t = np.multiply(q, 0.5)
    np.subtract(r, t, out=r)
    r *= q
    return r


def mse(y_true, y_pred, reduction):
    args = pair(y_true, y_pred)
    return None if args is None else elementwise(_squared_error, reduction, *args)


def mae(y_true, y_pred, reduction):
    args = pair(y_true, y_pred)
    return None if args is None else elementwise(_absolute_error, reduction, *args)


def huber(y_true, y_pred, delta, reduction):
    args = pair(y_true, y_pred)
    if args is None or isinstance(delta, bool) or not isinstance(delta, float | int) \
            or not -(2**1000) < delta < 2**1000 or not 0 < delta < np.inf:
        return None
    delta = float(delta)
    return elementwise(lambda y, p, out=None: _huber(y, p, delta, out), reduction, *args)


# --------------------------------------------------------------------------------------------
# margins
# --------------------------------------------------------------------------------------------


def _margin(labels, s, out=None):
    # |y| == 1 everywhere (NaN fails); the buffer of |y| then receives the margins.
    m = np.abs(labels, out=out)
    if not (m == 1).all():
        return None
    np.multiply(labels, s, out=m)
    return m


def margin(y, score):
    """``y * score`` for labels that are all exactly -1 or +1, else None."""
    s = floating(score)
    if s is None:
        return None
    labels = target_like(y, s)
    return None if labels is None else elementwise(_margin, "none", labels, s)


def _hinge(m, out=None):
    out = np.subtract(1, m, out=out)
    np.clip(out, 0, np.inf, out=out)  # max(1 - m, 0); NaN stays NaN
    return out


def _squared_hinge(m, out=None):
    out = _hinge(m, out)
    np.square(out, out=out)
    return out


def _logistic(m, out=None):
    # softplus(-m) = max(-m, 0) + log1p(exp(-|m|)), the general code's formula, in two buffers.
    # It is right at m = +-inf as well (exp(-inf) = 0): only a NaN sends m back.
    t = np.abs(m, out=out)
    np.negative(t, out=t)
    np.exp(t, out=t)
    t = np.log1p(t, out=t)
    return np.subtract(t, np.clip(m, -np.inf, 0), out=out)  # + max(-m, 0)


def hinge(m):
    m = floating(m)
    return None if m is None else elementwise(_hinge, "none", m)


def squared_hinge(m):
    m = floating(m)
    return None if m is None else elementwise(_squared_hinge, "none", m)


def logistic(m):
    m = floating(m)
    return None if m is None else elementwise(_logistic, "none", m)


# --------------------------------------------------------------------------------------------
# binary cross-entropy
# --------------------------------------------------------------------------------------------


def _bce_logits(y, z, out=None):
    if not within(y, 0, 1) or not finite(z):
        return None
    # y max(-z, 0) + (1 - y) max(z, 0) + log1p(exp(-|z|)), grouped as the general code.
    t = np.abs(z)
    np.negative(t, out=t)
    np.exp(t, out=t)
    t = np.log1p(t, out=t)
    pos = np.clip(z, 0, np.inf)  # max(z, 0)
    neg = np.subtract(pos, z)  # max(-z, 0), exactly
    neg *= y
    pos *= np.subtract(1, y)
    neg += pos
    neg += t
    return neg


def _bce_probabilities(y, p, out=None):
    # A probability of 0 or 1 declines: the general code's 0 log 0 = 0 convention.
    if not within(y, 0, 1) or not within(p, 0, 1, open_lo=True, open_hi=True):
        return None
    # -(y log p + (1 - y) log1p(-p))
    a = np.log(p)
    a *= y
    b = np.negative(p)
    b = np.log1p(b, out=b)
    b *= np.subtract(1, y)
    a += b
    np.negative(a, out=a)
    return a


def binary_cross_entropy(y_true, y_pred, from_logits, reduction):
    args = pair(y_true, y_pred)
    if args is None:
        return None
    return elementwise(_bce_logits if from_logits else _bce_probabilities, reduction, *args)


# --------------------------------------------------------------------------------------------
# categorical and sparse categorical cross-entropy
# --------------------------------------------------------------------------------------------

#: Up to this many classes on the last axis, reductions along it go column by column: NumPy's
#: own reductions along a short contiguous axis pay a fixed cost per row that dominates (4 ms
#: for the maximum of 10^5 rows of 10 classes, against 0.8). Column by column, a sum adds in
#: the same order as ``np.sum`` over such a row, so the result is identical.
SHORT_ROWS = 32


def _short(x: np.ndarray, axis: int) -> bool:
    return axis == x.ndim - 1 and x.shape[axis] <= SHORT_ROWS


def row_max(z: np.ndarray, axis: int) -> np.ndarray:
    if _short(z, axis):
        m = z[..., 0].copy()
        for k in range(1, z.shape[-1]):
            np.maximum(m, z[..., k], out=m)
        return m[..., None]
    return np.max(z, axis=axis, keepdims=True)


def row_sum(x: np.ndarray, axis: int) -> np.ndarray:
    if _short(x, axis):
        s = x[..., 0].copy()
        for k in range(1, x.shape[-1]):
            s += x[..., k]
        return s[..., None]
    return np.sum(x, axis=axis, keepdims=True)


def row_dot(y: np.ndarray, x: np.ndarray, axis: int) -> np.ndarray:
    """sum(y * x) along axis (axis removed); overwrites x."""
    x *= y
    return row_sum(x, axis).squeeze(axis)


def _axis(axis, ndim: int):
    if not isinstance(axis, int | np.integer) or isinstance(axis, bool) or ndim == 0 \
            or not -ndim <= axis < ndim:
        return None
    return int(axis) % ndim


def _rows_sum_to_one(p: np.ndarray, axis: int) -> bool:
    """True if every row surely passes ``check_rows_sum_to_one`` (which sums in float64):
    the native-dtype sum, whose rounding error is at most a few epsilons per class, is held to
    its tolerance less that error. Otherwise the general code decides (and raises)."""
    n = p.shape[axis]
    eps = float(np.finfo(p.dtype).eps)
    tol = (8 - 2) * max(1, n) * eps  # check_rows_sum_to_one's 8 n eps
    return within(row_sum(p, axis), 1 - tol, 1 + tol)


def row_subtract(x: np.ndarray, r: np.ndarray, axis: int, out: np.ndarray | None = None):
    """``x - r`` with ``r`` one value per row (keepdims); column by column for short rows,
    where a broadcast subtraction would again pay per row."""
    if not _short(x, axis):
        return np.subtract(x, r, out=out)
    out = np.empty_like(x) if out is None else out
    r = r[..., 0]
    for k in range(x.shape[-1]):
        np.subtract(x[..., k], r, out=out[..., k])
    return out


def log_softmax_parts(z: np.ndarray, axis: int):
    """``(d, log1p(s))`` with ``d = z - max(z)`` and ``s`` the sum of ``exp(d)`` over all but one
    maximal entry per row, so that ``log_softmax(z) = d - log1p(s)`` (the general code's
    cancellation-free form). For finite z. The maxima are the entries with ``d == 0``; they are
    left out of the sum and all but one added back as the integer count - 1, which keeps a tiny
    ``s`` that ``sum(exp(d)) - 1`` would round away."""
    d = row_subtract(z, row_max(z, axis), axis)
    top = np.equal(d, 0)
    e = np.exp(d)
    e -= top
    s = row_sum(e, axis)
    if np.count_nonzero(top) != top.size // z.shape[axis]:  # a tie for the maximum somewhere
        s += row_sum(top.astype(z.dtype), axis) - 1
    return d, np.log1p(s, out=s)


#: Rows per block in the short-row logit kernels: a block of 10 float32 classes is 1.3 MB,
#: so its transposed copies stay in cache however large the batch.
BLOCK_ROWS = 1 << 15


def _blocks(n_rows: int):
    for start in range(0, n_rows, BLOCK_ROWS):
        yield slice(start, min(start + BLOCK_ROWS, n_rows))


def _log_softmax_t(z: np.ndarray):
    """For a (rows, C) block of finite logits: ``(d, lse)`` transposed, ``d`` of shape (C, rows)
    holding ``z - max(z)`` and ``lse = log1p(s)`` per row, ``s`` summed over all but one maximal
    entry (see :func:`log_softmax_parts`). In the transposed, contiguous copy every step is a
    pass along rows, and the sums over classes add in the same order as ``np.sum`` along a
    row, so the values are those of the general code."""
    d = np.array(z.T, order="C")  # always a copy (for one row, z.T is already contiguous)
    np.subtract(d, np.maximum.reduce(d, axis=0), out=d)
    top = np.equal(d, 0)
    e = np.exp(d)
    e -= top
    s = np.add.reduce(e, axis=0)
    if np.count_nonzero(top) != d.shape[1]:  # a tie for the maximum somewhere
        s += np.add.reduce(top, axis=0, dtype=d.dtype) - 1
    return d, np.log1p(s, out=s)


def _categorical_logits_short(y: np.ndarray, z: np.ndarray) -> np.ndarray:
    c = z.shape[-1]
    y2, z2 = y.reshape(-1, c), z.reshape(-1, c)
    out = np.empty(z2.shape[0], dtype=z.dtype)
    for rows in _blocks(z2.shape[0]):
        d, lse = _log_softmax_t(z2[rows])
        d -= lse  # log_softmax, transposed
        d *= np.ascontiguousarray(y2[rows].T)
        np.add.reduce(d, axis=0, out=out[rows])
    np.negative(out, out=out)
    return out.reshape(z.shape[:-1])


def _sparse_logits_short(labels: np.ndarray, z: np.ndarray) -> np.ndarray:
    c = z.shape[-1]
    lab, z2 = labels.reshape(-1), z.reshape(-1, c)
    out = np.empty(z2.shape[0], dtype=z.dtype)
    for rows in _blocks(z2.shape[0]):
        d, lse = _log_softmax_t(z2[rows])
        loss = d[lab[rows], np.arange(d.shape[1])]  # d at the true class
        loss -= lse
        np.negative(loss, out=out[rows])
    return out.reshape(z.shape[:-1])


def categorical_cross_entropy(y_true, y_pred, from_logits, axis, reduction):
    args = pair(y_true, y_pred)
    if args is None or not reduction_ok(reduction):
        return None
    y, p = args
    axis = _axis(axis, p.ndim)
    if axis is None or not within(y, 0, 1):
        return None
    if from_logits:
        if not finite(p):
            return None
        if _short(p, axis):
            return finish(_categorical_logits_short(y, p), reduction)
        d, lse = log_softmax_parts(p, axis)
        log_p = row_subtract(d, lse, axis, out=d)  # log_softmax(z)
    else:
        # p in (0, 1]: no log 0, so the general code's 0 log 0 = 0 convention never applies.
        if not within(p, 0, 1, open_lo=True) or not _rows_sum_to_one(p, axis):
            return None
        log_p = np.log(p)
    loss = row_dot(y, log_p, axis)
    np.negative(loss, out=loss)
    return finish(loss, reduction)


def sparse_categorical_cross_entropy(labels, y_pred, from_logits, axis, reduction):
    p = floating(y_pred)
    if p is None or not reduction_ok(reduction) or type(labels) is not np.ndarray:
        return None
    axis = _axis(axis, p.ndim)
    if axis is None:
        return None
    n = p.shape[axis]
    if labels.dtype.kind not in "iu" or labels.shape != p.shape[:axis] + p.shape[axis + 1:] \
            or (labels.size and not within(labels, 0, n - 1)):
        return None
    index = np.expand_dims(labels.astype(np.intp, copy=False), axis)
    if from_logits:
        if not finite(p):
            return None
        if _short(p, axis):
            return finish(_sparse_logits_short(labels, p), reduction)
        d, lse = log_softmax_parts(p, axis)
        # -(d_c - log1p(s)): the general code's log_softmax at the true class.
        loss = np.take_along_axis(d, index, axis=axis)
        loss -= lse
    else:
        if not within(p, 0, 1, open_lo=True) or not _rows_sum_to_one(p, axis):
            return None
        loss = np.log(np.take_along_axis(p, index, axis=axis))
    loss = loss.squeeze(axis)
    np.negative(loss, out=loss)
    return finish(loss, reduction)
