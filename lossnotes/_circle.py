r"""Metric learning: the circle loss, a loss of the whole batch.

A batch of :math:`N` embeddings :math:`x_i` (rows of an array of shape (N, D)) and their
labels :math:`c_i` gives every pair a similarity :math:`s_{ij} = x_i \cdot x_j`, the cosine of
their angle when the embeddings have norm 1 (Keras's ``circle`` expects L2-normalized
embeddings; lossnotes takes the dot product of the embeddings as given). A pair is positive
when the labels agree (:math:`j \ne i`), negative when they differ. Each sample's loss weighs
its positive pairs against its negative pairs **in the same batch**, so it changes when any
other sample of the batch changes: unlike every other loss of lossnotes, the circle loss of a
sample is not a function of that sample alone.
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import (
    _where,
    as_float_array,
    check_flag,
    check_number,
    first,
    quiet,
    reduce,
    sample_weights,
)


def _check_options(gamma, margin, remove_diagonal) -> tuple[float, float, bool]:
    gamma = check_number(gamma, "gamma", 0.0, math.inf, "a finite number >= 0", upper_open=True)
    margin = check_number(margin, "margin", 0.0, math.inf, "a finite number >= 0",
                          upper_open=True)
    return gamma, margin, check_flag(remove_diagonal, "remove_diagonal")


def _check_labels(labels, shape: tuple) -> np.ndarray:
    """One integer label per embedding: ``shape``, the embeddings' without the last axis."""
    if isinstance(labels, np.ma.MaskedArray):
        raise ValueError("labels is a masked array; lossnotes does not apply masks: pass only "
                         "the valid samples")
    try:
        lab = np.asarray(labels)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"labels cannot be read as an array of integers ({exc}); expected "
                         "one integer label per embedding") from None
    if lab.shape != shape:
        raise ValueError(f"labels has shape {lab.shape} but the embeddings are {shape} of "
                         f"them; expected labels of shape {shape}, one per embedding")
    if lab.dtype.kind in "iu":
        return lab
    if lab.dtype.kind != "f":
        raise ValueError(f"labels must be integer labels; found dtype {lab.dtype}")
    bad = ~np.isfinite(lab) | (lab != np.round(lab))
    if bad.any():
        raise ValueError(f"labels must be integer labels; found {first(lab, bad)!r} "
                         f"{_where(bad)}")
    return lab


def _inputs(labels, embeddings, gamma, margin):
    """``(labels, x, dtype)``: ``x`` in float64 (float16 and float32 are computed in float64
    and rounded once at the end), refused where a term of the loss would overflow."""
    x = as_float_array(embeddings, "embeddings")
    if x.ndim < 2:
        raise ValueError(f"embeddings has shape {x.shape}; expected a batch of shape (N, D), "
                         "one embedding per row (or a stack of batches, (..., N, D))")
    lab = _check_labels(labels, x.shape[:-1])
    dtype = x.dtype
    work = x.astype(np.float64) if dtype.itemsize < 8 else x
    if not np.isfinite(work).all():
        bad = ~np.isfinite(work)
        raise ValueError(f"embeddings holds {first(work, bad)!r} {_where(bad)}; expected "
                         "finite numbers (L2-normalized embeddings)")
    if work.size:
        # |s_ij| <= max |x|^2 (Cauchy-Schwarz), and the largest term is about
        # gamma (1 + |s| + margin)^2: refuse embeddings so long that it overflows.
        norms = np.einsum("...j,...j->...", work, work)
        top = float(norms.max())
        if not np.isfinite(4 * gamma * (1 + top + margin) ** 2):
            raise ValueError(
                f"embeddings has a row of squared norm {top!r} {_where(norms == top)}; with "
                f"gamma={gamma!r} the terms gamma (1 - s)^2 overflow; expected L2-normalized "
                "embeddings (norm 1)")
    return lab, work, dtype


def _masks(labels: np.ndarray, remove_diagonal: bool):
    """The positive pairs (same label; not (i, i) with ``remove_diagonal``) and the negative
    pairs (different labels), as boolean (..., N, N) arrays."""
    same = labels[..., :, None] == labels[..., None, :]
    if remove_diagonal:
        same &= ~np.eye(labels.shape[-1], dtype=bool)
    return same, ~(labels[..., :, None] == labels[..., None, :])


