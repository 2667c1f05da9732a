"""Focal losses: values against hand computations and mpmath, gradients against both autograds,
the errors, and the traps of issue 15 (Keras's ``alpha`` that needs ``apply_class_balancing``,
torchvision's default ``alpha=0.25``, the literal ``1 - p_t``, the clip and the clamp).

The registry-parametrized tests (test_registry.py, test_accuracy.py, test_compare.py) cover
the record itself: reference, grid, ulp bounds, finite differences, the agreement matrix.
"""

import math

import numpy as np
import pytest

import lossnotes as ln
import lossnotes.accuracy as acc

BFC, BFC_GRAD = ln.binary_focal_cross_entropy, ln.binary_focal_cross_entropy_grad
RNG = np.random.default_rng(20261129)


def _hand(y, p, gamma=2.0, alpha=None):
    """The focal loss of one element by its definition, in Python floats."""
    m = y * (1 - p) + (1 - y) * p
    ce = -(y * math.log(p) + (1 - y) * math.log(1 - p))
    weight = 1.0 if alpha is None else alpha * y + (1 - alpha) * (1 - y)
    return weight * m**gamma * ce


# ---------------------------------------------------------------------------------------------
# values
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("y, p, gamma, alpha", [
    (1.0, 0.9, 2.0, None),      # 0.01 * -log 0.9
    (0.0, 0.3, 2.0, None),      # 0.09 * -log 0.7
    (0.25, 0.6, 2.0, None),     # soft label: m = 0.25 * 0.4 + 0.75 * 0.6 = 0.55
    (0.7, 0.2, 0.5, 0.25),      # alpha_t = 0.25 * 0.7 + 0.75 * 0.3 = 0.4
    (1.0, 0.5, 3.0, 0.6),
])
def test_values_against_the_definition(y, p, gamma, alpha):
    got = BFC([y], [p], gamma=gamma, apply_class_balancing=alpha is not None,
              alpha=0.25 if alpha is None else alpha, reduction="none")
    np.testing.assert_allclose(got, [_hand(y, p, gamma, alpha)], rtol=1e-14)


def test_keras_docstring_example():
    # keras.losses.binary_focal_crossentropy's own example: per-sample [0.330, 0.206] (3 digits
    # in its docstring), the mean over the last axis; lossnotes reduces per element.
    y, p = np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[0.6, 0.4], [0.4, 0.6]])
    per_sample = BFC(y, p, gamma=2.0, reduction="none").mean(axis=-1)
    np.testing.assert_allclose(per_sample, [0.330, 0.206], atol=5e-4)
    # and by hand: 0.36 * -log 0.4 for each wrong 0.6, 0.16 * -log 0.6 for each 0.4
    a, b = 0.36 * -math.log(0.4), 0.16 * -math.log(0.6)
    np.testing.assert_allclose(per_sample, [a, (b + a) / 2], rtol=1e-14)


def test_gamma_zero_is_binary_cross_entropy():
    y = RNG.random(50)
    p = RNG.uniform(0.01, 0.99, 50)
    np.testing.assert_allclose(BFC(y, p, gamma=0.0, reduction="none"),
                               ln.binary_cross_entropy(y, p, reduction="none"), rtol=1e-15)
    z = RNG.normal(0, 5, 50)
    np.testing.assert_allclose(BFC(y, z, gamma=0.0, from_logits=True, reduction="none"),
                               ln.binary_cross_entropy(y, z, from_logits=True,
                                                       reduction="none"), rtol=1e-15)


def test_logits_and_probabilities_agree():
    y, z = RNG.random(40), RNG.normal(0, 3, 40)
    p = ln.sigmoid(z)
    for grad in (False, True):
        kw = {} if grad else {"reduction": "none"}
        f = BFC_GRAD if grad else BFC
        by_logit = f(y, z, from_logits=True, gamma=1.5, **kw)
        by_prob = f(y, p, gamma=1.5, **kw)
        if grad:  # the chain rule: d/dz = d/dp * p (1 - p)
            by_prob = by_prob * p * (1 - p)
        np.testing.assert_allclose(by_logit, by_prob, rtol=1e-10, atol=1e-15)


def test_label_smoothing_is_keras_s_binary_rule():
    y, p = np.array([1.0, 0.0, 0.5]), np.array([0.8, 0.3, 0.5])
    s = 0.2
    np.testing.assert_allclose(BFC(y, p, label_smoothing=s, reduction="none"),
                               BFC(y * (1 - s) + s / 2, p, reduction="none"), rtol=1e-15)


def test_limits_and_reductions():
    loss = BFC([1.0, 1.0, 0.0, 0.0, 0.25], [0.0, 1.0, 0.0, 1.0, 0.0], reduction="none")
    np.testing.assert_array_equal(loss, [np.inf, 0.0, 0.0, np.inf, np.inf])
    z = [np.inf, -np.inf, 1000.0, -1000.0]
    loss = BFC([1.0, 1.0, 0.0, 0.0], z, from_logits=True, reduction="none")
    np.testing.assert_array_equal(loss, [0.0, np.inf, 1000.0, 0.0])
    y, p = [1.0, 0.0, 1.0], [0.9, 0.2, 0.4]
    each = np.array([_hand(a, b) for a, b in zip(y, p, strict=True)])
    assert math.isclose(BFC(y, p), each.mean(), rel_tol=1e-15)
    assert math.isclose(BFC(y, p, reduction="sum"), each.sum(), rel_tol=1e-15)
    out = BFC(np.float32(y), np.float32(p), reduction="none")
    assert out.dtype == np.float32
    assert BFC_GRAD(np.float16(y), np.float16(p)).dtype == np.float16


