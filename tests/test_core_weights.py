"""``sample_weight`` on every loss and gradient: the weighted mean, sum and unreduced loss
against hand formulas written here, 0/1 weights as a mask, the accepted shapes, the errors,
and the derivative of the weighted mean against torch's autograd.

Expected values come from NumPy formulas in this file (never from lossnotes), evaluated on
inputs away from the edges where the naive forms lose accuracy.
"""

import re

import numpy as np
import pytest

import lossnotes as ln

RNG = np.random.default_rng(20261129)
SHAPE = (4, 3)
TOL = {"rtol": 1e-12, "atol": 1e-14}


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _softmax(z, axis):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


Y = RNG.normal(size=SHAPE)
F = RNG.normal(size=SHAPE) * 2
B = (RNG.random(SHAPE) < 0.5).astype(float)
SOFT = RNG.uniform(0, 1, SHAPE)
P = RNG.uniform(0.05, 0.95, SHAPE)
SIGNS = np.where(B == 1, 1.0, -1.0)
M = SIGNS * F
M = np.where(np.abs(M) < 0.05, 0.5, M)  # away from the kinks at 0
M = np.where(np.abs(M - 1) < 0.05, 1.5, M)  # and at 1
Z3 = RNG.normal(size=(4, 5, 3))  # classes on axis 1: the unreduced loss has shape (4, 3)
LABELS = RNG.integers(0, 5, (4, 3))
ONEHOT = np.moveaxis(np.eye(5)[LABELS], -1, 1)
HUBER_D = 0.7


def _huber(y, f):
    r = np.abs(y - f)
    return np.where(r <= HUBER_D, r**2 / 2, HUBER_D * r - HUBER_D**2 / 2)


def _cce_logits(y, z):
    log_p = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * log_p, axis=1)


def _cos(y, p):
    return np.sum(y * p, axis=1) / (np.linalg.norm(y, axis=1) * np.linalg.norm(p, axis=1))


def _cos_grad(y, p):
    ny, n_p = np.linalg.norm(y, axis=1, keepdims=True), np.linalg.norm(p, axis=1, keepdims=True)
    return (_cos(y, p)[:, None] * p / n_p - y / ny) / n_p


def _dice_grad(y, p):
    i = np.sum(y * p, axis=1, keepdims=True)
    s = np.sum(y, axis=1, keepdims=True) + np.sum(p, axis=1, keepdims=True)
    return 2 * (i - y * s) / s**2


def _tversky(y, p, a=0.7, b=0.3):
    i, m, e = (np.sum(t, axis=1) for t in (y * p, y * (1 - p), (1 - y) * p))
    return 1 - i / (i + a * m + b * e)


def _tversky_grad(y, p, a=0.7, b=0.3):
    i, m, e = (np.sum(t, axis=1, keepdims=True) for t in (y * p, y * (1 - p), (1 - y) * p))
    d = i + a * m + b * e
    return -(y * d - i * (y - a * y + b * (1 - y))) / d**2


def _focal(y, p, gamma, grad=False):
    """The binary focal loss on probabilities, or its derivative, by the product rule."""
    m = y * (1 - p) + (1 - y) * p
    ce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    if not grad:
        return m**gamma * ce
    return gamma * m ** (gamma - 1) * (1 - 2 * y) * ce + m**gamma * (p - y) / (p * (1 - p))


def _focal_logits(y, z, gamma, alpha, grad=False):
    """The class-balanced binary focal loss on logits, or its derivative w.r.t. the logit."""
    p, a = _sigmoid(z), alpha * y + (1 - alpha) * (1 - y)
    m = y * (1 - p) + (1 - y) * p
    ce = y * np.log1p(np.exp(-z)) + (1 - y) * np.log1p(np.exp(z))
    if not grad:
        return a * m**gamma * ce
    return a * (gamma * m ** (gamma - 1) * (1 - 2 * y) * ce * p * (1 - p) + m**gamma * (p - y))


S3 = _softmax(Z3, 1)
B3 = (RNG.random(Z3.shape) < 0.5).astype(float)  # multilabel 0/1 targets, classes on axis 1


def _crammer_singer(grad=False):
    """The categorical hinge of (ONEHOT, Z3): the margin to the closest rival, by hand."""
    rival = np.max(np.where(ONEHOT == 1, -np.inf, Z3), axis=1, keepdims=True)
    m = np.sum(ONEHOT * Z3, axis=1, keepdims=True) - rival
    if not grad:
        return np.maximum(1 - m, 0)[:, 0]
    return (m < 1) * (((Z3 == rival) & (ONEHOT == 0)) - ONEHOT)


def _weston_watkins(grad=False):
    """torch's multi_margin_loss of (LABELS, Z3), p=1, margin 1, C = 5, by hand."""
    d = 1 - np.sum(ONEHOT * Z3, axis=1, keepdims=True) + Z3
    h = np.where(ONEHOT == 1, 0.0, np.maximum(d, 0))
    if not grad:
        return h.sum(axis=1) / 5
    g = np.where(ONEHOT == 1, 0.0, (d > 0) * 1.0)
    return (g - ONEHOT * g.sum(axis=1, keepdims=True)) / 5


