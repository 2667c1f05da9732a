"""lossnotes.exercises: right answers pass, the mistakes learners make fail with the right hint.

Each wrong implementation below is a mistake seen in practice; the test names the hint it must
get (a fragment of the hint's text) and, where it matters, the check that must catch it.
"""

import html
import signal
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pytest

import lossnotes as ln
from lossnotes import _grading_catalogue, exercises


def _same_shape(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"shapes differ: {y_true.shape} and {y_pred.shape}")
    return y_true, y_pred


def _as_pairs(y_true, y_pred):
    """The other accepted answer to (N,) against (N, 1): treat them as the same N values."""
    y_true = np.asarray(y_true)
    return y_true, np.reshape(y_pred, y_true.shape)


# --- correct implementations, written differently from the package's --------------------------


def zero_one_where(m):
    return np.where(m <= 0, 1.0, 0.0)


def zero_one_bool(m):
    return m <= 0  # booleans: values count, not dtypes


def zero_one_int(m):
    return 1 - (m > 0).astype(int)


def hinge_clip(m):
    return np.clip(1 - m, 0, None)


def hinge_where(m):
    return np.where(m < 1, 1 - m, 0.0)


def logistic_logaddexp(m):
    return np.logaddexp(0, -m)


def logistic_branches(m):
    # Both branches are evaluated (with overflow warnings); np.where keeps the finite one.
    return np.where(m >= 0, np.log1p(np.exp(-m)), -m + np.log1p(np.exp(m)))


def logistic_shifted(m):
    return np.maximum(-m, 0) + np.log1p(np.exp(-np.abs(m)))


def softmax_shifted(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_via_log(z):
    top = z.max(axis=-1, keepdims=True)
    log_p = z - top - np.log(np.exp(z - top).sum(axis=-1, keepdims=True))
    return np.exp(log_p)


def softmax_moveaxis(z):
    zt = np.moveaxis(z, -1, 0)
    e = np.exp(zt - zt.max(axis=0))
    return np.moveaxis(e / e.sum(axis=0), 0, -1)


def bce_log1p(y_true, y_pred):
    y, p = _same_shape(y_true, y_pred)
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = np.where(y > 0, y * np.log(p), 0.0)
        neg = np.where(y < 1, (1 - y) * np.log1p(-p), 0.0)
    return -np.mean(pos + neg)


def bce_reshaping(y_true, y_pred):
    y, p = _as_pairs(y_true, y_pred)
    safe_p = np.where(y > 0, p, 1.0)
    safe_q = np.where(y < 1, p, 0.0)
    return float(-np.mean(y * np.log(safe_p) + (1 - y) * np.log1p(-safe_q)))


def cce_where(y_true, y_pred):
    y, p = _same_shape(y_true, y_pred)
    safe = np.where(y > 0, p, 1.0)
    return -np.mean(np.sum(y * np.log(safe), axis=-1))


def cce_size(y_true, y_pred):
    with np.errstate(divide="ignore"):
        terms = np.where(y_true == 0, 0.0, y_true * np.log(y_pred))
    n_samples = y_true.size // y_true.shape[-1]
    return -terms.sum() / n_samples


def mse_mean(y_true, y_pred):
    y, p = _same_shape(y_true, y_pred)
    return np.mean(np.square(y - p))


def mse_size(y_true, y_pred):
    y, p = _as_pairs(y_true, y_pred)
    return float(((y - p) ** 2).sum() / y.size)


def mae_mean(y_true, y_pred):
    y, p = _same_shape(y_true, y_pred)
    return np.mean(np.abs(y - p))


def mae_average(y_true, y_pred):
    y, p = _as_pairs(y_true, y_pred)
    return np.average(np.abs(p - y))


def huber_where(y_true, y_pred, delta=1.0):
    y, p = _same_shape(y_true, y_pred)
    r = np.abs(y - p)
    return np.mean(np.where(r <= delta, 0.5 * r**2, delta * r - 0.5 * delta**2))


def huber_split(y_true, y_pred, delta=1.0):
    y, p = _as_pairs(y_true, y_pred)
    a = np.abs(y - p)
    return np.mean(0.5 * np.minimum(a, delta) ** 2 + delta * np.maximum(a - delta, 0))


def bce_grad_package(y_true, logits):
    return ln.binary_cross_entropy_grad(y_true, logits, from_logits=True)


def bce_grad_naive(y_true, logits):
    y, z = _same_shape(y_true, logits)
    return 1 / (1 + np.exp(-z)) - y  # overflow warning at z = -1000, right limit 0


def bce_grad_stable(y_true, logits):
    y, z = _same_shape(y_true, logits)
    e = np.exp(-np.abs(z))
    sig = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    return sig - y


def bce_grad_tanh(y_true, logits):
    y, z = _as_pairs(y_true, logits)
    return 0.5 * (1 + np.tanh(z / 2)) - y


def huber_grad_clip(y_true, y_pred, delta=1.0):
    y, p = _same_shape(y_true, y_pred)
    return np.clip(p - y, -delta, delta)


def huber_grad_where(y_true, y_pred, delta=1.0):
    y, p = _same_shape(y_true, y_pred)
    r = p - y
    return np.where(np.abs(r) <= delta, r, delta * np.sign(r))


def weighted_bce_where(y, p, w):
    keep = w > 0
    terms = -(y * np.log(np.where(keep, p, 0.5)) + (1 - y) * np.log1p(-np.where(keep, p, 0.5)))
    return np.sum(np.where(keep, w * terms, 0.0)) / np.sum(w)


def weighted_bce_select(y, p, w):
    keep = w > 0
    return ln.binary_cross_entropy(y[keep], p[keep], reduction="none") @ w[keep] / w.sum()


def ignore_ce_mask(labels, z):
    keep = labels != -100
    log_p = z[keep] - ln.logsumexp(z[keep], axis=-1, keepdims=True)
    return -np.mean(log_p[np.arange(keep.sum()), labels[keep]])


def ignore_ce_naive_logsumexp(labels, z):
    keep = labels != -100
    zk = z[keep]
    m = zk.max(axis=1, keepdims=True)
    log_p = zk - m - np.log(np.exp(zk - m).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(zk)), labels[keep]].sum() / keep.sum()


