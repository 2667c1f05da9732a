r"""Losses of embeddings: vectors compared by their angle (the cosine embedding loss).

The cosine embedding loss (torch's ``cosine_embedding_loss``) takes two embeddings
:math:`x_1, x_2` (vectors along the last axis) and a label :math:`y \in \{-1, +1\}`: a similar
pair (:math:`y = 1`) is charged :math:`1 - \cos(x_1, x_2)`, a dissimilar one (:math:`y = -1`)
:math:`\max(0, \cos(x_1, x_2) - \text{margin})`. Like every loss of three inputs,
``<loss>_grad`` returns one derivative per embedding, as a tuple.
"""

from __future__ import annotations

import numpy as np

from ._multiclass_margin import _check_margin
from ._ranking import compared_pair
from ._validation import (
    _where,
    as_float_array,
    check_plus_minus_one,
    first,
    quiet,
    reduce,
    weigh,
)


def _unit(x: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """``x / |x|`` along the last axis and ``|x|``, refused for a zero vector. The vector is
    first divided by its largest entry, so that squaring it neither overflows nor underflows."""
    big = np.max(np.abs(x), axis=-1, keepdims=True)
    zero = big[..., 0] == 0
    if zero.any():
        raise ValueError(
            f"{name} is a zero vector {_where(zero)} (row index, vectors on the last axis): "
            "its cosine with anything has no value; expected non-zero embeddings")
    scaled = x / big
    length = np.sqrt(np.sum(scaled * scaled, axis=-1, keepdims=True))
    return scaled / length, big * length


def _cosine_inputs(x1, x2, y, margin):
    """The unit vectors, the norms, whether each pair is similar, the margin and the cosine, in
    float64 (or the embeddings' wider dtype), and that common dtype of the embeddings."""
    x1, x2 = compared_pair(x1, x2)
    dtype = x1.dtype
    if x1.ndim == 0 or x1.shape[-1] == 0:
        raise ValueError(f"x1 has shape {x1.shape}; expected vectors along the last axis (at "
                         "least one entry each)")
    for name, x in (("x1", x1), ("x2", x2)):
        bad = np.isinf(x)
        if bad.any():
            raise ValueError(f"{name} holds {first(x, bad)!r} {_where(bad)}; expected finite "
                             "embeddings (the cosine of an infinite vector has no value)")
    y = as_float_array(y, "y")
    if y.shape != x1.shape[:-1]:
        raise ValueError(f"y has shape {y.shape} but x1 has shape {x1.shape}; expected "
                         f"{x1.shape[:-1]}, one label per pair of vectors (on the last axis)")
    check_plus_minus_one(y, "y")
    # float32 and float16 are computed in float64 and rounded once, at the end
    work = np.promote_types(dtype, np.float64)
    (u, n1), (v, n2) = _unit(x1.astype(work), "x1"), _unit(x2.astype(work), "x2")
    cos = np.clip(np.sum(u * v, axis=-1), -1, 1)  # |cos| <= 1 up to a rounding of 1
    return u, v, n1, n2, y > 0, work.type(_check_margin(margin)), cos, dtype


@quiet
def cosine_embedding_loss(x1, x2, y, *, margin: float = 0.0, reduction: str = "mean",
                          sample_weight=None):
    r"""The cosine embedding loss of a pair of embeddings (torch's ``cosine_embedding_loss``).

    .. math::

        \cos_i = \frac{\langle x_{1,i}, x_{2,i} \rangle}{\|x_{1,i}\| \, \|x_{2,i}\|},

        \ell_i = \begin{cases}
        1 - \cos_i & y_i = +1 \text{ (a similar pair)} \\
        \max(0,\; \cos_i - \text{margin}) & y_i = -1 \text{ (a dissimilar pair)}
        \end{cases}

    one value per pair of vectors (the last axis). The reduction is the mean (default) or sum
    over all pairs, or ``"none"``.

    Parameters
    ----------
    x1, x2 : array_like
        Embeddings of one shape ``(..., D)``, vectors along the last axis, finite and not zero;
        the result has their common float dtype.
    y : array_like
        Labels in :math:`\{-1, +1\}`, of shape ``x1.shape[:-1]``.
    margin : float, default 0.0
        The cosine below which a dissimilar pair costs nothing (torch suggests 0 to 0.5).
    reduction : {"mean", "sum", "none"}, default "mean"
    sample_weight : array_like, optional
        As for :func:`mse`, one weight per pair of vectors (the shape of the unreduced loss) or per
        sample (its leading axes).

    Returns
    -------
    ndarray or scalar
        Shape ``x1.shape[:-1]`` for ``"none"``, else a scalar.

    Raises
    ------
    ValueError
        On a zero vector (its cosine has no value), an infinite entry, NaN, labels other than
        -1 and +1, shapes that do not fit, a non-finite ``margin`` or an unknown reduction.

    Notes
    -----
    Each vector is divided by its largest entry before its norm is taken (no overflow for
    entries of 1e200, no underflow for 1e-200), and :math:`1 - \cos` is computed as
    :math:`\|u - v\|^2 / 2` for the unit vectors :math:`u, v`, not as a difference of nearly
    equal numbers. float32 and float16 are computed in float64 and rounded once (within half
    an ulp on the accuracy grid). In float64 the rounding of the unit vectors themselves limits
    the accuracy, as it would limit any float64 formula: for vectors :math:`\theta` apart the
    error grows like :math:`1/\theta` ulps, and an entry of a derivative is accurate relative
    to the whole vector rather than to itself. On the accuracy grid (angles 0.1 to 0.32 from
    parallel or opposite) the float64 loss is within 10 ulps and the derivatives within 76;
    lossnotes promises 128.

    torch adds ``1e-12`` to each squared norm, so a zero vector has cosine 0 there (a similar
    pair costs 1) and vectors of norm below about 1e-6 have their cosine shrunk; lossnotes
    refuses a zero vector. Keras has no such loss (``keras.losses.cosine_similarity`` is minus
    the cosine).

    Examples
    --------
    A similar pair at 60 degrees costs 1 - 1/2; a dissimilar pair at 60 degrees costs
    1/2 - 0.25 with margin 0.25, and nothing at 120 degrees:

    >>> import lossnotes as ln
    >>> x1 = [[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]
    >>> x2 = [[1.0, 3**0.5], [1.0, 3**0.5], [-1.0, 3**0.5]]
    >>> print(ln.cosine_embedding_loss(x1, x2, [1, -1, -1], margin=0.25,
    ...                                reduction="none").round(12))
    [0.5  0.25 0.  ]
    """
    u, v, _, _, similar, margin, cos, dtype = _cosine_inputs(x1, x2, y, margin)
    d = u - v
    far = np.sum(d * d, axis=-1) / 2  # 1 - cos, without cancellation
    return reduce(np.where(similar, far, np.maximum(cos - margin, 0)).astype(dtype), reduction,
                  sample_weight)


@quiet
def cosine_embedding_loss_grad(x1, x2, y, *, margin: float = 0.0, sample_weight=None):
    r"""Derivatives of the unreduced :func:`cosine_embedding_loss` with respect to ``x1``, ``x2``.

    With the unit vectors :math:`u = x_1 / \|x_1\|`, :math:`v = x_2 / \|x_2\|`,

    .. math::

        \frac{\partial \cos}{\partial x_1} = \frac{v - \cos \, u}{\|x_1\|}, \qquad
        \frac{\partial \cos}{\partial x_2} = \frac{u - \cos \, v}{\|x_2\|},

    and :math:`\partial \ell / \partial x_k = -\partial \cos / \partial x_k` for a similar
    pair, :math:`[\cos > \text{margin}] \, \partial \cos / \partial x_k` for a dissimilar one.

    Parameters
    ----------
    x1, x2, y, margin, sample_weight
        As for :func:`cosine_embedding_loss`.

    Returns
    -------
    tuple of ndarray
        ``(d_x1, d_x2)``, each of ``x1``'s shape and the embeddings' dtype.

    Notes
    -----
    At the kink (a dissimilar pair whose cosine is exactly the margin) lossnotes chooses the
    subgradient 0; torch's ``clamp_min`` passes the bound.

    Examples
    --------
    A similar pair (3, 4) and (4, 3), cosine 24/25: descending the loss turns each embedding
    towards the other, :math:`-(v - \cos u) / \|x_1\|` for ``x1``:

    >>> import lossnotes as ln
    >>> d1, d2 = ln.cosine_embedding_loss_grad([[3.0, 4.0]], [[4.0, 3.0]], [1])
    >>> print(d1.round(12), d2.round(12))
    [[-0.0448  0.0336]] [[ 0.0336 -0.0448]]
    """
    u, v, n1, n2, similar, margin, cos, dtype = _cosine_inputs(x1, x2, y, margin)
    c = cos[..., None]
    sign = np.where(similar, -1, np.where(cos > margin, 1, 0)).astype(cos.dtype)[..., None]
    return tuple(weigh(g.astype(dtype), sample_weight, g.shape[:-1], -1)
                 for g in (sign * (v - c * u) / n1, sign * (u - c * v) / n2))