def _logsumexp(v: np.ndarray, mask: np.ndarray):
    """Per row, ``log sum_{j in mask} e^{v_j}`` (``-inf`` for an empty row) and the softmax
    weights of the row (0 for an empty row), shifted by the row's largest term."""
    top = np.max(np.where(mask, v, -np.inf), axis=-1, keepdims=True, initial=-np.inf)
    shift = np.where(np.isfinite(top), top, 0)
    w = np.where(mask, np.exp(v - shift), 0.0)
    total = np.sum(w, axis=-1, keepdims=True)
    lse = (shift + np.log(total))[..., 0]  # log 0 = -inf for a row without pairs
    return lse, np.divide(w, total, out=np.zeros_like(w), where=total > 0)


def circle_parts(s: np.ndarray, labels, gamma: float, margin: float, remove_diagonal: bool):
    r"""``(loss, G)`` from the similarities ``s`` (..., N, N): the loss per sample and
    :math:`G_{ij} = \partial \ell_i / \partial s_{ij}`."""
    pos, neg = _masks(labels, remove_diagonal)
    # a = gamma [1 + m - s]_+ (1 - m - s) on the positive pairs, b = gamma [s + m]_+ (s - m)
    # on the negative ones; where the weight [.]_+ is 0 the term is 0 and so is its slope
    # (np.where, not a product: the product would be 0 times the other factor).
    live_p, live_n = s < 1 + margin, s > -margin
    a = np.where(live_p, gamma * (1 + margin - s) * (1 - margin - s), 0.0)
    b = np.where(live_n, gamma * (s + margin) * (s - margin), 0.0)
    big_p, soft_p = _logsumexp(a, pos)
    big_n, soft_n = _logsumexp(b, neg)
    t = big_p + big_n  # -inf when a sample has no positive or no negative pair: loss 0
    loss = np.logaddexp(0.0, t)  # softplus, with no overflow for a large t
    sig = np.exp(-np.logaddexp(0.0, -t))  # sigmoid(t), the slope of the softplus
    # d a / d s = -2 gamma (1 - s), d b / d s = 2 gamma s, where their weights are positive
    slope = soft_p * np.where(live_p, -2 * gamma * (1 - s), 0.0) + soft_n * np.where(
        live_n, 2 * gamma * s, 0.0)
    return loss, sig[..., None] * slope


