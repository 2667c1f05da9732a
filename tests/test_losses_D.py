"""The circle loss, a loss of the whole batch: values, gradient, weights, errors and Keras.

Expected values come from closed forms worked by hand, from the definition written here as a
plain double loop over the pairs (log(1 + sum e^a sum e^b), not lossnotes' log-sum-exps), from
the mpmath reference of ``lossnotes._reference`` (an independent implementation of the same
definition), from torch's autograd through a plain-torch formula, and from Keras itself.
"""

import math

import numpy as np
import pytest

import lossnotes as ln
from lossnotes import _reference, _registry
from lossnotes._compare import _frameworks

RNG = np.random.default_rng(20261129)


def _unit(n, d, rng=RNG):
    x = rng.normal(size=(n, d))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _by_pairs(labels, x, gamma=80.0, margin=0.4, remove_diagonal=True):
    """The definition, pair by pair, in float64."""
    n = len(labels)
    out = np.zeros(n)
    for i in range(n):
        pos = neg = 0.0
        for j in range(n):
            s = float(np.dot(x[i], x[j]))
            if labels[j] == labels[i] and (j != i or not remove_diagonal):
                pos += math.exp(-gamma * max(1 + margin - s, 0) * (s - (1 - margin)))
            elif labels[j] != labels[i]:
                neg += math.exp(gamma * max(s + margin, 0) * (s - margin))
        out[i] = math.log1p(pos * neg)
    return out


def test_the_docstring_batch_by_hand():
    # s_01 = 0.8, s_02 = 0, s_12 = 0.6 with gamma = 1, m = 0.4:
    # a = -(1.4 - 0.8)(0.8 - 0.6) = -0.12; b_02 = (0.4)(-0.4) = -0.16; b_12 = (1.0)(0.2) = 0.2
    x = [[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]]
    got = ln.circle([0, 0, 1], x, gamma=1.0, reduction="none")
    want = [math.log1p(math.exp(-0.12 - 0.16)), math.log1p(math.exp(-0.12 + 0.2)), 0.0]
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=0)
    assert ln.circle([0, 0, 1], x, gamma=1.0) == pytest.approx(sum(want) / 3, rel=1e-14)
    assert ln.circle([0, 0, 1], x, gamma=1.0, reduction="sum") == pytest.approx(sum(want),
                                                                                rel=1e-14)


@pytest.mark.parametrize("options", [{}, {"gamma": 8.0, "margin": 0.25},
                                     {"remove_diagonal": False}, {"gamma": 0.0}])
def test_the_loss_is_the_definition(options):
    labels = RNG.integers(0, 3, 9)
    x = _unit(9, 5)
    np.testing.assert_allclose(ln.circle(labels, x, reduction="none", **options),
                               _by_pairs(labels, x, **options), rtol=1e-12, atol=1e-300)


def test_the_loss_and_gradient_against_the_mpmath_reference_off_the_grid():
    labels, x = np.array([3, 7, 3, 7, 7, 1]), _unit(6, 3)
    ours = ln.circle(labels, x, gamma=20.0, reduction="none")
    ref = np.asarray(_reference.ref_circle(labels, x, gamma=20.0), dtype=np.float64)
    np.testing.assert_allclose(ours, ref, rtol=1e-13)
    ours = ln.circle_grad(labels, x, gamma=20.0)
    ref = np.asarray(_reference.ref_circle_grad(labels, x, gamma=20.0), dtype=np.float64)
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-12 * np.abs(ref).max())


def _torch_circle(torch, labels, x, gamma, margin, remove_diagonal=True):
    """The loss in plain torch, as the translation row writes it (masked_fill for where)."""
    s = x @ x.T
    same = labels[:, None] == labels[None, :]
    pos = same & ~torch.eye(len(labels), dtype=torch.bool) if remove_diagonal else same
    a = gamma * (1 + margin - s).clamp(min=0) * (1 - margin - s)
    b = gamma * (s + margin).clamp(min=0) * (s - margin)
    t = torch.logsumexp(a.masked_fill(~pos, -math.inf), 1) + torch.logsumexp(
        b.masked_fill(same, -math.inf), 1)
    # log(1 + e^t) exactly: F.softplus returns t itself beyond its threshold 20, whose
    # derivative 1 is off by e^-20 = 2e-9 (invisible in float32, not in float64)
    return torch.logaddexp(t, torch.zeros_like(t))


@pytest.mark.parametrize("options", [{"gamma": 80.0, "margin": 0.4},
                                     {"gamma": 8.0, "margin": 0.25}])
