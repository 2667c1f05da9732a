"""``label_smoothing`` on the three cross-entropies: the smoothed targets against Keras and
torch, the derivatives against torch's autograd, the high-precision reference (which smooths
in 50 digits, not in float) and the accuracy lab's ulp bounds on the registry's grids, and the
errors.
"""

import numpy as np
import pytest

import lossnotes as ln
import lossnotes.accuracy as acc
from lossnotes import _reference, _registry

RNG = np.random.default_rng(20261201)
Z = RNG.normal(size=(6, 4)) * 2
LABELS = np.array([0, 3, 1, 3, 2, 3])
ONEHOT = np.eye(4)[LABELS]
C = np.array([1.0, 2.5, 0.5, 4.0])
A = 0.2


def test_smoothed_targets_by_hand():
    # binary: y (1 - a) + a/2; categorical and sparse: y (1 - a) + a/C, written out here
    y, p = np.array([1.0, 0.0, 0.3]), np.array([0.9, 0.2, 0.5])
    t = y * (1 - A) + A / 2
    np.testing.assert_allclose(
        ln.binary_cross_entropy(y, p, label_smoothing=A, reduction="none"),
        -(t * np.log(p) + (1 - t) * np.log(1 - p)), rtol=1e-14)
    log_p = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    t = ONEHOT * (1 - A) + A / 4
    expected = -(t * log_p).sum(axis=1)
    for fn, target in ((ln.categorical_cross_entropy, ONEHOT),
                       (ln.sparse_categorical_cross_entropy, LABELS)):
        np.testing.assert_allclose(fn(target, Z, from_logits=True, label_smoothing=A,
                                      reduction="none"), expected, rtol=1e-13)
    # with class weights: c_k y~_k in y_k's place; the mean divides by sum_i sum_k c_k y~_ik
    expected_w = -(C * t * log_p).sum(axis=1)
    got = ln.sparse_categorical_cross_entropy(LABELS, Z, from_logits=True, label_smoothing=A,
                                              class_weight=C)
    assert got == pytest.approx(expected_w.sum() / (C * t).sum(), rel=1e-13)


def test_smoothing_is_torchs_and_keras():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    zt = torch.tensor(Z, requires_grad=True)
    loss = F.cross_entropy(zt, torch.tensor(LABELS), label_smoothing=A, reduction="none")
    loss.sum().backward()
    for fn, grad, target in (
            (ln.sparse_categorical_cross_entropy, ln.sparse_categorical_cross_entropy_grad,
             LABELS),
            (ln.categorical_cross_entropy, ln.categorical_cross_entropy_grad, ONEHOT)):
        np.testing.assert_allclose(fn(target, Z, from_logits=True, label_smoothing=A,
                                      reduction="none"), loss.detach().numpy(), rtol=1e-13)
        np.testing.assert_allclose(grad(target, Z, from_logits=True, label_smoothing=A),
                                   zt.grad.numpy(), rtol=1e-12, atol=1e-15)
    # torch with weight= and smoothing: the terms c_k y~_k, the mean over sum_i c_{y_i}
    for reduction in ("none", "mean"):
        expected = F.cross_entropy(torch.tensor(Z), torch.tensor(LABELS), weight=torch.tensor(C),
                                   label_smoothing=A, reduction=reduction).numpy()
        np.testing.assert_allclose(ln.like_torch.sparse_categorical_cross_entropy(
            LABELS, Z, from_logits=True, class_weight=C, label_smoothing=A,
            reduction=reduction), expected, rtol=1e-13)
    # the binary derivative with respect to the logits, against autograd of the smoothed loss
    y, z = RNG.uniform(0, 1, 8).round(1), RNG.normal(size=8) * 4
    zt = torch.tensor(z, requires_grad=True)
    F.binary_cross_entropy_with_logits(zt, torch.tensor(y * (1 - A) + A / 2),
                                       reduction="sum").backward()
    np.testing.assert_allclose(ln.binary_cross_entropy_grad(y, z, from_logits=True,
                                                            label_smoothing=A),
                               zt.grad.numpy(), rtol=1e-12, atol=1e-15)
    keras = pytest.importorskip("keras")
    p = ln.sigmoid(z)
    expected = keras.losses.binary_crossentropy(y[None], p[None], label_smoothing=A).numpy()
    assert ln.like_keras.binary_cross_entropy(y, p, label_smoothing=A) == pytest.approx(
        float(expected[0]), rel=1e-6)
    assert ln.binary_cross_entropy(y, p, label_smoothing=A) == pytest.approx(
        float(expected[0]), rel=1e-6)
    expected = keras.losses.categorical_crossentropy(ONEHOT, Z, from_logits=True,
                                                     label_smoothing=A).numpy()
    np.testing.assert_allclose(ln.like_keras.categorical_cross_entropy(
        ONEHOT, Z, from_logits=True, label_smoothing=A, reduction="none"), expected, rtol=1e-6)


