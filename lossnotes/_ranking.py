r"""Losses of three inputs: a pair of scores and a label that says which should be larger.

The margin ranking loss (torch's ``margin_ranking_loss``) compares two scores :math:`x_1,
x_2` of the same item (or of two items) with a label :math:`y \in \{-1, +1\}`: :math:`y = 1`
asks for :math:`x_1` above :math:`x_2` by at least the margin, :math:`y = -1` for :math:`x_2`
above :math:`x_1`. It is the hinge :math:`\max(0, \text{margin} - m)` of the margin
:math:`m = y (x_1 - x_2)` (:func:`hinge` with a margin of its own).

A loss of three inputs has a derivative with respect to each float input: ``<loss>_grad``
returns them as a tuple in the order of the inputs (here :math:`\partial \ell / \partial x_1`
and :math:`\partial \ell / \partial x_2`; the label has none).
"""

from __future__ import annotations

import numpy as np

from ._multiclass_margin import _check_margin
from ._validation import (
    _where,
    as_float_array,
    check_plus_minus_one,
    check_same_shape,
    first,
    quiet,
    reduce,
    weigh,
)


def compared_pair(x1, x2) -> tuple[np.ndarray, np.ndarray]:
    """The two compared inputs of a loss of three inputs, checked (no NaN, one shape) and in
    their common float dtype."""
    x1, x2 = as_float_array(x1, "x1"), as_float_array(x2, "x2")
    dtype = np.result_type(x1.dtype, x2.dtype)
    x1, x2 = x1.astype(dtype, copy=False), x2.astype(dtype, copy=False)
    check_same_shape(x1, x2, "x1", "x2")
    return x1, x2


def _ranking_inputs(x1, x2, y, margin):
    """The labels as +-1 in the scores' common float dtype, the margin in that dtype and the
    difference x1 - x2 (refused where it has no value)."""
    x1, x2 = compared_pair(x1, x2)
    dtype = x1.dtype
    y = as_float_array(y, "y")
    check_same_shape(y, x1, "y", "x1")
    check_plus_minus_one(y, "y")
    same = np.isinf(x1) & (x1 == x2)
    if same.any():
        raise ValueError(
            f"x1 and x2 are both {first(x1, same)!r} {_where(same)}: the difference x1 - x2 "
            "has no value; expected scores that are not the same infinity")
    d = x1 - x2
    return np.where(y > 0, 1, -1).astype(dtype), dtype.type(_check_margin(margin)), d


@quiet
def margin_ranking_loss(x1, x2, y, *, margin: float = 0.0, reduction: str = "mean",
                        sample_weight=None):
    r"""The margin ranking loss of a pair of scores (torch's ``margin_ranking_loss``).

    .. math::

        \ell_i = \max\bigl(0,\; \text{margin} - y_i (x_{1,i} - x_{2,i})\bigr)

    for scores :math:`x_{1,i}, x_{2,i}` and a label :math:`y_i = +1` (:math:`x_1` should rank
    higher) or :math:`-1` (:math:`x_2` should). The reduction is the mean (default) or sum over
    all elements, or ``"none"``.

    Parameters
    ----------
    x1, x2 : array_like
        The scores (real numbers, ``+-inf`` allowed), of one shape; the result has their
        common float dtype.
    y : array_like
        Labels in :math:`\{-1, +1\}`, the shape of ``x1``.
    margin : float, default 0.0
        How far ahead the preferred score must be to cost nothing.
    reduction : {"mean", "sum", "none"}, default "mean"
    sample_weight : array_like, optional
        As for :func:`mse`, one weight per pair (the shape of the unreduced loss) or per
        sample (its leading axes).

    Returns
    -------
    ndarray or scalar
        ``x1``'s shape for ``"none"``, else a scalar.

    Raises
    ------
    ValueError
        On labels other than -1 and +1, NaN, differing shapes, ``x1`` and ``x2`` at the same
        infinity (their difference has no value), a non-finite ``margin`` or an unknown
        reduction.

    Notes
    -----
    The loss is computed as ``max(0, margin - y (x1 - x2))``: one rounding for the
    difference, one for the subtraction from the margin. torch computes
    ``(-y * (x1 - x2) + margin).clamp_min(0)``, the same roundings, and does not check its
    labels: a label 0 makes every pair cost ``max(0, margin)``, a label 2 doubles the margin
    term; lossnotes refuses them. Keras has no such loss.

    Examples
    --------
    x1 should be above x2 in the first two pairs, below it in the third; with margin 0.5 the
    first pair is 1 ahead (free), the second 0.2 ahead (0.3 short), the third 1 wrong:

    >>> import lossnotes as ln
    >>> ln.margin_ranking_loss([2.0, 0.7, 1.0], [1.0, 0.5, 0.0], [1, 1, -1], margin=0.5,
    ...                        reduction="none")
    array([0. , 0.3, 1.5])
    """
    sign, margin, d = _ranking_inputs(x1, x2, y, margin)
    return reduce(np.maximum(margin - sign * d, 0), reduction, sample_weight)


@quiet
def margin_ranking_loss_grad(x1, x2, y, *, margin: float = 0.0, sample_weight=None):
    r"""Derivatives of the unreduced :func:`margin_ranking_loss` with respect to ``x1``, ``x2``.

    .. math::

        \frac{\partial \ell_i}{\partial x_{1,i}} = -y_i \,[\text{margin} - y_i (x_{1,i} -
        x_{2,i}) > 0], \qquad
        \frac{\partial \ell_i}{\partial x_{2,i}} = -\frac{\partial \ell_i}{\partial x_{1,i}}

    Parameters
    ----------
    x1, x2, y, margin, sample_weight
        As for :func:`margin_ranking_loss`.

    Returns
    -------
    tuple of ndarray
        ``(d_x1, d_x2)``, each of ``x1``'s shape and the scores' dtype.

    Notes
    -----
    At the kink (a pair exactly the margin apart, loss 0) lossnotes chooses the subgradient 0
    (as :func:`hinge_grad`); torch's ``clamp_min`` passes the bound, :math:`-y` and
    :math:`+y`.

    Examples
    --------
    >>> import lossnotes as ln
    >>> d1, d2 = ln.margin_ranking_loss_grad([2.0, 0.7, 1.0], [1.0, 0.5, 0.0], [1, 1, -1],
    ...                                      margin=0.5)
    >>> d1, d2
    (array([ 0., -1.,  1.]), array([ 0.,  1., -1.]))
    """
    sign, margin, d = _ranking_inputs(x1, x2, y, margin)
    active = margin - sign * d > 0
    return (weigh(np.where(active, -sign, 0).astype(d.dtype), sample_weight),
            weigh(np.where(active, sign, 0).astype(d.dtype), sample_weight))
