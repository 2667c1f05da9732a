"""Multiclass margins, similarity and metric learning: values, gradients, errors and traps.

Expected values come from hand computations written out in the comments, from the 50-digit
mpmath references of ``lossnotes._reference`` (an independent implementation of each formula,
row by row), or from tf.keras and torch.nn.functional run on the spot. The registry's
parametrized tests (test_registry.py, test_accuracy.py, test_compare.py, test_core_hostile.py)
cover the records, grids, ulp bounds and edge cases; this file holds what is particular to
each loss.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import lossnotes as ln
from lossnotes import _reference
from lossnotes._compare import _frameworks

inf = np.inf
RNG = np.random.default_rng(20261129)


def keras():
    return _frameworks.keras()


def tf():
    return _frameworks.tensorflow()


def torch_f():
    return _frameworks.torch()


def as_float(ref) -> np.ndarray:
    return np.asarray(ref, dtype=np.float64)


def scores(rows=6, classes=4, spread=2.0):
    """Seeded scores, with the true class and its rivals apart by more than 1e-3 from every
    kink: margins z_y - z_j not within 1e-3 of 1 (or of ``margin``), no ties."""
    z = RNG.normal(0, spread, (rows, classes))
    labels = RNG.integers(0, classes, rows)
    return labels, z


# --------------------------------------------------------------------------------------------
# categorical_hinge (Crammer-Singer) and multi_margin_loss (Weston-Watkins)
# --------------------------------------------------------------------------------------------

# One input for both: true class 0 with scores [2, 1.5, 1.8]. Its margins are 0.5 and 0.2.
Z1 = np.array([[2.0, 1.5, 1.8]])


def test_two_losses_under_similar_names_on_one_input():
    # Crammer-Singer: the closest rival only, 1 - 0.2 = 0.8.
    assert ln.categorical_hinge([[1, 0, 0]], Z1) == pytest.approx(0.8, rel=1e-15)
    # Weston-Watkins: every rival, (1 - 0.5) + (1 - 0.2) = 1.3, divided by C = 3.
    assert ln.multi_margin_loss([0], Z1) == pytest.approx(1.3 / 3, rel=1e-15)
    # p = 2: (0.25 + 0.64) / 3.
    assert ln.multi_margin_loss([0], Z1, p=2) == pytest.approx(0.89 / 3, rel=1e-15)
    # And the frameworks say the same: Keras's categorical_hinge and torch's multi_margin_loss
    # are two different numbers on the same scores.
    torch, F = torch_f()
    k = float(keras().losses.categorical_hinge(np.array([[1.0, 0, 0]]), Z1)[0])
    t = float(F.multi_margin_loss(torch.tensor(Z1), torch.tensor([0])))
    assert k == pytest.approx(0.8, rel=1e-15) and t == pytest.approx(1.3 / 3, rel=1e-15)


def test_more_classes_lower_weston_watkins_but_not_crammer_singer():
    # Adding a far-behind class adds no term but divides by 4 instead of 3.
    z4 = np.array([[2.0, 1.5, 1.8, -50.0]])
    assert ln.multi_margin_loss([0], z4) == pytest.approx(1.3 / 4, rel=1e-15)
    assert ln.categorical_hinge([[1, 0, 0, 0]], z4) == pytest.approx(0.8, rel=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_values_against_mpmath(dtype):
    labels, z = scores(8, 5)
    z = z.astype(dtype)
    y = np.eye(5)[labels]
    rtol = 1e-14 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(ln.categorical_hinge(y, z, reduction="none"),
                               as_float(_reference.ref_categorical_hinge(y, z)), rtol=rtol)
    w = RNG.uniform(0.1, 3, 5)
    for opts in ({}, {"p": 2}, {"margin": 0.3}, {"p": 2, "weight": w}):
        np.testing.assert_allclose(
            ln.multi_margin_loss(labels, z, reduction="none", **opts),
            as_float(_reference.ref_multi_margin_loss(labels, z, **opts)), rtol=rtol,
            err_msg=str(opts))
        np.testing.assert_allclose(
            ln.multi_margin_loss_grad(labels, z, **opts),
            as_float(_reference.ref_multi_margin_loss_grad(labels, z, **opts)), rtol=rtol,
            atol=1e-300, err_msg=str(opts))


def test_reductions_and_the_class_axis():
    labels, z = scores(5, 3)
    y = np.eye(3)[labels]
    per = ln.categorical_hinge(y, z, reduction="none")
    assert per.shape == (5,)
    assert ln.categorical_hinge(y, z, reduction="sum") == pytest.approx(per.sum(), rel=1e-15)
    assert ln.categorical_hinge(y, z) == pytest.approx(per.mean(), rel=1e-15)
    # Classes on axis 0: the same numbers.
    np.testing.assert_array_equal(ln.categorical_hinge(y.T, z.T, axis=0, reduction="none"), per)
    np.testing.assert_array_equal(ln.multi_margin_loss(labels, z.T, axis=0, reduction="none"),
                                  ln.multi_margin_loss(labels, z, reduction="none"))
    np.testing.assert_array_equal(ln.multi_margin_loss_grad(labels, z.T, axis=0),
                                  ln.multi_margin_loss_grad(labels, z).T)
    np.testing.assert_array_equal(ln.categorical_hinge_grad(y.T, z.T, axis=0),
                                  ln.categorical_hinge_grad(y, z).T)


def test_a_row_does_not_depend_on_the_rest_of_the_batch():
    labels, z = scores(7, 4)
    y = np.eye(4)[labels]
    for k in range(7):
        assert ln.categorical_hinge(y[k:k + 1], z[k:k + 1], reduction="none")[0] == \
            ln.categorical_hinge(y, z, reduction="none")[k]
        for p in (1, 2):
            assert ln.multi_margin_loss(labels[k:k + 1], z[k:k + 1], p=p,
                                        reduction="none")[0] == \
                ln.multi_margin_loss(labels, z, p=p, reduction="none")[k]


def test_keras_compares_with_zero_when_every_rival_is_negative():
    # Scores [-3, -2, -1], true class 2: the best rival is -2, margin 1, loss 0. Keras's
    # max((1 - y) z) sees the true class's 0 * (-1) = 0 and charges max(0, 0 - (-1) + 1) = 2.
    y, z = np.array([[0.0, 0, 1]]), np.array([[-3.0, -2.0, -1.0]])
    assert ln.categorical_hinge(y, z) == 0.0
    assert float(keras().losses.categorical_hinge(y, z)[0]) == 2.0
    assert ln.like_keras.categorical_hinge(y, z) == 2.0
    r = ln.compare("categorical_hinge", y, z)
    assert r.status == {"keras": "explained", "torch": "absent"} and r.ok
    assert any("0 * z_y = 0" in n.text for n in r.notes)


def test_categorical_hinge_gradient_against_both_autograds():
    """Away from the kinks and with a positive best rival, where Keras computes the
    mathematics; torch through the one-line formula that the compare note gives."""
    labels, z = scores(8, 4)
    z[np.arange(8), (labels + 1) % 4] = np.abs(z[np.arange(8), (labels + 1) % 4]) + 0.1
    y = np.eye(4)[labels]
    ours = ln.categorical_hinge_grad(y, z)

    t_ = tf()
    zt = t_.constant(z)
    with t_.GradientTape() as tape:
        tape.watch(zt)
        total = t_.reduce_sum(keras().losses.categorical_hinge(y, zt))
    np.testing.assert_allclose(tape.gradient(total, zt).numpy(), ours, rtol=1e-15)

    torch, F = torch_f()
    zt = torch.tensor(z, requires_grad=True)
    c = torch.tensor(labels)
    loss = (1 - zt.gather(1, c[:, None])[:, 0] + zt.masked_fill(
        F.one_hot(c, 4).bool(), -float("inf")).amax(1)).clamp(min=0)
    np.testing.assert_allclose(loss.detach().numpy(), ln.categorical_hinge(y, z, reduction="none"),
                               rtol=1e-15)
    loss.sum().backward()
    np.testing.assert_allclose(zt.grad.numpy(), ours, rtol=1e-15)


def test_categorical_hinge_subgradients_at_kink_and_tie():
    # Margin exactly 1: loss 0, lossnotes' subgradient 0; Keras's maximum(e, 0) passes the tie
    # to e: -1 and +1.
    y, z = np.array([[1.0, 0, 0]]), np.array([[3.0, 2.0, 0.5]])
    np.testing.assert_array_equal(ln.categorical_hinge_grad(y, z), [[0.0, 0.0, 0.0]])
    r = ln.compare_grad("categorical_hinge", y, z)
    np.testing.assert_array_equal(r.elementwise["keras"], [[-1.0, 1.0, 0.0]])
    assert r.status["keras"] == "explained"
    # Two rivals tie: the derivative of the maximum is shared, as tf.reduce_max shares it.
    np.testing.assert_array_equal(ln.categorical_hinge_grad(y, [[0.0, 0.5, 0.5]]),
                                  [[-1.0, 0.5, 0.5]])


@pytest.mark.parametrize("opts", [{}, {"p": 2}, {"margin": 0.5}, {"p": 2, "margin": 2.0},
                                  {"weight": [0.5, 2.0, 1.0, 3.0]}])
def test_multi_margin_loss_against_both_autograds(opts):
    """torch.autograd of F.multi_margin_loss, and tf.GradientTape of the keras.ops formula that
    the compare note gives for Keras, against the hand-derived gradient."""
    labels, z = scores(8, 4)
    ours_loss = ln.multi_margin_loss(labels, z, reduction="none", **opts)
    ours = ln.multi_margin_loss_grad(labels, z, **opts)
    p, margin = opts.get("p", 1), opts.get("margin", 1.0)
    weight = opts.get("weight")

    torch, F = torch_f()
    zt = torch.tensor(z, requires_grad=True)
    w = None if weight is None else torch.tensor(weight, dtype=torch.float64)
    loss = F.multi_margin_loss(zt, torch.tensor(labels), p=p, margin=margin, weight=w,
                               reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), ours_loss, rtol=1e-14)
    loss.sum().backward()
    np.testing.assert_allclose(zt.grad.numpy(), ours, rtol=1e-14, atol=1e-16)

    ops, t_ = keras().ops, tf()
    y = np.eye(4)[labels]
    zk = t_.constant(z)
    with t_.GradientTape() as tape:
        tape.watch(zk)
        lk = ops.sum((1 - y) * ops.relu(margin - ops.sum(y * zk, -1, keepdims=True) + zk) ** p,
                     -1) / 4
        if weight is not None:
            lk = lk * np.asarray(weight)[labels]
        total = ops.sum(lk)
    np.testing.assert_allclose(np.asarray(lk), ours_loss, rtol=1e-14)
    np.testing.assert_allclose(tape.gradient(total, zk).numpy(), ours, rtol=1e-14, atol=1e-16)


def test_torch_weights_after_the_power():
    # torch's documentation writes max(0, w_y (margin - z_y + z_j))^p; its kernel computes
    # w_y max(0, margin - z_y + z_j)^p. Class 0 with weight 2, scores [0.5, 1, -1], p = 2:
    # the rivals' terms are (1 - (0.5 - 1))^2 = 2.25 and (1 - 1.5)^+ = 0.
    torch, F = torch_f()
    z, w = np.array([[0.5, 1.0, -1.0]]), [2.0, 1.0, 0.5]
    after, inside = 2 * 2.25 / 3, (2 * 1.5) ** 2 / 3
    measured = float(F.multi_margin_loss(torch.tensor(z), torch.tensor([0]), p=2,
                                         weight=torch.tensor(w, dtype=torch.float64)))
    assert measured == pytest.approx(after, rel=1e-15) and after != inside
    assert ln.multi_margin_loss([0], z, p=2, weight=w) == pytest.approx(after, rel=1e-15)


def test_multi_margin_kink_and_infinities():
    # Rivals exactly at the margin cost 0 and pass the subgradient 0 (torch tests d > 0).
    np.testing.assert_array_equal(ln.multi_margin_loss([0], [[2.0, 1.0, 0.0]],
                                                       reduction="none"), [0.0])
    np.testing.assert_array_equal(ln.multi_margin_loss_grad([0], [[2.0, 1.0, 0.0]]),
                                  [[0.0, 0.0, 0.0]])
    # An infinite true score costs 0; an infinite rival inf (p=1: derivative 1/C, -1/C).
    assert ln.multi_margin_loss([0], [[inf, 1.0, 0.0]]) == 0.0
    assert ln.multi_margin_loss([1], [[inf, 1.0, 0.0]]) == inf
    np.testing.assert_allclose(ln.multi_margin_loss_grad([1], [[inf, 1.0, -5.0]]),
                               [[1 / 3, -1 / 3, 0.0]], rtol=1e-15)
    # A weight of 0 ignores the sample even against an infinite rival; torch gives nan.
    torch, F = torch_f()
    z, w = np.array([[0.0, inf, 1.0]]), [0.0, 1.0, 1.0]
    assert ln.multi_margin_loss([0], z, weight=w) == 0.0
    assert np.isnan(float(F.multi_margin_loss(torch.tensor(z), torch.tensor([0]),
                                              weight=torch.tensor(w, dtype=torch.float64))))
    assert np.isnan(ln.like_torch.multi_margin_loss([0], z, weight=w))
    # The true class and a rival at the same infinity: lossnotes refuses, torch says 0.
    with pytest.raises(ValueError, match=r"y_pred holds the same infinity at the true class "
                                         r"and at another class at index \(0,\)"):
        ln.multi_margin_loss([0], [[inf, inf, 1.0]])
    assert float(F.multi_margin_loss(torch.tensor([[inf, inf, 1.0]]), torch.tensor([0]))) == 0.0
    assert ln.like_torch.multi_margin_loss([0], [[inf, inf, 1.0]]) == 0.0


def test_categorical_hinge_infinities():
    # The true class at +inf: margin inf, loss 0; a rival at +inf: loss inf, derivative -1/+1.
    assert ln.categorical_hinge([[1, 0, 0]], [[inf, 0.0, 1.0]]) == 0.0
    assert ln.categorical_hinge([[0, 1, 0]], [[0.0, 1.0, inf]]) == inf
    np.testing.assert_array_equal(ln.categorical_hinge_grad([[0, 1, 0]], [[0.0, 1.0, inf]]),
                                  [[0.0, -1.0, 1.0]])
    # Keras gives nan for both (0 * inf).
    k = keras().losses.categorical_hinge(np.array([[1.0, 0, 0], [0, 1, 0]]),
                                         np.array([[inf, 0.0, 1.0], [0.0, 1.0, inf]]))
    assert np.isnan(np.asarray(k)).all()
    with pytest.raises(ValueError, match="same infinity at the true class"):
        ln.categorical_hinge([[1, 0, 0]], [[inf, inf, 1.0]])


def test_dtypes_are_kept():
    for dtype in (np.float16, np.float32, np.float64):
        z = Z1.astype(dtype)
        assert ln.categorical_hinge([[1, 0, 0]], z).dtype == dtype
        assert ln.categorical_hinge_grad([[1, 0, 0]], z).dtype == dtype
        assert ln.multi_margin_loss([0], z, p=2).dtype == dtype
        assert ln.multi_margin_loss_grad([0], z, p=2, weight=[1.0, 2.0, 3.0]).dtype == dtype


def test_float16_squares_do_not_overflow_before_the_division():
    # Rivals 256 ahead: (1 + 256)^2 = 66049 > 65504, but divided by 3 it fits float16.
    z = np.array([[0.0, 256.0, -256.0]], dtype=np.float16)
    value = ln.multi_margin_loss([0], z, p=2)
    assert value.dtype == np.float16 and value == np.float16(257.0 ** 2 / 3)  # 22016


@pytest.mark.parametrize("call, error, message", [
    (lambda: ln.categorical_hinge([[1, 1, 0]], [[0.0, 1.0, 2.0]]), ValueError,
     r"y_true must hold one-hot rows along axis 1 \(exactly one 1 per row\); found a row "
     r"with 2 ones at index \(0,\)"),
    (lambda: ln.categorical_hinge([[0.5, 0.5, 0]], [[0.0, 1.0, 2.0]]), ValueError,
     r"y_true must hold one-hot rows \(0 or 1\); found 0.5 at index \(0, 0\)"),
    (lambda: ln.categorical_hinge([[1.0]], [[2.0]]), ValueError,
     r"y_pred has 1 class\(es\) on axis 1 .*expected at least two"),
    (lambda: ln.categorical_hinge([[1, 0]], [[np.nan, 1.0]]), ValueError, r"y_pred contains NaN"),
    (lambda: ln.categorical_hinge([1, 0], [[0.0, 1.0]]), ValueError, r"expected equal shapes"),
    (lambda: ln.multi_margin_loss([3], [[0.0, 1.0, 2.0]]), ValueError,
     r"labels must be class indices in \[0, 2\]"),
    (lambda: ln.multi_margin_loss([0], [[0.0, 1.0]], p=3), ValueError, r"p must be 1 or 2"),
    (lambda: ln.multi_margin_loss([0], [[0.0, 1.0]], p=2.0), TypeError,
     r"p must be the integer 1 or 2; found 2.0 \(float\)"),
    (lambda: ln.multi_margin_loss([0], [[0.0, 1.0]], p=True), TypeError, r"p must be"),
    (lambda: ln.multi_margin_loss([0], [[0.0, 1.0]], margin=np.inf), ValueError,
     r"margin must be a finite real number; found inf"),
    (lambda: ln.multi_margin_loss([0], [[0.0, 1.0]], weight=[1.0]), ValueError,
     r"weight has shape \(1,\); expected one weight per class, shape \(2,\)"),
    (lambda: ln.multi_margin_loss([0], [[0.0, 1.0]], weight=[1.0, -1.0]), ValueError,
     r"weight must hold finite non-negative numbers; found -1.0 at index \(1,\)"),
    (lambda: ln.multi_margin_loss_grad([0], [[0.0, 1.0]], reduction="mean"), TypeError,
     r"unexpected keyword argument 'reduction'"),
    (lambda: ln.multi_margin_loss([0], [[0.0, 1.0]], reduction="avg"), ValueError,
     r"reduction must be one of"),
])
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_compare_reports_the_framework_that_lacks_the_loss():
    r = ln.compare("multi_margin_loss", [0], Z1, p=2)
    assert r.status == {"keras": "absent", "torch": "agree"} and r.ok
    text = str(r)
    assert "keras      not in tf.keras" in text and "Keras has no Weston-Watkins loss" in text
    r = ln.compare_grad("categorical_hinge", [[1.0, 0, 0]], Z1, frameworks=("torch",))
    assert r.status == {"torch": "absent"} and r.rows[0].status == "exact"
    assert "torch.nn.functional has no Crammer-Singer loss" in str(r)


def test_agreement_matrix_lists_absent_frameworks(capsys):
    from lossnotes.__main__ import main

    assert main(["--loss", "multi_margin_loss", "--kind", "edge"]) == 0
    out = capsys.readouterr().out
    assert "absent / absent" in out and " 0 differs, 0 error, " in out


# --------------------------------------------------------------------------------------------
# properties: on any valid input, compare finds agreement or a documented convention
# --------------------------------------------------------------------------------------------

PROPERTY = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def rows_of_scores(draw, dtype):
    """Scores of shape (n, C), values often repeated (ties, zeros, kinks, infinities), and one
    class index per row. No subnormals: TensorFlow's CPU kernels flush them to zero (5e-324
    ties with 0 in tf.reduce_max's gradient), a setting of the hardware, not of the losses."""
    n, k = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    values = st.one_of(st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.0, inf, -inf]),
                       st.floats(-50, 50, width=32 if dtype == np.float32 else 64,
                                 allow_subnormal=False))
    z = draw(arrays(dtype, (n, k), elements=values))
    labels = draw(arrays(np.int64, n, elements=st.integers(0, k - 1)))
    return labels, z


