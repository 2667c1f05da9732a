"""The registry: one record per loss of lossnotes, and one per link function.

Everything that iterates over the losses reads this table and nothing else: :func:`compare`
and ``python -m lossnotes`` (how Keras and torch are called, the tolerance's scale, the edge
cases with the verdicts they must give), :mod:`lossnotes.accuracy` (the high-precision
reference and the grid of each function), the API page and the tests, which are parametrized
over it. Adding a loss is: its function and its gradient, one record here, one reference in
``_reference.py``.

This module is imported on first use by those tools, never by ``import lossnotes``.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import (
    _circle,
    _ctc,
    _divergence,
    _embedding,
    _focal,
    _links,
    _margin,
    _multiclass_margin,
    _multilabel,
    _overlap,
    _ranking,
    _reference,
    _regression,
    _regression_more,
    _similarity,
    _triplet,
    _validation,
    like_keras,
    like_torch,
)
from . import _cross_entropy as _ce

inf = np.inf

# --------------------------------------------------------------------------------------------
# the records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatrixCase:
    """An input of the agreement matrix, and for an edge case the verdicts it must give."""

    label: str
    kind: str  # "notes", "random" or "edge"
    y_true: np.ndarray
    y_pred: np.ndarray
    options: dict = field(default_factory=dict)
    #: For an edge case: the status of (keras, torch) for the loss, then for the gradient,
    #: each "agree" or "explained".
    expect: tuple | None = None
    #: For a loss of more than two inputs, the inputs after the first two (which are
    #: ``y_true`` and ``y_pred``): all of them are passed in the loss's order.
    more: tuple = ()

    @property
    def dtype(self) -> str:
        return str(np.asarray(self.y_pred).dtype)


@dataclass(frozen=True)
class Frameworks:
    """How :func:`compare` runs a loss in lossnotes, Keras and torch.

    ``targets`` says what ``y_true`` is: ``"values"`` (the shape of ``y_pred``), ``"classes"``
    (class indices, ``y_pred``'s shape without the class axis) or ``"signs"`` (labels in
    {-1, +1}; the frameworks also read 0). Keras is called as ``keras(keras, y, p, opts)`` and
    returns per-sample values (the mean over the last axis); each torch call as
    ``fn(torch, F, p, y, opts, reduction)`` with torch's (input, target) order. ``hand`` and
    ``hand_grad`` compute the unreduced loss and its derivative with respect to ``y_pred``
    from a module of losses: ``lossnotes`` itself, :mod:`lossnotes.like_keras` or
    :mod:`lossnotes.like_torch`. ``scale`` is the size ``s`` of the terms of the formula at each
    element (the tolerance's absolute floor is 8 eps s) and ``scale_text`` says what it is.

    ``targets="inputs"`` marks a loss of more than two inputs (``Loss.inputs`` names them):
    ``hand``, ``hand_grad`` and ``scale`` then take the tuple of its inputs in place of ``y``
    (and the first input as ``p``), ``hand_grad`` returns the derivatives with respect to the
    inputs of ``Loss.wrt`` stacked in that order, and each torch call is
    ``fn(torch, F, *inputs, opts, reduction)``, in the loss's (and torch's) order.
    """

    targets: str
    keras_call: Callable[[dict], str]
    keras: Callable
    torch: tuple  # of (label, call text(opts), fn)
    hand: Callable
    hand_grad: Callable
    scale: Callable
    scale_text: Callable[[dict, bool], str]
    lossnotes_call: Callable[[dict], str]
    #: Categorical losses: one value per row, classes along ``axis``.
    rowwise: bool = False
    #: The frameworks that do not ship the loss, each with the reason and how to write it with
    #: that framework's ops: compare reports them as "absent" (``keras`` is then None, or
    #: ``torch`` empty).
    absent: dict = field(default_factory=dict)
    #: ``keras_unavailable(y_pred, opts)``: why the installed Keras cannot run this call (a
    #: loss added in a later release, a dtype it fails on), or None; compare then leaves
    #: Keras out and says so in a note (see ``_compare/_frameworks.py``).
    keras_unavailable: Callable | None = None
    #: For a loss with ``extra_options``, the calls that take them (see "the options of the
    #: cross-entropies" and "sample_weight on every other loss" below):
    #: ``keras_weighted(keras, y, p, opts, reduction)`` calls a Keras loss object with
    #: ``reduction`` (None or "sum_over_batch_size") and its ``sample_weight``;
    #: ``keras_weighted_call(opts)`` is its text; ``mean(mod, y, p, opts)`` is a module's own
    #: mean and ``divisor(mod, y, p, opts)`` what that mean divides the weighted sum by.
    keras_weighted: Callable | None = None
    keras_weighted_call: Callable | None = None
    mean: Callable | None = None
    divisor: Callable | None = None


@dataclass(frozen=True)
class Loss:
    """One loss: its function, gradient, inputs, options, reference, grid and comparisons."""

    name: str
    family: str  # "margin", "cross-entropy", "regression" or "overlap"
    function: Callable
    grad: Callable
    #: The positional inputs, in order, and what each must hold.
    inputs: tuple
    domain: str
    #: The options that change the formula, with their defaults (``reduction`` is not one).
    options: dict
    #: The option sets that give different formulas: the accuracy survey measures each.
    variants: tuple
    reference: Callable
    grad_reference: Callable
    #: ``grid(grad, limits, **options)``: the float64 (or integer) inputs on which
    #: :func:`lossnotes.accuracy.measure` evaluates the function or its gradient.
    grid: Callable
    #: How compare runs it against Keras and torch; None when neither framework ships it.
    frameworks: Frameworks | None
    #: Why the frameworks do not have it, when ``frameworks`` is None.
    absent: str = ""
    cases: tuple = ()
    #: Whether the loss takes ``reduction`` (every loss does; a link function does not).
    reduces: bool = True
    #: Bounds in ulps looser than :data:`lossnotes.accuracy.TARGET`, by dtype name, for a
    #: loss whose formula chains more roundings than the target allows (the reason is in its
    #: docstring); empty: the target. A key ``"<dtype>_grad"`` (``"float64_grad"``) bounds the
    #: gradient alone, where it chains more than the loss.
    ulps: dict = field(default_factory=dict)
    #: Bounds of single variants, looser than ``ulps``: pairs ``(options, ulps)``, where
    #: ``options`` is one of ``variants`` exactly and ``ulps`` is keyed as above; its keys
    #: replace those of ``ulps`` for that variant alone (the reason is in a comment beside).
    variant_ulps: tuple = ()
    #: Options besides ``options``, with their defaults, that compare takes and shows only
    #: when given: the weights of the mean (``sample_weight``, ``class_weight``,
    #: ``pos_weight``), ``label_smoothing`` and ``ignore_index``. ``variants`` may name them.
    extra_options: dict = field(default_factory=dict)
    #: A loss of the whole batch (the circle loss): each sample's value depends on the other
    #: samples, and the gradient is that of the summed loss. Its grid is one batch, which the
    #: tests evaluate whole, and no test asks its values to be independent of the batch.
    batch: bool = False
    #: The inputs ``<loss>_grad`` differentiates, in the order of the tuple it returns; empty
    #: for a loss of ``(y_true, y_pred)``, whose gradient is one array, with respect to
    #: ``y_pred``.
    wrt: tuple = ()
    #: For a loss of several inputs: its compared inputs are vectors on the last axis, one loss
    #: value per vector, even where every input has that shape (the triplet losses; a loss whose
    #: labels have one axis fewer than its embeddings says so by their shapes).
    vectors: bool = False


@dataclass(frozen=True)
class Link:
    """A link function (sigmoid, softmax, ...): its reference and grid, for the accuracy lab."""

    name: str
    function: Callable
    inputs: tuple
    options: dict
    reference: Callable
    grid: Callable
    reduces = False  # one value per score, like the margin losses (a class constant)


# --------------------------------------------------------------------------------------------
# the accuracy grids (described in lossnotes.accuracy's docstring)
# --------------------------------------------------------------------------------------------


def _powers(lo: float, hi: float, per_decade: int) -> np.ndarray:
    """10**k for k from lo to hi in steps of 1/per_decade."""
    return 10.0 ** np.linspace(lo, hi, round((hi - lo) * per_decade) + 1)


def _symmetric(values: np.ndarray) -> np.ndarray:
    return np.concatenate([-values[::-1], [0.0], values])


_LOGITS = _symmetric(_powers(-8, 4, 16))
_ROW_LOGITS = _symmetric(_powers(-8, 4, 8))
_SMALL_P = _powers(-12, 0, 16)
_SMALL_P = np.concatenate([_SMALL_P[_SMALL_P < 0.5], [0.5]])
_PROBABILITIES = np.concatenate([_SMALL_P, 1 - _SMALL_P[::-1][1:]])
_RESIDUALS = _symmetric(_powers(-8, 4, 16))
_BINARY_LABELS = (0.0, 1.0, 0.25, 0.7)
_SOFT_ROW = (0.2, 0.3, 0.5)
_REGRESSION_TARGETS = (0.0, 3.0)
_HUBER_STEPS = (1, 2, 4, 8, 16, 24, 32, 52)


def _with_limits(x: np.ndarray, lo, hi, limits: bool) -> np.ndarray:
    return np.concatenate([[lo], x, [hi]]) if limits else x


def logit_grid(grad=False, limits=True, **options):
    """One logit or margin per point."""
    return (_with_limits(_LOGITS, -inf, inf, limits),)


def score_rows(grad=False, limits=True, **options):
    """Rows (z, 0, -z) and (z, z, 0): a tie for the maximum in the second half."""
    z = _with_limits(_ROW_LOGITS, -inf, inf, limits)
    zero = np.zeros_like(z)
    with np.errstate(invalid="ignore"):
        return (np.concatenate([np.stack([z, zero, -z], 1), np.stack([z, z, zero], 1)]),)


def _probability_rows(limits: bool) -> np.ndarray:
    p = _with_limits(_PROBABILITIES, 0.0, 1.0, limits)
    return np.stack([p, (1 - p) / 2, (1 - p) / 2], 1)


def _binary_grid(grad=False, limits=True, from_logits=False, **options):
    x = _LOGITS if from_logits else _PROBABILITIES
    x = _with_limits(x, -inf if from_logits else 0.0, inf if from_logits else 1.0, limits)
    labels = _BINARY_LABELS[:2] if grad else _BINARY_LABELS
    return np.repeat(labels, len(x)), np.tile(x, len(labels))


def _class_rows(limits: bool, from_logits: bool) -> np.ndarray:
    return score_rows(limits=limits)[0] if from_logits else _probability_rows(limits)


def _categorical_grid(grad=False, limits=True, from_logits=False, axis=-1, **options):
    rows = _class_rows(limits, from_logits)
    # Derivatives use hard targets only (see the accuracy module's docstring).
    targets = [np.eye(3)[k] for k in range(3)] + ([] if grad else [np.array(_SOFT_ROW)])
    y = np.concatenate([np.tile(t, (len(rows), 1)) for t in targets])
    return y, np.tile(rows, (len(targets), 1))


def _sparse_grid(grad=False, limits=True, from_logits=False, axis=-1, **options):
    rows = _class_rows(limits, from_logits)
    return np.repeat(np.arange(3), len(rows)), np.tile(rows, (3, 1))


def _regression_grid(grad=False, limits=True, delta=None):
    r = _RESIDUALS
    if delta is not None:
        d = float(delta)
        near = np.array([d] + [d * (1 + s * 2.0**-j) for j in _HUBER_STEPS for s in (1, -1)])
        r = np.concatenate([r, near, -near])
    y = np.repeat(_REGRESSION_TARGETS, len(r))
    return y, y - np.tile(r, len(_REGRESSION_TARGETS))


def _huber_grid(grad=False, limits=True, delta=1.0):
    return _regression_grid(grad, limits, delta)


# --------------------------------------------------------------------------------------------
# how compare calls each family
# --------------------------------------------------------------------------------------------


def _suffix(opts: dict) -> str:
    return ", from_logits=True" if opts.get("from_logits") else ""


def _ones(y, p, opts, grad):
    return np.ones(p.shape)


def _finite_or_one(s) -> np.ndarray:
    s = np.asarray(s, dtype=np.float64)
    return np.where(np.isfinite(s), s, 1)


# binary cross-entropy ------------------------------------------------------------------------


def _bce_scale(y, p, opts, grad):
    with np.errstate(divide="ignore", invalid="ignore"):
        if opts["from_logits"]:
            s = np.ones_like(p) if grad else np.maximum(1, np.abs(p))
        elif grad:
            s = np.abs(y / p) + np.abs((1 - y) / (1 - p))
        else:
            s = np.ones_like(p)
    return _finite_or_one(s)


def _bce_scale_text(opts, grad):
    if opts["from_logits"]:
        return "1" if grad else "max(1, |z|) (max(z, 0) - z y cancels terms of size |z|)"
    if grad:
        return "y/p + (1 - y)/(1 - p) (the two terms of the derivative)"
    return "1 (each log term is accurate to a few ulp of 1)"


def _bce_torch(torch, F, p, y, opts, reduction):
    """F.binary_cross_entropy(_with_logits), with the options as torch users write them (see
    "the options of the cross-entropies" below)."""
    a, q = opts.get("label_smoothing", 0.0), opts.get("pos_weight")
    if a:  # torch's binary losses have no label_smoothing: Keras's y (1 - a) + a/2, by hand
        y = y * (1 - a) + 0.5 * a
    if not opts["from_logits"]:
        if q is not None:
            raise ValueError(_NO_POS_WEIGHT)
        return _torch_mean(torch, p, F.binary_cross_entropy, (p, y), {}, opts, reduction)
    kw = {} if q is None else {"pos_weight": torch.tensor(np.array(q), dtype=p.dtype)}
    return _torch_mean(torch, p, F.binary_cross_entropy_with_logits, (p, y), kw, opts,
                       reduction)


def _bce_torch_call(opts):
    fn = "binary_cross_entropy_with_logits" if opts["from_logits"] else "binary_cross_entropy"
    q = opts.get("pos_weight")
    kw = "" if q is None else f", pos_weight={_shown(q, 'q')}"
    a = opts.get("label_smoothing", 0.0)
    target = f"y_true * {1 - a!r} + {0.5 * a!r}" if a else "y_true"
    text = _torch_weighted_text(f"F.{fn}(y_pred, {target}{kw}, reduction='none')", opts)
    if a:
        text += ("; torch's binary losses have no label_smoothing: the targets are smoothed by "
                 "hand as Keras smooths them")
    return text


# categorical cross-entropies -----------------------------------------------------------------


def _axis_of(p, opts) -> int:
    return opts["axis"] % p.ndim


def _row_scale(y, p, opts, grad, weight, grad_terms):
    axis = _axis_of(p, opts)
    with np.errstate(divide="ignore", invalid="ignore"):
        if opts["from_logits"]:
            if grad:
                s = np.broadcast_to(np.expand_dims(weight, axis), p.shape)
            else:
                s = weight * np.maximum(1, np.max(np.where(np.isfinite(p), np.abs(p), 0),
                                                  axis=axis))
        elif grad:
            s = grad_terms()
        else:
            s = weight
    s = np.asarray(s, dtype=np.float64)
    return np.where(np.isfinite(s), np.maximum(s, 1), 1)


def _cce_scale(y, p, opts, grad):
    axis = _axis_of(p, opts)
    return _row_scale(y, p, opts, grad, np.sum(y, axis=axis), lambda: np.abs(y / p) + (
        np.expand_dims(np.sum(y, axis=axis) / np.sum(p, axis=axis), axis)))


def one_hot(labels, p, axis) -> np.ndarray:
    """Class indices as one-hot rows of ``p``'s shape and dtype, classes on ``axis``."""
    return _links._one_hot(np.asarray(labels).astype(np.intp), p, axis)


def _sparse_scale(y, p, opts, grad):
    axis = _axis_of(p, opts)
    return _row_scale(y, p, opts, grad, np.ones(np.shape(y)), lambda: np.abs(
        one_hot(y, p, axis) / p) + np.expand_dims(1 / np.sum(p, axis=axis), axis))


def _row_scale_text(weight, grad_terms):
    def text(opts, grad):
        if opts["from_logits"]:
            if grad:
                return weight
            head = "" if weight == "1" else f"{weight} * "
            return f"{head}max(1, max |z|) per row (z - logsumexp(z) cancels terms of size |z|)"
        if grad:
            return f"{grad_terms} (the terms of the derivatives)"
        return weight if weight == "1" else f"{weight} per row"
    return text


def _cce_torch(torch, F, p, y, opts, reduction):
    logits = p if opts["from_logits"] else torch.log(p)
    return _torch_mean(torch, p, F.cross_entropy, (logits, y), _torch_class_options(torch, p, opts),
                       opts, reduction)


def _sparse_torch(torch, F, p, y, opts, reduction):
    kw = _torch_class_options(torch, p, opts)
    if opts.get("ignore_index") is not None:
        kw["ignore_index"] = opts["ignore_index"]
    if opts["from_logits"] or "label_smoothing" in kw:  # F.nll_loss has no label_smoothing
        logits = p if opts["from_logits"] else torch.log(p)
        return _torch_mean(torch, p, F.cross_entropy, (logits, y), kw, opts, reduction)
    return _torch_mean(torch, p, F.nll_loss, (torch.log(p), y), kw, opts, reduction)


def _ce_torch_call(sparse: bool):
    """The text of the torch call of the categorical (or sparse) cross-entropy."""
    def text(o):
        kw = "".join(f", {k}={_shown(o[k], _SHORT[k])}" for k in (
            "class_weight", "label_smoothing", "ignore_index") if k in o)
        kw = kw.replace("class_weight=", "weight=")
        if sparse:
            plain = not o["from_logits"] and not o.get("label_smoothing")
            fn = ("F.nll_loss(torch.log(y_pred)" if plain else "F.cross_entropy(y_pred" if
                  o["from_logits"] else "F.cross_entropy(torch.log(y_pred)")
            call, where = f"{fn}, labels{kw}, reduction='none')", "classes on dim 1"
        else:
            fn = "F.cross_entropy(y_pred" if o["from_logits"] else (
                "F.cross_entropy(torch.log(y_pred)")
            call, where = (f"{fn}, y_true{kw}, reduction='none')",
                           "probability targets, classes on dim 1")
        return f"{_torch_weighted_text(call, o)}, {where}"
    return text


def _ce_frameworks(name: str, keras_name: str, target: str, **fields) -> Frameworks:
    """How a cross-entropy is called: lossnotes and Keras by name with ``from_logits`` (and
    ``axis`` for lossnotes' row losses) and the options given, the rest given."""
    def lossnotes_call(o):
        axis = f", axis={o['axis']}" if "axis" in o else ""
        extra = "".join(f", {k}={_shown(o[k], short)}" for k, short in _SHORT.items() if k in o)
        return f"ln.{name}({target}, y_pred{_suffix(o)}{axis}{extra}, reduction='none')"

    hand, hand_grad = _ce_hand(name), _ce_hand(name, "_grad")
    return Frameworks(
        lossnotes_call=lossnotes_call,
        keras_call=lambda o: f"keras.losses.{keras_name}({target}, y_pred{_suffix(o)})",
        keras=lambda keras, y, p, opts: getattr(keras.losses, keras_name)(
            y, p, from_logits=opts["from_logits"]),
        hand=hand, hand_grad=hand_grad,
        mean=lambda mod, y, p, opts: hand(mod, y, p, opts, reduction="mean"),
        divisor=_divisor(hand), **fields)



# the options of the cross-entropies: weights, smoothing, ignored labels -------------------------
#
# compare passes them only when given (each record's ``extra_options``): lossnotes and
# like_keras / like_torch take them as they are; Keras gets a loss object (its ``__call__``
# takes ``sample_weight``, and its ``reduction`` is "sum_over_batch_size" for the mean or None
# for the weighted values), with ``Model.fit(class_weight=)`` written as the per-sample
# weights c_{y_i} it becomes; torch gets ``weight=``, ``pos_weight=``, ``label_smoothing=``
# and ``ignore_index=``, and, having no sample weights, ``(w * F.xxx(..., reduction="none"))``
# summed and divided by ``w.sum()``. An option a framework lacks is written as its users write
# it: Keras's sparse loss has no smoothing (one-hot labels and CategoricalCrossentropy), torch's
# binary losses have none (Keras's y (1 - a) + a/2 on the targets), and only logits take a
# ``pos_weight`` (torch's binary_cross_entropy_with_logits, TensorFlow's
# weighted_cross_entropy_with_logits).

_BCE_EXTRAS = {"sample_weight": None, "pos_weight": None, "label_smoothing": 0.0}
_CCE_EXTRAS = {"sample_weight": None, "class_weight": None, "label_smoothing": 0.0}
_SPARSE_EXTRAS = {**_CCE_EXTRAS, "ignore_index": None}
#: How a call's text names each option's value: arrays by a letter, numbers as they are.
_SHORT = {"sample_weight": "w", "class_weight": "c", "pos_weight": "q", "label_smoothing": "",
          "ignore_index": ""}
_NO_POS_WEIGHT = (
    "pos_weight needs from_logits=True here: torch has it only in "
    "F.binary_cross_entropy_with_logits and TensorFlow only in "
    "tf.nn.weighted_cross_entropy_with_logits (Keras's losses have none)")


def _shown(value, short: str) -> str:
    """An option's value in a call's text: a single number as itself, an array by name."""
    return repr(value) if np.ndim(value) == 0 else short


def _sample_weights(opts, shape, dtype):
    """The ``sample_weight`` of ``opts`` checked (the package's check) and spread over the
    unreduced loss's ``shape``; None without one."""
    w = opts.get("sample_weight")
    if w is None:
        return None
    return np.broadcast_to(_validation.sample_weights(w, shape, dtype), shape)


def _torch_mean(torch, p, fn, args, kw, opts, reduction):
    """``fn(*args, **kw)`` reduced as torch users reduce it: torch's own ``reduction``, or, with
    sample weights, which torch does not have, ``w * fn(..., reduction="none")`` and its sum
    over ``w.sum()``."""
    w = opts.get("sample_weight")
    if w is None:
        return fn(*args, reduction=reduction, **kw)
    loss = fn(*args, reduction="none", **kw)
    w = torch.as_tensor(np.array(
        _sample_weights(opts, tuple(loss.shape), np.dtype(str(p.dtype).split(".")[-1]))))
    loss = w * loss
    return loss if reduction == "none" else loss.sum() / w.sum()


def _torch_class_options(torch, p, opts) -> dict:
    """torch's ``weight=`` (the class weights) and ``label_smoothing=``, when given."""
    kw = {}
    if opts.get("class_weight") is not None:
        kw["weight"] = torch.tensor(np.array(opts["class_weight"]), dtype=p.dtype)
    if opts.get("label_smoothing"):
        kw["label_smoothing"] = opts["label_smoothing"]
    return kw


def _torch_weighted_text(call: str, opts) -> str:
    if opts.get("sample_weight") is None:
        return call
    return (f"(w * {call}), and (w * ...).sum() / w.sum() for the mean, written by hand: torch "
            "has no sample_weight")


def _ce_hand(name: str, suffix: str = ""):
    """lossnotes' ``name`` (or its ``_grad``) from a module of losses, with every option given;
    under like_keras the sparse loss with smoothing is Keras's CategoricalCrossentropy of the
    one-hot labels, and under like_torch the binary loss's smoothing is done on the targets,
    as compare's Keras and torch calls do."""
    def hand(mod, y, p, opts, reduction="none"):
        kw = {} if suffix else {"reduction": reduction}
        a = opts.get("label_smoothing", 0.0)
        if a and mod is like_keras and name.startswith("sparse") and (
                opts.get("ignore_index") is None):
            y, p = _ce._one_hot_inputs(y, p, opts["from_logits"], opts["axis"])
            return getattr(mod, "categorical_cross_entropy" + suffix)(y, p, **opts, **kw)
        if a and mod is like_torch and name == "binary_cross_entropy":
            y = y * (1 - a) + 0.5 * a
            opts = {k: v for k, v in opts.items() if k != "label_smoothing"}
        return getattr(mod, name + suffix)(y, p, **opts, **kw)
    return hand


