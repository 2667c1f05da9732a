"""The exercises of :mod:`lossnotes.exercises`: inputs, reference, and the mistakes to recognise.

Each exercise's cases run in order, so the first failure is the most telling one: seeded random
inputs first (a wrong formula fails there), then edge cases that each catch one numerical or
shape mistake, and the (N,) against (N, 1) check last. Every known-wrong ``Variant`` is a
mistake learners make; a reader's output that matches one gets its hint.
"""

from __future__ import annotations

import numpy as np

from . import _cross_entropy, _divergence, _links, _margin, _regression
from . import _focal as _focal_module
from ._grading import Case, Exercise, Variant

# --- shared pieces -------------------------------------------------------------------------------

SUM_HINT = (
    "you returned the sum; the loss asks for the mean over all elements (np.mean, or the sum "
    "divided by the number of elements)"
)
UNREDUCED_HINT = (
    "you returned one loss per element; the exercise asks for their mean, a single number "
    "(np.mean of them)"
)
ELEMENTWISE_HINT = (
    "margin losses are elementwise: return one loss per margin, an array of m's shape, without "
    "averaging or summing"
)
LEN_HINT = (
    "len(y_true) counts only the first axis: the mean runs over every element, so divide by "
    "y_true.size or use np.mean"
)
ZERO_LOG_ZERO_HINT = (
    "a certain and right prediction costs 0, but 0 * np.log(0) is 0 * (-inf) = nan: a term "
    "whose target weight is 0 must count as 0 (the convention 0·log 0 = 0). Select with "
    "np.where on the target, e.g. np.where(y == 0, 0.0, y * np.log(p))"
)
NEGATED_LOSS_HINT = (
    "you returned the negative of the loss: cross-entropy is minus the log-likelihood, "
    "-(y·log p + (1 - y)·log(1 - p)), which is never negative"
)


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _refusal(y_true: np.ndarray, y_pred: np.ndarray) -> Case:
    """(N,) targets against (N, 1) predictions, as a regression or sigmoid head outputs them."""
    return Case(
        "targets of shape (N,) against predictions of shape (N, 1)",
        (y_true, y_pred.reshape(-1, 1)),
        refuse_shapes=True,
    )


PAIR_SHAPES = (
    " If y_true and y_pred have different shapes, such as (N,) and the (N, 1) that a network's "
    "output layer gives, raise ValueError (as lossnotes does), or treat them as the same N "
    "values; never let NumPy broadcast them to (N, N)."
)

# --- margin losses -------------------------------------------------------------------------------

MARGIN_ARGS = (
    "m: a float64 array of margins y·f(x) (labels y in {-1, +1} times scores), of any shape "
    "(1-D and 2-D are checked). Return an array of m's shape, one loss per margin; booleans or "
    "integers are fine (values are compared, not dtypes)."
)


def _zero_one_cases() -> list[Case]:
    rng = _rng(101)
    return [
        Case("seeded random margins", (rng.uniform(-3, 3, 8).round(2),)),
        Case(
            "margins of exactly 0 and -0",
            (np.array([0.5, 0.0, -0.5, -0.0]),),
            "a margin of exactly 0 decides nothing and counts as an error: the 0-1 loss is 1 "
            "where m <= 0, not only where m < 0",
        ),
        Case(
            "tiny margins of either sign",
            (np.array([1e-300, -1e-300, 5e-324, -5e-324]),),
            "only the sign matters, however small the margin: compare m with 0 exactly, without "
            "rounding or a tolerance",
        ),
        Case("2-D margins, shape (3, 4)", (rng.uniform(-2, 2, (3, 4)).round(2),)),
    ]


ZERO_ONE = Exercise(
    name="zero_one",
    params=("m",),
    summary="the 0-1 loss: 1 where m <= 0 (a wrong or undecided sign), 0 where m > 0",
    details=MARGIN_ARGS + " A margin of exactly 0 counts as an error.",
    reference=_margin.zero_one,
    cases=_zero_one_cases,
    variants=(
        Variant(
            "a margin of exactly 0 decides nothing and counts as an error: use m <= 0, not m < 0",
            lambda m: (m < 0).astype(float),
        ),
        Variant(
            "that is 1 for a right sign: the 0-1 loss counts errors, 1 where m <= 0 and 0 "
            "where m > 0",
            lambda m: (m > 0).astype(float),
        ),
        Variant(
            "np.sign(0) is 0, so (1 - np.sign(m)) / 2 gives 0.5 at m = 0; a zero margin is a "
            "whole error: use m <= 0",
            lambda m: (1 - np.sign(m)) / 2,
        ),
        Variant(ELEMENTWISE_HINT, lambda m: np.mean(m <= 0)),
    ),
)


def _hinge_cases() -> list[Case]:
    rng = _rng(102)
    return [
        Case("seeded random margins", (rng.uniform(-3, 3, 8).round(2),)),
        Case(
            "margins at the kink and around it",
            (np.array([0.0, 1.0, 0.999, 1.001, -1.0]),),
            "the hinge is max(0, 1 - m): 1 at m = 0, and exactly 0 from m = 1 on",
        ),
        Case("2-D margins, shape (3, 4)", (rng.uniform(-3, 3, (3, 4)).round(2),)),
        Case(
            "very large margins",
            (np.array([-1e6, 1e6, -1e300, 1e300]),),
            "for a large margin the loss is 0; for a very wrong one it is 1 - m",
        ),
    ]