def test_the_gradient_is_torchs_autograd_with_weights(options):
    torch = pytest.importorskip("torch")
    labels = np.array([0, 1, 2, 0, 1, 2, 0, 1])  # every sample has both kinds of pair
    x = _unit(8, 4)
    w = RNG.uniform(0, 2, 8)
    xt = torch.tensor(x, requires_grad=True)
    (torch.tensor(w) * _torch_circle(torch, torch.tensor(labels), xt, **options)).sum().backward()
    np.testing.assert_allclose(ln.circle_grad(labels, x, sample_weight=w, **options),
                               xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_the_gradient_against_finite_differences_of_the_weighted_mean():
    labels, x = np.array([0, 0, 1, 1, 2]), _unit(5, 3)
    w = np.array([1.0, 0.0, 2.0, 0.5, 1.0])
    g = ln.circle_grad(labels, x, gamma=4.0, sample_weight=w) / w.sum()
    d, h = RNG.normal(size=x.shape), 1e-6

    def f(z):
        return ln.circle(labels, z, gamma=4.0, sample_weight=w)

    assert (f(x + h * d) - f(x - h * d)) / (2 * h) == pytest.approx(np.sum(g * d), rel=1e-7)


def test_a_samples_loss_depends_on_the_rest_of_the_batch():
    # The batch loss by nature: moving sample 2 changes sample 0's loss (its negative pair),
    # and a sample's loss in another batch is another number.
    labels, x = np.array([0, 0, 1]), np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])
    before = ln.circle(labels, x, gamma=1.0, reduction="none")
    moved = x.copy()
    moved[2] = [0.6, 0.8]  # s_02 from 0 to 0.6: b_02 from -0.16 to (1.0)(0.2) = 0.2
    after = ln.circle(labels, moved, gamma=1.0, reduction="none")
    assert after[0] == pytest.approx(math.log1p(math.exp(-0.12 + 0.2)), rel=1e-14)
    assert after[0] != before[0] and after[1] != before[1]
    assert ln.circle(labels[:2], x[:2], reduction="none").tolist() == [0.0, 0.0]


def test_the_batch_is_a_set_and_a_stack_is_independent_batches():
    labels, x = RNG.integers(0, 3, 7), _unit(7, 4)
    loss, grad = ln.circle(labels, x, reduction="none"), ln.circle_grad(labels, x)
    order = RNG.permutation(7)
    np.testing.assert_allclose(ln.circle(labels[order], x[order], reduction="none"),
                               loss[order], rtol=1e-14)
    np.testing.assert_allclose(ln.circle(labels + 10, x, reduction="none"), loss, rtol=0)
    other_labels, other = RNG.integers(0, 3, 7), _unit(7, 4)
    stack = ln.circle(np.stack([labels, other_labels]), np.stack([x, other]), reduction="none")
    np.testing.assert_allclose(stack[0], loss, rtol=1e-14)
    np.testing.assert_allclose(stack[1], ln.circle(other_labels, other, reduction="none"),
                               rtol=1e-14)
    grads = ln.circle_grad(np.stack([labels, other_labels]), np.stack([x, other]))
    np.testing.assert_allclose(grads[0], grad, rtol=1e-13, atol=1e-15)


def test_weights_per_sample_and_per_batch():
    labels, x = np.array([0, 0, 1, 1]), _unit(4, 3)
    loss = _by_pairs(labels, x, gamma=5.0)
    w = np.array([0.5, 2.0, 0.0, 1.0])
    assert ln.circle(labels, x, gamma=5.0, sample_weight=w) == pytest.approx(
        np.sum(w * loss) / np.sum(w), rel=1e-13)
    np.testing.assert_allclose(
        ln.circle(labels, x, gamma=5.0, sample_weight=w, reduction="none"), w * loss,
        rtol=1e-13)
    both = ln.circle(np.stack([labels, labels]), np.stack([x, x]), gamma=5.0,
                     sample_weight=[1.0, 3.0])  # one weight per batch of the stack
    assert both == pytest.approx(np.sum(loss) * 4 / (4 * 4), rel=1e-13)
    with pytest.raises(ValueError, match="sample_weight has shape"):
        ln.circle(labels, x, sample_weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="sample_weight must hold finite, non-negative"):
        ln.circle_grad(labels, x, sample_weight=[1.0, -1.0, 1.0, 1.0])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dtype_is_kept_and_float16_is_computed_wide(dtype):
    labels, x = np.array([0, 0, 1, 1]), _unit(4, 3).astype(dtype)
    loss = ln.circle(labels, x, gamma=8.0, reduction="none")
    grad = ln.circle_grad(labels, x, gamma=8.0)
    assert loss.dtype == dtype and grad.dtype == dtype
    exact = _by_pairs(labels, x.astype(np.float64), gamma=8.0)
    np.testing.assert_allclose(loss, exact.astype(dtype), rtol=float(np.finfo(dtype).eps))