@pytest.mark.parametrize("y, p", [
    (1e-300, 0.0), (5e-324, 0.0), (1e-200, 0.0),  # 1 - p_t = y: its square underflows
    (1 - 2**-53, 1.0),                            # the mirror end, 1 - p_t = 2^-53
])
def test_an_underflowing_focal_factor_keeps_the_infinite_loss(y, p):
    # At p = 0 with y > 0 (or p = 1 with y < 1) the cross-entropy is +inf and the focal factor
    # 1 - p_t = y (or 1 - y) is positive: a positive number times +inf is +inf, even where
    # the factor's power underflows to 0 in floating point (issue 14's nan: 0 * inf).
    wrong_way = -1.0 if p == 0.0 else 1.0  # the derivative pushes p away from the certain end
    for gamma in (0.5, 2.0, 5.0):
        for balanced in (False, True):
            kw = {"gamma": gamma, "apply_class_balancing": balanced, "alpha": 0.5}
            assert BFC(y, p, **kw) == np.inf
            assert BFC([y, 1.0], [p, 0.5], reduction="none", **kw)[0] == np.inf
            assert BFC_GRAD(y, p, **kw) == wrong_way * np.inf
    # the categorical focal loss: 1 - p = 1 where p = 0, so its factor cannot underflow there
    rows = np.array([[y, 1 - y]]), np.array([[p, 1 - p]])
    for gamma in (0.5, 2.0, 5.0):
        assert ln.categorical_focal_cross_entropy(*rows, gamma=gamma) == np.inf
        grad = ln.categorical_focal_cross_entropy_grad(*rows, gamma=gamma)
        assert not np.isnan(grad).any() and -np.inf in grad


def test_a_class_weight_of_0_ignores_an_infinite_term():
    # alpha = 1 gives class 0 the weight 1 - alpha = 0: its term is ignored, as a sample
    # weight of 0 ignores one, even at a certain wrong probability (inf), not 0 * inf = nan.
    kw = {"apply_class_balancing": True, "alpha": 1.0}
    np.testing.assert_array_equal(BFC([0.0, 1.0], [1.0, 0.5], reduction="none", **kw),
                                  [0.0, _hand(1.0, 0.5)])
    np.testing.assert_array_equal(BFC_GRAD([0.0, 0.0], [1.0, 0.5], **kw), [0.0, 0.0])
    # and the high-precision reference agrees (mpmath's 0 * inf is nan too)
    y, p = np.array([0.0, 1.0]), np.array([1.0, 0.5])
    for name, f in (("binary_focal_cross_entropy", BFC), ("binary_focal_cross_entropy_grad",
                                                         BFC_GRAD)):
        extra = {} if f is BFC_GRAD else {"reduction": "none"}
        exact = np.array(acc.reference(name, y, p, **kw), dtype=float)
        np.testing.assert_allclose(f(y, p, **kw, **extra), exact, rtol=1e-15)


def test_float32_keeps_the_tiny_factor_that_the_literal_formula_loses():
    # The trap of the literal 1 - p_t: for a confident right logit z = 10 in float32, p_t
    # rounds near 1 and 1 - p_t = 1 - 0.9999546 keeps few digits; sigma(-z) keeps them all.
    z, y = np.float32([10.0]), np.float32([1.0])
    exact = acc.reference("binary_focal_cross_entropy", y, z, from_logits=True)
    ours = acc.ulp_error(BFC(y, z, from_logits=True, reduction="none"), exact, "float32")
    literal = acc.ulp_error(ln.like_torch.binary_focal_cross_entropy(
        y, z, from_logits=True, reduction="none"), exact, "float32")
    assert ours.max() <= 1 and literal.max() > 1e3


def test_against_the_mpmath_reference_at_awkward_points():
    y = np.array([1.0, 0.0, 0.3, 1.0, 0.0])
    p = np.array([1e-300, 1 - 2**-53, 0.5, 0.999999, 1e-9])
    for gamma in (0.25, 2.0, 5.0):
        for grad in (False, True):
            name = "binary_focal_cross_entropy" + ("_grad" if grad else "")
            m = acc.measure(name, inputs=(y, p), gamma=gamma)
            assert m.worst <= 10, (gamma, grad, m.where())


# ---------------------------------------------------------------------------------------------
# gradients: by hand, and against both autograds
# ---------------------------------------------------------------------------------------------


def _torch_focal(torch, y, x, gamma, logits):
    """The exact formula in torch ops (stable in logits), for autograd."""
    F = torch.nn.functional
    if logits:
        p, q = torch.sigmoid(x), torch.sigmoid(-x)
        ce = y * F.softplus(-x) + (1 - y) * F.softplus(x)
    else:
        p, q = x, 1 - x
        ce = -(y * torch.log(x) + (1 - y) * torch.log1p(-x))
    return (y * q + (1 - y) * p) ** gamma * ce


