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


_KERAS_LAST_AXIS = (
    "Keras returns one value per sample, the mean over the last axis (shape {shape} -> {out}); "
    "compare also calls it with a trailing axis of length 1 to get per-element values, and "
    "reduces by averaging its per-sample values, as a Keras loss object does by default.")
_KERAS_LAST_AXIS_GRAD = (
    "Keras returns one value per sample, the mean over the last axis (shape {shape} -> {out}); "
    "compare differentiates the sum of its per-element values (a call with a trailing axis of "
    "length 1) and the mean of its per-sample values, as a Keras loss object reduces by "
    "default.")
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
    if "keras" in frameworks:
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