@pytest.mark.parametrize("labels, x, error, message", [
    ([0, 1], [1.0, 0.0], ValueError, r"embeddings has shape \(2,\); expected a batch"),
    ([0, 1, 2], [[1.0, 0.0], [0.0, 1.0]], ValueError, r"labels has shape \(3,\)"),
    ([0, 0.5], [[1.0, 0.0], [0.0, 1.0]], ValueError, r"labels must be integer labels; found 0.5"),
    (["a", "b"], [[1.0, 0.0], [0.0, 1.0]], ValueError, r"labels must be integer labels"),
    ([0, 1], [[np.nan, 0.0], [0.0, 1.0]], ValueError, r"embeddings contains NaN"),
    ([0, 1], [[np.inf, 0.0], [0.0, 1.0]], ValueError, r"embeddings holds inf .* finite"),
    ([0, 1], [[1e160, 0.0], [0.0, 1.0]], ValueError, r"squared norm .* overflow.* L2-normal"),
])
def test_bad_input_is_refused_with_a_clear_error(labels, x, error, message):
    for fn in (ln.circle, ln.circle_grad):
        with pytest.raises(error, match=message):
            fn(labels, x)


@pytest.mark.parametrize("option, value, error", [
    ("gamma", -1.0, ValueError), ("gamma", np.inf, ValueError), ("margin", -0.1, ValueError),
    ("gamma", "80", TypeError), ("remove_diagonal", 1, TypeError),
])
def test_bad_options_are_refused(option, value, error):
    with pytest.raises(error, match=option):
        ln.circle([0, 1], [[1.0, 0.0], [0.0, 1.0]], **{option: value})


def test_the_grid_and_record_say_it_is_a_batch_loss():
    loss = _registry.LOSSES["circle"]
    assert loss.batch and "depends on the whole batch" in loss.domain
    assert [r.name for r in _registry.LOSSES.values() if r.batch] == ["circle"]
    labels, x = loss.grid(grad=False)
    assert labels.shape == x.shape[:-1] and x.shape[-1] == 2 and labels.size > 300
    assert "a loss of the whole batch" in ln.circle.__doc__


# Keras --------------------------------------------------------------------------------------


def _keras():
    keras = _frameworks.keras()
    if not hasattr(keras.losses, "circle"):
        pytest.skip("keras.losses.circle arrived in Keras 3.7.0")
    return keras


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_keras_per_sample_values_and_its_class_mean(dtype):
    keras = _keras()
    labels = np.array([0, 0, 1, 1, 2])  # sample 4 has no positive pair: loss 0
    x = _unit(5, 6).astype(dtype)
    theirs = np.asarray(keras.losses.circle(labels, x))
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(ln.circle(labels, x, reduction="none"), theirs, rtol=rtol,
                               atol=1e-6 if dtype == np.float32 else 1e-13)
    # the Circle class's mean leaves the zero loss out: lossnotes.like_keras says so (a loss
    # object computes in keras.config.floatx(), float32, whatever the inputs' dtype)
    mean = float(keras.losses.Circle()(labels, x))
    assert theirs[4] == 0 and mean == pytest.approx(theirs[:4].sum() / 4, rel=1e-5)
    assert ln.like_keras.circle(labels, x) == pytest.approx(mean, rel=1e-5)
    assert ln.circle(labels, x) == pytest.approx(theirs.sum() / 5, rel=rtol)


def test_keras_clamps_the_similarity_and_like_keras_does_too():
    keras = _keras()
    labels, x = np.array([0, 0, 1]), np.array([[1.1, 0.0], [1.0, 0.3], [0.0, -1.1]])
    theirs = np.asarray(keras.losses.circle(labels, x, gamma=1.0))
    np.testing.assert_allclose(ln.like_keras.circle(labels, x, gamma=1.0, reduction="none"),
                               theirs, rtol=1e-12)
    assert not np.allclose(ln.circle(labels, x, gamma=1.0, reduction="none"), theirs)


def test_compare_agrees_with_keras_and_says_torch_has_none():
    _keras()
    labels, x = np.array([0, 1, 0, 1, 2, 2]), _unit(6, 4)
    for fn in (ln.compare, ln.compare_grad):
        r = fn("circle", labels, x, gamma=16.0)
        assert r.status == {"keras": "agree", "torch": "absent"}, r
        assert any("loss of the whole batch" in n.text for n in r.notes)
        assert any("torch.nn.functional has no circle loss" in n.text for n in r.notes)


def test_compare_before_keras_3_7_leaves_keras_out(monkeypatch):
    monkeypatch.setattr(_frameworks, "keras_version", lambda: "3.6.0")
    monkeypatch.setattr(_frameworks, "keras_before", lambda v: v > (3, 6, 0))
    why = _registry.LOSSES["circle"].frameworks.keras_unavailable(None, {})
    assert why == ("circle is not in Keras 3.6.0; it was added in Keras 3.7.0: compare leaves "
                   "Keras out.")


def test_the_translation_row_agrees():
    _keras()
    (result,) = ln.translations("circle").results
    assert result.verdict == "agree", result
    assert result.keras == pytest.approx(result.lossnotes, rel=1e-5)
    assert result.torch == pytest.approx(result.lossnotes, rel=1e-5)
