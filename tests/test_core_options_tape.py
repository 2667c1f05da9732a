"""The derivatives with every option against TensorFlow's autograd (``tf.GradientTape``) of the
Keras losses called with their own option names; torch's autograd is checked in
test_core_weights.py, test_core_class_weights.py, test_core_smoothing.py and
test_core_ignore.py.

Keras averages over the last axis before weighing each sample, so the derivative of its
``reduction="sum"`` is lossnotes' per-element derivative divided by the length of that axis.
"""

import numpy as np
import pytest

import lossnotes as ln

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

RNG = np.random.default_rng(20261203)
N, D = 5, 3
Y = RNG.uniform(0, 1, (N, D)).round(1)
Z = RNG.normal(size=(N, D)) * 2
W = np.array([1.0, 0.0, 2.5, 0.5, 1.0])
LABELS = np.array([0, 2, -1, 1, 2])
C = np.array([1.0, 3.0, 0.5])
TOL = {"rtol": 1e-6, "atol": 1e-12}  # TensorFlow's float64 kernels, a few ulp apart


def _tape(loss, *args, **kw):
    zt = tf.constant(args[-1])
    with tf.GradientTape() as tape:
        tape.watch(zt)
        total = tf.reduce_sum(loss(*args[:-1], zt, **kw))
    return tape.gradient(total, zt).numpy()


@pytest.mark.parametrize("a", [0.0, 0.2])
def test_binary_with_sample_weights_and_smoothing(a):
    loss = keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=a, reduction="sum")
    tape = _tape(lambda y, z: loss(y, z, sample_weight=W), Y, Z)
    ours = ln.binary_cross_entropy_grad(Y, Z, from_logits=True, sample_weight=W,
                                        label_smoothing=a)
    np.testing.assert_allclose(ours / D, tape, **TOL)


def test_pos_weight_is_tensorflows_weighted_cross_entropy():
    q = np.array([2.0, 0.5, 4.0])
    tape = _tape(lambda y, z: tf.nn.weighted_cross_entropy_with_logits(y, z, q), Y, Z)
    np.testing.assert_allclose(ln.binary_cross_entropy_grad(Y, Z, from_logits=True,
                                                            pos_weight=q), tape, **TOL)


@pytest.mark.parametrize("a", [0.0, 0.3])
def test_categorical_with_smoothing_and_keras_class_weights(a):
    onehot = np.eye(3)[np.abs(LABELS)]
    loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=a,
                                                reduction="sum")
    tape = _tape(lambda y, z: loss(y, z), onehot, Z)
    np.testing.assert_allclose(ln.categorical_cross_entropy_grad(
        onehot, Z, from_logits=True, label_smoothing=a), tape, **TOL)
    # Model.fit(class_weight=) is a sample weight of the target's class
    sw = C[np.abs(LABELS)] * W
    tape = _tape(lambda y, z: loss(y, z, sample_weight=sw), onehot, Z)
    np.testing.assert_allclose(ln.like_keras.categorical_cross_entropy_grad(
        onehot, Z, from_logits=True, label_smoothing=a, class_weight=C, sample_weight=W), tape,
        **TOL)


def test_sparse_with_ignore_class_and_weights():
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1,
                                                      reduction="sum")
    tape = _tape(lambda y, z: loss(y, z, sample_weight=W), LABELS, Z)
    np.testing.assert_allclose(ln.sparse_categorical_cross_entropy_grad(
        LABELS, Z, from_logits=True, ignore_index=-1, sample_weight=W), tape, **TOL)
    sw = np.where(LABELS >= 0, C[np.clip(LABELS, 0, None)], 0.0)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")
    tape = _tape(lambda y, z: loss(y, z, sample_weight=sw), np.clip(LABELS, 0, None), Z)
    np.testing.assert_allclose(ln.sparse_categorical_cross_entropy_grad(
        LABELS, Z, from_logits=True, ignore_index=-1, class_weight=C), tape, **TOL)


@pytest.mark.parametrize(("name", "keras_loss", "kw"), [
    ("mse", keras.losses.MeanSquaredError, {}),
    ("mae", keras.losses.MeanAbsoluteError, {}),
    ("huber", keras.losses.Huber, {"delta": 0.7}),
])
def test_regression_with_sample_weights(name, keras_loss, kw):
    loss = keras_loss(reduction="sum", **kw)
    tape = _tape(lambda y, z: loss(y, z, sample_weight=W), Y, Z)
    ours = getattr(ln, f"{name}_grad")(Y, Z, sample_weight=W, **kw)
    np.testing.assert_allclose(ours / D, tape, **TOL)


def test_hinge_with_sample_weights():
    signs = np.where(Y > 0.5, 1.0, -1.0)
    loss = keras.losses.Hinge(reduction="sum")
    tape = _tape(lambda y, z: loss(y, z, sample_weight=W), signs, Z)
    m = ln.margin(signs, Z)
    ours = signs * ln.like_keras.hinge_grad(m, sample_weight=W)  # one weight per row
    np.testing.assert_allclose(ours / D, tape, **TOL)
