r"""Sequences: connectionist temporal classification (CTC), a loss over every alignment.

A network reads an input of :math:`T` frames and gives each frame :math:`t` the logits
:math:`u_t` of :math:`C` classes, one of which is the *blank*. The target is a shorter
sequence of :math:`L \le T` labels, none of them the blank, with no frame-by-frame alignment
given. CTC (Graves et al. 2006) sums the probability of every path of :math:`T` classes that
collapses to the target (merge repeated classes, then drop the blanks) and takes the negative
log of the sum. The sum over exponentially many paths is a forward recursion over the
:math:`2L + 1` states of the target with a blank between labels and at both ends.
"""

from __future__ import annotations

import numpy as np

from ._validation import _asarray, _where, as_float_array, first, quiet, reduce, sample_weights


def _integers(x, name: str, shape: tuple, what: str) -> np.ndarray:
    """``x`` as an integer array of ``shape``, refused with its name otherwise."""
    arr = _asarray(x, name)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integers ({what}); found dtype {arr.dtype}")
    if arr.shape != shape:
        raise ValueError(f"{name} has shape {arr.shape}; expected {shape} ({what})")
    return arr.astype(np.int64)


def _in_range(x: np.ndarray, name: str, lo: int, hi: int, what: str) -> None:
    bad = (x < lo) | (x > hi)
    if bad.any():
        raise ValueError(f"{name} holds {first(x, bad)!r} {_where(bad)}; expected {what} from "
                         f"{lo} to {hi}")


def _inputs(labels, logits, input_lengths, label_lengths, blank):
    """Check the arguments: ``(labels, label_lengths, input_lengths, log_probs, blank, dtype)``
    with ``log_probs`` the log-softmax of the logits in float64 (float16 and float32 are
    computed in float64 and rounded once at the end)."""
    u = as_float_array(logits, "logits")
    if u.ndim != 3:
        raise ValueError(f"logits has shape {u.shape}; expected (N, T, C): N sequences of T "
                         "frames, the logits of C classes (the blank included) per frame")
    n, t, c = u.shape
    if t == 0 or c == 0:
        raise ValueError(f"logits has shape {u.shape}; expected at least one frame (T) and one "
                         "class (C, the blank)")
    if not np.isfinite(u).all():
        bad = ~np.isfinite(u)
        raise ValueError(f"logits holds {first(u, bad)!r} {_where(bad)}; expected finite "
                         "numbers")
    if isinstance(blank, bool) or not isinstance(blank, (int, np.integer)) \
            or not 0 <= blank < c:
        raise ValueError(f"blank is {blank!r}; expected the integer index of the blank class, "
                         f"from 0 to {c - 1} (C = {c} classes)")
    blank = int(blank)
    lab = _asarray(labels, "labels")
    if lab.ndim != 2 or lab.shape[0] != n:
        raise ValueError(f"labels has shape {lab.shape}; expected ({n}, S): one row of labels "
                         "per sequence of logits, padded to a common length S")
    lab = _integers(lab, "labels", lab.shape, "class indices")
    s = lab.shape[1]
    if input_lengths is None:
        x_len = np.full(n, t, dtype=np.int64)
    else:
        x_len = _integers(input_lengths, "input_lengths", (n,), "one length per sequence")
        _in_range(x_len, "input_lengths", 1, t, "a number of frames")
    if label_lengths is None:
        # Keras's convention: a row is its labels followed by blanks (padding); a label after
        # the padding has begun would be read as part of it, so it is refused instead.
        pad = lab == blank
        later = pad.cumsum(axis=1) > 0
        bad = later & ~pad
        if bad.any():
            raise ValueError(
                f"labels holds the blank ({blank}) inside a label sequence: {first(lab, bad)!r} "
                f"{_where(bad)} follows a blank; without label_lengths each row is its labels "
                "followed by blanks (padding); pass label_lengths for other padding")
        y_len = (~later).sum(axis=1)
    else:
        y_len = _integers(label_lengths, "label_lengths", (n,), "one length per sequence")
        _in_range(y_len, "label_lengths", 0, s, "a number of labels")
    inside = np.arange(s) < y_len[:, None]
    bad = inside & ((lab < 0) | (lab >= c) | (lab == blank))
    if bad.any():
        raise ValueError(f"labels holds {first(lab, bad)!r} {_where(bad)} within its label "
                         f"length; expected class indices from 0 to {c - 1} other than the "
                         f"blank ({blank})")
    dtype = u.dtype
    work = u.astype(np.float64) if dtype.itemsize < 8 else u
    top = work.max(axis=-1, keepdims=True)
    log_p = work - top - np.log(np.exp(work - top).sum(axis=-1, keepdims=True))
    return np.where(inside, lab, blank), y_len, x_len, log_p, blank, dtype