def never_differs(result):
    assert result.ok, str(result)
    for row in result.rows[1:]:
        if row.status == "explained":
            assert any(row.framework in n.frameworks and n.explains for n in result.notes)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@PROPERTY
@given(data=st.data())
def test_categorical_hinge_never_differs(dtype, data):
    labels, z = data.draw(rows_of_scores(dtype))
    y = np.eye(z.shape[1], dtype=dtype)[labels]
    for compare in (ln.compare, ln.compare_grad):
        never_differs(compare("categorical_hinge", y, z))


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@PROPERTY
@given(data=st.data())
def test_multi_margin_loss_never_differs(dtype, data):
    labels, z = data.draw(rows_of_scores(dtype))
    options = {"p": data.draw(st.sampled_from([1, 2])),
               "margin": data.draw(st.sampled_from([1.0, 0.5, 0.0, 2.0]))}
    if data.draw(st.booleans()):
        options["weight"] = data.draw(arrays(np.float64, z.shape[1],
                                             elements=st.sampled_from([0.0, 0.5, 1.0, 3.0])))
    for compare in (ln.compare, ln.compare_grad):
        never_differs(compare("multi_margin_loss", labels, z, **options))


# --------------------------------------------------------------------------------------------
# multilabel_soft_margin_loss
# --------------------------------------------------------------------------------------------


