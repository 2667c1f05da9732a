"""Links: the functions that turn scores (logits) into probabilities.

Following scikit-learn's ``_loss``, every classification loss in lossnotes is a function of the
raw score; these links are kept separate and computed so that no input overflows.
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    _class_axis_last,
    _where,
    as_float_array,
    as_floats,
    check_axes,
    check_flag,
    check_no_nan,
    quiet,
)


def sigmoid(z):
    r"""Logistic sigmoid, computed without overflow.

    .. math::

        \sigma(z) = \frac{1}{1 + e^{-z}}, \qquad \sigma'(z) = \sigma(z)\,(1 - \sigma(z)).

    Parameters
    ----------
    z : array_like
        Scores (logits) of any shape; NaN is refused, ``+-inf`` are allowed.

    Returns
    -------
    ndarray
        Same shape and floating dtype as ``z``, values in [0, 1].

    Notes
    -----
    With :math:`e = e^{-|z|} \le 1`, :math:`\sigma(z) = 1 / (1 + e)` for :math:`z \ge 0` and
    :math:`e / (1 + e)` for :math:`z < 0`. Neither branch evaluates :math:`e^{|z|}`, so
    :math:`z = \pm 1000` gives 1 and 0 with no overflow warning, and small probabilities such as
    :math:`\sigma(-50) \approx 1.9 \times 10^{-22}` keep full relative precision instead of
    being rounded against 1.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.sigmoid([-1000.0, 0.0, 1000.0])
    array([0. , 0.5, 1. ])
    >>> print(f"{float(ln.sigmoid(-50.0)):.12g}")  # e^-50, not 0
    1.92874984796e-22
    """
    return _sigmoid(as_float_array(z, "z"))


def _sigmoid(z: np.ndarray, flip: bool = False) -> np.ndarray:
    """sigma(z) (sigma(-z) if ``flip``) as _sigmoid_pair computes it, bit for bit, in two
    buffers and a mask: 1 / (1 + e) for z >= 0 and e / (1 + e) below, with e = exp(-|z|)."""
    nonneg = z <= 0 if flip else z >= 0
    e = np.abs(z, out=np.empty_like(z))  # an array even for a 0-d z, for the out= below
    np.negative(e, out=e)
    np.exp(e, out=e)
    d = np.add(e, 1, out=np.empty_like(e))
    np.divide(e, d, out=e)  # e / (1 + e)
    np.divide(1, d, out=d)  # 1 / (1 + e)
    np.copyto(e, d, where=nonneg)
    return e[()]  # a 0-d input gives a NumPy scalar, as a ufunc would


def _sigmoid_pair(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (sigma(z), sigma(-z)), each to full relative precision.

    With e = exp(-|z|) in (0, 1], the larger of the two is 1 / (1 + e) and the smaller
    e / (1 + e); computing 1 - sigma(z) by subtraction would round small values to 0.
    """
    e = np.exp(-np.abs(z))
    big, small = 1 / (1 + e), e / (1 + e)
    nonneg = z >= 0
    return np.where(nonneg, big, small), np.where(nonneg, small, big)


def log_sigmoid(z):
    r"""Logarithm of the sigmoid, :math:`\log \sigma(z) = -\log(1 + e^{-z})`, computed stably.

    .. math::

        \log \sigma(z) = \min(z, 0) - \log\!\left(1 + e^{-|z|}\right).

    Parameters
    ----------
    z : array_like
        Scores of any shape; ``+-inf`` allowed.

    Returns
    -------
    ndarray
        Same shape and dtype as ``z``, values in :math:`(-\infty, 0]`.

    Notes
    -----
    ``log(sigmoid(z))`` would round :math:`\sigma(z)` to 0 for :math:`z < -745` and return
    ``-inf``; the form above uses ``log1p`` of a number in (0, 1] and never overflows, so
    :math:`\log\sigma(-1000) = -1000` exactly.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.log_sigmoid([-1000.0, 0.0, 1000.0])
    array([-1.00000000e+03, -6.93147181e-01,  0.00000000e+00])
    """
    z = as_float_array(z, "z")
    return _log_sigmoid(z)


