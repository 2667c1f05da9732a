"""The conventions of Keras and torch, as a table of notes: when each applies, what it says.

Each :class:`Rule` is one row: the losses it concerns, the frameworks, the condition on the
inputs under which it applies, its text, and whether it can *explain* a difference (a note that
only describes how a framework was called cannot). :func:`notes` selects the rules that apply to
one call. Every number in a text is formatted from a named constant of :mod:`lossnotes.
_conventions`, so the notes say what the arithmetic of ``like_keras``/``like_torch`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import log

import numpy as np

from .._conventions import KERAS_EPSILON, TORCH_BCE_GRAD_EPS, TORCH_LOG_CLAMP, keras_clip_bounds
from ..like_keras import KERAS_LOG_2
from ..like_torch import TORCH_COSINE_EPS, TORCH_GAUSSIAN_VAR_EPS, TORCH_POISSON_EPS
from . import _frameworks
from ._results import ATOL_ULPS, Note


def sci(x: float, digits: int = 3) -> str:
    """``x`` in scientific notation to ``digits`` significant digits, as the notes print
    numbers: 1e-7, 1.19e-7, 1.000050e-4."""
    mantissa, _, exponent = f"{x:.{digits - 1}e}".partition("e")
    whole, _, fraction = mantissa.partition(".")
    return f"{whole if set(fraction) <= {'0'} else mantissa}e{int(exponent)}"


_EPS = sci(KERAS_EPSILON)
_CLIP_LOSS = -log(KERAS_EPSILON)  # what Keras charges for a certain and wrong prediction
_F32_TOP = float(keras_clip_bounds(np.float32)[1])  # 1 - 1e-7 rounded to float32
#: Keras's log(1 - p) at p = 1e-4 in float32, against the exact -log1p(-p).
_P_SMALL = 1e-4
_KERAS_LOG_1MP = -log(float(np.float32(1) - np.float32(_P_SMALL)))
_EXACT_LOG_1MP = -np.log1p(-float(np.float32(_P_SMALL)))


@dataclass(frozen=True)
class Call:
    """The inputs of one comparison, as the rules see them."""

    y: np.ndarray
    p: np.ndarray
    opts: dict
    grad: bool
    #: The class axis (non-negative) for the categorical losses, else None.
    axis: int | None
    name: str = ""

    @property
    def logits(self) -> bool:
        return bool(self.opts.get("from_logits", False))

    @property
    def probabilities(self) -> bool:
        return "from_logits" in self.opts and not self.logits

    def rows_off(self) -> bool:
        """Whether renormalising a row can move the loss by more than the tolerance's floor:
        dividing by a sum s shifts each log-probability by about s - 1, visible once |s - 1|
        exceeds a few epsilons, even where the exact formula accepts the row."""
        totals = self.p.sum(axis=self.axis, dtype=np.float64)
        return bool((np.abs(totals - 1) > ATOL_ULPS * np.finfo(self.p.dtype).eps).any())

    def clipped(self, q=None) -> bool:
        """Whether Keras's clip to [eps, 1 - eps] moves any of ``q`` (default the predictions)."""
        q = self.p if q is None else q
        lo, hi = keras_clip_bounds(self.p.dtype)
        with np.errstate(invalid="ignore"):
            return bool(((q < lo) | (q > hi)).any() or np.isnan(q).any())

    def one_hot(self) -> np.ndarray:
        from .._registry import one_hot
        return one_hot(self.y, self.p, self.axis)

    def margins(self) -> np.ndarray:
        with np.errstate(invalid="ignore", over="ignore"):
            return np.where(self.y == 0, 0, self.y) * self.p

    @property
    def options(self) -> tuple:
        """The options of the mean and the targets given (the record's ``extra_options``)."""
        return tuple(k for k in OPTIONS if k in self.opts)


@dataclass(frozen=True)
class Rule:
    losses: tuple
    frameworks: tuple
    #: When the rule applies to a call.
    when: Callable[[Call], bool]
    text: str | Callable[[Call], str]
    #: Whether it can explain a difference (a callable decides per call).
    explains: bool | Callable[[Call], bool] = True

    def note(self, call: Call) -> Note:
        text = self.text(call) if callable(self.text) else self.text
        explains = self.explains(call) if callable(self.explains) else self.explains
        return Note(self.frameworks, text, explains=explains)


#: The options of the mean and the targets that compare passes only when given.
OPTIONS = ("sample_weight", "class_weight", "pos_weight", "label_smoothing", "ignore_index")
BCE = ("binary_cross_entropy",)
CCE = ("categorical_cross_entropy",)
SPARSE = ("sparse_categorical_cross_entropy",)
HINGES = ("hinge", "squared_hinge")
K, T, KT = ("keras",), ("torch",), ("keras", "torch")


def _logit_inf(categorical: bool):
    def when(c: Call) -> bool:
        return c.logits and bool(np.isposinf(c.p).any() or (categorical and np.isneginf(c.p).any()))
    return when


_LOGIT_INF_TEXT = (
    "Keras and torch evaluate log_softmax(z) = z - logsumexp(z) without limits: a row holding a "
    "+inf logit gives nan, where lossnotes returns the limit (the +inf logits share the "
    "probability).")


def _dead_row(c: Call) -> bool:
    """A row of only -inf logits, which has no softmax."""
    return c.logits and bool(np.isneginf(c.p).all(axis=c.axis).any())


_DEAD_ROW_TEXT = (
    "A row of only -inf logits has no softmax (every probability would be 0 / 0): Keras and "
    "torch give nan, and lossnotes refuses the row.")


def _torch_clamped(c: Call) -> bool:
    y, p = c.y, c.p
    if c.grad:
        return bool(((1 - p) * p < TORCH_BCE_GRAD_EPS).any())
    tiny = np.exp(TORCH_LOG_CLAMP)
    return bool((((y > 0) & (p < tiny)) | ((y < 1) & (1 - p < tiny))).any())


def _renormalised(c: Call) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return c.p / np.sum(c.p, axis=c.axis, keepdims=True)


def _softmax_rows_off(c: Call) -> bool:
    return c.logits and c.grad and bool((np.sum(c.y, axis=c.axis) != 1).any())


def _overflow_limit(p: np.ndarray) -> float:
    return float(np.log(np.finfo(p.dtype).max))


def _torch_zero_probability(c: Call) -> bool:
    zero = (c.p == 0) if c.grad else ((c.p == 0) & (c.y == 0))
    return c.probabilities and bool(zero.any())


def _hinge_labels(c: Call):
    return bool((c.y == 0).any()), bool((c.y == -1).any())


# focal losses --------------------------------------------------------------------------------

BFOCAL = ("binary_focal_cross_entropy",)


def _gap(c: Call, convention: str, loss: str = "binary_focal_cross_entropy") -> str:
    """The largest difference between the exact values and the convention's on this call."""
    import lossnotes

    from .. import like_keras, like_torch

    like = like_keras if convention == "keras" else like_torch
    name = loss + ("_grad" if c.grad else "")
    kw = {} if c.grad else {"reduction": "none"}
    with np.errstate(all="ignore"):
        try:
            exact = np.asarray(getattr(lossnotes, name)(c.y, c.p, **c.opts, **kw), np.float64)
        except ValueError:  # a row the exact formula refuses
            return "lossnotes refuses these inputs"
        theirs = np.asarray(getattr(like, name)(c.y, c.p, **c.opts, **kw), dtype=np.float64)
        same = (exact == theirs) | (np.isnan(exact) & np.isnan(theirs))
        d = np.where(same, 0, np.abs(exact - theirs))
    worst = float(np.nanmax(d)) if not np.isnan(d).all() else np.nan
    if np.isnan(d).any():
        return "the gap is nan where one side is nan"
    return f"the largest gap here is {worst:.3g}"


CFOCAL = ("categorical_focal_cross_entropy",)
OVERLAPS = ("dice", "tversky")
GCE = ("categorical_generalized_cross_entropy",)


def _gce_picked(c: Call) -> np.ndarray:
    """The true class's probability of each row."""
    return np.sum(np.where(c.one_hot() == 1, c.p, 0), axis=c.axis)


def _keras_softmax(c: Call) -> np.ndarray:
    """The probabilities Keras clips: the softmax of logits (literally), else the renormalised
    row."""
    from .._conventions import literal_softmax

    p = literal_softmax(c.p, c.axis) if c.logits else c.p
    with np.errstate(all="ignore"):
        return p / np.sum(p, axis=c.axis, keepdims=True)


def _cfocal_gap(c: Call, convention: str) -> str:
    return _gap(c, convention, "categorical_focal_cross_entropy")


def _empty_rows(c: Call) -> bool:
    """Whether a row of an overlap loss has no overlap and no weighted misses or additions."""
    a, b = c.opts.get("alpha", 0.5), c.opts.get("beta", 0.5)
    d = np.sum(c.y * c.p + a * c.y * (1 - c.p) + b * (1 - c.y) * c.p, axis=c.axis)
    return bool((d == 0).any())


def _focal_miss(c: Call) -> np.ndarray:
    """1 - p_t as the frameworks form it, by subtraction."""
    with np.errstate(all="ignore"):
        p = 1 / (1 + np.exp(-c.p)) if c.logits else c.p
        s = c.opts["label_smoothing"]
        y = c.y * (1 - s) + 0.5 * s
        return 1 - (y * p + (1 - y) * (1 - p))


