"""``class_weight`` on the categorical and sparse cross-entropies and ``pos_weight`` on binary
cross-entropy: values, means and derivatives against torch (``cross_entropy(weight=)``,
``binary_cross_entropy_with_logits(pos_weight=)`` and their autograd) and hand formulas, the
denominators of the means, Keras's ``fit(class_weight=)`` in like_keras, and the errors.
"""

import numpy as np
import pytest

import lossnotes as ln

torch = pytest.importorskip("torch")
F = torch.nn.functional

RNG = np.random.default_rng(20261130)
Z = RNG.normal(size=(6, 4)) * 2
LABELS = np.array([0, 3, 1, 3, 2, 3])
ONEHOT = np.eye(4)[LABELS]
SOFT = ln.softmax(RNG.normal(size=(6, 4)))
C = np.array([1.0, 2.5, 0.5, 4.0])
W = np.array([1.0, 0.0, 2.0, 1.5, 1.0, 0.25])


def _t(x):
    return torch.tensor(np.asarray(x))


def _torch_ce(z, target, reduction, weight=C):
    zt = _t(z).requires_grad_(True)
    loss = F.cross_entropy(zt, _t(target), weight=_t(weight), reduction=reduction)
    loss.sum().backward()
    return loss.detach().numpy(), zt.grad.numpy()


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_sparse_class_weights_are_torchs_weight(reduction):
    value, _ = _torch_ce(Z, LABELS, reduction)
    np.testing.assert_allclose(ln.sparse_categorical_cross_entropy(
        LABELS, Z, from_logits=True, class_weight=C, reduction=reduction), value, rtol=1e-13)
    np.testing.assert_allclose(ln.like_torch.sparse_categorical_cross_entropy(
        LABELS, Z, from_logits=True, class_weight=C, reduction=reduction), value, rtol=1e-13)
    # one-hot targets: the same loss and the same mean (the target's weight is c_{y_i})
    np.testing.assert_allclose(ln.categorical_cross_entropy(
        ONEHOT, Z, from_logits=True, class_weight=C, reduction=reduction), value, rtol=1e-13)


def test_class_weighted_derivatives_are_torchs_autograd():
    _, grad = _torch_ce(Z, LABELS, "none")
    for fn, y in ((ln.sparse_categorical_cross_entropy_grad, LABELS),
                  (ln.categorical_cross_entropy_grad, ONEHOT)):
        np.testing.assert_allclose(fn(y, Z, from_logits=True, class_weight=C), grad,
                                   rtol=1e-12, atol=1e-15)
    _, grad = _torch_ce(Z, SOFT, "none")  # probability targets: c_k y_k in y_k's place
    np.testing.assert_allclose(ln.categorical_cross_entropy_grad(SOFT, Z, from_logits=True,
                                                                 class_weight=C), grad,
                               rtol=1e-12, atol=1e-15)
    # with respect to probabilities, by hand: -c_k y_k / p_k
    p = ln.softmax(Z)
    np.testing.assert_allclose(ln.categorical_cross_entropy_grad(SOFT, p, class_weight=C),
                               -C * SOFT / p, rtol=1e-13)
    np.testing.assert_allclose(ln.sparse_categorical_cross_entropy_grad(LABELS, p,
                                                                        class_weight=C),
                               -C * ONEHOT / p, rtol=1e-13)


def test_soft_targets_divide_by_the_weight_of_the_targets():
    # -sum_k c_k y_ik log p_ik per sample, as torch's weight= with probability targets; the
    # mean divides by sum_i w_i sum_k c_k y_ik, where torch divides by the number of rows.
    terms = -np.sum(C * SOFT * np.log(ln.softmax(Z)), axis=1)  # by hand
    value, _ = _torch_ce(Z, SOFT, "none")
    np.testing.assert_allclose(terms, value, rtol=1e-13)
    v = np.sum(C * SOFT, axis=1)
    got = ln.categorical_cross_entropy(SOFT, Z, from_logits=True, class_weight=C,
                                       sample_weight=W)
    assert got == pytest.approx(np.sum(W * terms) / np.sum(W * v), rel=1e-13)
    torch_mean, _ = _torch_ce(Z, SOFT, "mean")
    assert torch_mean == pytest.approx(terms.sum() / len(terms), rel=1e-13)
    assert ln.like_torch.categorical_cross_entropy(SOFT, Z, from_logits=True,
                                                   class_weight=C) == pytest.approx(torch_mean,
                                                                                    rel=1e-13)


def test_class_and_sample_weights_multiply():
    terms = -np.log(ln.softmax(Z)[np.arange(6), LABELS])  # by hand
    u = W * C[LABELS]
    got = ln.sparse_categorical_cross_entropy(LABELS, Z, from_logits=True, class_weight=C,
                                              sample_weight=W)
    assert got == pytest.approx(np.sum(u * terms) / np.sum(u), rel=1e-13)
    np.testing.assert_allclose(
        ln.sparse_categorical_cross_entropy(LABELS, Z, from_logits=True, class_weight=C,
                                            sample_weight=W, reduction="none"), u * terms,
        rtol=1e-13)
    # torch by hand with sample weights: reduction="none", then divide by the sum of w
    value, _ = _torch_ce(Z, LABELS, "none")
    assert ln.like_torch.sparse_categorical_cross_entropy(
        LABELS, Z, from_logits=True, class_weight=C, sample_weight=W) == pytest.approx(
        np.sum(W * value) / W.sum(), rel=1e-13)