def _log_sigmoid(z: np.ndarray) -> np.ndarray:
    # min(z, 0) - log1p(exp(-|z|)): exp(-|z|) is in (0, 1], so nothing overflows, and log1p
    # keeps the tiny correction exact where log(1 + tiny) would round it away.
    t = _log1p_exp_minus_abs(z)
    return np.subtract(np.minimum(z, 0), t, out=t)[()]


def _log1p_exp_minus_abs(x: np.ndarray) -> np.ndarray:
    """log1p(exp(-|x|)) in one buffer (0-d in, 0-d array out)."""
    t = np.abs(x, out=np.empty_like(x))
    np.negative(t, out=t)
    np.exp(t, out=t)
    return np.log1p(t, out=t)


def _merged(z: np.ndarray, axes: tuple[int, ...]):
    """``z`` with ``axes`` moved last and merged into one class axis, and the function that
    takes an array of that shape back to ``z``'s layout. A single axis is left where it is."""
    if len(axes) == 1:
        return z, axes[0], lambda out: out
    rest = [a for a in range(z.ndim) if a not in axes]
    moved = np.transpose(z, rest + list(axes))
    order = np.argsort(rest + list(axes))
    return (moved.reshape((*moved.shape[:len(rest)], -1)), len(rest),
            lambda out: np.transpose(out.reshape(moved.shape), order))


@quiet
def logsumexp(z, axis=-1, *, keepdims: bool = False):
    r"""Log of the sum of exponentials along ``axis``, computed without overflow.

    .. math::

        \operatorname{logsumexp}(z) = \log \sum_k e^{z_k}
        = m + \log \sum_k e^{z_k - m}, \qquad m = \max_k z_k.

    Parameters
    ----------
    z : array_like
        Scores with a class axis.
    axis : int, tuple of ints or None, default -1
        The axis or axes to reduce (None: all of them), as in ``keras.ops.logsumexp`` and
        ``torch.logsumexp(z, dim)``.
    keepdims : bool, default False
        Keep each reduced axis with length 1, so that the result broadcasts against ``z``
        (torch's ``keepdim``).

    Returns
    -------
    ndarray
        ``z``'s shape without ``axis`` (or with length 1 there, with ``keepdims``), same dtype.

    Notes
    -----
    Shifting by the maximum makes the largest exponent :math:`e^0 = 1`, so nothing overflows
    and the sum is at least 1. The naive :math:`\log\sum e^{z_k}` overflows to ``inf`` as soon
    as one score exceeds about 709 (float64) or 88 (float32). A row of all ``-inf`` gives
    ``-inf``; a row containing ``+inf`` gives ``+inf``; an empty axis (no classes) gives
    ``-inf``, the log of an empty sum.

    Examples
    --------
    >>> import lossnotes as ln
    >>> round(float(ln.logsumexp([44.0, 10.0, 22.0, 5.0])), 12)
    44.000000000279
    >>> round(float(ln.logsumexp([1000.0, 1000.0])), 12)  # 1000 + log 2
    1000.69314718056
    >>> ln.logsumexp([[0.0, 0.0], [0.0, 0.0]], axis=None).round(6)  # log 4, over both axes
    np.float64(1.386294)
    """
    z = as_float_array(z, "z")
    axes = check_axes(axis, z.ndim, "z")
    keepdims = check_flag(keepdims, "keepdims")
    merged, axis, _ = _merged(z, axes)
    if merged.shape[axis] == 0:
        out = np.full(merged.shape[:axis] + merged.shape[axis + 1:], -np.inf, dtype=z.dtype)
    else:
        out = _logsumexp(merged, axis, keepdims=False)
    return np.expand_dims(out, axes) if keepdims else out