def _focal_torch_text(c: Call) -> str:
    alpha = (f"alpha={c.opts['alpha']!r}" if c.opts["apply_class_balancing"] else
             "alpha=-1 (no class weight; torchvision's default alpha=0.25 would multiply each "
             "term by alpha_t = 0.25 y + 0.75 (1 - y))")
    return ("torch.nn.functional has no focal loss: compare writes torchvision.ops."
            "sigmoid_focal_loss in plain torch, ce * (1 - p_t) ** gamma with p_t = p y + (1 - p)"
            "(1 - y) and ce = F.binary_cross_entropy_with_logits (F.binary_cross_entropy on "
            f"probabilities), with {alpha}. Keras weights the classes only with "
            "apply_class_balancing=True (default False): the same alpha=0.25 does nothing there.")


FOCAL_RULES = (
    Rule(BFOCAL, T, lambda c: True, _focal_torch_text, explains=False),
    Rule(BFOCAL, K, lambda c: c.probabilities and c.clipped(), lambda c: (
        f"Keras's focal loss multiplies (1 - p_t)^gamma by its binary cross-entropy, which "
        f"clips probabilities to [{_EPS}, 1 - {_EPS}]: a certain and wrong prediction costs "
        f"(1 - p_t)^gamma * {_CLIP_LOSS:.3f} instead of inf and the cross-entropy's part of the "
        f"gradient is 0 where it clipped (lossnotes: exact, inf); {_gap(c, 'keras')}.")),
    Rule(BFOCAL, T, lambda c: c.probabilities and _torch_clamped(c), lambda c: (
        f"F.binary_cross_entropy clamps each log at {TORCH_LOG_CLAMP:g}, so a certain and "
        f"wrong prediction costs (1 - p_t)^gamma * {-TORCH_LOG_CLAMP:g} instead of inf, and its "
        "backward divides by max(p(1 - p), 1e-12) (lossnotes: the exact derivative, infinite "
        f"there); {_gap(c, 'torch')}.")),
    Rule(BFOCAL, KT, lambda c: c.logits and bool(np.isinf(c.p).any()), lambda c: (
        "From logits both frameworks evaluate the cross-entropy literally (Keras's sigmoid "
        "output remembers its logits and binary_crossentropy uses them: no clip), and an "
        "infinite logit gives nan (0 * inf or inf - inf) where the exact loss is 0 for a right "
        "infinite logit and inf for a wrong one; the derivative's factor p (1 - p) = 0 then "
        "multiplies an infinite cross-entropy (nan), where lossnotes takes the limit 0.")),
    Rule(BFOCAL, KT, lambda c: c.grad and c.opts["gamma"] < 1 and bool(
        (_focal_miss(c) == 0).any()), lambda c: (
        f"At a certain right answer (1 - p_t = 0) with gamma = {c.opts['gamma']:g} < 1, both "
        "autograds take the derivative of (1 - p_t)^gamma as gamma (1 - p_t)^(gamma - 1) = inf "
        "and carry it through p_t = p y + (1 - p)(1 - y), where it meets a label of 0: "
        "inf * 0 = nan. The derivative's limit there is 0 (m^(gamma - 1) B -> 0 as the "
        f"cross-entropy B vanishes), which lossnotes returns; {_gap(c, 'torch')}.")),
    # categorical
    Rule(CFOCAL, K, lambda c: True, lambda c: (
        f"Keras's alpha (here {c.opts['alpha']:g}) is one weight on every term, always "
        "applied: not a per-class weight, and with no switch like the binary loss's "
        "apply_class_balancing."), explains=False),
    Rule(CFOCAL, T, lambda c: True, (
        "Neither torch.nn.functional nor torchvision has a categorical focal loss: compare "
        "writes it in plain torch, -(alpha (1 - p)^gamma y log p).sum(dim=1), with log p from "
        "F.log_softmax (torch.log on probabilities) and p = exp(log p)."), explains=False),
    Rule(CFOCAL, K, lambda c: c.probabilities and c.grad, lambda c: (
        "Keras differentiates through its renormalisation p / sum(p): its gradient is the exact "
        "one plus one constant per row (along (1, ..., 1), a direction that leaves the simplex), "
        f"and 0 wherever it clipped; {_cfocal_gap(c, 'keras')}.")),
    Rule(CFOCAL, K, lambda c: c.clipped(_keras_softmax(c)), lambda c: (
        f"Keras renormalises each row{' after its softmax' if c.logits else ''} and clips it "
        f"to [{_EPS}, 1 - {_EPS}] before the log and the focal factor: a true class with "
        f"probability 0 (or a softmax that rounds to 0) costs alpha (1 - {_EPS})^gamma "
        f"{_CLIP_LOSS:.3f} instead of its true cost, a certain right one a tiny positive "
        "amount instead of 0, and the gradient is 0 wherever it clipped; "
        f"{_cfocal_gap(c, 'keras')}.")),
    Rule(CFOCAL, K, lambda c: c.logits and bool(np.isposinf(c.p).any()), (
        "Keras's softmax of a row holding a +inf logit is nan (inf - inf); lossnotes takes the "
        "limit (the +inf logits share the probability).")),
    Rule(CFOCAL, T, lambda c: c.logits and bool(np.isinf(c.p).any()), (
        "F.log_softmax of a row holding +inf is nan, and a -inf logit gives log p = -inf, "
        "which a target of 0 turns into 0 * -inf = nan (lossnotes drops the term, and takes "
        "the limits).")),
    Rule(CFOCAL, T, lambda c: c.probabilities and bool(
        ((c.p == 0) & ((c.y == 0) | c.grad)).any() or (c.grad and c.opts["gamma"] < 1 and (
            c.p == 1).any())), (
        "The plain torch formula multiplies literally: log 0 = -inf times a target of 0 gives "
        "nan (lossnotes takes 0 log 0 = 0), its gradient divides by p = 0, and at p = 1 with "
        "gamma < 1 the derivative gamma (1 - p)^(gamma - 1) = inf meets log 1 = 0 (nan; "
        "lossnotes: the limit 0).")),
    # robust classification
    Rule(GCE, K, lambda c: True, (
        "keras.losses.categorical_generalized_cross_entropy (from Keras 3.10.0) takes class "
        "indices despite its name, and its q has no default."), explains=False),
    Rule(GCE, K, lambda c: c.grad and c.opts["q"] < 1 and bool(
        (_gce_picked(c) == 0).any()), (
        "Keras picks the true class's probability as sum(y_pred * one_hot): where it is 0 the "
        "derivative -q p^(q - 1) / q = -inf reaches the other classes multiplied by 0, which "
        "gives nan (lossnotes: 0 there).")),
    Rule(GCE, T, lambda c: True, (
        "torch has no generalized cross-entropy: compare writes (1 - p_c ** q) / q in plain "
        "torch, with p_c gathered along the class dimension."), explains=False),
    # segmentation overlaps
    Rule(OVERLAPS, K, lambda c: True, lambda c: (
        f"keras.losses.{c.name} reduces over axis=None by default, every axis: one loss for the "
        "whole batch, not one per sample; compare calls it row by row (its axis= argument "
        f"arrived in Keras {'3.4.0' if c.name == 'dice' else '3.8.0'})."), explains=False),
    Rule(OVERLAPS, K, lambda c: True, lambda c: (
        "Keras adds 1e-7 (keras.config.epsilon()) to the denominator, so a perfect prediction "
        "costs about 1e-7 / denominator instead of 0 and an empty row 1 instead of 0 / 0 "
        f"(which lossnotes refuses); {_gap(c, 'keras', c.name)}.")),
    Rule(("tversky",), K, lambda c: True, (
        "Keras's tversky weights sum((1 - y_pred) * y_true), the target mass the prediction "
        "misses, by alpha (it calls it fp), and sum(y_pred * (1 - y_true)) by beta: Salehi et "
        "al.'s alpha weights false positives, so their alpha is Keras's beta. lossnotes follows "
        "Keras's weights."), explains=False),
    Rule(OVERLAPS, T, lambda c: _empty_rows(c), (
        "A row with an empty target and an empty prediction is 0 / 0: nan in the plain torch "
        "formula, refused by lossnotes.")),
    Rule(OVERLAPS, T, lambda c: True, lambda c: (
        f"torch has no {c.name} loss: compare writes it in plain torch, summing over the row "
        "(dimension 1), with no epsilon: an empty row is 0 / 0 = nan."), explains=False),
)