def _extended(lab: np.ndarray, blank: int):
    """The states :math:`l'` (a blank before, between and after the labels; padding as
    blanks), shape (N, 2S + 1), and where a state may be entered from two states back: a label
    that differs from the label before it."""
    n, s = lab.shape
    ext = np.full((n, 2 * s + 1), blank, dtype=np.int64)
    ext[:, 1::2] = lab
    skip = np.zeros(ext.shape, dtype=bool)
    skip[:, 3::2] = (lab[:, 1:] != lab[:, :-1]) & (lab[:, 1:] != blank)
    return ext, skip


def _shift(a: np.ndarray, k: int, fill: float = -np.inf) -> np.ndarray:
    """``a`` moved ``k`` states up the last axis (down for a negative ``k``), ``fill`` in."""
    out = np.full_like(a, fill)
    if k > 0:
        out[:, k:] = a[:, :-k]
    else:
        out[:, :k] = a[:, -k:]
    return out


def ctc_parts(lab, y_len, x_len, log_p, blank):
    r"""``(loss, log_alpha, log_beta, ext)``: the loss per sequence (+inf where no alignment
    exists), the forward and backward variables in log space, shape (N, T, 2S + 1), and the
    states. ``log_beta`` leaves out the frame's own emission, so that
    :math:`\alpha_t(s) \beta_t(s)` is the probability of the paths through state ``s`` at
    frame ``t``."""
    n, t_max, _ = log_p.shape
    ext, skip = _extended(lab, blank)
    rows = np.arange(n)[:, None]
    emit = log_p[rows, :, ext].transpose(0, 2, 1)  # log y_t(l'_s): (N, T, 2S + 1)
    alpha = np.full(emit.shape, -np.inf)
    # a path starts in the first blank or the first label (an empty target has none)
    alpha[:, 0, 0] = emit[:, 0, 0]
    alpha[:, 0, 1:2] = np.where(y_len[:, None] > 0, emit[:, 0, 1:2], -np.inf)
    for t in range(1, t_max):
        a = alpha[:, t - 1]
        came = np.logaddexp(np.logaddexp(a, _shift(a, 1)),
                            np.where(skip, _shift(a, 2), -np.inf))
        alpha[:, t] = np.where((t < x_len)[:, None], came + emit[:, t], a)
    # the path ends in the last label or the blank after it, at the sequence's last frame
    last = alpha[np.arange(n), x_len - 1]
    end = np.take_along_axis(last, 2 * y_len[:, None], axis=1)[:, 0]
    before = np.take_along_axis(last, np.maximum(2 * y_len - 1, 0)[:, None], axis=1)[:, 0]
    log_lik = np.logaddexp(end, np.where(y_len > 0, before, -np.inf))
    states = np.arange(ext.shape[1])
    final = np.where((states == 2 * y_len[:, None]) | (states == 2 * y_len[:, None] - 1),
                     0.0, -np.inf)
    beta = np.empty_like(alpha)
    beta[:, -1] = final
    for t in range(t_max - 2, -1, -1):
        b = beta[:, t + 1] + emit[:, t + 1]
        went = np.logaddexp(np.logaddexp(b, _shift(b, -1)),
                            _shift(np.where(skip, b, -np.inf), -2))
        beta[:, t] = np.where((t < x_len - 1)[:, None], went, final)
    return 0.0 - log_lik, alpha, beta, ext  # 0 - x: a certain path costs +0, not -0