def _tf_focal(tf, y, x, gamma, logits):
    if logits:
        p, q = tf.sigmoid(x), tf.sigmoid(-x)
        ce = y * tf.nn.softplus(-x) + (1 - y) * tf.nn.softplus(x)
    else:
        p, q = x, 1 - x
        ce = -(y * tf.math.log(x) + (1 - y) * tf.math.log1p(-x))
    return tf.pow(y * q + (1 - y) * p, gamma) * ce


@pytest.mark.parametrize("logits", [False, True], ids=["probabilities", "logits"])
@pytest.mark.parametrize("gamma", [0.5, 2.0, 3.0])
def test_gradient_against_torch_autograd(logits, gamma):
    torch = pytest.importorskip("torch")
    y = (RNG.random(64) < 0.5).astype(float)
    y[:8] = RNG.random(8)  # soft labels too
    x = RNG.normal(0, 3, 64) if logits else RNG.uniform(0.02, 0.98, 64)
    xt = torch.tensor(x, requires_grad=True)
    _torch_focal(torch, torch.tensor(y), xt, gamma, logits).sum().backward()
    np.testing.assert_allclose(BFC_GRAD(y, x, gamma=gamma, from_logits=logits),
                               xt.grad.numpy(), rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("logits", [False, True], ids=["probabilities", "logits"])
@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_gradient_against_tf_gradient_tape(logits, gamma):
    from lossnotes._compare import _frameworks

    pytest.importorskip("tensorflow")
    tf = _frameworks.tensorflow()
    y = (RNG.random(64) < 0.5).astype(float)
    x = RNG.normal(0, 3, 64) if logits else RNG.uniform(0.02, 0.98, 64)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        total = tf.reduce_sum(_tf_focal(tf, tf.constant(y), xt, gamma, logits))
    np.testing.assert_allclose(BFC_GRAD(y, x, gamma=gamma, from_logits=logits),
                               tape.gradient(total, xt).numpy(), rtol=1e-11, atol=1e-14)


def test_gradient_by_hand_at_one_point():
    # y = 1, p = 0.5, gamma = 2: -(2 * 0.5 * log 2 + 0.25 / 0.5) = -(log 2 + 0.5)
    assert math.isclose(float(BFC_GRAD([1.0], [0.5])[0]), -(math.log(2) + 0.5), rel_tol=1e-15)
    # with class balancing, alpha = 0.25 scales it
    assert math.isclose(float(BFC_GRAD([1.0], [0.5], apply_class_balancing=True)[0]),
                        -0.25 * (math.log(2) + 0.5), rel_tol=1e-15)


def test_gradient_limits():
    g = BFC_GRAD([1.0, 1.0, 0.0, 0.25, 0.25], [0.0, 1.0, 0.0, 0.0, 1.0], gamma=0.5)
    np.testing.assert_array_equal(g, [-np.inf, 0.0, 0.0, -np.inf, np.inf])
    # gamma = 0: the cross-entropy's one-sided derivatives
    np.testing.assert_array_equal(BFC_GRAD([1.0, 0.0], [1.0, 0.0], gamma=0.0), [-1.0, 1.0])
    g = BFC_GRAD([1.0, 1.0, 0.0], [np.inf, -np.inf, np.inf], from_logits=True)
    np.testing.assert_array_equal(g, [0.0, -1.0, 1.0])


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kw, error, match", [
    ({"gamma": -1.0}, ValueError, r"gamma must be a finite number >= 0; found -1\.0"),
    ({"gamma": np.inf}, ValueError, "gamma must be a finite number >= 0; found inf"),
    ({"gamma": np.nan}, ValueError, "gamma must be"),
    ({"gamma": True}, TypeError, r"gamma must be .*found True \(bool\)"),
    ({"gamma": "2"}, TypeError, r"gamma must be .*found '2' \(str\)"),
    ({"alpha": 1.5}, ValueError, r"alpha must be a number in \[0, 1\]; found 1\.5"),
    ({"label_smoothing": -0.1}, ValueError, r"label_smoothing must be a number in \[0, 1\]"),
    ({"apply_class_balancing": "yes"}, TypeError, "apply_class_balancing must be True or False"),
    ({"from_logits": 1}, TypeError, "from_logits must be True or False"),
])
def test_bad_options(kw, error, match):
    for f in (BFC, BFC_GRAD, ln.like_keras.binary_focal_cross_entropy,
              ln.like_torch.binary_focal_cross_entropy_grad):
        with pytest.raises(error, match=match):
            f([1.0], [0.5], **kw)


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"y_pred must be probabilities in \[0, 1\]; found 1\.5"):
        BFC([1.0], [1.5])
    with pytest.raises(ValueError, match=r"y_true must be binary labels"):
        BFC_GRAD([2.0], [0.5])
    with pytest.raises(ValueError, match="expected equal shapes"):
        BFC([[1.0], [0.0]], [1.0, 0.0])
    with pytest.raises(ValueError, match="y_pred contains NaN"):
        BFC([1.0], [np.nan], from_logits=True)
    with pytest.raises(ValueError, match="reduction must be one of"):
        BFC([1.0], [0.5], reduction="batchmean")


