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

from ._embedding import _unit
from ._validation import (
    _where,
    as_float_array,
    check_flag,
    check_same_shape,
    first,
    quiet,
    reduce,
    weigh,
)

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


def _pairwise(p: float, eps: float):
    """torch's ``pairwise_distance`` ``|x - y + eps|_p`` and its derivatives in ``x`` and
    ``y``."""
    def distance(x, y, names):
        d, g = _norm(x - y + x.dtype.type(eps), p, " - ".join(names))
        return d, g, -g
    return distance


def _cosine(x, y, names):
    """1 - cos(x, y), computed as |u - v|^2 / 2 for the unit vectors, and its derivatives."""
    (u, nx), (v, ny) = _unit(x, names[0]), _unit(y, names[1])
    d = u - v
    c = np.clip(np.sum(u * v, axis=-1, keepdims=True), -1, 1)
    return np.sum(d * d, axis=-1) / 2, -(v - c * u) / nx, -(u - c * v) / ny


def _options(margin, swap) -> float:
    check_flag(swap, "swap")
    return _check_real(margin, "margin", "a positive finite number (with margin <= 0 mapping "
                       "every input to one point costs nothing)", lambda m: m > 0)


def _triplet_terms(anchor, positive, negative, margin, swap, distance):
    """The loss's argument margin + d(a, p) - d(a, n) (d(a, n) the least of d(a, n) and
    d(p, n) with ``swap``), the derivatives of the distances in their two arguments, the share
    of the negative distance d(a, n) takes (d(p, n) the rest), and the embeddings' dtype.
    float32 and float16 are computed in float64 and rounded once, at the end."""
    a, pos, neg = _triplet(anchor, positive, negative)
    dtype = a.dtype
    work = np.promote_types(dtype, np.float64)
    a, pos, neg = a.astype(work), pos.astype(work), neg.astype(work)
    d1, *g1 = distance(a, pos, ("anchor", "positive"))
    d2, *g2 = distance(a, neg, ("anchor", "negative"))
    if swap:
        d3, *g3 = distance(pos, neg, ("positive", "negative"))
        # at a tie, half of the derivative to each (torch's minimum does the same)
        w2 = np.where(d2 < d3, 1.0, np.where(d2 == d3, 0.5, 0.0))
        dneg = np.minimum(d2, d3)
    else:
        g3, w2, dneg = [np.zeros_like(g2[0])] * 2, np.ones_like(d2), d2
    return work.type(margin) + d1 - dneg, (g1, g2, g3), w2, dtype


def _p_terms(anchor, positive, negative, margin, p, eps, swap):
    """:func:`_triplet_terms` of :func:`triplet_margin_loss`, its options checked."""
    margin = _options(margin, swap)
    p = _check_real(p, "p", "a finite number >= 1 (the order of a norm)", lambda q: q >= 1)
    eps = _check_real(eps, "eps", "a finite real number", lambda e: True)
    return _triplet_terms(anchor, positive, negative, margin, swap, _pairwise(p, eps))


def _triplet_grad(terms, slopes, w2, dtype, at_kink: bool, sample_weight=None, mul=None):
    """(d_anchor, d_positive, d_negative) of max(0, terms), weighted by ``sample_weight``
    (``mul`` as for :func:`~lossnotes._validation.weigh`); ``at_kink`` is the derivative
    chosen where ``terms`` is 0."""
    (g1x, g1y), (g2x, g2y), (g3x, g3y) = slopes
    active = (terms > 0) | (at_kink & (terms == 0))
    on, w2 = active[..., None], w2[..., None]
    w3 = 1 - w2
    out = (g1x - w2 * g2x, g1y - w3 * g3x, -w2 * g2y - w3 * g3y)
    out = (np.where(on, d + 0.0, 0).astype(dtype) for d in out)  # + 0.0: no -0.0
    return tuple(weigh(d, sample_weight, d.shape[:-1], -1, mul=mul) for d in out)