def softplus(x: float) -> float:
    """log(1 + e^x) by hand, for the moderate x of these tests."""
    return float(np.log1p(np.exp(x)))


def multilabel_batch(rows=6, classes=4):
    y = (RNG.random((rows, classes)) < 0.5).astype(float)
    y[0] = RNG.random(classes)  # one row of soft targets
    return y, RNG.normal(0, 3, (rows, classes))


def test_multilabel_soft_margin_by_hand():
    # Every logit 0: every term is log 2, whatever the targets.
    assert ln.multilabel_soft_margin_loss([[1, 1, 0]], [[0.0, 0.0, 0.0]]) == \
        pytest.approx(np.log(2), rel=1e-15)
    # y = [1, 0, 0.25], z = [2, -1, 0.5]: softplus(-2), softplus(-1) and
    # 0.25 softplus(-0.5) + 0.75 softplus(0.5), over C = 3; with weights [1, 3, 0] the third
    # class is dropped.
    y, z = [[1.0, 0.0, 0.25]], [[2.0, -1.0, 0.5]]
    t = [softplus(-2), softplus(-1), 0.25 * softplus(-0.5) + 0.75 * softplus(0.5)]
    assert ln.multilabel_soft_margin_loss(y, z) == pytest.approx(sum(t) / 3, rel=1e-15)
    assert ln.multilabel_soft_margin_loss(y, z, weight=[1.0, 3.0, 0.0]) == \
        pytest.approx((t[0] + 3 * t[1]) / 3, rel=1e-15)
    # The derivative: w (sigmoid(z) - y) / C; sigmoid(2) - 1 = -sigmoid(-2) = -1 / (1 + e^2).
    np.testing.assert_allclose(ln.multilabel_soft_margin_loss_grad(y, z, weight=[1.0, 3.0, 0.0]),
                               [[-1 / (1 + np.exp(2)) / 3, 3 / (1 + np.exp(1)) / 3, 0.0]],
                               rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_multilabel_soft_margin_against_mpmath(dtype):
    y, z = multilabel_batch(8, 5)
    y, z = y.astype(dtype), z.astype(dtype)
    rtol = 1e-15 if dtype == np.float64 else 1e-7
    for opts in ({}, {"weight": RNG.uniform(0, 3, 5)}):
        np.testing.assert_allclose(
            ln.multilabel_soft_margin_loss(y, z, reduction="none", **opts),
            as_float(_reference.ref_multilabel_soft_margin_loss(y, z, **opts)), rtol=rtol)
        # Row 0 holds soft targets: (1 - y) sigma(z) - y sigma(-z) cancels where sigma(z) is
        # near y, so the derivative is within a few eps of its largest term, not of itself.
        np.testing.assert_allclose(
            ln.multilabel_soft_margin_loss_grad(y, z, **opts),
            as_float(_reference.ref_multilabel_soft_margin_loss_grad(y, z, **opts)),
            rtol=10 * rtol, atol=4 * np.finfo(dtype).eps)


@pytest.mark.parametrize("weighted", [False, True])
def test_multilabel_soft_margin_against_both_autograds(weighted):
    """torch.autograd of F.multilabel_soft_margin_loss and tf.GradientTape of Keras's
    binary_crossentropy on logits (times the weight through keras.ops), values and gradients."""
    y, z = multilabel_batch(7, 4)
    w = RNG.uniform(0.5, 2, 4) if weighted else None
    ours = ln.multilabel_soft_margin_loss(y, z, weight=w, reduction="none")
    ours_grad = ln.multilabel_soft_margin_loss_grad(y, z, weight=w)

    torch, F = torch_f()
    zt = torch.tensor(z, requires_grad=True)
    loss = F.multilabel_soft_margin_loss(zt, torch.tensor(y), reduction="none",
                                         weight=None if w is None else torch.tensor(w))
    np.testing.assert_allclose(loss.detach().numpy(), ours, rtol=1e-14)
    loss.sum().backward()
    np.testing.assert_allclose(zt.grad.numpy(), ours_grad, rtol=1e-14, atol=1e-17)

    k, t_ = keras(), tf()
    zk = t_.constant(z)
    with t_.GradientTape() as tape:
        tape.watch(zk)
        if w is None:
            lk = k.losses.binary_crossentropy(y, zk, from_logits=True)
        else:
            lk = k.ops.mean(w * k.ops.binary_crossentropy(y, zk, from_logits=True), axis=-1)
        total = t_.reduce_sum(lk)
    np.testing.assert_allclose(np.asarray(lk), ours, rtol=1e-14)
    np.testing.assert_allclose(tape.gradient(total, zk).numpy(), ours_grad, rtol=1e-14,
                               atol=1e-17)


def test_multilabel_soft_margin_reductions_axis_and_rows():
    y, z = multilabel_batch(5, 3)
    per = ln.multilabel_soft_margin_loss(y, z, reduction="none")
    assert per.shape == (5,)
    assert ln.multilabel_soft_margin_loss(y, z, reduction="sum") == \
        pytest.approx(per.sum(), rel=1e-15)
    assert ln.multilabel_soft_margin_loss(y, z) == pytest.approx(per.mean(), rel=1e-15)
    np.testing.assert_array_equal(
        ln.multilabel_soft_margin_loss(y.T, z.T, axis=0, reduction="none"), per)
    np.testing.assert_array_equal(ln.multilabel_soft_margin_loss_grad(y.T, z.T, axis=0),
                                  ln.multilabel_soft_margin_loss_grad(y, z).T)
    for k in range(5):
        assert ln.multilabel_soft_margin_loss(y[k:k + 1], z[k:k + 1], reduction="none")[0] == \
            per[k]


def test_multilabel_soft_margin_traps():
    y, z = multilabel_batch(6, 4)
    # Without weights its mean is binary cross-entropy's mean over every element (and Keras's
    # binary_crossentropy per sample); with weights it is not the elementwise mean.
    assert ln.multilabel_soft_margin_loss(y, z) == pytest.approx(
        ln.binary_cross_entropy(y, z, from_logits=True), rel=1e-14)
    # A class the sample gets right, added, lowers its loss: the mean is over more classes.
    one = ln.multilabel_soft_margin_loss([[1.0, 0.0]], [[-1.0, 1.0]])
    more = ln.multilabel_soft_margin_loss([[1.0, 0.0, 0.0]], [[-1.0, 1.0, -20.0]])
    assert more < one and more == pytest.approx((2 * one + softplus(-20)) / 3, rel=1e-14)
    # Infinite logits: a right one costs 0, a wrong one inf; torch gives nan for the right one
    # (0 * log sigmoid(-inf)) and Keras too (inf - inf).
    torch, F = torch_f()
    yi, zi = np.array([[1.0, 0.0, 0.0]]), np.array([[inf, -inf, 2.0]])
    exact = ln.multilabel_soft_margin_loss(yi, zi)
    assert exact == pytest.approx(softplus(2) / 3, rel=1e-15)
    assert np.isnan(float(F.multilabel_soft_margin_loss(torch.tensor(zi), torch.tensor(yi))))
    assert np.isnan(float(keras().losses.binary_crossentropy(yi, zi, from_logits=True)[0]))
    assert np.isnan(ln.like_torch.multilabel_soft_margin_loss(yi, zi))
    assert np.isnan(ln.like_keras.multilabel_soft_margin_loss(yi, zi))
    assert ln.multilabel_soft_margin_loss([[0.0, 1.0]], [[inf, 0.0]]) == inf
    # A weight of 0 drops a class even where its logit is wrong and infinite; torch: 0 * inf.
    zw, w = np.array([[inf, 0.0]]), [0.0, 1.0]
    assert ln.multilabel_soft_margin_loss([[0.0, 1.0]], zw, weight=w) == \
        pytest.approx(np.log(2) / 2, rel=1e-15)
    assert np.isnan(float(F.multilabel_soft_margin_loss(
        torch.tensor(zw), torch.tensor([[0.0, 1.0]]), weight=torch.tensor(w))))
    np.testing.assert_array_equal(
        ln.multilabel_soft_margin_loss_grad([[0.0, 1.0]], zw, weight=w), [[0.0, -0.25]])


def test_multilabel_soft_margin_keeps_dtypes():
    for dtype in (np.float16, np.float32, np.float64):
        z = np.array([[0.5, -2.0, 3.0]], dtype=dtype)
        assert ln.multilabel_soft_margin_loss([[1, 0, 1]], z).dtype == dtype
        assert ln.multilabel_soft_margin_loss_grad([[1, 0, 1]], z, weight=[1, 2, 3]).dtype == \
            dtype


@pytest.mark.parametrize("call, error, message", [
    (lambda: ln.multilabel_soft_margin_loss([[1.5, 0]], [[0.0, 1.0]]), ValueError,
     r"y_true .*\[0, 1\].*found 1.5"),
    (lambda: ln.multilabel_soft_margin_loss([[1, 0]], [[np.nan, 1.0]]), ValueError,
     r"y_pred contains NaN"),
    (lambda: ln.multilabel_soft_margin_loss([1, 0], [[0.0, 1.0]]), ValueError,
     r"expected equal shapes"),
    (lambda: ln.multilabel_soft_margin_loss(np.zeros((2, 0)), np.zeros((2, 0))), ValueError,
     r"y_pred has 0 classes on axis 1 \(shape \(2, 0\)\); expected at least one"),
    (lambda: ln.multilabel_soft_margin_loss(0.5, 0.5), ValueError,
     r"y_pred must have a class axis; found a scalar"),
    (lambda: ln.multilabel_soft_margin_loss([[1, 0]], [[0.0, 1.0]], weight=[1.0]), ValueError,
     r"weight has shape \(1,\); expected one weight per class, shape \(2,\)"),
    (lambda: ln.multilabel_soft_margin_loss([[1, 0]], [[0.0, 1.0]], weight=[1.0, np.inf]),
     ValueError, r"weight must hold finite non-negative numbers; found inf at index \(1,\)"),
    (lambda: ln.multilabel_soft_margin_loss([[1, 0]], [[0.0, 1.0]], axis=2), ValueError,
     r"axis"),
    (lambda: ln.multilabel_soft_margin_loss_grad([[1, 0]], [[0.0, 1.0]], reduction="sum"),
     TypeError, r"unexpected keyword argument 'reduction'"),
    (lambda: ln.multilabel_soft_margin_loss([[1, 0]], [[0.0, 1.0]], reduction="avg"),
     ValueError, r"reduction must be one of"),
])
def test_multilabel_soft_margin_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


@st.composite
def multilabel_rows(draw, dtype):
    n, k = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    values = st.one_of(st.sampled_from([0.0, 1.0, -1.0, 30.0, -30.0, inf, -inf]),
                       st.floats(-50, 50, width=32 if dtype == np.float32 else 64,
                                 allow_subnormal=False))
    z = draw(arrays(dtype, (n, k), elements=values))
    y = draw(arrays(dtype, (n, k), elements=st.sampled_from([0.0, 1.0, 0.25, 0.5])))
    return y, z


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@PROPERTY
@given(data=st.data())
def test_multilabel_soft_margin_never_differs(dtype, data):
    y, z = data.draw(multilabel_rows(dtype))
    options = {}
    if data.draw(st.booleans()):
        options["weight"] = data.draw(arrays(np.float64, z.shape[1],
                                             elements=st.sampled_from([0.0, 0.5, 1.0, 3.0])))
    for compare in (ln.compare, ln.compare_grad):
        never_differs(compare("multilabel_soft_margin_loss", y, z, **options))


# --------------------------------------------------------------------------------------------
# hinge_embedding_loss
# --------------------------------------------------------------------------------------------


def test_hinge_embedding_by_hand():
    # A similar pair is charged its distance; dissimilar pairs margin - x until margin apart.
    y, x = [1.0, -1.0, -1.0, 1.0], [0.3, 0.3, 1.5, 2.0]
    np.testing.assert_allclose(ln.hinge_embedding_loss(y, x, reduction="none"),
                               [0.3, 1 - 0.3, 0.0, 2.0], rtol=1e-15)
    np.testing.assert_allclose(ln.hinge_embedding_loss(y, x, margin=2.0, reduction="none"),
                               [0.3, 2 - 0.3, 2 - 1.5, 2.0], rtol=1e-15)
    assert ln.hinge_embedding_loss(y, x) == pytest.approx((0.3 + 0.7 + 2.0) / 4, rel=1e-15)
    assert ln.hinge_embedding_loss(y, x, reduction="sum") == pytest.approx(3.0, rel=1e-15)
    np.testing.assert_array_equal(ln.hinge_embedding_loss_grad(y, x), [1.0, -1.0, 0.0, 1.0])
    np.testing.assert_array_equal(ln.hinge_embedding_loss_grad(y, x, margin=2.0),
                                  [1.0, -1.0, -1.0, 1.0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("margin", [1.0, 0.5, 2.0])
def test_hinge_embedding_against_mpmath_and_torch(dtype, margin):
    """Values against the 50-digit reference and F.hinge_embedding_loss, the derivative
    against torch.autograd and tf.GradientTape of the keras.ops formula the compare note gives
    (away from the kink)."""
    y = (2 * (RNG.random((5, 4)) < 0.5) - 1).astype(dtype)
    x = np.abs(RNG.normal(0, 1.5, (5, 4))).astype(dtype)
    x[np.abs(x - margin) < 1e-3] += 0.01
    ours = ln.hinge_embedding_loss(y, x, margin=margin, reduction="none")
    grad = ln.hinge_embedding_loss_grad(y, x, margin=margin)
    rtol = 1e-15 if dtype == np.float64 else 1e-7
    np.testing.assert_allclose(
        ours, as_float(_reference.ref_hinge_embedding_loss(y, x, margin=margin)), rtol=rtol)
    np.testing.assert_array_equal(
        grad, as_float(_reference.ref_hinge_embedding_loss_grad(y, x, margin=margin)))

    torch, F = torch_f()
    xt = torch.tensor(x, requires_grad=True)
    loss = F.hinge_embedding_loss(xt, torch.tensor(y), margin=margin, reduction="none")
    np.testing.assert_array_equal(loss.detach().numpy(), ours)
    loss.sum().backward()
    np.testing.assert_array_equal(xt.grad.numpy(), grad)

    ops, t_ = keras().ops, tf()
    xk = t_.constant(x)
    with t_.GradientTape() as tape:
        tape.watch(xk)
        lk = ops.where(y == 1, xk, ops.relu(margin - xk))
        total = ops.sum(lk)
    np.testing.assert_allclose(np.asarray(lk), ours, rtol=rtol)
    np.testing.assert_array_equal(tape.gradient(total, xk).numpy(), grad)


def test_hinge_embedding_traps():
    torch, F = torch_f()
    # torch reads any label other than +1 and -1 as both: x + max(0, margin - x).
    y, x = np.array([0.0, 2.0, 0.5]), np.array([0.3, 2.0, 0.25])
    assert F.hinge_embedding_loss(torch.tensor(x), torch.tensor(y),
                                  reduction="none").tolist() == [1.0, 2.0, 1.0]
    np.testing.assert_array_equal(ln.like_torch.hinge_embedding_loss(y, x, reduction="none"),
                                  [1.0, 2.0, 1.0])
    with pytest.raises(ValueError, match=r"y_true must hold labels in \{-1, \+1\}; found 0.0 "
                                         r"at index \(0,\)"):
        ln.hinge_embedding_loss(y, x)
    # The kink: a dissimilar pair exactly margin apart costs 0; torch's derivative -1,
    # lossnotes' subgradient 0.
    xt = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    F.hinge_embedding_loss(xt, torch.tensor([-1.0]), reduction="sum").backward()
    assert xt.grad.tolist() == [-1.0]
    assert ln.hinge_embedding_loss_grad([-1.0], [1.0]).tolist() == [0.0]
    assert ln.like_torch.hinge_embedding_loss_grad([-1.0], [1.0]).tolist() == [-1.0]
    r = ln.compare_grad("hinge_embedding_loss", [-1.0], [1.0])
    assert r.status == {"keras": "absent", "torch": "explained"} and r.ok
    # The input is a distance: a similar pair is charged it whole, with no hinge (the
    # classification hinge of keras.losses.hinge would charge max(0, 1 - x)).
    assert ln.hinge_embedding_loss([1.0], [5.0]) == 5.0
    assert float(keras().losses.hinge(np.array([1.0]), np.array([5.0]))) == 0.0
    # Infinite distances: a similar pair inf, a dissimilar one 0 (and inf at -inf).
    np.testing.assert_array_equal(
        ln.hinge_embedding_loss([1.0, -1.0, -1.0], [inf, inf, -inf], reduction="none"),
        [inf, 0.0, inf])


def test_hinge_embedding_dtypes_and_rows():
    for dtype in (np.float16, np.float32, np.float64):
        x = np.array([0.5, 1.5], dtype=dtype)
        assert ln.hinge_embedding_loss([1, -1], x).dtype == dtype
        assert ln.hinge_embedding_loss_grad([1, -1], x, margin=2).dtype == dtype
    y = 2 * (RNG.random(7) < 0.5) - 1.0
    x = np.abs(RNG.normal(0, 1, 7))
    per = ln.hinge_embedding_loss(y, x, reduction="none")
    for k in range(7):
        assert ln.hinge_embedding_loss(y[k:k + 1], x[k:k + 1], reduction="none")[0] == per[k]


@pytest.mark.parametrize("call, error, message", [
    (lambda: ln.hinge_embedding_loss([1, 0], [0.0, 1.0]), ValueError,
     r"y_true must hold labels in \{-1, \+1\}; found 0.0 at index \(1,\) .*labels in "
     r"\{0, 1\}\? map them with 2\*y - 1"),
    (lambda: ln.hinge_embedding_loss([1, -1], [np.nan, 1.0]), ValueError,
     r"y_pred contains NaN"),
    (lambda: ln.hinge_embedding_loss([1], [0.0, 1.0]), ValueError, r"expected equal shapes"),
    (lambda: ln.hinge_embedding_loss([1], [0.0], margin=np.nan), ValueError,
     r"margin must be a finite real number; found nan"),
    (lambda: ln.hinge_embedding_loss([1], [0.0], margin="1"), ValueError,
     r"margin must be a finite real number; found '1'"),
    (lambda: ln.hinge_embedding_loss_grad([1], [0.0], reduction="sum"), TypeError,
     r"unexpected keyword argument 'reduction'"),
    (lambda: ln.hinge_embedding_loss([1], [0.0], reduction="avg"), ValueError,
     r"reduction must be one of"),
])
def test_hinge_embedding_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@PROPERTY
@given(data=st.data())
def test_hinge_embedding_never_differs(dtype, data):
    n = data.draw(st.integers(1, 6))
    values = st.one_of(st.sampled_from([0.0, 1.0, 2.0, 0.5, inf, -inf, -1.0]),
                       st.floats(-50, 50, width=32 if dtype == np.float32 else 64,
                                 allow_subnormal=False))
    x = data.draw(arrays(dtype, n, elements=values))
    y = data.draw(arrays(dtype, n, elements=st.sampled_from([1.0, -1.0, 0.0])))
    margin = data.draw(st.sampled_from([1.0, 0.5, 2.0, 0.0]))
    for compare in (ln.compare, ln.compare_grad):
        never_differs(compare("hinge_embedding_loss", y, x, margin=margin))


# --------------------------------------------------------------------------------------------
# multilabel_margin_loss
# --------------------------------------------------------------------------------------------


def torch_indices(y):
    """torch's targets for 0/1 rows: each row's classes with y = 1, in order, then -1."""
    out = np.full(y.shape, -1, dtype=np.int64)
    for i, row in enumerate(y):
        k = np.flatnonzero(row == 1)
        out[i, :len(k)] = k
    return out


def test_multilabel_margin_by_hand():
    # torch's documentation example: classes 3 and 0 of [0.1, 0.2, 0.4, 0.8]. Pairs (target,
    # other): (3, 1) 1 - 0.6 = 0.4, (3, 2) 1 - 0.4 = 0.6, (0, 1) 1.1, (0, 2) 1.3; 3.4 / 4.
    y, z = [[1.0, 0.0, 0.0, 1.0]], [[0.1, 0.2, 0.4, 0.8]]
    assert ln.multilabel_margin_loss(y, z) == pytest.approx(3.4 / 4, rel=1e-15)
    # Every pair is within the margin: each target class -2/4, each other class +2/4.
    np.testing.assert_array_equal(ln.multilabel_margin_loss_grad(y, z),
                                  [[-0.5, 0.5, 0.5, -0.5]])
    # A pair beyond the margin costs nothing; at it, 0 with the subgradient 0.
    assert ln.multilabel_margin_loss([[1.0, 0.0]], [[3.0, 1.5]]) == 0.0
    np.testing.assert_array_equal(ln.multilabel_margin_loss_grad([[1, 0, 0]], [[2.0, 1.0, 0.0]]),
                                  [[0.0, 0.0, 0.0]])
    # No class applies, or all do: no pair, loss 0.
    np.testing.assert_array_equal(ln.multilabel_margin_loss(
        [[0, 0, 0], [1, 1, 1]], [[2.0, 1.0, 0.0], [0.0, 1.0, 2.0]], reduction="none"), [0, 0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_multilabel_margin_against_mpmath_and_both_autograds(dtype):
    """The 50-digit reference; F.multilabel_margin_loss on torch's indices and its autograd;
    tf.GradientTape of the keras.ops formula the compare note gives."""
    y = (RNG.random((6, 5)) < 0.5).astype(dtype)
    z = RNG.normal(0, 2, (6, 5)).astype(dtype)
    ours = ln.multilabel_margin_loss(y, z, reduction="none")
    grad = ln.multilabel_margin_loss_grad(y, z)
    rtol = 1e-14 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(ours, as_float(_reference.ref_multilabel_margin_loss(y, z)),
                               rtol=rtol)
    np.testing.assert_allclose(grad, as_float(_reference.ref_multilabel_margin_loss_grad(y, z)),
                               rtol=rtol)

    torch, F = torch_f()
    zt = torch.tensor(z, requires_grad=True)
    loss = F.multilabel_margin_loss(zt, torch.tensor(torch_indices(y)), reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), ours, rtol=rtol)
    loss.sum().backward()
    np.testing.assert_allclose(zt.grad.numpy(), grad, rtol=rtol)

    ops, t_ = keras().ops, tf()
    zk = t_.constant(z)
    with t_.GradientTape() as tape:
        tape.watch(zk)
        lk = ops.sum(y[:, :, None] * (1 - y[:, None, :]) * ops.relu(
            1 - zk[:, :, None] + zk[:, None, :]), axis=(1, 2)) / 5
        total = ops.sum(lk)
    np.testing.assert_allclose(np.asarray(lk), ours, rtol=rtol)
    np.testing.assert_allclose(tape.gradient(total, zk).numpy(), grad, rtol=rtol)


def test_multilabel_margin_torch_index_traps():
    torch, F = torch_f()
    z = torch.tensor([[0.5, 0.2, 0.0]], dtype=torch.float64)
    # An index given twice is charged twice: (0.7 + 0.5) twice over C = 3.
    assert float(F.multilabel_margin_loss(z, torch.tensor([[0, 0, -1]]))) == \
        pytest.approx(2.4 / 3, rel=1e-15)
    assert ln.multilabel_margin_loss([[1, 0, 0]], z.numpy()) == pytest.approx(1.2 / 3,
                                                                              rel=1e-15)
    # Everything after the first -1 is ignored: a leading -1 means no class applies.
    assert float(F.multilabel_margin_loss(z, torch.tensor([[-1, 0, 1]]))) == 0.0
    # The division is by C, not by the number of pairs: an extra far-behind class lowers it.
    three = ln.multilabel_margin_loss([[1, 0, 0]], [[0.5, 0.2, 0.0]])
    four = ln.multilabel_margin_loss([[1, 0, 0, 0]], [[0.5, 0.2, 0.0, -50.0]])
    assert four == pytest.approx(three * 3 / 4, rel=1e-15)


def test_multilabel_margin_infinities():
    # A target at +inf or a non-target at -inf: those pairs cost 0; the reverse costs inf.
    assert ln.multilabel_margin_loss([[1, 0, 0]], [[inf, 0.0, -inf]]) == 0.0
    assert ln.multilabel_margin_loss([[1, 0, 0]], [[0.0, inf, 0.0]]) == inf
    np.testing.assert_allclose(ln.multilabel_margin_loss_grad([[1, 0, 0]], [[0.0, inf, -5.0]]),
                               [[-1 / 3, 1 / 3, 0.0]], rtol=1e-15)
    # The same infinity at a target and a non-target: refused; torch says 0.
    torch, F = torch_f()
    z = np.array([[inf, inf, 0.0]])
    with pytest.raises(ValueError, match=r"y_pred holds the same infinity at a target class "
                                         r"and at a non-target class at index \(0,\)"):
        ln.multilabel_margin_loss([[1, 0, 0]], z)
    assert float(F.multilabel_margin_loss(torch.tensor(z), torch.tensor([[0, -1, -1]]))) == 0.0
    assert ln.like_torch.multilabel_margin_loss([[1, 0, 0]], z) == 0.0


def test_multilabel_margin_axis_rows_and_dtypes():
    y = (RNG.random((5, 4)) < 0.5).astype(float)
    z = RNG.normal(0, 2, (5, 4))
    per = ln.multilabel_margin_loss(y, z, reduction="none")
    np.testing.assert_array_equal(ln.multilabel_margin_loss(y.T, z.T, axis=0, reduction="none"),
                                  per)
    np.testing.assert_array_equal(ln.multilabel_margin_loss_grad(y.T, z.T, axis=0),
                                  ln.multilabel_margin_loss_grad(y, z).T)
    assert ln.multilabel_margin_loss(y, z, reduction="sum") == pytest.approx(per.sum(),
                                                                             rel=1e-15)
    for k in range(5):
        assert ln.multilabel_margin_loss(y[k:k + 1], z[k:k + 1], reduction="none")[0] == per[k]
    for dtype in (np.float16, np.float32, np.float64):
        assert ln.multilabel_margin_loss(y, z.astype(dtype)).dtype == dtype
        assert ln.multilabel_margin_loss_grad(y, z.astype(dtype)).dtype == dtype


@pytest.mark.parametrize("call, error, message", [
    (lambda: ln.multilabel_margin_loss([[3, 0, -1]], [[0.1, 0.2, 0.4]]), ValueError,
     r"y_true must hold 0 or 1 \(1 for each class that applies\); found 3.0 at index \(0, 0\)"
     r".*class indices padded with -1"),
    (lambda: ln.multilabel_margin_loss([[1, 0]], [[np.nan, 1.0]]), ValueError,
     r"y_pred contains NaN"),
    (lambda: ln.multilabel_margin_loss([[1, np.nan]], [[0.0, 1.0]]), ValueError,
     r"y_true contains NaN"),
    (lambda: ln.multilabel_margin_loss([1, 0], [[0.0, 1.0]]), ValueError,
     r"expected equal shapes"),
    (lambda: ln.multilabel_margin_loss(np.zeros((2, 0)), np.zeros((2, 0))), ValueError,
     r"y_pred has 0 classes on axis 1"),
    (lambda: ln.multilabel_margin_loss_grad([[1, 0]], [[0.0, 1.0]], reduction="sum"), TypeError,
     r"unexpected keyword argument 'reduction'"),
    (lambda: ln.multilabel_margin_loss([[1, 0]], [[0.0, 1.0]], reduction="avg"), ValueError,
     r"reduction must be one of"),
])
def test_multilabel_margin_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@PROPERTY
@given(data=st.data())
def test_multilabel_margin_never_differs(dtype, data):
    n, k = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 5))
    values = st.one_of(st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.0, inf, -inf]),
                       st.floats(-50, 50, width=32 if dtype == np.float32 else 64,
                                 allow_subnormal=False))
    z = data.draw(arrays(dtype, (n, k), elements=values))
    y = data.draw(arrays(dtype, (n, k), elements=st.sampled_from([0.0, 1.0])))
    for compare in (ln.compare, ln.compare_grad):
        never_differs(compare("multilabel_margin_loss", y, z))