@quiet
def ctc(labels, logits, *, input_lengths=None, label_lengths=None, blank: int = 0,
        reduction: str = "mean", sample_weight=None):
    r"""Connectionist temporal classification loss (Graves et al. 2006) from logits.

    Each frame's class probabilities are the softmax of its logits,
    :math:`y_t(k) = e^{u_{tk}} / \sum_j e^{u_{tj}}`. For a target
    :math:`l = (l_1, \dots, l_L)` (no blank in it) the states are
    :math:`l' = (b, l_1, b, l_2, \dots, b, l_L, b)`, :math:`|l'| = 2L + 1` with :math:`b`
    the blank, and the forward variable :math:`\alpha_t(s)`, the probability of the paths of
    frames :math:`1..t` that are in state :math:`s` at frame :math:`t`, is

    .. math::

        \alpha_1(1) = y_1(b), \quad \alpha_1(2) = y_1(l_1), \quad \alpha_1(s) = 0
        \text{ for } s > 2,

    .. math::

        \alpha_t(s) = y_t(l'_s)\bigl(\alpha_{t-1}(s) + \alpha_{t-1}(s-1)
        + [l'_s \ne b \text{ and } l'_s \ne l'_{s-2}]\, \alpha_{t-1}(s-2)\bigr):

    a path stays in its state, moves on by one, or skips a blank between two different
    labels. The loss of a sequence of :math:`T` frames is the negative log-likelihood of all
    the paths that end in the last label or the blank after it,

    .. math::

        \ell = -\log\bigl(\alpha_T(2L + 1) + \alpha_T(2L)\bigr).

    Parameters
    ----------
    labels : array_like of int, shape (N, S)
        One row of class indices per sequence, padded to a common length ``S``. Without
        ``label_lengths``, each row is its labels followed by blanks (Keras's padding with 0,
        the default blank), so the label length is the number of labels before the first
        blank; with ``label_lengths`` the entries after each length are ignored.
    logits : array_like, shape (N, T, C)
        The logits of ``C`` classes (the blank included) at each of ``T`` frames, batch first
        (torch's ``log_probs`` is (T, N, C)).
    input_lengths : array_like of int, shape (N,), optional
        The number of frames of each sequence, from 1 to ``T``; the frames after it are
        ignored. Default: ``T`` for every sequence (Keras's ``ctc``).
    label_lengths : array_like of int, shape (N,), optional
        The number of labels of each sequence, from 0 to ``S``. Default: counted as above.
    blank : int, default 0
        The index of the blank class.
    reduction : {"mean", "sum", "none"}, default "mean"
        Over the sequences. ``"mean"`` is the mean of the sequence losses (Keras's); torch's
        ``reduction="mean"`` divides each by its label length (1 for an empty label) first,
        which is ``(ctc(..., reduction="none") / np.maximum(label_lengths, 1)).mean()`` here.
    sample_weight : array_like, shape (N,), optional
        A finite non-negative weight per sequence: ``"mean"`` is
        :math:`\sum_i w_i \ell_i / \sum_i w_i`.

    Returns
    -------
    ndarray or scalar
        Shape (N,) for ``"none"``, else a scalar; ``logits``' dtype.

    Raises
    ------
    ValueError
        For logits not of shape (N, T, C) or not finite, labels not an (N, S) integer array,
        a label within its length that is the blank or not a class index, a label after the
        blank padding (without ``label_lengths``), lengths that are not integers of shape
        (N,) or out of range, a ``blank`` that is not a class index, a bad ``reduction`` or
        ``sample_weight``.

    Notes
    -----
    **Impossible alignments.** A path needs a frame per label and one more between two equal
    neighbours (the blank that keeps them apart), :math:`L + \#\{i : l_i = l_{i+1}\}` frames
    in all. A sequence with fewer frames has no path: its probability is 0 and its loss is
    ``+inf`` (torch's ``zero_infinity=True`` would make it 0; lossnotes does not), and a
    ``"mean"`` or ``"sum"`` that holds it is ``+inf`` unless its weight is 0.

    The recursion runs in log space, each sum a ``logaddexp``, and the softmax is a
    log-softmax shifted by the frame's largest logit, so no probability underflows however
    long the sequence. float16 and float32 are computed in float64 and rounded once. Each
    sequence's loss depends on its own logits and labels only.

    **Accuracy.** Each of the :math:`T` steps rounds a log-softmax and a few ``logaddexp``, an
    absolute error of a few :math:`\varepsilon` times the size of the logits per step: in
    float64 the loss is within 10 ulps on :mod:`lossnotes.accuracy`'s grid (2.7 measured, 4.0
    with NumPy's AVX2 or baseline kernels), where it is at least 0.5. A loss near 0 (one
    nearly certain path) is :math:`-\log p` with :math:`p` near 1 and keeps that absolute
    error only: its relative error grows as it shrinks. float32 is within half an ulp.

    References
    ----------
    A. Graves, S. Fernández, F. Gomez and J. Schmidhuber, "Connectionist Temporal
    Classification: Labelling Unsegmented Sequence Data with Recurrent Neural Networks",
    ICML 2006.

    Examples
    --------
    Two classes (0 the blank, 1 a label) with equal logits: every path of ``T`` frames has
    probability :math:`2^{-T}`. The label "1" in 2 frames has the paths 11, 01 and 10, so
    :math:`\ell = -\log(3/4)`; "1 1" in 3 frames has only 101, :math:`\ell = \log 8`; in 2
    frames it has none.

    >>> import numpy as np
    >>> import lossnotes as ln
    >>> logits = np.zeros((3, 3, 2))
    >>> labels = [[1, 0], [1, 1], [1, 1]]
    >>> ln.ctc(labels, logits, input_lengths=[2, 3, 2], reduction="none").round(8)
    array([0.28768207, 2.07944154,        inf])
    """
    lab, y_len, x_len, log_p, blank, dtype = _inputs(labels, logits, input_lengths,
                                                     label_lengths, blank)
    loss, _, _, _ = ctc_parts(lab, y_len, x_len, log_p, blank)
    return reduce(loss.astype(dtype), reduction, sample_weight)