HINGE = Exercise(
    name="hinge",
    params=("m",),
    summary="the hinge loss max(0, 1 - m), elementwise",
    details=MARGIN_ARGS,
    reference=_margin.hinge,
    cases=_hinge_cases,
    variants=(
        Variant(
            "that is the perceptron loss, max(0, -m); the hinge asks for a margin of 1: "
            "max(0, 1 - m)",
            lambda m: np.maximum(0, -m),
        ),
        Variant(
            "without the max the loss goes negative for m > 1: the hinge is max(0, 1 - m), and "
            "a margin beyond 1 earns nothing",
            lambda m: 1 - m,
        ),
        Variant(
            "np.abs(1 - m) also charges margins above 1: use np.maximum(0, 1 - m)",
            lambda m: np.abs(1 - m),
        ),
        Variant(
            "the loss must fall as the margin grows: max(0, 1 - m), not max(0, 1 + m)",
            lambda m: np.maximum(0, 1 + m),
        ),
        Variant(
            "that is the squared hinge; the hinge is max(0, 1 - m) without the square",
            lambda m: np.maximum(0, 1 - m) ** 2,
        ),
        Variant(ELEMENTWISE_HINT, lambda m: np.mean(np.maximum(0, 1 - m))),
    ),
)

LOGISTIC_OVERFLOW_HINT = (
    "e^{-m} overflows to inf for m below about -709: rewrite log(1 + e^{-m}) as "
    "max(-m, 0) + log1p(e^{-|m|}), which never exponentiates a positive number, or use "
    "np.logaddexp(0, -m)"
)
LOGISTIC_PRECISION_HINT = (
    "1 + e^{-m} rounds to exactly 1 for m above about 37, so log(1 + e^{-m}) returns 0 instead "
    "of about e^{-m}: use np.log1p(np.exp(-m)) for the positive margins (with the max-shift "
    "for the negative ones), or np.logaddexp(0, -m)"
)


def _logistic_cases() -> list[Case]:
    rng = _rng(103)
    return [
        Case("seeded random margins", (rng.uniform(-5, 5, 8).round(2),)),
        Case(
            "very wrong margins (-1000)",
            (np.array([-1000.0, -800.0, -710.0, 2.0]),),
            LOGISTIC_OVERFLOW_HINT,
        ),
        Case(
            "large margins (30 to 50)",
            (np.array([30.0, 40.0, 50.0, 1000.0]),),
            LOGISTIC_PRECISION_HINT,
        ),
        Case("2-D margins, shape (3, 4)", (rng.uniform(-5, 5, (3, 4)).round(2),)),
    ]


LOGISTIC = Exercise(
    name="logistic",
    params=("m",),
    summary="the logistic loss log(1 + e^{-m}) (natural log), elementwise and without overflow",
    details=MARGIN_ARGS
    + " Margins range over [-1000, 1000]: e^{1000} overflows, so the formula must be rearranged; "
    "a large margin's tiny loss (about e^{-40} at m = 40) must keep its digits.",
    reference=_margin.logistic,
    cases=_logistic_cases,
    variants=(
        Variant(
            "use the natural logarithm: the logistic loss is log(1 + e^{-m}) = log 2 ≈ 0.693 at "
            "m = 0, where np.log2 gives 1",
            lambda m: np.logaddexp(0, -m) / np.log(2),
        ),
        Variant(
            "use the natural logarithm np.log (or np.log1p), not np.log10",
            lambda m: np.logaddexp(0, -m) / np.log(10),
        ),
        Variant(
            "the loss must fall as the margin grows: log(1 + e^{-m}), not log(1 + e^{m})",
            lambda m: np.logaddexp(0, m),
        ),
        Variant(ELEMENTWISE_HINT, lambda m: np.mean(np.logaddexp(0, -m))),
    ),
    exception_hints=(("OverflowError", LOGISTIC_OVERFLOW_HINT),),
)

# --- softmax ---------------------------------------------------------------------------------

WRONG_AXIS_HINT = (
    "normalised over the wrong axis: the classes are on the last axis, so each row (each "
    "slice along axis=-1) must sum to 1; use axis=-1 with keepdims=True"
)
KEEPDIMS_HINT = (
    "divide each row by its own sum: e.sum(axis=-1, keepdims=True) keeps an axis of length 1 "
    "so that the division broadcasts row by row; without keepdims the sums line up with the "
    "columns"
)
SOFTMAX_OVERFLOW_HINT = (
    "e^{1000} overflows to inf and inf / inf is nan; softmax is unchanged by subtracting a "
    "constant from every score, so subtract each row's maximum first: "
    "e = np.exp(z - z.max(axis=-1, keepdims=True))"
)


SOFTMAX_ONE_VECTOR_HINT = (
    "softmax must work on one vector too: instead of adding an axis with [:, None], reduce with "
    "axis=-1 and keepdims=True, which works for any number of dimensions"
)


def _softmax_axis(axis: int):
    def wrong(z):
        e = np.exp(z - z.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    return wrong


def _softmax_cases() -> list[Case]:
    rng = _rng(104)
    return [
        Case("seeded random scores, shape (4, 5)", (rng.normal(0, 2, (4, 5)).round(2),)),
        Case("a square batch, shape (3, 3)", (rng.normal(0, 2, (3, 3)).round(2),), KEEPDIMS_HINT),
        Case(
            "a 3-D batch, shape (2, 3, 4)",
            (rng.normal(0, 2, (2, 3, 4)).round(2),),
            "the classes are on the last axis whatever the number of dimensions: reduce with "
            "axis=-1 and keepdims=True",
        ),
        Case(
            "a single score vector, shape (5,)",
            (rng.normal(0, 2, 5).round(2),),
            "softmax must work on one vector too: use axis=-1 (the last axis), which every input "
            "has, not axis=1",
        ),
        Case(
            "large scores (1000)",
            (np.array([[1000.0, 999.0, 990.0], [-5.0, 0.0, 1000.0]]),),
            SOFTMAX_OVERFLOW_HINT,
        ),
        Case(
            "rows of very different sizes",
            (np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -1002.0]]),),
            "subtract each row's own maximum, z.max(axis=-1, keepdims=True), not the maximum of "
            "the whole array: shifted by the global maximum, a row far below it underflows to "
            "e^{-2000} = 0 everywhere and becomes 0 / 0",
        ),
    ]


def _softmax_no_keepdims(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1)