def test_the_reference_smooths_in_high_precision():
    # 1 - (y (1 - a) + a/2) for y = 1, a = 0.1 is 0.05 exactly in 50 digits, and the loss at
    # a probability of 1/2 is log 2 exactly, whatever the float rounding of the target
    exact = _reference.ref_binary_cross_entropy(np.array([1.0]), np.array([0.5]),
                                                label_smoothing=0.1)[0]
    assert abs(exact - _reference.mp.log(2)) < _reference.mp.mpf(10) ** -45
    # y~ = 1 - a/2 at y = 1: the loss at a logit z is (a/2) softplus(z) + (1 - a/2) softplus(-z)
    a, z = 0.1, 30.0
    mp = _reference.mp
    a_mp = mp.mpf(a)
    want = (a_mp / 2) * mp.log1p(mp.exp(z)) + (1 - a_mp / 2) * mp.log1p(mp.exp(-z))
    got = _reference.ref_binary_cross_entropy(np.array([1.0]), np.array([z]), from_logits=True,
                                              label_smoothing=a)[0]
    assert abs(got - want) < abs(want) * mp.mpf(10) ** -45


_SMOOTHED = [(name, logits, a)
             for name in ("binary_cross_entropy", "categorical_cross_entropy",
                          "sparse_categorical_cross_entropy")
             for logits in (False, True) for a in (0.1, 0.75)]
_IDS = [f"{n}-{'logits' if lg else 'p'}-{a}" for n, lg, a in _SMOOTHED]

#: A smoothed target is not a float: lossnotes rounds it to the dtype (y + a (1/2 - y), one to
#: two roundings), which the exact reference does not. Measured on the registry's grids the
#: losses stay within 2.1 ulp in float64 (the unsmoothed target is 2) and 4 in float32.
SMOOTHED_TARGET = {"float64": 2.5, "float32": 4.0}


def _grid(name, from_logits, grad, dtype):
    loss = _registry.LOSSES[name]
    inputs = loss.grid(grad=grad, limits=False, from_logits=from_logits)
    return loss, tuple(x if x.dtype.kind in "iu" else x.astype(dtype) for x in inputs)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("name", "from_logits", "a"), _SMOOTHED, ids=_IDS)
def test_smoothed_losses_are_within_their_ulp_bound(name, from_logits, a, dtype):
    loss, inputs = _grid(name, from_logits, False, dtype)
    computed = loss.function(*inputs, from_logits=from_logits, label_smoothing=a,
                             reduction="none")
    exact = loss.reference(*inputs, from_logits=from_logits, label_smoothing=a)
    ulps = acc.ulp_error(computed, exact, dtype)
    assert np.max(ulps) <= SMOOTHED_TARGET[dtype], np.max(ulps)


def _grad_scale(name, from_logits, inputs, a):
    """The size of the terms of the derivative, by hand: the rounding of the smoothed target
    costs a few eps of it, which near a zero of the derivative is many ulp of the result."""
    y, x = inputs
    if from_logits:
        return 2.0  # sum(y~) softmax + y~, or (1 - y~) sigma + y~ sigma(-z): at most 2
    x = x.astype(np.float64)
    if name == "binary_cross_entropy":
        t = y * (1 - a) + a / 2
        with np.errstate(divide="ignore"):  # p rounded to 1 in float32: the scale is inf
            return t / x + (1 - t) / (1 - x)
    c = x.shape[-1]
    t = (np.eye(c)[y] if name.startswith("sparse") else y) * (1 - a) + a / c
    return t / x


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("name", "from_logits", "a"), _SMOOTHED, ids=_IDS)
def test_smoothed_derivatives_are_within_a_few_eps_of_their_terms(name, from_logits, a, dtype):
    loss, inputs = _grid(name, from_logits, True, dtype)
    computed = loss.grad(*inputs, from_logits=from_logits, label_smoothing=a)
    exact = loss.grad_reference(*inputs, from_logits=from_logits, label_smoothing=a)
    got, want = computed.astype(np.float64), exact.astype(float)
    same = got == want  # a probability rounded to 1 in float32: an infinite derivative
    error = np.abs(np.where(same, 0.0, got) - np.where(same, 0.0, want))
    eps = np.finfo(dtype).eps
    assert np.all(error <= 4 * eps * _grad_scale(name, from_logits, inputs, a)), (
        np.max(error / _grad_scale(name, from_logits, inputs, a)) / eps)


@pytest.mark.parametrize("fn", [ln.binary_cross_entropy, ln.categorical_cross_entropy,
                                ln.binary_cross_entropy_grad])
def test_bad_smoothing_is_refused(fn):
    y, p = [[0.0, 1.0]], [[0.4, 0.6]]
    for bad in (-0.1, 1.5, np.nan, np.inf):
        with pytest.raises(ValueError,
                           match=r"label_smoothing must be a number in \[0, 1\]; found"):
            fn(y, p, label_smoothing=bad)
    for bad in (True, "0.1", [0.1], None):
        with pytest.raises(TypeError, match=r"label_smoothing must be a number in \[0, 1\]"):
            fn(y, p, label_smoothing=bad)


def test_the_frameworks_without_smoothing_say_so():
    with pytest.raises(ValueError, match="label_smoothing must be 0 for torch: its binary "
                                         "cross-entropy has no label smoothing"):
        ln.like_torch.binary_cross_entropy([1.0], [0.5], label_smoothing=0.1)
    with pytest.raises(ValueError, match="label_smoothing must be 0 for keras: its "
                                         "sparse_categorical_crossentropy has no"):
        ln.like_keras.sparse_categorical_cross_entropy([1], [[0.4, 0.6]], label_smoothing=0.1)