def _shifted(z: np.ndarray, axis: int):
    """The pieces of a max-shifted softmax row: ``(m, e, first, s)``.

    ``m`` is the row maximum, ``e = exp(z - m)`` (shifted by 0 where ``m`` is infinite, since
    inf - inf = nan) except at ``first``, which marks one maximal entry per row, where ``e`` is
    0 (rather than exactly 1 when ``m`` is finite), and ``s`` is the sum of ``e``, so that the
    row sum is ``1 + s``. Keeping ``s`` apart lets ``log1p(s)`` keep a tiny ``s`` that the
    rounded sum ``1 + s`` would lose.
    """
    m = np.max(z, axis=axis, keepdims=True)
    e = np.subtract(z, np.where(np.isfinite(m), m, 0), out=np.empty_like(z))
    np.exp(e, out=e)
    # The first maximal entry of each row: a maximum with none before it (boolean arrays only).
    first = z == m
    before = np.moveaxis(np.logical_or.accumulate(first, axis=axis), axis, 0)[:-1]
    np.moveaxis(first, axis, 0)[1:] &= ~before
    np.copyto(e, 0, where=first)
    s = np.sum(e, axis=axis, keepdims=True)
    return m, e, first, s


def _check_not_all_minus_inf(z: np.ndarray, axis, name: str = "z") -> None:
    """A row of only ``-inf`` scores has no softmax: every probability would be 0 / 0."""
    if z.size and np.isneginf(np.min(z)):
        dead = np.all(np.isneginf(z), axis=axis)
        if dead.any():
            raise ValueError(
                f"{name} has a row of only -inf scores along axis {axis} {_where(dead)}; its "
                "softmax is undefined (0 / 0): expected at least one finite or +inf score per row"
            )


def _logsumexp(z: np.ndarray, axis: int, keepdims: bool) -> np.ndarray:
    m, _, _, s = _shifted(z, axis)
    # m + log1p(s), not m + log(1 + s): for z = [0, -40] the sum 1 + 4e-18 rounds to 1 and log
    # would return 0. An infinite maximum is the answer itself (+inf; -inf for a row of -inf).
    out = np.where(np.isfinite(m), m + np.log1p(s), m)
    return out if keepdims else np.squeeze(out, axis=axis)


@quiet
def log_softmax(z, axis=-1):
    r"""Log of the softmax along ``axis``, computed without overflow.

    .. math::

        \log \operatorname{softmax}(z)_k = z_k - \operatorname{logsumexp}(z).

    Parameters
    ----------
    z : array_like
        Scores with a class axis.
    axis : int, tuple of ints or None, default -1
        The class axis, or axes whose entries together form the distribution (None: all), as
        in ``keras.ops.log_softmax``.

    Returns
    -------
    ndarray
        Same shape and dtype as ``z``; each slice along ``axis`` exponentiates to a
        distribution.

    Notes
    -----
    ``log(softmax(z))`` turns a probability that underflows to 0 into ``-inf``; the difference
    above stays finite: for scores [1000, 0] it gives [0, -1000]. It is evaluated as
    :math:`(z_k - m) - \log(1 + s)` with :math:`m = \max_j z_j` and :math:`s` the sum of
    :math:`e^{z_j - m}` over all entries but one maximal one (``log1p``), so the largest score
    keeps full relative precision: ``z - logsumexp(z)`` would cancel :math:`m` against
    :math:`m + \log(1 + s)` (for [10, 0], an error of about an ulp of 10 on -4.54e-5).

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.log_softmax([1000.0, 0.0])
    array([    0., -1000.])
    """
    z = as_floats(z, "z")  # NaN is refused by _log_softmax_last
    axes = check_axes(axis, z.ndim, "z")
    if len(axes) > 1:  # refused here, where a message can name z's own axes and indices
        check_no_nan(z, "z")
        _check_not_all_minus_inf(z, axes)
    merged, axis, restore = _merged(z, axes)
    if not z.size:
        return z.copy()
    return restore(np.moveaxis(_log_softmax_last(merged, axis), -1, axis))