def _neutral(p, opts) -> np.ndarray:
    """A prediction at which every term of a cross-entropy costs a positive, finite amount
    (log 2 or log C times its target): logits 0, or the uniform probabilities."""
    if opts["from_logits"]:
        return np.zeros_like(p)
    return np.full_like(p, 1 / (p.shape[_axis_of(p, opts)] if "axis" in opts else 2))


def _divisor(hand):
    """``divisor(mod, y, p, opts)``: what ``mod``'s mean divides the weighted sum of the
    unreduced loss by, read off the module itself (its sum over its mean) at a neutral
    prediction, since it does not depend on the prediction; inf when every term weighs 0 (the
    mean is 0 and so is its derivative)."""
    def divisor(mod, y, p, opts):
        p = _neutral(p, opts)
        total = float(np.sum(hand(mod, y, p, opts), dtype=np.float64))
        mean = float(hand(mod, y, p, opts, reduction="mean"))
        return total / mean if mean else np.inf
    return divisor


def option_weight(opts) -> float:
    """max(1, the largest weight among the options): the factor by which they can scale a
    term (the tolerance's floor grows with it)."""
    return max([1.0] + [float(np.max(opts[k])) for k in ("sample_weight", "class_weight",
                                                         "pos_weight")
                        if opts.get(k) is not None and np.size(opts[k])])


def _keras_weights(y, p, opts, shape, classes=None):
    """The ``sample_weight`` Keras's ``__call__`` gets for a loss of ``shape``: the sample
    weights times, for ``class_weight``, the weight ``Model.fit(class_weight=)`` gives each
    sample, that of its class (``classes``: the labels, or the argmax of each target row);
    None without either."""
    dtype = np.dtype(p.dtype.name)
    w = _sample_weights(opts, shape, dtype)
    if opts.get("class_weight") is not None:
        c = np.asarray(opts["class_weight"], dtype=dtype)  # checked by compare
        k = opts.get("ignore_index")
        v = c[np.where(classes == k, 0, classes) if k is not None else classes]
        w = v if w is None else w * v
    return w


def _keras_loss(cls, dtype, **kwargs):
    """A Keras loss object that computes in ``dtype``. Keras 3.0 takes ``dtype`` in the base
    class ``keras.losses.Loss`` only, not in its losses' constructors; there the attribute
    that its ``__call__`` converts the inputs to is set after construction."""
    import inspect

    if "dtype" in inspect.signature(cls.__init__).parameters:
        return cls(**kwargs, dtype=dtype)
    loss = cls(**kwargs)
    loss.dtype = dtype
    return loss


def _keras_pos_weighted(keras, q, a, reduction, dtype):
    """A Keras loss object for TensorFlow's weighted_cross_entropy_with_logits (Keras's losses
    have no pos_weight), smoothed as BinaryCrossentropy smooths, its mean over the last axis."""
    import tensorflow as tf

    class PosWeighted(keras.losses.Loss):
        def call(self, y_true, y_pred):
            if a:
                y_true = y_true * (1 - a) + 0.5 * a
            values = tf.nn.weighted_cross_entropy_with_logits(y_true, y_pred,
                                                              tf.constant(q, dtype=dtype))
            return keras.ops.mean(values, axis=-1)

    return PosWeighted(reduction=reduction, dtype=dtype)


def _keras_bce_weighted(keras, y, p, opts, reduction):
    """Each element a sample of one output, as Keras lays a binary problem out, (N, 1)."""
    dtype = p.dtype.name
    a, q = opts.get("label_smoothing", 0.0), opts.get("pos_weight")
    if q is None:
        loss = _keras_loss(keras.losses.BinaryCrossentropy, dtype,
                           from_logits=opts["from_logits"], label_smoothing=a,
                           reduction=reduction)
    elif not opts["from_logits"]:
        raise ValueError(_NO_POS_WEIGHT)
    else:
        loss = _keras_pos_weighted(keras, np.broadcast_to(q, y.shape)[..., None], a, reduction,
                                   dtype)
    return loss(y[..., None], p[..., None], sample_weight=_keras_weights(y, p, opts, y.shape))


def _keras_bce_weighted_call(o) -> str:
    w = _keras_weights_text(o)
    if o.get("pos_weight") is not None:
        a = f", y_true smoothed to y_true * {1 - o['label_smoothing']!r} + " \
            f"{0.5 * o['label_smoothing']!r}" if o.get("label_smoothing") else ""
        return (f"a keras.losses.Loss whose call is tf.nn.weighted_cross_entropy_with_logits("
                f"y_true, y_pred, pos_weight={_shown(o['pos_weight'], 'q')}){a} (Keras's losses "
                f"have no pos_weight), called on (y_true[..., None], y_pred[..., None]{w})")
    args = ["from_logits=True"] if o["from_logits"] else []
    if "label_smoothing" in o:
        args.append(f"label_smoothing={o['label_smoothing']!r}")
    return (f"keras.losses.BinaryCrossentropy({', '.join([*args, 'reduction=None'])})"
            f"(y_true[..., None], y_pred[..., None]{w})")


def _keras_weights_text(o) -> str:
    """The ``sample_weight=`` of a Keras call's text: the sample weights w and, for
    ``class_weight``, the weight c[k] of each sample's class k, as ``Model.fit`` gives it."""
    parts = [{"sample_weight": "w", "class_weight": "c[class of each sample]"}[k]
             for k in ("sample_weight", "class_weight") if o.get(k) is not None]
    return f", sample_weight={' * '.join(parts)}" if parts else ""


def _keras_cce_weighted(keras, y, p, opts, reduction):
    w = _keras_weights(y, p, opts, y.shape[:-1], np.argmax(y, axis=-1))
    loss = _keras_loss(keras.losses.CategoricalCrossentropy, p.dtype.name,
                       from_logits=opts["from_logits"],
                       label_smoothing=opts.get("label_smoothing", 0.0), reduction=reduction)
    return loss(y, p, sample_weight=w)


def _keras_sparse_weighted(keras, y, p, opts, reduction):
    w = _keras_weights(y, p, opts, y.shape, y)
    a, k = opts.get("label_smoothing", 0.0), opts.get("ignore_index")
    if a:
        if k is not None:
            raise ValueError(
                "Keras's sparse_categorical_crossentropy has no label_smoothing and its "
                "categorical_crossentropy no ignore_class: Keras cannot smooth and ignore labels "
                "in one loss")
        return _keras_loss(
            keras.losses.CategoricalCrossentropy, p.dtype.name, from_logits=opts["from_logits"],
            label_smoothing=a, reduction=reduction,
        )(np.eye(p.shape[-1], dtype=p.dtype.name)[y], p, sample_weight=w)
    return _keras_loss(keras.losses.SparseCategoricalCrossentropy, p.dtype.name,
                       from_logits=opts["from_logits"], ignore_class=k,
                       reduction=reduction)(y, p, sample_weight=w)


def _keras_ce_weighted_call(sparse: bool):
    def text(o):
        a = o.get("label_smoothing")
        if sparse and a:
            head, target = (f"keras.losses.CategoricalCrossentropy(label_smoothing={a!r}, ",
                            "one_hot(labels)")
        elif sparse:
            k = o.get("ignore_index")
            head = "keras.losses.SparseCategoricalCrossentropy(" + (
                f"ignore_class={k!r}, " if k is not None else "")
            target = "labels"
        else:
            head = "keras.losses.CategoricalCrossentropy(" + (
                f"label_smoothing={a!r}, " if "label_smoothing" in o else "")
            target = "y_true"
        logits = "from_logits=True, " if o["from_logits"] else ""
        return f"{head}{logits}reduction=None)({target}, y_pred{_keras_weights_text(o)})"
    return text


def _with_options_scale(scale, sparse: bool = False):
    """A cross-entropy's tolerance scale with its options: smoothed targets in the targets'
    place (sparse ones as one-hot rows), times the largest weight."""
    def with_options(y, p, opts, grad):
        a = opts.get("label_smoothing", 0.0)
        if sparse and a:
            return _with_options_scale(_cce_scale)(
                one_hot(np.where(y == opts.get("ignore_index"), 0, y), p, _axis_of(p, opts)),
                p, opts, grad)
        if a:
            y = (_ce._smoothed(y, p, _axis_of(p, opts), a) if "axis" in opts
                 else y * (1 - a) + 0.5 * a)
        elif sparse and opts.get("ignore_index") is not None:
            y = np.where(y == opts["ignore_index"], 0, y)
        return scale(y, p, opts, grad) * option_weight(opts)
    return with_options


def _with_options_scale_text(text):
    def with_options(opts, grad):
        smoothed = " of the smoothed targets" if opts.get("label_smoothing") else ""
        weights = option_weight(opts) > 1
        return text(opts, grad) + smoothed + (" times max(1, the largest weight)" if weights
                                              else "")
    return with_options


def _keras_before(version, reason, applies=None):
    """``keras_unavailable`` for the calls a Keras older than ``version`` cannot run as compare
    runs them: ``reason`` (a str, or a function of no argument for a text that names the
    installed Keras) where ``applies(y_pred, opts)`` holds (every call without it).
    ``version`` is a release tuple or the name of a constant of ``_compare._frameworks``,
    which is imported when a call is checked (it imports this module)."""
    def unavailable(p, opts):
        from ._compare import _frameworks

        release = getattr(_frameworks, version) if isinstance(version, str) else version
        if (applies is not None and not applies(p, opts)) or not _frameworks.keras_before(
                release):
            return None
        return reason() if callable(reason) else reason
    return unavailable


def _keras_added_in(name: str, version: tuple):
    """``keras_unavailable`` for a loss that Keras added in ``version``: before it, compare
    leaves Keras out and says so."""
    def reason():
        from ._compare import _frameworks

        return (f"{name} is not in Keras {_frameworks.keras_version()}; it was added in Keras "
                f"{'.'.join(map(str, version))}: compare leaves Keras out.")
    return _keras_before(version, reason)


#: ``keras_unavailable`` of the sparse cross-entropy: a float64 call with ``ignore_index`` on a
#: Keras whose masked mean adds its epsilon to the divisor.
_keras_ignore_class_mean = _keras_before(
    "KERAS_IGNORE_CLASS_EXACT_MEAN",
    "not compared with Keras: before 3.13.0 Keras divides the mean over the kept labels by their "
    "number plus keras.config.epsilon() (1e-7), a relative gap of 1e-7 over that number, above "
    "float64's tolerance and in no convention lossnotes reproduces; float32 calls and Keras "
    "3.13.0 and later are compared",
    lambda p, opts: opts.get("ignore_index") is not None and p.dtype == np.float64)


def _loss_of(name):
    def hand(mod, y, p, opts):
        return getattr(mod, name)(y, p, reduction="none", **opts)
    return hand


def _grad_of(name):
    def hand_grad(mod, y, p, opts):
        return getattr(mod, f"{name}_grad")(y, p, **opts)
    return hand_grad


# regression ------------------------------------------------------------------------------------


def _regression_calls(name, keras_name, torch_name, scale_text, scale=_ones, extra_torch=(),
                      keras=None):
    def call(opts):
        return "".join(f", {k}={v!r}" for k, v in opts.items())

    def torch_fn(torch, F, p, y, opts, reduction):
        return getattr(F, torch_name)(p, y, reduction=reduction, **opts)

    return Frameworks(
        targets="values",
        lossnotes_call=lambda o: f"ln.{name}(y_true, y_pred{call(o)}, reduction='none')",
        keras_call=lambda o: f"keras.losses.{keras_name}(y_true, y_pred{call(o)})",
        keras=keras or (lambda keras, y, p, opts: getattr(keras.losses, keras_name)(y, p, **opts)),
        torch=(("torch", lambda o: f"F.{torch_name}(y_pred, y_true{call(o)}, reduction='none')",
                torch_fn), *extra_torch),
        hand=_loss_of(name), hand_grad=_grad_of(name), scale=scale,
        scale_text=lambda opts, grad: "1" if grad else scale_text,
    )


def _keras_huber(keras, y, p, opts):
    """keras.losses.huber, with ``delta`` in y_pred's dtype for a Keras that would make it
    float32 (see ``_frameworks.KERAS_HUBER_DELTA_IN_PRED_DTYPE``; the call's text stays
    ``delta=1.0`` and a note says what was passed)."""
    from ._compare import _frameworks

    delta = opts["delta"]
    if _frameworks.keras_before(_frameworks.KERAS_HUBER_DELTA_IN_PRED_DTYPE):
        delta = np.asarray(delta, dtype=y.dtype)
    return keras.losses.huber(y, p, delta=delta)


def _huber_scale(y, p, opts, grad):
    return np.ones_like(p) if grad else np.maximum(1, opts["delta"] * np.abs(y - p))


def _smooth_l1(torch, F, p, y, opts, reduction):
    d = opts["delta"]
    return d * F.smooth_l1_loss(p, y, reduction=reduction, beta=d)


_SMOOTH_L1 = ("torch smooth_l1", lambda o: (
    f"{o['delta']!r} * F.smooth_l1_loss(y_pred, y_true, beta={o['delta']!r}, reduction='none')"),
    _smooth_l1)


# margins ---------------------------------------------------------------------------------------


def through_nan(fn, m, fill):
    """fn(m), with ``fill`` where the margin is nan: a 0 label times an infinite score, which
    the framework conventions allow (the margin losses themselves refuse nan). The loss is then
    nan; the derivative 0, because the masks of clamp and maximum are false at nan and the
    label 0 multiplies it anyway."""
    nan = np.isnan(m)
    if not nan.any():
        return fn(m)
    return np.where(nan, fill, fn(np.where(nan, 0, m))).astype(m.dtype)


def _margin_hand(name):
    def hand(mod, y, p, opts):
        w = opts.get("sample_weight")
        return through_nan(lambda m: getattr(mod, name)(m, sample_weight=w), mod.margin(y, p),
                           np.nan)

    def hand_grad(mod, y, p, opts):
        w = opts.get("sample_weight")
        g = through_nan(lambda m: getattr(mod, f"{name}_grad")(m, sample_weight=w),
                        mod.margin(y, p), 0)
        return mod.margin(y, np.ones_like(y)) * g
    return hand, hand_grad


def _hinge_torch(squared):
    def fn(torch, F, p, y, opts, reduction):
        loss = torch.clamp(1 - y * p, min=0)
        if squared:
            loss = torch.square(loss)
        return loss if reduction == "none" else loss.mean()
    return fn


def _hinge_scale(squared):
    def scale(y, p, opts, grad):
        s = np.maximum(1, np.abs(p))
        if squared:
            s = s * (2 if grad else np.maximum(1, 2 * np.abs(1 - np.abs(p))))
        elif grad:
            s = np.ones_like(p)
        return _finite_or_one(s)
    return scale


def _hinge(name, squared):
    hand, hand_grad = _margin_hand(name)
    what = "torch.clamp(1 - y_true * y_pred, min=0)"
    what = f"torch.square({what})" if squared else what
    return Frameworks(
        targets="signs",
        lossnotes_call=lambda o: (
            f"ln.{name}(ln.margin(y_true, y_pred)), reduced with the mean; its gradient with "
            f"respect to the score is y * ln.{name}_grad(m)"),
        keras_call=lambda o: f"keras.losses.{name}(y_true, y_pred)",
        keras=lambda keras, y, p, opts: getattr(keras.losses, name)(y, p),
        torch=(("torch", lambda o: f"{what}, computed with torch ops", _hinge_torch(squared)),),
        hand=hand, hand_grad=hand_grad, scale=_hinge_scale(squared),
        scale_text=lambda o, grad: (
            ("2 max(1, |score|)" if grad else
             "max(1, |score|) * max(1, 2|1 - m|) (the error of 1 - m, squared)") if squared
            else ("1" if grad else "max(1, |score|) (1 - y x cancels terms of that size)")),
    )


def _logistic_hand(mod, y, p, opts):
    _margin.margin(y, p)  # every convention reads labels in {-1, +1} only here
    w = opts.get("sample_weight")
    if mod is like_keras:  # Keras's binary cross-entropy on logits, targets (y + 1)/2
        return mod.binary_cross_entropy((y + 1) / 2, p, from_logits=True, reduction="none",
                                        sample_weight=w)
    return mod.logistic(_margin.margin(y, p), sample_weight=w)


def _logistic_hand_grad(mod, y, p, opts):
    m = _margin.margin(y, p)
    w = opts.get("sample_weight")
    if mod is like_keras:
        return mod.binary_cross_entropy_grad((y + 1) / 2, p, from_logits=True, sample_weight=w)
    return y * mod.logistic_grad(m, sample_weight=w)


_LOGISTIC = Frameworks(
    targets="signs",
    lossnotes_call=lambda o: (
        "ln.logistic(ln.margin(y_true, y_pred)), reduced with the mean; its gradient with "
        "respect to the score is y * ln.logistic_grad(m)"),
    keras_call=lambda o: (
        "keras.losses.binary_crossentropy((y_true + 1) / 2, y_pred, from_logits=True)"),
    keras=lambda keras, y, p, opts: keras.losses.binary_crossentropy((y + 1) / 2, p,
                                                                     from_logits=True),
    torch=(("torch", lambda o: "F.soft_margin_loss(y_pred, y_true, reduction='none')",
            lambda torch, F, p, y, opts, reduction: F.soft_margin_loss(p, y,
                                                                         reduction=reduction)),),
    hand=_logistic_hand, hand_grad=_logistic_hand_grad,
    scale=lambda y, p, opts, grad: _finite_or_one(np.ones_like(p) if grad
                                                  else np.maximum(1, np.abs(p))),
    scale_text=lambda o, grad: "1" if grad else "max(1, |score|)",
)

# multiclass margins, similarity and metric learning --------------------------------------------


def _rival_grid(weston_watkins: bool, one_hot: bool):
    """Rows of three scores (``score_rows``), each class in turn the true one; without the rows
    where the true class and its closest rival (Weston-Watkins: any rival) sit at the same
    infinity, whose margin inf - inf has no value."""
    def grid(grad=False, limits=True, **options):
        rows = score_rows(limits=limits)[0]
        labels = np.repeat(np.arange(3), len(rows))
        rows = np.tile(rows, (3, 1))
        true = np.eye(3, dtype=bool)[labels]
        z_y = rows[true]
        with np.errstate(invalid="ignore"):
            if weston_watkins:
                keep = ~np.isnan(np.where(true, 0, z_y[:, None] - rows)).any(axis=1)
            else:
                keep = ~np.isnan(z_y - np.max(np.where(true, -inf, rows), axis=1))
        y = np.eye(3)[labels[keep]] if one_hot else labels[keep]
        return y, rows[keep]
    return grid


def _rival_size(p, opts) -> np.ndarray:
    """max(1, |margin|, max |z|) per row: the size of the terms margin - z_y + z_j cancels."""
    axis = _axis_of(p, opts)
    with np.errstate(invalid="ignore"):
        top = np.max(np.where(np.isfinite(p), np.abs(p), 0), axis=axis)
    return np.maximum(top, max(1.0, abs(opts.get("margin", 1.0))))


def _categorical_hinge_scale(y, p, opts, grad):
    if grad:
        return np.ones(p.shape)
    return _rival_size(p, opts)


def _multi_margin_scale(y, p, opts, grad):
    s = 3 * _rival_size(p, opts)
    if opts["weight"] is not None:
        s = s * max(1.0, float(np.max(opts["weight"])))
    if grad:
        s = s * 2 if opts["p"] == 2 else np.ones_like(s)
        return np.broadcast_to(np.expand_dims(s, _axis_of(p, opts)), p.shape)
    return s ** opts["p"]


def _multi_margin_scale_text(opts, grad):
    size = "3 max(1, |margin|, max |z|)" + (" max(weight)" if opts["weight"] is not None else "")
    if grad:
        return "1" if opts["p"] == 1 else f"2 * {size} per row (the terms 2 (margin - z_y + z_j))"
    power = "" if opts["p"] == 1 else "^2"
    return f"({size}){power} per row (margin - z_y + z_j cancels terms of that size)"


def _multi_margin_torch(torch, F, p, y, opts, reduction):
    """F.multi_margin_loss, which takes scores of shape (N, C) or (C,) only: other shapes go in
    as rows (classes last) and their losses come back in the labels' shape."""
    weight = opts["weight"]
    if weight is not None:
        weight = torch.as_tensor(np.asarray(weight), dtype=p.dtype)
    kw = {"p": opts["p"], "margin": opts["margin"], "weight": weight}
    if p.ndim <= 2:
        return F.multi_margin_loss(p, y, reduction=reduction, **kw)
    rows = p.movedim(1, -1).reshape(-1, p.shape[1])
    out = F.multi_margin_loss(rows, y.reshape(-1), reduction=reduction, **kw)
    return out.reshape(y.shape) if reduction == "none" else out


def _options_text(opts, names) -> str:
    return "".join(f", {k}={opts[k]!r}" for k in names)


_CATEGORICAL_HINGE = Frameworks(
    targets="values", rowwise=True,
    lossnotes_call=lambda o: (
        f"ln.categorical_hinge(y_true, y_pred, axis={o['axis']}, reduction='none')"),
    keras_call=lambda o: "keras.losses.categorical_hinge(y_true, y_pred)",
    keras=lambda keras, y, p, opts: keras.losses.categorical_hinge(y, p),
    torch=(),
    absent={"torch": (
        "torch.nn.functional has no Crammer-Singer loss; F.multi_margin_loss is the "
        "Weston-Watkins loss, which sums over every rival (see multi_margin_loss). With torch "
        "ops, for "
        "scores z of shape (N, C) and class indices c: (1 - z.gather(1, c[:, None])[:, 0] + "
        "z.masked_fill(F.one_hot(c, C).bool(), -float('inf')).amax(1)).clamp(min=0)")},
    hand=_loss_of("categorical_hinge"), hand_grad=_grad_of("categorical_hinge"),
    scale=_categorical_hinge_scale,
    scale_text=lambda o, grad: "1" if grad else (
        "max(1, max |z|) per row (1 + max z_j - z_y cancels terms of that size)"),
)

_MULTI_MARGIN = Frameworks(
    targets="classes", rowwise=True,
    lossnotes_call=lambda o: (
        f"ln.multi_margin_loss(labels, y_pred{_options_text(o, ('p', 'margin', 'weight'))}, "
        f"axis={o['axis']}, reduction='none')"),
    keras_call=None, keras=None,
    torch=(("torch", lambda o: (
        f"F.multi_margin_loss(y_pred, labels{_options_text(o, ('p', 'margin', 'weight'))}, "
        "reduction='none'), classes on dim 1"), _multi_margin_torch),),
    absent={"keras": (
        "Keras has no Weston-Watkins loss; keras.losses.categorical_hinge is the Crammer-Singer "
        "loss, which charges the closest rival only (see categorical_hinge). With keras.ops, "
        "for scores z of "
        "shape (N, C) and one-hot targets y: ops.sum((1 - y) * ops.relu(margin - "
        "ops.sum(y * z, -1, keepdims=True) + z) ** p, -1) / C")},
    hand=_loss_of("multi_margin_loss"), hand_grad=_grad_of("multi_margin_loss"),
    scale=_multi_margin_scale, scale_text=_multi_margin_scale_text,
)


def _random_categorical_hinge(rng, shape, c):
    classes = rng.integers(0, shape[1], shape[0])
    c(np.eye(shape[1])[classes], rng.normal(0, 2, shape))


def _random_multi_margin(rng, shape, c):
    classes, z = rng.integers(0, shape[1], shape[0]), rng.normal(0, 2, shape)
    c(classes, z)
    c(classes, z, {"p": 2, "margin": 0.5})
    c(classes, z, {"weight": rng.uniform(0.5, 2, shape[1]).round(2)})  # short to print


