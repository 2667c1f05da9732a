"""Properties rather than points: invariances, identities between losses, bounds, stability."""

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lossnotes as ln

settings.register_profile("lossnotes", max_examples=60, deadline=None, derandomize=True)
settings.load_profile("lossnotes")

finite = st.floats(-50, 50, allow_nan=False, allow_infinity=False)
logit_rows = hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(2, 6)),
                        elements=finite)


@given(logit_rows, finite)
def test_softmax_is_unchanged_by_adding_a_constant(z, c):
    np.testing.assert_allclose(ln.softmax(z + c), ln.softmax(z), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(ln.log_softmax(z + c), ln.log_softmax(z), rtol=0, atol=1e-12)


@given(logit_rows)
def test_softmax_is_a_distribution(z):
    p = ln.softmax(z)
    assert np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=-1), 1, rtol=1e-14)
    np.testing.assert_allclose(np.exp(ln.log_softmax(z)), p, rtol=1e-12, atol=1e-300)


@given(hnp.arrays(np.float64, st.integers(1, 20), elements=finite),
       hnp.arrays(np.float64, st.integers(1, 20), elements=st.floats(0, 1)))
def test_binary_is_two_class_categorical_on_logits_0_and_z(z, y):
    # sigma(z) = softmax([0, z])_1, so BCE(y, z) = CCE([1 - y, y], [0, z]).
    n = min(len(z), len(y))
    z, y = z[:n], y[:n]
    bce = ln.binary_cross_entropy(y, z, from_logits=True, reduction="none")
    cce = ln.categorical_cross_entropy(
        np.stack([1 - y, y], -1), np.stack([np.zeros_like(z), z], -1),
        from_logits=True, reduction="none",
    )
    np.testing.assert_allclose(bce, cce, rtol=1e-10, atol=1e-14)


@given(hnp.arrays(np.float64, st.integers(1, 20), elements=finite))
def test_logistic_margin_loss_is_binary_cross_entropy_with_mapped_labels(score):
    y = np.where(np.arange(score.size) % 2 == 0, 1.0, -1.0)
    np.testing.assert_allclose(
        ln.logistic(ln.margin(y, score)),
        ln.binary_cross_entropy((y + 1) / 2, score, from_logits=True, reduction="none"),
        rtol=1e-12, atol=1e-300,
    )


@given(hnp.arrays(np.float64, st.integers(1, 50), elements=st.floats(-1e3, 1e3)))
def test_surrogates_bound_the_zero_one_loss(m):
    zo = ln.zero_one(m)
    for upper in (ln.hinge, ln.squared_hinge, ln.exponential):
        assert np.all(upper(m) >= zo)
    # The logistic loss in natural logs is log 2 < 1 at m = 0: it bounds 0-1 only in base 2.
    assert np.all(ln.logistic(m) / math.log(2) >= zo)
    assert ln.logistic(0.0) < ln.zero_one(0.0)


def test_perceptron_is_not_an_upper_bound():
    # At m = 0 the perceptron loss is 0 while the 0-1 loss is 1.
    assert ln.perceptron(0.0) < ln.zero_one(0.0)


@given(hnp.arrays(np.float64, st.integers(1, 30), elements=st.floats(-20, 20)))
def test_margin_losses_are_non_increasing(m):
    m = np.sort(m)
    for loss in (ln.zero_one, ln.perceptron, ln.hinge, ln.squared_hinge, ln.logistic,
                 ln.exponential):
        assert np.all(np.diff(loss(m)) <= 0), loss.__name__


@given(hnp.arrays(np.float64, st.integers(2, 30), elements=st.floats(-1e3, 1e3)),
       st.floats(0.1, 5))
def test_huber_lies_between_its_quadratic_and_linear_parts(r, delta):
    zeros = np.zeros_like(r)
    h = ln.huber(zeros, r, delta=delta, reduction="none")
    assert np.all(h <= 0.5 * r**2 + 1e-12)
    assert np.all(h <= delta * np.abs(r) + 1e-12)
    assert np.all(h >= 0)


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.0])
def test_huber_is_continuous_with_continuous_slope_at_delta(delta):
    eps = 1e-9
    y = np.zeros(2)
    inside, outside = ln.huber(y, [delta - eps, delta + eps], delta=delta, reduction="none")
    assert abs(outside - inside) < 3 * delta * eps
    g_in, g_out = ln.huber_grad(y, [delta - eps, delta + eps], delta=delta)
    assert abs(g_out - g_in) < 2 * eps