RULES = (
    # binary cross-entropy --------------------------------------------------------------------
    Rule(BCE, K, lambda c: c.logits and not c.grad and bool(np.isinf(c.p).any()), (
        "Keras evaluates max(z, 0) - z y + log(1 + exp(-|z|)) literally "
        "(tf.nn.sigmoid_cross_entropy_with_logits): an infinite logit gives nan (0 * inf or "
        "inf - inf), except z = -inf with y = 1, which gives inf; the exact loss is 0 for a "
        "right infinite logit and inf for a wrong one.")),
    Rule(BCE, T, lambda c: c.logits and not c.grad and bool(np.isinf(c.p).any()), (
        "torch evaluates (1 - y) z - log sigmoid(z) literally: an infinite logit gives nan "
        "wherever 0 * inf or inf - inf appears.")),
    Rule(BCE, K, lambda c: c.probabilities and c.clipped(), (
        f"Keras clips probabilities to [{_EPS}, 1 - {_EPS}] before taking "
        f"logs (1 - {_EPS} rounds to {_F32_TOP:.8f} in float32): a certain and wrong "
        f"prediction costs -log({_EPS}) = {_CLIP_LOSS:.3f} "
        f"({-log(1 - _F32_TOP):.3f} at p = 1 in float32) instead of inf, a certain and right one "
        f"{_EPS} ({sci(1 - _F32_TOP)} in float32) instead of 0, and the gradient is 0 "
        "wherever it clipped.")),
    Rule(BCE, K, lambda c: c.probabilities and c.p.dtype == np.float32 and bool(
        ((c.y < 1) & (c.p > 0) & (c.p < 1e-3)).any()), (
        "Keras evaluates log(1 - p) with log, not log1p: in float32 a small p loses relative "
        f"precision (p = {sci(_P_SMALL)} costs {sci(_KERAS_LOG_1MP, 7)} instead of "
        f"{sci(_EXACT_LOG_1MP, 7)}), a difference below the tolerance's absolute floor.")),
    Rule(BCE, T, lambda c: c.probabilities and _torch_clamped(c), (
        f"torch clamps each log at {TORCH_LOG_CLAMP:g}: a certain and wrong prediction costs "
        f"{-TORCH_LOG_CLAMP:g} instead of inf. Its backward ignores the clamp and divides by "
        "max(p(1 - p), 1e-12): the derivative is -1e12 (not -inf) at p = 0, y = 1, and finite "
        "(not 0) where Keras clipped.")),
    # categorical cross-entropy ---------------------------------------------------------------
    Rule(CCE, KT, _logit_inf(categorical=True), _LOGIT_INF_TEXT + (
        " In categorical cross-entropy a target of 0 times a log-probability of -inf gives nan "
        "as well; lossnotes takes 0 log 0 = 0.")),
    Rule(CCE, K, _softmax_rows_off, (
        "TensorFlow's softmax_cross_entropy_with_logits backpropagates softmax(z) - y, which is "
        "the derivative of its loss only when each target row sums to 1: for a row summing to s "
        "the derivative is s softmax(z) - y (lossnotes and torch).")),
    Rule(CCE, K, lambda c: c.probabilities and c.rows_off(), (
        "Keras divides each row of probabilities by its sum before clipping, so a row that does "
        "not sum to 1 is renormalised; lossnotes' exact formula takes a row whose sum is 1 up to "
        "rounding (sqrt(eps)) as it is and refuses the others.")),
    Rule(CCE, KT, lambda c: c.probabilities and c.grad, (
        "Both frameworks differentiate through their renormalisation: the gradient is "
        "-y/p + sum(y)/sum(p), the exact -y/p plus one constant per row (along (1, ..., 1), a "
        "direction that leaves the simplex); Keras's is 0 where it clipped.")),
    Rule(CCE, K, lambda c: c.probabilities and c.clipped(_renormalised(c)), (
        f"Keras clips the renormalised probabilities to [{_EPS}, 1 - "
        f"{_EPS}]: a true class with probability 0 costs -log({_EPS}) = "
        f"{_CLIP_LOSS:.3f} instead of inf, a certain right one {_EPS}, and the "
        "gradient is 0 wherever it clipped; an all-zero row is 0/0 = nan.")),
    Rule(CCE, T, lambda c: c.probabilities, (
        "torch has no cross-entropy on probabilities: compare passes log p as the logits of "
        "F.cross_entropy (probability targets), whose log_softmax turns log p into "
        "log(p / sum p): torch renormalises each row too."),
        explains=lambda c: c.grad or c.rows_off()),
    Rule(CCE, T, _torch_zero_probability, (
        "A probability of exactly 0 is log 0 = -inf in torch; multiplied by a target of 0 it "
        "gives nan (lossnotes takes 0 log 0 = 0), and its gradient is 0/0 = nan.")),
    # sparse categorical cross-entropy --------------------------------------------------------
    Rule(SPARSE, KT, _logit_inf(categorical=False), _LOGIT_INF_TEXT),
    Rule(CCE + SPARSE, KT, _dead_row, _DEAD_ROW_TEXT),
    Rule(SPARSE, K, lambda c: c.probabilities and (c.rows_off() or c.clipped() or c.grad), (
        f"Keras clips the probabilities to [{_EPS}, 1 - {_EPS}], takes "
        "their log and then the log-softmax of that: -log(p_c / sum p) over the clipped row. "
        "Rows are renormalised after clipping (the reverse of its categorical order), a true "
        f"class with probability 0 costs about {_CLIP_LOSS:.3f} instead of inf, and the gradient "
        "is (p/sum(p) - [k = c]) / p inside the clip range, 0 outside.")),
    Rule(SPARSE, T, lambda c: c.probabilities, lambda c: (
        "torch has no cross-entropy on probabilities: compare passes log p to F.nll_loss, which "
        "takes log-probabilities as they are: no renormalisation, no clipping."
        + (" A row that does not sum to 1 is refused by lossnotes' exact formula (beyond "
           "rounding); torch's value is -log p_c." if c.rows_off() else "")),
        explains=lambda c: c.rows_off()),
    Rule(SPARSE, T, lambda c: c.probabilities and c.grad and bool(
        ((c.p == 0) & (c.one_hot() == 0)).any()), (
        "autograd through torch.log at p = 0 divides 0 by 0: the gradient of another class's "
        "zero probability is nan (lossnotes: 0).")),
    # regression ------------------------------------------------------------------------------
    Rule(("huber",), T, lambda c: True, (
        "torch's smooth_l1_loss(beta=delta) is Huber divided by delta: the row 'torch "
        "smooth_l1' is delta * smooth_l1_loss(y_pred, y_true, beta=delta), which equals "
        "huber_loss(y_pred, y_true, delta=delta)."), explains=False),
    Rule(("huber",), K, lambda c: c.p.dtype == np.float64 and _frameworks.keras_before(
        _frameworks.KERAS_HUBER_DELTA_IN_PRED_DTYPE), (
        "Keras before 3.4.0 converts delta to a float32 tensor whatever y_pred's dtype, so "
        "keras.losses.huber fails on float64 predictions; with this Keras compare passes delta "
        "as an array of y_pred's dtype, as Keras does itself from 3.4.0."), explains=False),
    # margins ---------------------------------------------------------------------------------
    Rule(HINGES, T, lambda c: True, lambda c: (
        "torch.nn.functional has no classification hinge loss: compare computes it with torch "
        "ops as clamp(1 - y x, min=0)" + (" squared" if c.name == "squared_hinge" else "")
        + ", and "
        "its mean for the reduction. F.hinge_embedding_loss is a different loss: x where y = 1 "
        "and max(0, margin - x) where y = -1."), explains=False),
    Rule(HINGES, K, lambda c: _hinge_labels(c) == (True, False), (
        "Keras converts the labels with 2y - 1 because every label is 0 or 1 (a single -1 "
        "anywhere would turn the conversion off for the whole batch); lossnotes' exact margin "
        "refuses labels in {0, 1}.")),
    Rule(HINGES, K, lambda c: _hinge_labels(c) == (True, True), (
        "Keras does not convert these labels because one of them is -1: the 0 labels are used "
        "as they are (margin 0, loss 1 whatever the score).")),
    Rule(HINGES, T, lambda c: _hinge_labels(c)[0], (
        "The torch formula uses the labels as given: a 0 label makes the margin 0 (loss 1 "
        "whatever the score; nan for an infinite score).")),
    Rule(("hinge",), KT, lambda c: c.grad and bool((c.margins() == 1).any()), (
        "At the kink m = 1 both autograds differentiate 1 - m (TensorFlow's maximum passes a "
        "tie to its first argument, torch's clamp passes the bound): the derivative is -y, "
        "where lossnotes chooses the subgradient 0.")),
    Rule(("logistic",), K, lambda c: True, (
        "Keras has no margin loss on labels in {-1, +1}: compare calls "
        "binary_crossentropy(t, score, from_logits=True) with t = (y + 1)/2, the same function "
        "of the score."), explains=False),
    Rule(("logistic",), K, lambda c: not c.grad and bool(np.isinf(c.p).any()), (
        "Keras evaluates max(z, 0) - z t + log(1 + exp(-|z|)) literally: an infinite score "
        "gives nan (0 * inf or inf - inf), except a -inf score with y = +1 (inf); the exact "
        "loss is 0 for a right infinite score.")),
    Rule(("logistic",), T, lambda c: bool((-c.margins() > _overflow_limit(c.p)).any()),
         lambda c: (
        "F.soft_margin_loss evaluates log(1 + exp(-y x)) directly: exp overflows for a margin "
        f"below -{_overflow_limit(c.p):.1f} in {c.p.dtype}, so the loss is inf instead of -m "
        "and the gradient nan (inf/inf) instead of -y.")),
    # focal losses ----------------------------------------------------------------------------
    *FOCAL_RULES,
)

# multiclass margins, similarity and metric learning ------------------------------------------


def _rows_last(c: Call):
    """The scores with the classes last, and the true class's mask."""
    z = np.moveaxis(c.p, c.axis, -1)
    if c.name == "multi_margin_loss":
        true = np.moveaxis(c.one_hot(), c.axis, -1) == 1
    else:
        true = np.moveaxis(c.y, c.axis, -1) == 1
    return z, true


def _keras_rival_is_zero(c: Call) -> bool:
    """Rows where Keras's max((1 - y) z) is the true class's 0, not the best rival's score."""
    z, true = _rows_last(c)
    with np.errstate(invalid="ignore"):
        rival = np.max(np.where(true, -np.inf, z), axis=-1)
    return bool((rival <= 0).any())