@quiet
def ctc_grad(labels, logits, *, input_lengths=None, label_lengths=None, blank: int = 0,
             sample_weight=None):
    r"""Derivative of each sequence's :func:`ctc` loss with respect to its logits.

    With the backward variable :math:`\beta_t(s)`, the probability of completing a path from
    state :math:`s` at frame :math:`t` (the frames after :math:`t`),

    .. math::

        \beta_T(2L + 1) &= \beta_T(2L) = 1,

        \beta_t(s) &= \beta_{t+1}(s)\, y_{t+1}(l'_s) + \beta_{t+1}(s+1)\, y_{t+1}(l'_{s+1})

        &\quad + [l'_{s+2} \ne b \text{ and } l'_{s+2} \ne l'_s]\, \beta_{t+1}(s+2)\,
        y_{t+1}(l'_{s+2}),

    :math:`\alpha_t(s) \beta_t(s) / p` is the posterior probability that a path is in state
    :math:`s` at frame :math:`t`, with :math:`p = e^{-\ell}`, and the gradient is the softmax
    minus the posterior occupancy of each class:

    .. math::

        \frac{\partial \ell}{\partial u_{tk}} = y_t(k)
        - \frac{1}{p} \sum_{s : l'_s = k} \alpha_t(s)\, \beta_t(s).

    The frames after a sequence's length get 0. A sequence without alignment has the loss
    ``+inf`` whatever its logits, a constant: its gradient is 0 (as torch's
    ``zero_infinity=True`` gives).

    The posteriors come from sums of :math:`\log \alpha`, :math:`\log \beta` and the loss,
    each of size up to :math:`T` times the logits and carrying its roundings, so in float64 an
    entry is within 256 ulps on :mod:`lossnotes.accuracy`'s grid (128 to 164 measured), where
    every path is improbable and no entry cancels; where the softmax and the posterior nearly
    cancel, the absolute error stays and the relative one grows. float32 is within half an
    ulp.

    Parameters
    ----------
    labels, logits, input_lengths, label_lengths, blank
        As for :func:`ctc`.
    sample_weight : array_like, shape (N,), optional
        A weight per sequence, which multiplies its gradient.

    Returns
    -------
    ndarray
        The shape and dtype of ``logits``: the derivative of each sequence's unreduced
        (weighted) loss.

    Examples
    --------
    The label "1" in 2 frames of equal logits: the paths 11, 01 and 10 are equally likely, so
    the first frame is class 1 with posterior 2/3 and the blank with 1/3 (the second frame
    alike), against a softmax of 1/2; the third frame is after the input length.

    >>> import numpy as np
    >>> import lossnotes as ln
    >>> ln.ctc_grad([[1]], np.zeros((1, 3, 2)), input_lengths=[2]).round(8)
    array([[[ 0.16666667, -0.16666667],
            [ 0.16666667, -0.16666667],
            [ 0.        ,  0.        ]]])
    """
    lab, y_len, x_len, log_p, blank, dtype = _inputs(labels, logits, input_lengths,
                                                     label_lengths, blank)
    loss, alpha, beta, ext = ctc_parts(lab, y_len, x_len, log_p, blank)
    n, t_max, c = log_p.shape
    # posterior occupancy of each state, gathered onto its class: sum over s with l'_s = k
    post = np.exp(alpha + beta + loss[:, None, None])
    occupancy = np.einsum("nts,nsc->ntc", post, np.eye(c)[ext])
    live = (np.arange(t_max) < x_len[:, None]) & np.isfinite(loss)[:, None]
    g = np.where(live[..., None], np.exp(log_p) - occupancy, 0.0)
    if sample_weight is not None:
        g = g * sample_weights(sample_weight, (n,), np.float64)[:, None, None]
    return g.astype(dtype)