def test_no_warning_escapes(recwarn):
    BFC([1.0, 0.0, 0.5], [0.0, 1.0, 0.0], gamma=0.5, reduction="none")
    BFC_GRAD([1.0, 0.0, 0.5], [0.0, 1.0, 1.0], gamma=0.5)
    BFC_GRAD([1.0, 0.0], [np.inf, -np.inf], from_logits=True, gamma=0.25)
    assert not recwarn.list


def test_result_does_not_depend_on_the_batch():
    y, p = RNG.random(30), RNG.uniform(0, 1, 30)
    whole = BFC_GRAD(y, p, gamma=0.7)
    alone = np.array([BFC_GRAD(y[i:i + 1], p[i:i + 1], gamma=0.7)[0] for i in range(30)])
    np.testing.assert_array_equal(whole, alone)


# ---------------------------------------------------------------------------------------------
# the traps, through compare
# ---------------------------------------------------------------------------------------------


def test_alpha_needs_class_balancing_in_keras_and_torchvision_applies_it_by_default():
    y, p = [1.0, 0.0], [0.7, 0.4]
    plain = BFC(y, p, alpha=0.9, reduction="none")
    np.testing.assert_array_equal(plain, BFC(y, p, reduction="none"))  # alpha ignored
    balanced = BFC(y, p, alpha=0.9, apply_class_balancing=True, reduction="none")
    np.testing.assert_allclose(balanced, plain * [0.9, 0.1], rtol=1e-15)
    r = ln.compare("binary_focal_cross_entropy", y, p, alpha=0.9)
    assert r.status == {"keras": "agree", "torch": "agree"}
    torch_note = [n.text for n in r.notes if n.frameworks == ("torch",)]
    assert any("alpha=-1" in t and "torchvision's default alpha=0.25" in t for t in torch_note)


def test_compare_shows_keras_clip_and_torch_clamp():
    r = ln.compare("binary_focal_cross_entropy", np.float32([1.0, 0.0]), np.float32([0.0, 1.0]))
    assert r.reduced["lossnotes"] == np.inf
    assert r.status == {"keras": "explained", "torch": "explained"}
    # (1 - p_t)^gamma = 1 at a certain wrong prediction: -log(1e-7) and 100, as for BCE
    np.testing.assert_allclose(r.elementwise["keras"], [16.118095, 15.942385], rtol=1e-6)
    np.testing.assert_array_equal(r.elementwise["torch"], [100.0, 100.0])
    assert any("largest gap here is inf" in n.text for n in r.notes)


# ---------------------------------------------------------------------------------------------
# categorical focal cross-entropy
# ---------------------------------------------------------------------------------------------

CFC, CFC_GRAD = ln.categorical_focal_cross_entropy, ln.categorical_focal_cross_entropy_grad


def _hand_rows(y, p, alpha=0.25, gamma=2.0):
    """-alpha sum_k y_k (1 - p_k)^gamma log p_k per row, in Python floats."""
    return [-alpha * sum(a * (1 - b) ** gamma * math.log(b) for a, b in zip(r, q, strict=True)
                         if a) for r, q in zip(y, p, strict=True)]