def _keras_hinge_kink(c: Call) -> bool:
    z, true = _rows_last(c)
    with np.errstate(invalid="ignore"):
        m = z[true].reshape(true.shape[:-1]) - np.max(np.where(true, -np.inf, z), axis=-1)
    return c.grad and bool((m == 1).any())


def _same_infinity(c: Call) -> bool:
    z, true = _rows_last(c)
    z_y = z[true].reshape(true.shape[:-1])[..., None]
    return bool(((z == z_y) & np.isinf(z) & ~true).any())


def _torch_rounds_the_kink(c: Call) -> bool:
    """Whether torch's (margin - z_y) + z_j and lossnotes' margin - (z_y - z_j) (in its working
    dtype) disagree on the sign of a rival's term: a kink that rounding moves."""
    from .._multiclass_margin import _WORK

    z, true = _rows_last(c)
    z_y = z[true].reshape(true.shape[:-1])[..., None]
    margin = c.opts["margin"]
    with np.errstate(invalid="ignore", over="ignore"):
        theirs = (z.dtype.type(margin) - z_y) + z
        work = _WORK.get(z.dtype, z.dtype)
        ours = work.type(margin) - (z_y.astype(work) - z.astype(work))
    return c.grad and bool((((theirs > 0) != (ours > 0)) & ~true).any())


def _zero_weight_infinite_rival(c: Call) -> bool:
    w = c.opts.get("weight")
    if w is None:
        return False
    z, true = _rows_last(c)
    w_y = np.asarray(w, dtype=np.float64)[np.argmax(true, axis=-1)]
    z_y = z[true].reshape(true.shape[:-1])[..., None]
    with np.errstate(invalid="ignore"):
        infinite = np.isposinf((c.opts["margin"] - z_y) + z) & ~true
    return bool(((w_y == 0) & infinite.any(axis=-1)).any())


RULES += (
    Rule(("categorical_hinge",), K, _keras_rival_is_zero, (
        "Keras computes max((1 - y) z) - sum(y z) + 1: the true class enters the maximum as "
        "0 * z_y = 0, so its rival is max(0, best other score). Where every other score is "
        "negative Keras charges max(0, 1 - z_y) instead of max(0, 1 - z_y + max_{j != y} z_j), "
        "more by up to |max_{j != y} z_j|, and its gradient has no +1 at the rival; where the "
        "best other score is exactly 0, the true class's 0 ties with it and tf.reduce_max "
        "shares the +1 among the tied entries, so the rivals get only part of it.")),
    Rule(("categorical_hinge",), K, lambda c: bool(np.isinf(c.p).any()), (
        "Keras multiplies every score by a 0 or a 1 (y z and (1 - y) z): an infinite score "
        "gives 0 * inf = nan in the loss, and tf.reduce_max's gradient of a nan maximum is "
        "0/0 = nan; the exact loss is 0 for an infinite true score and inf for an infinite "
        "rival.")),
    Rule(("categorical_hinge",), K, _keras_hinge_kink, (
        "At the kink (margin exactly 1, loss 0) tf.maximum(e, 0) passes the gradient to its "
        "first argument: -1 at the true class and +1 at the rival, where lossnotes chooses the "
        "subgradient 0.")),
    Rule(("multi_margin_loss",), T, _same_infinity, (
        "torch computes (margin - z_y) + z_j: with the true class and a rival at the same "
        "infinity that is inf - inf = nan, which fails its test d > 0, so the pair costs 0 (and "
        "passes no gradient); the margin has no value and lossnotes refuses it.")),
    Rule(("multi_margin_loss",), T, _torch_rounds_the_kink, (
        "torch rounds (margin - z_y) + z_j where lossnotes computes margin - (z_y - z_j) (exact "
        "wherever z_y - z_j is): for a rival on the margin up to one rounding the two disagree "
        "on the sign of that term, and torch's gradient has w_y/C there (p=1) where lossnotes "
        "has the subgradient 0; the losses differ by one rounding.")),
    Rule(("multi_margin_loss",), T, _zero_weight_infinite_rival, (
        "torch multiplies each term by the class weight after the power: a weight of 0 times "
        "an infinite term (a rival at +inf, or the true class at -inf) is nan (and so is its "
        "gradient for p=2), where lossnotes "
        "takes a weight of 0 to ignore the sample and returns 0.")),
)



# divergences, counts and positive targets, robust regression ---------------------------------


def _gap_text(c: Call, framework: str) -> str:
    """How far the framework's arithmetic (like_keras / like_torch) is from the exact values on
    these inputs, as a sentence: the size of the gap a note explains."""
    import lossnotes

    from .. import _registry, like_keras, like_torch

    spec = _registry.LOSSES[c.name].frameworks
    compute = spec.hand_grad if c.grad else spec.hand
    module = like_keras if framework == "keras" else like_torch
    try:
        with np.errstate(all="ignore"):
            exact = np.asarray(compute(lossnotes, c.y, c.p, c.opts), dtype=np.float64)
            theirs = np.asarray(compute(module, c.y, c.p, c.opts), dtype=np.float64)
    except ValueError:
        return ""
    same = (exact == theirs) | (np.isnan(exact) & np.isnan(theirs))
    with np.errstate(invalid="ignore"):
        gap = np.abs(exact - theirs)
    finite = gap[~same & np.isfinite(gap)]
    parts = []
    if finite.size:
        parts.append(f"differ by up to {sci(float(finite.max()))}")
    odd = ~same & ~np.isfinite(gap)
    if odd.any():
        k = int(np.argmax(odd))
        parts.append(f"give {theirs.flat[k]:.6g} where the exact value is {exact.flat[k]:.6g}")
    what = "derivatives" if c.grad else "values"
    return f" On these inputs the {what} " + " and ".join(parts) + "." if parts else ""


def _kl_keras_clipped(c: Call) -> bool:
    lo = np.asarray(KERAS_EPSILON, dtype=c.p.dtype)
    return bool((c.y < lo).any() or (c.p < lo).any())


def _kl_torch_reduction(c: Call) -> str:
    from .. import like_torch

    text = (
        "torch's F.kl_div(input, target) takes the log of the prediction as input "
        "(log_target=True takes the target as a log too), and its reduction='mean' divides "
        "the sum by the number of elements N C, the divergence divided by C; "
        "reduction='batchmean' divides by input.size(0), which is the mean per row only for "
        "an (N, C) input: compare sums reduction='none' over the classes.")
    try:
        with np.errstate(all="ignore"):
            rows = like_torch.kl_divergence(c.y, c.p, axis=c.axis, reduction="none")
    except ValueError:
        return text
    classes = c.p.shape[c.axis]
    mean = float(np.mean(rows))
    return text + (f" Here reduction='mean' would give {mean / classes:.6g}, the mean "
                   f"divergence {mean:.6g} divided by C = {classes}.")


def _poisson_counts(c: Call) -> bool:
    return bool((c.y > 0).any())


def _torch_stirling(c: Call) -> bool:
    return c.opts.get("full", False) and not c.grad and bool((c.y > 0).any())


KL, POISSON = ("kl_divergence",), ("poisson",)

RULES_A = (
    Rule(KL, K, _kl_keras_clipped, lambda c: (
        f"Keras clips both arguments to [{_EPS}, 1] before sum p log(p/q): a target of 0 "
        f"costs {_EPS} log({_EPS}/q) instead of 0, a prediction of 0 under a positive target "
        f"p costs p log(p/{_EPS}) instead of inf, and the gradient is 0 where the prediction "
        "was clipped." + _gap_text(c, "keras"))),
    Rule(KL, T, lambda c: bool(((c.y == 0) & (c.p == 0)).any()), lambda c: (
        "torch computes xlogy(p, p) - p log q per class: where p = q = 0 the second term is "
        "0 * (-inf) = nan, and autograd's -p/q is 0/0 = nan; lossnotes takes 0 log(0/0) = 0 "
        "and the derivative 0." + _gap_text(c, "torch"))),
    Rule(KL, T, lambda c: not c.grad, _kl_torch_reduction, explains=False),
    Rule(POISSON, K, _poisson_counts, lambda c: (
        f"Keras computes rate - y log(rate + {_EPS}) (keras.config.epsilon() inside the log): "
        f"every loss is shifted by about y {_EPS}/rate, a rate of 0 costs -y log({_EPS}) = "
        f"{_CLIP_LOSS:.3f} y instead of inf, and the derivative is 1 - y/(rate + {_EPS})."
        + _gap_text(c, "keras"))),
    Rule(POISSON, K, lambda c: c.opts.get("log_input", False), (
        "Keras has no log-rate form: compare passes keras.ops.exp(y_pred) as the rate, whose "
        "log Keras takes again with its epsilon (a log-rate of -1000 underflows to the rate 0 "
        f"and costs {_CLIP_LOSS:.3f} y instead of 1000 y)."), explains=False),
    Rule(POISSON, K, lambda c: c.opts.get("full", False) and not c.grad, (
        "Keras has no full=True form: compare adds mean(tf.math.lgamma(y_true + 1), axis=-1), "
        "the exact log y!, to keras.losses.poisson."), explains=False),
    Rule(POISSON, T, lambda c: not c.opts.get("log_input", False) and _poisson_counts(c),
         lambda c: (
        f"torch's poisson_nll_loss(log_input=False) computes rate - y log(rate + eps) with "
        f"eps = {sci(TORCH_POISSON_EPS)}: every loss is shifted by about y eps/rate, a rate of 0 "
        f"costs {-log(TORCH_POISSON_EPS):.3f} y instead of inf, and the derivative is "
        "1 - y/(rate + eps)." + _gap_text(c, "torch"))),
    Rule(POISSON, T, _torch_stirling, lambda c: (
        "With full=True torch adds Stirling's approximation y log y - y + log(2 pi y)/2 of "
        "log y!, and only where y > 1 (0 where y <= 1); lossnotes adds log y! = lgamma(y + 1) "
        "exactly (at y = 2 torch adds 0.651806 instead of log 2 = 0.693147)."
        + _gap_text(c, "torch"))),
    Rule(POISSON, T, lambda c: True, (
        "torch's poisson_nll_loss defaults to log_input=True (y_pred is a log-rate) and "
        "full=False; compare passes both explicitly. Keras's poisson takes the rate."),
        explains=False),
)