# multilabel: one binary problem per class --------------------------------------------------------

_MULTILABEL_TARGETS = ((1.0, 0.0, 0.0), (1.0, 1.0, 0.0), (0.0, 1.0, 1.0))
_SOFT_MULTILABEL = (0.25, 0.7, 1.0)


def _multilabel_grid(grad=False, limits=True, **options):
    """Rows of three logits (``score_rows``) against hard targets (and, for the loss, one soft
    row): every logit of the grid in every class, right and wrong."""
    rows = score_rows(limits=limits)[0]
    targets = _MULTILABEL_TARGETS + (() if grad else (_SOFT_MULTILABEL,))
    y = np.concatenate([np.tile(t, (len(rows), 1)) for t in targets])
    return y, np.tile(rows, (len(targets), 1))


def _largest_weight(opts) -> float:
    return 1.0 if opts.get("weight") is None else max(1.0, float(np.max(opts["weight"])))


def _multilabel_soft_margin_scale(y, p, opts, grad):
    w = _largest_weight(opts)
    if grad:
        return np.full(p.shape, w)
    return w * _rival_size(p, opts)  # max(1, max |z|): no margin among the options


def _multilabel_soft_margin_scale_text(opts, grad):
    w = "" if opts.get("weight") is None else "max(1, max(weight)) * "
    if grad:
        return w + "1" if w else "1"
    return (f"{w}max(1, max |z|) per row (Keras's max(z, 0) - z y cancels terms of size "
            "|z|)")


def _keras_multilabel_soft_margin(keras, y, p, opts):
    if opts["weight"] is None:
        return keras.losses.binary_crossentropy(y, p, from_logits=True)
    w = np.asarray(opts["weight"], dtype=y.dtype)
    return keras.ops.mean(w * keras.ops.binary_crossentropy(y, p, from_logits=True), axis=-1)


def _torch_multilabel_soft_margin(torch, F, p, y, opts, reduction):
    """F.multilabel_soft_margin_loss, whose classes are on the last dimension: compare lays
    them out on dimension 1, so they go back to the end."""
    weight = opts["weight"]
    if weight is not None:
        weight = torch.as_tensor(np.asarray(weight), dtype=p.dtype)
    if p.ndim > 1:
        p, y = p.movedim(1, -1), y.movedim(1, -1)
    return F.multilabel_soft_margin_loss(p, y, weight=weight, reduction=reduction)


_MULTILABEL_SOFT_MARGIN = Frameworks(
    targets="values", rowwise=True,
    lossnotes_call=lambda o: (
        f"ln.multilabel_soft_margin_loss(y_true, y_pred{_options_text(o, ('weight',))}, "
        f"axis={o['axis']}, reduction='none')"),
    keras_call=lambda o: (
        "keras.losses.binary_crossentropy(y_true, y_pred, from_logits=True)"
        if o["weight"] is None else
        "keras.ops.mean(weight * keras.ops.binary_crossentropy(y_true, y_pred, "
        "from_logits=True), axis=-1)"),
    keras=_keras_multilabel_soft_margin,
    torch=(("torch", lambda o: (
        f"F.multilabel_soft_margin_loss(y_pred, y_true{_options_text(o, ('weight',))}, "
        "reduction='none'), classes on the last dim"), _torch_multilabel_soft_margin),),
    hand=_loss_of("multilabel_soft_margin_loss"),
    hand_grad=_grad_of("multilabel_soft_margin_loss"),
    scale=_multilabel_soft_margin_scale, scale_text=_multilabel_soft_margin_scale_text,
)


def _random_multilabel_soft_margin(rng, shape, c):
    y, z = (rng.random(shape) < 0.5).astype(float), rng.normal(0, 3, shape)
    c(y, z)
    c(rng.random(shape), z, {"weight": rng.uniform(0.5, 2, shape[1]).round(2)})



def _multilabel_margin_grid(grad=False, limits=True, **options):
    """Rows of three scores (``score_rows``) against the hard targets of
    ``_multilabel_grid``, without the rows where a target class and a non-target class sit at
    the same infinity (their margin inf - inf has no value)."""
    y, z = _multilabel_grid(grad=True, limits=limits)
    pairs = (y[:, :, None] == 1) & (y[:, None, :] == 0)
    with np.errstate(invalid="ignore"):
        keep = ~(np.isnan(z[:, :, None] - z[:, None, :]) & pairs).any(axis=(1, 2))
    return y[keep], z[keep]


def _multilabel_margin_scale(y, p, opts, grad):
    if grad:
        return np.ones(p.shape)
    return 2 * _rival_size(p, opts) * max(1.0, p.shape[_axis_of(p, opts)] / 4)


def _torch_multilabel_margin(torch, F, p, y, opts, reduction):
    """F.multilabel_margin_loss, whose targets are class indices padded with -1: each row's
    classes with y = 1, in order, then -1. It takes inputs (C,) or (N, C) only: other shapes
    go in as rows (classes last) and their losses come back in the rows' shape."""
    shape = None
    if p.ndim > 2:
        p, y = p.movedim(1, -1), y.movedim(1, -1)
        shape = p.shape[:-1]
        p, y = p.reshape(-1, p.shape[-1]), y.reshape(-1, y.shape[-1])
    c = p.shape[-1]
    k = torch.arange(c).expand(y.shape)
    order = torch.where(y == 1, k, c + k).argsort(dim=-1)  # the target classes first
    index = torch.where(torch.gather(y, -1, order) == 1, order, -1)
    out = F.multilabel_margin_loss(p, index, reduction=reduction)
    return out.reshape(shape) if shape is not None and reduction == "none" else out


_MULTILABEL_MARGIN = Frameworks(
    targets="values", rowwise=True,
    lossnotes_call=lambda o: (
        f"ln.multilabel_margin_loss(y_true, y_pred, axis={o['axis']}, reduction='none')"),
    keras_call=None, keras=None,
    torch=(("torch", lambda o: (
        "F.multilabel_margin_loss(y_pred, index, reduction='none') with index[i] the classes "
        "k where y_true[i, k] = 1, then -1 up to length C"), _torch_multilabel_margin),),
    absent={"keras": (
        "Keras has no multilabel hinge loss; keras.losses.categorical_hinge charges one true "
        "class against its closest rival. With keras.ops, for 0/1 targets t and scores z of "
        "shape (N, C): keras.ops.sum(t[:, :, None] * (1 - t[:, None, :]) * keras.ops.relu(1 - "
        "z[:, :, None] + z[:, None, :]), axis=(1, 2)) / C")},
    hand=_loss_of("multilabel_margin_loss"), hand_grad=_grad_of("multilabel_margin_loss"),
    scale=_multilabel_margin_scale,
    scale_text=lambda o, grad: "1" if grad else (
        "2 max(1, max |z|) max(1, C/4) per row (the pairs' 1 - z_j + z_k cancel terms of "
        "that size, up to C^2/4 of them over C)"),
)


def _random_multilabel_margin(rng, shape, c):
    c((rng.random(shape) < 0.5).astype(float), rng.normal(0, 2, shape))


# similarity: the hinge embedding loss ------------------------------------------------------------


def _embedding_grid(grad=False, limits=True, margin=1.0):
    """Distances of the logit grid and the margin itself (the kink), for both labels."""
    x = _with_limits(np.concatenate([_LOGITS, [margin]]), -inf, inf, limits)
    return np.repeat([1.0, -1.0], len(x)), np.tile(x, 2)


def _embedding_scale(y, p, opts, grad):
    if grad:
        return np.ones(p.shape)
    return _finite_or_one(np.maximum(max(1.0, abs(opts["margin"])), np.abs(p)))


_HINGE_EMBEDDING = Frameworks(
    targets="signs",
    lossnotes_call=lambda o: (
        f"ln.hinge_embedding_loss(y_true, y_pred{_options_text(o, ('margin',))}, "
        "reduction='none')"),
    keras_call=None, keras=None,
    torch=(("torch", lambda o: (
        f"F.hinge_embedding_loss(y_pred, y_true{_options_text(o, ('margin',))}, "
        "reduction='none')"),
        lambda torch, F, p, y, opts, reduction: F.hinge_embedding_loss(
            p, y, margin=opts["margin"], reduction=reduction)),),
    absent={"keras": (
        "Keras has no hinge embedding loss; keras.losses.hinge is the classification hinge "
        "max(0, 1 - y x) of a score, not a loss of a distance. With keras.ops, for distances x "
        "and labels y in {-1, +1}: keras.ops.where(y == 1, x, keras.ops.relu(margin - x))")},
    hand=_loss_of("hinge_embedding_loss"), hand_grad=_grad_of("hinge_embedding_loss"),
    scale=_embedding_scale,
    scale_text=lambda o, grad: "1" if grad else (
        "max(1, |margin|, |x|) (margin - x cancels terms of that size)"),
)


def _random_hinge_embedding(rng, shape, c):
    y, x = 2 * (rng.random(shape) < 0.5) - 1.0, np.abs(rng.normal(0, 1.5, shape))
    c(y, x)
    c(y, x, {"margin": 2.0})


# three inputs: the margin ranking loss ----------------------------------------------------------


def _ranking_grid(grad=False, limits=True, margin=0.0):
    """(x1, x2, y): x2 = 0 and 3, x1 = x2 + r with r on the residuals' grid and at the kinks
    r = +-margin (r = +-inf with the limits), each pair with both labels."""
    r = np.concatenate([_RESIDUALS, [margin, -margin]])
    r = _with_limits(r, -inf, inf, limits)
    x2 = np.repeat(_REGRESSION_TARGETS, len(r))
    x1 = x2 + np.tile(r, len(_REGRESSION_TARGETS))
    return (np.tile(x1, 2), np.tile(x2, 2), np.repeat([1.0, -1.0], len(x1)))


def _ranking_scale(inputs, p, opts, grad):
    x1, x2, _ = (np.asarray(x, dtype=np.float64) for x in inputs)
    if grad:
        return np.ones((2, *x1.shape))
    return _finite_or_one(np.maximum(max(1.0, abs(opts["margin"])),
                                     np.maximum(np.abs(x1), np.abs(x2))))


def _three_inputs(name, *, keras_absent, scale, scale_text, inputs="x1, x2, y",
                  torch_options=None):
    """How compare runs a loss of three inputs (``inputs``, as the calls name them): the same
    order in lossnotes and torch, Keras absent. torch takes the options as they are, or as
    ``torch_options(F, opts)`` gives them: ``{keyword: (value, text)}``."""
    def call(module):
        return lambda o: (f"{module}.{name}({inputs}{_options_text(o, tuple(o))}, "
                          "reduction='none')")

    def torch_call(o):
        if torch_options is None:
            return call("F")(o)
        given = "".join(f", {k}={text}" for k, (_, text) in torch_options(None, o).items())
        return f"F.{name}({inputs}{given}, reduction='none')"

    def hand(mod, inputs, p, opts):
        return getattr(mod, name)(*inputs, reduction="none", **opts)

    def hand_grad(mod, inputs, p, opts):
        return np.stack(getattr(mod, f"{name}_grad")(*inputs, **opts))

    def torch_fn(torch, F, x1, x2, x3, opts, reduction):
        kwargs = opts if torch_options is None else {
            k: value for k, (value, _) in torch_options(F, opts).items()}
        return getattr(F, name)(x1, x2, x3, reduction=reduction, **kwargs)

    return Frameworks(
        targets="inputs", rowwise=True, lossnotes_call=call("ln"), keras_call=None, keras=None,
        torch=(("torch", torch_call, torch_fn),), absent={"keras": keras_absent}, hand=hand,
        hand_grad=hand_grad, scale=scale, scale_text=scale_text)


_MARGIN_RANKING = _three_inputs(
    "margin_ranking_loss",
    keras_absent=(
        "Keras has no margin ranking loss. With keras.ops, for scores x1, x2 and labels y in "
        "{-1, +1}: keras.ops.relu(margin - y * (x1 - x2))"),
    scale=_ranking_scale,
    scale_text=lambda o, grad: "1" if grad else (
        "max(1, |margin|, |x1|, |x2|) (margin - y (x1 - x2) cancels terms of that size)"),
)


# three inputs: the cosine embedding loss ---------------------------------------------------------

_E1 = np.array([1.0, 2.0, 2.0])  # |_E1| = 3
_E2 = np.array([2.0, 1.0, -2.0])  # orthogonal to _E1, |_E2| = 3
#: Angles between the two embeddings: 10^k rad for k from -1 to -1/2 in steps of 1/64, and pi
#: minus those. Nearly parallel (or opposite) vectors are left out: there 1 - cos and the
#: derivatives are ill-conditioned, an error of about 1/theta ulps coming from the rounding of
#: the unit vectors alone. So are angles whose derivative has an entry crossing 0 (the entry
#: 2 sin t - cos t of the derivative in x2 at tan t = 1/2) and cosines near 0 or the margin.
_ANGLES = np.concatenate([_powers(-1, -0.5, 64), np.pi - _powers(-1, -0.5, 64)])


def _cosine_embedding_grid(grad=False, limits=True, margin=0.0):
    """(x1, x2, y): x1 = (1, 2, 2), x2 at each angle of ``_ANGLES`` from it in the plane of
    (1, 2, 2) and (2, 1, -2), of norm 1e-3, 1 and 1e3, each pair with both labels."""
    x2 = np.concatenate([s * (np.cos(_ANGLES)[:, None] * _E1 + np.sin(_ANGLES)[:, None] * _E2)
                         / 3 for s in (1e-3, 1.0, 1e3)])
    x1 = np.tile(_E1, (len(x2), 1))
    return np.tile(x1, (2, 1)), np.tile(x2, (2, 1)), np.repeat([1.0, -1.0], len(x2))


def _cosine_embedding_scale(inputs, p, opts, grad):
    x1, x2, _ = (np.asarray(x, dtype=np.float64) for x in inputs)
    d = x1.shape[-1]
    if not grad:
        return np.full(x1.shape[:-1], float(d))
    n1, n2 = (np.sqrt(np.sum(x * x, axis=-1, keepdims=True)) for x in (x1, x2))
    return _finite_or_one(np.stack([np.broadcast_to(d / n1, x1.shape),
                                    np.broadcast_to(d / n2, x2.shape)]))


_COSINE_EMBEDDING = _three_inputs(
    "cosine_embedding_loss",
    keras_absent=(
        "Keras has no cosine embedding loss; keras.losses.cosine_similarity is minus the "
        "cosine. With keras.ops, for embeddings x1, x2 (vectors on the last axis) and labels y "
        "in {-1, +1}: c = -keras.losses.cosine_similarity(x1, x2); "
        "keras.ops.where(y > 0, 1 - c, keras.ops.relu(c - margin))"),
    scale=_cosine_embedding_scale,
    scale_text=lambda o, grad: "D / |x| for the derivative in x (D the vectors' length)" if grad
    else "D, the vectors' length (the cosine sums D products)",
)


def _random_cosine_embedding(rng, shape, c):
    x1, x2 = rng.normal(0, 1, shape), rng.normal(0, 1, shape)
    y = 2 * (rng.random(shape[:-1]) < 0.5) - 1.0
    c(x1, x2, more=(y,))
    c(x1, x2, {"margin": 0.5}, more=(y,))


def _random_margin_ranking(rng, shape, c):
    x1, x2 = rng.normal(0, 1.5, shape), rng.normal(0, 1.5, shape)
    y = 2 * (rng.random(shape) < 0.5) - 1.0
    c(x1, x2, more=(y,))
    c(x1, x2, {"margin": 0.5}, more=(y,))


# three inputs: the triplet margin loss ----------------------------------------------------------

_TA = np.array([1.0, -2.0, 0.5])  # the anchor
_TU = np.array([1.0, 2.0, 2.0]) / 3  # towards the positive
_TW = np.array([2.0, 1.0, -2.0]) / 3  # orthogonal to _TU
#: 37 degrees from _TU (cosine 0.8), chosen so that no entry of the derivatives is small beside
#: the others (an entry that is a difference of nearly equal numbers has no accurate ulps).
_TX = np.array([-0.22, 0.44, 0.87])


def _triplet_grid(grad=False, limits=True, margin=1.0, p=2.0, eps=1e-6, swap=False):
    """(anchor, positive, negative): the positive r away along _TU, for r from 1e-2 to 1e2; the
    negative r/4 away along _TW (the triplet costs about margin + 3r/4), or 4r + 2 margin away
    (it costs nothing), or 2r away along _TX, where the positive is nearer to it than the anchor
    (the swap's case) for r away from where either negative distance is the margin short
    (cancelling terms: no accurate ulps there)."""
    r = _powers(-2, 2, 32)
    near = np.concatenate([_powers(-2, -0.6, 32), _powers(1.1, 2, 32)]) * margin
    pos = np.concatenate([r, r, near])[:, None] * _TU
    neg = np.concatenate([r[:, None] / 4 * _TW, (4 * r[:, None] + 2 * margin) * _TW,
                          2 * near[:, None] * _TX])
    return np.tile(_TA, (len(pos), 1)), _TA + pos, _TA + neg


def _triplet_scale(inputs, p, opts, grad):
    a, pos, neg = (np.asarray(x, dtype=np.float64) for x in inputs)
    if grad:
        return np.ones((3, *a.shape))
    # every p-norm (p >= 1) is at most the 1-norm
    d = [np.sum(np.abs(x - y), axis=-1) for x, y in ((a, pos), (a, neg), (pos, neg))]
    return _finite_or_one(np.maximum(max(1.0, opts["margin"]), np.maximum.reduce(d)))


_TRIPLET = _three_inputs(
    "triplet_margin_loss", inputs="anchor, positive, negative",
    keras_absent=(
        "Keras has no triplet loss. With keras.ops, for embeddings a, p, n (vectors on the last "
        "axis): keras.ops.relu(keras.ops.sqrt(keras.ops.sum((a - p + 1e-6) ** 2, axis=-1)) - "
        "keras.ops.sqrt(keras.ops.sum((a - n + 1e-6) ** 2, axis=-1)) + 1.0)"),
    scale=_triplet_scale,
    scale_text=lambda o, grad: "1 (the derivative of a norm has entries of at most 1)" if grad
    else "max(1, margin, the 1-norms of the differences) (d(a, p) - d(a, n) cancels them)",
)


def _torch_distance(F, o):
    """torch's keywords for a distance of triplet_margin_with_distance_loss, by name."""
    cosine = o["distance"] == "cosine"
    fn = (lambda x, y: 1 - F.cosine_similarity(x, y)) if cosine else None
    text = "lambda x, y: 1 - F.cosine_similarity(x, y)" if cosine else "None"
    return {"distance_function": (fn, text), "margin": (o["margin"], repr(o["margin"])),
            "swap": (o["swap"], repr(o["swap"]))}


#: The anchor of the cosine distance's grid and a direction orthogonal to it: the positive turns
#: from the anchor towards it, the negative away from it, so that the derivatives (all in their
#: plane) have no entry crossing 0 (see _ANGLES).
_CU, _CV = np.array([1.0, 2.0, 2.0]) / 3, np.array([2.0, 1.0, -2.0]) / 3