# --------------------------------------------------------------------------------------------
# negative_cosine_similarity
# --------------------------------------------------------------------------------------------

COS, COS_GRAD = ln.negative_cosine_similarity, ln.negative_cosine_similarity_grad


def test_cosine_values_by_hand():
    y = np.array([[3.0, 4.0], [1.0, 0.0], [1.0, 1.0], [2.0, -1.0]])
    p = np.array([[4.0, 3.0], [0.0, 5.0], [-3.0, -3.0], [1.0, 2.0]])
    # 24/25; orthogonal; opposite; orthogonal again (2 - 2 = 0, an exact cancellation)
    np.testing.assert_array_equal(COS(y, p, reduction="none"), [-0.96, 0.0, 1.0, 0.0])
    # lengths do not count: only directions
    np.testing.assert_array_equal(COS(y, 7 * p, reduction="none"), COS(y, p, reduction="none"))
    # symmetric, and the mpmath reference agrees on a seeded batch
    a, b = RNG.normal(size=(5, 7)), RNG.normal(size=(5, 7))
    np.testing.assert_array_equal(COS(a, b, reduction="none"), COS(b, a, reduction="none"))
    hand = -np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    np.testing.assert_allclose(COS(a, b, reduction="none"), hand, rtol=1e-14)
    np.testing.assert_allclose(COS(a.T, b.T, axis=0, reduction="none"), hand, rtol=1e-14)
    np.testing.assert_allclose(COS(a, b, reduction="none"),
                               as_float(_reference.ref_negative_cosine_similarity(a, b)),
                               rtol=4e-16 * 8, atol=1e-16)