def kl_where(p, q):
    return np.mean(np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1) / q), 0.0), axis=-1))


def focal_where(y, p):
    wrong = y * (1 - p) + (1 - y) * p
    with np.errstate(divide="ignore"):
        ce = -(np.where(y > 0, y * np.log(p), 0.0) + np.where(y < 1, (1 - y) * np.log1p(-p), 0.0))
    return np.mean(wrong**2 * ce)


CORRECT = [
    ("kl_divergence", ln.kl_divergence),
    ("kl_divergence", kl_where),
    ("binary_focal_cross_entropy", ln.binary_focal_cross_entropy),
    ("binary_focal_cross_entropy", focal_where),
    ("weighted_binary_cross_entropy", weighted_bce_where),
    ("weighted_binary_cross_entropy", weighted_bce_select),
    ("ignore_index_cross_entropy", ignore_ce_mask),
    ("ignore_index_cross_entropy", ignore_ce_naive_logsumexp),
    ("zero_one", ln.zero_one),
    ("zero_one", zero_one_where),
    ("zero_one", zero_one_bool),
    ("zero_one", zero_one_int),
    ("hinge", ln.hinge),
    ("hinge", hinge_clip),
    ("hinge", hinge_where),
    ("logistic", ln.logistic),
    ("logistic", logistic_logaddexp),
    ("logistic", logistic_branches),
    ("logistic", logistic_shifted),
    ("softmax", ln.softmax),
    ("softmax", softmax_shifted),
    ("softmax", softmax_via_log),
    ("softmax", softmax_moveaxis),
    ("binary_cross_entropy", ln.binary_cross_entropy),
    ("binary_cross_entropy", bce_log1p),
    ("binary_cross_entropy", bce_reshaping),
    ("categorical_cross_entropy", ln.categorical_cross_entropy),
    ("categorical_cross_entropy", cce_where),
    ("categorical_cross_entropy", cce_size),
    ("mse", ln.mse),
    ("mse", mse_mean),
    ("mse", mse_size),
    ("mae", ln.mae),
    ("mae", mae_mean),
    ("mae", mae_average),
    ("huber", ln.huber),
    ("huber", huber_where),
    ("huber", huber_split),
    ("binary_cross_entropy_grad", bce_grad_package),
    ("binary_cross_entropy_grad", bce_grad_naive),
    ("binary_cross_entropy_grad", bce_grad_stable),
    ("binary_cross_entropy_grad", bce_grad_tanh),
    ("huber_grad", ln.huber_grad),
    ("huber_grad", huber_grad_clip),
    ("huber_grad", huber_grad_where),
]


@pytest.mark.parametrize(
    ("name", "fn"),
    CORRECT,
    ids=[f"{name}-{getattr(fn, '__name__', 'lambda')}" for name, fn in CORRECT],
)
def test_correct_implementations_pass(name, fn):
    report = exercises.check(name, fn)
    assert report.passed, str(report)
    assert report.hint == "" and report.failing_input == {}
    assert str(report) == (
        f"✓ {name}: passed {report.n_checks} checks (seeded random and edge cases)"
    )


# --- the mistakes learners make ------------------------------------------------------------------


def softmax_naive(z):
    return np.exp(z) / np.sum(np.exp(z), axis=-1, keepdims=True)