def _distance_grid(grad=False, limits=True, distance="euclidean", margin=1.0, swap=False):
    """The Euclidean distance: :func:`_triplet_grid`. The cosine distance: the anchor (1, 2, 2),
    the positive at each angle of ``_ANGLES`` from it towards (2, 1, -2), the negative at those
    angles in two other orders away from it, of norms 1e-3, 1 and 1e3: nearly parallel or
    nearly opposite vectors, so that each triplet costs about the margin, the margin + 2, or
    nothing (never near the kink)."""
    if distance == "euclidean":
        return _triplet_grid(grad, limits, margin=margin, swap=swap)
    t = np.tile(_ANGLES, 2)[:, None]
    s = np.concatenate([_ANGLES[::-1], np.roll(_ANGLES, len(_ANGLES) // 2)])[:, None]
    pos = np.concatenate([k * (np.cos(t) * _CU + np.sin(t) * _CV) for k in (1e-3, 1.0, 1e3)])
    neg = np.concatenate([k * (np.cos(s) * _CU - np.sin(s) * _CV) for k in (1.0, 1e3, 1e-3)])
    return np.tile(3 * _CU, (len(pos), 1)), pos, neg


def _distance_scale(inputs, p, opts, grad):
    if opts["distance"] == "euclidean":
        return _triplet_scale(inputs, p, {**opts, "p": 2.0}, grad)
    a, pos, neg = (np.asarray(x, dtype=np.float64) for x in inputs)
    d = a.shape[-1]
    if not grad:  # each cosine sums D products; the distances are at most 2
        return np.full(a.shape[:-1], float(d) + opts["margin"])
    norms = [np.sqrt(np.sum(x * x, axis=-1, keepdims=True)) for x in (a, pos, neg)]
    return _finite_or_one(np.stack([np.broadcast_to(d / n, a.shape) for n in norms]))


_TRIPLET_DISTANCE = _three_inputs(
    "triplet_margin_with_distance_loss", inputs="anchor, positive, negative",
    torch_options=_torch_distance,
    keras_absent=(
        "Keras has no triplet loss. With keras.ops, for embeddings a, p, n (vectors on the last "
        "axis) and a distance d(x, y) written with keras.ops (for the cosine distance, "
        "1 + keras.losses.cosine_similarity(x, y)): keras.ops.relu(d(a, p) - d(a, n) + 1.0)"),
    scale=_distance_scale,
    scale_text=lambda o, grad: (
        ("1 (the derivative of a norm has entries of at most 1)" if grad else
         "max(1, margin, the 1-norms of the differences) (d(a, p) - d(a, n) cancels them)")
        if o["distance"] == "euclidean" else
        ("D / |x| for the derivative in x (D the vectors' length)" if grad else
         "D + margin (each cosine sums D products)")),
)


def _random_triplet_distance(rng, shape, c):
    a, pos, neg = (rng.normal(0, 1, shape) for _ in range(3))
    c(a, pos, more=(neg,))
    c(a, pos, {"distance": "cosine", "margin": 0.5}, more=(neg,))
    c(a, pos, {"distance": "cosine", "swap": True}, more=(neg,))


def _random_triplet(rng, shape, c):
    a, pos, neg = (rng.normal(0, 1, shape) for _ in range(3))
    c(a, pos, more=(neg,))
    c(a, pos, {"p": 1.0}, more=(neg,))
    c(a, pos, {"swap": True, "margin": 2.0}, more=(neg,))


#: Seeded batches of the losses whose inputs the generic branches of random_cases do not draw.
# the negated cosine similarity -------------------------------------------------------------


def _cosine_torch(torch, F, p, y, opts, reduction):
    """torch's cosine is a similarity: its negation, per row along dim 1 (0 for one row)."""
    loss = -F.cosine_similarity(p, y, dim=1 if p.dim() > 1 else 0)
    return loss if reduction == "none" else loss.mean()


def _cosine_scale(y, p, opts, grad):
    """The sum of |y_k p_k| over the norms (what the dot product's roundings scale with); for
    the derivative 1/|y_pred| (the size of each component's terms)."""
    axis = _axis_of(p, opts)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        ny = np.sqrt(np.sum(y * y, axis=axis, keepdims=True))
        n_p = np.sqrt(np.sum(p * p, axis=axis, keepdims=True))
        if grad:
            return np.broadcast_to(_finite_or_one(1 / n_p), p.shape)
        s = np.sum(np.abs(y * p), axis=axis, keepdims=True) / (ny * n_p)
    return np.maximum(1, _finite_or_one(np.squeeze(s, axis=axis)))


_COSINE = Frameworks(
    targets="values", rowwise=True,
    lossnotes_call=lambda o: (f"ln.negative_cosine_similarity(y_true, y_pred, axis={o['axis']}, "
                              "reduction='none')"),
    keras_call=lambda o: "keras.losses.cosine_similarity(y_true, y_pred)",
    keras=lambda keras, y, p, opts: keras.losses.cosine_similarity(y, p),
    torch=(("torch", lambda o: ("-F.cosine_similarity(y_pred, y_true, dim=1): torch's cosine is "
                                "a similarity, negated here (no such torch loss)"),
            _cosine_torch),),
    hand=_loss_of("negative_cosine_similarity"),
    hand_grad=_grad_of("negative_cosine_similarity"),
    scale=_cosine_scale,
    scale_text=lambda o, grad: ("max(1, 1/|y_pred|) per row" if grad else
                                "max(1, sum |y_k p_k| / (|y| |p|)) per row"),
    # a Keras whose normalisation floors the squared length, not the length
    keras_unavailable=_keras_before(
        "KERAS_COSINE_LENGTH_FLOOR",
        "not compared with Keras: Keras 3.0.0 normalises each row by sqrt(max(sum(x^2), 1e-7)), "
        "a floor of 3.2e-4 on its length, where Keras 3.1.0 and later (and "
        "lossnotes.like_keras) floor the length at 1e-7; rows longer than 3.2e-4 agree, shorter "
        "ones do not, so compare leaves this Keras out"),
)


def _random_cosine(rng, shape, c):
    c(rng.normal(0, 1, shape), rng.normal(0, 1, shape))


def _cosine_grid(grad=False, limits=True, axis=-1):
    """Rows of three where the products y_k p_k share a sign (no cancellation): y = +-(1, 2,
    3) against (z, 1, 1/2), z = 0 and 10^k (k from -8 to 4 in steps of 1/16), and against
    (1, 2, 3 (1 + s 2^-j)), nearly parallel. For the derivative, rows at least 45 degrees
    apart, where no component is a small difference: y = (1, 0, 0) against (z, 1, 0) and
    (z, 1, -1), z = 0 and +-10^k up to 1."""
    if grad:
        z = np.concatenate([[0.0], _symmetric(_powers(-8, 0, 16))])
        one, zero = np.ones_like(z), np.zeros_like(z)
        p = np.concatenate([np.stack([z, one, zero], 1), np.stack([z, one, -one], 1)])
        return np.tile([1.0, 0.0, 0.0], (len(p), 1)), p
    z = np.concatenate([[0.0], _powers(-8, 4, 16)])
    rows = np.stack([z, np.ones_like(z), np.full_like(z, 0.5)], 1)
    near = np.array([[1.0, 2.0, 3.0 * (1 + s * 2.0**-j)] for j in _HUBER_STEPS
                     for s in (1, -1)])
    p = np.concatenate([rows, near])
    y = np.tile([1.0, 2.0, 3.0], (len(p), 1))
    return np.concatenate([y, -y]), np.concatenate([p, p])


_RANDOM = {
    "categorical_hinge": _random_categorical_hinge,
    "multi_margin_loss": _random_multi_margin,
    "multilabel_soft_margin_loss": _random_multilabel_soft_margin,
    "hinge_embedding_loss": _random_hinge_embedding,
    "multilabel_margin_loss": _random_multilabel_margin,
    "negative_cosine_similarity": _random_cosine,
    "margin_ranking_loss": _random_margin_ranking,
    "cosine_embedding_loss": _random_cosine_embedding,
    "triplet_margin_loss": _random_triplet,
    "triplet_margin_with_distance_loss": _random_triplet_distance,
}


# focal losses ---------------------------------------------------------------------------------


def _focal_grid(grad=False, limits=True, from_logits=False, **options):
    """The binary cross-entropy's grid: the focal options change the formula, not its inputs."""
    return _binary_grid(grad, limits, from_logits)


def _focal_scale(y, p, opts, grad):
    s = _bce_scale(y, p, opts, grad)
    if grad:  # gamma m^(gamma - 1) B: the cross-entropy itself enters the derivative
        with np.errstate(divide="ignore", invalid="ignore"):
            ce = np.maximum(1, np.abs(p)) if opts["from_logits"] else (
                np.abs(np.log(p)) + np.abs(np.log1p(-p)))
        s = s + opts["gamma"] * _finite_or_one(ce)
    return _finite_or_one(s)


def _focal_scale_text(opts, grad):
    if grad:
        size = "max(1, |z|)" if opts["from_logits"] else "|log p| + |log(1 - p)|"
        return f"{_bce_scale_text(opts, True)} + gamma ({size}, the cross-entropy's size)"
    return _bce_scale_text(opts, False)


def _focal_options_text(o, torch=False):
    parts = [f"gamma={o['gamma']!r}"]
    if torch:
        parts.insert(0, f"alpha={o['alpha']!r}" if o["apply_class_balancing"] else "alpha=-1")
    elif o["apply_class_balancing"]:
        parts = [f"apply_class_balancing=True, alpha={o['alpha']!r}", *parts]
    if o["from_logits"] and not torch:
        parts.append("from_logits=True")
    if o["label_smoothing"]:
        parts.append(f"label_smoothing={o['label_smoothing']!r}")
    return ", ".join(parts)


def _focal_torch(torch, F, p, y, opts, reduction):
    """torchvision.ops.sigmoid_focal_loss, line by line in plain torch (and the same lines on
    probabilities with F.binary_cross_entropy); Keras's label smoothing first."""
    s = opts["label_smoothing"]
    if s:
        y = y * (1 - s) + 0.5 * s
    if opts["from_logits"]:
        prob = torch.sigmoid(p)
        ce = F.binary_cross_entropy_with_logits(p, y, reduction="none")
    else:
        prob = p
        ce = F.binary_cross_entropy(p, y, reduction="none")
    p_t = prob * y + (1 - prob) * (1 - y)
    loss = ce * ((1 - p_t) ** opts["gamma"])
    if opts["apply_class_balancing"]:  # torchvision: alpha >= 0
        a = opts["alpha"]
        loss = (a * y + (1 - a) * (1 - y)) * loss
    return loss if reduction == "none" else loss.mean()


def _focal_torch_call(o):
    logits = o["from_logits"]
    ce = ("F.binary_cross_entropy_with_logits(y_pred, y_true, reduction='none')" if logits
          else "F.binary_cross_entropy(y_pred, y_true, reduction='none')")
    p = "torch.sigmoid(y_pred)" if logits else "y_pred"
    a = o["alpha"]
    weight = (f" * ({a!r} * y_true + {1 - a!r} * (1 - y_true))" if o["apply_class_balancing"]
              else "")
    smooth = (f", y_true smoothed to y_true * {1 - o['label_smoothing']!r} + "
              f"{0.5 * o['label_smoothing']!r} first" if o["label_smoothing"] else "")
    return (f"{ce} * (1 - p_t) ** {o['gamma']!r}{weight}, p_t = p * y_true + (1 - p) * "
            f"(1 - y_true), p = {p}{smooth}: torchvision.ops.sigmoid_focal_loss(y_pred, y_true, "
            f"{_focal_options_text(o, torch=True)}) in plain torch"
            + ("" if logits else " on probabilities"))


_BINARY_FOCAL = Frameworks(
    targets="values",
    lossnotes_call=lambda o: (f"ln.binary_focal_cross_entropy(y_true, y_pred, "
                              f"{_focal_options_text(o)}, reduction='none')"),
    keras_call=lambda o: (f"keras.losses.binary_focal_crossentropy(y_true, y_pred, "
                          f"{_focal_options_text(o)})"),
    keras=lambda keras, y, p, opts: keras.losses.binary_focal_crossentropy(y, p, **opts),
    torch=(("torch", _focal_torch_call, _focal_torch),),
    hand=_loss_of("binary_focal_cross_entropy"), hand_grad=_grad_of("binary_focal_cross_entropy"),
    scale=_focal_scale, scale_text=_focal_scale_text,
)


def _cfocal_grid(grad=False, limits=True, from_logits=False, axis=-1, **options):
    """The categorical cross-entropy's grid: the focal options change the formula only."""
    return _categorical_grid(grad, limits, from_logits, axis)


def _cfocal_scale(y, p, opts, grad):
    s = _cce_scale(y, p, opts, grad)
    if grad:  # gamma (1 - p)^(gamma - 1) log p: the log enters the derivative
        with np.errstate(divide="ignore", invalid="ignore"):
            ce = np.maximum(1, np.abs(p)) if opts["from_logits"] else np.abs(np.log(p))
        s = s + opts["gamma"] * _finite_or_one(ce)
    return _finite_or_one(s)


def _cfocal_scale_text(opts, grad):
    text = _row_scale_text("sum(y)", "y/p + sum(y)/sum(p)")(opts, grad)
    return f"{text} + gamma |log p|" if grad and not opts["from_logits"] else text


def _cfocal_options_text(o):
    parts = [f"alpha={o['alpha']!r}", f"gamma={o['gamma']!r}"]
    if o["from_logits"]:
        parts.append("from_logits=True")
    if o["label_smoothing"]:
        parts.append(f"label_smoothing={o['label_smoothing']!r}")
    return ", ".join(parts)


def _cfocal_torch(torch, F, p, y, opts, reduction):
    """-(alpha (1 - p)^gamma y log p).sum(classes), as a reader writes it in torch."""
    dim = 1 if p.ndim > 1 else 0
    s = opts["label_smoothing"]
    if s:
        y = y * (1 - s) + s / y.shape[dim]
    log_p = F.log_softmax(p, dim=dim) if opts["from_logits"] else torch.log(p)
    prob = log_p.exp() if opts["from_logits"] else p
    loss = -(opts["alpha"] * (1 - prob) ** opts["gamma"] * y * log_p).sum(dim=dim)
    return loss if reduction == "none" else loss.mean()


def _cfocal_torch_call(o):
    log_p = "F.log_softmax(y_pred, dim=1)" if o["from_logits"] else "torch.log(y_pred)"
    p = "log_p.exp()" if o["from_logits"] else "y_pred"
    smooth = (f", y_true smoothed to y_true * {1 - o['label_smoothing']!r} + "
              f"{o['label_smoothing']!r} / C first" if o["label_smoothing"] else "")
    return (f"-({o['alpha']!r} * (1 - p) ** {o['gamma']!r} * y_true * log_p).sum(dim=1), "
            f"log_p = {log_p}, p = {p}{smooth}: plain torch (neither torch.nn.functional nor "
            "torchvision has a categorical focal loss)")


_CATEGORICAL_FOCAL = Frameworks(
    targets="values", rowwise=True,
    lossnotes_call=lambda o: (f"ln.categorical_focal_cross_entropy(y_true, y_pred, "
                              f"{_cfocal_options_text(o)}, axis={o['axis']}, reduction='none')"),
    keras_call=lambda o: (f"keras.losses.categorical_focal_crossentropy(y_true, y_pred, "
                          f"{_cfocal_options_text(o)})"),
    keras=lambda keras, y, p, opts: keras.losses.categorical_focal_crossentropy(
        y, p, **{k: v for k, v in opts.items() if k != "axis"}),
    torch=(("torch", _cfocal_torch_call, _cfocal_torch),),
    hand=_loss_of("categorical_focal_cross_entropy"),
    hand_grad=_grad_of("categorical_focal_cross_entropy"),
    scale=_cfocal_scale, scale_text=_cfocal_scale_text,
)


# segmentation overlaps ------------------------------------------------------------------------

_MASKS = ((1.0, 1.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.2, 0.7, 1.0, 0.0))


def overlap_grid(grad=False, limits=True, axis=-1, **options):
    """Rows of four: each probability p of the grid as the row (p, 1 - p, p / 2, 1/2), against
    two masks and a soft target (every target row holds some mass: no 0 / 0)."""
    p = _with_limits(_PROBABILITIES, 0.0, 1.0, limits)
    rows = np.stack([p, 1 - p, p / 2, np.full_like(p, 0.5)], 1)
    # Derivatives on the masks only: with a soft target the two terms of the derivative have
    # opposite signs and cancel (see the accuracy module's docstring).
    masks = _MASKS[:2] if grad else _MASKS
    y = np.concatenate([np.tile(m, (len(rows), 1)) for m in masks])
    return y, np.tile(rows, (len(masks), 1))


def _overlap_keras(name):
    """keras.losses.dice / tversky row by row: their axis=None reduces every axis, and
    ``axis=`` arrived later than the losses (Keras 3.4.0 for dice, 3.8.0 for tversky)."""
    def call(keras, y, p, opts):
        import tensorflow as tf

        fn = getattr(keras.losses, name)
        weights = {k: v for k, v in opts.items() if k != "axis"}
        n = y.shape[-1]
        ys, ps = y.reshape(-1, n), tf.reshape(p, (-1, n))
        rows = tf.stack([fn(ys[i], ps[i], **weights) for i in range(ys.shape[0])])
        return tf.reshape(rows, y.shape[:-1])
    return call


def _overlap_torch(torch, F, p, y, opts, reduction):
    dim = 1 if p.ndim > 1 else 0
    a, b = opts.get("alpha", 0.5), opts.get("beta", 0.5)
    inter = (y * p).sum(dim)
    if "alpha" in opts:
        loss = 1 - inter / (inter + a * ((1 - p) * y).sum(dim) + b * (p * (1 - y)).sum(dim))
    else:
        loss = 1 - 2 * inter / (y.sum(dim) + p.sum(dim))
    return loss if reduction == "none" else loss.mean()


def _overlap_frameworks(name, since):
    def weights(o):
        return "".join(f", {k}={o[k]!r}" for k in ("alpha", "beta") if k in o)

    def torch_call(o):
        if name == "dice":
            text = "1 - 2 * (y_true * y_pred).sum(1) / (y_true.sum(1) + y_pred.sum(1))"
        else:
            text = (f"1 - I / (I + {o['alpha']!r} * ((1 - y_pred) * y_true).sum(1) + "
                    f"{o['beta']!r} * (y_pred * (1 - y_true)).sum(1)), I = (y_true * "
                    "y_pred).sum(1)")
        return f"{text}: plain torch, rows on dim 1 (torch has no {name} loss)"

    return Frameworks(
        targets="values", rowwise=True, keras_unavailable=_keras_added_in(name, since),
        lossnotes_call=lambda o: (f"ln.{name}(y_true, y_pred{weights(o)}, axis={o['axis']}, "
                                  "reduction='none')"),
        keras_call=lambda o: (f"keras.losses.{name}(y_true[i], y_pred[i]{weights(o)}) for each "
                              "row i (its default axis=None reduces every axis)"),
        keras=_overlap_keras(name), torch=(("torch", torch_call, _overlap_torch),),
        hand=_loss_of(name), hand_grad=_grad_of(name),
        scale=lambda y, p, opts, grad: np.ones(p.shape) if grad else np.ones(
            np.delete(p.shape, _axis_of(p, opts))),
        scale_text=lambda o, grad: "1 (ratios of sums of terms in [0, 1])",
    )


# metric learning: the circle loss ------------------------------------------------------------


def circle_grid(grad=False, limits=True, **options):
    """A stack of 400 batches of four unit vectors in the plane (cast from float64), labels
    0, 0, 1, 1.

    For the loss: class 0 at angles +-a/2 and class 1 at b +- a/2, for a and b each 0 and
    10^k radians, k from -8 to log10(pi) in 19 steps: positive pairs from similarity 1 to -1,
    negative pairs everywhere between. For the gradient, where the grid must avoid
    cancellation (the derivative sums the slopes of all pairs, of both signs, and the slope
    -2 gamma (1 - s) of a pair at similarity s near 1 carries the rounding of s relative to
    1 - s): class 0 at pi/4 +- a/2 and class 1 at 5 pi/4 +- b/2, for a and b from 0.1 to 1
    radian in 20 steps, so that every negative pair is beyond the margin (similarity below
    -0.54, slope 0) and every positive pair's slope has the same sign and size at least
    2 gamma (1 - cos 0.1)."""
    if grad:
        spread = np.linspace(0.1, 1.0, 20)
        a, b = (g.ravel() for g in np.meshgrid(spread, spread))
        theta = np.stack([np.pi / 4 - a / 2, np.pi / 4 + a / 2, 5 * np.pi / 4 - b / 2,
                          5 * np.pi / 4 + b / 2], 1)
    else:
        angles = np.concatenate([[0.0], 10.0 ** np.linspace(-8, np.log10(np.pi), 19)])
        a, b = (g.ravel() for g in np.meshgrid(angles, angles))
        theta = np.stack([-a / 2, a / 2, b - a / 2, b + a / 2], 1)
    labels = np.tile([0, 0, 1, 1], (len(theta), 1))
    return labels, np.stack([np.cos(theta), np.sin(theta)], -1)


def _circle_scale(y, p, opts, grad):
    """gamma (1 + margin)^2, the size of the largest terms of the log-sum-exps; per element of
    the gradient, times 4 (2 gamma (1 + |s|) (1 + margin) per pair, on unit embeddings)."""
    size = max(1.0, opts["gamma"] * (1 + opts["margin"]) ** 2)
    return np.full(p.shape if grad else p.shape[:-1], 4 * size if grad else size)


def _circle_options_text(o) -> str:
    diagonal = "" if o["remove_diagonal"] else ", remove_diagonal=False"
    return f"gamma={o['gamma']!r}, margin={o['margin']!r}{diagonal}"


_CIRCLE = Frameworks(
    targets="classes", rowwise=True,  # not in Keras 3.6.0 (its wheel); added in 3.7.0
    keras_unavailable=_keras_added_in("circle", (3, 7, 0)),
    lossnotes_call=lambda o: (f"ln.circle(labels, embeddings, {_circle_options_text(o)}, "
                              "reduction='none')"),
    keras_call=lambda o: (f"keras.losses.circle(labels, embeddings, "
                          f"{_circle_options_text(o)})"),
    keras=lambda keras, y, p, opts: keras.losses.circle(
        y, p, gamma=opts["gamma"], margin=opts["margin"],
        remove_diagonal=opts["remove_diagonal"]),
    torch=(),
    absent={"torch": (
        "torch.nn.functional has no circle loss, and neither has torchvision. In plain "
        "torch, for unit embeddings x, labels c and m = margin: s = x @ x.T; pos = "
        "(c[:, None] == c) & ~torch.eye(len(c), dtype=bool); neg = c[:, None] != c; "
        "F.softplus(torch.logsumexp((gamma * (1 + m - s).clamp(min=0) * (1 - m - s))"
        ".masked_fill(~pos, -inf), 1) + torch.logsumexp((gamma * (s + m).clamp(min=0) * "
        "(s - m)).masked_fill(~neg, -inf), 1))")},
    hand=_loss_of("circle"), hand_grad=_grad_of("circle"),
    scale=_circle_scale,
    scale_text=lambda o, grad: (
        "4 gamma (1 + margin)^2 (the slopes 2 gamma (1 - s) of the terms, summed over pairs)"
        if grad else "gamma (1 + margin)^2 (the largest terms of the log-sum-exps)"),
)


def _random_circle(rng, shape, c):
    """Unit embeddings of shape (4, 6), in classes 0, 0, 1, 1 (every sample has a positive
    and a negative pair), with the default gamma and with gamma=8, margin=0.25."""
    x = rng.normal(0, 1, shape)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    labels = np.array([0, 0, 1, 1])
    c(labels, x)
    c(labels, x, {"gamma": 8.0, "margin": 0.25})


_RANDOM["circle"] = _random_circle




# sequences: connectionist temporal classification ----------------------------------------------

#: The grid's shape: sequences of 5 frames over 4 classes, up to 4 labels (padded with the blank).
_CTC_FRAMES, _CTC_CLASSES, _CTC_SLOTS = 5, 4, 4


def ctc_grid(grad=False, limits=True, blank=0, input_lengths=None, label_lengths=None):
    """(labels, logits) of sequences of 5 frames over 4 classes, labels padded with the blank
    to 4 slots.

    For the loss: every label sequence of 0 to 3 of the 3 classes other than the blank (40,
    repeated labels included), each with 8 seeded logit batches, normal with standard
    deviations from 0.1 to 30 (the larger, the more the loss is a sum of large cancelling
    log-probabilities). Left out: the sequences whose loss is below 0.5, where one path is
    nearly certain and the loss, -log p with p near 1, is a difference of log-space sums
    carrying absolute errors of about T eps max |u|: no accurate ulps there (the loss 1e-15
    of a certain path is 1e14 ulps off in float64).

    For the gradient, where y_t(k) minus the posterior of class k cancels wherever the two are
    close (no accurate ulps there): every label sequence of 0 to 3 of two classes, the blank
    and those two a distance d below 0 and the fourth class (on no path) d above it, d = 2,
    3, 4 and 6, plus normal noise of standard deviation 0.1 and 0.3. Every path is then
    improbable, a posterior is far above its softmax, and no entry cancels: the errors left
    are those of the posteriors, from log-space sums of terms as large as the logits.

    With the limits, both grids also hold labels a, a, a, a, which 5 frames cannot hold (a
    path needs 7: a blank between equal labels): loss +inf, gradient 0."""
    others = [k for k in range(_CTC_CLASSES) if k != blank]
    classes = others[:2] if grad else others
    rows = [seq for n in range(_CTC_SLOTS) for seq in itertools.product(classes, repeat=n)]
    if limits:
        rows += [(k,) * _CTC_SLOTS for k in classes]
    labels = np.array([list(seq) + [blank] * (_CTC_SLOTS - len(seq)) for seq in rows])
    rng = np.random.default_rng([SEED, blank])
    shape = (len(rows), _CTC_FRAMES, _CTC_CLASSES)
    if grad:
        batches = []
        for d in (2.0, 3.0, 4.0, 6.0):
            for sd in (0.1, 0.3):
                u = rng.normal(-d, sd, shape)
                u[..., others[2]] += 2 * d
                batches.append(u)
        return np.tile(labels, (len(batches), 1)), np.concatenate(batches)
    scales = 10.0 ** np.linspace(-1, 1.5, 8)
    logits = np.concatenate([rng.normal(0, s, shape) for s in scales])
    labels = np.tile(labels, (len(scales), 1))
    keep = ~(_ctc.ctc(labels, logits, blank=blank, reduction="none") < 0.5)
    return labels[keep], logits[keep]


def _ctc_lengths(y, p, opts):
    """Each sequence's frames and labels, as compare passes them to torch: those given, else
    every frame and the labels before the first blank (lossnotes' default, Keras's padding)."""
    x_len = np.full(p.shape[0], p.shape[1]) if opts["input_lengths"] is None \
        else np.asarray(opts["input_lengths"])
    if opts["label_lengths"] is None:
        y_len = (np.cumsum(np.asarray(y) == opts["blank"], axis=1) == 0).sum(axis=1)
    else:
        y_len = np.asarray(opts["label_lengths"])
    return x_len, y_len


def _ctc_scale(y, p, opts, grad):
    """T max(1, max |u|) per sequence: the log-softmax of a frame cancels terms as large as
    its logits, and a loss sums T of them (the gradient's posteriors come from the same log
    sums)."""
    x_len, _ = _ctc_lengths(y, p, opts)
    size = x_len * np.maximum(1.0, np.max(np.abs(np.asarray(p, dtype=np.float64)), axis=(1, 2)))
    return np.broadcast_to(size[:, None, None], p.shape) if grad else size


def _ctc_torch(torch, F, p, y, opts, reduction):
    """F.ctc_loss on the log-softmax, time first; the mean over sequences is the sum over N
    (torch's reduction='mean' divides each loss by its label length first)."""
    x_len, y_len = _ctc_lengths(y, p, opts)
    log_probs = F.log_softmax(p, dim=-1).transpose(0, 1)
    loss = F.ctc_loss(log_probs, y, torch.from_numpy(x_len), torch.from_numpy(y_len),
                      blank=opts["blank"], reduction="none" if reduction == "none" else "sum")
    return loss if reduction == "none" else loss / p.shape[0]


def _ctc_options_text(o) -> str:
    lengths = ", ".join(f"{k}={'...' if o[k] is not None else None}"
                        for k in ("input_lengths", "label_lengths"))
    return f"{lengths}, blank={o['blank']}"


def _ctc_keras_version_text() -> str:
    from ._compare import _frameworks

    return (f"not compared with Keras {_frameworks.keras_version()}: keras.losses.ctc arrived "
            "in Keras 3.1.0, and before 3.4.0 it reads every row of labels as S labels "
            "(label_length = y_true.shape[1], the padding included), where 3.4.0 and later "
            "count the labels other than 0; compare leaves Keras out.")


#: Before Keras 3.4.0 (read in the wheels of 3.0.0 to 3.10.0): no ctc, or one that reads the
#: padding as labels.
_ctc_keras_reads_padding = _keras_before((3, 4, 0), _ctc_keras_version_text)


def _ctc_keras_unavailable(p, opts):
    """Why compare leaves keras.losses.ctc out of a call, or None: before 3.4.0 (above); a
    call with lengths or another blank, which it does not take; float64, which it computes in
    float32."""
    version = _ctc_keras_reads_padding(p, opts)
    if version is not None:
        return version
    given = [k for k in ("input_lengths", "label_lengths") if opts.get(k) is not None]
    if given or opts.get("blank", 0) != 0:
        return ("not compared with Keras: keras.losses.ctc(y_true, y_pred) takes neither "
                "lengths nor a blank: every sequence has all T frames, its labels are those "
                "other than 0, and 0 is the blank (mask_index=0); compare leaves Keras out of "
                f"a call with {', '.join(given) or 'blank=' + str(opts['blank'])}.")
    if np.asarray(p).dtype == np.float64:
        return ("not compared with Keras: keras.losses.ctc computes float64 logits in float32 "
                "(tf.nn.ctc_loss refuses float64; Keras casts to float32 and the loss back), "
                "so its float64 result carries float32 rounding, about 1e-7 relative, beyond "
                "float64's tolerance and in no convention lossnotes reproduces; float32 calls "
                "are compared.")
    return None


_CTC = Frameworks(
    targets="sequences", rowwise=True, keras_unavailable=_ctc_keras_unavailable,
    lossnotes_call=lambda o: (f"ln.ctc(labels, logits, {_ctc_options_text(o)}, "
                              "reduction='none')"),
    keras_call=lambda o: ("keras.losses.ctc(labels, logits): logits (N, T, C), labels padded "
                          "with 0, the blank"),
    keras=lambda keras, y, p, opts: keras.losses.ctc(y, p),
    torch=(("torch", lambda o: (
        "F.ctc_loss(F.log_softmax(logits, -1).transpose(0, 1), labels, input_lengths, "
        f"label_lengths, blank={o['blank']}, reduction='none'); the mean over sequences is "
        "reduction='sum' / N"), _ctc_torch),),
    hand=_loss_of("ctc"), hand_grad=_grad_of("ctc"), scale=_ctc_scale,
    scale_text=lambda o, grad: (
        "T max(1, max |logit|) per sequence (T log-softmaxes, each cancelling terms as large "
        "as its logits)"),
)


def _random_ctc(rng, shape, c):
    """4 sequences of 6 frames over 5 classes, labels of 0 to 4 classes padded with the
    blank (every sequence possible); then blank 4 (the last class) with ragged lengths."""
    n, t = shape
    y_len = np.array([3, 1, 0, 2])
    logits = rng.normal(0, 2, (n, t, 5))
    labels = np.where(np.arange(4) < y_len[:, None], rng.integers(1, 5, (n, 4)), 0)
    c(labels, logits)
    labels = np.where(np.arange(4) < y_len[:, None], rng.integers(0, 4, (n, 4)), 4)
    c(labels, logits, {"blank": 4, "input_lengths": np.array([6, 2, 3, 5]),
                       "label_lengths": y_len})


_RANDOM["ctc"] = _random_ctc


# robust classification ------------------------------------------------------------------------


def _gce_grid(grad=False, limits=True, axis=-1, **options):
    """The sparse cross-entropy's grid of probability rows: ``q`` changes the formula only."""
    return _sparse_grid(grad, limits, False, axis)


def _gce_torch(torch, F, p, y, opts, reduction):
    """(1 - p_c ** q) / q with p_c gathered along the class dimension, in plain torch."""
    dim = 1 if p.ndim > 1 else 0
    pc = p.gather(dim, y.unsqueeze(dim)).squeeze(dim)
    loss = (1 - pc ** opts["q"]) / opts["q"]
    return loss if reduction == "none" else loss.mean()


def _gce_scale(y, p, opts, grad):
    if not grad:
        return np.full(np.delete(p.shape, _axis_of(p, opts)), 1 / opts["q"])
    with np.errstate(divide="ignore"):
        return _finite_or_one(np.maximum(1, p ** (opts["q"] - 1)))


_GCE = Frameworks(
    targets="classes", rowwise=True,  # not in Keras 3.9.0 (its wheel)
    keras_unavailable=_keras_added_in("categorical_generalized_cross_entropy", (3, 10, 0)),
    lossnotes_call=lambda o: (f"ln.categorical_generalized_cross_entropy(labels, y_pred, "
                              f"q={o['q']!r}, axis={o['axis']}, reduction='none')"),
    keras_call=lambda o: (f"keras.losses.categorical_generalized_cross_entropy(labels, y_pred, "
                          f"q={o['q']!r}), class indices"),
    keras=lambda keras, y, p, opts: keras.losses.categorical_generalized_cross_entropy(
        y, p, q=opts["q"]),
    torch=(("torch", lambda o: (
        f"(1 - y_pred.gather(1, labels[:, None]).squeeze(1) ** {o['q']!r}) / {o['q']!r}: plain "
        "torch, classes on dim 1 (torch has no generalized cross-entropy)"), _gce_torch),),
    hand=_loss_of("categorical_generalized_cross_entropy"),
    hand_grad=_grad_of("categorical_generalized_cross_entropy"),
    scale=_gce_scale,
    scale_text=lambda o, grad: "max(1, p^(q - 1))" if grad else "1/q (the loss's bound)",
)

# --------------------------------------------------------------------------------------------
# the cases of the agreement matrix
# --------------------------------------------------------------------------------------------

A, E, ABSENT = "agree", "explained", "absent"
SEED = 20240611


def _f32(*a):
    return tuple(np.asarray(x, dtype=np.float32) for x in a)


def _f64(*a):
    return tuple(np.asarray(x, dtype=np.float64) for x in a)


def _edge(label, y, p, options=None, *, loss, grad, more=()):
    """An edge case; ``loss`` and ``grad`` are the (keras, torch) statuses it must give."""
    return MatrixCase(label, "edge", y, p, options or {}, expect=(loss, grad), more=more)


_SCORES = [[44.0, 10.0, 22.0, 5.0]]  # the notes' cat, dog, car, pedestrian

_BCE_CASES = (
    MatrixCase("TF example: y=0, p=0.5, shape (1,1,1)", "notes", *_f32([[[0.0]]], [[[0.5]]])),
    MatrixCase("torch example: nine 0.8s and a 0.2", "notes",
         *_f64([0.0] + [1.0] * 9, [0.2] + [0.8] * 9)),
    _edge("perfect prediction", *_f64([1.0, 0.0], [1.0, 0.0]), loss=(E, A), grad=(E, E)),
    # In float32 Keras's 1.19e-7 is one rounding of 1 - p: within the absolute floor.
    _edge("perfect prediction", *_f32([1.0, 0.0], [1.0, 0.0]), loss=(A, A), grad=(E, E)),
    _edge("certain and wrong: p=0 at y=1, p=1 at y=0", *_f32([1.0, 0.0], [0.0, 1.0]),
          loss=(E, E), grad=(E, E)),
    _edge("certain and wrong: p=0 at y=1, p=1 at y=0", *_f64([1.0, 0.0], [0.0, 1.0]),
          loss=(E, E), grad=(E, E)),
    _edge("y=0, p=1e-4: Keras's log(1 - p)", *_f32([0.0], [1e-4]), loss=(A, A), grad=(A, A)),
    _edge("logits 100, -100, 1000", *_f32([1.0, 1.0, 0.0], [100.0, -100.0, 1000.0]),
          {"from_logits": True}, loss=(A, A), grad=(A, A)),
    _edge("infinite logits", *_f64([1.0, 1.0, 0.0, 0.0], [inf, -inf, inf, -inf]),
          {"from_logits": True}, loss=(E, E), grad=(A, A)),
)

_CCE_CASES = (
    MatrixCase("example: true class 1, p=[0.4, 0.6]", "notes",
               *_f32([[[0.0, 1.0]]], [[[0.4, 0.6]]])),
    MatrixCase("scores [44,10,22,5], truth: cat", "notes",
               *_f64([[1.0, 0.0, 0.0, 0.0]], _SCORES), {"from_logits": True}),
    _edge("row summing to 0.6", *_f64([[0.0, 1.0, 0.0]], [[0.2, 0.2, 0.2]]),
          loss=(E, E), grad=(E, E)),
    _edge("true class with probability 0", *_f32([[0.0, 1.0, 0.0]], [[0.5, 0.0, 0.5]]),
          loss=(E, A), grad=(E, E)),
    _edge("another class with probability 0", *_f64([[1.0, 0.0, 0.0]], [[0.5, 0.5, 0.0]]),
          loss=(A, E), grad=(E, E)),
    _edge("logits [100, -100, 0]", *_f32([[0.0, 1.0, 0.0]], [[100.0, -100.0, 0.0]]),
          {"from_logits": True}, loss=(A, A), grad=(A, A)),
    _edge("infinite logits",
          *_f64([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]],
                [[inf, 0.0, 0.0], [0.0, -inf, 0.0], [0.0, -inf, 0.0]]),
          {"from_logits": True}, loss=(E, E), grad=(E, E)),
    _edge("classes on axis 0", *_f64([[0.0, 1.0], [1.0, 0.0]], [[0.3, 0.9], [0.7, 0.1]]),
          {"axis": 0}, loss=(A, A), grad=(E, E)),
)

_SPARSE_CASES = (
    MatrixCase("scores [44,10,22,5], truth: pedestrian", "notes", np.array([3]), np.array(_SCORES),
         {"from_logits": True}),
    _edge("row summing to 0.6", np.array([1]), np.array([[0.2, 0.2, 0.2]]),
          loss=(E, E), grad=(E, E)),
    _edge("true class with probability 0", np.array([1]), np.array([[0.5, 0.0, 0.5]]),
          loss=(E, A), grad=(E, A)),
    _edge("infinite logit", np.array([0, 1]), np.array([[inf, 0.0, 0.0], [0.0, 1.0, -inf]]),
          {"from_logits": True}, loss=(E, E), grad=(E, E)),
)

_BINARY_FOCAL_CASES = (
    MatrixCase("Keras's example: gamma=2", "notes",
               *_f32([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])),
    _edge("certain and wrong: p=0 at y=1, p=1 at y=0", *_f32([1.0, 0.0], [0.0, 1.0]),
          loss=(E, E), grad=(E, E)),
    _edge("certain and wrong: p=0 at y=1, p=1 at y=0", *_f64([1.0, 0.0], [0.0, 1.0]),
          loss=(E, E), grad=(E, E)),
    _edge("certain and right, gamma=0.5", *_f64([1.0, 0.0], [1.0, 0.0]), {"gamma": 0.5},
          loss=(A, A), grad=(E, E)),
    _edge("infinite logits", *_f64([1.0, 1.0, 0.0, 0.0], [inf, -inf, inf, -inf]),
          {"from_logits": True}, loss=(E, E), grad=(E, E)),
    # the literal 1 - p_t keeps 3 of 7 digits at z = 10, on values below the absolute floor
    _edge("confident right logits 10 and 30", *_f32([1.0, 0.0, 1.0, 0.0], [10.0, -10.0, 30.0,
                                                                           -30.0]),
          {"from_logits": True}, loss=(A, A), grad=(A, A)),
    _edge("class balancing with alpha=0.9, a soft label", *_f64([1.0, 0.0, 0.3], [0.7, 0.4, 0.5]),
          {"apply_class_balancing": True, "alpha": 0.9}, loss=(A, A), grad=(A, A)),
)

_OVERLAP_INPUTS = (("y_true", "targets in [0, 1] (masks or soft)"),
                   ("y_pred", "probabilities in [0, 1]"))


_GCE_CASES = (
    MatrixCase("rows of three, q=0.5", "notes", np.array([1, 0]),
               np.array([[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]])),
    _edge("true class with probability 0", np.array([1]), np.array([[1.0, 0.0, 0.0]]),
          loss=(A, A), grad=(E, A)),
    _edge("confident right: p = 1 - 1e-12", np.array([0]), np.array([[1 - 1e-12, 1e-12, 0.0]]),
          {"q": 0.7}, loss=(A, A), grad=(A, A)),
    _edge("classes on axis 0", np.array([1, 0]), np.array([[0.3, 0.9], [0.7, 0.1]]),
          {"axis": 0}, loss=(A, A), grad=(A, A)),
)


def _overlap_cases(options):
    return (
        MatrixCase("a mask and a soft prediction", "notes",
                   *_f32([[1.0, 1.0, 0.0, 0.0]], [[0.9, 0.6, 0.2, 0.0]]), options),
        _edge("perfect prediction: Keras's 1e-7", *_f64([[1.0, 1.0, 0.0, 0.0]],
                                                        [[1.0, 1.0, 0.0, 0.0]]),
              options, loss=(E, A), grad=(E, A)),
        _edge("empty prediction against a target", *_f32([[1.0, 0.0, 0.0]], [[0.0, 0.0, 0.0]]),
              options, loss=(A, A), grad=(A, A)),
        _edge("an empty row: 0 / 0", *_f64([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]],
                                          [[0.0, 0.0, 0.0], [0.5, 0.5, 0.0]]),
              options, loss=(E, E), grad=(E, E)),
        _edge("rows along axis 0", *_f64([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]],
                                         [[0.7, 0.1], [0.4, 0.8], [0.2, 0.3]]),
              {**options, "axis": 0}, loss=(E, A), grad=(E, A)),
    )