def _grad_from_parts(g: np.ndarray, x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    r""":math:`\partial \sum_i w_i \ell_i / \partial X = (W G + (W G)^T) X`: ``s_ij`` depends
    on :math:`x_i` (through :math:`x_j`) and on :math:`x_j` (through :math:`x_i`)."""
    if w is not None:
        g = g * w[..., None]
    return g @ x + np.swapaxes(g, -1, -2) @ x


def similarities(x: np.ndarray) -> np.ndarray:
    """``s[..., i, j] = x_i . x_j`` within each batch."""
    return x @ np.swapaxes(x, -1, -2)


def _weights(sample_weight, shape: tuple):
    """One weight per sample (the unreduced loss's ``shape``), or a weight per batch of a
    stack (its leading axes), as an array of that shape."""
    if sample_weight is None:
        return None
    return np.broadcast_to(sample_weights(sample_weight, shape, np.float64), shape)


@quiet
def circle(labels, embeddings, *, gamma: float = 80.0, margin: float = 0.4,
           remove_diagonal: bool = True, reduction: str = "mean", sample_weight=None):
    r"""Circle loss (Sun et al. 2020), Keras's ``circle``: a loss of the whole batch.

    With the similarities :math:`s_{ij} = x_i \cdot x_j` of the batch's embeddings, the
    positive pairs :math:`\mathcal{P}_i = \{j \ne i : c_j = c_i\}` and the negative pairs
    :math:`\mathcal{N}_i = \{j : c_j \ne c_i\}`,

    .. math::

        \ell_i = \log\Bigl(1 + \sum_{j \in \mathcal{P}_i} e^{a_{ij}}
        \sum_{k \in \mathcal{N}_i} e^{b_{ik}}\Bigr)
        = \operatorname{softplus}\Bigl(\operatorname{LSE}_{j \in \mathcal{P}_i} a_{ij}
        + \operatorname{LSE}_{k \in \mathcal{N}_i} b_{ik}\Bigr),

    .. math::

        a_{ij} = -\gamma\, [O_p - s_{ij}]_+\, (s_{ij} - \Delta_p), \qquad
        b_{ik} = \gamma\, [s_{ik} - O_n]_+\, (s_{ik} - \Delta_n),

    with the paper's optimum :math:`O_p = 1 + m`, :math:`O_n = -m` and margins
    :math:`\Delta_p = 1 - m`, :math:`\Delta_n = m`: a positive pair is pushed towards
    similarity 1 and a negative one towards -1, each with a weight :math:`[\cdot]_+` that grows
    with its distance from its optimum. A sample without a positive or without a negative pair
    in the batch has the loss :math:`\log(1 + 0) = 0`.

    **A batch loss.** :math:`\ell_i` depends on every embedding of the batch, not on
    :math:`x_i` alone: the same sample has another loss in another batch. It is the one loss
    of lossnotes whose per-sample values depend on the other samples; what the unreduced
    result holds is each sample's term of the batch's loss.

    Parameters
    ----------
    labels : array_like of int, shape (N,) or (..., N)
        One label per embedding (any integers: only equality matters).
    embeddings : array_like, shape (N, D) or (..., N, D)
        One embedding per row, meant to be L2-normalized (then :math:`s_{ij}` is the cosine);
        any finite embeddings are taken as they are. Leading axes stack independent batches:
        pairs are formed within each batch only.
    gamma : float, default 80.0
        The scale :math:`\gamma \ge 0`.
    margin : float, default 0.4
        The relaxation :math:`m \ge 0`.
    remove_diagonal : bool, default True
        Leave the pair :math:`(i, i)` out of :math:`\mathcal{P}_i`; with False a sample is
        its own positive pair (similarity :math:`|x_i|^2`, 1 for a unit embedding).
    reduction : {"mean", "sum", "none"}, default "mean"
        Over the samples.
    sample_weight : array_like, shape (N,) or (..., N), optional
        A finite non-negative weight per sample (or per batch of a stack): ``"mean"`` is
        :math:`\sum_i w_i \ell_i / \sum_i w_i`.

    Returns
    -------
    ndarray or scalar
        The labels' shape for ``"none"``, else a scalar; ``embeddings``' dtype.

    Raises
    ------
    ValueError
        For embeddings of fewer than two axes, NaN or infinite embeddings, embeddings so long that
        a term overflows, labels that are not N integers, a negative or infinite ``gamma`` or
        ``margin``, a bad ``reduction`` or ``sample_weight``.
    TypeError
        For a ``remove_diagonal`` that is not a bool, a ``gamma`` or ``margin`` that is not a
        number.

    Notes
    -----
    The log-sum-exps are shifted by their largest term and the softplus is
    ``logaddexp(0, t)``, so :math:`\gamma = 80` (terms up to :math:`80 \cdot 1.4^2 = 157`)
    overflows nothing. float16 and float32 are computed in float64 and rounded once. The loss
    is ill-conditioned: a term moves by its slope, up to :math:`4\gamma`, times the error of
    :math:`s`, and a small loss (a well separated batch) feels that relative to itself: the
    condition number with respect to the embeddings is of that size, so no float64 formula
    does much better. float64 is within 256 ulp on the accuracy grid (80 measured for the loss
    and 166 for its gradient at :math:`\gamma = 80`), not the 2 to 10 of the other losses.

    **The traps.** Keras (from 3.7.0) writes the same loss with cosine distances
    :math:`d = \max(1 - x_i \cdot x_j, 0)`, which clamps the similarity at 1
    (:func:`lossnotes.like_keras.circle`): the same numbers for unit embeddings. Keras's
    ``Circle`` class marks the zero losses as masked, so its ``"sum_over_batch_size"`` divides
    by the number of *positive* losses, not by the batch size; ``keras.losses.circle``, the
    function, returns the per-sample values. Keras also takes reference embeddings and labels
    (``ref_embeddings``, ``ref_labels``) to compare the batch against; lossnotes compares the
    batch with itself. The paper treats the weights :math:`[\cdot]_+` as constants when
    differentiating; Keras's autograd and :func:`circle_grad` differentiate them too.
    torch.nn.functional has no circle loss.

    References
    ----------
    Y. Sun, C. Cheng, Y. Zhang, C. Zhang, L. Zheng, Z. Wang and Y. Wei, "Circle Loss: A
    Unified Perspective of Pair Similarity Optimization", CVPR 2020 (arXiv:2002.10857).

    Examples
    --------
    Two samples of class 0 at similarity 0.8, and one of class 1 at similarity 0 with the
    first and 0.6 with the second (unit vectors in the plane): sample 0's positive term is
    :math:`a = -\gamma (1.4 - 0.8)(0.8 - 0.6)` and its negative one
    :math:`b = \gamma (0 + 0.4)(0 - 0.4)`, so with :math:`\gamma = 1`,
    :math:`\ell_0 = \log(1 + e^{-0.12 - 0.16})`; for sample 1 the negative pair has
    similarity 0.6, :math:`b = (0.6 + 0.4)(0.6 - 0.4)` and :math:`\ell_1 = \log(1 + e^{-0.12
    + 0.2})`; sample 2 has no positive pair.

    >>> import lossnotes as ln
    >>> x = [[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]]
    >>> ln.circle([0, 0, 1], x, gamma=1.0, reduction="none").round(8)
    array([0.56291533, 0.73394697, 0.        ])
    """
    gamma, margin, remove_diagonal = _check_options(gamma, margin, remove_diagonal)
    lab, x, dtype = _inputs(labels, embeddings, gamma, margin)
    loss, _ = circle_parts(similarities(x), lab, gamma, margin, remove_diagonal)
    return reduce(loss.astype(dtype), reduction, sample_weight)


@quiet
def circle_grad(labels, embeddings, *, gamma: float = 80.0, margin: float = 0.4,
                remove_diagonal: bool = True, sample_weight=None):
    r"""Derivative of the batch's summed :func:`circle` loss with respect to the embeddings.

    A batch loss has no per-sample derivative: :math:`\ell_i` depends on every embedding, so
    the result is the gradient of :math:`\sum_i w_i \ell_i` (the unreduced loss summed, each
    sample weighted by ``sample_weight``, 1 by default), the embeddings' shape. With
    :math:`t_i = \operatorname{LSE}_{\mathcal{P}_i} a + \operatorname{LSE}_{\mathcal{N}_i} b`
    and :math:`\pi_{ij}`, :math:`\nu_{ik}` the softmax weights of the two log-sum-exps,

    .. math::

        G_{ij} = \frac{\partial \ell_i}{\partial s_{ij}} = \sigma(t_i)\Bigl(
        \pi_{ij}\, \frac{\partial a_{ij}}{\partial s_{ij}}
        + \nu_{ij}\, \frac{\partial b_{ij}}{\partial s_{ij}}\Bigr),

        \frac{\partial a}{\partial s} = -2 \gamma (1 - s)\, [s < 1 + m], \qquad
        \frac{\partial b}{\partial s} = 2 \gamma s\, [s > -m],

    (the weights :math:`[\cdot]_+` differentiated with their factors, as an autograd does),
    and since :math:`s_{ij} = x_i \cdot x_j` holds :math:`x_i` and :math:`x_j`,

    .. math::

        \frac{\partial}{\partial X} \sum_i w_i \ell_i = (W G + (W G)^{\top}) X,
        \qquad W = \operatorname{diag}(w).

    Examples
    --------
    >>> import lossnotes as ln
    >>> x = [[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]]
    >>> ln.circle_grad([0, 0, 1], x, gamma=1.0).round(8)
    array([[-0.3041418 , -0.22810635],
           [-0.38017725,  0.62398721],
           [ 0.49918977,  0.37439232]])
    """
    gamma, margin, remove_diagonal = _check_options(gamma, margin, remove_diagonal)
    lab, x, dtype = _inputs(labels, embeddings, gamma, margin)
    _, g = circle_parts(similarities(x), lab, gamma, margin, remove_diagonal)
    return _grad_from_parts(g, x, _weights(sample_weight, x.shape[:-1])).astype(dtype)
