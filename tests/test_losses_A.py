"""Divergences between distributions, counts and positive targets, robust regression.

Unit tests of the losses of ``lossnotes/_divergence.py`` and ``lossnotes/_regression_more.py``
beyond what the registry-parametrized tests check (reference on the grid, finite
differences, compare's edge cases): values at hand-picked points against closed forms or the
50-digit reference, gradients against torch.autograd and tf.GradientTape, the errors, and the
frameworks' traps named in issue 15, each measured on the installed Keras and torch.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import lossnotes as ln
import lossnotes.accuracy as acc

torch = pytest.importorskip("torch")
F = torch.nn.functional
EPS64 = np.finfo(np.float64).eps


def _keras():
    from lossnotes._compare import _frameworks

    return _frameworks.keras(), _frameworks.tensorflow()


def _no_warning(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


def _raises(exc, pattern, fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(exc, match=pattern):
            fn(*args, **kwargs)


def _torch_grad(loss_of, p):
    """d(sum of loss_of(pt))/dp by torch.autograd, in float64."""
    pt = torch.tensor(np.asarray(p, dtype=np.float64), requires_grad=True)
    loss_of(pt).sum().backward()
    return pt.grad.numpy()


def _tf_grad(loss_of, p):
    _, tf = _keras()
    pt = tf.constant(np.asarray(p, dtype=np.float64))
    with tf.GradientTape() as tape:
        tape.watch(pt)
        total = tf.reduce_sum(loss_of(pt))
    return tape.gradient(total, pt).numpy()


# ---------------------------------------------------------------------------------------------
# Kullback-Leibler divergence
# ---------------------------------------------------------------------------------------------

RNG = np.random.default_rng(20261129)
P = ln.softmax(RNG.normal(0, 1, (5, 4)))
Q = ln.softmax(RNG.normal(0, 2, (5, 4)))


def test_kl_values_at_closed_forms():
    # (1/2, 1/2, 0) against (1/4, 1/4, 1/2): 2 * (1/2) log 2 = log 2; identical rows: 0; a
    # one-hot target: -log q of its class.
    got = ln.kl_divergence([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [0.0, 1.0, 0.0]],
                           [[0.25, 0.25, 0.5], [0.2, 0.3, 0.5], [0.1, 0.7, 0.2]],
                           reduction="none")
    np.testing.assert_allclose(got, [math.log(2), 0.0, -math.log(0.7)], rtol=1e-15, atol=0)
    assert got[1] == 0.0


def test_kl_against_the_reference_and_as_cross_entropy_minus_entropy():
    ref = np.asarray(acc.reference("kl_divergence", P, Q), dtype=np.float64)
    ours = ln.kl_divergence(P, Q, reduction="none")
    np.testing.assert_allclose(ours, ref, rtol=1e-14)
    # KL(p || q) = H(p, q) - H(p), the cross-entropy minus the entropy
    cross = ln.categorical_cross_entropy(P, Q, reduction="none")
    entropy = ln.categorical_cross_entropy(P, P, reduction="none")
    np.testing.assert_allclose(ours, cross - entropy, rtol=1e-12)
    assert float(ln.kl_divergence(P, Q)) == pytest.approx(float(ref.mean()), rel=1e-14)
    assert float(ln.kl_divergence(P, Q, reduction="sum")) == pytest.approx(float(ref.sum()),
                                                                          rel=1e-14)


def test_kl_limits_and_classes_on_another_axis():
    got = _no_warning(ln.kl_divergence, [[0.5, 0.5], [1.0, 0.0], [0.0, 1.0]],
                      [[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]], reduction="none")
    assert got.tolist() == [np.inf, 0.0, np.inf]
    np.testing.assert_array_equal(ln.kl_divergence(P.T, Q.T, axis=0, reduction="none"),
                                  ln.kl_divergence(P, Q, reduction="none"))
    g = _no_warning(ln.kl_divergence_grad, [[0.5, 0.5, 0.0]], [[1.0, 0.0, 0.0]])
    assert g.tolist() == [[-0.5, -np.inf, 0.0]]


def test_kl_does_not_depend_on_other_rows():
    alone = [float(ln.kl_divergence(P[i:i + 1], Q[i:i + 1])) for i in range(len(P))]
    np.testing.assert_array_equal(ln.kl_divergence(P, Q, reduction="none"), alone)


def test_kl_is_accurate_to_the_size_of_its_terms_near_q_equal_p():
    # Against a soft target the terms p log(p/q) have both signs; where q nears p they cancel
    # and the divergence is ill-conditioned (the accuracy grid uses hard targets only). Each
    # term is accurate to a few ulp of itself, so the error is bounded by the terms' size.
    rows = np.linspace(0.01, 0.99, 397)
    q = np.stack([rows, (1 - rows) * 0.4, (1 - rows) * 0.6], axis=1)
    p = np.tile([0.2, 0.3, 0.5], (len(rows), 1))
    ours = ln.kl_divergence(p, q, reduction="none")
    ref = acc.reference("kl_divergence", p, q)
    err = np.abs(ours - np.asarray(ref, dtype=np.float64))
    size = np.sum(np.abs(p * np.log(p / q)), axis=1)
    assert np.all(err <= 4 * EPS64 * size), float(np.max(err / (EPS64 * size)))
    assert np.min(ours) < 1e-3 * np.max(size)  # the rows do come close to the target


def test_kl_gradient_against_both_autograds():
    p, q = P, Q
    ours = ln.kl_divergence_grad(p, q)
    pt = torch.tensor(p)
    np.testing.assert_allclose(
        _torch_grad(lambda qt: F.kl_div(torch.log(qt), pt, reduction="none"), q), ours,
        rtol=1e-14)
    keras, _ = _keras()  # no entry is below Keras's clip of 1e-7: its gradient is -p/q
    assert q.min() > 1e-7 and p.min() > 1e-7
    np.testing.assert_allclose(_tf_grad(lambda qt: keras.losses.kl_divergence(p, qt), q), ours,
                               rtol=1e-14)


def test_kl_torch_reductions_trap():
    # torch's reduction="mean" divides by N C elements; "batchmean" by N, the mean per row for
    # an (N, C) input only.
    n, c = P.shape
    log_q, p = torch.log(torch.tensor(Q)), torch.tensor(P)
    mean = float(ln.kl_divergence(P, Q))
    with warnings.catch_warnings():  # torch warns that "mean" is not the divergence
        warnings.simplefilter("ignore", UserWarning)
        torch_mean = float(F.kl_div(log_q, p, reduction="mean"))
    assert torch_mean == pytest.approx(mean / c, rel=1e-14)
    assert float(F.kl_div(log_q, p, reduction="batchmean")) == pytest.approx(mean, rel=1e-14)
    # log_target=True wants the target as a log too
    assert float(F.kl_div(log_q, torch.log(p), reduction="batchmean", log_target=True)) == \
        pytest.approx(mean, rel=1e-13)
    # (2, N, C) with classes on dim 2 is not what batchmean averages over: it divides by 2
    p3, q3 = np.stack([P, P[::-1]]), np.stack([Q, Q[::-1]])
    batchmean = float(F.kl_div(torch.log(torch.tensor(q3)), torch.tensor(p3),
                               reduction="batchmean"))
    assert batchmean == pytest.approx(float(ln.kl_divergence(p3, q3)) * n, rel=1e-14)
    # and an input given as probabilities instead of their log is silently another number
    wrong = float(F.kl_div(torch.tensor(Q), p, reduction="batchmean"))
    assert abs(wrong - mean) > 0.1


def test_kl_keras_clip_trap():
    keras, _ = _keras()
    p, q = np.array([[0.5, 0.5, 0.0]]), np.array([[0.25, 0.25, 0.5]])
    theirs = float(keras.losses.kl_divergence(p, q)[0])
    # the target 0 is clipped to 1e-7: it adds 1e-7 log(1e-7 / 0.5) instead of 0
    assert theirs == pytest.approx(math.log(2) + 1e-7 * math.log(1e-7 / 0.5), rel=1e-12)
    assert theirs == pytest.approx(float(ln.like_keras.kl_divergence(p, q)), rel=1e-14)
    # a prediction 0 under a positive target is finite: p log(p / 1e-7)
    theirs = float(keras.losses.kl_divergence(np.array([[0.5, 0.5]]), np.array([[1.0, 0.0]]))[0])
    assert theirs == pytest.approx(0.5 * math.log(0.5) + 0.5 * math.log(0.5 / 1e-7), rel=1e-12)
    assert ln.kl_divergence([[0.5, 0.5]], [[1.0, 0.0]]) == np.inf


@pytest.mark.parametrize("fn", [ln.kl_divergence, ln.kl_divergence_grad])
def test_kl_errors_name_the_argument(fn):
    _raises(ValueError, r"y_true must sum to 1 along axis 1.*found a sum of 0\.9", fn,
            [[0.5, 0.4]], [[0.5, 0.5]])
    _raises(ValueError, r"y_pred must sum to 1 along axis 1", fn, [[0.5, 0.5]], [[0.5, 0.6]])
    _raises(ValueError, r"y_pred must be probabilities in \[0, 1\]; found 1\.5 at index "
            r"\(0, 0\) \(2 such elements\)$", fn, [[0.5, 0.5]], [[1.5, -0.5]])
    _raises(ValueError, r"y_true has shape \(1, 2\) but y_pred has shape \(2, 1\)", fn,
            [[0.5, 0.5]], [[0.5], [0.5]])
    _raises(ValueError, r"y_true contains NaN", fn, [[np.nan, 0.5]], [[0.5, 0.5]])
    _raises(ValueError, r"axis 2 is out of range", fn, [[0.5, 0.5]], [[0.5, 0.5]], axis=2)


def test_kl_reduction_is_checked():
    _raises(ValueError, r"reduction must be one of 'mean', 'sum', 'none'; found 'batchmean'",
            ln.kl_divergence, P, Q, reduction="batchmean")


# ---------------------------------------------------------------------------------------------
# Poisson negative log-likelihood
# ---------------------------------------------------------------------------------------------

COUNTS = np.array([0.0, 1.0, 2.0, 3.0, 7.0, 0.5])
RATES = np.array([0.5, 1.0, 2.5, 3.0, 0.25, 4.0])


def _pmf(y: int, lam: float) -> float:
    return lam ** y * math.exp(-lam) / math.factorial(y)


def test_poisson_values_by_hand():
    hand = [lam - y * math.log(lam) for y, lam in zip(COUNTS, RATES, strict=True)]
    np.testing.assert_allclose(ln.poisson(COUNTS, RATES, reduction="none"), hand, rtol=1e-15)
    logs = np.log(RATES)
    hand = [math.exp(x) - y * x for y, x in zip(COUNTS, logs, strict=True)]
    np.testing.assert_allclose(ln.poisson(COUNTS, logs, log_input=True, reduction="none"), hand,
                               rtol=1e-14)
    assert ln.poisson([0.0, 1.0, 2.0], [0.5, 1.0, 0.0], reduction="none").tolist() == [
        0.5, 1.0, np.inf]


def test_poisson_full_is_the_exact_negative_log_likelihood():
    y, lam = COUNTS[:5], RATES[:5]  # integer counts
    full = ln.poisson(y, lam, full=True, reduction="none")
    pmf = [_pmf(int(k), float(r)) for k, r in zip(y, lam, strict=True)]
    np.testing.assert_allclose(np.exp(-full), pmf, rtol=1e-14)
    ref = acc.reference("poisson", COUNTS, RATES, full=True)
    np.testing.assert_allclose(ln.poisson(COUNTS, RATES, full=True, reduction="none"),
                               np.asarray(ref, dtype=np.float64), rtol=2 * EPS64)
    # log Gamma(1.5) = log(sqrt(pi) / 2) for the count 0.5, to the last bit
    assert float(ln.poisson([0.5], [1.0], full=True)) - 1.0 == pytest.approx(
        math.log(math.sqrt(math.pi) / 2), rel=1e-15)


def test_poisson_limits_without_warnings():
    inf = np.inf
    got = _no_warning(ln.poisson, [0.0, 2.0, 0.0, 2.0], [0.0, 0.0, inf, inf], reduction="none")
    assert got.tolist() == [0.0, inf, inf, inf]
    got = _no_warning(ln.poisson, [0.0, 2.0, 0.0, 2.0, 1.0], [-inf, -inf, inf, inf, -1000.0],
                      log_input=True, reduction="none")
    assert got.tolist() == [0.0, inf, inf, inf, 1000.0]
    g = _no_warning(ln.poisson_grad, [0.0, 2.0, 0.0, 2.0], [0.0, 0.0, inf, inf])
    assert g.tolist() == [1.0, -inf, 1.0, 1.0]
    g = _no_warning(ln.poisson_grad, [0.0, 2.0, 2.0], [-inf, -inf, inf], log_input=True)
    assert g.tolist() == [0.0, -2.0, inf]


def test_poisson_log_input_is_the_same_loss_of_the_log_rate():
    np.testing.assert_allclose(ln.poisson(COUNTS, np.log(RATES), log_input=True,
                                          reduction="none"),
                               ln.poisson(COUNTS, RATES, reduction="none"), rtol=1e-14)
    # the chain rule: d/dx = rate * d/drate
    np.testing.assert_allclose(ln.poisson_grad(COUNTS, np.log(RATES), log_input=True),
                               RATES * ln.poisson_grad(COUNTS, RATES), rtol=1e-14, atol=1e-15)


def test_poisson_gradient_keeps_its_digits_near_the_optimum():
    # e^x - 1 at x = 1e-10 is 1.00000000005e-10, not the 1.000000082740371e-10 of exp(x) - 1
    assert float(ln.poisson_grad([1.0], [1e-10], log_input=True)[0]) == pytest.approx(
        math.expm1(1e-10), rel=1e-15)
    assert float(ln.poisson_grad([3.0], [3.0 + 3e-12])[0]) == pytest.approx(1e-12, rel=1e-3)


def test_poisson_gradient_against_both_autograds():
    yt = torch.tensor(COUNTS)
    for log_input, p in ((True, np.log(RATES)), (False, RATES)):
        ours = ln.poisson_grad(COUNTS, p, log_input=log_input)
        # torch's eps=1e-8 inside the log is its convention: eps=0 gives the exact loss
        theirs = _torch_grad(lambda pt, li=log_input: F.poisson_nll_loss(
            pt, yt, log_input=li, eps=0.0, reduction="none"), p)
        np.testing.assert_allclose(theirs, ours, rtol=1e-14, atol=1e-15)
    _, tf = _keras()
    theirs = _tf_grad(lambda lam: lam - COUNTS * tf.math.log(lam), RATES)
    np.testing.assert_allclose(theirs, ln.poisson_grad(COUNTS, RATES), rtol=1e-14, atol=1e-15)
    theirs = _tf_grad(lambda x: tf.exp(x) - COUNTS * x, np.log(RATES))
    np.testing.assert_allclose(theirs, ln.poisson_grad(COUNTS, np.log(RATES), log_input=True),
                               rtol=1e-14, atol=1e-15)


def test_poisson_torch_default_is_the_log_rate_trap():
    # F.poisson_nll_loss(input, target) reads input as a log-rate unless told otherwise
    default = F.poisson_nll_loss(torch.tensor(RATES), torch.tensor(COUNTS),
                                 reduction="none").numpy()
    np.testing.assert_allclose(default, ln.poisson(COUNTS, RATES, log_input=True,
                                                   reduction="none"), rtol=1e-14)
    assert not np.allclose(default, ln.poisson(COUNTS, RATES, reduction="none"))


def test_poisson_epsilon_traps():
    keras, _ = _keras()
    y, lam = np.array([[2.0, 0.0]]), np.array([[0.0, 0.0]])
    # Keras: rate - y log(rate + 1e-7): a rate of 0 costs -2 log(1e-7) = 32.236, not inf
    per_sample = float(keras.losses.poisson(y, lam)[0])
    assert per_sample == pytest.approx(-2 * math.log(1e-7) / 2, rel=1e-12)
    # torch log_input=False: log(rate + 1e-8): -2 log(1e-8) = 36.841
    theirs = F.poisson_nll_loss(torch.tensor(lam), torch.tensor(y), log_input=False,
                                reduction="none").numpy()
    assert theirs[0, 0] == pytest.approx(-2 * math.log(1e-8), rel=1e-12)
    assert ln.poisson(y, lam, reduction="none").tolist() == [[np.inf, 0.0]]
    # Keras on the rate exp(-1000) = 0 (it has no log-rate form) loses the log-rate
    x = np.array([[-1000.0]])
    keras_value = float(keras.losses.poisson(np.array([[1.0]]), keras.ops.exp(x))[0])
    assert keras_value == pytest.approx(-math.log(1e-7), rel=1e-12)
    assert float(ln.poisson([1.0], [-1000.0], log_input=True)) == 1000.0


def test_poisson_torch_full_is_stirling_above_one_only():
    y = np.array([0.0, 0.5, 1.0, 2.0, 10.0])
    lam = np.ones_like(y)
    theirs = F.poisson_nll_loss(torch.tensor(lam), torch.tensor(y), log_input=False, full=True,
                                eps=0.0, reduction="none").numpy()
    base = ln.poisson(y, lam, reduction="none")
    stirling = [0.0, 0.0, 0.0] + [k * math.log(k) - k + 0.5 * math.log(2 * math.pi * k)
                                  for k in (2.0, 10.0)]
    np.testing.assert_allclose(theirs - base, stirling, rtol=1e-12, atol=1e-15)
    exact = ln.poisson(y, lam, full=True, reduction="none") - base
    np.testing.assert_allclose(exact, [math.lgamma(k + 1) for k in y], rtol=1e-13, atol=1e-15)
    # the gap: lgamma(1.5) = -0.12 at 0.5, about 1/(12 y) above 1 (0.041 at 2, 0.0083 at 10)
    gap = exact - (theirs - base)
    assert gap[1] == pytest.approx(math.lgamma(1.5), rel=1e-12)
    np.testing.assert_allclose(gap[3:], [1 / 24, 1 / 120], rtol=0.03)


@pytest.mark.parametrize("fn", [ln.poisson, ln.poisson_grad])
def test_poisson_errors_name_the_argument(fn):
    _raises(ValueError, r"y_true must hold counts, finite numbers >= 0; found -1\.0", fn,
            [-1.0], [1.0])
    _raises(ValueError, r"y_true must hold counts.*found inf", fn, [np.inf], [1.0])
    _raises(ValueError, r"y_pred must hold Poisson rates >= 0; found -0\.5 .*log_input=True",
            fn, [1.0], [-0.5])
    _raises(ValueError, r"y_pred contains NaN", fn, [1.0], [np.nan], log_input=True)
    _raises(ValueError, r"y_true contains NaN", fn, [np.nan], [1.0])
    _raises(ValueError, r"y_true has shape \(2,\) but y_pred has shape \(2, 1\)", fn,
            [1.0, 2.0], [[1.0], [2.0]])
    _raises(TypeError, r"log_input must be True or False; found 'True'", fn, [1.0], [1.0],
            log_input="True")
    _raises(TypeError, r"full must be True or False; found 1", fn, [1.0], [1.0], full=1)


def test_poisson_keeps_the_prediction_dtype():
    for dtype in (np.float16, np.float32, np.float64):
        p = RATES.astype(dtype)
        assert ln.poisson(COUNTS, p, full=True, reduction="none").dtype == dtype
        assert ln.poisson_grad(COUNTS, p, log_input=True).dtype == dtype


def test_poisson_float64_before_keras_3_4_is_left_out_with_a_note(monkeypatch):
    from lossnotes._compare import _frameworks

    keras, _ = _keras()
    y, p = np.array([1.0, 2.0]), np.array([0.5, 3.0])
    old = _frameworks.keras_before(_frameworks.KERAS_EPSILON_IN_PRED_DTYPE)
    if old:  # make oldest-test runs this on Keras 3.0.0
        with pytest.raises(Exception, match=r"AddV2|double"):
            keras.losses.poisson(y, p)
    else:
        assert np.asarray(keras.losses.poisson(y, p)).dtype == np.float64
    # as an older Keras: float64 is left out with a note, float32 is compared
    monkeypatch.setattr(_frameworks, "KERAS_EPSILON_IN_PRED_DTYPE", (99, 0, 0))
    r = ln.compare("poisson", y, p)
    assert list(r.status) == ["torch"] and r.ok
    assert "fails on float64 predictions in this Keras" in r.notes[0].text
    r = ln.compare("poisson", y.astype(np.float32), p.astype(np.float32))
    assert list(r.status) == ["keras", "torch"] and r.ok
    with pytest.raises(ValueError, match=r"compare\('poisson'\): not compared with Keras"):
        ln.compare("poisson", y, p, frameworks=("keras",))


# ---------------------------------------------------------------------------------------------
# Gaussian negative log-likelihood
# ---------------------------------------------------------------------------------------------

Y = RNG.normal(0, 2, 12)
MEAN = RNG.normal(0, 2, 12)
VAR = RNG.uniform(0.1, 4.0, 12)


def test_gaussian_values_by_hand_and_as_a_density():
    hand = [0.5 * (math.log(v) + (y - m) ** 2 / v) for y, m, v in zip(Y, MEAN, VAR, strict=True)]
    ours = ln.gaussian_nll_loss(Y, MEAN, var=VAR, reduction="none")
    np.testing.assert_allclose(ours, hand, rtol=1e-14, atol=1e-15)
    # full=True is -log of the normal density
    density = [math.exp(-(y - m) ** 2 / (2 * v)) / math.sqrt(2 * math.pi * v)
               for y, m, v in zip(Y, MEAN, VAR, strict=True)]
    full = ln.gaussian_nll_loss(Y, MEAN, var=VAR, full=True, reduction="none")
    np.testing.assert_allclose(np.exp(-full), density, rtol=1e-13)
    # var = 1: half the squared error
    np.testing.assert_array_equal(ln.gaussian_nll_loss(Y, MEAN, reduction="none"),
                                  ln.mse(Y, MEAN, reduction="none") / 2)
    ref = acc.reference("gaussian_nll_loss", Y, MEAN, var=VAR)
    np.testing.assert_allclose(ours, np.asarray(ref, dtype=np.float64), rtol=1e-14, atol=1e-15)


def test_gaussian_float16_does_not_overflow_before_the_loss_does():
    # r^2 = 1e5 is beyond float16, r^2 / (2 var) = 2e4 is not
    got = ln.gaussian_nll_loss(np.float16([0.0]), np.float16([316.25]), var=2.5,
                               reduction="none")
    assert got.dtype == np.float16 and np.isfinite(got[0])
    assert float(got[0]) == pytest.approx(0.5 * math.log(2.5) + 316.25 ** 2 / 5, rel=1e-3)


def test_gaussian_gradient_against_both_autograds():
    ours = ln.gaussian_nll_loss_grad(Y, MEAN, var=VAR)
    yt, vt = torch.tensor(Y), torch.tensor(VAR)
    theirs = _torch_grad(lambda m: F.gaussian_nll_loss(m, yt, vt, reduction="none"), MEAN)
    np.testing.assert_allclose(theirs, ours, rtol=1e-14)
    _, tf = _keras()
    theirs = _tf_grad(lambda m: 0.5 * (tf.math.log(VAR) + tf.square(m - Y) / VAR), MEAN)
    np.testing.assert_allclose(theirs, ours, rtol=1e-14)
    assert ln.gaussian_nll_loss_grad([1.0], [1.0], var=3.0).tolist() == [0.0]


def test_gaussian_torch_clamps_the_variance():
    # torch: max(var, 1e-6); the exact loss uses 1e-8 itself
    y, m = np.array([0.0]), np.array([1e-3])
    theirs = float(F.gaussian_nll_loss(torch.tensor(m), torch.tensor(y), 1e-8))
    assert theirs == pytest.approx(0.5 * (math.log(1e-6) + 1e-6 / 1e-6), rel=1e-14)
    assert float(ln.gaussian_nll_loss(y, m, var=1e-8)) == pytest.approx(
        0.5 * (math.log(1e-8) + 1e-6 / 1e-8), rel=1e-14)
    assert theirs == pytest.approx(float(ln.like_torch.gaussian_nll_loss(y, m, var=1e-8)),
                                   rel=1e-14)


def test_gaussian_torch_broadcasts_a_variance_one_dimension_short():
    # torch reads var of shape (N,) against input (N, 1)... and (N,) against (N, 3) per row
    m, y, v = MEAN.reshape(4, 3), Y.reshape(4, 3), VAR[:4]
    theirs = F.gaussian_nll_loss(torch.tensor(m), torch.tensor(y), torch.tensor(v),
                                 reduction="none").numpy()
    np.testing.assert_allclose(theirs, ln.gaussian_nll_loss(y, m, var=np.repeat(v[:, None], 3, 1),
                                                            reduction="none"), rtol=1e-14)
    # lossnotes broadcasts nothing: a var of another shape is refused
    _raises(ValueError, r"var has shape \(4,\) but y_pred has shape \(4, 3\); expected a "
            r"scalar or y_pred's shape", ln.gaussian_nll_loss, y, m, var=v)


@pytest.mark.parametrize("fn", [ln.gaussian_nll_loss, ln.gaussian_nll_loss_grad])
def test_gaussian_errors_name_the_argument(fn):
    _raises(ValueError, r"var must hold positive finite variances; found 0\.0", fn, [0.0], [1.0],
            var=0.0)
    _raises(ValueError, r"var must hold positive finite variances; found -1\.0 at index \(1,\)",
            fn, [0.0, 0.0], [1.0, 1.0], var=[1.0, -1.0])
    _raises(ValueError, r"var must hold positive finite variances; found inf", fn, [0.0], [1.0],
            var=np.inf)
    _raises(ValueError, r"var contains NaN", fn, [0.0], [1.0], var=np.nan)
    _raises(TypeError, r"var must be a positive variance or an array of them; found True", fn,
            [0.0], [1.0], var=True)
    _raises(TypeError, r"full must be True or False", fn, [0.0], [1.0], full="no")
    _raises(ValueError, r"y_true has shape \(2,\) but y_pred has shape \(1,\)", fn, [0.0, 1.0],
            [1.0])


# ---------------------------------------------------------------------------------------------
# log-cosh
# ---------------------------------------------------------------------------------------------

RESIDUALS = np.array([0.0, 1e-8, -1e-3, 0.3, -1.0, 4.9, 5.1, -20.0, 800.0, -1e5])


def test_log_cosh_values_by_hand():
    ours = ln.log_cosh(np.zeros_like(RESIDUALS), RESIDUALS, reduction="none")
    ref = acc.reference("log_cosh", np.zeros_like(RESIDUALS), RESIDUALS)
    np.testing.assert_allclose(ours, np.asarray(ref, dtype=np.float64), rtol=2 * EPS64, atol=0)
    # closed forms: x^2/2 - x^4/12 for tiny x, |x| - log 2 for large
    assert ours[1] == pytest.approx(0.5e-16, rel=1e-15)
    assert ours[2] == pytest.approx(0.5e-6 - 1e-12 / 12, rel=1e-14)
    assert ours[-1] == 1e5 - math.log(2)
    np.testing.assert_allclose(ours[3:6], [math.log(math.cosh(x)) for x in RESIDUALS[3:6]],
                               rtol=1e-14)
    assert ours[0] == 0.0


def test_log_cosh_sits_between_half_the_squared_error_and_the_absolute_error():
    x = RNG.normal(0, 3, 1000)
    lc = ln.log_cosh(np.zeros_like(x), x, reduction="none")
    assert np.all(lc <= x * x / 2) and np.all(lc >= np.abs(x) - math.log(2))


def test_log_cosh_gradient_against_both_autograds():
    y = RNG.normal(0, 1, RESIDUALS.size)
    p = y + RESIDUALS
    ours = ln.log_cosh_grad(y, p)
    yt = torch.tensor(y[:-2])
    theirs = _torch_grad(lambda pt: torch.log(torch.cosh(pt - yt)), p[:-2])  # cosh finite
    np.testing.assert_allclose(theirs, ours[:-2], rtol=1e-14, atol=1e-16)
    keras, _ = _keras()
    theirs = _tf_grad(lambda pt: keras.losses.log_cosh(y[:, None], pt[:, None]), p)
    np.testing.assert_allclose(theirs, ours, rtol=1e-14, atol=1e-16)


def test_log_cosh_traps_of_the_literal_and_of_keras():
    # the one-line torch version overflows: cosh(800) is inf
    literal = torch.log(torch.cosh(torch.tensor([800.0], dtype=torch.float64))).numpy()
    assert literal[0] == np.inf
    assert float(ln.log_cosh([0.0], [800.0])) == 800 - math.log(2)
    # Keras: stable, but log 2 in float32 shifts every float64 value by 1.9e-9
    keras, _ = _keras()
    x = np.array([[0.3, -2.0, 800.0]])
    theirs = np.asarray(keras.losses.log_cosh(np.zeros_like(x)[..., None], x[..., None]))[0]
    shift = float(np.log(np.float32(2))) - math.log(2)
    assert shift == pytest.approx(1.9046543e-9, rel=1e-7)
    np.testing.assert_allclose(theirs, ln.log_cosh(np.zeros_like(x), x, reduction="none")[0]
                               - shift, rtol=1e-15, atol=1e-15)
    # float32 inputs: no shift beyond float32's rounding
    x32 = x.astype(np.float32)
    theirs = np.asarray(keras.losses.log_cosh(np.zeros_like(x32), x32))
    assert float(theirs[0]) == pytest.approx(float(ln.log_cosh(np.zeros_like(x32), x32)),
                                             rel=1e-6)


def test_log_cosh_float16_is_rounded_once():
    x = np.float16([1e-3, 0.5, 3.0, 6.0, 300.0])
    got = ln.log_cosh(np.zeros_like(x), x, reduction="none")
    assert got.dtype == np.float16
    exact = acc.reference("log_cosh", np.zeros_like(x), x)
    assert np.all(acc.ulp_error(got, exact) <= 0.5 + 1e-3)


# ---------------------------------------------------------------------------------------------
# mean absolute percentage error
# ---------------------------------------------------------------------------------------------


def test_mape_values_by_hand():
    y, p = np.array([2.0, -4.0, 100.0, 0.1, 3.0]), np.array([1.0, -5.0, 101.0, 0.3, 3.0])
    ours = ln.mean_absolute_percentage_error(y, p, reduction="none")
    hand = [100 * abs(a - b) / abs(a) for a, b in zip(y, p, strict=True)]
    np.testing.assert_allclose(ours, hand, rtol=1e-15)
    assert ours[-1] == 0.0
    ref = acc.reference("mean_absolute_percentage_error", y, p)
    np.testing.assert_allclose(ours, np.asarray(ref, dtype=np.float64), rtol=2 * EPS64)
    # asymmetric: under-predicting a positive target costs at most 100
    assert ln.mean_absolute_percentage_error([1.0], [0.0]) == 100.0
    assert ln.mean_absolute_percentage_error([1.0], [5.0]) == 400.0


def test_mape_gradient_against_both_autograds():
    y = np.array([2.0, -4.0, 100.0, 0.1])
    p = np.array([1.0, -5.0, 101.0, 0.3])
    ours = ln.mean_absolute_percentage_error_grad(y, p)
    np.testing.assert_allclose(ours, [-50.0, -25.0, 1.0, 1000.0], rtol=1e-15)
    yt = torch.tensor(y)
    theirs = _torch_grad(lambda pt: 100 * (pt - yt).abs() / yt.abs(), p)
    np.testing.assert_allclose(theirs, ours, rtol=1e-15)
    keras, _ = _keras()
    theirs = _tf_grad(lambda pt: keras.losses.mean_absolute_percentage_error(y[:, None],
                                                                             pt[:, None]), p)
    np.testing.assert_allclose(theirs, ours, rtol=1e-14)


def test_mape_keras_epsilon_trap():
    keras, _ = _keras()
    y, p = np.float32([[0.0, 2.0]]), np.float32([[0.5, 1.0]])
    per_element = np.asarray(keras.losses.mean_absolute_percentage_error(y[..., None],
                                                                         p[..., None]))[0]
    # a target of 0: 100 * 0.5 / 1e-7 = 5e8 percent, where lossnotes refuses
    np.testing.assert_allclose(per_element, [5e8, 50.0], rtol=1e-6)
    _raises(ValueError, r"y_true holds 0\.0 at index \(0, 0\).*undefined",
            ln.mean_absolute_percentage_error, y, p)


@pytest.mark.parametrize("fn", [ln.mean_absolute_percentage_error,
                                ln.mean_absolute_percentage_error_grad])
def test_mape_errors_name_the_argument(fn):
    _raises(ValueError, r"y_true holds 0\.0 at index \(1,\) \(1 such element\); the percentage "
            r"error of a target 0 \(or infinite\) is undefined", fn, [1.0, 0.0], [1.0, 1.0])
    _raises(ValueError, r"y_true holds inf", fn, [np.inf], [1.0])
    _raises(ValueError, r"y_true contains NaN", fn, [np.nan], [1.0])
    _raises(ValueError, r"y_pred contains NaN", fn, [1.0], [np.nan])
    _raises(ValueError, r"y_true has shape \(1,\) but y_pred has shape \(1, 1\)", fn, [1.0],
            [[1.0]])


# ---------------------------------------------------------------------------------------------
# mean squared logarithmic error
# ---------------------------------------------------------------------------------------------

MSLE = ln.mean_squared_logarithmic_error
MSLE_GRAD = ln.mean_squared_logarithmic_error_grad


def test_msle_values_by_hand():
    y, p = np.array([0.0, 1.0, 9.0, 3.0, 0.5, 2.0]), np.array([0.0, 3.0, 99.0, 3.0, -0.5, 5.0])
    ours = MSLE(y, p, reduction="none")
    # closed forms: log(1 + p) - log(1 + y) = log of the ratio of 1 + p to 1 + y
    hand = [0.0, math.log(2) ** 2, math.log(10) ** 2, 0.0, math.log(1 / 3) ** 2,
            math.log(2) ** 2]
    np.testing.assert_allclose(ours, hand, rtol=4 * EPS64, atol=0)
    assert ours[0] == 0.0 and ours[3] == 0.0
    # a ratio and its inverse cost the same
    assert MSLE([1.0], [3.0]) == MSLE([3.0], [1.0])


def test_msle_keeps_the_digits_where_the_logs_cancel():
    # y_pred = 3 (1 + k 2^-40): the two logs agree to 12 digits; the ratio (1 + p) / (1 + y)
    # is 1 + t with t = (3/4) k 2^-40 exactly, so the loss is log1p(t)^2 (Python's math.log1p
    # of an exact t). The literal difference of the two logs loses hundreds of ulps there.
    k = np.arange(1, 51)
    y, p = np.full(k.size, 3.0), 3.0 * (1 + k * 2.0**-40)
    exact = np.array([math.log1p(0.75 * j * 2.0**-40) ** 2 for j in k])
    np.testing.assert_allclose(MSLE(y, p, reduction="none"), exact, rtol=8 * EPS64, atol=0)
    literal = (np.log1p(p) - np.log1p(y)) ** 2
    assert np.max(np.abs(literal - exact) / exact) > 1000 * EPS64
    ref = acc.reference("mean_squared_logarithmic_error", y, p)
    assert np.all(acc.ulp_error(MSLE(y, p, reduction="none"), ref) <= acc.promised(
        "mean_squared_logarithmic_error"))


def test_msle_gradient_against_both_autograds():
    y = np.array([0.0, 1.0, 9.0, 3.0, 0.5, 2.0])
    p = np.array([0.25, 3.0, 99.0, 3.0, 1e-3, 5.0])
    ours = MSLE_GRAD(y, p)
    np.testing.assert_allclose(ours, 2 * (np.log((1 + p) / (1 + y))) / (1 + p), rtol=1e-14,
                               atol=1e-300)
    yt = torch.tensor(y)
    theirs = _torch_grad(lambda pt: F.mse_loss(torch.log1p(pt), torch.log1p(yt),
                                               reduction="none"), p)
    np.testing.assert_allclose(theirs, ours, rtol=1e-14, atol=1e-300)
    keras, _ = _keras()
    # every value at least 1e-7: Keras's clip leaves them alone, its tape is the derivative
    y2, p2 = y[1:], p[1:]
    theirs = _tf_grad(lambda pt: keras.losses.mean_squared_logarithmic_error(y2[:, None],
                                                                             pt[:, None]), p2)
    np.testing.assert_allclose(theirs, ours[1:], rtol=1e-13, atol=1e-300)


def test_msle_keras_clips_what_lossnotes_refuses():
    keras, _ = _keras()
    y, p = np.float32([1.0, 0.0, 2.0]), np.float32([-0.5, 1.0, 2.0])
    theirs = np.asarray(keras.losses.mean_squared_logarithmic_error(y[:, None], p[:, None]))
    # -0.5 is raised to 1e-7 and 0 counts as 1e-7: log(1 + 1e-7) - log 2, and so on
    e = np.float32(1e-7)
    by_hand = np.square(np.log(np.maximum(p, e) + 1) - np.log(np.maximum(y, e) + 1))
    np.testing.assert_allclose(theirs, by_hand, rtol=1e-6)
    np.testing.assert_allclose(ln.like_keras.mean_squared_logarithmic_error(
        y, p, reduction="none"), theirs, rtol=1e-6)
    assert float(MSLE([1.0], [-0.5])) == pytest.approx(math.log(4) ** 2, rel=1e-15)
    # torch's log1p is nan below -1, where lossnotes refuses
    assert np.isnan(F.mse_loss(torch.log1p(torch.tensor([-2.0])), torch.tensor([0.0])).item())
    _raises(ValueError, r"y_pred holds -2\.0 at index \(0,\)", MSLE, [0.0], [-2.0])


@pytest.mark.parametrize("fn", [MSLE, MSLE_GRAD])
def test_msle_errors_name_the_argument(fn):
    _raises(ValueError, r"y_true holds -1\.0 at index \(1,\) \(1 such element\); the logarithmic "
            r"error log\(1 \+ x\) is defined for finite x > -1", fn, [1.0, -1.0], [1.0, 1.0])
    _raises(ValueError, r"y_pred holds inf at index \(0,\)", fn, [1.0], [np.inf])
    _raises(ValueError, r"y_pred holds -3\.0", fn, [1.0], [-3.0])
    _raises(ValueError, r"y_true contains NaN", fn, [np.nan], [1.0])
    _raises(ValueError, r"y_pred contains NaN", fn, [1.0], [np.nan])
    _raises(ValueError, r"y_true has shape \(2,\) but y_pred has shape \(1,\)", fn,
            [0.0, 1.0], [1.0])


def test_msle_float32_and_float16_are_rounded_once():
    y = np.array([0.0, 3.0, 3.0, 7.5, 0.25])
    p = np.array([1e-3, 3.0009765625, 100.0, 2.0, 0.0])
    for dtype in (np.float32, np.float16):
        yc, pc = y.astype(dtype), p.astype(dtype)
        got = MSLE(yc, pc, reduction="none")
        assert got.dtype == dtype
        exact = acc.reference("mean_squared_logarithmic_error", yc, pc)
        assert np.all(acc.ulp_error(got, exact) <= 0.5 + 1e-3)


# ---------------------------------------------------------------------------------------------
# negative log-likelihood of a class
# ---------------------------------------------------------------------------------------------

LOGITS = RNG.normal(0, 3, (6, 5))
LABELS = RNG.integers(0, 5, 6)


def test_nll_is_the_sparse_cross_entropy_of_the_log():
    probs = ln.softmax(LOGITS)
    ours = ln.nll_loss(LABELS, np.log(probs), reduction="none")
    np.testing.assert_allclose(ours, ln.sparse_categorical_cross_entropy(
        LABELS, probs, reduction="none"), rtol=1e-15)
    np.testing.assert_allclose(ln.nll_loss(LABELS, ln.log_softmax(LOGITS), reduction="none"),
                               ln.sparse_categorical_cross_entropy(
                                   LABELS, LOGITS, from_logits=True, reduction="none"),
                               rtol=1e-15)
    # it picks and negates: exactly -y_pred at the class
    log_p = ln.log_softmax(LOGITS)
    np.testing.assert_array_equal(ours, -np.log(probs)[np.arange(6), LABELS])
    np.testing.assert_array_equal(ln.nll_loss(LABELS, log_p, reduction="none"),
                                  -log_p[np.arange(6), LABELS])
    # classes on axis 0, and one unbatched row
    np.testing.assert_array_equal(ln.nll_loss(LABELS, log_p.T, axis=0, reduction="none"),
                                  ln.nll_loss(LABELS, log_p, reduction="none"))
    assert float(ln.nll_loss(2, log_p[0])) == -log_p[0, 2]
    assert ln.nll_loss([1], [[0.0, -np.inf]]) == np.inf


def test_nll_class_weight_is_torchs_weight():
    log_p = ln.log_softmax(LOGITS)
    c = np.array([0.5, 2.0, 1.0, 0.0, 3.0])
    labels, weight = torch.tensor(LABELS), torch.tensor(c)
    theirs = F.nll_loss(torch.tensor(log_p), labels, weight=weight, reduction="none").numpy()
    np.testing.assert_allclose(ln.nll_loss(LABELS, log_p, class_weight=c, reduction="none"),
                               theirs, rtol=1e-15)
    # torch's mean divides by the sum of the labels' class weights
    assert float(ln.nll_loss(LABELS, log_p, class_weight=c)) == pytest.approx(
        float(theirs.sum() / c[LABELS].sum()), rel=1e-14)
    pt = torch.tensor(log_p, requires_grad=True)
    F.nll_loss(pt, labels, weight=weight).backward()
    np.testing.assert_allclose(ln.nll_loss_grad(LABELS, log_p, class_weight=c)
                               / c[LABELS].sum(), pt.grad.numpy(), rtol=1e-14, atol=0)
    # with sample weights too: sum(w c l) / sum(w c), the mean written by hand
    w = RNG.uniform(0, 2, LABELS.size)
    assert float(ln.nll_loss(LABELS, log_p, class_weight=c, sample_weight=w)) == pytest.approx(
        float(np.sum(w * theirs) / np.sum(w * c[LABELS])), rel=1e-14)
    # Keras's class_weight in fit is a weight per sample, and its mean divides by the count
    keras, _ = _keras()
    per_sample = w * c[LABELS]
    keras_mean = float(keras.losses.SparseCategoricalCrossentropy(from_logits=True,
                                                                  dtype="float64")(
        LABELS, log_p, sample_weight=per_sample))
    assert float(ln.like_keras.nll_loss(LABELS, log_p, class_weight=c, sample_weight=w)) == \
        pytest.approx(keras_mean, rel=1e-13)


def test_nll_matches_torch_and_its_cross_entropy():
    log_p = ln.log_softmax(LOGITS)
    labels = torch.tensor(LABELS)
    theirs = F.nll_loss(torch.tensor(log_p), labels, reduction="none").numpy()
    np.testing.assert_array_equal(theirs, ln.nll_loss(LABELS, log_p, reduction="none"))
    mean = float(F.cross_entropy(torch.tensor(LOGITS), labels))
    assert mean == pytest.approx(float(ln.nll_loss(LABELS, log_p)), rel=1e-14)
    # a row that is not normalised is taken as it is by torch and lossnotes alike
    assert float(F.nll_loss(torch.tensor([[-1.0, -2.0]]), torch.tensor([0]))) == 1.0
    assert float(ln.nll_loss([0], [[-1.0, -2.0]])) == 1.0


def test_nll_gradient_against_both_autograds():
    log_p = ln.log_softmax(LOGITS)
    ours = ln.nll_loss_grad(LABELS, log_p)
    np.testing.assert_array_equal(ours, -np.eye(5)[LABELS])
    labels = torch.tensor(LABELS)
    theirs = _torch_grad(lambda x: F.nll_loss(x, labels, reduction="none"), log_p)
    np.testing.assert_array_equal(theirs, ours)
    # tf: the same picking, with tf ops (Keras's nearest loss differentiates logits instead)
    _, tf = _keras()
    theirs = _tf_grad(lambda x: -tf.gather(x, LABELS, axis=1, batch_dims=1), log_p)
    np.testing.assert_array_equal(theirs, ours)


def test_nll_keras_trap_is_the_gradient_of_logits():
    keras, _ = _keras()
    log_p = ln.log_softmax(LOGITS)
    loss = np.asarray(keras.losses.sparse_categorical_crossentropy(LABELS, log_p,
                                                                   from_logits=True))
    np.testing.assert_allclose(loss, ln.nll_loss(LABELS, log_p, reduction="none"),
                               rtol=1e-13, atol=1e-14)
    theirs = _tf_grad(lambda x: keras.losses.sparse_categorical_crossentropy(
        LABELS, x, from_logits=True), log_p)
    # softmax(log p) - onehot = p - onehot, where nll_loss's derivative is -onehot
    np.testing.assert_allclose(theirs, np.exp(log_p) + ln.nll_loss_grad(LABELS, log_p),
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("fn", [ln.nll_loss, ln.nll_loss_grad])
def test_nll_errors_name_the_argument(fn):
    _raises(ValueError, r"y_pred must hold log-probabilities, numbers <= 0 \(-inf allowed\); "
            r"found 2\.0 at index \(0, 1\).*from_logits=True", fn, [0], [[-1.0, 2.0]])
    _raises(ValueError, r"y_pred contains NaN", fn, [0], [[np.nan, -1.0]])
    _raises(ValueError, r"labels must be class indices in \[0, 1\] for 2 classes", fn, [2],
            [[-1.0, -0.5]])
    _raises(ValueError, r"labels has shape \(2,\) but y_pred has shape \(1, 2\)", fn, [0, 1],
            [[-1.0, -0.5]])
    _raises(ValueError, r"labels must be integer class indices; found 0\.5", fn, [0.5],
            [[-1.0, -0.5]])