SOFTMAX = Exercise(
    name="softmax",
    params=("z",),
    summary="softmax over the last axis, e^{z_k} / Σ_j e^{z_j}, without overflow",
    details=(
        "z: a float64 array of scores (logits) with the classes on the last axis: shape (C,), "
        "(N, C) or (N, T, C). Return an array of z's shape whose slices along the last axis "
        "are non-negative and sum to 1. Scores can be as large as ±1000. Don't modify z in "
        "place."
    ),
    reference=_links.softmax,
    cases=_softmax_cases,
    variants=(
        Variant(
            "you returned log-probabilities; softmax is their exponential, "
            "e^{z_k} / Σ_j e^{z_j}",
            lambda z: _links.log_softmax(z),
        ),
        Variant(
            "you divided by the sum over the whole array: each row (the last axis) must sum to "
            "1 on its own: e / e.sum(axis=-1, keepdims=True)",
            lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(),
        ),
        Variant(WRONG_AXIS_HINT, _softmax_axis(0)),
        Variant(WRONG_AXIS_HINT, _softmax_axis(1)),
        Variant(KEEPDIMS_HINT, _softmax_no_keepdims),
        Variant(
            "that is the sigmoid of each score on its own; softmax normalises across the "
            "classes: e^{z_k} / Σ_j e^{z_j} along the last axis",
            lambda z: _links.sigmoid(z),
        ),
    ),
    exception_hints=(
        ("could not be broadcast", KEEPDIMS_HINT),
        ("too many indices", SOFTMAX_ONE_VECTOR_HINT),
        ("invalid index to scalar", SOFTMAX_ONE_VECTOR_HINT),
    ),
)

# --- binary cross-entropy --------------------------------------------------------------------

CLIP_HINT = (
    "don't clip the probabilities: clipping p to [eps, 1 - eps] (as Keras does) changes the "
    "loss near 0 and 1, and the exercise asks for the exact value"
)


def _bce(y, p, **kw):
    return _cross_entropy.binary_cross_entropy(y, p, **kw)


def _clipped_bce(eps: float):
    return lambda y, p: _bce(y, np.clip(p, eps, 1 - eps))


def _bce_cases() -> list[Case]:
    rng = _rng(105)
    hard = rng.permutation([0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0])
    return [
        Case(
            "seeded random labels 0/1 and probabilities in [0.05, 0.95]",
            (hard, rng.uniform(0.05, 0.95, 8).round(2)),
        ),
        Case(
            "soft labels in [0, 1]",
            (rng.uniform(0, 1, 8).round(2), rng.uniform(0.05, 0.95, 8).round(2)),
            "y_true may be a soft label anywhere in [0, 1]: use the whole formula "
            "-(y·log p + (1 - y)·log(1 - p)) for every element, not a branch on y == 1",
        ),
        Case(
            "small probabilities for label 0 (p = 1e-10)",
            (np.zeros(4), np.array([1e-10, 3e-12, 2e-9, 1e-11])),
            "log(1 - p) loses the digits of a small p: 1 - p is rounded to the nearest double "
            "before the log sees it, so -log(1 - 1e-10) is wrong from the 8th digit. Use "
            "np.log1p(-p), which computes log(1 - p) exactly",
        ),
        Case(
            "certain predictions (p = 0 and p = 1)",
            (np.array([1.0, 0.0, 1.0, 0.0]), np.array([1.0, 0.0, 0.5, 0.5])),
            ZERO_LOG_ZERO_HINT,
        ),
        _refusal(hard[:5], rng.uniform(0.05, 0.95, 5).round(2)),
    ]


def _bce_naive(y, p):
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


BINARY_CROSS_ENTROPY = Exercise(
    name="binary_cross_entropy",
    params=("y_true", "y_pred"),
    summary="the mean of -(y·log p + (1 - y)·log(1 - p)) over all elements",
    details=(
        "y_true: float64 targets in [0, 1] (labels 0/1, or soft labels); y_pred: probabilities p "
        "in [0, 1] of the same shape, possibly exactly 0 or 1. Return one number, the mean over "
        "all elements (a float or 0-d array). A certain right prediction costs 0 (0·log 0 = 0), "
        "and small probabilities must keep their precision." + PAIR_SHAPES
    ),
    reference=_bce,
    cases=_bce_cases,
    variants=(
        Variant(SUM_HINT, lambda y, p: _bce(y, p, reduction="sum")),
        Variant(UNREDUCED_HINT, lambda y, p: _bce(y, p, reduction="none")),
        Variant(NEGATED_LOSS_HINT, lambda y, p: -_bce(y, p)),
        Variant(
            "y_pred already holds probabilities: don't apply the sigmoid to it (that is "
            "from_logits=True, for raw scores)",
            lambda y, p: _bce(y, p, from_logits=True),
        ),
        Variant(
            "you left out the (1 - y)·log(1 - p) term: a confident wrong prediction for a "
            "label 0 must cost too",
            lambda y, p: -np.mean(y * np.log(p)),
        ),
        Variant(CLIP_HINT, _clipped_bce(1e-7)),
        Variant(CLIP_HINT, _clipped_bce(1e-8)),
    ),
)


def _bce_grad(y, z):
    return _cross_entropy.binary_cross_entropy_grad(y, z, from_logits=True)


def _bce_grad_cases() -> list[Case]:
    rng = _rng(106)
    hard = rng.permutation([0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0])
    return [
        Case(
            "seeded random labels 0/1 and logits",
            (hard, rng.normal(0, 3, 8).round(2)),
        ),
        Case(
            "soft labels in [0, 1]",
            (rng.uniform(0, 1, 8).round(2), rng.normal(0, 3, 8).round(2)),
            "y_true may be a soft label in [0, 1]: the derivative is sigmoid(z) - y for every "
            "element, with no branch on the label",
        ),
        Case(
            "large logits (±1000)",
            (np.array([1.0, 0.0, 1.0, 0.0]), np.array([1000.0, -1000.0, -1000.0, 1000.0])),
            "e^{z} overflows to inf for z above about 709, and inf / inf is nan: compute "
            "sigmoid(z) as 1 / (1 + e^{-z}), whose limits are right (0 and 1), or choose the "
            "form by the sign of z with np.where so that nothing overflows",
        ),
        Case(
            "2-D labels and logits, shape (3, 4)",
            (rng.permutation(np.arange(12) % 2).reshape(3, 4).astype(float),
             rng.normal(0, 3, (3, 4)).round(2)),
        ),
        _refusal(hard[:5], rng.normal(0, 3, 5).round(2)),
    ]


