r"""Several outputs, one scalar: combining per-output losses before the gradient step."""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array


def combine(losses, weights=None):
    r"""Weighted sum of per-output scalar losses: the one number gradient descent follows.

    .. math::

        L = \sum_{j=1}^{k} w_j L_j, \qquad w_j = \frac{1}{k} \text{ by default}.

    A network with :math:`k` outputs has one loss per output, but a gradient step needs a
    single scalar. With the default weights this is the plain average the notes describe;
    ``weights=[1] * k`` gives the sum that a torch training loop writes as
    ``loss_a + loss_b``, and Keras's ``loss_weights`` are exactly ``weights``.

    Parameters
    ----------
    losses : sequence of scalars
        The :math:`k \ge 1` per-output losses, each already reduced to a scalar.
    weights : sequence of non-negative floats, optional
        One weight per loss; default :math:`1/k` each.

    Returns
    -------
    scalar
        The combined loss, in the floating dtype of the losses (float64 for Python floats).

    Raises
    ------
    ValueError
        If ``losses`` is empty or holds a non-scalar or NaN, if the number of weights differs,
        or if a weight is negative, infinite or NaN.

    Notes
    -----
    Scaling every weight by the same factor scales the gradient by it too, so the sum and the
    average point the same way but take steps :math:`k` times apart at the same learning rate.

    Examples
    --------
    >>> import lossnotes as ln
    >>> float(ln.combine([0.5, 1.5]))  # the average
    1.0
    >>> float(ln.combine([0.5, 1.5], weights=[1.0, 0.2]))
    0.8
    """
    if isinstance(losses, (str, bytes)) or not hasattr(losses, "__len__"):
        raise TypeError(
            f"losses must be a sequence of per-output losses (a list, a tuple or a 1-d array); "
            f"found {losses!r} ({type(losses).__name__})"
        )
    values = [as_float_array(v, f"losses[{j}]") for j, v in enumerate(losses)]
    if not values:
        raise ValueError("losses is empty; expected at least one per-output loss")
    for j, v in enumerate(values):
        if v.size != 1:
            raise ValueError(
                f"losses[{j}] has shape {v.shape}; expected a scalar (reduce each output's loss "
                "first)"
            )
    stacked = np.stack([v.reshape(()) for v in values])
    if weights is None:
        w = np.full(len(values), 1 / len(values), dtype=stacked.dtype)
    else:
        w = as_float_array(weights, "weights", dtype=stacked.dtype)
        if w.shape != (len(values),):
            raise ValueError(
                f"weights has shape {w.shape}; expected one weight per loss, shape "
                f"({len(values)},)"
            )
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError(f"weights must be finite and non-negative; found {w.tolist()}")
    # A weight of 0 drops its output, even an infinite loss (0 * inf is taken as 0, as in the
    # cross-entropies); an infinite total is the true value, not an overflow to warn about.
    with np.errstate(invalid="ignore", over="ignore"):
        terms = np.where(w == 0, 0, w * stacked)
        return stacked.dtype.type(np.sum(terms))
