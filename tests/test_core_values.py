"""Exact values at hand-picked points, in float64, against references computed independently.

Each reference is a closed form evaluated with Python's ``math`` module (or mpmath at 50
digits where cancellation would spoil ``math``), never with lossnotes itself.
"""

import math

import mpmath
import numpy as np
import pytest

import lossnotes as ln

mpmath.mp.dps = 50
RTOL = 1e-12


def mp_log1pexp(x):
    """log(1 + e^x) to 50 digits, as a float."""
    return float(mpmath.log(1 + mpmath.exp(mpmath.mpf(x))))


# (function, margin, expected) with expected from the definition by hand.
MARGIN_CASES = [
    (ln.zero_one, [-3.0, -1e-300, 0.0, 1e-300, 2.0], [1, 1, 1, 0, 0]),
    (ln.perceptron, [-3.0, -0.5, 0.0, 0.5], [3.0, 0.5, 0.0, 0.0]),
    (ln.hinge, [-3.0, 0.0, 0.25, 1.0, 4.0], [4.0, 1.0, 0.75, 0.0, 0.0]),
    (ln.squared_hinge, [-3.0, 0.0, 0.25, 1.0, 4.0], [16.0, 1.0, 0.5625, 0.0, 0.0]),
    # log(1 + e^-m): m = 0 gives log 2; m = -1000 gives 1000 (+ e^-1000, far below 1 ulp);
    # m = 40 gives e^-40 to full precision (mpmath reference).
    (
        ln.logistic,
        [-1000.0, -1.0, 0.0, 1.0, 40.0, 1000.0],
        [1000.0, math.log1p(math.e), math.log(2), math.log1p(math.exp(-1)), mp_log1pexp(-40), 0.0],
    ),
    (ln.exponential, [-2.0, 0.0, 3.0], [math.exp(2), 1.0, math.exp(-3)]),
]


@pytest.mark.parametrize(
    ("fn", "m", "expected"), MARGIN_CASES, ids=[c[0].__name__ for c in MARGIN_CASES]
)
def test_margin_losses_at_hand_picked_points(fn, m, expected):
    np.testing.assert_allclose(fn(m), expected, rtol=RTOL, atol=0)


def test_margin_multiplies_labels_and_scores():
    np.testing.assert_array_equal(ln.margin([1, -1, -1], [0.5, 0.5, -2.0]), [0.5, -0.5, 2.0])


def test_links_at_hand_picked_points():
    np.testing.assert_allclose(ln.sigmoid([0.0, 2.0]), [0.5, 1 / (1 + math.exp(-2))], rtol=RTOL)
    # sigma(-50) = e^-50 / (1 + e^-50): full relative precision, not rounded against 1.
    np.testing.assert_allclose(ln.sigmoid(-50.0), math.exp(-50) / (1 + math.exp(-50)), rtol=RTOL)
    np.testing.assert_allclose(ln.log_sigmoid(-1000.0), -1000.0, rtol=RTOL)
    scores = [44.0, 10.0, 22.0, 5.0]  # the notes' [cat, dog, car, pedestrian]
    log_total = math.log1p(math.exp(-34) + math.exp(-22) + math.exp(-39))
    lse = 44 + log_total
    np.testing.assert_allclose(ln.logsumexp(scores), lse, rtol=RTOL)
    # (z - 44) - log1p(...), not z - lse: for the top score, z - lse would cancel 44 against
    # 44.00000000027895 and leave -2.78952e-10 instead of the true -2.7894853e-10 (mpmath).
    np.testing.assert_allclose(
        ln.log_softmax(scores), (np.array(scores) - 44) - log_total, rtol=RTOL
    )
    np.testing.assert_allclose(
        ln.softmax(scores), [math.exp(s - lse) for s in scores], rtol=RTOL
    )