_DICE_CASES = _overlap_cases({})
_TVERSKY_CASES = _overlap_cases({"alpha": 0.7, "beta": 0.3})

_CATEGORICAL_FOCAL_CASES = (
    MatrixCase("Keras's example", "notes",
               *_f32([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], [[0.05, 0.9, 0.05], [0.1, 0.85, 0.05]])),
    _edge("true class with probability 0", *_f32([[0.0, 1.0, 0.0]], [[0.5, 0.0, 0.5]]),
          loss=(E, A), grad=(E, A)),
    _edge("another class with probability 0", *_f64([[1.0, 0.0, 0.0]], [[0.5, 0.5, 0.0]]),
          loss=(A, E), grad=(E, E)),
    _edge("certain and right, gamma=0.5", *_f64([[1.0, 0.0, 0.0]], [[1.0, 0.0, 0.0]]),
          {"gamma": 0.5}, loss=(E, E), grad=(A, E)),
    _edge("logits [100, -100, 0]: Keras clips after its softmax",
          *_f32([[0.0, 1.0, 0.0]], [[100.0, -100.0, 0.0]]), {"from_logits": True},
          loss=(E, A), grad=(E, A)),
    _edge("infinite logits",
          *_f64([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]],
                [[inf, 0.0, 0.0], [0.0, -inf, 0.0], [0.0, -inf, 0.0]]),
          {"from_logits": True}, loss=(E, E), grad=(E, E)),
    _edge("classes on axis 0", *_f64([[0.0, 1.0], [1.0, 0.0]], [[0.3, 0.9], [0.7, 0.1]]),
          {"axis": 0}, loss=(A, A), grad=(E, A)),
    _edge("label smoothing 0.1, alpha=1", *_f64([[0.0, 1.0, 0.0]], [[0.2, 0.5, 0.3]]),
          {"label_smoothing": 0.1, "alpha": 1.0}, loss=(A, A), grad=(E, A)),
)


# the options: weights, smoothing, ignored labels (issue 14) ----------------------------------

_W = [1.0, 2.0, 4.0]  # sum 7 over 3 values: Keras's mean is 7/3 times lossnotes'
_PAD = -100  # torch's default ignore_index, a padded position

_BCE_OPTION_CASES = (
    _edge("a weighted batch: Keras divides by N = 3, torch by hand and lossnotes by 7",
          *_f64([1.0, 0.0, 1.0], [0.8, 0.3, 0.6]), {"sample_weight": _W},
          loss=(E, A), grad=(E, A)),
    _edge("pos_weight 3 on logits", *_f32([1.0, 0.0, 1.0, 0.0], [2.0, -1.0, -3.0, 0.5]),
          {"from_logits": True, "pos_weight": 3.0}, loss=(A, A), grad=(A, A)),
    _edge("pos_weight per output, weighted", *_f64([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
                                                  [[1.5, -0.5], [0.2, -2.0], [3.0, 0.1]]),
          {"from_logits": True, "pos_weight": [2.0, 0.5], "sample_weight": _W},
          loss=(E, A), grad=(E, A)),
    _edge("label smoothing 0", *_f32([1.0, 0.0], [0.9, 0.2]), {"label_smoothing": 0.0},
          loss=(A, A), grad=(A, A)),
    _edge("label smoothing 1: every target 1/2", *_f64([1.0, 0.0], [0.9, 0.2]),
          {"label_smoothing": 1.0}, loss=(A, A), grad=(A, A)),
    _edge("label smoothing 0.1 on logits", *_f64([1.0, 0.0, 1.0], [4.0, -2.0, -1.0]),
          {"from_logits": True, "label_smoothing": 0.1}, loss=(A, A), grad=(A, A)),
)

_CCE_OPTION_CASES = (
    _edge("a weighted batch", *_f64(np.eye(3)[[0, 2, 1]], [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6],
                                                        [0.25, 0.5, 0.25]]),
          {"sample_weight": _W}, loss=(E, A), grad=(E, E)),
    _edge("class weights, one-hot targets", *_f32(np.eye(3)[[0, 2, 1]], [[2.0, 0.5, -1.0],
                                                                        [0.0, 1.0, 3.0],
                                                                        [-1.0, 2.0, 0.5]]),
          {"from_logits": True, "class_weight": [1.0, 2.0, 0.5]}, loss=(E, E), grad=(E, E)),
    _edge("class weights, soft targets: Keras weighs the argmax class",
          *_f64([[0.7, 0.3, 0.0], [0.0, 0.4, 0.6]], [[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]]),
          {"from_logits": True, "class_weight": [1.0, 2.0, 0.5]}, loss=(E, E), grad=(E, E)),
    _edge("label smoothing 0.1", *_f64(np.eye(3)[[0, 2]], [[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]]),
          {"from_logits": True, "label_smoothing": 0.1}, loss=(A, A), grad=(A, A)),
    _edge("label smoothing 1: every target 1/C", *_f32(np.eye(3)[[0, 2]],
                                                        [[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]]),
          {"label_smoothing": 1.0}, loss=(A, A), grad=(E, E)),
)

_SPARSE_OPTION_CASES = (
    _edge("a padded batch: ignore_index=-100", np.array([0, 2, _PAD, 1, _PAD]),
          _f32([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0], [9.0, 9.0, 9.0], [-1.0, 2.0, 0.5],
                [0.0, 0.0, 0.0]])[0], {"from_logits": True, "ignore_index": _PAD},
          loss=(A, A), grad=(A, A)),
    _edge("a weighted padded batch", np.array([0, 2, _PAD, 1]),
          _f64([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0], [9.0, 9.0, 9.0], [-1.0, 2.0, 0.5]])[0],
          {"from_logits": True, "ignore_index": _PAD, "sample_weight": [1.0, 2.0, 3.0, 4.0]},
          loss=(E, E), grad=(E, E)),
    _edge("class weights", np.array([0, 2, 1]),
          _f64([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.25, 0.5, 0.25]])[0],
          {"class_weight": [1.0, 2.0, 0.5]}, loss=(E, A), grad=(E, A)),
    _edge("label smoothing 0.2 with class weights", np.array([0, 2, 2]),
          _f64([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0], [-1.0, 2.0, 0.5]])[0],
          {"from_logits": True, "label_smoothing": 0.2, "class_weight": [1.0, 2.0, 0.5]},
          loss=(E, E), grad=(E, E)),
    _edge("label smoothing 1", np.array([0, 2]), _f32([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]])[0],
          {"from_logits": True, "label_smoothing": 1.0}, loss=(A, A), grad=(A, A)),
)


def _option_batches(name: str, seed: int) -> list[MatrixCase]:
    """Seeded batches of shape (4, 6) with the options of ``name`` (a generator of their own,
    so the batches without options stay as they were)."""
    if name not in ("binary_cross_entropy", "categorical_cross_entropy",
                    "sparse_categorical_cross_entropy"):
        return []
    rng = np.random.default_rng([seed, *b"options", *name.encode()])
    shape, out = (4, 6), []
    w = rng.uniform(0.5, 2, shape[0]).round(2)  # one per sample: short to print
    for dtype in (np.float64, np.float32):
        z = rng.normal(0, 2, shape).astype(dtype)
        if name == "binary_cross_entropy":
            y = (rng.random(shape) < 0.5).astype(dtype)
            options = ({"from_logits": True, "sample_weight": w, "pos_weight": 2.0},
                       {"from_logits": True, "label_smoothing": 0.1})
        else:
            classes = rng.integers(0, shape[1], shape[0])
            c = rng.uniform(0.5, 2, shape[1]).round(2)
            y = classes if name.startswith("sparse") else np.eye(shape[1], dtype=dtype)[classes]
            options = ({"from_logits": True, "sample_weight": w, "class_weight": c},
                       {"from_logits": True, "label_smoothing": 0.1})
        out += [MatrixCase(f"seeded batch {shape}", "random", y, z, o) for o in options]
        if name.startswith("sparse"):  # padding, the first label kept
            padded = np.where(rng.random(shape[0]) < 0.4, _PAD, y)
            padded[0] = y[0]
            out += [MatrixCase(f"seeded padded batch {shape}", "random", padded, z,
                               {"from_logits": True, "ignore_index": _PAD, **o})
                    for o in ({}, {"sample_weight": w})]
    return out


_CIRCLE_CASES = (
    MatrixCase("the docstring's three unit vectors, gamma=1", "notes",
               np.array([0, 0, 1]), np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]]),
               {"gamma": 1.0}),
    _edge("a sample alone in its class (loss 0)", np.array([0, 0, 1, 2]),
          np.array([[1.0, 0.0], [0.6, 0.8], [-0.8, 0.6], [0.0, -1.0]]),
          loss=(A, ABSENT), grad=(A, ABSENT)),
    _edge("embeddings longer than 1: Keras clamps the similarity 1.1 at 1", np.array([0, 0, 1]),
          np.array([[1.1, 0.0], [1.0, 0.3], [0.0, -1.1]]), {"gamma": 1.0},
          loss=(E, ABSENT), grad=(E, ABSENT)),
    _edge("remove_diagonal=False: each sample its own positive pair", np.array([0, 1, 1]),
          np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], dtype=np.float32),
          {"remove_diagonal": False}, loss=(A, ABSENT), grad=(A, ABSENT)),
    _edge("classmates together, classes opposite: log(1 + e^-12.8)", np.array([0, 0, 1, 1]),
          np.array([[1.0, 0.0], [1.0, 0.0], [-1.0, 0.0], [-1.0, 0.0]]),
          loss=(A, ABSENT), grad=(A, ABSENT)),
)


