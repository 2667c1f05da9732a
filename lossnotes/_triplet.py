r"""Losses of triplets: an anchor embedding, a positive one (the same kind of thing) and a
negative one (something else), the anchor asked to be closer to the positive than to the
negative by a margin.

The triplet margin loss (torch's ``triplet_margin_loss``, Schroff et al. 2015's FaceNet loss)
charges :math:`\max(0,\; d(a, p) - d(a, n) + \text{margin})` for the distance :math:`d` of
torch's ``pairwise_distance``. Like every loss of three inputs, ``<loss>_grad`` returns one
derivative per input, as a tuple (here with respect to the anchor, the positive and the
negative).
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import _where, as_float_array, check_same_shape, first, quiet, reduce

_NAMES = ("anchor", "positive", "negative")


def _check_real(value, name: str, expected: str, ok) -> float:
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real) \
            or not np.isfinite(value) or not ok(float(value)):
        raise ValueError(f"{name} must be {expected}; found {value!r}")
    return float(value)


def _triplet(anchor, positive, negative) -> tuple[np.ndarray, ...]:
    """The three embeddings, checked (no NaN or infinity, one shape, vectors on the last axis)
    and in their common float dtype."""
    xs = [as_float_array(x, name) for x, name in zip((anchor, positive, negative), _NAMES,
                                                     strict=True)]
    dtype = np.result_type(*(x.dtype for x in xs))
    xs = [x.astype(dtype, copy=False) for x in xs]
    for x, name in zip(xs[1:], _NAMES[1:], strict=True):
        check_same_shape(x, xs[0], name, "anchor")
    if xs[0].ndim == 0 or xs[0].shape[-1] == 0:
        raise ValueError(f"anchor has shape {xs[0].shape}; expected vectors along the last "
                         "axis (at least one entry each)")
    for x, name in zip(xs, _NAMES, strict=True):
        bad = np.isinf(x)
        if bad.any():
            raise ValueError(f"{name} holds {first(x, bad)!r} {_where(bad)}; expected finite "
                             "embeddings (the distance of an infinite vector has no value)")
    return tuple(xs)


def _norm(v: np.ndarray, p: float, what: str) -> tuple[np.ndarray, np.ndarray]:
    r"""The p-norm of ``v`` along the last axis and its derivative
    :math:`\operatorname{sign}(v_k) (|v_k| / \|v\|_p)^{p - 1}` (0 for a zero vector). ``v`` is
    divided by its largest entry first, so that its powers neither overflow nor underflow."""
    if not np.isfinite(v).all():
        raise ValueError(f"{what} overflows {_where(~np.isfinite(v))}; expected embeddings "
                         "whose differences are finite numbers")
    big = np.max(np.abs(v), axis=-1, keepdims=True)
    scaled = np.abs(v) / np.where(big > 0, big, 1)
    if p == 1:
        length = np.sum(scaled, axis=-1, keepdims=True)
    elif p == 2:
        length = np.sqrt(np.sum(scaled * scaled, axis=-1, keepdims=True))
    else:
        length = np.sum(scaled**p, axis=-1, keepdims=True) ** (1 / p)
    norm = (big * length)[..., 0]
    if np.isinf(norm).any():
        raise ValueError(f"the distance {what} overflows {_where(np.isinf(norm))}; expected "
                         "embeddings whose distances are finite numbers")
    slope = np.sign(v) * (scaled / np.where(length > 0, length, 1)) ** (p - 1)
    return norm, np.where(big > 0, slope, 0)


def _triplet_terms(anchor, positive, negative, margin, p, eps, swap):
    """The loss's argument margin + d(a, p) - d(a, n) (d(a, n) the least of d(a, n) and
    d(p, n) with ``swap``), the derivatives of the distances, the share of the negative
    distance each of d(a, n) and d(p, n) takes, and the embeddings' dtype. float32 and float16
    are computed in float64 and rounded once, at the end."""
    a, pos, neg = _triplet(anchor, positive, negative)
    dtype = a.dtype
    margin = _check_real(margin, "margin", "a positive finite number (with margin <= 0 "
                         "mapping every input to one point costs nothing)", lambda m: m > 0)
    p = _check_real(p, "p", "a finite number >= 1 (the order of a norm)", lambda q: q >= 1)
    eps = _check_real(eps, "eps", "a finite real number", lambda e: True)
    if not isinstance(swap, bool | np.bool_):
        raise TypeError(f"swap must be True or False; found {swap!r} ({type(swap).__name__})")
    work = np.promote_types(dtype, np.float64)
    a, pos, neg, e = a.astype(work), pos.astype(work), neg.astype(work), work.type(eps)
    d1, g1 = _norm(a - pos + e, p, "anchor - positive")
    d2, g2 = _norm(a - neg + e, p, "anchor - negative")
    if swap:
        d3, g3 = _norm(pos - neg + e, p, "positive - negative")
        # at a tie, half of the derivative to each (torch's minimum does the same)
        w2 = np.where(d2 < d3, 1.0, np.where(d2 == d3, 0.5, 0.0))
        dneg = np.minimum(d2, d3)
    else:
        g3, w2, dneg = np.zeros_like(g2), np.ones_like(d2), d2
    terms = work.type(margin) + d1 - dneg
    return terms, (g1, g2, g3), w2, dtype


def _triplet_grad(terms, slopes, w2, dtype, at_kink: bool):
    """(d_anchor, d_positive, d_negative) of max(0, terms); ``at_kink`` is the derivative
    chosen where ``terms`` is 0."""
    g1, g2, g3 = slopes
    active = (terms > 0) | (at_kink & (terms == 0))
    on, w2 = active[..., None], w2[..., None]
    w3 = 1 - w2
    out = (g1 - w2 * g2, -g1 - w3 * g3, w2 * g2 + w3 * g3)
    return tuple(np.where(on, d + 0.0, 0).astype(dtype) for d in out)  # + 0.0: no -0.0


@quiet
def triplet_margin_loss(anchor, positive, negative, *, margin: float = 1.0, p: float = 2.0,
                        eps: float = 1e-6, swap: bool = False, reduction: str = "mean"):
    r"""The triplet margin loss (torch's ``triplet_margin_loss``).

    .. math::

        d(x, y) = \Bigl(\sum_k |x_k - y_k + \epsilon|^p\Bigr)^{1/p}, \qquad
        \ell_i = \max\bigl(0,\; d(a_i, p_i) - d(a_i, n_i) + \text{margin}\bigr)

    for an anchor :math:`a_i`, a positive :math:`p_i` and a negative :math:`n_i` (vectors on
    the last axis). With ``swap`` (the distance swap of Balntas et al. 2016) the negative
    distance is the smaller of :math:`d(a_i, n_i)` and :math:`d(p_i, n_i)`: the negative must
    be far from both. The reduction is the mean (default) or sum over all triplets, or
    ``"none"``.

    Parameters
    ----------
    anchor, positive, negative : array_like
        Embeddings of one shape ``(..., D)``, vectors along the last axis, finite; the result
        has their common float dtype.
    margin : float, default 1.0
        How much closer the positive must be than the negative to cost nothing; positive (as
        torch requires: with a margin of 0 mapping every input to one point costs nothing).
    p : float, default 2.0
        The order of the norm, at least 1 (1: the sum of absolute differences, 2: the
        Euclidean distance).
    eps : float, default 1e-6
        Added to every difference before its norm is taken, as torch's ``pairwise_distance``
        does. ``eps=0`` gives the plain distance :math:`\|x - y\|_p`.
    swap : bool, default False
        Use the smaller of :math:`d(a, n)` and :math:`d(p, n)` as the negative distance.
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    ndarray or scalar
        Shape ``anchor.shape[:-1]`` for ``"none"``, else a scalar.

    Raises
    ------
    ValueError
        On NaN or infinite entries, shapes that differ, a margin that is not positive, ``p``
        below 1, a non-finite ``eps``, differences or distances that overflow, or an unknown
        reduction.

    Notes
    -----
    lossnotes adds ``eps`` to each difference, as torch does, so that its defaults give
    torch's numbers: the eps moves every distance by about :math:`\epsilon D^{1/p}` at most,
    which is 2e-6 for vectors of length 4, a difference a reader comparing with torch would
    otherwise have to explain, and it keeps the Euclidean distance away from 0, where it has
    no derivative. ``eps=0`` gives the distance of the mathematics. Each difference is divided
    by its largest entry before its norm is taken (no overflow for entries of 1e200, no
    underflow for 1e-200), and float32 and float16 are computed in float64 and rounded once
    (within half an ulp on the accuracy grid). In float64 each difference ``x - y + eps`` is
    rounded twice and the derivative in the anchor is a difference of two derivatives: on the
    accuracy grid the loss is within 3 ulps and the derivatives within 6; lossnotes promises 8.
    Keras has no triplet loss.

    Examples
    --------
    The positive 3 away from the anchor and the negative 4 away, on the same side
    (``eps=0``, the plain Euclidean distance): the negative is 1 farther, short of the margin
    2 by 1. With the swap the negative distance is the 1 between the positive and the
    negative, and the triplet costs 2 + 3 - 1:

    >>> import lossnotes as ln
    >>> a, p, n = [[0.0, 0.0]], [[3.0, 0.0]], [[4.0, 0.0]]
    >>> print(ln.triplet_margin_loss(a, p, n, margin=2.0, eps=0.0))
    1.0
    >>> print(ln.triplet_margin_loss(a, p, n, margin=2.0, eps=0.0, swap=True))
    4.0
    """
    terms, _, _, dtype = _triplet_terms(anchor, positive, negative, margin, p, eps, swap)
    return reduce(np.maximum(terms, 0).astype(dtype), reduction)


@quiet
def triplet_margin_loss_grad(anchor, positive, negative, *, margin: float = 1.0,
                             p: float = 2.0, eps: float = 1e-6, swap: bool = False):
    r"""Derivatives of the unreduced :func:`triplet_margin_loss` with respect to the anchor,
    the positive and the negative.

    With :math:`v = a - p + \epsilon`, :math:`w = a - n + \epsilon` and the derivative of the
    p-norm :math:`g(v)_k = \operatorname{sign}(v_k) \, (|v_k| / \|v\|_p)^{p - 1}`, a triplet
    that costs something has

    .. math::

        \frac{\partial \ell}{\partial a} = g(v) - g(w), \qquad
        \frac{\partial \ell}{\partial p} = -g(v), \qquad
        \frac{\partial \ell}{\partial n} = g(w);

    with ``swap``, where :math:`d(p, n)` is the smaller, :math:`g(p - n + \epsilon)` takes the
    place of :math:`g(w)` in the derivatives in :math:`p` (with a minus sign) and :math:`n`.

    Parameters
    ----------
    anchor, positive, negative, margin, p, eps, swap
        As for :func:`triplet_margin_loss`.

    Returns
    -------
    tuple of ndarray
        ``(d_anchor, d_positive, d_negative)``, each of ``anchor``'s shape and the embeddings'
        dtype.

    Notes
    -----
    Where the loss is not differentiable lossnotes chooses a subgradient: 0 at the kink (a
    triplet exactly the margin short, loss 0), where torch's ``clamp_min`` passes the
    derivative of the distances; 0 for the norm of a zero difference (possible with
    ``eps=0``, or for a difference of exactly ``-eps``) and for an entry 0 of a difference with
    ``p=1``, as torch; and with ``swap``, at a tie :math:`d(a, n) = d(p, n)`, half of the
    derivative to each distance, as torch's ``minimum``.

    Examples
    --------
    The anchor at the origin, the positive 3 to its right, the negative 4 above: descending
    the loss moves the positive towards the anchor, the negative away from it, and the anchor
    towards the positive and away from the negative:

    >>> import lossnotes as ln
    >>> da, dp, dn = ln.triplet_margin_loss_grad([[0.0, 0.0]], [[3.0, 0.0]], [[0.0, 4.0]],
    ...                                          margin=2.0, eps=0.0)
    >>> print(da, dp, dn)
    [[-1.  1.]] [[1. 0.]] [[ 0. -1.]]
    """
    terms, slopes, w2, dtype = _triplet_terms(anchor, positive, negative, margin, p, eps, swap)
    return _triplet_grad(terms, slopes, w2, dtype, at_kink=False)