def test_cosine_of_huge_and_tiny_vectors_is_their_cosine():
    # the squared norms of 1e200 and 1e-200 overflow and underflow float64; the rows are
    # scaled by powers of 2 first, exactly. The third cosine is 2e-600, which rounds to 0.
    y = np.array([[1e200, 1e200, 0.0], [3e-200, 4e-200, 0.0], [1e300, 0.0, 1e-300],
                  [1e-300, 2e-300, 0.0]])
    p = np.array([[1e200, -1e200, 1e200], [4e-200, 3e-200, 0.0], [1e-300, 0.0, 1e300],
                  [1e300, 0.0, 0.0]])
    np.testing.assert_allclose(COS(y, p, reduction="none"),
                               [-0.0, -0.96, -0.0, -1 / np.sqrt(5)], rtol=1e-15, atol=0)
    g = COS_GRAD([[1e200, 0.0]], [[0.0, 1e200]])  # (0 - (1, 0)) / 1e200
    np.testing.assert_allclose(g, [[-1e-200, 0.0]], rtol=1e-15)


def test_cosine_gradient_against_both_autograds_and_orthogonality():
    torch, F = torch_f()
    y, p = RNG.normal(size=(6, 5)), RNG.normal(size=(6, 5))
    ours = COS_GRAD(y, p)
    pt = torch.tensor(p, requires_grad=True)
    (-F.cosine_similarity(pt, torch.tensor(y), dim=1)).sum().backward()
    np.testing.assert_allclose(ours, pt.grad.numpy(), rtol=1e-12, atol=1e-15)
    pk = tf().constant(p)
    with tf().GradientTape() as tape:
        tape.watch(pk)
        total = tf().reduce_sum(keras().losses.cosine_similarity(y, pk))
    np.testing.assert_allclose(ours, tape.gradient(total, pk).numpy(), rtol=1e-12, atol=1e-15)
    # a longer prediction changes nothing: the derivative is orthogonal to it
    np.testing.assert_allclose(np.sum(ours * p, axis=1), 0, atol=1e-14)
    # and 0 where the two point the same way
    np.testing.assert_array_equal(COS_GRAD([[1.0, 2.0]], [[2.0, 4.0]]), [[0.0, 0.0]])