def _sigmoid(z):
    return _links.sigmoid(z)


BINARY_CROSS_ENTROPY_GRAD = Exercise(
    name="binary_cross_entropy_grad",
    params=("y_true", "logits"),
    summary="sigmoid(z) - y elementwise, the derivative of binary cross-entropy with respect "
    "to the logit z",
    details=(
        "Called as fn(y_true, logits), i.e. like binary_cross_entropy_grad(y_true, z, "
        "from_logits=True). y_true: float64 targets in [0, 1]; logits: real scores z of the "
        "same shape, in [-1000, 1000]. Return an array of z's shape: the derivative of each "
        "element's loss y·softplus(-z) + (1 - y)·softplus(z) with respect to its own z (no "
        "division by N). Values lie in [-1, 1] and are compared with an absolute tolerance of "
        "1e-12 too, so the plain 1 / (1 + np.exp(-z)) passes (its overflow warning at z = -1000 "
        "is harmless)." + PAIR_SHAPES.replace("y_pred", "logits")
    ),
    reference=_bce_grad,
    cases=_bce_grad_cases,
    atol=1e-12,
    exception_hints=(
        (
            "probabilities in [0, 1]",
            "the second argument holds logits z (any real number), not probabilities: the "
            "derivative with respect to z is sigmoid(z) - y",
        ),
    ),
    variants=(
        Variant(
            "the derivative of the loss is sigmoid(z) - y; you returned y - sigmoid(z), its "
            "negative (the direction of descent, not the gradient)",
            lambda y, z: -_bce_grad(y, z),
        ),
        Variant(
            "sigmoid(z) = 1 / (1 + e^{-z}); you used 1 / (1 + e^{z}), which is sigmoid(-z)",
            lambda y, z: _sigmoid(-z) - y,
        ),
        Variant(
            "the function is called with logits: the derivative with respect to z is "
            "sigmoid(z) - y (the 1 / (p(1 - p)) cancels); (p - y) / (p(1 - p)) is the "
            "derivative with respect to the probability p",
            lambda y, z: (_sigmoid(z) - y) / (_sigmoid(z) * _sigmoid(-z)),
        ),
        Variant(
            "the second argument holds logits z, not probabilities: apply the sigmoid, and the "
            "derivative with respect to z is sigmoid(z) - y",
            lambda y, z: z - y,
        ),
        Variant(
            "the second argument holds logits z, not probabilities: -y/z + (1 - y)/(1 - z) is "
            "the derivative with respect to a probability; with respect to z it is sigmoid(z) - y",
            lambda y, z: -y / z + (1 - y) / (1 - z),
        ),
        Variant(
            "this is the gradient of the unreduced loss: one derivative per element, "
            "sigmoid(z) - y, without dividing by the number of elements",
            lambda y, z: _bce_grad(y, z) / y.size,
        ),
        Variant(
            "you returned the loss itself; the exercise asks for its derivative sigmoid(z) - y",
            lambda y, z: _bce(y, z, from_logits=True, reduction="none"),
        ),
    ),
)

# --- categorical cross-entropy ---------------------------------------------------------------


def _cce(y, p, **kw):
    return _cross_entropy.categorical_cross_entropy(y, p, **kw)


def _cce_cases() -> list[Case]:
    rng = _rng(107)
    one_hot = np.eye(4)[rng.integers(0, 4, 6)]
    return [
        Case(
            "seeded random one-hot targets and probabilities, shape (6, 4)",
            (one_hot, _links.softmax(rng.normal(0, 1.5, (6, 4)).round(2))),
        ),
        Case(
            "soft targets, shape (6, 4)",
            (
                _links.softmax(rng.normal(0, 1, (6, 4)).round(2)),
                _links.softmax(rng.normal(0, 1.5, (6, 4)).round(2)),
            ),
            "y_true may hold soft targets: weight every log-probability by its target, "
            "-Σ_k y_k·log p_k, instead of picking the probability of one class",
        ),
        Case(
            "a 3-D batch, shape (2, 3, 4)",
            (
                np.eye(4)[rng.integers(0, 4, (2, 3))],
                _links.softmax(rng.normal(0, 1.5, (2, 3, 4)).round(2)),
            ),
            "sum over the last (class) axis, then average over every sample, i.e. over all the "
            "other axes: shape (2, 3, 4) holds 6 samples",
        ),
        Case(
            "zero probabilities where the target is 0",
            (
                np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]),
                np.array([[1.0, 0.0, 0.0], [0.2, 0.8, 0.0]]),
            ),
            ZERO_LOG_ZERO_HINT.replace("np.where(y == 0, 0.0, y * np.log(p))",
                                       "np.where(y > 0, y * np.log(p), 0.0)"),
        ),
    ]


def _cce_pick(y, p):
    picked = np.take_along_axis(p, np.argmax(y, axis=-1)[..., None], axis=-1)
    return -np.mean(np.log(picked))