def test_binary_cross_entropy_notes_examples():
    # TensorFlow example of the notes: y = 0, p = 0.5, shape (1, 1, 1): log 2.
    assert ln.binary_cross_entropy([[[0.0]]], [[[0.5]]]) == pytest.approx(math.log(2), rel=RTOL)
    # PyTorch example: one (0, 0.2) and nine (1, 0.8): every term is -log 0.8.
    y = [0.0] + [1.0] * 9
    p = [0.2] + [0.8] * 9
    assert ln.binary_cross_entropy(y, p) == pytest.approx(-math.log(0.8), rel=RTOL)


def test_binary_cross_entropy_probability_edges():
    out = ln.binary_cross_entropy(
        [1.0, 0.0, 1.0, 0.0, 0.3], [1.0, 0.0, 0.0, 1.0, 0.0], reduction="none"
    )
    np.testing.assert_array_equal(out, [0.0, 0.0, np.inf, np.inf, np.inf])
    # y = 0, p = 1e-4: -log(1 - 1e-4) = 1.00005e-4 exactly to double precision via log1p.
    small = ln.binary_cross_entropy([0.0], [1e-4], reduction="none")
    np.testing.assert_allclose(small, [-math.log1p(-1e-4)], rtol=RTOL)


def test_binary_cross_entropy_logits():
    z = [-1000.0, -40.0, 0.0, 40.0, 1000.0, np.inf, -np.inf]
    ones = ln.binary_cross_entropy([1.0] * 7, z, from_logits=True, reduction="none")
    zeros = ln.binary_cross_entropy([0.0] * 7, z, from_logits=True, reduction="none")
    np.testing.assert_allclose(
        ones, [1000.0, 40.0 + mp_log1pexp(-40), math.log(2), mp_log1pexp(-40), 0, 0, np.inf],
        rtol=RTOL,
    )
    np.testing.assert_allclose(
        zeros, [0, mp_log1pexp(-40), math.log(2), 40 + mp_log1pexp(-40), 1000.0, np.inf, 0],
        rtol=RTOL,
    )
    # A soft label with an infinite logit costs +inf, whichever side.
    soft = ln.binary_cross_entropy([0.5, 0.5], [np.inf, -np.inf], from_logits=True,
                                   reduction="none")
    np.testing.assert_array_equal(soft, [np.inf, np.inf])


def test_categorical_cross_entropy_notes_example():
    assert ln.categorical_cross_entropy([[[0.0, 1.0]]], [[[0.4, 0.6]]]) == pytest.approx(
        -math.log(0.6), rel=RTOL
    )


def test_categorical_cross_entropy_from_logits():
    scores = [[44.0, 10.0, 22.0, 5.0]]
    lse = 44 + math.log1p(math.exp(-34) + math.exp(-22) + math.exp(-39))
    for k in range(4):
        onehot = np.eye(4)[[k]]
        assert ln.categorical_cross_entropy(onehot, scores, from_logits=True) == pytest.approx(
            lse - scores[0][k], rel=RTOL
        )
        assert ln.sparse_categorical_cross_entropy(
            [k], scores, from_logits=True
        ) == pytest.approx(lse - scores[0][k], rel=RTOL)
    # Logits [100, -100, 0] with true class 1 cost 200 + log(1 + e^-100 + e^-200) ~= 200.
    assert ln.categorical_cross_entropy(
        [[0.0, 1.0, 0.0]], [[100.0, -100.0, 0.0]], from_logits=True
    ) == pytest.approx(200.0, rel=RTOL)


def test_categorical_cross_entropy_class_axis():
    # Classes on axis 1 of a (N, C, L) array, torch's layout.
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3, 4, 5))
    labels = rng.integers(0, 4, size=(3, 5))
    onehot = np.moveaxis(np.eye(4)[labels], -1, 1)
    a = ln.categorical_cross_entropy(onehot, z, from_logits=True, axis=1, reduction="none")
    b = ln.sparse_categorical_cross_entropy(labels, z, from_logits=True, axis=1, reduction="none")
    assert a.shape == b.shape == (3, 5)
    np.testing.assert_allclose(a, b, rtol=RTOL)
    lse = np.log(np.exp(z).sum(axis=1))
    np.testing.assert_allclose(
        b, lse - np.take_along_axis(z, labels[:, None], 1)[:, 0], rtol=RTOL
    )