def random_cases(name: str, seed: int = SEED) -> list[MatrixCase]:
    """One seeded batch of shape (4, 6) per option set of ``name``, in float64 and float32,
    and for a loss that takes ``sample_weight`` the first of them weighted (``_weighted_batch``).

    Each loss draws from its own generator (seeded with ``seed`` and the loss's name), so adding
    a loss does not change the batches of the others."""
    rng = np.random.default_rng([seed, *name.encode()])
    shape = (4, 6)
    label = f"seeded batch {shape}"
    out = []
    for dtype in (np.float64, np.float32):
        def c(y, p, options=None, dtype=dtype, more=()):
            y = y if np.asarray(y).dtype.kind in "iu" else np.asarray(y, dtype=dtype)
            out.append(MatrixCase(label, "random", y, np.asarray(p, dtype=dtype), options or {},
                                  more=tuple(np.asarray(x, dtype=dtype) for x in more)))

        if name in _RANDOM:
            _RANDOM[name](rng, shape, c)
        elif name == "binary_cross_entropy":
            c((rng.random(shape) < 0.5).astype(float), rng.uniform(0.01, 0.99, shape))
            c(rng.random(shape), rng.normal(0, 3, shape), {"from_logits": True})
        elif name.endswith(("categorical_cross_entropy", "categorical_focal_cross_entropy")):
            logits = rng.normal(0, 2, shape).astype(dtype)
            classes = rng.integers(0, shape[1], shape[0])
            y = classes if name.startswith("sparse") else np.eye(shape[1])[classes]
            c(y, _links.softmax(logits))
            c(y, logits, {"from_logits": True})
        elif name in ("hinge", "squared_hinge", "logistic"):
            c(2 * (rng.random(shape) < 0.5) - 1.0, rng.normal(0, 2, shape))
        elif name == "categorical_generalized_cross_entropy":
            c(rng.integers(0, shape[1], shape[0]), _links.softmax(rng.normal(0, 2, shape)))
        elif name in ("dice", "tversky"):
            y = (rng.random(shape) < 0.4).astype(float)
            y[:, 0] = 1.0  # every row holds some target
            c(y, rng.uniform(0, 1, shape), {"alpha": 0.7, "beta": 0.3} if name == "tversky"
              else {})
        elif name == "binary_focal_cross_entropy":
            c((rng.random(shape) < 0.5).astype(float), rng.uniform(0.01, 0.99, shape))
            c(rng.random(shape), rng.normal(0, 3, shape), {"from_logits": True})
            c((rng.random(shape) < 0.5).astype(float), rng.normal(0, 3, shape),
              {"from_logits": True, "gamma": 0.5, "apply_class_balancing": True})
        elif name in _BATCHES_A:
            _BATCHES_A[name](rng, shape, dtype, c)
        else:
            y, f = rng.normal(0, 2, shape), rng.normal(0, 2, shape)
            c(y, f)
            if name == "huber":
                c(y, f, {"delta": 0.5})
    out += _option_batches(name, seed)
    return out + _weighted_batch(name, out)


#: The weights of each loss's weighted seeded batch, one per sample (repeated to the batch's
#: length): unequal, one of them 0, so each mean's divisor (the number of values, the sum of
#: the weights) shows, and a sample weighted 0 must drop out of the values and derivatives.
_SAMPLE_WEIGHTS = (1.0, 0.0, 2.0, 0.5)


def _weighted_batch(name: str, seeded: list[MatrixCase]) -> list[MatrixCase]:
    """``name``'s first seeded batch once more with ``sample_weight`` (:data:`_SAMPLE_WEIGHTS`,
    one per sample: the leading axis of the unreduced loss), for every loss whose record takes
    ``sample_weight`` (the cross-entropies' option cases above weigh theirs too, with no weight
    0)."""
    if "sample_weight" not in LOSSES[name].extra_options or not seeded:
        return []
    case = seeded[0]
    w = np.resize(np.array(_SAMPLE_WEIGHTS), np.shape(case.y_pred)[0])
    return [dataclasses.replace(case, label=f"{case.label}, weighted",
                                options={**case.options, "sample_weight": w})]


# --------------------------------------------------------------------------------------------
# the table
# --------------------------------------------------------------------------------------------

_M = (("m", "margins y f(x), real numbers"),)
_PAIR = "y_true the shape of y_pred"
_CE_VARIANTS = ({"from_logits": False}, {"from_logits": True})
#: The options of the cross-entropies that change each element's formula, measured by the
#: accuracy survey on the same grids: smoothing (probabilities and logits), and the weight of
#: a term (a power of 2 and 0.3, which rounds in every dtype).
_SMOOTHING = ({"from_logits": False, "label_smoothing": 0.1},
              {"from_logits": True, "label_smoothing": 0.1})
_BCE_VARIANTS = (*_CE_VARIANTS, *_SMOOTHING, {"from_logits": True, "pos_weight": 3.0},
                 {"from_logits": False, "pos_weight": 0.3},
                 {"from_logits": True, "label_smoothing": 0.1, "pos_weight": 3.0})
_CLASS_WEIGHTS = (2.0, 0.3, 1.0)
_CCE_VARIANTS = (*_CE_VARIANTS, *_SMOOTHING,
                 {"from_logits": False, "class_weight": _CLASS_WEIGHTS},
                 {"from_logits": True, "class_weight": _CLASS_WEIGHTS},
                 {"from_logits": True, "label_smoothing": 0.1, "class_weight": _CLASS_WEIGHTS})
# The bounds of those variants, measured under native AVX-512, AVX2 and baseline NumPy (the
# worst of the three after each; the same on all three but where two are given), with room
# to spare. Smoothing rounds each target (y + a (1/2 - y), y + a (1/C - y)) and a weight
# multiplies it: a loss of two weighted terms reaches 2.1 to 2.8 ulp in float64 (4 stated).
# With probabilities the derivatives are accurate: p is exact, and the binary one forms
# p - y~ as (p - y) + a (y - 1/2), rounded once near its zero (1.5 ulp; 62 as the difference
# of two rounded terms). With logits a derivative crosses zero where sigma(z) or softmax(z)_k
# equals the (weighted) smoothed target, and there the rounding of sigma or softmax (an
# absolute error of about an ulp of the target) cannot be cancelled by any arrangement: its
# error in ulps grows without bound as z nears that zero, so the bound stated is that of
# these grids, decided by their nearest point (see tests/test_accuracy.py, which holds the
# absolute error there). The binary one with smoothing alone is arranged to leave only
# sigma's rounding (1.9 ulp in float64; up to about 2.3 where sigma(z) is near 1/2 and the
# result a binade lower); the categorical one and those with weights are not.
_BCE_VARIANT_ULPS = (
    (_SMOOTHING[0], {"float64": 4.0, "float64_grad": 2.0}),  # 2.07; 1.53
    (_BCE_VARIANTS[4], {"float64": 4.0, "float16": 4.0,  # pos_weight 3: 2.64 to 2.72; 3.03
                        "float64_grad": 2.0, "float16_grad": 2.0}),  # 1.61; 1.42
    (_SMOOTHING[1], {"float64_grad": 4.0, "float16_grad": 10.0}),  # 1.91; 5.13
    (_BCE_VARIANTS[6], {"float64": 4.0, "float16": 4.0, "float64_grad": 10.0,
                        "float32_grad": 10.0, "float16_grad": 10.0}),
)  # 2.81, 2.91; 5.51, 6.45, 6.09
_CCE_VARIANT_ULPS = (
    (_SMOOTHING[0], {"float64": 4.0, "float64_grad": 2.0}),  # 2.07 to 2.1; 1.07
    (_SMOOTHING[1], {"float64": 4.0, "float64_grad": 10.0, "float32_grad": 16.0,
                     "float16_grad": 16.0}),  # 2.08; 3.81, 8.04, 7.86
    (_CCE_VARIANTS[6], {"float64": 4.0, "float16": 4.0, "float64_grad": 64.0,
                        "float32_grad": 128.0, "float16_grad": 64.0}),
)  # 2.33 to 2.61, 2.35; 33.4, 75.6, 29.2
_NO_FRAMEWORK = "neither Keras nor torch.nn.functional ships it"


def _loss(name: str, module, **fields) -> Loss:
    """A record whose function, gradient and references are found by the loss's name."""
    return Loss(name=name, function=getattr(module, name), grad=getattr(module, f"{name}_grad"),
                reference=_reference.REFERENCES[name],
                grad_reference=_reference.REFERENCES[f"{name}_grad"], **fields)


def _margin_loss(name, *, frameworks=None, absent=_NO_FRAMEWORK, cases=()):
    return _loss(
        name, _margin, family="margin", inputs=_M,
        domain="m: margins y f(x) (any real number; +-inf allowed)", options={}, variants=({},),
        grid=logit_grid, frameworks=frameworks, absent="" if frameworks else absent,
        cases=cases,
    )


def _regression_loss(name, frameworks, *, cases, options=None, variants=({},),
                     grid=_regression_grid):
    return _loss(name, _regression, family="regression",
                 inputs=(("y_true", "targets"), ("y_pred", "predictions")), domain=_PAIR,
                 options=options or {}, variants=variants, grid=grid, frameworks=frameworks,
                 cases=cases)



# --------------------------------------------------------------------------------------------
# divergences between distributions, counts and positive targets, robust regression
# --------------------------------------------------------------------------------------------


# Kullback-Leibler divergence -----------------------------------------------------------------