def _pairs(grad=False):
    """multilabel_margin_loss of (B3, Z3): every (target j, non-target k) pair, by hand."""
    zj, zk = Z3[:, :, None, :], Z3[:, None, :, :]
    pairs = B3[:, :, None, :] * (1 - B3[:, None, :, :])
    d = 1 - zj + zk
    if not grad:
        return np.sum(pairs * np.maximum(d, 0), axis=(1, 2)) / 5
    active = pairs * (d > 0)
    return (active.sum(axis=1) - active.sum(axis=2)) / 5


# The losses of three inputs, one value per element (scores) or per vector (embeddings of
# length 5 on the last axis): away from their kinks.
X1, X2 = RNG.normal(size=SHAPE), RNG.normal(size=SHAPE)
X2 = np.where(np.abs(0.5 - SIGNS * (X1 - X2)) < 0.05, X2 + 0.5, X2)
E1, E2, E3 = (RNG.normal(size=(*SHAPE, 5)) for _ in range(3))


def _ranking_grad():
    on = (0.5 - SIGNS * (X1 - X2) > 0).astype(float)
    return -SIGNS * on, SIGNS * on


def _norm(x):
    return np.sqrt(np.sum(x * x, axis=-1, keepdims=True))


def _cosine_and_derivatives(x, y):
    """The cosine and its derivatives in x and in y, by the quotient rule."""
    nx, ny = _norm(x), _norm(y)
    c = np.sum(x * y, axis=-1, keepdims=True) / (nx * ny)
    return c[..., 0], y / (nx * ny) - c * x / nx**2, x / (nx * ny) - c * y / ny**2


def _cosine_embedding():
    c = _cosine_and_derivatives(E1, E2)[0]
    return np.where(SIGNS > 0, 1 - c, np.maximum(c - 0.2, 0))


def _cosine_embedding_grad():
    c, d1, d2 = _cosine_and_derivatives(E1, E2)
    sign = np.where(SIGNS > 0, -1.0, (c > 0.2).astype(float))[..., None]
    return sign * d1, sign * d2


def _euclid(x, y):
    v = x - y + 1e-6
    return _norm(v)[..., 0], v / _norm(v), -v / _norm(v)


def _triplet(distance):
    """The unreduced triplet loss (margin 1) and its three derivatives, for a distance that
    returns d(x, y) and its derivatives in x and in y."""
    (d1, g1x, g1y), (d2, g2x, g2y) = distance(E1, E2), distance(E1, E3)
    on = (1 + d1 - d2 > 0).astype(float)[..., None]
    return np.maximum(1 + d1 - d2, 0), (on * (g1x - g2x), on * g1y, -on * g2y)


def _cosine_distance(x, y):
    c, dx, dy = _cosine_and_derivatives(x, y)
    return 1 - c, -dx, -dy