CATEGORICAL_CROSS_ENTROPY = Exercise(
    name="categorical_cross_entropy",
    params=("y_true", "y_pred"),
    summary="the mean over samples of -Σ_k y_k·log p_k, classes on the last axis",
    details=(
        "y_true: float64 target distributions (one-hot or soft), shape (N, C) or (..., C); "
        "y_pred: probabilities of the same shape, each slice along the last axis summing to 1, "
        "possibly with exact zeros where the target is 0. Sum over the classes (axis=-1), then "
        "return the mean over all samples (every other axis) as one number. A zero probability "
        "with a zero target costs nothing (0·log 0 = 0)."
    ),
    reference=_cce,
    cases=_cce_cases,
    variants=(
        Variant(
            "you returned the sum over samples; the loss asks for the mean over samples",
            lambda y, p: _cce(y, p, reduction="sum"),
        ),
        Variant(UNREDUCED_HINT, lambda y, p: _cce(y, p, reduction="none")),
        Variant(
            "you averaged over samples and classes together (N·C numbers); sum over the classes "
            "(axis=-1) first, then average over the samples",
            lambda y, p: _cce(y, p, reduction="sum") / y.size,
        ),
        Variant(
            "the classes are on the last axis: sum y·log p over axis=-1, then average over "
            "samples; summing over axis 0 divides by the number of classes",
            lambda y, p: _cce(y, p, reduction="sum") / y.shape[-1],
        ),
        Variant(
            "len(y_true) counts only the first axis: average over every sample (every axis but "
            "the last), e.g. np.mean of the per-sample losses",
            lambda y, p: _cce(y, p, reduction="sum") / len(y),
        ),
        Variant(
            "y_pred already holds probabilities: don't apply softmax or log_softmax to it (that "
            "is from_logits=True, for raw scores)",
            lambda y, p: _cce(y, p, from_logits=True),
        ),
        Variant(
            "you returned the negative of the loss: cross-entropy is -Σ_k y_k·log p_k, never "
            "negative",
            lambda y, p: -_cce(y, p),
        ),
        Variant(
            "y_true may hold soft targets: weight every log-probability by its target, "
            "-Σ_k y_k·log p_k, instead of picking the probability of the largest target",
            _cce_pick,
        ),
    ),
)

# --- regression ------------------------------------------------------------------------------

REGRESSION_ARGS = (
    "y_true, y_pred: float64 arrays of targets and predictions of the same shape, 1-D or 2-D. "
    "Return one number, the mean over all elements (a float or 0-d array)."
)


def _regression_cases(seed: int, scale: float, extra: Case | None = None) -> list[Case]:
    rng = _rng(seed)
    cases = [
        Case(
            "seeded random targets and predictions",
            (rng.normal(0, scale, 10).round(2), rng.normal(0, scale, 10).round(2)),
        ),
    ]
    if extra is not None:
        cases.append(extra)
    cases += [
        Case(
            "2-D targets and predictions, shape (3, 4)",
            (rng.normal(0, scale, (3, 4)).round(2), rng.normal(0, scale, (3, 4)).round(2)),
            "the mean runs over all 12 elements, not over the first axis only",
        ),
        _refusal(rng.normal(0, scale, 5).round(2), rng.normal(0, scale, 5).round(2)),
    ]
    return cases


def _reg(fn):
    return lambda reduction: lambda y, p: fn(y, p, reduction=reduction)


_mse, _mae, _huber = _regression.mse, _regression.mae, _regression.huber

MSE = Exercise(
    name="mse",
    params=("y_true", "y_pred"),
    summary="the mean squared error, the mean of (y_true - y_pred)^2",
    details=REGRESSION_ARGS + PAIR_SHAPES,
    reference=_mse,
    cases=lambda: _regression_cases(108, 2.0),
    symmetric=True,
    variants=(
        Variant(SUM_HINT, _reg(_mse)("sum")),
        Variant(UNREDUCED_HINT, _reg(_mse)("none")),
        Variant(LEN_HINT, lambda y, p: _mse(y, p, reduction="sum") / len(y)),
        Variant(
            "that is the root mean squared error: the MSE has no square root",
            lambda y, p: np.sqrt(_mse(y, p)),
        ),
        Variant(
            "no factor ½: the MSE is the plain mean of (y - ŷ)^2",
            lambda y, p: _mse(y, p) / 2,
        ),
        Variant(
            "that is the mean absolute error: square the residuals instead of taking |y - ŷ|",
            _mae,
        ),
        Variant(
            "square the residuals before averaging: otherwise positive and negative errors "
            "cancel",
            lambda y, p: np.mean(y - p),
        ),
        Variant(
            "square the residuals before averaging: otherwise positive and negative errors "
            "cancel",
            lambda y, p: np.mean(p - y),
        ),
        Variant(
            "square each residual, then average: the square of the mean residual lets errors "
            "cancel",
            lambda y, p: np.mean(y - p) ** 2,
        ),
    ),
)

MAE_CANCEL_HINT = (
    "take the absolute value of each residual before averaging: otherwise positive and negative "
    "errors cancel"
)

MAE = Exercise(
    name="mae",
    params=("y_true", "y_pred"),
    summary="the mean absolute error, the mean of |y_true - y_pred|",
    details=REGRESSION_ARGS + PAIR_SHAPES,
    reference=_mae,
    cases=lambda: _regression_cases(109, 2.0),
    symmetric=True,
    variants=(
        Variant(SUM_HINT, _reg(_mae)("sum")),
        Variant(UNREDUCED_HINT, _reg(_mae)("none")),
        Variant(LEN_HINT, lambda y, p: _mae(y, p, reduction="sum") / len(y)),
        Variant(
            "that is the mean squared error: take |y - ŷ|, not its square",
            _mse,
        ),
        Variant(
            MAE_CANCEL_HINT,
            lambda y, p: np.mean(y - p),
        ),
        Variant(
            MAE_CANCEL_HINT,
            lambda y, p: np.mean(p - y),
        ),
        Variant(
            MAE_CANCEL_HINT,
            lambda y, p: np.abs(np.mean(y - p)),
        ),
    ),
)

HUBER_CONSTANT_HINT = (
    "the linear branch must be δ|r| - δ²/2, so that the pieces meet at |r| = δ: with δ = 1 the "
    "quadratic branch ½r² is ½ there, and δ|r| alone would jump to 1"
)


def _huber_pieces(quadratic, linear):
    def wrong(y, p, delta=1.0):
        r = y - p
        return np.mean(np.where(np.abs(r) <= delta, quadratic(r, delta), linear(r, delta)))

    return wrong