RULES_A += (
    Rule(("gaussian_nll_loss",), T, lambda c: bool(
        (np.asarray(c.opts["var"]) < TORCH_GAUSSIAN_VAR_EPS).any()), lambda c: (
        "torch's gaussian_nll_loss clamps the variance to at least eps = "
        f"{sci(TORCH_GAUSSIAN_VAR_EPS)} (its default) before 0.5 (log var + r^2 / var), without "
        "telling autograd; a smaller variance counts as eps in the loss and in the derivative "
        "(y_pred - y_true) / var." + _gap_text(c, "torch"))),
    Rule(("gaussian_nll_loss",), K, lambda c: True, (
        "Keras has no Gaussian negative log-likelihood: compare computes "
        "0.5 * (log(var) + square(y_pred - y_true) / var) with keras.ops (plus 0.5 log(2 pi) "
        "for full=True), averaged over the last axis as a Keras loss is."), explains=False),
)

RULES_A += (
    Rule(("log_cosh",), T, lambda c: True, lambda c: (
        "torch.nn.functional has no log-cosh loss: compare computes |x| + softplus(-2|x|) - "
        "log 2 (x = y_pred - y_true) with torch ops, and its mean; the literal "
        f"torch.log(torch.cosh(x)) is inf beyond |x| = {_overflow_limit(c.p) + log(2):.1f} in "
        f"{c.p.dtype}, where the loss is |x| - log 2."), explains=False),
    Rule(("log_cosh",), K, lambda c: not c.grad and c.p.dtype == np.float64, lambda c: (
        "keras.losses.log_cosh computes log 2 as ops.log(2.0) in float32 and casts it to "
        f"float64 ({KERAS_LOG_2!r} instead of {log(2)!r}): every float64 value is "
        f"{sci(KERAS_LOG_2 - log(2))} below the loss." + _gap_text(c, "keras"))),
    Rule(("log_cosh",), K, lambda c: not c.grad and bool((np.abs(c.y - c.p) < 1e-4).any()), (
        "keras.losses.log_cosh computes x + softplus(-2x) - log 2: it never overflows, but for "
        "small |x| it subtracts log 2 from a number close to it, so x^2/2 keeps only its "
        "absolute accuracy (about 1e-16 in float64), within the tolerance's absolute floor; "
        "lossnotes computes log(1 + 2 sinh(x/2)^2) there."), explains=False),
)

MAPE = ("mean_absolute_percentage_error",)
RULES_A += (
    Rule(MAPE, K, lambda c: bool((np.abs(c.y) < KERAS_EPSILON).any()), lambda c: (
        f"Keras divides by max(|y_true|, {_EPS}) instead of |y_true|: a target of 0 (refused "
        f"by lossnotes, whose percentage is undefined) costs 100 |y_pred| / {_EPS} = "
        "1e9 |y_pred|, and its derivative is 1e9 sign(y_pred)." + _gap_text(c, "keras"))),
    Rule(MAPE, T, lambda c: True, (
        "torch has no percentage error: compare computes 100 * (y_pred - y_true).abs() / "
        "y_true.abs() with torch ops, and its mean."), explains=False),
    Rule(MAPE, T, lambda c: bool((c.y == 0).any()), lambda c: (
        "With torch ops a target of 0 divides by 0: the loss and its derivative are inf, or "
        "nan (0/0) where the prediction is 0 too." + _gap_text(c, "torch"))),
)


MSLE = ("mean_squared_logarithmic_error",)
RULES_A += (
    Rule(MSLE, K, lambda c: bool((c.y < KERAS_EPSILON).any() or (c.p < KERAS_EPSILON).any()),
         lambda c: (
             f"Keras raises every value below {_EPS} to {_EPS} before log(x + 1): a value of 0 "
             f"counts as {_EPS}, and a negative prediction is clipped, not refused (its "
             "derivative there is 0, as maximum passes none to the value it replaces)."
             + _gap_text(c, "keras"))),
    Rule(MSLE, K, lambda c: True, (
        "keras.losses.mean_squared_logarithmic_error subtracts log(y_pred + 1) and "
        "log(y_true + 1): near y_pred = y_true the two logs cancel and their difference keeps "
        "only their absolute accuracy, within the tolerance's absolute floor; lossnotes "
        "takes log1p((y_pred - y_true) / (1 + y_true))."), explains=False),
    Rule(MSLE, T, lambda c: True, (
        "torch has no squared logarithmic error: compare computes F.mse_loss(torch.log1p("
        "y_pred), torch.log1p(y_true)) with torch ops, which gives nan below -1."),
         explains=False),
)

COSINE = ("negative_cosine_similarity",)


def _row_norms(c: Call) -> np.ndarray:
    """The norms of the rows of y_true and y_pred along the axis, as computed in float64
    (inf where the squared norm overflows the inputs' dtype)."""
    big = float(np.finfo(c.p.dtype).max)
    with np.errstate(over="ignore"):
        squares = [np.sum(np.square(x, dtype=np.float64), axis=c.axis) for x in (c.y, c.p)]
    return np.stack([np.where(s > big, np.inf, np.sqrt(s)) for s in squares])


def _short_rows(c: Call, eps: float) -> bool:
    return bool((_row_norms(c) < eps).any())


def _overflowing_rows(c: Call) -> bool:
    return bool(np.isinf(_row_norms(c)).any())


_TORCH_EPS = sci(TORCH_COSINE_EPS)
RULES_A += (
    Rule(COSINE, K, lambda c: _short_rows(c, KERAS_EPSILON), lambda c: (
        f"Keras normalises each row as x * min(rsqrt(sum(x^2)), 1/{_EPS}): a row shorter than "
        f"{_EPS} is divided by {_EPS} instead of its length, so a zero vector (refused by "
        "lossnotes: it has no direction) scores 0 and a short one less than its cosine; the "
        "derivative there is that of a constant factor." + _gap_text(c, "keras"))),
    Rule(COSINE, T, lambda c: _short_rows(c, TORCH_COSINE_EPS), lambda c: (
        f"F.cosine_similarity divides each row by max(|x|, {_TORCH_EPS}) (its eps, clamped "
        "without telling autograd): a zero vector (refused by lossnotes: it has no direction) "
        f"scores 0 and a row shorter than {_TORCH_EPS} less than its cosine."
        + _gap_text(c, "torch"))),
    Rule(COSINE, KT, _overflowing_rows, lambda c: (
        f"The squared norm of a row overflows {c.p.dtype}: Keras's rsqrt gives 0 and torch "
        "divides by inf, so both score 0 (and a derivative of 0); lossnotes scales each row "
        "by a power of 2 first and gives the cosine." + _gap_text(c, "keras"))),
    Rule(COSINE, T, lambda c: True, (
        "torch's F.cosine_similarity is the similarity itself, not a loss: compare negates "
        "it, as Keras's loss does (F.cosine_embedding_loss is 1 - cos for similar pairs)."),
         explains=False),
)