def test_categorical_probability_zero_for_true_class_is_inf():
    assert ln.categorical_cross_entropy([[1.0, 0.0]], [[0.0, 1.0]]) == np.inf
    assert ln.sparse_categorical_cross_entropy([0], [[0.0, 1.0]]) == np.inf


REGRESSION_CASES = [
    # residuals r = y - p of -3, -1, -0.5, 0, 0.5, 1, 3
    (ln.mse, {}, [9.0, 1.0, 0.25, 0.0, 0.25, 1.0, 9.0]),
    (ln.mae, {}, [3.0, 1.0, 0.5, 0.0, 0.5, 1.0, 3.0]),
    # delta = 1: 0.5 r^2 inside, |r| - 0.5 outside; equal (0.5) at the join |r| = 1.
    (ln.huber, {}, [2.5, 0.5, 0.125, 0.0, 0.125, 0.5, 2.5]),
    # delta = 2: 0.5 r^2 for |r| <= 2, 2|r| - 2 beyond.
    (ln.huber, {"delta": 2.0}, [4.0, 0.5, 0.125, 0.0, 0.125, 0.5, 4.0]),
]


@pytest.mark.parametrize(
    ("fn", "kw", "expected"),
    REGRESSION_CASES,
    ids=["mse", "mae", "huber-delta1", "huber-delta2"],
)
def test_regression_losses_at_hand_picked_points(fn, kw, expected):
    y_pred = np.array([3.0, 1.0, 0.5, 0.0, -0.5, -1.0, -3.0])
    y_true = np.zeros_like(y_pred)
    np.testing.assert_allclose(fn(y_true, y_pred, reduction="none", **kw), expected, rtol=RTOL)
    assert fn(y_true, y_pred, **kw) == pytest.approx(np.mean(expected), rel=RTOL)
    assert fn(y_true, y_pred, reduction="sum", **kw) == pytest.approx(np.sum(expected), rel=RTOL)


def test_combine_weights():
    assert ln.combine([1.0, 3.0]) == pytest.approx(2.0, rel=RTOL)
    assert ln.combine([1.0, 3.0], weights=[1.0, 1.0]) == pytest.approx(4.0, rel=RTOL)
    assert ln.combine([1.0, 3.0], weights=[0.5, 0.1]) == pytest.approx(0.8, rel=RTOL)
    assert ln.combine([np.float32(2.0)]).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_results_keep_the_prediction_dtype(dtype):
    p = np.array([0.25, 0.75], dtype=dtype)
    y = np.array([0.0, 1.0])  # float64 targets are cast to the prediction's dtype
    for out in [
        ln.binary_cross_entropy(y, p),
        ln.binary_cross_entropy(y, p, reduction="none"),
        ln.binary_cross_entropy(y, p, from_logits=True),
        ln.binary_cross_entropy_grad(y, p),
        ln.mse(y, p),
        ln.mae_grad(y, p),
        ln.huber(y, p),
        ln.huber_grad(y, p),
        ln.categorical_cross_entropy([y], [p]),
        ln.categorical_cross_entropy_grad([y], [p], from_logits=True),
        ln.sparse_categorical_cross_entropy([1], [p], from_logits=True),
        ln.hinge(p),
        ln.logistic_grad(p),
        ln.softmax(p),
    ]:
        assert out.dtype == dtype


def test_integer_inputs_become_float64():
    assert ln.mse([1, 2], [2, 2]).dtype == np.float64
    assert ln.hinge([0, 2]).dtype == np.float64