def test_a_class_weight_of_zero_drops_the_class_even_when_infinite():
    p = np.array([[0.0, 1.0], [0.5, 0.5]])  # the first row's true class 0 has probability 0
    got = ln.sparse_categorical_cross_entropy([0, 1], p, class_weight=[0.0, 1.0])
    assert got == pytest.approx(np.log(2))
    np.testing.assert_array_equal(
        ln.sparse_categorical_cross_entropy_grad([0, 1], p, class_weight=[0.0, 1.0]),
        [[0.0, 0.0], [0.0, -2.0]])


def test_keras_class_weight_is_a_sample_weight_of_the_argmax_class():
    # keras.Model.fit(class_weight=) weighs sample i by c[argmax_k y_ik], then
    # sum_over_batch_size divides the weighted sum by the number of samples.
    keras = pytest.importorskip("keras")
    loss = keras.losses.CategoricalCrossentropy(from_logits=True)
    expected = float(loss(ONEHOT, Z, sample_weight=C[LABELS]))
    assert ln.like_keras.categorical_cross_entropy(ONEHOT, Z, from_logits=True,
                                                   class_weight=C) == pytest.approx(expected,
                                                                                    rel=1e-6)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    expected = float(loss(LABELS, Z, sample_weight=C[LABELS] * W))
    assert ln.like_keras.sparse_categorical_cross_entropy(
        LABELS, Z, from_logits=True, class_weight=C, sample_weight=W) == pytest.approx(
        expected, rel=1e-6)


YB = RNG.uniform(0, 1, (5, 3)).round(1)
ZB = RNG.normal(size=(5, 3)) * 3
Q = np.array([3.0, 0.5, 1.0])


@pytest.mark.parametrize("q", [Q, 2.0], ids=["per-output", "single"])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_pos_weight_is_torchs(q, reduction):
    zt = _t(ZB).requires_grad_(True)
    loss = F.binary_cross_entropy_with_logits(zt, _t(YB), pos_weight=_t(np.broadcast_to(
        q, (3,))), reduction=reduction)
    loss.sum().backward()
    for module in (ln, ln.like_torch):
        np.testing.assert_allclose(module.binary_cross_entropy(
            YB, ZB, from_logits=True, pos_weight=q, reduction=reduction),
            loss.detach().numpy(), rtol=1e-13)
    if reduction == "none":
        np.testing.assert_allclose(ln.binary_cross_entropy_grad(YB, ZB, from_logits=True,
                                                                pos_weight=q),
                                   zt.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_pos_weight_on_probabilities_by_hand():
    p = ln.sigmoid(ZB)
    by_hand = -(Q * YB * np.log(p) + (1 - YB) * np.log(1 - p))
    np.testing.assert_allclose(ln.binary_cross_entropy(YB, p, pos_weight=Q, reduction="none"),
                               by_hand, rtol=1e-12)
    np.testing.assert_allclose(ln.binary_cross_entropy_grad(YB, p, pos_weight=Q),
                               -Q * YB / p + (1 - YB) / (1 - p), rtol=1e-12)
    # the mean still divides by the number of elements (or the sum of the sample weights)
    w = np.arange(5.0)
    assert ln.binary_cross_entropy(YB, p, pos_weight=Q, sample_weight=w) == pytest.approx(
        np.sum(w[:, None] * by_hand) / (3 * w.sum()), rel=1e-13)


@pytest.mark.parametrize(("kw", "message"), [
    ({"class_weight": [1.0, 2.0]}, r"class_weight has shape \(2,\); expected one weight per "
                                   r"class, shape \(4,\), for y_pred of shape \(6, 4\)"),
    ({"class_weight": [[1.0, 2.0, 3.0, 4.0]]}, r"class_weight has shape \(1, 4\)"),
    ({"class_weight": [1.0, -2.0, 1.0, 1.0]}, r"class_weight must hold finite, non-negative "
                                              r"weights; found -2.0 at index \(1,\)"),
    ({"class_weight": [1.0, np.nan, 1.0, 1.0]}, r"class_weight must hold finite, non-negative "
                                                r"weights; found nan"),
    ({"class_weight": [0.0, 0.0, 0.0, 0.0]}, r"the weights of the targets \(sample_weight "
                                             r"times the class weight of each target\) are 0"),
])
def test_bad_class_weights_are_refused(kw, message):
    for fn, y in ((ln.sparse_categorical_cross_entropy, LABELS),
                  (ln.categorical_cross_entropy, ONEHOT)):
        with pytest.raises(ValueError, match=message):
            fn(y, Z, from_logits=True, **kw)


@pytest.mark.parametrize(("q", "message"), [
    ([1.0, 2.0], r"pos_weight has shape \(2,\); expected a single weight, shape \(\), or one "
                 r"per output along y_pred's last axis, shape \(3,\)"),
    ([[1.0, 2.0, 3.0]], r"pos_weight has shape \(1, 3\)"),
    (np.inf, r"pos_weight must hold finite, non-negative weights; found inf"),
    (-1.0, r"pos_weight must hold finite, non-negative weights; found -1.0"),
])
def test_bad_pos_weights_are_refused(q, message):
    for fn in (ln.binary_cross_entropy, ln.binary_cross_entropy_grad):
        with pytest.raises(ValueError, match=message):
            fn(YB, ZB, from_logits=True, pos_weight=q)


def test_the_frameworks_have_pos_weight_for_logits_only():
    for module in (ln.like_torch, ln.like_keras):
        with pytest.raises(ValueError, match="pos_weight needs from_logits=True"):
            module.binary_cross_entropy(YB, ln.sigmoid(ZB), pos_weight=2.0)
