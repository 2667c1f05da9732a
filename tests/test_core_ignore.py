"""``ignore_index`` on the sparse cross-entropy: ignored labels contribute nothing and leave
the mean's denominator, as torch's ``ignore_index``; like_torch and like_keras reproduce
torch's and Keras's ``ignore_class`` means; the errors.
"""

import numpy as np
import pytest

import lossnotes as ln

torch = pytest.importorskip("torch")
F = torch.nn.functional

RNG = np.random.default_rng(20261202)
Z = RNG.normal(size=(7, 4)) * 2
LABELS = np.array([0, -100, 3, 1, -100, 2, 3])
KEPT = LABELS != -100
C = np.array([1.0, 2.5, 0.5, 4.0])


def _torch(reduction, **kw):
    zt = torch.tensor(Z, requires_grad=True)
    loss = F.cross_entropy(zt, torch.tensor(LABELS), ignore_index=-100, reduction=reduction,
                           **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                              for k, v in kw.items()})
    loss.sum().backward()
    return loss.detach().numpy(), zt.grad.numpy()


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("kw", [{}, {"weight": C}, {"label_smoothing": 0.1},
                                {"weight": C, "label_smoothing": 0.1}],
                         ids=["plain", "weight", "smoothing", "weight-smoothing"])
def test_ignored_labels_are_torchs_ignore_index(reduction, kw):
    value, grad = _torch(reduction, **kw)
    ours = {"class_weight": kw.get("weight"), "label_smoothing": kw.get("label_smoothing", 0.0)}
    np.testing.assert_allclose(ln.like_torch.sparse_categorical_cross_entropy(
        LABELS, Z, from_logits=True, ignore_index=-100, reduction=reduction, **ours), value,
        rtol=1e-13)
    if reduction == "none":
        np.testing.assert_allclose(ln.like_torch.sparse_categorical_cross_entropy_grad(
            LABELS, Z, from_logits=True, ignore_index=-100, **ours), grad, rtol=1e-12,
            atol=1e-15)
        np.testing.assert_allclose(ln.sparse_categorical_cross_entropy_grad(
            LABELS, Z, from_logits=True, ignore_index=-100, **ours), grad, rtol=1e-12,
            atol=1e-15)
    if reduction != "mean" or not kw.get("label_smoothing") or "weight" not in kw:
        # lossnotes agrees with torch but for the mean of smoothed and class-weighted
        # targets, whose denominator differs (see categorical_cross_entropy)
        np.testing.assert_allclose(ln.sparse_categorical_cross_entropy(
            LABELS, Z, from_logits=True, ignore_index=-100, reduction=reduction, **ours),
            value, rtol=1e-13)


def test_an_ignored_label_is_a_sample_weight_of_zero():
    kept = np.where(KEPT, LABELS, 0)
    w = RNG.uniform(0.5, 2, 7)
    for reduction in ("none", "sum", "mean"):
        np.testing.assert_allclose(
            ln.sparse_categorical_cross_entropy(LABELS, Z, from_logits=True, ignore_index=-100,
                                                sample_weight=w, reduction=reduction),
            ln.sparse_categorical_cross_entropy(kept, Z, from_logits=True,
                                                sample_weight=w * KEPT, reduction=reduction),
            rtol=1e-15)
    # by hand: the plain mean of the kept labels' losses
    log_p = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    by_hand = -log_p[np.flatnonzero(KEPT), LABELS[KEPT]]
    assert ln.sparse_categorical_cross_entropy(LABELS, Z, from_logits=True,
                                               ignore_index=-100) == pytest.approx(
        by_hand.mean(), rel=1e-13)


def test_a_valid_class_can_be_ignored_as_both_frameworks_do():
    labels = np.array([0, 1, 2, 1])
    z = Z[:4]
    expected = F.cross_entropy(torch.tensor(z), torch.tensor(labels), ignore_index=1).item()
    got = ln.sparse_categorical_cross_entropy(labels, z, from_logits=True, ignore_index=1)
    assert got == pytest.approx(expected, rel=1e-13)
    # an ignored probability row of 0 for its label costs nothing either
    p = np.array([[1.0, 0.0], [0.5, 0.5]])
    assert ln.sparse_categorical_cross_entropy([1, 0], p, ignore_index=1) == pytest.approx(
        np.log(2))


def test_keras_ignore_class_divides_by_the_labels_kept():
    # measured on the installed Keras (3.15); tests/test_compare.py is what runs on 3.0.0
    keras = pytest.importorskip("keras")
    labels = np.where(KEPT, LABELS, -1)
    w = RNG.uniform(0.5, 2, 7)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    assert ln.like_keras.sparse_categorical_cross_entropy(
        labels, Z, from_logits=True, ignore_index=-1, sample_weight=w) == pytest.approx(
        float(loss(labels, Z, sample_weight=w)), rel=1e-6)
    values = keras.losses.sparse_categorical_crossentropy(labels, Z, from_logits=True,
                                                          ignore_class=-1).numpy()
    np.testing.assert_allclose(ln.like_keras.sparse_categorical_cross_entropy(
        labels, Z, from_logits=True, ignore_index=-1, reduction="none"), values, rtol=1e-6)
    assert ln.like_keras.sparse_categorical_cross_entropy(
        np.full(7, -1), Z, from_logits=True, ignore_index=-1) == 0  # Keras: 0, not 0/0


@pytest.mark.parametrize("bad", [1.5, 1.0, "-100", True, [0], None])
def test_ignore_index_must_be_an_integer(bad):
    if bad is None:  # None is the default: nothing ignored, so -100 is not a label
        with pytest.raises(ValueError, match=r"labels must be class indices in \[0, 3\]"):
            ln.sparse_categorical_cross_entropy(LABELS, Z, from_logits=True)
        return
    with pytest.raises(TypeError, match="ignore_index must be an integer"):
        ln.sparse_categorical_cross_entropy(LABELS, Z, from_logits=True, ignore_index=bad)


def test_a_batch_of_only_ignored_labels_has_no_mean():
    labels = np.full(7, -100)
    with pytest.raises(ValueError, match="every label equals ignore_index=-100: the mean over "
                                         "no labels is 0/0"):
        ln.sparse_categorical_cross_entropy(labels, Z, from_logits=True, ignore_index=-100)
    assert ln.sparse_categorical_cross_entropy(labels, Z, from_logits=True, ignore_index=-100,
                                               reduction="sum") == 0
    assert not ln.sparse_categorical_cross_entropy_grad(labels, Z, from_logits=True,
                                                        ignore_index=-100).any()


def test_other_labels_out_of_range_are_still_refused():
    with pytest.raises(ValueError, match=r"labels must be class indices in \[0, 3\]"):
        ln.sparse_categorical_cross_entropy([0, 7, -100], Z[:3], from_logits=True,
                                            ignore_index=-100)