HUBER = Exercise(
    name="huber",
    params=("y_true", "y_pred"),
    summary="the mean Huber loss with δ = 1: ½r² where |r| <= δ, δ|r| - ½δ² beyond, r = y - ŷ",
    details=(
        REGRESSION_ARGS
        + " Your function is called with two arguments, so give delta the default 1.0 "
        "(def huber(y_true, y_pred, delta=1.0))." + PAIR_SHAPES
    ),
    reference=_huber,
    cases=lambda: _regression_cases(
        110,
        2.0,
        Case(
            "residuals at ±δ and far beyond",
            (np.zeros(6), np.array([-1.0, 1.0, -3.0, 3.0, 0.5, -1000.0])),
            HUBER_CONSTANT_HINT,
        ),
    ),
    symmetric=True,
    variants=(
        Variant(SUM_HINT, _reg(_huber)("sum")),
        Variant(UNREDUCED_HINT, _reg(_huber)("none")),
        Variant(LEN_HINT, lambda y, p: _huber(y, p, reduction="sum") / len(y)),
        Variant(HUBER_CONSTANT_HINT, _huber_pieces(lambda r, d: r**2 / 2, lambda r, d: d * abs(r))),
        Variant(
            HUBER_CONSTANT_HINT,
            _huber_pieces(lambda r, d: r**2 / 2, lambda r, d: d * abs(r) - d**2),
        ),
        Variant(
            HUBER_CONSTANT_HINT,
            _huber_pieces(lambda r, d: r**2 / 2, lambda r, d: d * (abs(r) + d / 2)),
        ),
        Variant(
            "the linear branch uses |r|: δ|r| - δ²/2; with r itself a large negative residual "
            "gets a negative loss",
            _huber_pieces(lambda r, d: r**2 / 2, lambda r, d: d * r - d**2 / 2),
        ),
        Variant(
            "the quadratic branch is ½r², not r² (and then δ|r| - ½δ² meets it at |r| = δ)",
            _huber_pieces(lambda r, d: r**2, lambda r, d: d * abs(r) - d**2 / 2),
        ),
        Variant(
            "both branches are twice too large: ½r² inside, δ|r| - ½δ² outside",
            lambda y, p: 2 * _huber(y, p),
        ),
        Variant(
            "that is the mean squared error; Huber switches to the linear δ|r| - ½δ² beyond "
            "|r| = δ and uses ½r² inside",
            _mse,
        ),
        Variant(
            "that is ½ the mean squared error everywhere: beyond |r| = δ the Huber loss is "
            "linear, δ|r| - ½δ²",
            lambda y, p: _mse(y, p) / 2,
        ),
        Variant(
            "that is the mean absolute error; Huber is ½r² for |r| <= δ and δ|r| - ½δ² beyond",
            _mae,
        ),
        Variant(
            "that is the pseudo-Huber loss δ²(√(1 + (r/δ)²) - 1), a smooth approximation; the "
            "exercise asks for Huber's piecewise ½r² / δ|r| - ½δ²",
            lambda y, p: np.mean(np.sqrt(1 + (y - p) ** 2) - 1),
        ),
    ),
)


def _huber_grad_cases() -> list[Case]:
    rng = _rng(111)
    return [
        Case(
            "seeded random targets and predictions",
            (rng.normal(0, 2, 10).round(2), rng.normal(0, 2, 10).round(2)),
        ),
        Case(
            "residuals at ±δ and far beyond",
            (np.zeros(6), np.array([-1.0, 1.0, -3.0, 3.0, 0.5, -1000.0])),
            "the derivative with respect to ŷ is ŷ - y inside |y - ŷ| <= δ and ±δ beyond: "
            "np.clip(y_pred - y_true, -delta, delta)",
        ),
        Case(
            "2-D targets and predictions, shape (3, 4)",
            (rng.normal(0, 2, (3, 4)).round(2), rng.normal(0, 2, (3, 4)).round(2)),
        ),
        _refusal(rng.normal(0, 2, 5).round(2), rng.normal(0, 2, 5).round(2)),
    ]


_hg = _regression.huber_grad

HUBER_GRAD = Exercise(
    name="huber_grad",
    params=("y_true", "y_pred"),
    summary="clip(ŷ - y, -δ, δ) elementwise with δ = 1, the derivative of the Huber loss "
    "with respect to the prediction ŷ",
    details=(
        "y_true, y_pred: float64 arrays of the same shape, 1-D or 2-D. Return an array of "
        "y_pred's shape: the derivative of each element's loss with respect to its own "
        "prediction (no division by N). Give delta the default 1.0." + PAIR_SHAPES
    ),
    reference=_hg,
    cases=_huber_grad_cases,
    variants=(
        Variant(
            "the derivative with respect to the prediction ŷ is clip(ŷ - y, -δ, δ); you returned "
            "its negative (the derivative with respect to y or to r = y - ŷ, or the arguments "
            "swapped)",
            lambda y, p: -_hg(y, p),
        ),
        Variant(
            "beyond |r| = δ the loss is linear with slope ±δ: clip ŷ - y to [-δ, δ]",
            lambda y, p: p - y,
        ),
        Variant(
            "beyond |r| = δ the loss is linear with slope ±δ: clip ŷ - y to [-δ, δ]",
            lambda y, p: y - p,
        ),
        Variant(
            "that is the MAE's gradient sign(ŷ - y); inside |r| <= δ the Huber loss is ½r², "
            "whose derivative is the residual itself",
            lambda y, p: np.sign(p - y),
        ),
        Variant(
            "the quadratic branch is ½r², whose derivative is r, not 2r",
            lambda y, p: np.clip(2 * (p - y), -1, 1),
        ),
        Variant(
            "the quadratic branch is ½r², whose derivative is r, not 2r",
            lambda y, p: np.where(np.abs(p - y) <= 1, 2 * (p - y), np.sign(p - y)),
        ),
        Variant(
            "this is the gradient of the unreduced loss: one derivative per element, without "
            "dividing by the number of elements",
            lambda y, p: _hg(y, p) / y.size,
        ),
        Variant(
            "you returned the loss itself; the exercise asks for its derivative "
            "clip(ŷ - y, -δ, δ)",
            lambda y, p: _huber(y, p, reduction="none"),
        ),
    ),
)