#: name, loss, gradient, inputs, options, the unreduced loss and its derivative by hand (a
#: tuple of them for a loss of several inputs), and the class axis that the loss drops (None
#: for elementwise losses; -1 for embeddings).
CASES = {
    "margin_ranking_loss": (ln.margin_ranking_loss, ln.margin_ranking_loss_grad,
                            (X1, X2, SIGNS), {"margin": 0.5},
                            lambda: np.maximum(0.5 - SIGNS * (X1 - X2), 0), _ranking_grad, None),
    "cosine_embedding_loss": (ln.cosine_embedding_loss, ln.cosine_embedding_loss_grad,
                              (E1, E2, SIGNS), {"margin": 0.2}, _cosine_embedding,
                              _cosine_embedding_grad, -1),
    "triplet_margin_loss": (ln.triplet_margin_loss, ln.triplet_margin_loss_grad, (E1, E2, E3),
                            {}, lambda: _triplet(_euclid)[0], lambda: _triplet(_euclid)[1], -1),
    "triplet_margin_with_distance_loss": (
        ln.triplet_margin_with_distance_loss, ln.triplet_margin_with_distance_loss_grad,
        (E1, E2, E3), {"distance": "cosine"}, lambda: _triplet(_cosine_distance)[0],
        lambda: _triplet(_cosine_distance)[1], -1),
    "mse": (ln.mse, ln.mse_grad, (Y, F), {}, lambda: (Y - F) ** 2, lambda: 2 * (F - Y), None),
    "mae": (ln.mae, ln.mae_grad, (Y, F), {}, lambda: np.abs(Y - F), lambda: np.sign(F - Y),
            None),
    "huber": (ln.huber, ln.huber_grad, (Y, F), {"delta": HUBER_D}, lambda: _huber(Y, F),
              lambda: np.clip(F - Y, -HUBER_D, HUBER_D), None),
    "bce": (ln.binary_cross_entropy, ln.binary_cross_entropy_grad, (SOFT, P), {},
            lambda: -(SOFT * np.log(P) + (1 - SOFT) * np.log(1 - P)),
            lambda: (P - SOFT) / (P * (1 - P)), None),
    "bce-logits": (ln.binary_cross_entropy, ln.binary_cross_entropy_grad, (SOFT, F),
                   {"from_logits": True},
                   lambda: SOFT * np.log1p(np.exp(-F)) + (1 - SOFT) * np.log1p(np.exp(F)),
                   lambda: _sigmoid(F) - SOFT, None),
    "cce-logits": (ln.categorical_cross_entropy, ln.categorical_cross_entropy_grad,
                   (ONEHOT, Z3), {"from_logits": True, "axis": 1},
                   lambda: _cce_logits(ONEHOT, Z3), lambda: _softmax(Z3, 1) - ONEHOT, 1),
    "cce": (ln.categorical_cross_entropy, ln.categorical_cross_entropy_grad,
            (ONEHOT, _softmax(Z3, 1)), {"axis": 1},
            lambda: -np.log(np.sum(ONEHOT * _softmax(Z3, 1), axis=1)),
            lambda: -ONEHOT / _softmax(Z3, 1), 1),
    "sparse-logits": (ln.sparse_categorical_cross_entropy,
                      ln.sparse_categorical_cross_entropy_grad, (LABELS, Z3),
                      {"from_logits": True, "axis": 1}, lambda: _cce_logits(ONEHOT, Z3),
                      lambda: _softmax(Z3, 1) - ONEHOT, 1),
    "sparse": (ln.sparse_categorical_cross_entropy, ln.sparse_categorical_cross_entropy_grad,
               (LABELS, _softmax(Z3, 1)), {"axis": 1},
               lambda: -np.log(np.sum(ONEHOT * _softmax(Z3, 1), axis=1)),
               lambda: -ONEHOT / _softmax(Z3, 1), 1),
    "msle": (ln.mean_squared_logarithmic_error, ln.mean_squared_logarithmic_error_grad,
             (SOFT, P), {}, lambda: (np.log1p(P) - np.log1p(SOFT)) ** 2,
             lambda: 2 * (np.log1p(P) - np.log1p(SOFT)) / (1 + P), None),
    "cosine": (ln.negative_cosine_similarity, ln.negative_cosine_similarity_grad,
               (ONEHOT + 0.5, Z3), {"axis": 1}, lambda: -_cos(ONEHOT + 0.5, Z3),
               lambda: _cos_grad(ONEHOT + 0.5, Z3), 1),
    "log_cosh": (ln.log_cosh, ln.log_cosh_grad, (Y, F), {}, lambda: np.log(np.cosh(F - Y)),
                 lambda: np.tanh(F - Y), None),
    "mape": (ln.mean_absolute_percentage_error, ln.mean_absolute_percentage_error_grad, (Y, F),
             {}, lambda: 100 * np.abs(Y - F) / np.abs(Y), lambda: 100 * np.sign(F - Y) / np.abs(Y),
             None),
    "poisson": (ln.poisson, ln.poisson_grad, (np.round(3 * SOFT), P), {},
                lambda: P - np.round(3 * SOFT) * np.log(P), lambda: 1 - np.round(3 * SOFT) / P,
                None),
    "poisson-log": (ln.poisson, ln.poisson_grad, (np.round(3 * SOFT), F), {"log_input": True},
                    lambda: np.exp(F) - np.round(3 * SOFT) * F,
                    lambda: np.exp(F) - np.round(3 * SOFT), None),
    "gaussian": (ln.gaussian_nll_loss, ln.gaussian_nll_loss_grad, (Y, F), {"var": 2.5},
                 lambda: 0.5 * (np.log(2.5) + (Y - F) ** 2 / 2.5), lambda: (F - Y) / 2.5, None),
    "kl": (ln.kl_divergence, ln.kl_divergence_grad, (_softmax(Z3 / 2, 1), _softmax(Z3, 1)),
           {"axis": 1}, lambda: np.sum(_softmax(Z3 / 2, 1) * np.log(_softmax(Z3 / 2, 1)
                                                                 / _softmax(Z3, 1)), axis=1),
           lambda: -_softmax(Z3 / 2, 1) / _softmax(Z3, 1), 1),
    "nll": (ln.nll_loss, ln.nll_loss_grad, (LABELS, np.log(_softmax(Z3, 1))), {"axis": 1},
            lambda: -np.sum(ONEHOT * np.log(_softmax(Z3, 1)), axis=1), lambda: -ONEHOT, 1),
    "hinge_embedding": (ln.hinge_embedding_loss, ln.hinge_embedding_loss_grad,
                        (SIGNS, np.abs(F)), {},
                        lambda: np.where(SIGNS == 1, np.abs(F), np.maximum(1 - np.abs(F), 0)),
                        lambda: np.where(SIGNS == 1, 1.0, -1.0 * (np.abs(F) < 1)), None),
    "dice": (ln.dice, ln.dice_grad, (ONEHOT, _softmax(Z3, 1)), {"axis": 1},
             lambda: 1 - 2 * np.sum(ONEHOT * _softmax(Z3, 1), axis=1)
             / (np.sum(ONEHOT, axis=1) + np.sum(_softmax(Z3, 1), axis=1)),
             lambda: _dice_grad(ONEHOT, _softmax(Z3, 1)), 1),
    "tversky": (ln.tversky, ln.tversky_grad, (ONEHOT, _softmax(Z3, 1)),
                {"axis": 1, "alpha": 0.7, "beta": 0.3}, lambda: _tversky(ONEHOT, _softmax(Z3, 1)),
                lambda: _tversky_grad(ONEHOT, _softmax(Z3, 1)), 1),
    "focal": (ln.binary_focal_cross_entropy, ln.binary_focal_cross_entropy_grad, (SOFT, P),
              {"gamma": 2.0}, lambda: _focal(SOFT, P, 2.0), lambda: _focal(SOFT, P, 2.0, True),
              None),
    "focal-logits": (ln.binary_focal_cross_entropy, ln.binary_focal_cross_entropy_grad,
                     (B, F), {"gamma": 1.5, "from_logits": True, "apply_class_balancing": True,
                              "alpha": 0.4},
                     lambda: _focal_logits(B, F, 1.5, 0.4),
                     lambda: _focal_logits(B, F, 1.5, 0.4, True), None),
    "categorical_focal": (ln.categorical_focal_cross_entropy,
                          ln.categorical_focal_cross_entropy_grad, (ONEHOT, S3),
                          {"axis": 1, "alpha": 0.25, "gamma": 2.0},
                          lambda: -0.25 * np.sum(ONEHOT * (1 - S3) ** 2 * np.log(S3), axis=1),
                          lambda: 0.25 * ONEHOT * (2 * (1 - S3) * np.log(S3)
                                                   - (1 - S3) ** 2 / S3), 1),
    "generalized": (ln.categorical_generalized_cross_entropy,
                    ln.categorical_generalized_cross_entropy_grad, (LABELS, S3),
                    {"axis": 1, "q": 0.5},
                    lambda: (1 - np.sqrt(np.sum(ONEHOT * S3, axis=1))) / 0.5,
                    lambda: -ONEHOT / np.sqrt(S3), 1),
    "categorical_hinge": (ln.categorical_hinge, ln.categorical_hinge_grad, (ONEHOT, Z3),
                          {"axis": 1}, _crammer_singer, lambda: _crammer_singer(True), 1),
    "multi_margin": (ln.multi_margin_loss, ln.multi_margin_loss_grad, (LABELS, Z3), {"axis": 1},
                     _weston_watkins, lambda: _weston_watkins(True), 1),
    "multilabel_soft_margin": (ln.multilabel_soft_margin_loss,
                               ln.multilabel_soft_margin_loss_grad, (B3, Z3), {"axis": 1},
                               lambda: np.mean(B3 * np.log1p(np.exp(-Z3))
                                               + (1 - B3) * np.log1p(np.exp(Z3)), axis=1),
                               lambda: (_sigmoid(Z3) - B3) / 5, 1),
    "multilabel_margin": (ln.multilabel_margin_loss, ln.multilabel_margin_loss_grad, (B3, Z3),
                          {"axis": 1}, _pairs, lambda: _pairs(True), 1),
    "zero_one": (ln.zero_one, ln.zero_one_grad, (M,), {}, lambda: (M <= 0) * 1.0,
                 lambda: np.zeros(SHAPE), None),
    "perceptron": (ln.perceptron, ln.perceptron_grad, (M,), {}, lambda: np.maximum(-M, 0),
                   lambda: -1.0 * (M <= 0), None),
    "hinge": (ln.hinge, ln.hinge_grad, (M,), {}, lambda: np.maximum(1 - M, 0),
              lambda: -1.0 * (M < 1), None),
    "squared_hinge": (ln.squared_hinge, ln.squared_hinge_grad, (M,), {},
                      lambda: np.maximum(1 - M, 0) ** 2, lambda: -2 * np.maximum(1 - M, 0),
                      None),
    "logistic": (ln.logistic, ln.logistic_grad, (M,), {}, lambda: np.log1p(np.exp(-M)),
                 lambda: -1 / (1 + np.exp(M)), None),
    "exponential": (ln.exponential, ln.exponential_grad, (M,), {}, lambda: np.exp(-M),
                    lambda: -np.exp(-M), None),
}