def _log_softmax_last(z: np.ndarray, axis: int, labels: np.ndarray | None = None,
                      name: str = "z") -> np.ndarray:
    """``log_softmax(z)`` along ``axis``, in a new C-contiguous array with the class axis last;
    given class indices ``labels``, only each sample's entry of its class (``labels``' shape).
    ``z`` may hold NaN or a row of only ``-inf``: both are refused here, found in the row
    maxima, an n-th of the work of looking at ``z``.

    With the classes last and contiguous, every reduction below is NumPy's pairwise sum (or
    maximum) of one row, the same for a row whatever the rest of the batch and wherever the
    class axis was. The formula is ``(z - m) - log1p(s)``, ``m`` the row maximum and ``s`` the
    sum of ``exp(z - m)`` over all entries but one maximal one (see :func:`log_softmax`).
    Call it under :data:`~lossnotes._validation.quiet`."""
    last = _class_axis_last(z, axis)
    d = np.array(last, order="C")  # always a copy: overwritten below
    m = np.maximum.reduce(d, axis=-1, keepdims=True)  # NaN in a row with a NaN
    infinite = False
    if m.size:
        lo, hi = np.minimum.reduce(m, axis=None), np.maximum.reduce(m, axis=None)
        if not (lo > -np.inf and hi < np.inf):
            check_no_nan(z, name)
            _check_not_all_minus_inf(z, axis, name)
            infinite = hi == np.inf
    # Rows holding +inf are the rare case: compute every row with a finite shift (inf - inf
    # and the like only there), then overwrite those rows with their limit.
    if infinite:
        inf_rows = np.isposinf(m)
        m[inf_rows] = 0
    d -= m  # 0 exactly at each maximum, every other exponent below 0
    top = d == 0
    e = np.exp(d)
    e -= top  # exp(0) = 1 at each maximum, left out of the sum
    s = np.add.reduce(e, axis=-1, keepdims=True)
    if infinite or np.count_nonzero(top) != m.size:  # a tie for the maximum somewhere: add
        s += np.add.reduce(top, axis=-1, keepdims=True, dtype=s.dtype) - 1  # back all but one
    log1p_s = np.log1p(s, out=s)
    if labels is not None and not infinite:  # only the entries asked for
        picked = _pick(d, labels, -1)
        picked -= log1p_s.reshape(labels.shape)
        return picked
    d -= log1p_s
    if infinite:
        # A row with +inf scores: in the limit its n infinite entries share the mass equally,
        # log(1/n) each, and every other entry has log-probability -inf.
        top = np.isposinf(last)
        n = np.sum(top, axis=-1, keepdims=True)
        limit = np.where(top, -np.log(np.maximum(n, 1)), -np.inf).astype(z.dtype)
        d = np.where(inf_rows, limit, d)
    return d if labels is None else _pick(d, labels, -1)


@quiet
def softmax(z, axis=-1):
    r"""Softmax along ``axis``: scores to a probability distribution.

    .. math::

        \operatorname{softmax}(z)_k = \frac{e^{z_k}}{\sum_j e^{z_j}}
        = \frac{e^{z_k - m}}{\sum_j e^{z_j - m}}, \qquad m = \max_j z_j.

    Parameters
    ----------
    z : array_like
        Scores with a class axis.
    axis : int, tuple of ints or None, default -1
        The class axis, or axes whose entries together form the distribution (None: all), as
        in ``keras.ops.softmax``.

    Returns
    -------
    ndarray
        Same shape and dtype as ``z``, non-negative, summing to 1 along ``axis``.

    Notes
    -----
    The result is unchanged by adding a constant to every score, so subtracting the maximum
    changes nothing mathematically and keeps every exponent at most 0: the naive formula
    returns ``nan`` (``inf / inf``) for a score of 1000.

    Examples
    --------
    The notes' scores for [cat, dog, car, pedestrian]:

    >>> import lossnotes as ln
    >>> ln.softmax([44.0, 10.0, 22.0, 5.0])
    array([1.00000000e+00, 1.71390843e-15, 2.78946809e-10, 1.15482242e-17])
    >>> ln.softmax([1000.0, 1000.0])
    array([0.5, 0.5])
    """
    z = as_float_array(z, "z")
    axes = check_axes(axis, z.ndim, "z")
    _check_not_all_minus_inf(z, axes if len(axes) > 1 else axes[0])
    merged, axis, restore = _merged(z, axes)
    return restore(_softmax(merged, axis)) if z.size else z.copy()


