"""Every ``*_grad`` against fourth-order central finite differences of its loss, away from kinks.

The finite difference of an unreduced loss with respect to one element of the prediction is
compared elementwise (every loss here is elementwise, or separable across samples), so one
perturbation of the whole array gives all partial derivatives at once for the elementwise
losses; the class-axis losses perturb one class at a time.

Tolerance: with step h = 1e-3 the truncation error of the fourth-order formula is O(h^4 f^(5))
~ 1e-12 and the rounding error ~ eps |f| / h ~ 1e-13 for the O(1) losses sampled here, so
rtol = atol = 1e-7 leaves a wide margin while still catching any wrong factor or sign.
"""

import numpy as np
import pytest

import lossnotes as ln

H = 1e-3
TOL = {"rtol": 1e-7, "atol": 1e-7}


def central_difference(f, x, h=H):
    """Fourth-order central difference of an elementwise f at x."""
    return (-f(x + 2 * h) + 8 * f(x + h) - 8 * f(x - h) + f(x - 2 * h)) / (12 * h)


RNG = np.random.default_rng(20260101)
# Margins that stay at least 0.05 from the kinks at 0 and 1.
MARGINS = np.concatenate([RNG.uniform(-3, -0.05, 20), RNG.uniform(0.05, 0.95, 10),
                          RNG.uniform(1.05, 3, 10)])

MARGIN_PAIRS = [
    (ln.zero_one, ln.zero_one_grad),
    (ln.perceptron, ln.perceptron_grad),
    (ln.hinge, ln.hinge_grad),
    (ln.squared_hinge, ln.squared_hinge_grad),
    (ln.logistic, ln.logistic_grad),
    (ln.exponential, ln.exponential_grad),
]


@pytest.mark.parametrize(("loss", "grad"), MARGIN_PAIRS, ids=[p[0].__name__ for p in MARGIN_PAIRS])
def test_margin_gradients_match_finite_differences(loss, grad):
    np.testing.assert_allclose(grad(MARGINS), central_difference(loss, MARGINS), **TOL)


def test_margin_subgradient_choices_at_kinks():
    # Documented choices: perceptron -1 at m = 0 (Rosenblatt), hinge 0 at m = 1 (Pegasos),
    # zero-one 0 everywhere, MAE 0 at a zero residual.
    assert ln.perceptron_grad(0.0) == -1
    assert ln.hinge_grad(1.0) == 0
    assert ln.zero_one_grad(0.0) == 0
    assert ln.mae_grad(1.0, 1.0) == 0
    # Squared hinge and Huber need no choice: their derivatives are continuous at the join.
    assert ln.squared_hinge_grad(1.0) == 0
    np.testing.assert_array_equal(ln.huber_grad([0.0, 0.0], [1.0, -1.0]), [1.0, -1.0])


Y_TARGET = RNG.normal(size=30)
Y_PRED = Y_TARGET + np.concatenate([RNG.uniform(-3, -1.05, 10), RNG.uniform(-0.95, 0.95, 10),
                                    RNG.uniform(1.05, 3, 10)])
REGRESSION_PAIRS = [
    (ln.mse, ln.mse_grad, {}),
    (ln.mae, ln.mae_grad, {}),
    (ln.huber, ln.huber_grad, {}),
    (ln.huber, ln.huber_grad, {"delta": 0.3}),
]


@pytest.mark.parametrize(
    ("loss", "grad", "kw"), REGRESSION_PAIRS, ids=["mse", "mae", "huber", "huber-delta0.3"]
)
def test_regression_gradients_match_finite_differences(loss, grad, kw):
    # Keep residuals away from 0 (MAE's kink); Huber's joins are smooth to first order.
    y_pred = np.where(np.abs(Y_PRED - Y_TARGET) < 0.05, Y_PRED + 0.1, Y_PRED)
    numeric = central_difference(lambda p: loss(Y_TARGET, p, reduction="none", **kw), y_pred)
    # Near |r| = delta the second derivative jumps, which costs the difference formula
    # accuracy only within 2h of the join.
    away = np.abs(np.abs(y_pred - Y_TARGET) - kw.get("delta", 1.0)) > 3 * H
    np.testing.assert_allclose(grad(Y_TARGET, y_pred, **kw)[away], numeric[away], **TOL)


def test_binary_cross_entropy_gradients_match_finite_differences():
    y = np.concatenate([np.zeros(10), np.ones(10), RNG.uniform(0, 1, 10)])
    p = RNG.uniform(0.05, 0.95, 30)
    z = RNG.uniform(-6, 6, 30)
    for x, logits in [(p, False), (z, True)]:
        numeric = central_difference(
            lambda v, lg=logits: ln.binary_cross_entropy(y, v, from_logits=lg, reduction="none"),
            x,
        )
        np.testing.assert_allclose(
            ln.binary_cross_entropy_grad(y, x, from_logits=logits), numeric, **TOL
        )


def _class_difference(loss, y, x, axis=-1):
    """Finite differences of a per-sample loss, one class at a time."""
    out = np.zeros_like(x)
    for k in range(x.shape[axis]):
        e = np.zeros_like(x)
        np.moveaxis(e, axis, -1)[..., k] = 1
        # Move every sample's class k by s at once: each per-sample loss sees only its own.
        d = central_difference(lambda s, e=e: loss(y, x + s * e), 0.0)
        out += e * np.expand_dims(d, axis)
    return out


@pytest.mark.parametrize("axis", [-1, 1])
def test_categorical_gradients_match_finite_differences(axis):
    # (N, C, L) with the class axis at -1 or at 1.
    shape = (4, 3, 5)
    c = shape[axis]
    z = RNG.normal(size=shape)
    labels = RNG.integers(0, c, size=np.delete(np.array(shape), axis % 3))
    onehot = np.moveaxis(np.eye(c)[labels], -1, axis)
    soft = ln.softmax(RNG.normal(size=shape), axis=axis)
    probs = ln.softmax(0.3 * z, axis=axis)  # no tiny probabilities: h stays small against p

    def cce(logits):
        return lambda y, x: ln.categorical_cross_entropy(
            y, x, from_logits=logits, axis=axis, reduction="none"
        )

    for y in (onehot, soft):
        np.testing.assert_allclose(
            ln.categorical_cross_entropy_grad(y, z, from_logits=True, axis=axis),
            _class_difference(cce(True), y, z, axis), **TOL,
        )
        # Probabilities off the simplex are refused, so differentiate -sum y log p directly:
        # the documented derivative treats each p_k as free.
        np.testing.assert_allclose(
            ln.categorical_cross_entropy_grad(y, probs, axis=axis),
            _class_difference(lambda y, x: -np.sum(y * np.log(x), axis=axis), y, probs, axis),
            **TOL,
        )

    def scce(y, x):
        return ln.sparse_categorical_cross_entropy(
            y, x, from_logits=True, axis=axis, reduction="none"
        )

    np.testing.assert_allclose(
        ln.sparse_categorical_cross_entropy_grad(labels, z, from_logits=True, axis=axis),
        _class_difference(scce, labels, z, axis), **TOL,
    )
    np.testing.assert_allclose(
        ln.sparse_categorical_cross_entropy_grad(labels, probs, axis=axis),
        ln.categorical_cross_entropy_grad(onehot, probs, axis=axis), rtol=1e-15,
    )


def test_link_derivatives():
    z = RNG.uniform(-5, 5, 20)
    s = ln.sigmoid(z)
    np.testing.assert_allclose(s * (1 - s), central_difference(ln.sigmoid, z), **TOL)
    np.testing.assert_allclose(1 - s, central_difference(ln.log_sigmoid, z), **TOL)