# --- weights and ignored targets ------------------------------------------------------------

KERAS_DENOMINATOR_HINT = (
    "you divided the weighted sum by the number of elements, as Keras's default reduction "
    "does; the weighted mean divides by the sum of the weights: np.sum(w * l) / np.sum(w)"
)


def _weighted_bce(y, p, w, **kw):
    return _cross_entropy.binary_cross_entropy(y, p, sample_weight=w, **kw)


def _weighted_bce_cases() -> list[Case]:
    rng = _rng(113)
    y = rng.permutation([0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0])
    return [
        Case(
            "seeded random labels, probabilities in [0.05, 0.95] and weights in [0.5, 3]",
            (y, rng.uniform(0.05, 0.95, 8).round(2), rng.uniform(0.5, 3, 8).round(2)),
        ),
        Case(
            "weights 0 and 1: a mask",
            (y, rng.uniform(0.05, 0.95, 8).round(2), np.array([1.0, 0, 1, 1, 0, 1, 1, 0])),
            "a weight of 0 leaves its term out: the mean runs over the weighted terms only",
        ),
        Case(
            "a certain wrong prediction (p = 0 at y = 1) with weight 0",
            (np.array([1.0, 0.0, 1.0, 0.0]), np.array([0.0, 0.2, 0.7, 0.4]),
             np.array([0.0, 1.0, 2.0, 1.0])),
            "a term with weight 0 is absent, even where its loss is infinite: 0 * inf is nan "
            "in floating point, so leave the masked terms out (np.where(w > 0, ...), or select "
            "them with w > 0) instead of multiplying them by 0",
        ),
    ]


WEIGHTED_BINARY_CROSS_ENTROPY = Exercise(
    name="weighted_binary_cross_entropy",
    params=("y_true", "y_pred", "sample_weight"),
    summary="the weighted mean Σ w·l / Σ w of the binary cross-entropy l",
    details=(
        "y_true: float64 labels in [0, 1]; y_pred: probabilities in [0, 1] of the same shape; "
        "sample_weight: non-negative weights w of the same shape. Return one number, "
        "Σ_i w_i·l_i / Σ_i w_i with l_i = -(y_i·log p_i + (1 - y_i)·log(1 - p_i)). A weight "
        "of 0 removes its term entirely (a mask), even when that term is infinite."
    ),
    reference=_weighted_bce,
    cases=_weighted_bce_cases,
    variants=(
        Variant(KERAS_DENOMINATOR_HINT,
                lambda y, p, w: _weighted_bce(y, p, w, reduction="sum") / y.size),
        Variant("you left the weights out: multiply each term by its weight w, then divide by "
                "Σ w", lambda y, p, w: _bce(y, p)),
        Variant("you returned the weighted sum; the loss asks for the weighted mean, the sum "
                "divided by Σ w", lambda y, p, w: _weighted_bce(y, p, w, reduction="sum")),
        Variant(UNREDUCED_HINT.replace("their mean", "their weighted mean"),
                lambda y, p, w: _weighted_bce(y, p, w, reduction="none")),
    ),
)

IGNORE = -100
IGNORED_IN_DENOMINATOR_HINT = (
    "you counted the ignored targets in the denominator: the mean runs over the targets that "
    "are not ignored, so divide by np.sum(labels != -100), not by len(labels)"
)
IGNORE_AS_CLASS_HINT = (
    "-100 is not a class, it marks a target to ignore (padding): leave those rows out "
    "(keep = labels != -100) instead of reading them as class 0 or indexing with -100"
)


def _ignore_ce(labels, z, **kw):
    return _cross_entropy.sparse_categorical_cross_entropy(labels, z, from_logits=True,
                                                           ignore_index=IGNORE, **kw)


def _ignore_cases() -> list[Case]:
    rng = _rng(127)
    labels = rng.integers(0, 4, 8)
    labels[[2, 6, 7]] = IGNORE
    return [
        Case(
            "seeded random labels (three are -100) and logits, shape (8, 4)",
            (labels, rng.normal(0, 2, (8, 4)).round(2)),
        ),
        Case(
            "large logits (hundreds)",
            (labels, (rng.normal(0, 300, (8, 4))).round(1)),
            "exp overflows at logits above about 709: compute log-softmax as z - logsumexp(z), "
            "subtracting each row's maximum before exp",
        ),
        Case(
            "every target ignored but one",
            (np.array([IGNORE, IGNORE, 1, IGNORE]), rng.normal(0, 2, (4, 3)).round(2)),
            IGNORED_IN_DENOMINATOR_HINT,
        ),
    ]


def _ignore_as_class_zero(labels, z):
    return _cross_entropy.sparse_categorical_cross_entropy(
        np.where(labels == IGNORE, 0, labels), z, from_logits=True)


IGNORE_INDEX_CROSS_ENTROPY = Exercise(
    name="ignore_index_cross_entropy",
    params=("labels", "logits"),
    summary="the mean cross-entropy on logits over the labels that are not -100 (padding)",
    details=(
        "labels: integer class indices of shape (N,), with -100 marking targets to ignore (as "
        "torch's ignore_index=-100 does for padded sequences); logits: float64 scores of shape "
        "(N, C). Return one number: the mean over the targets that are not ignored of "
        "-log softmax(z)[label], computed without overflow for large logits."
    ),
    reference=_ignore_ce,
    cases=_ignore_cases,
    variants=(
        Variant(IGNORED_IN_DENOMINATOR_HINT,
                lambda labels, z: _ignore_ce(labels, z, reduction="sum") / labels.size),
        Variant(IGNORE_AS_CLASS_HINT, _ignore_as_class_zero),
        Variant("you returned the sum over the targets; the loss asks for their mean",
                lambda labels, z: _ignore_ce(labels, z, reduction="sum")),
    ),
    exception_hints=(("out of bounds", IGNORE_AS_CLASS_HINT),
                     ("index -100", IGNORE_AS_CLASS_HINT)),
)

# --- beyond the notes: KL divergence and focal loss ----------------------------------------