@quiet
def triplet_margin_loss(anchor, positive, negative, *, margin: float = 1.0, p: float = 2.0,
                        eps: float = 1e-6, swap: bool = False, reduction: str = "mean",
                        sample_weight=None):
    r"""The triplet margin loss (torch's ``triplet_margin_loss``).

    .. math::

        d(x, y) = \Bigl(\sum_k |x_k - y_k + \epsilon|^p\Bigr)^{1/p},

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
    sample_weight : array_like, optional
        As for :func:`mse`, one weight per triplet (the shape of the unreduced loss) or per
        sample (its leading axes).

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
    terms, _, _, dtype = _p_terms(anchor, positive, negative, margin, p, eps, swap)
    return reduce(np.maximum(terms, 0).astype(dtype), reduction, sample_weight)


@quiet
def triplet_margin_loss_grad(anchor, positive, negative, *, margin: float = 1.0,
                             p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                             sample_weight=None):
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
    anchor, positive, negative, margin, p, eps, swap, sample_weight
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
    terms, slopes, w2, dtype = _p_terms(anchor, positive, negative, margin, p, eps, swap)
    return _triplet_grad(terms, slopes, w2, dtype, at_kink=False, sample_weight=sample_weight)


#: The distances :func:`triplet_margin_with_distance_loss` takes, by name.
DISTANCES = {"euclidean": _pairwise(2.0, 1e-6), "cosine": _cosine}


def _distance_terms(anchor, positive, negative, distance, margin, swap):
    """:func:`_triplet_terms` of :func:`triplet_margin_with_distance_loss`, its options
    checked."""
    margin = _options(margin, swap)
    if not isinstance(distance, str) or distance not in DISTANCES:
        raise TypeError(
            f"distance must be 'euclidean' or 'cosine'; found {distance!r}: lossnotes takes "
            "its distances by name, because it differentiates them by hand and cannot "
            "differentiate a function it is given (write another distance with torch's "
            "autograd)" if callable(distance) else
            f"distance must be 'euclidean' or 'cosine'; found {distance!r}")
    return _triplet_terms(anchor, positive, negative, margin, swap, DISTANCES[distance])


@quiet
def triplet_margin_with_distance_loss(anchor, positive, negative, *,
                                      distance: str = "euclidean", margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean",
                                      sample_weight=None):
    r"""The triplet margin loss with a distance of choice (torch's
    ``triplet_margin_with_distance_loss``).

    .. math::

        \ell_i = \max\bigl(0,\; d(a_i, p_i) - d(a_i, n_i) + \text{margin}\bigr)

    as :func:`triplet_margin_loss`, for the distance ``distance`` names:

    - ``"euclidean"`` (torch's default, ``pairwise_distance``):
      :math:`d(x, y) = \|x - y + \epsilon\|_2` with :math:`\epsilon = 10^{-6}`, exactly
      ``triplet_margin_loss(anchor, positive, negative, margin=margin, swap=swap)``;
    - ``"cosine"``: :math:`d(x, y) = 1 - \cos(x, y)`, torch's
      ``distance_function=lambda x, y: 1 - F.cosine_similarity(x, y)``.

    Parameters
    ----------
    anchor, positive, negative : array_like
        Embeddings of one shape ``(..., D)``, vectors along the last axis, finite (and not
        zero for the cosine distance); the result has their common float dtype.
    distance : {"euclidean", "cosine"}, default "euclidean"
        The distance, by name. torch takes any function of two tensors; lossnotes refuses a
        function, because it could not differentiate it (write another distance with torch's
        autograd).
    margin : float, default 1.0
        Positive, as torch requires.
    swap : bool, default False
        Use the smaller of :math:`d(a, n)` and :math:`d(p, n)` as the negative distance.
    reduction : {"mean", "sum", "none"}, default "mean"
    sample_weight : array_like, optional
        As for :func:`mse`, one weight per triplet (the shape of the unreduced loss) or per
        sample (its leading axes).

    Returns
    -------
    ndarray or scalar
        Shape ``anchor.shape[:-1]`` for ``"none"``, else a scalar.

    Raises
    ------
    ValueError
        As :func:`triplet_margin_loss`, and on a zero vector with the cosine distance (its
        cosine has no value).
    TypeError
        On a ``distance`` other than the two names (a function among them).

    Notes
    -----
    The cosine distance is computed as :math:`\|u - v\|^2 / 2` for the unit vectors
    :math:`u, v` (see :func:`cosine_embedding_loss`), not as a difference of nearly equal
    numbers. torch's ``cosine_similarity`` raises each norm to at least ``eps=1e-8``, so a zero
    vector has cosine 0 there (distance 1), where lossnotes refuses it. Keras has no triplet
    loss.

    Examples
    --------
    The positive at 60 degrees from the anchor (distance 1/2), the negative at 90 (distance
    1): the negative is 1/2 farther, short of the margin 1 by 1/2:

    >>> import lossnotes as ln
    >>> a, p, n = [[1.0, 0.0]], [[1.0, 3**0.5]], [[0.0, 2.0]]
    >>> print(round(float(ln.triplet_margin_with_distance_loss(a, p, n, distance="cosine")),
    ...             12))
    0.5
    """
    terms, _, _, dtype = _distance_terms(anchor, positive, negative, distance, margin, swap)
    return reduce(np.maximum(terms, 0).astype(dtype), reduction, sample_weight)


@quiet
def triplet_margin_with_distance_loss_grad(anchor, positive, negative, *,
                                           distance: str = "euclidean", margin: float = 1.0,
                                           swap: bool = False, sample_weight=None):
    r"""Derivatives of the unreduced :func:`triplet_margin_with_distance_loss` with respect to
    the anchor, the positive and the negative.

    Those of :func:`triplet_margin_loss_grad` with the derivatives of the distance: for the
    cosine distance, with the unit vectors :math:`u = x / \|x\|`, :math:`v = y / \|y\|`,

    .. math::

        \frac{\partial (1 - \cos)}{\partial x} = -\frac{v - \cos \, u}{\|x\|}, \qquad
        \frac{\partial (1 - \cos)}{\partial y} = -\frac{u - \cos \, v}{\|y\|}.

    Parameters
    ----------
    anchor, positive, negative, distance, margin, swap, sample_weight
        As for :func:`triplet_margin_with_distance_loss`.

    Returns
    -------
    tuple of ndarray
        ``(d_anchor, d_positive, d_negative)``, each of ``anchor``'s shape and the embeddings'
        dtype.

    Notes
    -----
    The subgradients of :func:`triplet_margin_loss_grad`: 0 at the kink (torch's
    ``clamp_min`` passes the derivative of the distances there) and, with ``swap``, half to
    each distance at a tie.

    Examples
    --------
    The triplet above: descending the loss turns the positive towards the anchor (its
    derivative is :math:`-(u - \cos v) / \|p\|`), the negative away from it, and the anchor
    away from the negative, :math:`1 - \sqrt{3}/2` along the second axis:

    >>> import lossnotes as ln
    >>> da, dp, dn = ln.triplet_margin_with_distance_loss_grad(
    ...     [[1.0, 0.0]], [[1.0, 3**0.5]], [[0.0, 2.0]], distance="cosine")
    >>> print(da.round(6), dp.round(6), dn.round(6))
    [[0.       0.133975]] [[-0.375     0.216506]] [[0.5 0. ]]
    """
    terms, slopes, w2, dtype = _distance_terms(anchor, positive, negative, distance, margin,
                                               swap)
    return _triplet_grad(terms, slopes, w2, dtype, at_kink=False, sample_weight=sample_weight)