def _kl_torch(torch, F, p, y, opts, reduction):
    """F.kl_div on log q, classes on dim 1 (0 for one unbatched row): summed over the
    classes for 'none'; for the mean over rows, 'batchmean' on an (N, C) input (it divides by
    N, which is the number of rows only there), else the sum over the number of rows."""
    dim = 0 if p.dim() == 1 else 1
    log_q = torch.log(p)
    if reduction == "none":
        return F.kl_div(log_q, y, reduction="none").sum(dim=dim)
    if p.dim() == 2:
        return F.kl_div(log_q, y, reduction="batchmean")
    return F.kl_div(log_q, y, reduction="sum") / (p.numel() // p.shape[dim])


def _kl_scale(y, p, opts, grad):
    """The size of the terms: p log p and p log q (torch forms both), or p/q."""
    axis = _axis_of(p, opts)
    with np.errstate(divide="ignore", invalid="ignore"):
        if grad:
            s = np.abs(y / p)
        else:
            s = np.sum(np.abs(y * np.log(y)) + np.abs(y * np.log(p)), axis=axis)
    return np.maximum(_finite_or_one(s), 1)


_KL = Frameworks(
    targets="values", rowwise=True,
    lossnotes_call=lambda o: f"ln.kl_divergence(y_true, y_pred, axis={o['axis']}, "
                             "reduction='none')",
    keras_call=lambda o: "keras.losses.kl_divergence(y_true, y_pred)",
    keras=lambda keras, y, p, opts: keras.losses.kl_divergence(y, p),
    torch=(("torch", lambda o: (
        "F.kl_div(torch.log(y_pred), y_true, reduction='none').sum(dim=1), classes on dim 1; "
        "the mean over rows is reduction='batchmean' for an (N, C) input"), _kl_torch),),
    hand=_loss_of("kl_divergence"), hand_grad=_grad_of("kl_divergence"),
    scale=_kl_scale,
    scale_text=lambda o, grad: ("max(1, p/q) (the derivative)" if grad else
                                "max(1, sum |p log p| + |p log q|) per row (the terms torch "
                                "forms)"),
)


def _kl_batches(rng, shape, dtype, c):
    c(_links.softmax(rng.normal(0, 1, shape)).astype(dtype),
      _links.softmax(rng.normal(0, 2, shape).astype(dtype)))


# Poisson ------------------------------------------------------------------------------------


def _poisson_keras(keras, y, p, opts):
    """keras.losses.poisson on the rate (exp of the log-rate: Keras has no log-rate form),
    plus the mean of lgamma(y + 1) over the last axis for full=True (Keras has no full form)."""
    from ._compare import _frameworks

    loss = keras.losses.poisson(y, keras.ops.exp(p) if opts["log_input"] else p)
    if opts["full"]:
        loss = loss + keras.ops.mean(_frameworks.tensorflow().math.lgamma(y + 1), axis=-1)
    return loss


def _poisson_keras_call(o):
    rate = "keras.ops.exp(y_pred)" if o["log_input"] else "y_pred"
    full = " + mean(tf.math.lgamma(y_true + 1), axis=-1)" if o["full"] else ""
    return f"keras.losses.poisson(y_true, {rate}){full}"


_poisson_keras_unavailable = _keras_before(
    "KERAS_EPSILON_IN_PRED_DTYPE",
    "not compared with Keras: keras.losses.poisson fails on float64 predictions in this Keras "
    "(before 3.4.0 it adds keras.config.epsilon() as a float32 tensor); float32 works, and Keras "
    "3.4.0 and later take float64",
    lambda p, opts: p.dtype == np.float64)


def _poisson_torch(torch, F, p, y, opts, reduction):
    return F.poisson_nll_loss(p, y, log_input=opts["log_input"], full=opts["full"],
                              reduction=reduction)


def _poisson_scale(y, p, opts, grad):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if opts["log_input"]:
            s = np.exp(p) + np.abs(y) * (1 if grad else np.abs(p))
        elif grad:
            s = 1 + np.abs(y / p)
        else:
            s = np.abs(p) + np.abs(y * np.log(p))
    s = np.maximum(_finite_or_one(s), 1)
    if opts["full"] and not grad:
        s = s + np.abs(_divergence.log_factorial(np.asarray(y, dtype=np.float64)))
    return s


_POISSON = Frameworks(
    targets="values",
    lossnotes_call=lambda o: (f"ln.poisson(y_true, y_pred, log_input={o['log_input']}, "
                              f"full={o['full']}, reduction='none')"),
    keras_call=_poisson_keras_call,
    keras=_poisson_keras,
    torch=(("torch", lambda o: (f"F.poisson_nll_loss(y_pred, y_true, log_input="
                                f"{o['log_input']}, full={o['full']}, reduction='none')"),
            _poisson_torch),),
    hand=_loss_of("poisson"), hand_grad=_grad_of("poisson"), scale=_poisson_scale,
    keras_unavailable=_poisson_keras_unavailable,
    scale_text=lambda o, grad: (
        ("e^x + y" if grad else "e^x + |y x|") if o["log_input"] else
        ("1 + y/rate" if grad else "rate + |y log rate|")) + (
        " + log y!" if o["full"] and not grad else ""),
)


def _poisson_batches(rng, shape, dtype, c):
    y = rng.poisson(3.0, shape).astype(float)
    c(y, rng.uniform(0.5, 6.0, shape), {"log_input": False, "full": False})
    c(y, rng.normal(1.0, 1.0, shape), {"log_input": True, "full": False})


def _poisson_grid(grad=False, limits=True, log_input=False, full=False):
    """Rates 0 and 10^k (k from -8 to 4 in steps of 1/16) and +inf, or log-rates as logits;
    counts where the loss stays away from 0 against the size of its terms: 0, 0.5 and 1
    (lambda - y log lambda >= 0.84), with full=True 0, 1 and 2 (>= 2 - log 2, where
    lgamma(1.5) < 0 would cancel), and 0 and 1 for the derivative, which crosses 0 at
    lambda = y. For a count above e the loss without log y! crosses 0 near lambda = y, and
    with it its minimum, about log(2 pi y)/2, is the small difference of terms of size
    y log y: no float formula is accurate in ulps there."""
    if log_input:
        x = _with_limits(_LOGITS, -inf, inf, limits)
    else:
        x = _with_limits(_powers(-8, 4, 16), 0.0, inf, limits)
    y = (0.0, 1.0) if grad else ((0.0, 1.0, 2.0) if full else (0.0, 0.5, 1.0))
    return np.repeat(y, len(x)), np.tile(x, len(y))


def _kl_grid(grad=False, limits=True, axis=-1):
    """Hard targets only, for the divergence as for its derivative: against a soft target the
    terms p log(p/q) have both signs and cancel as q nears p, where the divergence (about
    sum (p - q)^2 / 2p) has a relative condition number of about 1/KL; ``tests/
    test_losses_A.py`` bounds the error there by the size of the terms instead."""
    return _categorical_grid(True, limits)


# Gaussian negative log-likelihood -------------------------------------------------------------


def _gaussian_keras(keras, y, p, opts):
    """Keras has no Gaussian NLL: the formula in keras.ops, averaged over the last axis as a
    Keras loss does."""
    ops = keras.ops
    v = ops.convert_to_tensor(np.asarray(opts["var"], dtype=y.dtype))
    loss = 0.5 * (ops.log(v) + ops.square(p - y) / v)
    if opts["full"]:
        loss = loss + np.asarray(0.5 * np.log(2 * np.pi), dtype=y.dtype)
    return ops.mean(loss, axis=-1)


def _gaussian_torch(torch, F, p, y, opts, reduction):
    v = opts["var"]
    v = float(v) if np.ndim(v) == 0 else torch.from_numpy(np.asarray(v, dtype=y.numpy().dtype))
    return F.gaussian_nll_loss(p, y, v, full=opts["full"], reduction=reduction)


def _gaussian_scale(y, p, opts, grad):
    v = np.asarray(opts["var"], dtype=np.float64)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        s = np.abs((y - p) / v) if grad else np.abs(np.log(v)) + (y - p) ** 2 / v
    return np.maximum(_finite_or_one(np.broadcast_to(s, np.shape(p))), 1)


def _gaussian_call(o):
    return f"var={o['var']!r}, full={o['full']}"


_GAUSSIAN = Frameworks(
    targets="values",
    lossnotes_call=lambda o: f"ln.gaussian_nll_loss(y_true, y_pred, {_gaussian_call(o)}, "
                             "reduction='none')",
    keras_call=lambda o: ("0.5 * (keras.ops.log(var) + keras.ops.square(y_pred - y_true) / var)"
                          + (" + 0.5 * log(2 pi)" if o["full"] else "")
                          + ", with keras.ops (Keras has no such loss)"),
    keras=_gaussian_keras,
    torch=(("torch", lambda o: (f"F.gaussian_nll_loss(y_pred, y_true, {_gaussian_call(o)}, "
                                "reduction='none')"), _gaussian_torch),),
    hand=_loss_of("gaussian_nll_loss"), hand_grad=_grad_of("gaussian_nll_loss"),
    scale=_gaussian_scale,
    scale_text=lambda o, grad: "max(1, |r| / var)" if grad else (
        "max(1, |log var| + r^2 / var)"),
)


def _gaussian_batches(rng, shape, dtype, c):
    y, f = rng.normal(0, 2, shape), rng.normal(0, 2, shape)
    c(y, f, {"var": 0.5, "full": False})
    c(y, f, {"var": 2.0, "full": True})


def _gaussian_grid(grad=False, limits=True, var=1.0, full=False):
    """The residuals of the regression grid, with variances >= 1: there both terms are
    non-negative (below 1 the loss crosses 0, where no formula is accurate in ulps)."""
    return _regression_grid(grad, limits)


def _torch_ops_frameworks(name, torch_text, torch_fn, *, scale, scale_text) -> Frameworks:
    """A loss of values that Keras ships under lossnotes' name and torch does not: compare
    runs ``keras.losses.<name>`` and ``torch_fn``, the formula written with torch ops."""
    return Frameworks(
        targets="values",
        lossnotes_call=lambda o: f"ln.{name}(y_true, y_pred, reduction='none')",
        keras_call=lambda o: f"keras.losses.{name}(y_true, y_pred)",
        keras=lambda keras, y, p, opts: getattr(keras.losses, name)(y, p),
        torch=(("torch", lambda o: f"{torch_text}, with torch ops (no such torch loss)",
                torch_fn),),
        hand=_loss_of(name), hand_grad=_grad_of(name), scale=scale, scale_text=scale_text,
    )


# log-cosh ----------------------------------------------------------------------------------------


def _log_cosh_torch(torch, F, p, y, opts, reduction):
    """torch has no log-cosh loss: the stable form with torch ops."""
    a = (p - y).abs()
    loss = a + F.softplus(-2 * a) - np.log(2.0)
    return loss if reduction == "none" else loss.mean()


_LOG_COSH = _torch_ops_frameworks(
    "log_cosh", "x.abs() + F.softplus(-2 * x.abs()) - math.log(2), x = y_pred - y_true",
    _log_cosh_torch,
    scale=lambda y, p, opts, grad: np.ones_like(p) if grad else np.maximum(1, np.abs(y - p)),
    scale_text=lambda o, grad: "1" if grad else "max(1, |r|) (|r| - log 2 cancels terms of "
                                                "that size)",
)


# mean absolute percentage error --------------------------------------------------------------


def _mape_torch(torch, F, p, y, opts, reduction):
    """torch has no percentage error: 100 |y_pred - y_true| / |y_true| with torch ops."""
    loss = 100 * (p - y).abs() / y.abs()
    return loss if reduction == "none" else loss.mean()


_MAPE = _torch_ops_frameworks(
    "mean_absolute_percentage_error", "100 * (y_pred - y_true).abs() / y_true.abs()",
    _mape_torch, scale=_ones, scale_text=lambda o, grad: "1 (one division in every library)",
)


def _mape_batches(rng, shape, dtype, c):
    y = rng.uniform(0.5, 3.0, shape) * np.where(rng.random(shape) < 0.5, -1, 1)
    c(y, y + rng.normal(0, 1, shape))


def _mape_grid(grad=False, limits=True):
    """The residuals of the regression grid on targets 3 and -0.25 (0 has no percentage)."""
    r = _RESIDUALS
    y = np.repeat((3.0, -0.25), len(r))
    return y, y - np.tile(r, 2)


# mean squared logarithmic error --------------------------------------------------------------


def _msle_torch(torch, F, p, y, opts, reduction):
    """torch has no squared logarithmic error: the squared error of log1p with torch ops."""
    return F.mse_loss(torch.log1p(p), torch.log1p(y), reduction=reduction)


def _msle_scale(y, p, opts, grad):
    """Keras's log(x + 1) of each side has absolute accuracy: its error is eps times the
    larger log, doubled in the square by the difference, which is itself at most that log."""
    with np.errstate(invalid="ignore"):
        size = np.maximum(1, np.log1p(np.maximum(np.abs(y), np.abs(p))))
    return size if grad else size * size


_MSLE = _torch_ops_frameworks(
    "mean_squared_logarithmic_error",
    "F.mse_loss(torch.log1p(y_pred), torch.log1p(y_true), reduction='none')", _msle_torch,
    scale=_msle_scale,
    scale_text=lambda o, grad: ("max(1, log(1 + max(|y|, |y_pred|)))" + ("" if grad else "^2")
                                + " (the two logs cancel terms of that size)"),
)


def _msle_batches(rng, shape, dtype, c):
    y = rng.exponential(3.0, shape)
    c(y, y * np.exp(rng.normal(0, 0.5, shape)))


def _msle_grid(grad=False, limits=True):
    """Predictions 0 and 10^k (k from -8 to 4 in steps of 1/16) on targets 0 and 3, and
    predictions within 2^-j of the target 3, where the two logs cancel."""
    p = np.concatenate([[0.0], _powers(-8, 4, 16)])
    near = 3.0 * (1 + np.array([s * 2.0**-j for j in _HUBER_STEPS for s in (1, -1)]))
    y = np.concatenate([np.zeros(len(p)), np.full(len(p) + len(near), 3.0)])
    return y, np.concatenate([p, p, near])


# negative log-likelihood of a class -----------------------------------------------------------


def _nll_torch(torch, F, p, y, opts, reduction):
    return F.nll_loss(p, y, reduction=reduction)


def _nll_scale(y, p, opts, grad):
    axis = _axis_of(p, opts)
    if grad:
        return np.ones(p.shape)
    with np.errstate(invalid="ignore"):
        return np.maximum(1, np.max(np.where(np.isfinite(p), np.abs(p), 0), axis=axis))


_NLL = Frameworks(
    targets="classes", rowwise=True,
    lossnotes_call=lambda o: f"ln.nll_loss(labels, y_pred, axis={o['axis']}, reduction='none')",
    keras_call=lambda o: ("keras.losses.sparse_categorical_crossentropy(labels, y_pred, "
                          "from_logits=True) (Keras has no loss on log-probabilities)"),
    keras=lambda keras, y, p, opts: keras.losses.sparse_categorical_crossentropy(
        y, p, from_logits=True),
    torch=(("torch", lambda o: "F.nll_loss(y_pred, labels, reduction='none'), classes on dim 1",
            _nll_torch),),
    hand=_loss_of("nll_loss"), hand_grad=_grad_of("nll_loss"), scale=_nll_scale,
    scale_text=lambda o, grad: "1" if grad else (
        "max(1, max |y_pred|) per row (Keras's logsumexp - y_pred cancels terms of that size)"),
)


def _nll_batches(rng, shape, dtype, c):
    c(rng.integers(0, shape[1], shape[0]), _links.log_softmax(rng.normal(0, 2, shape)))


def _nll_grid(grad=False, limits=True, axis=-1):
    """Class indices 0, 1, 2 with the log-softmax of the score rows."""
    labels, rows = _sparse_grid(grad, limits, from_logits=True)
    with np.errstate(invalid="ignore"):
        return labels, _links.log_softmax(rows)


_BATCHES_A = {"kl_divergence": _kl_batches, "poisson": _poisson_batches,
              "gaussian_nll_loss": _gaussian_batches,
              "mean_absolute_percentage_error": _mape_batches, "nll_loss": _nll_batches,
              "mean_squared_logarithmic_error": _msle_batches}

_FAMILY_A = (
    _loss(
        "kl_divergence", _divergence, family="divergence",
        inputs=(("y_true", "the target distribution p: rows in [0, 1] summing to 1"),
                ("y_pred", "the predicted distribution q: rows in [0, 1] summing to 1")),
        domain=_PAIR + "; classes along axis", options={"axis": -1}, variants=({},),
        grid=_kl_grid, frameworks=_KL,
        cases=(
            _edge("target with a class of probability 0",
                  *_f64([[0.5, 0.5, 0.0]], [[0.25, 0.25, 0.5]]), loss=(E, A), grad=(E, A)),
            _edge("prediction 0 under a positive target",
                  *_f64([[0.5, 0.5]], [[1.0, 0.0]]), loss=(E, A), grad=(E, A)),
            _edge("target and prediction 0 in the same class",
                  *_f32([[1.0, 0.0]], [[1.0, 0.0]]), loss=(A, E), grad=(A, E)),
        ),
    ),
    _loss(
        "poisson", _divergence, family="counts",
        inputs=(("y_true", "counts, finite numbers >= 0"),
                ("y_pred", "rates >= 0, or log-rates with log_input=True")),
        domain=_PAIR, options={"log_input": False, "full": False},
        variants=({"log_input": False, "full": False}, {"log_input": True, "full": False},
                  {"log_input": False, "full": True}),
        grid=_poisson_grid, frameworks=_POISSON,
        cases=(
            # float32: Keras before 3.4.0 cannot take float64 (the seeded float64 batches
            # show its epsilon's shift, beyond float64's tolerance at every rate)
            _edge("rate 0 for counts 0 and 2", *_f32([0.0, 2.0], [0.0, 0.0]),
                  loss=(E, E), grad=(E, E)),
            _edge("log-rates -1000 and 0", *_f32([1.0, 1.0], [-1000.0, 0.0]),
                  {"log_input": True}, loss=(E, A), grad=(E, A)),
            _edge("full: log y! against torch's Stirling term",
                  *_f32([0.0, 1.0, 2.0, 5.0], [0.5, 0.0, 1.0, 1.5]), {"log_input": True,
                                                                       "full": True},
                  loss=(A, E), grad=(A, A)),
        ),
    ),
    _loss(
        "gaussian_nll_loss", _divergence, family="regression",
        inputs=(("y_true", "targets"), ("y_pred", "predicted means")),
        domain=_PAIR + "; var > 0, a scalar or y_pred's shape",
        options={"var": 1.0, "full": False},
        variants=({"var": 1.0, "full": False}, {"var": 2.5, "full": False},
                  {"var": 2.5, "full": True}),
        grid=_gaussian_grid, frameworks=_GAUSSIAN,
        cases=(
            _edge("variance 1e-8, below torch's clamp", *_f64([0.0, 0.0], [1e-3, 0.0]),
                  {"var": 1e-8}, loss=(A, E), grad=(A, E)),
            _edge("large residuals, full=True", *_f32([0.0, 3.0], [1e3, -1e3]),
                  {"var": 2.5, "full": True}, loss=(A, A), grad=(A, A)),
        ),
    ),
    _loss(
        "log_cosh", _regression_more, family="regression",
        inputs=(("y_true", "targets"), ("y_pred", "predictions")), domain=_PAIR, options={},
        variants=({},), grid=_regression_grid, frameworks=_LOG_COSH,
        # log1p of a squared sinh: three roundings; 2.9 ulp measured in float64 with NumPy at
        # AVX2 or at its baseline (make isa-matrix), 1.65 with AVX-512
        ulps={"float64": 4.0},
        cases=(
            _edge("residuals of +-1000, where cosh overflows", *_f32([0.0, 0.0], [1e3, -1e3]),
                  loss=(A, A), grad=(A, A)),
            _edge("residual 1e-8: Keras's x + softplus(-2x) - log 2",
                  *_f64([0.0, 1.0], [1e-8, 1.0]), loss=(E, A), grad=(A, A)),
        ),
    ),
    _loss(
        "mean_absolute_percentage_error", _regression_more, family="regression",
        inputs=(("y_true", "finite targets other than 0"), ("y_pred", "predictions")),
        domain=_PAIR, options={}, variants=({},), grid=_mape_grid, frameworks=_MAPE,
        cases=(
            _edge("a target of 0", *_f32([0.0, 2.0], [0.5, 1.0]), loss=(E, E), grad=(E, E)),
            _edge("under- and over-prediction by 100%", *_f64([1.0, 1.0, -2.0], [0.0, 2.0, -2.0]),
                  loss=(A, A), grad=(A, A)),
        ),
    ),
    _loss(
        "mean_squared_logarithmic_error", _regression_more, family="regression",
        inputs=(("y_true", "finite targets > -1 (counts, prices: >= 0)"),
                ("y_pred", "finite predictions > -1")),
        domain=_PAIR, options={}, variants=({},), grid=_msle_grid, frameworks=_MSLE,
        # the square doubles the relative error of log1p of a rounded quotient: 2.3 ulp
        # measured in float64 (see the docstring)
        ulps={"float64": 4.0},
        cases=(
            _edge("a negative prediction: Keras clips it to 1e-7", *_f32([1.0, 2.0], [-0.5, 2.0]),
                  loss=(E, A), grad=(E, A)),
            _edge("targets and predictions of 0 and 1: Keras's 1e-7",
                  *_f64([0.0, 0.0, 1.0], [0.0, 1.0, 0.0]), loss=(E, A), grad=(E, A)),
            _edge("prediction within 1e-9 of the target 1000",
                  *_f64([1000.0], [1000.000001]), loss=(A, A), grad=(A, A)),
        ),
    ),
    _loss(
        "nll_loss", _divergence, family="log-likelihood",
        inputs=(("labels", "class indices in [0, C), y_pred's shape without the class axis"),
                ("y_pred", "log-probabilities (<= 0, -inf allowed)")),
        domain="one class index per row of y_pred", options={"axis": -1}, variants=({},),
        grid=_nll_grid, frameworks=_NLL,
        cases=(
            _edge("log-probabilities of a distribution", np.array([1, 0]),
                  np.log([[0.7, 0.2, 0.1], [0.25, 0.25, 0.5]]), loss=(A, A), grad=(E, A)),
            _edge("a row whose probabilities sum to 0.55", np.array([0]),
                  np.array([[-1.0, -2.0, -3.0]]), loss=(E, A), grad=(E, A)),
            _edge("true class with log-probability -inf", np.array([1]),
                  np.array([[0.0, -inf]], dtype=np.float32), loss=(A, A), grad=(E, A)),
        ),
    ),
)

LOSSES = {loss.name: loss for loss in (
    _margin_loss("zero_one", absent="it has no useful gradient; no framework trains with it"),
    _margin_loss("perceptron"),
    _margin_loss("hinge", frameworks=_hinge("hinge", squared=False), cases=(
        _edge("margin exactly 1 (the kink)", *_f64([1.0, -1.0, 1.0], [1.0, -1.0, 3.0]),
              loss=(A, A), grad=(E, E)),
        _edge("labels in {0, 1}", *_f64([0.0, 1.0, 1.0], [0.5, 2.0, -1.0]),
              loss=(E, E), grad=(E, E)),
        _edge("labels 0 and -1 mixed", *_f64([0.0, 1.0, -1.0], [0.5, 2.0, -1.0]),
              loss=(E, E), grad=(E, E)),
    )),
    _margin_loss("squared_hinge", frameworks=_hinge("squared_hinge", squared=True), cases=(
        _edge("labels in {0, 1}", *_f32([0.0, 1.0, 1.0], [0.5, 2.0, -1.0]),
              loss=(E, E), grad=(E, E)),
    )),
    _margin_loss("logistic", frameworks=_LOGISTIC, cases=(
        _edge("very wrong margins", *_f64([1.0, -1.0], [-1000.0, 800.0]),
              loss=(A, E), grad=(A, E)),
        _edge("margin -100 in float32", *_f32([1.0, 1.0], [-100.0, 3.0]),
              loss=(A, E), grad=(A, E)),
        _edge("infinite scores", *_f64([1.0, -1.0], [inf, -inf]), loss=(E, A), grad=(A, A)),
    )),
    _margin_loss("exponential", absent="AdaBoost's loss; neither Keras nor "
                 "torch.nn.functional ships it"),
    _loss(
        "binary_cross_entropy", _ce, family="cross-entropy",
        inputs=(("y_true", "labels or soft labels in [0, 1]"),
                ("y_pred", "probabilities in [0, 1], or logits with from_logits=True")),
        domain=_PAIR, options={"from_logits": False}, variants=_BCE_VARIANTS, grid=_binary_grid,
        frameworks=_ce_frameworks(
            "binary_cross_entropy", "binary_crossentropy", "y_true", targets="values",
            torch=(("torch", _bce_torch_call, _bce_torch),),
            scale=_with_options_scale(_bce_scale),
            scale_text=_with_options_scale_text(_bce_scale_text),
            keras_weighted=_keras_bce_weighted, keras_weighted_call=_keras_bce_weighted_call,
        ),
        cases=_BCE_CASES + _BCE_OPTION_CASES, extra_options=_BCE_EXTRAS,
        variant_ulps=_BCE_VARIANT_ULPS,
    ),
    _loss(
        "categorical_cross_entropy", _ce, family="cross-entropy",
        inputs=(("y_true", "class probabilities (one-hot or soft) in [0, 1]"),
                ("y_pred", "probability rows summing to 1, or logits with from_logits=True")),
        domain=_PAIR + "; classes along axis", options={"from_logits": False, "axis": -1},
        variants=_CCE_VARIANTS,
        grid=_categorical_grid,
        frameworks=_ce_frameworks(
            "categorical_cross_entropy", "categorical_crossentropy", "y_true", targets="values",
            torch=(("torch", _ce_torch_call(sparse=False), _cce_torch),),
            scale=_with_options_scale(_cce_scale), scale_text=_with_options_scale_text(
                _row_scale_text("sum(y)", "y/p + sum(y)/sum(p)")),
            rowwise=True, keras_weighted=_keras_cce_weighted,
            keras_weighted_call=_keras_ce_weighted_call(sparse=False),
        ),
        cases=_CCE_CASES + _CCE_OPTION_CASES, extra_options=_CCE_EXTRAS,
        variant_ulps=_CCE_VARIANT_ULPS,
    ),
    _loss(
        "sparse_categorical_cross_entropy", _ce, family="cross-entropy",
        inputs=(("labels", "class indices in [0, C), y_pred's shape without the class axis"),
                ("y_pred", "probability rows summing to 1, or logits with from_logits=True")),
        domain="one class index per row of y_pred", options={"from_logits": False, "axis": -1},
        variants=_CCE_VARIANTS,
        grid=_sparse_grid,
        frameworks=_ce_frameworks(
            "sparse_categorical_cross_entropy", "sparse_categorical_crossentropy", "labels",
            targets="classes",
            torch=(("torch", _ce_torch_call(sparse=True), _sparse_torch),),
            scale=_with_options_scale(_sparse_scale, sparse=True),
            scale_text=_with_options_scale_text(_row_scale_text("1", "[k = c]/p + 1/sum(p)")),
            rowwise=True, keras_weighted=_keras_sparse_weighted,
            keras_weighted_call=_keras_ce_weighted_call(sparse=True),
            keras_unavailable=_keras_ignore_class_mean,
        ),
        cases=_SPARSE_CASES + _SPARSE_OPTION_CASES, extra_options=_SPARSE_EXTRAS,
        variant_ulps=_CCE_VARIANT_ULPS,
    ),
    _regression_loss(
        "mse", _regression_calls("mse", "mean_squared_error", "mse_loss",
                                 "1 (the same residual, squared, in every library)"),
        cases=(_edge("infinite prediction, zero residual", *_f64([0.0, 1.0], [inf, 1.0]),
                     loss=(A, A), grad=(A, A)),),
    ),
    _regression_loss(
        "mae", _regression_calls("mae", "mean_absolute_error", "l1_loss",
                                 "1 (the same residual in every library)"),
        cases=(_edge("zero residual (the kink)", *_f64([1.0, 2.0], [1.0, 3.0]),
                     loss=(A, A), grad=(A, A)),),
    ),
    _regression_loss(
        "huber", _regression_calls(
            "huber", "huber", "huber_loss",
            "max(1, delta |r|) (delta |r| - delta^2/2 cancels terms of that size)",
            scale=_huber_scale, extra_torch=(_SMOOTH_L1,), keras=_keras_huber),
        options={"delta": 1.0}, variants=({"delta": 1.0}, {"delta": 1.5}), grid=_huber_grid,
        cases=(_edge("residuals at and beyond delta", *_f64([0.0, 0.0, 0.0], [2.0, -2.0, 5.0]),
                     {"delta": 2.0}, loss=(A, A), grad=(A, A)),),
    ),
    # multiclass margins, similarity and metric learning ---------------------------------------
    _loss(
        "categorical_hinge", _multiclass_margin, family="multiclass margin",
        inputs=(("y_true", "one-hot rows"), ("y_pred", "real scores, at least two classes")),
        domain=_PAIR + "; classes along axis", options={"axis": -1}, variants=({},),
        grid=_rival_grid(weston_watkins=False, one_hot=True), frameworks=_CATEGORICAL_HINGE,
        cases=(
            MatrixCase("the same scores as multi_margin_loss's", "notes",
                       *_f64([[1.0, 0.0, 0.0]], [[2.0, 1.5, 1.8]])),
            _edge("every rival negative: Keras compares with 0", *_f64(
                [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], [[-3.0, -2.0, -1.0], [0.5, -1.0, -2.0]]),
                loss=(E, ABSENT), grad=(E, ABSENT)),
            _edge("margin exactly 1 (the kink)", *_f64([[1.0, 0.0, 0.0]], [[3.0, 2.0, 0.5]]),
                  loss=(A, ABSENT), grad=(E, ABSENT)),
            _edge("two rivals tie for the largest score", *_f32([[1.0, 0.0, 0.0]],
                                                                [[0.0, 0.5, 0.5]]),
                  loss=(A, ABSENT), grad=(A, ABSENT)),
            _edge("infinite scores", *_f64([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
                                           [[inf, 0.0, 1.0], [0.0, 1.0, inf]]),
                  loss=(E, ABSENT), grad=(E, ABSENT)),
        ),
    ),
    _loss(
        "multi_margin_loss", _multiclass_margin, family="multiclass margin",
        inputs=(("labels", "class indices in [0, C), y_pred's shape without the class axis"),
                ("y_pred", "real scores, at least two classes")),
        domain="one class index per row of y_pred",
        options={"p": 1, "margin": 1.0, "weight": None, "axis": -1},
        variants=({"p": 1}, {"p": 2}, {"p": 1, "margin": 0.5}),
        grid=_rival_grid(weston_watkins=True, one_hot=False), frameworks=_MULTI_MARGIN,
        cases=(
            MatrixCase("the same scores as categorical_hinge's", "notes",
                       np.array([0]), np.array([[2.0, 1.5, 1.8]])),
            _edge("rivals exactly at the margin (the kink)", np.array([0, 1]),
                  np.array([[2.0, 1.0, 0.0], [0.0, 1.0, 0.0]]),
                  loss=(ABSENT, A), grad=(ABSENT, A)),
            _edge("weight and p=2", np.array([0, 2]), *_f32([[0.5, 1.0, -1.0],
                                                            [2.0, 0.0, 0.25]]),
                  {"p": 2, "weight": [2.0, 1.0, 0.5]}, loss=(ABSENT, A), grad=(ABSENT, A)),
            _edge("a weight of 0 against an infinite rival", np.array([0, 1]),
                  np.array([[0.0, inf, 1.0], [0.0, 0.5, 1.0]]), {"weight": [0.0, 1.0, 1.0]},
                  loss=(ABSENT, E), grad=(ABSENT, A)),
            _edge("the true class and a rival both +inf", np.array([0]),
                  np.array([[inf, inf, 1.0]]), loss=(ABSENT, E), grad=(ABSENT, E)),
        ),
    ),
    # divergences between distributions, counts and positive targets, robust regression
    *_FAMILY_A,
    # focal losses -------------------------------------------------------------------------------
    _loss(
        "binary_focal_cross_entropy", _focal, family="cross-entropy",
        inputs=(("y_true", "labels or soft labels in [0, 1]"),
                ("y_pred", "probabilities in [0, 1], or logits with from_logits=True")),
        domain=_PAIR, options={"gamma": 2.0, "apply_class_balancing": False, "alpha": 0.25,
                               "from_logits": False, "label_smoothing": 0.0},
        variants=({"from_logits": False}, {"from_logits": True},
                  {"from_logits": True, "gamma": 0.5, "apply_class_balancing": True}),
        grid=_focal_grid, frameworks=_BINARY_FOCAL, cases=_BINARY_FOCAL_CASES,
        # a power, a log and three products, each rounded (float32 and float16 are computed in
        # float64 and rounded once)
        ulps={"float64": 10.0},
    ),
    _loss(
        "categorical_focal_cross_entropy", _focal, family="cross-entropy",
        inputs=(("y_true", "class probabilities (one-hot or soft) in [0, 1]"),
                ("y_pred", "probability rows summing to 1, or logits with from_logits=True")),
        domain=_PAIR + "; classes along axis",
        options={"alpha": 0.25, "gamma": 2.0, "from_logits": False, "label_smoothing": 0.0,
                 "axis": -1},
        variants=({"from_logits": False}, {"from_logits": True},
                  {"from_logits": True, "gamma": 0.5, "alpha": 1.0}),
        grid=_cfocal_grid, frameworks=_CATEGORICAL_FOCAL, cases=_CATEGORICAL_FOCAL_CASES,
        ulps={"float64": 10.0},  # as the binary focal loss
    ),
    # robust classification ----------------------------------------------------------------------
    _loss(
        "categorical_generalized_cross_entropy", _focal, family="cross-entropy",
        inputs=(("labels", "class indices in [0, C), y_pred's shape without the class axis"),
                ("y_pred", "probability rows summing to 1")),
        domain="one class index per row of y_pred", options={"q": 0.5, "axis": -1},
        variants=({"q": 0.5}, {"q": 0.1}), grid=_gce_grid, frameworks=_GCE, cases=_GCE_CASES,
    ),
    # segmentation overlaps ----------------------------------------------------------------------
    _loss("dice", _overlap, family="overlap", inputs=_OVERLAP_INPUTS,
          domain=_PAIR + "; one loss per row along axis", options={"axis": -1},
          variants=({},), grid=overlap_grid, cases=_DICE_CASES, ulps={"float64": 10.0},
          # keras.losses.dice: not in Keras 3.1.0, added in 3.2.0 (read in their wheels)
          frameworks=_overlap_frameworks("dice", (3, 2, 0))),
    _loss("tversky", _overlap, family="overlap", inputs=_OVERLAP_INPUTS,
          domain=_PAIR + "; one loss per row along axis",
          options={"alpha": 0.5, "beta": 0.5, "axis": -1},
          variants=({"alpha": 0.5, "beta": 0.5}, {"alpha": 0.7, "beta": 0.3}),
          grid=overlap_grid, cases=_TVERSKY_CASES, ulps={"float64": 10.0},
          # keras.losses.tversky: not in Keras 3.2.0, added in 3.3.0
          frameworks=_overlap_frameworks("tversky", (3, 3, 0))),
    # sequences: connectionist temporal classification ------------------------------------------
    _loss(
        "ctc", _ctc, family="sequence",
        inputs=(("labels", "class indices, one row per sequence padded to S (N, S), the blank "
                           "not among a row's labels"),
                ("logits", "finite logits of C classes, the blank included, at T frames "
                           "(N, T, C)")),
        domain="labels (N, S), logits (N, T, C); one loss per sequence, +inf where its frames "
               "cannot hold its labels",
        options={"input_lengths": None, "label_lengths": None, "blank": 0},
        variants=({}, {"blank": 3}), grid=ctc_grid, frameworks=_CTC,
        # float64: the loss sums T log-softmaxes and logaddexps (2.7 ulps measured on the
        # grid, 4.0 with NumPy's AVX2 or baseline kernels); the posteriors of the gradient come
        # from log-space sums of T terms as large as the logits, each rounded (128 to 164 ulps
        # measured on the grid, 90 to 190 on other seeds of it)
        ulps={"float64": 10.0, "float64_grad": 256.0},
        cases=(
            MatrixCase("equal logits: the label 1 in 3 frames (6 paths of 8), 1 1 (1 path)",
                       "notes", np.array([[1, 0], [1, 1]]), np.zeros((2, 3, 2), np.float32)),
            _edge("exactly as many frames as the labels need (2 2 needs a blank between)",
                  np.array([[2, 2, 0], [1, 2, 3]]),
                  np.random.default_rng(1).normal(0, 2, (2, 3, 4)).astype(np.float32),
                  loss=(A, A), grad=(A, A)),
            _edge("an input too short for its labels: +inf, torch's gradient NaN",
                  np.array([[1, 1], [1, 2]]),
                  np.random.default_rng(2).normal(0, 2, (2, 3, 3)),
                  {"input_lengths": np.array([2, 3]), "label_lengths": np.array([2, 2])},
                  loss=(A, A), grad=(A, E)),
            _edge("the blank as the last class, ragged lengths, padding -1",
                  np.array([[0, 1, -1], [2, -1, -1], [-1, -1, -1]]),
                  np.random.default_rng(3).normal(0, 2, (3, 4, 4)),
                  {"input_lengths": np.array([4, 2, 3]), "label_lengths": np.array([2, 1, 0]),
                   "blank": 3}, loss=(A, A), grad=(A, A)),
            _edge("logits of +-50, float32", np.array([[1, 2], [3, 0]]),
                  (50 * np.sign(np.random.default_rng(4).normal(0, 1, (2, 4, 4)))).astype(
                      np.float32), loss=(A, A), grad=(A, A)),
        ),
    ),
    # metric learning: a loss of the whole batch ------------------------------------------------
    _loss(
        "circle", _circle, family="metric learning", batch=True,
        inputs=(("labels", "one integer label per embedding, shape (N,)"),
                ("embeddings", "L2-normalized embeddings, one per row, shape (N, D)")),
        domain="a batch (labels (N,), embeddings (N, D)); each sample's loss depends on the "
               "whole batch",
        options={"gamma": 80.0, "margin": 0.4, "remove_diagonal": True},
        variants=({}, {"gamma": 1.0, "margin": 0.25}, {"remove_diagonal": False}),
        grid=circle_grid, frameworks=_CIRCLE, cases=_CIRCLE_CASES,
        # ill-conditioned: a term gamma (1 - m - s)(1 + m - s) moves by its slope, up to
        # 4 gamma, times the rounding of s, which a small loss (or a derivative) feels relative
        # to itself; 80 ulps measured for the loss and 166 for its gradient at gamma = 80
        ulps={"float64": 256.0},
    ),
    # multilabel losses ---------------------------------------------------------------------------
    _loss(
        "multilabel_soft_margin_loss", _multilabel, family="multilabel",
        inputs=(("y_true", "targets in [0, 1], one per class"),
                ("y_pred", "real scores (logits), one per class")),
        domain=_PAIR + "; classes along axis", options={"weight": None, "axis": -1},
        variants=({},), grid=_multilabel_grid, frameworks=_MULTILABEL_SOFT_MARGIN,
        cases=(
            MatrixCase("every logit 0: each term log 2", "notes",
                       *_f64([[1.0, 1.0, 0.0]], [[0.0, 0.0, 0.0]])),
            _edge("infinite logits, right and wrong", *_f64([[1.0, 0.0, 0.0, 1.0]],
                                                           [[inf, -inf, inf, 1.0]]),
                  loss=(E, E), grad=(A, A)),
            _edge("a weight of 0 against a wrong infinite logit", *_f64(
                [[0.0, 1.0], [1.0, 0.0]], [[inf, 2.0], [0.5, -1.0]]), {"weight": [0.0, 1.0]},
                loss=(E, E), grad=(A, A)),
            _edge("soft targets, logits +-30", *_f32([[0.25, 0.7, 1.0]], [[30.0, -30.0, 0.5]]),
                  loss=(A, A), grad=(A, A)),
            _edge("classes on axis 0", *_f64([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]],
                                             [[2.0, -1.0], [0.5, 3.0], [-2.0, 0.0]]),
                  {"axis": 0}, loss=(A, A), grad=(A, A)),
        ),
    ),
    _loss(
        "multilabel_margin_loss", _multilabel, family="multilabel",
        inputs=(("y_true", "0/1 targets, one per class"),
                ("y_pred", "real scores, one per class")),
        domain=_PAIR + "; classes along axis", options={"axis": -1}, variants=({},),
        grid=_multilabel_margin_grid, frameworks=_MULTILABEL_MARGIN,
        cases=(
            MatrixCase("torch's example: classes 3 and 0 of [0.1, 0.2, 0.4, 0.8]", "notes",
                       *_f64([[1.0, 0.0, 0.0, 1.0]], [[0.1, 0.2, 0.4, 0.8]])),
            _edge("a pair exactly 1 apart (the kink)", *_f64([[1.0, 0.0, 0.0]],
                                                            [[2.0, 1.0, 0.0]]),
                  loss=(ABSENT, A), grad=(ABSENT, A)),
            _edge("no class applies, every class applies", *_f64(
                [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], [[2.0, 1.0, 0.0], [0.0, 1.0, 2.0]]),
                loss=(ABSENT, A), grad=(ABSENT, A)),
            _edge("a target and a non-target class both +inf", *_f64(
                [[1.0, 0.0, 0.0]], [[inf, inf, 0.0]]), loss=(ABSENT, E), grad=(ABSENT, E)),
            _edge("classes on axis 0, float32", *_f32([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
                                                     [[0.5, -1.0], [0.25, 3.0], [-2.0, 0.0]]),
                  {"axis": 0}, loss=(ABSENT, A), grad=(ABSENT, A)),
        ),
    ),
    # similarity: the hinge embedding loss --------------------------------------------------------
    _loss(
        "hinge_embedding_loss", _multiclass_margin, family="similarity",
        inputs=(("y_true", "labels in {-1, +1} (similar, dissimilar)"),
                ("y_pred", "distances x between the two embeddings of each pair")),
        domain=_PAIR, options={"margin": 1.0},
        variants=({"margin": 1.0}, {"margin": 2.0}), grid=_embedding_grid,
        frameworks=_HINGE_EMBEDDING,
        cases=(
            MatrixCase("a similar pair 0.3 apart, dissimilar pairs 0.3 and 1.5 apart", "notes",
                       *_f64([1.0, -1.0, -1.0], [0.3, 0.3, 1.5])),
            _edge("dissimilar pairs exactly at the margin (the kink)",
                  *_f64([-1.0, -1.0, 1.0], [1.0, 0.5, 1.0]),
                  loss=(ABSENT, A), grad=(ABSENT, E)),
            _edge("labels 0 and 2: torch charges both terms",
                  *_f64([0.0, 2.0, -1.0], [0.3, 2.0, 0.5]),
                  loss=(ABSENT, E), grad=(ABSENT, E)),
            _edge("infinite distances", *_f64([1.0, -1.0, -1.0], [inf, inf, -inf]),
                  loss=(ABSENT, A), grad=(ABSENT, A)),
            _edge("margin 2 in float32", *_f32([1.0, -1.0, -1.0], [0.25, 1.5, 2.5]),
                  {"margin": 2.0}, loss=(ABSENT, A), grad=(ABSENT, A)),
        ),
    ),
    # similarity: the negated cosine ----------------------------------------------------------
    _loss(
        "negative_cosine_similarity", _similarity, family="similarity",
        inputs=(("y_true", "target vectors, finite and nonzero along axis"),
                ("y_pred", "predicted vectors, finite and nonzero along axis")),
        domain=_PAIR + "; vectors along axis", options={"axis": -1}, variants=({},),
        grid=_cosine_grid, frameworks=_COSINE,
        # three sums of products, a square root and a quotient: 1.8 ulp measured in float64,
        # 2.3 for the derivative (see the docstring)
        ulps={"float64": 4.0},
        cases=(
            MatrixCase("Keras's example", "notes",
                       *_f32([[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]],
                             [[1.0, 0.0], [1.0, 1.0], [-1.0, -1.0]])),
            _edge("a zero prediction: 0 in both, refused by lossnotes",
                  *_f64([[1.0, 2.0, 3.0]], [[0.0, 0.0, 0.0]]), loss=(E, E), grad=(E, E)),
            _edge("vectors of length 1e-9: both epsilons", *_f64([[1.0, 2.0]], [[1e-9, 2e-9]]),
                  loss=(E, E), grad=(E, E)),
            _edge("vectors of size 1e20 in float32: the squared norm overflows",
                  *_f32([[1e20, 1e20], [1.0, 0.0]], [[1e20, -1e20], [1e20, 1e20]]),
                  loss=(E, E), grad=(E, E)),
            _edge("vectors along axis 0", *_f64([[1.0, 0.5], [2.0, -1.0], [3.0, 0.25]],
                                                [[0.5, 1.0], [-1.0, 2.0], [2.0, 0.0]]),
                  {"axis": 0}, loss=(A, A), grad=(A, A)),
        ),
    ),
    # three inputs: the cosine embedding loss and the margin ranking loss -----------------------
    _loss(
        "cosine_embedding_loss", _embedding, family="similarity",
        inputs=(("x1", "embeddings, vectors on the last axis, finite and not zero"),
                ("x2", "embeddings, x1's shape"),
                ("y", "labels in {-1, +1} (similar, dissimilar), x1's shape without the last "
                      "axis")),
        domain="x1 and x2 of one shape (..., D), y of shape (...)", options={"margin": 0.0},
        variants=({"margin": 0.0}, {"margin": 0.5}), grid=_cosine_embedding_grid,
        frameworks=_COSINE_EMBEDDING, wrt=("x1", "x2"),
        # float64: the cosine of two rounded unit vectors (see cosine_embedding_loss's Notes)
        ulps={"float64": 128.0},
        cases=(
            MatrixCase("similar at 60 degrees, dissimilar at 60 and 120, margin 0.25", "notes",
                       *_f64([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]],
                             [[1.0, 3**0.5], [1.0, 3**0.5], [-1.0, 3**0.5]]),
                       {"margin": 0.25}, more=_f64([1.0, -1.0, -1.0])),
            _edge("a zero vector: torch's eps gives it cosine 0",
                  *_f64([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]], [[1.0, 0.0, 0.0], [2.0, 1.0, 2.0]]),
                  more=_f64([1.0, -1.0]), loss=(ABSENT, E), grad=(ABSENT, E)),
            _edge("parallel vectors of norm 1e-7: torch's eps shrinks their cosine",
                  *_f32([[1e-7, 0.0], [3.0, 4.0]], [[2e-7, 0.0], [6.0, 8.0]]),
                  more=_f32([1.0, 1.0]), loss=(ABSENT, E), grad=(ABSENT, E)),
            _edge("labels 0 and 2: torch charges nothing",
                  *_f64([[1.0, 0.0], [1.0, 1.0]], [[0.0, 1.0], [1.0, -1.0]]), {"margin": 0.5},
                  more=_f64([0.0, 2.0]), loss=(ABSENT, E), grad=(ABSENT, E)),
            _edge("one unbatched pair of opposite vectors, float32",
                  *_f32([1.0, -2.0, 0.5], [-2.0, 4.0, -1.0]), more=_f32(1.0),
                  loss=(ABSENT, A), grad=(ABSENT, A)),
        ),
    ),
    _loss(
        "margin_ranking_loss", _ranking, family="similarity",
        inputs=(("x1", "scores (real numbers)"), ("x2", "scores, x1's shape"),
                ("y", "labels in {-1, +1} (x1 should rank higher, x2 should)")),
        domain="x1, x2 and y of one shape", options={"margin": 0.0},
        variants=({"margin": 0.0}, {"margin": 1.0}), grid=_ranking_grid,
        frameworks=_MARGIN_RANKING, wrt=("x1", "x2"),
        cases=(
            MatrixCase("pairs 1 ahead, 0.2 ahead and 1 behind, margin 0.5", "notes",
                       *_f64([2.0, 0.7, 1.0], [1.0, 0.5, 0.0]), {"margin": 0.5},
                       more=_f64([1.0, 1.0, -1.0])),
            _edge("pairs exactly the margin apart (the kink)",
                  *_f64([1.5, 1.0, 2.0], [1.0, 1.5, 2.0]), {"margin": 0.5},
                  more=_f64([1.0, -1.0, 1.0]), loss=(ABSENT, A), grad=(ABSENT, E)),
            _edge("ties x1 = x2 at margin 0", *_f32([1.0, -2.0], [1.0, -2.0]),
                  more=_f32([1.0, -1.0]), loss=(ABSENT, A), grad=(ABSENT, E)),
            _edge("labels 0 and 2: torch reads any number", *_f64([1.0, 1.0], [3.0, 3.0]),
                  {"margin": 0.5}, more=_f64([0.0, 2.0]), loss=(ABSENT, E), grad=(ABSENT, E)),
            _edge("infinite scores, and both at +inf", *_f64([inf, 1.0, inf], [0.0, -inf, inf]),
                  more=_f64([1.0, 1.0, 1.0]), loss=(ABSENT, E), grad=(ABSENT, E)),
        ),
    ),
    _loss(
        "triplet_margin_loss", _triplet, family="similarity",
        inputs=(("anchor", "embeddings, vectors on the last axis, finite"),
                ("positive", "embeddings of the anchor's kind, its shape"),
                ("negative", "embeddings of another kind, the anchor's shape")),
        domain="anchor, positive and negative of one shape (..., D)",
        options={"margin": 1.0, "p": 2.0, "eps": 1e-6, "swap": False},
        variants=({}, {"p": 1.0}, {"swap": True}), grid=_triplet_grid,
        frameworks=_TRIPLET, wrt=("anchor", "positive", "negative"), vectors=True,
        # float64: each difference rounded twice (see triplet_margin_loss's Notes)
        ulps={"float64": 8.0},
        cases=(
            MatrixCase("the negative 1 farther than the positive, margin 2",
                       "notes", *_f64([[0.0, 0.0]], [[3.0, 0.0]]), {"margin": 2.0, "eps": 0.0},
                       more=_f64([[4.0, 0.0]])),
            _edge("a triplet exactly the margin short (the kink)",
                  *_f64([[0.0, 0.0]], [[3.0, 4.0]]), {"margin": 1.0, "eps": 0.0},
                  more=_f64([[0.0, 6.0]]), loss=(ABSENT, A), grad=(ABSENT, E)),
            _edge("anchor = positive with eps 0: a zero distance, its subgradient 0",
                  *_f64([[1.0, 2.0], [1.0, 2.0]], [[1.0, 2.0], [1.0, 2.0]]), {"eps": 0.0},
                  more=_f64([[1.5, 2.0], [1.0, 2.25]]), loss=(ABSENT, A), grad=(ABSENT, A)),
            _edge("p = 1 with an entry 0 of a difference, eps 0",
                  *_f64([[1.0, 2.0, 0.5]], [[1.0, 3.0, 0.5]]), {"p": 1.0, "eps": 0.0},
                  more=_f64([[2.0, 2.0, 1.0]]), loss=(ABSENT, A), grad=(ABSENT, A)),
            _edge("the swap at a tie (anchor = positive): half to each distance",
                  *_f32([[0.0, 0.0]], [[0.0, 0.0]]), {"swap": True},
                  more=_f32([[0.5, 0.0]]), loss=(ABSENT, A), grad=(ABSENT, A)),
            _edge("one unbatched triplet, float32", *_f32([1.0, -2.0, 0.5], [0.5, -1.0, 1.5]),
                  more=_f32([-0.5, -1.0, 2.0]), loss=(ABSENT, A), grad=(ABSENT, A)),
        ),
    ),
    _loss(
        "triplet_margin_with_distance_loss", _triplet, family="similarity",
        inputs=(("anchor", "embeddings, vectors on the last axis, finite (not zero for the "
                           "cosine distance)"),
                ("positive", "embeddings of the anchor's kind, its shape"),
                ("negative", "embeddings of another kind, the anchor's shape")),
        domain="anchor, positive and negative of one shape (..., D)",
        options={"distance": "euclidean", "margin": 1.0, "swap": False},
        variants=({}, {"distance": "cosine"}, {"swap": True}),
        grid=_distance_grid, frameworks=_TRIPLET_DISTANCE,
        wrt=("anchor", "positive", "negative"), vectors=True,
        # float64: the Euclidean distance's differences rounded twice, the cosine of two
        # rounded unit vectors (see the Notes of triplet_margin_loss, cosine_embedding_loss)
        ulps={"float64": 128.0},
        cases=(
            MatrixCase("the positive at 60 degrees, the negative at 90, cosine distance",
                       "notes", *_f64([[1.0, 0.0]], [[1.0, 3**0.5]]), {"distance": "cosine"},
                       more=_f64([[0.0, 2.0]])),
            _edge("a triplet exactly the margin short (the kink), cosine distance",
                  *_f64([[1.0, 0.0]], [[0.0, 1.0]]), {"distance": "cosine"},
                  more=_f64([[-1.0, 0.0]]), loss=(ABSENT, A), grad=(ABSENT, E)),
            _edge("the swap at a tie (anchor = positive), cosine distance",
                  *_f64([[1.0, 2.0]], [[1.0, 2.0]]), {"distance": "cosine", "swap": True},
                  more=_f64([[2.0, 1.0]]), loss=(ABSENT, A), grad=(ABSENT, A)),
            _edge("one unbatched triplet, Euclidean distance, float32",
                  *_f32([1.0, -2.0, 0.5], [0.5, -1.0, 1.5]), more=_f32([-0.5, -1.0, 2.0]),
                  loss=(ABSENT, A), grad=(ABSENT, A)),
        ),
    ),
)}