def _softmax(z: np.ndarray, axis: int) -> np.ndarray:
    m = np.max(z, axis=axis, keepdims=True)
    # Subtract the maximum: every exponent is then <= 0 and the largest term is exactly 1.
    # (Dividing e^(z - m) by its sum is more accurate than exponentiating log_softmax, whose
    # rounding error grows with the size of the scores.)
    e = np.subtract(z, np.where(np.isfinite(m), m, 0), out=np.empty_like(z))
    np.exp(e, out=e)
    infinite = np.isposinf(m)
    if infinite.any():
        # The limit for a row with +inf scores: equal mass on those entries, 0 elsewhere.
        e = np.where(infinite, np.isposinf(z).astype(z.dtype), e)
    e /= e.sum(axis=axis, keepdims=True)
    return e


def _softmax_grad(z: np.ndarray, y: np.ndarray | None, axis: int, labels=None) -> np.ndarray:
    """``sum(y) softmax(z) - y``, the derivative of ``-sum(y log softmax(z))`` w.r.t. ``z``.

    For the largest score softmax is ``1 / (1 + s)``, and ``sum(y) softmax - y`` equals
    ``(sum of the other targets - y s) / (1 + s)``: for a one-hot target on that class it is
    ``-s / (1 + s)`` to full precision, where ``softmax - 1`` keeps only the rounding error of
    the softmax (z = [40, 0]: 0 instead of -4.2e-18). Rows with a ``+inf`` score (and rows of
    only ``-inf``) keep the plain formula with the limiting softmax. Given class indices
    ``labels`` instead of ``y``, ``y`` is their one-hot rows, never built.
    """
    out = _softmax(z, axis)
    m, e, first, s = _shifted(z, axis)
    del e  # one buffer less for the sums below
    if labels is None:
        out *= np.sum(y, axis=axis, keepdims=True)
        out -= y
        y_top = np.sum(np.where(first, y, 0), axis=axis, keepdims=True)
        y_rest = np.sum(np.where(first, 0, y), axis=axis, keepdims=True)
    else:  # sum(y) = 1: subtract 1 at each label; y_top is 1 where the label is first
        hot = _one_hot(labels, z, axis, dtype=bool)  # an eighth of float64 one-hot rows
        out -= hot
        y_top = np.sum(hot & first, axis=axis, keepdims=True, dtype=z.dtype)
        y_rest = 1 - y_top
    top = (y_rest - y_top * s) / (1 + s)
    np.copyto(out, top, where=first & np.isfinite(m))
    return out


def _rows(a: np.ndarray, axis: int) -> np.ndarray:
    """``a`` with the class axis last, as a 2-d array of rows (a view where possible)."""
    return _class_axis_last(a, axis).reshape(-1, a.shape[axis])


def _pick(a: np.ndarray, labels: np.ndarray, axis: int) -> np.ndarray:
    """``a[..., labels, ...]`` along ``axis``: each sample's entry of its class (any rank)."""
    flat = labels.reshape(-1)
    return _rows(a, axis)[np.arange(flat.size), flat].reshape(labels.shape)


def _one_hot(labels: np.ndarray, like: np.ndarray, axis: int, dtype=None) -> np.ndarray:
    """One-hot rows of ``like``'s shape and dtype (or ``dtype``), the class axis at ``axis``."""
    flat = labels.reshape(-1)
    rows = np.zeros((flat.size, like.shape[axis]), dtype=dtype or like.dtype)
    rows[np.arange(flat.size), flat] = 1
    shape = (*like.shape[:axis], *like.shape[axis + 1:], like.shape[axis])
    return np.moveaxis(rows.reshape(shape), -1, axis)