#: Each loss's function, so that the parametrized tests below cover every loss of the package.
_EVERY_LOSS = {c[0] for c in CASES.values()}


#: The batch losses take sample_weight, but their derivative is that of the weighted batch sum,
#: not a per-element product, so their weights are tested with them (tests/test_losses_D.py).
_WEIGHTED_AS_A_BATCH = {"circle"}
#: The losses of sequences take one weight per sequence, shape (N,), of logits (N, T, C): the
#: element-wise cases above do not fit them, and tests/test_ctc.py tests their weights (the
#: weighted mean, sum and unreduced values, and the weighted gradient).
_WEIGHTED_PER_SEQUENCE = {"ctc"}


def test_every_loss_is_covered():
    import inspect

    from lossnotes import _registry

    batch = {loss.name for loss in _registry.LOSSES.values() if loss.batch}
    assert batch == _WEIGHTED_AS_A_BATCH
    for name in batch:
        assert "sample_weight" in inspect.signature(_registry.LOSSES[name].function).parameters
        assert "sample_weight" in inspect.signature(_registry.LOSSES[name].grad).parameters
    sequences = {loss.name for loss in _registry.LOSSES.values() if loss.family == "sequence"}
    assert sequences == _WEIGHTED_PER_SEQUENCE
    # every other loss of the registry has a case above, so its weights are tested here
    uncovered = {loss.name for loss in _registry.LOSSES.values()
                 if loss.function not in _EVERY_LOSS and not loss.batch
                 and loss.name not in sequences}
    assert not uncovered, f"losses without a sample_weight case in CASES: {sorted(uncovered)}"
    for loss in _registry.LOSSES.values():
        assert "sample_weight" in inspect.signature(loss.function).parameters, loss.name
        assert "sample_weight" in inspect.signature(loss.grad).parameters, loss.name