# sample_weight on every other loss ------------------------------------------------------------
#
# The cross-entropies' records say how each framework takes all their options; every other
# record whose function takes ``sample_weight`` gets it here, from the record's own calls, by
# the path the cross-entropies' weights take: Keras's loss object, whose ``__call__`` multiplies
# its per-sample values by ``sample_weight`` and whose ``reduction`` is None or
# "sum_over_batch_size" (the weighted sum over the number of values), each element a sample
# (``y[..., None]``) for a loss of elements, each row one for a loss of rows; torch's call with
# ``reduction="none"`` times the weights, and their sum over ``w.sum()`` for the mean
# (``_torch_mean``); lossnotes and like_keras / like_torch with ``sample_weight`` as they take
# it. Each module's mean is the sum of its weighted values over its divisor: Keras's the number
# of values, lossnotes' and torch's the sum of the weights.


def _without_weights(opts) -> dict:
    return {k: v for k, v in opts.items() if k != "sample_weight"}


def _weighted_divisor(hand):
    """``divisor(mod, y, p, opts)`` of a loss weighted by ``sample_weight`` only: the number of
    values for like_keras (Keras's ``sum_over_batch_size``), the sum of the weights spread over
    the unreduced loss for lossnotes and like_torch (torch's mean written by hand); inf when
    every weight is 0."""
    def divisor(mod, y, p, opts):
        import lossnotes

        # the shape of the unreduced loss, the same in every module (lossnotes has them all)
        shape = np.shape(hand(lossnotes, y, p, _without_weights(opts)))
        if mod is like_keras:
            return float(np.prod(shape))
        total = float(np.sum(_sample_weights(opts, shape, np.float64)))
        return total if total else np.inf
    return divisor


def _weighted_mean(hand, divisor):
    def mean(mod, y, p, opts):
        e = np.asarray(hand(mod, y, p, opts))
        return e.dtype.type(np.sum(e, dtype=np.float64) / divisor(mod, y, p, opts))
    return mean


def _keras_weighted_object(fw: Frameworks):
    """``keras_weighted`` from a record's Keras call: a ``keras.losses.Loss`` whose call is the
    record's (as each of Keras's loss classes wraps its function), called with ``sample_weight``
    on each element as a sample (``[..., None]``) or, for a loss of rows, on each row."""
    def keras_weighted(keras, y, p, opts, reduction):
        inner = _without_weights(opts)
        dtype = p.dtype.name
        if fw.rowwise:
            shape = tuple(y.shape) if fw.targets == "classes" else tuple(y.shape[:-1])
        else:
            shape, y, p = tuple(y.shape), y[..., None], p[..., None]

        class Weighted(keras.losses.Loss):
            # The record's call takes the targets as compare holds them (NumPy, labels as
            # integers), not as the tensor of y_pred's dtype that __call__ makes of them.
            def call(self, y_true, y_pred):
                return fw.keras(keras, y, y_pred, inner)

        return Weighted(reduction=reduction, dtype=dtype)(
            y, p, sample_weight=_sample_weights(opts, shape, np.dtype(dtype)))
    return keras_weighted


def _keras_weighted_object_call(fw: Frameworks):
    def text(o):
        inner = _without_weights(o)
        on = "(y_true, y_pred, sample_weight=w)" if fw.rowwise else (
            "(y_true[..., None], y_pred[..., None], sample_weight=w)")
        return (f"a keras.losses.Loss(reduction=None) whose call is {fw.keras_call(inner)} (as "
                f"Keras's loss class wraps it), called on {on}")
    return text


def _torch_weighted(fn):
    """A torch call of the record with ``sample_weight``: its ``reduction="none"`` values times
    the weights, summed over ``w.sum()`` for the mean (``_torch_mean``)."""
    def weighted(torch, F, *args):
        *inputs, opts, reduction = args
        inner = _without_weights(opts)
        return _torch_mean(torch, inputs[0], lambda reduction: fn(torch, F, *inputs, inner,
                                                                  reduction),
                           (), {}, opts, reduction)
    return weighted


def _weighted_call(call, with_weights):
    """A call's text for options with ``sample_weight``: the record's text of the call without
    the weights, then ``with_weights(shown, opts)`` when there are weights."""
    def text(o):
        shown = call(_without_weights(o))
        return shown if o.get("sample_weight") is None else with_weights(shown, o)
    return text


def _torch_weighted_call(call):
    return _weighted_call(call, lambda shown, o: (
        f"w times each value of: {shown}; the mean (w * values).sum() / w.sum(), written by "
        "hand: torch has no sample_weight"))


def _lossnotes_weighted(shown, o):
    w = f"sample_weight={_shown(o['sample_weight'], 'w')}"
    if "reduction='none')" in shown:
        return shown.replace("reduction='none')", f"{w}, reduction='none')", 1)
    return f"{shown}, with {w}"


def _lossnotes_weighted_call(call):
    return _weighted_call(call, _lossnotes_weighted)


def _with_sample_weight(loss: Loss) -> Loss:
    """``loss`` with ``sample_weight`` in its ``extra_options`` and the calls that pass it,
    when its function takes one and its record does not say how yet."""
    import inspect

    fw = loss.frameworks
    if (fw is None or loss.extra_options
            or "sample_weight" not in inspect.signature(loss.function).parameters):
        return loss
    divisor = _weighted_divisor(fw.hand)

    def scale(y, p, opts, grad):
        return np.asarray(fw.scale(y, p, _without_weights(opts), grad)) * option_weight(opts)

    def scale_text(opts, grad):
        return fw.scale_text(_without_weights(opts), grad) + (
            " times max(1, the largest weight)" if option_weight(opts) > 1 else "")

    weighted = dataclasses.replace(
        fw, lossnotes_call=_lossnotes_weighted_call(fw.lossnotes_call),
        torch=tuple((label, _torch_weighted_call(text), _torch_weighted(fn))
                    for label, text, fn in fw.torch),
        keras_weighted=None if fw.keras is None else _keras_weighted_object(fw),
        keras_weighted_call=None if fw.keras is None else _keras_weighted_object_call(fw),
        divisor=divisor, mean=_weighted_mean(fw.hand, divisor), scale=scale,
        scale_text=scale_text)
    return dataclasses.replace(loss, frameworks=weighted, extra_options={"sample_weight": None})


LOSSES = {name: _with_sample_weight(loss) for name, loss in LOSSES.items()}

#: The losses compare covers, in the table's order.
COVERED = tuple(name for name, loss in LOSSES.items() if loss.frameworks is not None)

_Z = (("z", "logits (any real number; +-inf allowed)"),)

#: The public losses without a record, and why (``compare`` says it for them): none since CTC
#: has one. A loss listed here is left out of the records' tests, ``compare``, the accuracy
#: survey and the API page's table, and its own tests must check it against the frameworks.
WITHOUT_RECORD: dict = {}


LINKS = {link.name: link for link in (
    Link("sigmoid", _links.sigmoid, _Z, {}, _reference.REFERENCES["sigmoid"], logit_grid),
    Link("log_sigmoid", _links.log_sigmoid, _Z, {}, _reference.REFERENCES["log_sigmoid"],
         logit_grid),
    Link("softmax", _links.softmax, _Z, {"axis": -1}, _reference.REFERENCES["softmax"],
         score_rows),
    Link("log_softmax", _links.log_softmax, _Z, {"axis": -1},
         _reference.REFERENCES["log_softmax"], score_rows),
    Link("logsumexp", _links.logsumexp, _Z, {"axis": -1}, _reference.REFERENCES["logsumexp"],
         score_rows),
)}


def cases(name: str) -> list[MatrixCase]:
    """Every case of the agreement matrix for the covered loss ``name``: the notes' examples,
    the seeded batches, the edge cases."""
    loss = LOSSES[name]
    notes = [c for c in loss.cases if c.kind == "notes"]
    return notes + random_cases(name) + [c for c in loss.cases if c.kind == "edge"]


def _absent_cell(fw: Frameworks, framework: str) -> str:
    """"none (why)" for a framework that does not ship the loss: the first sentence of the
    reason; empty when it does."""
    reason = fw.absent.get(framework, "")
    return reason and f"none ({reason.split('. ')[0]})"


def markdown_table() -> str:
    """The table of losses on the API page (``book/api.md``), generated from this registry;
    ``tests/test_registry.py`` checks that the page holds exactly this table."""
    lines = ["| loss | inputs | options | tf.keras | torch.nn.functional |",
             "| --- | --- | --- | --- | --- |"]
    for loss in LOSSES.values():
        inputs = ", ".join(f"`{name}`" for name, _ in loss.inputs)
        options = ", ".join(f"`{k}={v!r}`" for k, v in loss.options.items()) or "-"
        fw = loss.frameworks
        if fw is None:
            keras, torch = "none", f"none ({loss.absent})"
        else:
            opts = {**loss.options}
            keras = _absent_cell(fw, "keras") or f"`{fw.keras_call(opts)}`"
            torch = _absent_cell(fw, "torch") or "<br>".join(
                f"`{text(opts)}`" for _, text, _ in fw.torch)
        lines.append(f"| {{func}}`~lossnotes.{loss.name}` | {inputs} | {options} | "
                     f"{keras} | {torch} |")
    return "\n".join(lines)