def test_cosine_frameworks_at_a_zero_and_a_short_vector():
    torch, F = torch_f()
    y, p = np.array([[1.0, 2.0], [1.0, 2.0]]), np.array([[0.0, 0.0], [1e-9, 2e-9]])
    theirs_torch = (-F.cosine_similarity(torch.tensor(p), torch.tensor(y), dim=1)).numpy()
    theirs_keras = np.asarray(keras().losses.cosine_similarity(y, p))
    # zero vector: 0 in both; length 5^(1/2) 1e-9: torch divides by 1e-8, Keras by 1e-7
    np.testing.assert_allclose(theirs_torch, [0.0, -np.sqrt(5) * 1e-9 / 1e-8], rtol=1e-12)
    np.testing.assert_allclose(theirs_keras, [0.0, -np.sqrt(5) * 1e-9 / 1e-7], rtol=1e-12)
    np.testing.assert_allclose(ln.like_torch.negative_cosine_similarity(y, p, reduction="none"),
                               theirs_torch, rtol=1e-15)
    np.testing.assert_allclose(ln.like_keras.negative_cosine_similarity(y, p, reduction="none"),
                               theirs_keras, rtol=1e-12)
    assert float(COS(y[1:], p[1:])) == pytest.approx(-1.0, rel=1e-15)


@pytest.mark.parametrize("call, message", [
    (lambda: COS([[1.0, 2.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 1.0]]),
     r"y_true has a zero vector along axis 1 at index \(1,\) .*undefined \(0 / 0\)"),
    (lambda: COS_GRAD([0.0, 1.0], [0.0, 0.0]),
     r"y_pred has a zero vector along axis 0 \(the only row\)"),
    (lambda: COS([[1.0, inf]], [[1.0, 1.0]]), r"y_true holds inf at index \(0, 1\).*no direction"),
    (lambda: COS([[1.0, 1.0]], [[np.nan, 1.0]]), r"y_pred contains NaN"),
    (lambda: COS([1.0, 1.0], [[1.0, 1.0]]), r"expected equal shapes"),
    (lambda: COS([[1.0, 1.0]], [[1.0, 1.0]], axis=2), r"axis 2 is out of range"),
    (lambda: COS([[1.0, 1.0]], [[1.0, 1.0]], sample_weight=[1.0, 1.0]),
     r"sample_weight has shape \(2,\) but the unreduced loss .* has shape \(1,\)"),
])
def test_cosine_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