def _weights(kind):
    """Per element (4, 3), per sample (4,) as the leading axis, or 0/1 with a zero."""
    if kind == "element":
        return RNG.uniform(0, 3, SHAPE)
    if kind == "sample":
        return np.array([0.5, 2.0, 0.0, 1.25])
    return (RNG.random(SHAPE) < 0.6) | np.eye(4, 3, dtype=bool)  # a boolean mask, never empty


@pytest.mark.parametrize("kind", ["element", "sample", "mask"])
@pytest.mark.parametrize("name", list(CASES))
def test_weighted_reductions_are_the_weighted_formulas(name, kind):
    fn, grad, args, opts, hand, hand_grad, axis = CASES[name]
    w = _weights(kind)
    full = np.broadcast_to(w.reshape(w.shape + (1,) * (2 - w.ndim)), SHAPE).astype(float)
    terms = full * hand()
    np.testing.assert_allclose(fn(*args, **opts, reduction="none", sample_weight=w), terms,
                               **TOL)
    np.testing.assert_allclose(fn(*args, **opts, reduction="sum", sample_weight=w),
                               terms.sum(), **TOL)
    mean = fn(*args, **opts, reduction="mean", sample_weight=w)
    np.testing.assert_allclose(mean, terms.sum() / full.sum(), **TOL)
    assert np.asarray(mean).shape == ()
    g = grad(*args, **opts, sample_weight=w)
    wg = full if axis is None else np.expand_dims(full, axis)
    for each, by_hand, x in _derivatives(g, hand_grad(), args):
        np.testing.assert_allclose(each, wg * by_hand, **TOL)
        assert each.shape == np.shape(x)


def _derivatives(g, by_hand, args):
    """(derivative, its value by hand, the input it is taken with respect to): one, or one per
    input of a loss of several (its gradient is a tuple, in the order of the inputs)."""
    if isinstance(g, tuple):
        assert isinstance(by_hand, tuple) and len(g) == len(by_hand)
        return list(zip(g, by_hand, args[:len(g)], strict=True))
    return [(g, by_hand, args[-1])]


@pytest.mark.parametrize("name", list(CASES))
def test_zero_one_weights_are_a_mask(name):
    # The weighted mean with 0/1 weights is the plain mean of the kept elements.
    fn, grad, args, opts, hand, hand_grad, axis = CASES[name]
    mask = np.array([True, False, True, True])
    kept = hand()[mask]
    np.testing.assert_allclose(fn(*args, **opts, reduction="mean", sample_weight=mask),
                               kept.mean(), **TOL)
    np.testing.assert_allclose(fn(*args, **opts, sample_weight=mask.astype(float),
                                  reduction="sum"), kept.sum(), **TOL)
    # and its derivative is the exact one on the kept samples, 0 on the others
    for g, by_hand, _ in _derivatives(grad(*args, **opts, sample_weight=mask), hand_grad(), args):
        keep = mask.reshape((4,) + (1,) * (g.ndim - 1))
        np.testing.assert_allclose(g, np.where(keep, by_hand, 0.0), **TOL)
        assert np.all(g[~mask] == 0) and (axis is None) == (g.ndim == 2)