def _kl(p, q, **kw):
    return _divergence.kl_divergence(p, q, **kw)


def _kl_rows(rng, shape):
    return _links.softmax(rng.normal(0, 1.5, shape).round(2))


def _kl_cases() -> list[Case]:
    rng = _rng(131)
    return [
        Case("seeded random distributions, rows of shape (6, 4)",
             (_kl_rows(rng, (6, 4)), _kl_rows(rng, (6, 4)))),
        Case(
            "target rows with zeros",
            (np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]]),
             np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])),
            ZERO_LOG_ZERO_HINT.replace("np.where(y == 0, 0.0, y * np.log(p))",
                                       "np.where(p > 0, p * np.log(p / q), 0.0)"),
        ),
        Case(
            "a 3-D batch, shape (2, 3, 4)",
            (_kl_rows(rng, (2, 3, 4)), _kl_rows(rng, (2, 3, 4))),
            "sum over the last (class) axis, then average over every row, i.e. over all the "
            "other axes: shape (2, 3, 4) holds 6 rows",
        ),
    ]


KL_DIVERGENCE = Exercise(
    name="kl_divergence",
    params=("y_true", "y_pred"),
    summary="the mean over rows of Σ_k p_k·log(p_k / q_k), classes on the last axis",
    details=(
        "y_true: the target distributions p, float64 rows (last axis) in [0, 1] summing to 1, "
        "possibly with exact zeros; y_pred: the predicted distributions q, the same shape, "
        "positive. Sum over the classes, then return the mean over all rows as one number "
        "(torch's reduction='batchmean'). A zero target term costs nothing (0·log 0 = 0)."
    ),
    reference=_kl,
    cases=_kl_cases,
    variants=(
        Variant(
            "you averaged over every element, as torch's kl_div does with its default "
            "reduction='mean': that is the divergence divided by the number of classes. Sum "
            "over the classes first, then average over the rows ('batchmean')",
            lambda p, q: _kl(p, q, reduction="sum") / p.size,
        ),
        Variant("you returned the sum over rows; the loss asks for the mean over rows",
                lambda p, q: _kl(p, q, reduction="sum")),
        Variant(UNREDUCED_HINT.replace("per element", "per row"),
                lambda p, q: _kl(p, q, reduction="none")),
        Variant(
            "that is the cross-entropy -Σ p·log q; the divergence subtracts the target's own "
            "entropy: Σ p·log p - Σ p·log q = Σ p·log(p / q)",
            lambda p, q: _cross_entropy.categorical_cross_entropy(p, q),
        ),
    ),
)


def _focal(y, p, **kw):
    return _focal_module.binary_focal_cross_entropy(y, p, **kw)


def _focal_cases() -> list[Case]:
    rng = _rng(137)
    hard = rng.permutation([0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0])
    return [
        Case("seeded random labels 0/1 and probabilities in [0.05, 0.95]",
             (hard, rng.uniform(0.05, 0.95, 8).round(2))),
        Case(
            "soft labels in [0, 1]",
            (rng.uniform(0, 1, 8).round(2), rng.uniform(0.05, 0.95, 8).round(2)),
            "for a soft label y the probability of the wrong answer is "
            "1 - p_t = y·(1 - p) + (1 - y)·p: use it in the factor (1 - p_t)^gamma rather than a "
            "branch on y == 1",
        ),
        Case(
            "certain predictions (p = 0 and p = 1)",
            (np.array([1.0, 0.0, 1.0, 0.0]), np.array([1.0, 0.0, 0.5, 0.5])),
            ZERO_LOG_ZERO_HINT,
        ),
    ]


BINARY_FOCAL_CROSS_ENTROPY = Exercise(
    name="binary_focal_cross_entropy",
    params=("y_true", "y_pred"),
    summary="the mean of (1 - p_t)^2 · (binary cross-entropy): focal loss with gamma = 2, no alpha",
    details=(
        "y_true: float64 targets in [0, 1]; y_pred: probabilities p in [0, 1] of the same "
        "shape. With 1 - p_t = y·(1 - p) + (1 - y)·p (the probability of the wrong answer), "
        "return the mean over all elements of (1 - p_t)^2 · -(y·log p + (1 - y)·log(1 - p)), "
        "Keras's binary_focal_crossentropy with its defaults (gamma=2.0, no class balancing). "
        "A certain right prediction costs 0."
    ),
    reference=_focal,
    cases=_focal_cases,
    variants=(
        Variant("you left out the focal factor (1 - p_t)^gamma: that is the plain binary "
                "cross-entropy", lambda y, p: _bce(y, p)),
        Variant(
            "you multiplied by alpha = 0.25 on positives and 0.75 on negatives, as torchvision's "
            "sigmoid_focal_loss does by default; Keras applies alpha only with "
            "apply_class_balancing=True, and this exercise has no alpha",
            lambda y, p: _focal(y, p, apply_class_balancing=True),
        ),
        Variant("the factor is (1 - p_t)^gamma, the probability of the wrong answer: it is small "
                "for easy, confident examples; p_t^gamma weights them up instead",
                lambda y, p: np.mean(
                    (1 - (y * (1 - p) + (1 - y) * p)) ** 2 * _bce(y, p, reduction="none"))),
        Variant(SUM_HINT, lambda y, p: _focal(y, p, reduction="sum")),
        Variant(UNREDUCED_HINT, lambda y, p: _focal(y, p, reduction="none")),
    ),
)


EXERCISES = {
    ex.name: ex
    for ex in (
        ZERO_ONE,
        HINGE,
        LOGISTIC,
        SOFTMAX,
        BINARY_CROSS_ENTROPY,
        CATEGORICAL_CROSS_ENTROPY,
        MSE,
        MAE,
        HUBER,
        BINARY_CROSS_ENTROPY_GRAD,
        HUBER_GRAD,
        WEIGHTED_BINARY_CROSS_ENTROPY,
        IGNORE_INDEX_CROSS_ENTROPY,
        KL_DIVERGENCE,
        BINARY_FOCAL_CROSS_ENTROPY,
    )
}