def test_gradients_vanish_at_the_minimum():
    y = np.array([0.3, -1.2, 2.0])
    for grad in (ln.mse_grad, ln.mae_grad, ln.huber_grad):
        np.testing.assert_array_equal(grad(y, y), 0)
    np.testing.assert_array_equal(ln.binary_cross_entropy_grad([0.0, 1.0], [0.0, 1.0]) * 0, 0)
    # Cross-entropy on logits: gradient zero where softmax equals the target.
    z = np.array([[0.1, -2.0, 1.5]])
    np.testing.assert_allclose(
        ln.categorical_cross_entropy_grad(ln.softmax(z), z, from_logits=True), 0, atol=1e-16
    )
    assert ln.hinge_grad(1.5) == 0 and ln.squared_hinge_grad(1.0) == 0


EXTREME = np.array([-1e3, -700.0, -1.0, 0.0, 1.0, 700.0, 1e3])


def test_finite_and_silent_at_extreme_logits():
    y = (np.arange(EXTREME.size) % 2).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any NumPy RuntimeWarning fails the test
        outs = [
            ln.sigmoid(EXTREME), ln.log_sigmoid(EXTREME), ln.logistic(EXTREME),
            ln.logistic_grad(EXTREME), ln.softmax(EXTREME), ln.log_softmax(EXTREME),
            ln.logsumexp(EXTREME),
            ln.binary_cross_entropy(y, EXTREME, from_logits=True, reduction="none"),
            ln.binary_cross_entropy_grad(y, EXTREME, from_logits=True),
            ln.categorical_cross_entropy([np.eye(7)[1]], [EXTREME], from_logits=True),
            ln.categorical_cross_entropy_grad([np.eye(7)[1]], [EXTREME], from_logits=True),
            ln.sparse_categorical_cross_entropy([0], [EXTREME], from_logits=True),
        ]
        for out in outs:
            assert np.all(np.isfinite(out))
        # A certain, wrong probability costs +inf, silently.
        assert ln.binary_cross_entropy([1.0], [0.0]) == np.inf
        # The exponential loss overflows to inf (its true value exceeds the largest double).
        assert ln.exponential(-1e3) == np.inf
    # Large logits give the exact values, not merely finite ones.
    assert ln.binary_cross_entropy([1.0], [-1e3], from_logits=True) == 1e3
    assert ln.categorical_cross_entropy([np.eye(7)[0]], [EXTREME], from_logits=True) == 2e3


def test_infinite_logits_give_the_mathematical_limit():
    out = ln.binary_cross_entropy([1.0, 0.0, 1.0, 0.0], [np.inf, -np.inf, -np.inf, np.inf],
                                  from_logits=True, reduction="none")
    np.testing.assert_array_equal(out, [0.0, 0.0, np.inf, np.inf])
    np.testing.assert_array_equal(ln.softmax([np.inf, 0.0, np.inf]), [0.5, 0.0, 0.5])
    lsm = ln.log_softmax([np.inf, 0.0])
    np.testing.assert_array_equal(lsm, [0.0, -np.inf])
    assert ln.logsumexp([-np.inf, -np.inf]) == -np.inf


@given(hnp.arrays(np.float32, st.integers(1, 20), elements=st.floats(-80, 80, width=32)))
def test_float32_matches_float64_to_float32_precision(z):
    y = (np.arange(z.size) % 2).astype(np.float32)
    lo = ln.binary_cross_entropy(y, z, from_logits=True, reduction="none")
    hi = ln.binary_cross_entropy(y.astype(np.float64), z.astype(np.float64), from_logits=True,
                                 reduction="none")
    assert lo.dtype == np.float32
    # A few float32 ulps: each elementary function is correctly rounded to within about 1 ulp.
    np.testing.assert_allclose(lo, hi, rtol=4 * np.finfo(np.float32).eps, atol=1e-37)


def test_import_does_not_load_the_frameworks():
    code = (
        "import sys, lossnotes; "
        "bad = [m for m in ('tensorflow', 'torch', 'keras', 'matplotlib') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