def test_a_masked_infinite_term_is_absent():
    y, p = np.array([1.0, 0.0, 1.0]), np.array([0.0, 0.5, 0.5])  # the first term is +inf
    mask = np.array([0.0, 1.0, 1.0])
    assert ln.binary_cross_entropy(y, p, sample_weight=mask) == pytest.approx(np.log(2))
    np.testing.assert_array_equal(ln.binary_cross_entropy_grad(y, p, sample_weight=mask),
                                  [0.0, 2.0, -2.0])
    np.testing.assert_array_equal(
        ln.binary_cross_entropy(y, p, sample_weight=mask, reduction="none"),
        [0.0, np.log(2), np.log(2)])
    assert ln.exponential([-1000.0, 0.0], sample_weight=[0, 1], reduction="sum") == 1.0
    assert ln.sparse_categorical_cross_entropy([0, 1], [[0.0, 1.0], [0.5, 0.5]],
                                               sample_weight=[0, 1]) == pytest.approx(np.log(2))


def test_per_sample_weights_weigh_every_element_of_their_sample():
    y, f = RNG.normal(size=(2, 3, 2)), RNG.normal(size=(2, 3, 2))
    w = np.array([1.0, 3.0])
    by_hand = np.broadcast_to(w[:, None, None], y.shape)
    for reduction in ("none", "sum", "mean"):
        np.testing.assert_allclose(ln.mse(y, f, reduction=reduction, sample_weight=w),
                                   ln.mse(y, f, reduction=reduction, sample_weight=by_hand),
                                   rtol=1e-15)
    w2 = RNG.uniform(0, 1, (2, 3))
    by_hand = np.broadcast_to(w2[:, :, None], y.shape)
    np.testing.assert_allclose(ln.mae(y, f, sample_weight=w2),
                               np.sum(by_hand * np.abs(y - f)) / by_hand.sum(), rtol=1e-14)


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf])
def test_a_negative_nan_or_infinite_weight_is_refused(name, bad):
    fn, grad, args, opts, *_ = CASES[name]
    w = np.ones(SHAPE)
    w[1, 2] = bad
    for f, kw in ((fn, {"reduction": "sum"}), (grad, {})):
        with pytest.raises(ValueError, match=r"sample_weight must hold finite, non-negative "
                                             rf"weights; found {bad!r} at index \(1, 2\)"):
            f(*args, **opts, **kw, sample_weight=w)


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("shape", [(3,), (4, 1), (1, 3), (4, 3, 1), (), (3, 4)])
def test_weights_of_another_shape_are_refused(name, shape):
    fn, grad, args, opts, *_ = CASES[name]
    for f in (fn, grad):
        with pytest.raises(ValueError, match=re.escape(
                f"sample_weight has shape {shape} but the unreduced loss (reduction='none') "
                "has shape (4, 3); expected (4, 3) or (4,)")):
            f(*args, **opts, sample_weight=np.ones(shape))


def test_weights_that_are_all_zero_have_no_mean():
    with pytest.raises(ValueError, match=r"sample_weight is 0 everywhere: the weighted mean "
                                         r"sum\(w l\) / sum\(w\) is 0/0"):
        ln.hinge([0.0, 2.0], sample_weight=[0, 0], reduction="mean")
    assert ln.hinge([0.0, 2.0], sample_weight=[0, 0], reduction="sum") == 0
    np.testing.assert_array_equal(ln.hinge_grad([0.0, 2.0], sample_weight=[0, 0]), [0, 0])


def test_weights_are_real_numbers_in_the_loss_dtype():
    y, f = np.float32([1.0, 2.0]), np.float32([0.0, 0.0])
    out = ln.mse(y, f, sample_weight=[0.1, 0.3], reduction="none")
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.float32([0.1, 4 * np.float32(0.3)]))
    with pytest.raises(ValueError, match=r"sample_weight holds 100000.0 .* beyond the "
                                         r"largest float16"):
        ln.mse(np.float16([1.0]), np.float16([0.0]), sample_weight=[1e5])
    with pytest.raises(ValueError, match="sample_weight must hold real numbers"):
        ln.mse([1.0], [0.0], sample_weight=["1"])


def test_a_weighted_mean_of_huge_weights_is_their_proportion():
    # sum(w) overflows; the mean of 1, 0 weighted 1:1 is 1/2 all the same.
    big = np.finfo(np.float64).max
    assert ln.zero_one([0.0, 1.0], sample_weight=[big, big], reduction="mean") == 0.5


def test_the_mean_of_float16_weighted_terms_accumulates_in_float32():
    n = 40_000
    out = ln.mse(np.ones(n, np.float16), np.zeros(n, np.float16), sample_weight=np.full(n, 2.0))
    assert out.dtype == np.float16 and out == 1.0


@pytest.mark.parametrize("name", ["mse", "huber", "bce", "bce-logits", "cce-logits",
                                  "sparse-logits", "hinge", "logistic"])