def _log_rows_off(c: Call) -> bool:
    """Whether renormalising the rows of log-probabilities moves the loss beyond rounding."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        totals = np.exp(c.p).sum(axis=c.axis, dtype=np.float64)
    return bool((np.abs(totals - 1) > ATOL_ULPS * np.finfo(c.p.dtype).eps).any())


NLL = ("nll_loss",)
RULES_A += (
    Rule(NLL, K, lambda c: not c.grad and _log_rows_off(c), lambda c: (
        "Keras's sparse_categorical_crossentropy(from_logits=True) applies log_softmax: it "
        "computes -y_pred[c] + log(sum exp(y_pred)), which renormalises a row whose "
        "probabilities do not sum to 1; nll_loss takes -y_pred[c] as it is (as F.nll_loss "
        "does)." + _gap_text(c, "keras"))),
    Rule(NLL, K, lambda c: c.grad, lambda c: (
        "Keras differentiates the softmax cross-entropy of logits: softmax(y_pred) - [k = c], "
        "which for log-probabilities is p - [k = c]; the derivative of nll_loss with respect "
        "to its log-probabilities is -[k = c] (the two differ by p: Keras's moves y_pred "
        "along the rows' normalisation as well)." + _gap_text(c, "keras"))),
    Rule(NLL, K, lambda c: not c.grad, (
        "Keras has no loss on log-probabilities: compare calls "
        "sparse_categorical_crossentropy(labels, y_pred, from_logits=True), whose log_softmax "
        "leaves a row of log-probabilities as it is."), explains=False),
    Rule(NLL, T, lambda c: True, (
        "F.nll_loss(input, target) takes log-probabilities and picks -input[c]: no log, no "
        "softmax. F.cross_entropy(z, labels) is F.nll_loss(F.log_softmax(z, dim=1), labels), "
        "and on probabilities p the sparse cross-entropy is F.nll_loss(p.log(), labels)."),
        explains=False),
)

RULES = (*RULES, *RULES_A)
# multilabel losses ---------------------------------------------------------------------------

MULTILABEL_SOFT = ("multilabel_soft_margin_loss",)


def _zero_weight_infinite_logit(c: Call) -> bool:
    """A class of weight 0 whose logit is infinite somewhere (classes along the axis)."""
    w = c.opts.get("weight")
    if w is None:
        return False
    zero = np.asarray(w, dtype=np.float64) == 0
    return bool((np.isinf(np.moveaxis(c.p, c.axis, -1)) & zero).any())


def _right_infinite_logit(c: Call) -> bool:
    """A logit at the infinity its target wants: +inf with y = 1, -inf with y = 0."""
    return bool(((np.isposinf(c.p) & (c.y == 1)) | (np.isneginf(c.p) & (c.y == 0))).any())


RULES += (
    Rule(MULTILABEL_SOFT, K, lambda c: True, lambda c: (
        "Keras has no multilabel soft margin loss and needs none: compare calls "
        "binary_crossentropy(y_true, y_pred, from_logits=True), whose mean over the last axis "
        "is the same function of the logits" + (
            "; with a class weight, the mean over the last axis of weight times "
            "keras.ops.binary_crossentropy (elementwise)." if c.opts.get("weight") is not None
            else ".")), explains=False),
    Rule(MULTILABEL_SOFT, K, lambda c: not c.grad and bool(np.isinf(c.p).any()), (
        "Keras evaluates max(z, 0) - z y + log(1 + exp(-|z|)) literally for each class "
        "(tf.nn.sigmoid_cross_entropy_with_logits): an infinite logit gives nan (inf - inf or "
        "0 * inf), except z = -inf with y = 1 (inf), so the sample's mean is nan where the "
        "exact terms are 0 for a right infinite logit and inf for a wrong one. Its gradient, "
        "sigma(z) - y, is exact.")),
    Rule(MULTILABEL_SOFT, T, lambda c: not c.grad and _right_infinite_logit(c), (
        "torch evaluates -(y log sigmoid(z) + (1 - y) log sigmoid(-z)) literally: a right "
        "infinite logit (+inf with y = 1, -inf with y = 0) gives 0 * (-inf) = nan where the "
        "exact term is 0, and the sample's loss is nan; its autograd still gives the exact "
        "(sigma(z) - y) w / C.")),
    Rule(MULTILABEL_SOFT, KT, lambda c: not c.grad and _zero_weight_infinite_logit(c), (
        "Both frameworks multiply each class's term by its weight after computing it: a weight "
        "of 0 times the inf of a wrong infinite logit is nan, where lossnotes takes a weight of "
        "0 to drop the class's term (0); the gradient, w (sigma(z) - y) / C, is 0 in all "
        "three.")),
)


def _pairs_last(c: Call):
    """Scores with the classes last, and the mask of (target j, non-target k) pairs."""
    z, y = np.moveaxis(c.p, c.axis, -1), np.moveaxis(c.y, c.axis, -1) == 1
    return z, y[..., :, None] & ~y[..., None, :]


def _pair_same_infinity(c: Call) -> bool:
    z, pairs = _pairs_last(c)
    with np.errstate(invalid="ignore"):
        return bool((np.isnan(z[..., :, None] - z[..., None, :]) & pairs).any())


def _torch_rounds_a_pair(c: Call) -> bool:
    """Whether torch's (1 - z_j) + z_k and lossnotes' 1 - (z_j - z_k) (in its working dtype)
    disagree on the sign of a pair's term: a kink that rounding moves."""
    from .._multilabel import _WORK

    z, pairs = _pairs_last(c)
    work = _WORK.get(z.dtype, z.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        theirs = (1 - z)[..., :, None] + z[..., None, :]
        w = z.astype(work)
        ours = 1 - (w[..., :, None] - w[..., None, :])
    return c.grad and bool((((theirs > 0) != (ours > 0)) & pairs).any())


RULES += (
    Rule(("multilabel_margin_loss",), T, lambda c: True, (
        "torch takes the targets as class indices padded with -1 and reads each row up to the "
        "first -1: compare passes, for each row, the classes with y_true = 1 in order, then -1 "
        "(an index given twice would be charged twice; one after a -1 ignored)."),
        explains=False),
    Rule(("multilabel_margin_loss",), T, _pair_same_infinity, (
        "torch computes (1 - z_j) + z_k: with a target class and a non-target class at the "
        "same infinity that is inf - inf = nan, which fails its test d > 0, so the pair costs "
        "0 (and passes no gradient); the margin has no value and lossnotes refuses it.")),
    Rule(("multilabel_margin_loss",), T, _torch_rounds_a_pair, (
        "torch rounds (1 - z_j) + z_k where lossnotes computes 1 - (z_j - z_k) (exact wherever "
        "z_j - z_k is): for a pair 1 apart up to one rounding the two disagree on the sign of "
        "that term, and torch's gradient has -+1/C there where lossnotes has the subgradient "
        "0; the losses differ by one rounding.")),
)


# similarity: the hinge embedding loss ----------------------------------------------------------

EMBEDDING = ("hinge_embedding_loss",)


def _other_labels(c: Call) -> bool:
    return bool(((c.y != 1) & (c.y != -1)).any())


def _embedding_kink(c: Call) -> bool:
    return c.grad and bool(((c.y == -1) & (c.p == c.opts["margin"])).any())


RULES += (
    Rule(EMBEDDING, T, _other_labels, (
        "torch does not check the labels: it computes where(y != 1, max(0, margin - x), 0) + "
        "where(y != -1, x, 0), so a label other than -1 and +1 (0, 2, 0.5) charges both terms, "
        "x + max(0, margin - x), at least the margin, and its derivative is 1 - [x <= margin]; "
        "lossnotes refuses such labels.")),
    Rule(EMBEDDING, T, _embedding_kink, (
        "At the kink (a dissimilar pair exactly margin apart, loss 0) torch's clamp_min passes "
        "the bound: the derivative is -1, where lossnotes chooses the subgradient 0.")),
)


# the options of the cross-entropies: what each framework's mean divides by -------------------

CES = BCE + CCE + SPARSE


class _Weighted:
    """The losses whose records take ``sample_weight`` (the cross-entropies' and every other
    record's, ``_registry._with_sample_weight``): the divisor rules below apply to each."""

    def __contains__(self, name) -> bool:
        from .. import _registry

        loss = _registry.LOSSES.get(name)
        return loss is not None and "sample_weight" in loss.extra_options


WEIGHTED = _Weighted()


def _divisors(c: Call) -> dict:
    """What each module's mean divides the weighted sum by on this call (None where the module
    refuses the inputs): lossnotes', like_keras's and like_torch's, read off the registry."""
    import lossnotes

    from .. import _registry, like_keras, like_torch

    divisor = _registry.LOSSES[c.name].frameworks.divisor
    out = {}
    for key, mod in (("lossnotes", lossnotes), ("keras", like_keras), ("torch", like_torch)):
        try:
            with np.errstate(all="ignore"):
                out[key] = divisor(mod, c.y, c.p, c.opts)
        except ValueError:
            out[key] = None
    return out


def _weighs(c: Call) -> bool:
    return any(c.opts.get(k) is not None for k in ("sample_weight", "class_weight",
                                                   "ignore_index"))


def _divides_otherwise(framework: str):
    def when(c: Call) -> bool:
        if not _weighs(c):
            return False
        d = _divisors(c)
        return None not in (d["lossnotes"], d[framework]) and not np.isclose(
            d["lossnotes"], d[framework], rtol=1e-5, atol=0)
    return when


def _lossnotes_divisor_text(c: Call) -> str:
    sample = "w_i" if c.opts.get("sample_weight") is not None else ""
    if c.opts.get("class_weight") is not None:
        text = (f"the targets' weights, sum of {sample + ' ' if sample else ''}c_(y_i)" if c.name
                in SPARSE and not c.opts.get("label_smoothing") else
                f"the targets' weights, sum over i of {sample + ' ' if sample else ''}sum_k c_k "
                f"y_ik{' (the smoothed targets)' if c.opts.get('label_smoothing') else ''}")
    elif sample:
        text = "the sum of the weights, sum of w_i"
    else:
        text = "the number of values"
    if c.opts.get("ignore_index") is not None:
        text += ", the ignored labels left out"
    return text


def _framework_divisor_text(c: Call, framework: str) -> str:
    ignore = c.opts.get("ignore_index") is not None
    if framework == "keras":
        return ("the number of labels kept (ignore_class masks the others)" if ignore else
                "the number of values N (its default reduction, sum_over_batch_size: a loss "
                "object's mean does not divide by the weights)")
    if c.opts.get("sample_weight") is not None:
        return ("w.sum(), every weight" + (", the ignored labels' included" if ignore else "")
                + " (the mean written by hand: torch has no sample_weight)")
    if c.opts.get("class_weight") is not None and c.name in SPARSE:
        smoothed = (" (of the labels, not of the smoothed targets)"
                    if c.opts.get("label_smoothing") else "")
        return ("the sum of the labels' class weights, sum of c_(y_i)" + smoothed
                + (", the ignored labels left out" if ignore else ""))
    if c.opts.get("class_weight") is not None:
        return ("the number of rows N (with probability targets, F.cross_entropy's mean does "
                "not divide by the weights)")
    return "the number of labels kept" if ignore else "the number of values N"


def _divisor_text(framework: str):
    def text(c: Call) -> str:
        d = _divisors(c)
        name = "Keras" if framework == "keras" else "torch"
        ours, theirs = d["lossnotes"], d[framework]
        what = "derivative of the mean" if c.grad else "mean"
        return (f"{name}'s mean divides the weighted sum of the losses by "
                f"{_framework_divisor_text(c, framework)} = {theirs:.6g}, lossnotes' by "
                f"{_lossnotes_divisor_text(c)} = {ours:.6g}: {name}'s {what} is lossnotes' times "
                f"{ours / theirs:.6g} ({ours:.6g}/{theirs:.6g}) here" + (
                    "" if framework == "keras" and _argmax_class_weight(c) else
                    ", while the weighted values themselves (reduction='none') are the same") + ".")
    return text


def _argmax_class_weight(c: Call) -> bool:
    """Whether Keras's fit weighs a sample otherwise than lossnotes weighs its terms: class
    weights with soft, several-class or smoothed targets."""
    if c.opts.get("class_weight") is None or c.name not in CCE + SPARSE:
        return False
    if c.opts.get("label_smoothing"):
        return True
    return c.name in CCE and bool(((c.y != 0) & (c.y != 1)).any() or (
        np.sum(c.y, axis=c.axis) != 1).any())


def _option_gap(c: Call, framework: str) -> str:
    """The largest difference between lossnotes' weighted values and the convention's."""
    import lossnotes

    from .. import _registry, like_keras, like_torch

    spec = _registry.LOSSES[c.name].frameworks
    hand = spec.hand_grad if c.grad else spec.hand
    like = like_keras if framework == "keras" else like_torch
    try:
        with np.errstate(all="ignore"):
            d = np.abs(np.asarray(hand(lossnotes, c.y, c.p, c.opts), np.float64)
                       - np.asarray(hand(like, c.y, c.p, c.opts), np.float64))
    except ValueError:
        return "lossnotes refuses these inputs"
    return f"the largest gap per value here is {float(np.nanmax(d)):.3g}"


OPTION_RULES = (
    Rule(WEIGHTED, K, _divides_otherwise("keras"), _divisor_text("keras")),
    Rule(WEIGHTED, T, _divides_otherwise("torch"), _divisor_text("torch")),
    Rule(CCE + SPARSE, K, _argmax_class_weight, lambda c: (
        "Keras's losses take no class weights: Model.fit(class_weight=) weighs each sample by "
        "the weight of one class, that of its label (the argmax of its target row), c_k l_i, "
        "where lossnotes (and torch's weight=) weighs each class's term of the target, "
        "-sum_k c_k y_ik log p_ik: with soft or smoothed targets the two differ; "
        f"{_option_gap(c, 'keras')}.")),
    Rule(CCE + SPARSE, K, lambda c: c.opts.get("class_weight") is not None and not (
        _argmax_class_weight(c)), (
        "Keras's losses take no class weights: Model.fit(class_weight=) turns them into "
        "per-sample weights c_(y_i), the weight of each sample's class, which compare passes "
        "as sample_weight."), explains=False),
    Rule(SPARSE, K, lambda c: bool(c.opts.get("label_smoothing")), (
        "keras.losses.sparse_categorical_crossentropy has no label_smoothing: compare one-hots "
        "the labels and calls CategoricalCrossentropy(label_smoothing=), which smooths towards "
        "1/C as lossnotes does."), explains=False),
    Rule(BCE, T, lambda c: bool(c.opts.get("label_smoothing")), lambda c: (
        "torch's binary losses have no label_smoothing: compare smooths the targets by hand as "
        f"Keras does, y (1 - a) + a/2 = y * {1 - c.opts['label_smoothing']!r} + "
        f"{0.5 * c.opts['label_smoothing']!r} (lossnotes computes the same targets as "
        "y + a (1/2 - y), with fewer roundings)."), explains=False),
    Rule(BCE, K, lambda c: c.opts.get("pos_weight") is not None, (
        "Keras's losses have no pos_weight: compare wraps TensorFlow's "
        "tf.nn.weighted_cross_entropy_with_logits, (1 - y) z + (1 + (q - 1) y) log(1 + e^(-z)), "
        "in a keras.losses.Loss, whose __call__ takes the sample weights and reduces."),
        explains=False),
    Rule(BCE, KT, lambda c: c.opts.get("pos_weight") is not None and not c.logits, (
        "Both frameworks have pos_weight on logits only (torch's "
        "binary_cross_entropy_with_logits, TensorFlow's weighted_cross_entropy_with_logits): "
        "with probabilities they cannot be called; lossnotes weighs the term y log p by q."),
        explains=False),
)

RULES += OPTION_RULES
# metric learning: the circle loss ----------------------------------------------------------------

CIRCLE = ("circle",)


def _similarity_above_one(c: Call) -> bool:
    """Whether a pair the loss compares has a dot product above 1 (Keras clamps it)."""
    p = np.asarray(c.p, dtype=np.float64)
    s = p @ p.T
    if c.opts["remove_diagonal"]:
        np.fill_diagonal(s, 0)
    return bool((s > 1).any())


RULES += (
    Rule(CIRCLE, K, _similarity_above_one, lambda c: (
        "Keras computes the similarity as 1 - d with the cosine distance d = max(1 - x_i . x_j, "
        "0): it expects L2-normalized embeddings and counts a dot product above 1 as 1, where "
        f"lossnotes takes the dot product as it is; {_gap(c, 'keras', 'circle')}.")),
    Rule(CIRCLE, K, lambda c: True, (
        "The circle loss is a loss of the whole batch: each sample's value depends on every "
        "other embedding, so compare passes the batch whole and differentiates the sum (and "
        "the mean) of the per-sample values with respect to every embedding. "
        "keras.losses.circle returns those per-sample values; the Circle class marks the zero "
        "losses as masked, so its default reduction divides by the number of positive losses, "
        "not by the batch size (lossnotes.like_keras.circle's 'mean')."), explains=False),
)


# three inputs: the margin ranking loss ----------------------------------------------------------

RANKING = ("margin_ranking_loss",)


def _ranking_labels(c: Call) -> bool:
    y = c.y[2]
    return bool(((y != 1) & (y != -1)).any())


def _ranking_terms(c: Call) -> np.ndarray:
    """torch's -y (x1 - x2) + margin, in the inputs' dtype."""
    x1, x2, y = c.y
    return -y * (x1 - x2) + x1.dtype.type(c.opts["margin"])


def _ranking_kink(c: Call) -> bool:
    return c.grad and bool((_ranking_terms(c) == 0).any())


def _ranking_same_infinity(c: Call) -> bool:
    x1, x2, _ = c.y
    return bool((np.isinf(x1) & (x1 == x2)).any())


RULES += (
    Rule(RANKING, T, _ranking_labels, (
        "torch does not check the labels: it computes max(0, -y (x1 - x2) + margin) for any "
        "number y, so a label 0 costs max(0, margin) whatever the scores and a label 2 doubles "
        "the difference; lossnotes refuses labels other than -1 and +1.")),
    Rule(RANKING, T, _ranking_kink, (
        "At the kink (a pair exactly the margin apart, loss 0; with margin 0, a tie x1 = x2) "
        "torch's clamp_min passes the bound: the derivatives are -y and +y, where lossnotes "
        "chooses the subgradient 0.")),
    Rule(RANKING, T, _ranking_same_infinity, (
        "x1 and x2 at the same infinity: torch computes inf - inf = nan, and its loss is nan "
        "(with derivatives 0); the difference has no value and lossnotes refuses it.")),
)

# three inputs: the cosine embedding loss ---------------------------------------------------------

COSINE_EMBEDDING = ("cosine_embedding_loss",)


def _cosine_labels(c: Call) -> bool:
    y = c.y[2]
    return bool(((y != 1) & (y != -1)).any())


def _cosine_eps_visible(c: Call) -> bool:
    """Whether torch's eps on the squared norms moves the cosine by more than a tenth of the
    relative tolerance: a squared norm below 10 eps / rtol (10 in float64, 1e-6 in float32)."""
    from ..like_torch import TORCH_COSINE_EMBEDDING_EPS
    from ._results import RTOL

    least = min(float(np.min(np.sum(np.asarray(x, dtype=np.float64) ** 2, axis=-1)))
                for x in c.y[:2])
    return least < 10 * TORCH_COSINE_EMBEDDING_EPS / RTOL[c.p.dtype]


def _cosine_eps_text(c: Call) -> str:
    from ..like_torch import TORCH_COSINE_EMBEDDING_EPS

    return (f"torch adds eps = {TORCH_COSINE_EMBEDDING_EPS:.9g} (1e-12 as a C++ float) to "
            "each squared norm: its cosine is <x1, x2> / sqrt((|x1|^2 + eps)(|x2|^2 + eps)), "
            "so a zero vector has cosine 0 (a similar pair costs 1) where lossnotes refuses "
            "it, and the cosine of short vectors (norm near 1e-6 or below) is shrunk towards 0."
            + _gap_text(c, "torch"))


RULES += (
    Rule(COSINE_EMBEDDING, T, _cosine_eps_visible, _cosine_eps_text),
    Rule(COSINE_EMBEDDING, T, _cosine_labels, (
        "torch does not check the labels: where(y == 1, 1 - cos, 0) + where(y == -1, "
        "max(0, cos - margin), 0) charges nothing for any other label (0, 2); lossnotes "
        "refuses labels other than -1 and +1.")),
)

# three inputs: the triplet margin loss ----------------------------------------------------------

TRIPLET = ("triplet_margin_loss", "triplet_margin_with_distance_loss")


def _triplet_kink(c: Call) -> bool:
    """Whether a triplet is exactly the margin short (margin + d(a, p) - d(a, n) = 0)."""
    from .._triplet import _distance_terms, _p_terms

    o = c.opts
    try:
        terms = (_p_terms(*c.y, o["margin"], o["p"], o["eps"], o["swap"])
                 if c.name == "triplet_margin_loss" else
                 _distance_terms(*c.y, o["distance"], o["margin"], o["swap"]))[0]
    except ValueError:  # lossnotes refuses the inputs: no kink to speak of
        return False
    return c.grad and bool((terms == 0).any())


RULES += (
    Rule(TRIPLET, T, _triplet_kink, (
        "At the kink (a triplet exactly the margin short, margin + d(a, p) - d(a, n) = 0, loss "
        "0) torch's clamp_min passes the derivative of the distances, where lossnotes chooses "
        "the subgradient 0.")),
)

# sequences: CTC ---------------------------------------------------------------------------------

CTC = ("ctc",)


def _ctc_impossible(c: Call) -> np.ndarray:
    """Which sequences have no alignment (loss +inf); none if lossnotes refuses the inputs."""
    from .._ctc import ctc

    try:
        return np.isinf(ctc(c.y, c.p, reduction="none", **c.opts))
    except ValueError:
        return np.zeros(0, dtype=bool)


RULES += (
    Rule(CTC, T, lambda c: c.grad and bool(_ctc_impossible(c).any()), (
        "A sequence whose frames cannot hold its labels (a frame per label, and one more "
        "between two equal neighbours) has no alignment: its loss is +inf in both. With "
        "zero_infinity=False, torch's default, torch's gradient of it is NaN at every logit of "
        "its frames (0 after its input length), and NaN in the gradient of a mean or sum that "
        "holds it; zero_infinity=True would make its loss and gradient 0. lossnotes' ctc_grad "
        "gives 0, the derivative of a constant.")),
    Rule(CTC, K, lambda c: bool(_ctc_impossible(c).any()), (
        "A sequence without an alignment has the loss +inf; keras.losses.ctc (TensorFlow's "
        "tf.nn.ctc_loss, in log space with a finite floor) returns a large finite loss instead, "
        "about 708 in float32, and a finite gradient."), explains=False),
)

_CTC_KERAS = (
    "keras.losses.ctc(y_true, y_pred) takes the labels (N, S) padded with 0 and the logits "
    "(N, T, C), batch first, and applies the log-softmax itself; 0 is always the blank "
    "(mask_index=0), every sequence has all T frames, and a row's label length is its number "
    "of labels other than 0 (Keras 3.4.0 and later). It returns one loss per sequence, and "
    "compare averages them, as keras.losses.CTC() does by default and lossnotes' 'mean'.")
_CTC_TORCH = (
    "F.ctc_loss takes log-probabilities, time first (T, N, C): compare passes "
    "F.log_softmax(logits, -1).transpose(0, 1), the padded labels (N, S), and input_lengths "
    "and label_lengths (those given, else every frame and the labels before the first blank, "
    "lossnotes' defaults); reduction='none' keeps one loss per sequence. torch's "
    "reduction='mean' divides each loss by its label length (at least 1) before averaging "
    "({ratio}), so compare takes the mean over sequences as reduction='sum' / N, lossnotes' "
    "'mean'.")


def _ctc_torch_mean(c: Call) -> str:
    """torch's reduction='mean' on this call, against the mean over sequences."""
    from .. import like_torch
    from .._ctc import ctc

    try:
        ours = float(ctc(c.y, c.p, **c.opts))
        theirs = float(like_torch.ctc(c.y, c.p, **c.opts))
    except ValueError:
        return "here lossnotes refuses the inputs"
    return f"here {theirs:.6g} against {ours:.6g}"


def _ctc_call_notes(call: Call, frameworks) -> list[Note]:
    out = []
    if "keras" in frameworks:
        out.append(Note(K, _CTC_KERAS, explains=False))
    if "torch" in frameworks:
        out.append(Note(T, _CTC_TORCH.format(ratio=_ctc_torch_mean(call)), explains=False))
    return out


_TORCH_INPUTS = (
    "torch.nn.functional takes the inputs in lossnotes' order ({names}); reduction='none' "
    "keeps one value per {what} and 'mean' averages them, like lossnotes' 'mean'; its "
    "gradients are taken with respect to {wrt}.")


def _torch_inputs_note(call: Call) -> Note:
    from .._registry import LOSSES

    loss = LOSSES[call.name]
    what = "element" if call.axis is None else "row (the vectors are on the last axis)"
    return Note(T, _TORCH_INPUTS.format(names=", ".join(arg for arg, _ in loss.inputs),
                                        what=what, wrt=" and ".join(loss.wrt)), explains=False)


_KERAS_LAST_AXIS = (
    "Keras returns one value per sample, the mean over the last axis (shape {shape} -> {out}); "
    "compare also calls it with a trailing axis of length 1 to get per-element values, and "
    "reduces by averaging its per-sample values, as a Keras loss object does by default.")
_KERAS_LAST_AXIS_GRAD = (
    "Keras returns one value per sample, the mean over the last axis (shape {shape} -> {out}); "
    "compare differentiates the sum of its per-element values (a call with a trailing axis of "
    "length 1) and the mean of its per-sample values, as a Keras loss object reduces by "
    "default.")
def _keras_object_text(call: Call) -> str:
    """How compare calls Keras's loss object when options are given."""
    lays_out = ", as Keras lays a binary problem out" if call.name in BCE else ""
    each = (f"each element a sample of one output{lays_out} (shape "
            f"{call.p.shape} -> {(*call.p.shape, 1)})" if call.axis is None else
            "one value per row")
    reduced = ("the derivatives of the sum of those values and of the mean" if call.grad else
               "those values" + ("; per sample is their mean over the last axis"
                                 if call.axis is None else ""))
    return (f"compare calls a Keras loss object, {each}: reduction=None gives the weighted "
            "values w_i l_i and the default reduction, sum_over_batch_size, the mean, the "
            f"weighted sum over the number of values (Keras: sum(w l) / N); compare shows "
            f"{reduced}.")


_TORCH_ORDER = (
    "torch.nn.functional takes (input, target) = (y_pred, y_true), the reverse of Keras and "
    "lossnotes; reduction='none' keeps every element and 'mean' averages over all of them, like "
    "lossnotes' 'mean'.")


#: The row-wise losses whose torch function takes the classes on the last dimension.
TORCH_CLASSES_LAST = MULTILABEL_SOFT


def torch_dim(p: np.ndarray) -> int:
    """Where torch wants the classes: dimension 1, or 0 for one unbatched sample."""
    return 0 if p.ndim == 1 else 1


def _call_notes(call: Call, frameworks) -> list[Note]:
    """How each framework is called: never an explanation of a difference."""
    p, axis, out = call.p, call.axis, []
    if call.name in CTC:  # a loss of sequences: its own layouts
        return _ctc_call_notes(call, frameworks)
    if isinstance(call.y, tuple):  # a loss of more than two inputs; Keras ships none of them
        return [_torch_inputs_note(call)] if "torch" in frameworks else []
    if "keras" in frameworks and call.options:
        out.append(Note(K, _keras_object_text(call), explains=False))
    if "keras" in frameworks and call.options and axis is not None and axis != p.ndim - 1:
        out.append(Note(K, f"Keras wants the classes on the last axis: compare moves axis "
                           f"{axis} there.", explains=False))
    elif "keras" in frameworks and not call.options:
        if axis is None:
            text = _KERAS_LAST_AXIS_GRAD if call.grad else _KERAS_LAST_AXIS
            out.append(Note(K, text.format(shape=p.shape, out=p.shape[:-1]), explains=False))
        elif axis != p.ndim - 1:
            out.append(Note(K, f"Keras wants the classes on the last axis: compare moves axis "
                               f"{axis} there.", explains=False))
    if "torch" in frameworks:
        out.append(Note(T, _TORCH_ORDER, explains=False))
        if axis is not None and call.name in TORCH_CLASSES_LAST:
            moved = "" if axis == p.ndim - 1 else f": compare moves axis {axis} there"
            out.append(Note(T, f"torch wants the classes on the last dimension here{moved}.",
                            explains=False))
        elif axis is not None:
            dim = torch_dim(p)
            shape = np.moveaxis(np.empty(p.shape, dtype=np.bool_), axis, dim).shape
            where = "dimension 1" if dim == 1 else "dimension 0 (one unbatched sample)"
            out.append(Note(T, f"torch wants the classes on {where}: compare moves axis {axis} "
                               f"there (y_pred shape {p.shape} -> {shape}).", explains=False))
    return out


def notes(name: str, call: Call, frameworks) -> list[Note]:
    """The notes for one call: the conventions that can explain a difference, then how each
    framework was called, then the other remarks; only for the frameworks in use."""
    specific = [rule.note(call) for rule in RULES if name in rule.losses and rule.when(call)]
    out = ([n for n in specific if n.explains] + _call_notes(call, frameworks)
           + [n for n in specific if not n.explains])
    return [n for n in out if any(f in frameworks for f in n.frameworks)]
