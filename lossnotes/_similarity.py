r"""Similarity of two vectors: the negated cosine similarity, one value per sample.

A sample is a row along ``axis`` (an embedding, say) of a target :math:`y` and a prediction
:math:`\hat y`; the loss depends on their directions only, not on their lengths.
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    _where,
    check_axis,
    check_no_nan,
    first,
    pair,
    quiet,
    reduce,
    weigh,
    where_row,
)


def _finite(x: np.ndarray, name: str) -> None:
    """The entries of a vector with a direction: finite numbers."""
    if not x.size or (np.minimum.reduce(x, axis=None) > -np.inf
                      and np.maximum.reduce(x, axis=None) < np.inf):  # a NaN fails both
        return
    check_no_nan(x, name)
    bad = np.isinf(x)
    raise ValueError(f"{name} holds {first(x, bad)!r} {_where(bad)}; an infinite vector has no "
                     "direction: expected finite numbers")


def _scaled_rows(x: np.ndarray, axis: int, name: str):
    """``(u, e)``: the rows of ``x`` times :math:`2^{-e}` (exact), with ``e`` per row such that
    the largest :math:`|u_k|` is in [1/2, 1), so that no squared norm overflows or underflows.
    A zero row has no direction and is refused."""
    top = np.max(np.abs(x), axis=axis, keepdims=True)
    if not top.all():
        raise ValueError(
            f"{name} has a zero vector along axis {axis} {where_row(top == 0, axis)}: its "
            "direction, and the cosine, are undefined (0 / 0); expected a nonzero vector in "
            "every row (Keras and torch return 0 there, through their epsilons)"
        )
    e = np.frexp(top)[1]
    return np.ldexp(x, -e), e


def _cosine_parts(y_true, y_pred, axis):
    """``(u, v, e_p, sy, sp, cos, axis, dtype)``: the scaled rows of y_true and y_pred, the
    exponent of y_pred's scale, their squared norms and the cosine, keeping the axis;
    float16 and float32 computed in float64 (rounded once by the caller)."""
    y, p = pair(y_true, y_pred, check_true=_finite, check_pred=_finite)
    axis = check_axis(axis, p.ndim)
    if p.shape[axis] == 0:
        raise ValueError(f"y_pred has shape {p.shape}, with no entry along axis {axis}: an "
                         "empty vector has no direction; expected at least one entry per "
                         "vector")
    dtype = p.dtype
    if dtype.itemsize < 8:
        y, p = y.astype(np.float64), p.astype(np.float64)
    u, _ = _scaled_rows(y, axis, "y_true")
    v, e_p = _scaled_rows(p, axis, "y_pred")

    def total(x):
        return np.sum(x, axis=axis, keepdims=True)

    sy, sp = total(u * u), total(v * v)
    # one square root of the product: the fewest roundings (both in [1/4, n], no overflow)
    cos = total(u * v) / np.sqrt(sy * sp)
    return u, v, e_p, sy, sp, cos, axis, dtype


@quiet
def negative_cosine_similarity(y_true, y_pred, *, axis: int = -1, reduction: str = "mean",
                               sample_weight=None):
    r"""Negated cosine similarity of each row: Keras's ``cosine_similarity`` loss.

    .. math::

        \ell_i = -\cos(y_i, \hat y_i)
        = -\frac{\sum_k y_{ik} \hat y_{ik}}{\lVert y_i \rVert \, \lVert \hat y_i \rVert}
        \in [-1, 1],

    over the rows along ``axis``: :math:`-1` for vectors pointing the same way, 0 for
    orthogonal ones, 1 for opposite ones. Lengths do not count: only directions.

    Parameters
    ----------
    y_true : array_like
        Target vectors, finite, none of them 0 along ``axis``.
    y_pred : array_like
        Predicted vectors, ``y_true``'s shape, finite and nonzero along ``axis``.
    axis : int, default -1
        The axis of the vectors: one loss per row along it.
    reduction : {"mean", "sum", "none"}, default "mean"
        Over the rows.
    sample_weight : array_like, optional
        Finite non-negative weights, one per row (the shape of the unreduced loss, or its
        leading axes); ``"mean"`` is :math:`\sum_i w_i \ell_i / \sum_i w_i`, as for
        :func:`~lossnotes.mse`.

    Returns
    -------
    ndarray or scalar
        ``y_pred``'s shape without ``axis`` for ``"none"``, else a scalar; ``y_pred``'s
        floating dtype.

    Raises
    ------
    ValueError
        On differing shapes, NaN, an infinite entry, a bad axis, or a row of zeros in either
        argument: a zero vector has no direction, and its cosine :math:`0/0` no value.

    Notes
    -----
    **Names.** ``keras.losses.cosine_similarity`` returns this negated cosine (a loss);
    ``torch.nn.functional.cosine_similarity`` returns the cosine itself (a similarity, not a
    loss), and ``F.cosine_embedding_loss`` is :math:`1 - \cos` for similar pairs; lossnotes
    names the function for what it returns. **Zero vectors.** Keras normalises each row by
    :math:`\min(1/\lVert x \rVert, 1/\epsilon)`, :math:`\epsilon = 10^{-7}`, and torch divides
    by :math:`\max(\lVert x \rVert, \epsilon)` with its own :math:`\epsilon = 10^{-8}`: both
    give 0 for a zero vector, and shrink the cosine of vectors shorter than their epsilon
    (vectors of length :math:`10^{-9}` pointing the same way score :math:`-10^{-4}` in
    Keras); a squared norm beyond the largest float makes both 0 as well. lossnotes scales
    each row by a power of 2 first (exactly), so any finite nonzero vectors have their cosine,
    and refuses a zero vector. **Accuracy.** Three sums of products, a square root and a
    quotient: within 4 ulp in float64 where the products :math:`y_k \hat y_k` do not cancel
    (1.8 measured on the accuracy grid, 2.3 for the derivative), the bound its registry
    record promises; float32 and float16 are computed in float64 and rounded once. Where the
    products cancel (nearly orthogonal vectors) the error is a few ulps of
    :math:`\sum_k |y_k \hat y_k| / (\lVert y \rVert \lVert \hat y \rVert)` instead.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.negative_cosine_similarity([[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]],
    ...                               [[1.0, 0.0], [2.0, 2.0], [-1.0, -1.0]], reduction="none")
    array([-0., -1.,  1.])
    >>> float(ln.negative_cosine_similarity([[3.0, 4.0]], [[4.0, 3.0]]))  # -24/25
    -0.96
    """
    _, _, _, _, _, cos, axis, dtype = _cosine_parts(y_true, y_pred, axis)
    loss = np.negative(np.squeeze(cos, axis=axis)).astype(dtype, copy=False)
    return reduce(np.array(loss), reduction, sample_weight)


@quiet
def negative_cosine_similarity_grad(y_true, y_pred, *, axis: int = -1, sample_weight=None):
    r"""Derivative of the unreduced :func:`negative_cosine_similarity` with respect to
    ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_{ik}}
        = \frac{\cos(y_i, \hat y_i)\, \hat u_{ik} - u_{ik}}{\lVert \hat y_i \rVert},
        \qquad u = \frac{y}{\lVert y \rVert}, \quad \hat u = \frac{\hat y}{\lVert \hat y
        \rVert}:

    minus the part of the target's direction orthogonal to the prediction, over the
    prediction's length. It is orthogonal to :math:`\hat y_i` (a longer prediction changes
    nothing), 0 where the two point the same way, and shrinks as the prediction grows.
    Where the vectors are nearly parallel its components are small differences of
    :math:`\cos\,\hat u_k` and :math:`u_k` and keep only their absolute accuracy (about
    :math:`\epsilon / \lVert \hat y \rVert`). ``sample_weight`` (one weight per row)
    multiplies each row's derivative.

    Examples
    --------
    >>> import lossnotes as ln
    >>> ln.negative_cosine_similarity_grad([[1.0, 0.0]], [[1.0, 1.0]])  # ((1/2, 1/2) - u) / √2
    array([[-0.35355339,  0.35355339]])
    """
    u, v, e_p, sy, sp, _, axis, dtype = _cosine_parts(y_true, y_pred, axis)
    # (cos v/|v| - u/|u|) / |v| over one denominator: (u.v) v - |v|^2 u, divided by
    # |v|^2 sqrt(|u|^2 |v|^2), fewer roundings than the unit vectors' form
    dot = np.sum(u * v, axis=axis, keepdims=True)
    g = (dot * v - u * sp) / (sp * np.sqrt(sy * sp))
    g = np.ldexp(g, -e_p).astype(dtype, copy=False)  # undo the scale of y_pred: 1/||y_pred||
    shape = g.shape[:axis] + g.shape[axis + 1:]
    return weigh(g, sample_weight, shape, axis)[()]