def test_categorical_values_against_the_definition():
    y = [[0.0, 1.0, 0.0], [0.2, 0.3, 0.5], [1.0, 0.0, 0.0]]
    p = [[0.1, 0.8, 0.1], [0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]
    for alpha, gamma in ((0.25, 2.0), (1.0, 0.5), (0.6, 0.0)):
        np.testing.assert_allclose(CFC(y, p, alpha=alpha, gamma=gamma, reduction="none"),
                                   _hand_rows(y, p, alpha, gamma), rtol=1e-14)


def test_categorical_keras_docstring_example():
    # keras.losses.categorical_focal_crossentropy's example: [2.63401289e-04, 6.75912094e-01]
    # in float32 (Keras clips to [1e-7, 1 - 1e-7], which moves nothing here).
    y = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    p = [[0.05, 0.9, 0.05], [0.1, 0.85, 0.05]]
    np.testing.assert_allclose(CFC(y, p, reduction="none"), [2.63401289e-04, 6.75912094e-01],
                               rtol=1e-6)


def test_categorical_gamma_zero_is_alpha_times_cross_entropy():
    z = RNG.normal(0, 3, (20, 5))
    y = RNG.random((20, 5))
    y /= y.sum(axis=1, keepdims=True)
    for grad in (False, True):
        kw = {} if grad else {"reduction": "none"}
        f = CFC_GRAD if grad else CFC
        g = ln.categorical_cross_entropy_grad if grad else ln.categorical_cross_entropy
        np.testing.assert_allclose(f(y, z, gamma=0.0, alpha=0.4, from_logits=True, **kw),
                                   0.4 * g(y, z, from_logits=True, **kw), rtol=1e-12,
                                   atol=1e-15)


def test_categorical_two_classes_is_the_binary_focal_loss():
    # softmax([0, z]) = sigmoid(z): the categorical loss on logits [0, z] with one-hot rows is
    # alpha times the binary loss on the logit z.
    z, y = RNG.normal(0, 4, 30), (RNG.random(30) < 0.5).astype(float)
    rows, onehot = np.stack([np.zeros(30), z], 1), np.stack([1 - y, y], 1)
    np.testing.assert_allclose(CFC(onehot, rows, from_logits=True, alpha=1.0, reduction="none"),
                               BFC(y, z, from_logits=True, reduction="none"), rtol=1e-13)
    np.testing.assert_allclose(CFC_GRAD(onehot, rows, from_logits=True, alpha=1.0)[:, 1],
                               BFC_GRAD(y, z, from_logits=True), rtol=1e-12, atol=1e-16)


def test_categorical_axis_and_limits():
    y = np.array([[0.0, 1.0], [1.0, 0.0]])
    p = np.array([[0.3, 0.9], [0.7, 0.1]])
    np.testing.assert_allclose(CFC(y, p, axis=0, reduction="none"),
                               CFC(y.T, p.T, reduction="none"), rtol=1e-15)
    np.testing.assert_allclose(CFC_GRAD(y, p, axis=0), CFC_GRAD(y.T, p.T).T, rtol=1e-15)
    loss = CFC([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], [[0.5, 0.0, 0.5], [1.0, 0.0, 0.0]],
               reduction="none")
    np.testing.assert_array_equal(loss, [np.inf, 0.0])
    z = [[np.inf, 0.0, 0.0], [0.0, -np.inf, 0.0]]
    loss = CFC([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], z, from_logits=True, reduction="none")
    np.testing.assert_array_equal(loss, [0.0, np.inf])
    g = CFC_GRAD([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], [[1.0, 0.0, 0.0], [0.5, 0.0, 0.5]],
                 gamma=0.5)
    np.testing.assert_array_equal(g, [[0.0, 0.0, 0.0], [0.0, -np.inf, 0.0]])


def test_categorical_confident_logits_keep_their_precision():
    # z = [40, 0]: 1 - softmax rounds to 0 in float64; -expm1(log p) keeps e^-40.
    exact = acc.reference("categorical_focal_cross_entropy", [[1.0, 0.0]], [[40.0, 0.0]],
                          from_logits=True)
    got = CFC([[1.0, 0.0]], [[40.0, 0.0]], from_logits=True, reduction="none")
    assert acc.ulp_error(got, exact).max() <= 2
    literal = ln.like_torch.categorical_focal_cross_entropy([[1.0, 0.0]], [[40.0, 0.0]],
                                                            from_logits=True, reduction="none")
    assert literal[0] == 0 and got[0] > 0


def _torch_categorical(torch, y, x, alpha, gamma, logits):
    log_p = torch.log_softmax(x, dim=1) if logits else torch.log(x)
    return -(alpha * (-torch.expm1(log_p)) ** gamma * y * log_p).sum(dim=1)


@pytest.mark.parametrize("logits", [False, True], ids=["probabilities", "logits"])
@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_categorical_gradient_against_torch_autograd(logits, gamma):
    torch = pytest.importorskip("torch")
    y = np.eye(4)[RNG.integers(0, 4, 16)]
    y[:4] = RNG.dirichlet(np.ones(4), 4)  # soft rows too
    x = RNG.normal(0, 2, (16, 4))
    if not logits:
        x = ln.softmax(x)
    xt = torch.tensor(x, requires_grad=True)
    _torch_categorical(torch, torch.tensor(y), xt, 0.3, gamma, logits).sum().backward()
    np.testing.assert_allclose(CFC_GRAD(y, x, alpha=0.3, gamma=gamma, from_logits=logits),
                               xt.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("logits", [False, True], ids=["probabilities", "logits"])
def test_categorical_gradient_against_tf_gradient_tape(logits):
    from lossnotes._compare import _frameworks

    pytest.importorskip("tensorflow")
    tf = _frameworks.tensorflow()
    y = np.eye(4)[RNG.integers(0, 4, 16)]
    x = RNG.normal(0, 2, (16, 4))
    if not logits:
        x = ln.softmax(x)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        log_p = tf.nn.log_softmax(xt, axis=1) if logits else tf.math.log(xt)
        total = -tf.reduce_sum(0.3 * tf.pow(-tf.math.expm1(log_p), 1.5) * y * log_p)
    np.testing.assert_allclose(CFC_GRAD(y, x, alpha=0.3, gamma=1.5, from_logits=logits),
                               tape.gradient(total, xt).numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("kw, error, match", [
    ({"gamma": -0.5}, ValueError, "gamma must be a finite number >= 0"),
    ({"alpha": 2}, ValueError, r"alpha must be a number in \[0, 1\]; found 2"),
    ({"alpha": None}, TypeError, r"alpha must be .*found None"),
    ({"label_smoothing": 1.5}, ValueError, "label_smoothing must be"),
    ({"axis": 1.0}, TypeError, "axis must be an integer"),
    ({"from_logits": "True"}, TypeError, "from_logits must be True or False"),
])
def test_categorical_bad_options(kw, error, match):
    for f in (CFC, CFC_GRAD, ln.like_keras.categorical_focal_cross_entropy,
              ln.like_torch.categorical_focal_cross_entropy_grad):
        with pytest.raises(error, match=match):
            f([[0.0, 1.0]], [[0.5, 0.5]], **kw)


def test_categorical_bad_inputs():
    with pytest.raises(ValueError, match="y_pred must sum to 1 along axis 1"):
        CFC([[0.0, 1.0, 0.0]], [[0.2, 0.2, 0.2]])
    # Keras renormalises such a row: like_keras takes it
    assert np.isfinite(ln.like_keras.categorical_focal_cross_entropy([[0.0, 1.0, 0.0]],
                                                                     [[0.2, 0.2, 0.2]]))
    with pytest.raises(ValueError, match="row of only -inf"):
        CFC_GRAD([[0.0, 1.0]], [[-np.inf, -np.inf]], from_logits=True)
    with pytest.raises(ValueError, match="expected equal shapes"):
        CFC([[0.0, 1.0]], [[0.5, 0.5], [0.5, 0.5]])


def test_categorical_alpha_trap_through_compare():
    y, p = [[0.0, 1.0, 0.0]], [[0.1, 0.6, 0.3]]
    r = ln.compare("categorical_focal_cross_entropy", y, p)
    assert r.status == {"keras": "agree", "torch": "agree"}
    # alpha = 0.25 scales every term: a quarter of the unweighted focal loss
    np.testing.assert_allclose(r.reduced["keras"], 0.25 * 0.16 * -math.log(0.6), rtol=1e-6)
    assert any("one weight on every term" in n.text for n in r.notes)
    r = ln.compare("categorical_focal_cross_entropy", np.float32([[0.0, 1.0, 0.0]]),
                   np.float32([[0.5, 0.0, 0.5]]))
    assert r.status == {"keras": "explained", "torch": "agree"}
    np.testing.assert_allclose(r.reduced["keras"], -0.25 * (1 - 1e-7) ** 2 * math.log(1e-7),
                               rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_focal_values_do_not_depend_on_the_rest_of_the_batch(dtype):
    # With the edge values (infinite logits, probabilities 0 and 1) joined to the batch, the
    # other elements keep every bit, in every dtype.
    y = (RNG.random(40) < 0.5).astype(dtype)
    z = RNG.normal(0, 4, 40).astype(dtype)
    edge_y, edge_z = np.array([1, 0, 1, 0], dtype), np.array([np.inf, np.inf, -np.inf, 0], dtype)
    for f, kw in ((BFC, {"reduction": "none"}), (BFC_GRAD, {})):
        alone = f(y, z, from_logits=True, gamma=0.5, **kw)
        joined = f(np.append(y, edge_y), np.append(z, edge_z), from_logits=True, gamma=0.5, **kw)
        assert joined.dtype == dtype
        np.testing.assert_array_equal(joined[:40], alone)
    rows = RNG.normal(0, 3, (10, 4)).astype(dtype)
    onehot = np.eye(4, dtype=dtype)[RNG.integers(0, 4, 10)]
    edge = np.array([[np.inf, 0, 0, 0]], dtype)
    for f, kw in ((CFC, {"reduction": "none"}), (CFC_GRAD, {})):
        alone = f(onehot, rows, from_logits=True, **kw)
        joined = f(np.vstack([onehot, onehot[:1]]), np.vstack([rows, edge]), from_logits=True,
                   **kw)
        np.testing.assert_array_equal(joined[:10], alone)


def test_categorical_label_smoothing_is_keras_s_rule():
    y, p = np.array([[0.0, 1.0, 0.0]]), np.array([[0.2, 0.5, 0.3]])
    s = 0.3
    np.testing.assert_allclose(CFC(y, p, label_smoothing=s, reduction="none"),
                               CFC(y * (1 - s) + s / 3, p, reduction="none"), rtol=1e-15)


# ---------------------------------------------------------------------------------------------
# segmentation overlaps: dice and tversky
# ---------------------------------------------------------------------------------------------


def _hand_tversky(y, p, alpha, beta):
    """1 - I / (I + alpha sum((1 - p) y) + beta sum(p (1 - y))), in Python floats."""
    i = sum(a * b for a, b in zip(y, p, strict=True))
    m = sum(a * (1 - b) for a, b in zip(y, p, strict=True))
    e = sum((1 - a) * b for a, b in zip(y, p, strict=True))
    return 1 - i / (i + alpha * m + beta * e)


def test_dice_and_tversky_against_the_definitions():
    y = [[1.0, 1.0, 0.0, 0.0], [0.2, 0.7, 1.0, 0.0]]
    p = [[0.9, 0.6, 0.2, 0.0], [0.5, 0.5, 0.3, 0.9]]
    dice_hand = [1 - 2 * sum(a * b for a, b in zip(r, q, strict=True)) / (sum(r) + sum(q))
                 for r, q in zip(y, p, strict=True)]
    np.testing.assert_allclose(ln.dice(y, p, reduction="none"), dice_hand, rtol=1e-14)
    for alpha, beta in ((0.5, 0.5), (0.7, 0.3), (1.0, 1.0), (0.0, 2.0)):
        want = [_hand_tversky(r, q, alpha, beta) for r, q in zip(y, p, strict=True)]
        np.testing.assert_allclose(ln.tversky(y, p, alpha=alpha, beta=beta, reduction="none"),
                                   want, rtol=1e-14)
    # alpha = beta = 1/2 is Dice; alpha = beta = 1 is one minus the soft Jaccard index
    np.testing.assert_allclose(ln.tversky(y, p, reduction="none"),
                               ln.dice(y, p, reduction="none"), rtol=1e-15)
    jaccard = 1 - 1.5 / (1.5 + 0.5 + 0.2)  # I = 1.5, M = 0.5, E = 0.2
    assert math.isclose(ln.tversky([y[0]], [p[0]], alpha=1.0, beta=1.0), jaccard, rel_tol=1e-15)


def test_overlap_axis_reduction_and_keras_s_batch_trap():
    y = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    p = np.array([[0.7, 0.1], [0.4, 0.8], [0.2, 0.3]])
    np.testing.assert_allclose(ln.dice(y, p, axis=0, reduction="none"),
                               ln.dice(y.T, p.T, reduction="none"), rtol=1e-15)
    np.testing.assert_allclose(ln.tversky_grad(y, p, axis=0, alpha=0.7, beta=0.3),
                               ln.tversky_grad(y.T, p.T, alpha=0.7, beta=0.3).T, rtol=1e-15)
    # Keras's axis=None: one Dice over the whole batch, not the mean of the per-row ones
    whole = ln.dice(y.ravel(), p.ravel(), reduction="none")
    per_row = ln.dice(y, p, reduction="mean")
    assert abs(whole - per_row) > 0.01


def test_overlap_small_losses_do_not_cancel():
    # a near-perfect prediction: (M + E) / (2I + M + E) keeps the 1e-12 that 1 - 2I/S rounds
    y, p = np.array([1.0, 1.0, 0.0]), np.array([1.0, 1.0, 1e-12])
    exact = acc.reference("dice", y, p)
    assert acc.ulp_error(ln.dice(y, p, reduction="none"), exact).max() <= 2
    literal = ln.like_torch.dice(y, p, reduction="none")
    assert acc.ulp_error(literal, exact).max() > 1e3


@pytest.mark.parametrize("name", ["dice", "tversky"])
def test_overlap_gradient_against_torch_autograd(name):
    torch = pytest.importorskip("torch")
    y = (RNG.random((6, 8)) < 0.5).astype(float)
    y[:, 0] = 1.0
    p = RNG.uniform(0, 1, (6, 8))
    pt = torch.tensor(p, requires_grad=True)
    yt = torch.tensor(y)
    inter = (yt * pt).sum(1)
    if name == "dice":
        loss = 1 - 2 * inter / (yt.sum(1) + pt.sum(1))
        ours = ln.dice_grad(y, p)
    else:
        loss = 1 - inter / (inter + 0.7 * ((1 - pt) * yt).sum(1) + 0.3 * (pt * (1 - yt)).sum(1))
        ours = ln.tversky_grad(y, p, alpha=0.7, beta=0.3)
    loss.sum().backward()
    np.testing.assert_allclose(ours, pt.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_overlap_gradient_against_tf_gradient_tape():
    from lossnotes._compare import _frameworks

    pytest.importorskip("tensorflow")
    tf = _frameworks.tensorflow()
    y = (RNG.random((6, 8)) < 0.5).astype(float)
    y[:, 0] = 1.0
    p = RNG.uniform(0, 1, (6, 8))
    pt = tf.constant(p)
    with tf.GradientTape() as tape:
        tape.watch(pt)
        inter = tf.reduce_sum(y * pt, axis=1)
        loss = 1 - inter / (inter + 0.2 * tf.reduce_sum((1 - pt) * y, axis=1)
                            + 0.8 * tf.reduce_sum(pt * (1 - y), axis=1))
        total = tf.reduce_sum(loss)
    np.testing.assert_allclose(ln.tversky_grad(y, p, alpha=0.2, beta=0.8),
                               tape.gradient(total, pt).numpy(), rtol=1e-12, atol=1e-15)


def test_overlap_errors():
    with pytest.raises(ValueError, match=r"a row along axis 0 \(the only row\) .* 0 / 0"):
        ln.dice([0.0, 0.0], [0.0, 0.0])
    with pytest.raises(ValueError, match=r"a row along axis 1 at index \(1,\)"):
        ln.tversky_grad([[1.0, 0.0], [0.0, 0.0]], [[0.5, 0.5], [0.0, 0.0]])
    with pytest.raises(ValueError, match=r"y_pred must be probabilities in \[0, 1\]"):
        ln.dice([[1.0, 0.0]], [[1.5, 0.0]])
    with pytest.raises(ValueError, match=r"beta must be a finite number >= 0; found -1"):
        ln.tversky([[1.0, 0.0]], [[0.5, 0.5]], beta=-1)
    with pytest.raises(TypeError, match=r"alpha must be .*found True \(bool\)"):
        ln.tversky_grad([[1.0, 0.0]], [[0.5, 0.5]], alpha=True)
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        ln.dice([[1.0, 0.0]], [[0.5, 0.5]], axis=2)
    # Keras's epsilon takes the empty row; the plain torch formula gives nan
    assert ln.like_keras.dice([0.0, 0.0], [0.0, 0.0]) == 1.0
    assert np.isnan(ln.like_torch.tversky([0.0, 0.0], [0.0, 0.0]))


def test_compare_leaves_out_a_keras_that_lacks_the_loss(monkeypatch):
    from lossnotes._compare import _frameworks

    monkeypatch.setattr(_frameworks, "keras_before", lambda version: version == (3, 3, 0))
    monkeypatch.setattr(_frameworks, "keras_version", lambda: "3.2.1")
    r = ln.compare("tversky", [[1.0, 0.0]], [[0.5, 0.5]])
    assert r.status == {"torch": "agree"}
    assert any("tversky is not in Keras 3.2.1; it was added in Keras 3.3.0" in n.text
               for n in r.notes)
    assert ln.compare("dice", [[1.0, 0.0]], [[0.5, 0.5]]).status["keras"] == "explained"


# ---------------------------------------------------------------------------------------------
# generalized cross-entropy
# ---------------------------------------------------------------------------------------------

GCE, GCE_GRAD = (ln.categorical_generalized_cross_entropy,
                 ln.categorical_generalized_cross_entropy_grad)


def test_gce_against_the_definition_and_its_limits():
    labels, p = [1, 0, 2], [[0.2, 0.7, 0.1], [0.5, 0.25, 0.25], [0.0, 0.0, 1.0]]
    for q in (0.1, 0.5, 0.7, 1.0):
        want = [(1 - row[c] ** q) / q for c, row in zip(labels, p, strict=True)]
        np.testing.assert_allclose(GCE(labels, p, q=q, reduction="none"), want, rtol=1e-14)
    # q = 1: 1 - p_c; q -> 0: -log p_c (cross-entropy), within O(q log^2 p)
    np.testing.assert_allclose(GCE([1], [[0.3, 0.7]], q=1.0), 0.3, rtol=1e-15)
    assert math.isclose(float(GCE([1], [[0.3, 0.7]], q=1e-9)), -math.log(0.7), rel_tol=1e-8)
    # bounded by 1/q: a true class with probability 0
    assert float(GCE([0], [[0.0, 1.0]], q=0.25)) == 4.0


def test_gce_keeps_a_small_loss():
    p = [[1 - 1e-12, 1e-12]]
    exact = acc.reference("categorical_generalized_cross_entropy", [0], p, q=0.5)
    assert acc.ulp_error(GCE([0], p, q=0.5, reduction="none"), exact).max() <= 1
    literal = (1 - (1 - 1e-12) ** 0.5) / 0.5
    assert acc.ulp_error(np.array([literal]), exact).max() > 1e3


@pytest.mark.parametrize("q", [0.1, 0.5, 1.0])
def test_gce_gradient_against_both_autograds(q):
    torch = pytest.importorskip("torch")
    from lossnotes._compare import _frameworks

    labels = RNG.integers(0, 5, 12)
    p = ln.softmax(RNG.normal(0, 2, (12, 5)))
    pt = torch.tensor(p, requires_grad=True)
    ((1 - pt.gather(1, torch.tensor(labels)[:, None]).squeeze(1) ** q) / q).sum().backward()
    np.testing.assert_allclose(GCE_GRAD(labels, p, q=q), pt.grad.numpy(), rtol=1e-12,
                               atol=1e-15)
    tf = _frameworks.tensorflow()
    x = tf.constant(p)
    with tf.GradientTape() as tape:
        tape.watch(x)
        pc = tf.reduce_sum(x * np.eye(5)[labels], axis=1)
        total = tf.reduce_sum((1 - tf.pow(pc, q)) / q)
    np.testing.assert_allclose(GCE_GRAD(labels, p, q=q), tape.gradient(total, x).numpy(),
                               rtol=1e-12, atol=1e-15)


def test_gce_gradient_limits_and_errors():
    np.testing.assert_array_equal(GCE_GRAD([1, 1], [[1.0, 0.0], [0.5, 0.5]], q=0.5)[0],
                                  [0.0, -np.inf])
    np.testing.assert_array_equal(GCE_GRAD([1], [[1.0, 0.0]], q=1.0), [[0.0, -1.0]])
    assert np.isnan(ln.like_keras.categorical_generalized_cross_entropy_grad(
        [1], [[1.0, 0.0]], q=0.5)[0, 0])  # Keras's one-hot product: 0 * -inf
    with pytest.raises(ValueError, match=r"q must be a number in \(0, 1\]; found 0 "):
        GCE([1], [[0.5, 0.5]], q=0)
    with pytest.raises(ValueError, match=r"q must be a number in \(0, 1\]; found 1.5"):
        GCE_GRAD([1], [[0.5, 0.5]], q=1.5)
    with pytest.raises(TypeError, match=r"q must be .*found True \(bool\)"):
        GCE([1], [[0.5, 0.5]], q=True)
    with pytest.raises(ValueError, match=r"labels must be class indices in \[0, 1\]"):
        GCE([2], [[0.5, 0.5]])
    with pytest.raises(ValueError, match="y_pred must sum to 1 along axis 1"):
        GCE([1], [[0.2, 0.2, 0.2]])
    # Keras takes such a row as it is
    assert math.isclose(float(ln.like_keras.categorical_generalized_cross_entropy(
        [1], [[0.2, 0.2, 0.2]], q=1.0)), 0.8, rel_tol=1e-15)