def softmax_axis0(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def softmax_axis1(z):  # right for 2-D batches, wrong for one vector
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_2d_only(z):  # wrong for 3-D batches
    e = np.exp(z - z.max(axis=1)[:, None])
    return e / e.sum(axis=1)[:, None]


def softmax_index_none(z):  # right for 2-D and 3-D batches, fails on one vector
    e = np.exp(z - z.max(axis=-1)[..., :, None])
    return e / e.sum(axis=-1)[..., :, None]


def softmax_global_sum(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def softmax_no_keepdims(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1)


def softmax_global_max(z):
    e = np.exp(z - z.max())
    return e / e.sum(axis=-1, keepdims=True)


def softmax_in_place(z):
    z -= z.max(axis=-1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    return z


def bce_log_one_minus(y_true, y_pred):
    y, p = _same_shape(y_true, y_pred)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def bce_sum(y_true, y_pred):
    return bce_log1p(y_true, y_pred) * np.size(y_true)


def bce_swapped(y_pred, y_true):  # the roles of the two arguments exchanged
    return bce_log1p(y_true, y_pred)


def bce_keras_clip(y_true, y_pred):
    y, p = _same_shape(y_true, y_pred)
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -np.mean(y * np.log(p) + (1 - y) * np.log1p(-p))


def bce_nan_at_certainty(y_true, y_pred):
    y, p = _same_shape(y_true, y_pred)
    return -np.mean(y * np.log(p) + (1 - y) * np.log1p(-p))


def bce_hard_labels_only(y_true, y_pred):
    y, p = _same_shape(y_true, y_pred)
    return -np.mean(np.where(y == 1, np.log(p), np.log1p(-p)))


def bce_broadcasting(y_true, y_pred):
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = np.where(y_true > 0, y_true * np.log(y_pred), 0.0)
        neg = np.where(y_true < 1, (1 - y_true) * np.log1p(-y_pred), 0.0)
    return -np.mean(pos + neg)


def bce_assert(y_true, y_pred):
    assert y_true.shape == y_pred.shape
    return bce_log1p(y_true, y_pred)


def bce_from_logits(y_true, y_pred):
    p = 1 / (1 + np.exp(-y_pred))
    return bce_log1p(y_true, p)


def cce_swapped(y_pred, y_true):
    return cce_where(y_true, y_pred)


def cce_all_elements(y_true, y_pred):
    safe = np.where(y_true > 0, y_pred, 1.0)
    return -np.mean(y_true * np.log(safe))


def cce_axis0(y_true, y_pred):
    safe = np.where(y_true > 0, y_pred, 1.0)
    return -np.mean(np.sum(y_true * np.log(safe), axis=0))


def cce_len(y_true, y_pred):
    safe = np.where(y_true > 0, y_pred, 1.0)
    return -np.sum(y_true * np.log(safe)) / len(y_true)


def cce_pick_true_class(y_true, y_pred):
    return -np.mean(np.log(np.sum(y_true * y_pred, axis=-1)))


def cce_nan_at_zero(y_true, y_pred):
    return -np.mean(np.sum(y_true * np.log(y_pred), axis=-1))


def mse_sum(y_true, y_pred):
    return np.sum((y_true - y_pred) ** 2)


def mse_broadcasting(y_true, y_pred):
    return np.mean((y_true - y_pred) ** 2)


def mse_len(y_true, y_pred):
    y, p = _same_shape(y_true, y_pred)
    return np.sum((y - p) ** 2) / len(y)


def mse_rmse(y_true, y_pred):
    return np.sqrt(mse_mean(y_true, y_pred))


def mse_half(y_true, y_pred):
    return 0.5 * mse_mean(y_true, y_pred)


def mse_float32(y_true, y_pred):
    return np.float32(mse_mean(y_true, y_pred)) * np.float32(1.0000001)


def mse_keepdims(y_true, y_pred):
    return np.mean((y_true - y_pred) ** 2, keepdims=True)


def mae_signed(y_true, y_pred):
    return np.mean(y_true - y_pred)


def mae_sum(y_true, y_pred):
    return np.sum(np.abs(y_true - y_pred))


def huber_without_constant(y_true, y_pred, delta=1.0):
    r = np.abs(y_true - y_pred)
    return np.mean(np.where(r <= delta, 0.5 * r**2, delta * r))


def huber_full_delta_squared(y_true, y_pred, delta=1.0):
    r = np.abs(y_true - y_pred)
    return np.mean(np.where(r <= delta, 0.5 * r**2, delta * r - delta**2))


def huber_signed_linear(y_true, y_pred, delta=1.0):
    r = y_true - y_pred
    return np.mean(np.where(np.abs(r) <= delta, 0.5 * r**2, delta * r - 0.5 * delta**2))


def huber_no_half(y_true, y_pred, delta=1.0):
    r = np.abs(y_true - y_pred)
    return np.mean(np.where(r <= delta, r**2, delta * r - 0.5 * delta**2))


def huber_sum(y_true, y_pred, delta=1.0):
    r = np.abs(y_true - y_pred)
    return np.sum(np.where(r <= delta, 0.5 * r**2, delta * r - 0.5 * delta**2))


def huber_delta_required(y_true, y_pred, delta):
    return huber_where(y_true, y_pred, delta)


def huber_broadcasting(y_true, y_pred, delta=1.0):
    r = np.abs(y_true - y_pred)
    return np.mean(np.where(r <= delta, 0.5 * r**2, delta * r - 0.5 * delta**2))


def bce_grad_negated(y_true, logits):
    return y_true - 1 / (1 + np.exp(-logits))


def bce_grad_swapped(logits, y_true):
    return bce_grad_stable(y_true, logits)


def bce_grad_exp_over_one_plus_exp(y_true, logits):
    return np.exp(logits) / (1 + np.exp(logits)) - y_true


def bce_grad_wrt_probability(y_true, logits):
    p = 1 / (1 + np.exp(-logits))
    return (p - y_true) / (p * (1 - p))


def bce_grad_probability_formula(y_true, logits):
    return (logits - y_true) / (logits * (1 - logits))


def bce_grad_mean(y_true, logits):
    return (1 / (1 + np.exp(-logits)) - y_true) / y_true.size


def bce_grad_sigmoid_sign(y_true, logits):
    return 1 / (1 + np.exp(logits)) - y_true


def bce_grad_broadcasting(y_true, logits):
    return 0.5 * (1 + np.tanh(logits / 2)) - y_true


def huber_grad_negated(y_true, y_pred):
    return np.clip(y_true - y_pred, -1, 1)


def huber_grad_unclipped(y_true, y_pred):
    return y_pred - y_true


def huber_grad_mae(y_true, y_pred):
    return np.sign(y_pred - y_true)


def huber_grad_broadcasting(y_true, y_pred):
    return np.clip(y_pred - y_true, -1, 1)


def zero_one_strict(m):
    return (m < 0).astype(float)


def zero_one_sign(m):
    return (1 - np.sign(m)) / 2


def zero_one_mean(m):
    return np.mean(m <= 0)


def hinge_perceptron(m):
    return np.maximum(0, -m)


def hinge_python_max(m):
    return max(0, 1 - m)


def hinge_np_max(m):
    return np.max(0, 1 - m)


def hinge_unclipped(m):
    return 1 - m


def hinge_no_return(m):
    np.maximum(0, 1 - m)


def hinge_column(m):
    return np.maximum(0, 1 - m).reshape(-1, 1)


def hinge_in_place(m):
    m *= -1
    m += 1
    return np.maximum(m, 0)


def logistic_naive(m):
    return np.log(1 + np.exp(-m))


def logistic_log1p_only(m):
    return np.log1p(np.exp(-m))


def logistic_no_log1p(m):
    return np.maximum(-m, 0) + np.log(1 + np.exp(-np.abs(m)))


def logistic_log2(m):
    return np.log2(1 + np.exp(-m))


# (exercise, wrong implementation, fragment of the expected hint, check label it fails on or None)
def weighted_bce_over_n(y, p, w):
    return np.mean(w * -(y * np.log(p) + (1 - y) * np.log1p(-p)))


def weighted_bce_times_zero(y, p, w):
    terms = -(y * np.log(p) + (1 - y) * np.log1p(-p))
    return np.sum(w * terms) / np.sum(w)


def ignore_ce_over_n(labels, z):
    keep = labels != -100
    log_p = z - ln.logsumexp(z, axis=-1, keepdims=True)
    picked = log_p[np.arange(len(z)), np.where(keep, labels, 0)]
    return -np.sum(np.where(keep, picked, 0.0)) / len(labels)


def ignore_ce_indexing(labels, z):
    log_p = z - ln.logsumexp(z, axis=-1, keepdims=True)
    return -np.mean(log_p[np.arange(len(z)), labels])


def ignore_ce_overflow(labels, z):
    keep = labels != -100
    p = np.exp(z[keep]) / np.exp(z[keep]).sum(axis=1, keepdims=True)
    return -np.mean(np.log(p[np.arange(keep.sum()), labels[keep]]))


def kl_torch_mean(p, q):
    return np.mean(np.where(p > 0, p * np.log(np.where(p > 0, p, 1) / q), 0.0))


def kl_naive(p, q):
    return np.mean(np.sum(p * np.log(p / q), axis=-1))


def focal_torchvision(y, p):
    alpha_t = 0.25 * y + 0.75 * (1 - y)  # torchvision's default alpha=0.25
    ce = -(y * np.log(p) + (1 - y) * np.log1p(-p))
    return np.mean(alpha_t * (y * (1 - p) + (1 - y) * p) ** 2 * ce)


WRONG = [
    ("kl_divergence", kl_torch_mean, "reduction='mean'", None),
    ("kl_divergence", kl_naive, "0·log 0 = 0", "target rows with zeros"),
    ("binary_focal_cross_entropy", focal_torchvision, "torchvision", None),
    ("weighted_binary_cross_entropy", weighted_bce_over_n, "as Keras's default reduction", None),
    ("weighted_binary_cross_entropy", weighted_bce_times_zero, "0 * inf is nan",
     "a certain wrong prediction"),
    ("ignore_index_cross_entropy", ignore_ce_over_n, "counted the ignored targets", None),
    ("ignore_index_cross_entropy", ignore_ce_indexing, "-100 is not a class", None),
    ("ignore_index_cross_entropy", ignore_ce_overflow, "exp overflows", "large logits"),
    ("zero_one", zero_one_strict, "not m < 0", "margins of exactly 0 and -0"),
    ("zero_one", zero_one_sign, "np.sign(0) is 0", "margins of exactly 0 and -0"),
    ("zero_one", zero_one_mean, "margin losses are elementwise", None),
    ("hinge", hinge_perceptron, "that is the perceptron loss", "seeded random margins"),
    ("hinge", hinge_python_max, "np.maximum", None),
    ("hinge", hinge_np_max, "np.maximum(a, b)", None),
    ("hinge", hinge_unclipped, "without the max", None),
    ("hinge", hinge_no_return, "a missing `return`", None),
    ("hinge", hinge_column, "an extra axis of length 1", None),
    ("hinge", hinge_in_place, "changed its input array in place", None),
    ("logistic", logistic_naive, "overflows to inf", "very wrong margins (-1000)"),
    ("logistic", logistic_log1p_only, "overflows to inf", "very wrong margins (-1000)"),
    ("logistic", logistic_no_log1p, "np.log1p", "large margins (30 to 50)"),
    ("logistic", logistic_log2, "natural logarithm", None),
    ("softmax", softmax_naive, "subtract each row's maximum", "large scores (1000)"),
    ("softmax", softmax_axis0, "normalised over the wrong axis", None),
    ("softmax", softmax_axis1, "normalised over the wrong axis", "a 3-D batch"),
    ("softmax", softmax_2d_only, "normalised over the wrong axis", "a 3-D batch"),
    ("softmax", softmax_index_none, "one vector too", "a single score vector"),
    ("softmax", softmax_global_sum, "sum over the whole array", None),
    ("softmax", softmax_no_keepdims, "keepdims", None),
    ("softmax", softmax_global_max, "each row's own maximum", "rows of very different sizes"),
    ("softmax", softmax_in_place, "changed its input array in place", None),
    ("softmax", ln.log_softmax, "log-probabilities", None),
    ("binary_cross_entropy", bce_log_one_minus, "np.log1p(-p)", "small probabilities"),
    ("binary_cross_entropy", bce_sum, "you returned the sum", None),
    ("binary_cross_entropy", bce_swapped, "(y_true, y_pred), in that order", None),
    ("binary_cross_entropy", bce_keras_clip, "don't clip", None),
    ("binary_cross_entropy", bce_nan_at_certainty, "0·log 0 = 0", "certain predictions"),
    ("binary_cross_entropy", bce_hard_labels_only, "soft label", "soft labels in [0, 1]"),
    ("binary_cross_entropy", bce_broadcasting, "(N, N)", "targets of shape (N,)"),
    ("binary_cross_entropy", bce_assert, "disappears under `python -O`", "targets of shape (N,)"),
    ("binary_cross_entropy", bce_from_logits, "don't apply the sigmoid", None),
    ("categorical_cross_entropy", cce_swapped, "(y_true, y_pred), in that order", None),
    ("categorical_cross_entropy", cce_all_elements, "samples and classes together", None),
    ("categorical_cross_entropy", cce_axis0, "classes are on the last axis", None),
    ("categorical_cross_entropy", cce_len, "len(y_true) counts only the first axis", "a 3-D"),
    ("categorical_cross_entropy", cce_pick_true_class, "soft targets", "soft targets"),
    ("categorical_cross_entropy", cce_nan_at_zero, "0·log 0 = 0", "zero probabilities"),
    ("categorical_cross_entropy", ln.sparse_categorical_cross_entropy, "raised", None),
    ("mse", mse_sum, "you returned the sum", None),
    ("mse", mse_broadcasting, "(N, N)", "targets of shape (N,)"),
    ("mse", mse_len, "len(y_true) counts only the first axis", "2-D targets"),
    ("mse", mse_rmse, "root mean squared error", None),
    ("mse", mse_half, "no factor ½", None),
    ("mse", mse_float32, "float32", None),
    ("mse", mse_keepdims, "the loss is one number", None),
    ("mse", ln.mae, "that is the mean absolute error", None),
    ("mae", mae_signed, "absolute value", None),
    ("mae", mae_sum, "you returned the sum", None),
    ("mae", ln.mse, "that is the mean squared error", None),
    ("huber", huber_without_constant, "δ|r| - δ²/2", None),
    ("huber", huber_full_delta_squared, "δ|r| - δ²/2", None),
    ("huber", huber_signed_linear, "uses |r|", None),
    ("huber", huber_no_half, "½r², not r²", None),
    ("huber", huber_sum, "you returned the sum", None),
    ("huber", huber_delta_required, "give any other parameter a default", None),
    ("huber", huber_broadcasting, "(N, N)", "targets of shape (N,)"),
    ("huber", ln.mse, "that is the mean squared error", None),
    ("binary_cross_entropy_grad", bce_grad_negated, "its negative", None),
    ("binary_cross_entropy_grad", bce_grad_swapped, "(y_true, logits), in that order", None),
    ("binary_cross_entropy_grad", bce_grad_exp_over_one_plus_exp, "inf / inf is nan", "large"),
    ("binary_cross_entropy_grad", bce_grad_wrt_probability, "1 / (p(1 - p)) cancels", None),
    ("binary_cross_entropy_grad", bce_grad_mean, "without dividing", None),
    ("binary_cross_entropy_grad", bce_grad_sigmoid_sign, "which is sigmoid(-z)", None),
    ("binary_cross_entropy_grad", bce_grad_broadcasting, "(N, N)", "targets of shape (N,)"),
    ("binary_cross_entropy_grad", bce_grad_probability_formula, "logits z, not probabilities",
     None),
    ("binary_cross_entropy_grad", ln.binary_cross_entropy_grad, "logits z (any real number)",
     None),
    ("huber_grad", huber_grad_negated, "its negative", None),
    ("huber_grad", huber_grad_unclipped, "clip ŷ - y to [-δ, δ]", None),
    ("huber_grad", huber_grad_mae, "MAE's gradient", None),
    ("huber_grad", huber_grad_broadcasting, "(N, N)", "targets of shape (N,)"),
]


@pytest.mark.parametrize(
    ("name", "fn", "hint", "check"),
    WRONG,
    ids=[f"{name}-{getattr(fn, '__name__', 'lambda')}" for name, fn, _, _ in WRONG],
)
def test_known_mistakes_fail_with_the_right_hint(name, fn, hint, check):
    report = exercises.check(name, fn)
    assert not report.passed
    assert hint in report.hint, str(report)
    if check is not None:
        assert report.check.startswith(check), str(report)
    text = str(report)
    assert text.startswith(f"✗ {name}: failed check ")
    assert "  hint: " in text and "  expected: " in text and "  got:      " in text
    assert set(report.failing_input) == set(_grading_catalogue.EXERCISES[name].params)


# --- every recognised mistake is reachable ---------------------------------------------------


VARIANTS = [
    (name, number, variant)
    for name, ex in _grading_catalogue.EXERCISES.items()
    for number, variant in enumerate(ex.variants)
]


@pytest.mark.parametrize(
    ("name", "number", "variant"), VARIANTS, ids=[f"{n}-{i}" for n, i, _ in VARIANTS]
)
def test_each_known_wrong_variant_fails_with_its_own_hint(name, number, variant):
    # Offered as the reader's function, each variant is caught, and the first failing check
    # recognises it (an earlier variant with the same hint text counts as the same diagnosis).
    report = exercises.check(name, variant.fn)
    assert not report.passed
    assert report.hint == variant.hint, str(report)


# --- what the report says and how it renders --------------------------------------------------


def test_failure_report_names_input_expected_got_and_hint():
    report = exercises.check("hinge", hinge_perceptron)
    assert report.name == "hinge"
    assert report.check == "seeded random margins"
    assert report.called_as == "fn(m)"
    m = report.failing_input["m"]
    np.testing.assert_array_equal(report.expected, ln.hinge(m))
    np.testing.assert_array_equal(report.got, hinge_perceptron(m))
    assert report.message.startswith("failed check 1 of 4 (seeded random margins): wrong value")
    assert "relative error" in report.message


def test_bce_grad_report_says_it_is_called_with_logits():
    report = exercises.check("binary_cross_entropy_grad", bce_grad_negated)
    assert report.called_as == "fn(y_true, logits)"
    assert "called as fn(y_true, logits) with" in str(report)
    assert "from_logits=True" in exercises.describe("binary_cross_entropy_grad")


def test_overflow_warnings_are_reported_not_raised():
    # The test suite turns RuntimeWarning into errors; check records them instead.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = exercises.check("softmax", softmax_naive)
    assert "overflow encountered in exp" in report.warnings
    assert "warnings: overflow encountered in exp" in str(report)


def test_exceptions_inside_the_function_are_reported():
    def broken(m):
        raise ZeroDivisionError("boom")

    report = exercises.check("hinge", broken)
    assert not report.passed
    assert isinstance(report.got, ZeroDivisionError)
    assert "raised ZeroDivisionError: boom" in str(report)
    assert "raised ZeroDivisionError" in report.message


def test_non_numeric_results_are_reported():
    report = exercises.check("mse", lambda y_true, y_pred: "0.5")
    assert not report.passed
    assert report.message.endswith(
        "returned a str, which NumPy converts to dtype <U3; expected real numbers"
    )
    assert "  got:      a str: '0.5'" in str(report)


def test_precision_failure_shows_enough_digits_to_see_the_difference():
    text = str(exercises.check("binary_cross_entropy", bce_log_one_minus))
    expected = next(line for line in text.splitlines() if line.startswith("  expected: "))
    got = next(line for line in text.splitlines() if line.startswith("  got:      "))
    assert expected[12:] != got[12:]


def test_refusal_check_explains_what_is_accepted():
    text = str(exercises.check("mse", mse_broadcasting))
    assert "expected: ValueError (the shapes differ), or " in text
    assert "or the result for the 5 pairs: " in text


def test_text_and_html_are_deterministic_and_escaped():
    def run():
        report = exercises.check("softmax", softmax_naive)
        return str(report), repr(report), report._repr_html_()

    first, second = run(), run()
    assert first == second
    text, rep, page = first
    assert text == rep
    assert "0x" not in page and "0x" not in text
    assert page.startswith("<div") and page.rstrip().endswith("</div>")
    assert html.escape("✗ softmax") in page and "<strong>hint:</strong>" in page

    def sneaky(m):
        raise ValueError("<script>alert(1)</script>")

    page = exercises.check("hinge", sneaky)._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_passed_report_html_is_a_single_green_line():
    page = exercises.check("hinge", hinge_clip)._repr_html_()
    assert "passed 4 checks" in page and "<pre" not in page and "hint" not in page


# --- the catalogue and misuse ----------------------------------------------------------------


# Exercises on a package function with an option: the name says which option.
WITH_OPTION = {"weighted_binary_cross_entropy": "binary_cross_entropy",
               "ignore_index_cross_entropy": "sparse_categorical_cross_entropy"}
REQUIRED = {
    *WITH_OPTION,
    "kl_divergence",
    "binary_focal_cross_entropy",
    "zero_one",
    "hinge",
    "logistic",
    "softmax",
    "binary_cross_entropy",
    "categorical_cross_entropy",
    "mse",
    "mae",
    "huber",
    "binary_cross_entropy_grad",
    "huber_grad",
}


def test_names_and_summaries_cover_the_exercises():
    assert set(exercises.names()) == REQUIRED
    assert tuple(exercises.EXERCISES) == exercises.names()
    for name in exercises.names():
        assert hasattr(ln, WITH_OPTION.get(name, name)), name  # the names match the package's
        text = exercises.describe(name)
        assert text.startswith(f"{name}: called as fn(")
        assert exercises.EXERCISES[name] in text.replace("\n  ", " ")
    with pytest.raises(TypeError):
        exercises.EXERCISES["new"] = "read-only"


def test_unknown_name_raises_value_error_listing_the_names():
    with pytest.raises(ValueError, match=r"unknown exercise 'hinge_loss'.*zero_one, hinge"):
        exercises.check("hinge_loss", hinge_clip)
    with pytest.raises(ValueError, match="unknown exercise"):
        exercises.describe("nope")


def test_non_callable_raises_type_error():
    with pytest.raises(TypeError, match="callable"):
        exercises.check("hinge", np.array([1.0]))


def test_seeded_random_inputs_reach_every_branch():
    cases = {name: ex.cases() for name, ex in _grading_catalogue.EXERCISES.items()}
    m = cases["hinge"][0].args[0]
    assert (m > 1).any() and (m < 1).any() and (m < 0).any()
    m = cases["zero_one"][0].args[0]
    assert (m > 0).any() and (m < 0).any()
    for name in ("huber", "huber_grad"):
        y, p = cases[name][0].args
        assert (np.abs(y - p) < 1).any() and (np.abs(y - p) > 1).any()
    y, _ = cases["binary_cross_entropy"][0].args
    assert set(y) == {0.0, 1.0}
    # Fixed seeds: the same inputs every time.
    again = _grading_catalogue.EXERCISES["softmax"].cases()
    np.testing.assert_array_equal(again[0].args[0], cases["softmax"][0].args[0])


def test_importing_lossnotes_does_not_import_the_exercises():
    code = (
        "import sys, lossnotes; "
        "assert 'lossnotes.exercises' not in sys.modules; "
        "assert 'exercises' not in lossnotes.__all__; "
        "from lossnotes import exercises; exercises.check"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


RESULTS = [
    (object(), "returned an object, which NumPy converts to dtype object"),
    ("0.5", "returned a str, which NumPy converts to dtype <U3"),
    (1 + 2j, "returned a complex, which NumPy converts to dtype complex128"),
    (np.complex128(1 + 2j), "returned a NumPy scalar of dtype complex128"),
    (np.array([1 + 2j, 3j]), "returned an array of dtype complex128"),
    (np.array([1.0, None]), "returned an array of dtype object"),
    ([[1.0], [1.0, 2.0]], "returned a list that NumPy cannot convert to an array"),
    (np.array(["a", "b"]), "returned an array of dtype <U1"),
    ((x for x in [1.0]), "returned a generator, which NumPy converts to dtype object"),
]


@pytest.mark.parametrize(
    ("result", "reason"),
    RESULTS,
    ids=["object", "str", "complex", "np-complex", "complex-array", "object-array", "ragged",
         "strings", "generator"],
)
def test_any_return_value_is_reported_never_raised(result, reason):
    # The report names the dtype NumPy makes of the result, and shows no memory address.
    report = exercises.check("mse", lambda y_true, y_pred: result)
    assert not report.passed
    assert report.message.endswith(f"): {reason}; expected real numbers"), report.message
    text, page = str(report), report._repr_html_()
    assert text and page and "0x" not in text and "0x" not in page


def test_ragged_result_hint_quotes_numpy():
    report = exercises.check("mse", lambda y_true, y_pred: [[1.0], [1.0, 2.0]])
    assert "np.asarray(result) raised ValueError: setting an array element" in report.hint


class _ReprRaises:
    def __repr__(self):
        raise ValueError("no repr here")


class _StrRaises(Exception):
    def __str__(self):
        raise RuntimeError("no message here")


def test_result_whose_repr_raises_is_reported():
    report = exercises.check("hinge", lambda m: _ReprRaises())
    assert not report.passed and isinstance(report.got, _ReprRaises)
    assert "returned a _ReprRaises, which NumPy converts to dtype object" in report.message
    flat = " ".join(str(report).split())
    assert (
        "got: an object of type _ReprRaises that cannot be shown (its repr raised "
        "ValueError: no repr here)"
    ) in flat
    assert report._repr_html_()
    # An array holding one: its repr raises too.
    report = exercises.check("hinge", lambda m: np.array([_ReprRaises()]))
    assert "returned an array of dtype object" in report.message
    assert "an object of type ndarray that cannot be shown" in str(report)


def test_exception_whose_str_raises_is_reported_by_its_type():
    def broken(m):
        raise _StrRaises("boom")

    report = exercises.check("hinge", broken)
    assert not report.passed and isinstance(report.got, _StrRaises)
    assert report.message.endswith("): raised _StrRaises")
    assert (
        "  got:      raised _StrRaises (its message cannot be shown: str() raised RuntimeError)"
    ) in str(report)
    assert "your function raised _StrRaises on a valid input" in report.hint


class _Custom(BaseException):
    pass


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (SystemExit(), "called sys.exit()"),
        (SystemExit(3), "called sys.exit(3)"),
        (SystemExit("bye"), "called sys.exit('bye')"),
        (GeneratorExit(), "raised GeneratorExit"),
        (_Custom("odd"), "raised _Custom"),
        (BaseExceptionGroup("group", [ValueError("a"), SystemExit(1)]),
         "raised BaseExceptionGroup"),
    ],
    ids=["exit", "exit-3", "exit-str", "generator-exit", "custom", "group"],
)
def test_sys_exit_and_other_base_exceptions_are_reported(exc, reason):
    def leaves(m):
        raise exc

    report = exercises.check("hinge", leaves)
    assert not report.passed and report.got is exc
    assert report.message.endswith(f"): {reason}"), report.message
    if isinstance(exc, SystemExit):
        assert "would stop the whole program" in report.hint
    # In the mismatched-shapes check too, where only ValueError is the right refusal.
    report = exercises.check("mse", lambda y_true, y_pred: mse_mean(y_true, y_pred)
                             if y_true.shape == y_pred.shape else leaves(None))
    assert report.check.startswith("targets of shape (N,)"), str(report)
    assert report.message.endswith(f"): {reason}"), report.message


def test_keyboard_interrupt_propagates_and_leaves_no_alarm_behind():
    alarm = hasattr(signal, "setitimer")
    before = signal.getsignal(signal.SIGALRM) if alarm else None
    timer = signal.getitimer(signal.ITIMER_REAL) if alarm else None

    def stop(m):
        raise KeyboardInterrupt

    def stop_in_group(m):
        raise BaseExceptionGroup("group", [KeyboardInterrupt()])

    with pytest.raises(KeyboardInterrupt):
        exercises.check("hinge", stop)
    with pytest.raises(BaseExceptionGroup):
        exercises.check("hinge", stop_in_group)
    if alarm:
        assert signal.getsignal(signal.SIGALRM) is before
        if timer == (0.0, 0.0):
            assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    # A SystemExit is a report, not an exit, whatever the interpreter would do.
    assert not exercises.check("hinge", lambda m: sys.exit(0)).passed


# --- the time limit ----------------------------------------------------------------------------


def hinge_endless(m):
    while True:
        pass


needs_alarm = pytest.mark.skipif(
    not hasattr(signal, "setitimer"), reason="the time limit needs SIGALRM (POSIX)"
)


@needs_alarm
def test_endless_loop_is_stopped_and_reported():
    start = time.monotonic()
    report = exercises.check("hinge", hinge_endless, timeout=0.2)
    assert time.monotonic() - start < 3
    assert not report.passed and report.got is None
    assert report.message == (
        "failed check 1 of 4 (seeded random margins): did not return within 0.2 s"
    )
    text = str(report)
    assert "  got:      no result: the call was stopped after 0.2 s" in text
    assert "an endless loop" in report.hint and "timeout=" in report.hint
    assert report._repr_html_()


@needs_alarm
def test_time_limit_stops_a_function_that_catches_it():
    def stubborn(m):
        try:
            while True:
                pass
        except BaseException:
            pass
        while True:  # the limit fires again
            pass

    def returns_anyway(m):
        try:
            while True:
                pass
        except BaseException:
            return np.maximum(0, 1 - m)

    for fn in (stubborn, returns_anyway):
        report = exercises.check("hinge", fn, timeout=0.1)
        assert report.message.endswith("did not return within 0.1 s"), str(report)


@needs_alarm
def test_time_limit_restores_the_previous_handler_and_timer():
    fired = []

    def handler(signum, frame):
        fired.append(signum)

    previous = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 100.0)
        report = exercises.check("hinge", hinge_endless, timeout=0.1)
        assert "did not return within 0.1 s" in report.message
        assert signal.getsignal(signal.SIGALRM) is handler
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 90 < left <= 100
        # An outer timer whose deadline passes during check still fires, afterwards.
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        exercises.check("hinge", hinge_endless, timeout=0.2)
        time.sleep(0.01)
        assert fired == [signal.SIGALRM]
        # After an error too.
        def interrupted(m):
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            exercises.check("hinge", interrupted, timeout=0.1)
        assert signal.getsignal(signal.SIGALRM) is handler
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@needs_alarm
def test_time_limit_covers_the_swapped_call_of_the_diagnosis():
    def wrong_then_endless(y_true, y_pred):
        if not np.all((y_true == 0) | (y_true == 1)):  # called with the arguments swapped
            while True:
                pass
        return 2 * bce_log1p(y_true, y_pred)

    start = time.monotonic()
    report = exercises.check("binary_cross_entropy", wrong_then_endless, timeout=0.2)
    assert time.monotonic() - start < 3
    assert "wrong value" in report.message and "in that order" not in report.hint


def test_a_slow_but_correct_function_passes_within_the_limit():
    def slow_hinge(m):
        time.sleep(0.01)
        return np.maximum(0, 1 - m)

    assert exercises.check("hinge", slow_hinge, timeout=5).passed
    assert exercises.check("hinge", slow_hinge, timeout=None).passed
    assert exercises.check("hinge", slow_hinge, timeout=float("inf")).passed


def test_without_the_main_thread_there_is_no_limit_but_no_error():
    def slow_hinge(m):
        time.sleep(0.05)
        return np.maximum(0, 1 - m)

    reports = []
    thread = threading.Thread(
        target=lambda: reports.append(exercises.check("hinge", slow_hinge, timeout=0.01))
    )
    thread.start()
    thread.join()
    assert reports and reports[0].passed


@pytest.mark.parametrize(
    ("timeout", "error", "match"),
    [
        (0, ValueError, "timeout must be a positive number of seconds.*found 0"),
        (-1.5, ValueError, "found -1.5"),
        (float("nan"), ValueError, "found nan"),
        ("10", TypeError, "timeout must be a number of seconds.*found str"),
        (True, TypeError, "found bool"),
    ],
)
def test_bad_timeout_raises(timeout, error, match):
    with pytest.raises(error, match=match):
        exercises.check("hinge", hinge_clip, timeout=timeout)


def test_time_limit_is_documented():
    doc = exercises.check.__doc__
    assert "timeout : float or None" in doc and "did not return within 10 s" in doc
    assert "without a limit" in doc


# --- long and foreign results ------------------------------------------------------------------


@pytest.mark.parametrize(
    "result",
    [
        np.zeros(100_000, dtype=complex),
        np.full(100_000, "x" * 50),
        "0" * 100_000,
        ["a"] * 100_000,
    ],
    ids=["complex-array", "string-array", "str", "list-of-str"],
)
def test_long_results_are_shown_short(result):
    # Whatever the notebook's print options: NumPy's summary for arrays, a cut for reprs.
    with np.printoptions(threshold=sys.maxsize, linewidth=1000):
        report = exercises.check("mse", lambda y_true, y_pred: result)
        text = str(report)
    assert not report.passed
    assert len(text) < 2000, len(text)
    assert max(len(line) for line in text.splitlines()) <= 96
    if isinstance(result, str | list):
        assert "characters in all)" in text and "..." in text


def test_long_exception_messages_and_many_warnings_are_shown_short():
    def loud(m):
        for i in range(20):
            warnings.warn(f"warning number {i}", stacklevel=1)
        raise ValueError("x" * 100_000)

    report = exercises.check("hinge", loud)
    text = str(report)
    assert len(report.warnings) == 20 and len(text) < 2000
    flat = " ".join(text.split())
    assert "warning number 4; and 15 more" in flat and "warning number 5" not in flat
    assert "xxx... (100000 characters in all)" in flat
    assert max(len(line) for line in text.splitlines()) <= 96


def test_torch_tensor_that_requires_grad_gets_the_detach_hint():
    torch = pytest.importorskip("torch")

    def hinge_torch(m):
        t = torch.tensor(m, requires_grad=True)
        return torch.clamp(1 - t, min=0)

    def hinge_torch_numpy(m):
        return hinge_torch(m).numpy()

    report = exercises.check("hinge", hinge_torch)
    assert "returned a Tensor that NumPy cannot convert to an array" in report.message
    assert ".detach().numpy()" in report.hint and "requires grad" in report.hint
    report = exercises.check("hinge", hinge_torch_numpy)
    assert "raised RuntimeError" in report.message and ".detach()" in report.hint
    assert exercises.check("hinge", lambda m: hinge_torch(m).detach().numpy()).passed
    # The grader recognises a tensor without importing torch.
    code = (
        "import sys; from lossnotes import exercises; "
        "exercises.check('hinge', lambda m: object()); "
        "exercises.check('hinge', lambda m: [[1.0], [1.0, 2.0]]); "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_report_ignores_the_notebooks_print_options():
    before = str(exercises.check("softmax", softmax_axis0))
    with np.printoptions(precision=2, suppress=True, linewidth=40, sign="+"):
        during = str(exercises.check("softmax", softmax_axis0))
    assert during == before