def test_the_weighted_means_derivative_is_torchs_autograd(name):
    torch = pytest.importorskip("torch")
    fn, grad, args, opts, *_ = CASES[name]
    w = _weights("element") if CASES[name][6] is None else _weights("sample")
    pred = torch.tensor(np.asarray(args[-1], dtype=np.float64), requires_grad=True)
    target = torch.tensor(args[0])
    weight = torch.tensor(w)
    F = torch.nn.functional
    if name in ("mse", "huber"):
        terms = (F.mse_loss(pred, target, reduction="none") if name == "mse" else
                 F.huber_loss(pred, target, reduction="none", delta=HUBER_D))
    elif name == "bce":
        terms = F.binary_cross_entropy(pred, target, reduction="none")
    elif name == "bce-logits":
        terms = F.binary_cross_entropy_with_logits(pred, target, reduction="none")
    elif name == "cce-logits":
        terms = F.cross_entropy(pred, target, reduction="none")
    elif name == "sparse-logits":
        terms = F.cross_entropy(pred, target, reduction="none")
    elif name == "hinge":
        terms = torch.clamp(1 - pred, min=0)
    else:
        terms = F.softplus(-pred)
    full = weight.reshape(weight.shape + (1,) * (terms.dim() - weight.dim())).expand_as(terms)
    mean = (full * terms).sum() / full.sum()
    mean.backward()
    assert float(mean.detach()) == pytest.approx(
        float(fn(*args, **opts, reduction="mean", sample_weight=w)), rel=1e-13)
    np.testing.assert_allclose(grad(*args, **opts, sample_weight=w) / full.sum().item(),
                               pred.grad.numpy(), rtol=1e-12, atol=1e-15)



def test_the_framework_modules_weigh_with_a_plain_product():
    # torch's way: reduction="none", then (w * loss).sum() / w.sum() by hand. A weight of 0
    # does not remove a nan term there (0 * nan is nan), and like_torch says the same.
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    y = np.array([1.0, 0.0, 1.0, 0.0])
    z = np.array([np.inf, 2.0, -1.0, 0.5])  # torch's literal formula: nan at y=1, z=+inf
    w = np.array([0.0, 1.0, 2.0, 0.5])
    terms = F.binary_cross_entropy_with_logits(torch.tensor(z), torch.tensor(y),
                                               reduction="none")
    by_hand = (torch.tensor(w) * terms).sum() / torch.tensor(w).sum()
    assert np.isnan(by_hand.item())
    assert np.isnan(ln.like_torch.binary_cross_entropy(y, z, from_logits=True, sample_weight=w))
    assert ln.binary_cross_entropy(y, z, from_logits=True, sample_weight=w) == pytest.approx(
        float((torch.tensor(w[1:]) * terms[1:]).sum() / w[1:].sum()), rel=1e-14)
    # Away from the edge like_torch's weighted mean is torch's by hand, and like_keras's is
    # Keras's default reduction, sum_over_batch_size: the weighted sum over the count.
    p = np.array([0.3, 0.6, 0.9, 0.2])
    terms = F.binary_cross_entropy(torch.tensor(p), torch.tensor(y), reduction="none")
    total = float((torch.tensor(w) * terms).sum())
    assert ln.like_torch.binary_cross_entropy(y, p, sample_weight=w) == pytest.approx(
        total / w.sum(), rel=1e-13)
    assert ln.like_keras.binary_cross_entropy(y, p, sample_weight=w) == pytest.approx(
        total / len(w), rel=1e-13)
    np.testing.assert_allclose(ln.like_torch.hinge_grad([0.0, 1.0, 2.0], sample_weight=[2, 3, 4]),
                               [-2.0, -3.0, 0.0])


@pytest.mark.parametrize("name, keras_class, y, p", [
    ("log_cosh", "LogCosh", Y, F),
    ("mean_absolute_percentage_error", "MeanAbsolutePercentageError", Y, F),
    ("mean_squared_logarithmic_error", "MeanSquaredLogarithmicError", SOFT, P),
    ("negative_cosine_similarity", "CosineSimilarity", Y, F),
    ("poisson", "Poisson", np.round(3 * SOFT), P),
    ("kl_divergence", "KLDivergence", _softmax(Y, 1), _softmax(F, 1)),
    ("binary_focal_cross_entropy", "BinaryFocalCrossentropy", SOFT, P),
    ("categorical_focal_cross_entropy", "CategoricalFocalCrossentropy", np.eye(3)[[0, 2, 1, 1]],
     _softmax(F, 1)),
    ("categorical_generalized_cross_entropy", "CategoricalGeneralizedCrossEntropy",
     np.array([0, 2, 1, 1]), _softmax(F, 1)),
    ("categorical_hinge", "CategoricalHinge", np.eye(3)[[0, 2, 1, 1]], F),
])
def test_like_keras_weighs_as_the_keras_loss_object(name, keras_class, y, p):
    # Keras's loss objects weigh each sample's value and divide by the number of samples
    # (sum_over_batch_size); like_keras reproduces it, lossnotes divides by the weights' sum.
    from lossnotes._compare import _frameworks

    keras = _frameworks.keras()
    w = np.array([0.5, 2.0, 0.0, 1.25])
    theirs = float(getattr(keras.losses, keras_class)(dtype="float64")(y, p, sample_weight=w))
    ours = getattr(ln.like_keras, name)(y, p, sample_weight=w)
    assert float(ours) == pytest.approx(theirs, rel=1e-12)
    unweighted = getattr(ln, name)(y, p, reduction="none")
    per_sample = unweighted if unweighted.ndim == 1 else unweighted.mean(axis=-1)
    assert float(getattr(ln, name)(y, p, sample_weight=w)) == pytest.approx(
        float(np.sum(w * per_sample) / w.sum()), rel=1e-12)


def test_overlap_weights_are_per_sample_ratios_as_keras_weighs_them():
    # A weight scales a sample's whole ratio; Keras's Dice and Tversky objects (axis=-1, one
    # ratio per row) weigh them and divide by the number of rows, as like_keras does.
    from lossnotes._compare import _frameworks

    keras = _frameworks.keras()
    y = (RNG.random((4, 5)) < 0.5).astype(float)
    y[:, 0] = 1.0
    p = RNG.uniform(0, 1, (4, 5))
    w = np.array([0.5, 2.0, 0.0, 1.25])
    for name, obj, opts in (("dice", keras.losses.Dice(axis=-1, dtype="float64"), {}),
                            ("tversky", keras.losses.Tversky(alpha=0.7, beta=0.3, axis=-1,
                                                             dtype="float64"),
                             {"alpha": 0.7, "beta": 0.3})):
        theirs = float(obj(y, p, sample_weight=w))
        assert float(getattr(ln.like_keras, name)(y, p, sample_weight=w, **opts)) == \
            pytest.approx(theirs, rel=1e-12)
        ratios = getattr(ln, name)(y, p, reduction="none", **opts)
        assert float(getattr(ln, name)(y, p, sample_weight=w, **opts)) == pytest.approx(
            float(np.sum(w * ratios) / w.sum()), rel=1e-14)


def test_the_margin_losses_weigh_as_a_mean_by_hand_over_torch_s_terms():
    # torch's multi_margin_loss, multilabel_soft_margin_loss and multilabel_margin_loss take
    # no sample weights: reduction="none", then (w * loss).sum() / w.sum(), as like_torch and
    # lossnotes weigh them (scores away from the edges, where the two agree).
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    w = np.array([0.5, 2.0, 0.0, 1.25])
    labels = np.array([0, 2, 1, 1])
    padded = [[*np.flatnonzero(row), *[-1] * int(3 - row.sum())] for row in B]  # torch's form
    z = torch.tensor(Y)
    for name, terms, target in [
        ("multi_margin_loss", F.multi_margin_loss(z, torch.tensor(labels), reduction="none"),
         labels),
        ("multilabel_soft_margin_loss",
         F.multilabel_soft_margin_loss(z, torch.tensor(B), reduction="none"), B),
        ("multilabel_margin_loss",
         F.multilabel_margin_loss(z, torch.tensor(padded), reduction="none"), B),
    ]:
        by_hand = float((torch.tensor(w) * terms).sum() / w.sum())
        for module in (ln, ln.like_torch):
            ours = getattr(module, name)(target, Y, sample_weight=w)
            assert float(ours) == pytest.approx(by_hand, rel=1e-12), (module.__name__, name)


def test_like_keras_weighs_the_multilabel_soft_margin_as_binary_crossentropy_does():
    # Keras's equivalent is BinaryCrossentropy(from_logits=True): the mean over the last axis,
    # weighted per sample and divided by the number of samples.
    from lossnotes._compare import _frameworks

    keras = _frameworks.keras()
    w = np.array([0.5, 2.0, 0.0, 1.25])
    loss = keras.losses.BinaryCrossentropy(from_logits=True, dtype="float64")
    theirs = float(loss(B, F, sample_weight=w))
    ours = ln.like_keras.multilabel_soft_margin_loss(B, F, sample_weight=w)
    assert float(ours) == pytest.approx(theirs, rel=1e-12)


def test_a_single_sample_takes_a_single_weight():
    # One row: the unreduced loss is 0-d, and so is its weight. The true class 0 leads its
    # closest rival by 0.2, so the hinge is 0.8, and Weston-Watkins charges 0.5 + 0.8 over 3.
    scores = [2.0, 1.5, 1.8]
    assert ln.categorical_hinge([1, 0, 0], scores, sample_weight=3.0,
                                reduction="sum") == pytest.approx(2.4, rel=1e-14)
    assert ln.multi_margin_loss(0, scores, sample_weight=3.0,
                                reduction="none") == pytest.approx(1.3, rel=1e-14)
    np.testing.assert_allclose(ln.categorical_hinge_grad([1, 0, 0], scores, sample_weight=3.0),
                               [-3.0, 0.0, 3.0])
