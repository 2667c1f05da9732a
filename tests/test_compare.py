"""lossnotes.compare / compare_grad against live tf.keras and torch.nn.functional.

Every framework number asserted here is measured on the spot (TensorFlow 2.21.0 / Keras 3.15.1,
torch 2.13.0 in the book's environment; ``make oldest-test`` runs this file on TensorFlow 2.16.1
/ Keras 3.0.0); where a test names a value, it is the value the reference notes predict and the
framework is asked again. Tolerances are those of ``compare`` (see its docstring): float64
rtol 1e-12, float32 rtol 1e-5, each plus 8 machine epsilons times the size of the formula's
intermediate terms.
"""

import contextlib
import dataclasses
import html
import os
import re
import subprocess
import sys
import textwrap
import warnings

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.extra.numpy import arrays

import lossnotes as ln
from lossnotes import _registry
from lossnotes._compare import _frameworks, _run

# Deterministic and modest: CI must not depend on the seed of the day, and each example runs
# TensorFlow and torch eagerly (a few milliseconds per call).
PROPERTY = settings(
    max_examples=25, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
DTYPES = [np.float64, np.float32]


def both(name, y, pred, *more, **options):
    """compare and compare_grad on the same inputs (``options`` may hold a ``p``; ``more``, the
    inputs after the first two of a loss of more inputs)."""
    return (ln.compare(name, y, pred, *more, **options),
            ln.compare_grad(name, y, pred, *more, **options))


def f32(x):
    return np.asarray(x, dtype=np.float32)


# --------------------------------------------------------------------------------------------
# strategies: valid inputs away from the edges (where every framework must simply agree)
# --------------------------------------------------------------------------------------------

shapes = st.tuples(st.integers(1, 4), st.integers(1, 5))


def floats(dtype, lo, hi):
    lo, hi = (float(np.dtype(dtype).type(v)) for v in (lo, hi))
    return st.floats(lo, hi, width=32 if dtype == np.float32 else 64, allow_subnormal=False)


@st.composite
def pairs(draw, dtype, y_elems, p_elems):
    shape = draw(shapes)
    return (draw(arrays(dtype, shape, elements=y_elems)),
            draw(arrays(dtype, shape, elements=p_elems)))


@st.composite
def distributions(draw, dtype, min_classes=2):
    """Soft or one-hot targets and probability rows, as softmax of moderate logits.

    Logits in [-5, 5] with at most 5 classes keep every probability above 1e-5, inside Keras's
    clip range, so that only rounding separates the frameworks.
    """
    n, k = draw(st.integers(1, 4)), draw(st.integers(min_classes, 5))
    logits = draw(arrays(dtype, (n, k), elements=floats(dtype, -5, 5)))
    if draw(st.booleans()):
        y = np.eye(k, dtype=dtype)[draw(arrays(np.int64, n, elements=st.integers(0, k - 1)))]
    else:  # soft targets: distributions too
        w = draw(arrays(dtype, (n, k), elements=floats(dtype, 0.01, 1)))
        y = (w / w.sum(axis=1, keepdims=True)).clip(0, 1).astype(dtype)
    return y, logits


def agree(result, **expected):
    """Every framework row has the expected status (default "agree")."""
    want = {label: expected.get(label.split()[0], "agree") for label in result.status}
    assert result.status == want, str(result)


# --------------------------------------------------------------------------------------------
# properties: random valid inputs agree per element, per sample and reduced
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@PROPERTY
@given(data=st.data())
def test_binary_cross_entropy_agrees_on_probabilities(dtype, data):
    y, p = data.draw(pairs(dtype, floats(dtype, 0, 1), floats(dtype, 1e-4, 1 - 1e-4)))
    for r in both("binary_cross_entropy", y, p):
        agree(r)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@PROPERTY
@given(data=st.data())
def test_binary_cross_entropy_agrees_on_logits(dtype, data):
    y, z = data.draw(pairs(dtype, floats(dtype, 0, 1), floats(dtype, -200, 200)))
    for r in both("binary_cross_entropy", y, z, from_logits=True):
        agree(r)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@PROPERTY
@given(data=st.data())
def test_categorical_cross_entropy_agrees(dtype, data):
    y, z = data.draw(distributions(dtype))
    for r in both("categorical_cross_entropy", y, z, from_logits=True):
        agree(r)
    p = ln.softmax(z)
    agree(ln.compare("categorical_cross_entropy", y, p))
    # With respect to probabilities both frameworks differentiate through their
    # renormalisation: -y/p + sum(y)/sum(p). That is a documented difference from -y/p, and
    # lossnotes under each convention must reproduce it.
    agree(ln.compare_grad("categorical_cross_entropy", y, p), keras="explained",
          torch="explained")


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@PROPERTY
@given(data=st.data())
def test_sparse_categorical_cross_entropy_agrees(dtype, data):
    _, z = data.draw(distributions(dtype))
    labels = data.draw(arrays(np.int64, z.shape[0], elements=st.integers(0, z.shape[1] - 1)))
    for r in both("sparse_categorical_cross_entropy", labels, z, from_logits=True):
        agree(r)
    p = ln.softmax(z)
    agree(ln.compare("sparse_categorical_cross_entropy", labels, p))
    # Keras renormalises (through log_softmax of log p): +1/sum(p) on every entry.
    agree(ln.compare_grad("sparse_categorical_cross_entropy", labels, p), keras="explained")


@pytest.mark.parametrize("name", ["mse", "mae", "huber"])
@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@PROPERTY
@given(data=st.data())
def test_regression_agrees(name, dtype, data):
    y, p = data.draw(pairs(dtype, floats(dtype, -1e3, 1e3), floats(dtype, -1e3, 1e3)))
    options = {}
    if name == "huber":
        options["delta"] = data.draw(st.sampled_from([0.25, 1.0, 3.0]))
    for r in both(name, y, p, **options):
        agree(r)


@pytest.mark.parametrize("name", ["hinge", "squared_hinge", "logistic"])
@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@PROPERTY
@given(data=st.data())
def test_margin_losses_agree(name, dtype, data):
    y, s = data.draw(pairs(dtype, st.sampled_from([-1.0, 1.0]), floats(dtype, -50, 50)))
    # Keep away from the hinge's kink (m = 1), where the subgradient is a choice.
    s = np.where(np.abs(y * s - 1) < 1e-3, s + 0.5, s).astype(dtype)
    for r in both(name, y, s):
        agree(r)


# --------------------------------------------------------------------------------------------
# properties: on any valid input, every difference is one a documented convention explains
# --------------------------------------------------------------------------------------------

EDGE_PROBS = [0.0, 1.0, 1e-9, 5e-8, 1e-7, 1 - 1e-7, 1 - 1e-9, 0.5, 1e-4]
EDGE_LOGITS = [-np.inf, np.inf, -1000.0, -100.0, 0.0, 100.0, 1000.0, 3.0]


def sampled(dtype, values):
    """The values, each rounded to ``dtype`` first: hypothesis refuses an array element that
    the dtype cannot hold exactly under NumPy 1.x (NumPy 2 compares in the array's dtype)."""
    return st.sampled_from([float(np.dtype(dtype).type(v)) for v in values])


def never_differs(result):
    assert result.ok, str(result)
    for row in result.rows[1:]:
        if row.status == "explained":
            assert row.convention_max_abs_diff is not None


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@PROPERTY
@given(data=st.data())
def test_binary_cross_entropy_edges_are_explained(dtype, data):
    y, p = data.draw(pairs(dtype, sampled(dtype, [0.0, 1.0, 0.3]), sampled(dtype, EDGE_PROBS)))
    for r in both("binary_cross_entropy", y, p):
        never_differs(r)
    y, z = data.draw(pairs(dtype, sampled(dtype, [0.0, 1.0, 0.3]), sampled(dtype, EDGE_LOGITS)))
    for r in both("binary_cross_entropy", y, z, from_logits=True):
        never_differs(r)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@PROPERTY
@given(data=st.data())
def test_categorical_edges_are_explained(dtype, data):
    n, k = data.draw(st.integers(1, 3)), data.draw(st.integers(2, 4))
    p = data.draw(arrays(dtype, (n, k), elements=sampled(dtype, EDGE_PROBS)))
    labels = data.draw(arrays(np.int64, n, elements=st.integers(0, k - 1)))
    y = np.eye(k, dtype=dtype)[labels]
    # Rows that do not sum to 1 are refused by the exact formula only; an all-zero row is
    # refused (its sum is 0) and gives nan in both frameworks.
    for r in both("categorical_cross_entropy", y, p):
        never_differs(r)
    for r in both("sparse_categorical_cross_entropy", labels, p):
        never_differs(r)
    z = data.draw(arrays(dtype, (n, k), elements=sampled(dtype, EDGE_LOGITS)))
    for r in both("categorical_cross_entropy", y, z, from_logits=True):
        never_differs(r)
    for r in both("sparse_categorical_cross_entropy", labels, z, from_logits=True):
        never_differs(r)


@pytest.mark.parametrize("name", ["hinge", "squared_hinge", "logistic"])
@PROPERTY
@given(data=st.data())
def test_margin_edges_are_explained(name, data):
    labels = [-1.0, 1.0] if name == "logistic" else [-1.0, 0.0, 1.0]
    y, s = data.draw(pairs(np.float64, st.sampled_from(labels),
                           st.sampled_from([-np.inf, -800.0, -1.0, 1.0, 0.0, 2.0, np.inf])))
    for r in both(name, y, s):
        never_differs(r)


# --------------------------------------------------------------------------------------------
# the edge cases differ exactly as documented
# --------------------------------------------------------------------------------------------

def matrix(kind):
    """The cases of the agreement matrix of this kind, as (loss, case), from the registry."""
    return [(name, c) for name in _registry.COVERED for c in _registry.cases(name)
            if c.kind == kind]


def case_id(item):
    name, c = item
    return f"{name}-{c.label}-{c.dtype}-{c.options}"


def patch_frameworks(monkeypatch, name, **changes):
    """Replace fields of a loss's Frameworks record for one test (the records are frozen)."""
    loss = _registry.LOSSES[name]
    frameworks = dataclasses.replace(loss.frameworks, **changes)
    monkeypatch.setitem(_registry.LOSSES, name, dataclasses.replace(loss, frameworks=frameworks))
    return loss.frameworks


def test_every_covered_loss_has_edge_cases_with_verdicts():
    for name in _registry.COVERED:
        edges = [c for c in _registry.cases(name) if c.kind == "edge"]
        assert edges, f"{name} has no edge case"
        for c in edges:
            assert all(status in ("agree", "explained", "absent") for part in c.expect
                       for status in part)


@pytest.mark.parametrize("item", matrix("edge"), ids=case_id)
def test_edge_case_statuses(item):
    name, case = item
    loss, grad = both(name, case.y_true, case.y_pred, *case.more, **case.options)
    unavailable = _registry.LOSSES[name].frameworks.keras_unavailable
    # compare leaves Keras out of a call this Keras cannot run (a loss added later, say)
    absent = unavailable is not None and \
        unavailable(np.asarray(case.y_pred), case.options) is not None
    for result, want in zip((loss, grad), case.expect, strict=True):
        got = {k.split()[0]: v for k, v in result.status.items()}
        expected = dict(zip(("keras", "torch"), want, strict=True))
        if absent:
            del expected["keras"]
        assert got == expected, str(result)
        # An explained difference is explained by a note of that framework.
        for row in result.rows[1:]:
            if row.status == "explained":
                assert any(row.framework in n.frameworks and n.explains for n in result.notes)


@pytest.mark.parametrize("item", matrix("notes") + matrix("random"), ids=case_id)
def test_notes_examples_and_seeded_batches_never_differ(item):
    name, case = item
    for r in both(name, case.y_true, case.y_pred, *case.more, **case.options):
        never_differs(r)
        assert r.rows[0].status == "exact"


def test_bce_certain_and_wrong_float32_values():
    y, p = f32([1.0, 0.0]), f32([0.0, 1.0])
    r = ln.compare("binary_cross_entropy", y, p)
    # Keras clips to [1e-7, 1 - 1e-7]; 1 - 1e-7 rounds to 0.99999988 in float32, so the two
    # certain mistakes cost -log(1e-7) and -log(1.19e-7).
    np.testing.assert_allclose(r.elementwise["keras"], [16.118095, 15.942385], rtol=1e-7)
    np.testing.assert_array_equal(r.elementwise["torch"], [100.0, 100.0])
    np.testing.assert_array_equal(r.elementwise["lossnotes"], [np.inf, np.inf])
    # The hand formula under Keras's convention matches Keras to float32 rounding.
    keras_row = r.rows[1]
    assert keras_row.convention_max_abs_diff <= 2 * np.spacing(np.float32(16.0))
    assert keras_row.max_abs_diff == np.inf


def test_bce_gradients_at_certain_predictions():
    g = ln.compare_grad("binary_cross_entropy", [1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0])
    np.testing.assert_array_equal(g.elementwise["lossnotes"], [-np.inf, np.inf, -1.0, 1.0])
    # Keras: 0 wherever it clipped.
    np.testing.assert_array_equal(g.elementwise["keras"], [0.0, 0.0, 0.0, 0.0])
    # torch: (p - y) / max(p(1 - p), 1e-12) with a float 1e-12: 1/9.99999996e-13 in float64.
    big = 1 / float(np.float32(1e-12))
    np.testing.assert_allclose(g.elementwise["torch"], [-big, big, 0.0, 0.0], rtol=1e-15)


def test_bce_perfect_prediction_values():
    r64 = ln.compare("binary_cross_entropy", [1.0, 0.0], [1.0, 0.0])
    # log of the rounded 1 - 1e-7 (Keras uses log, not log1p): 1.0000000494736474e-07
    np.testing.assert_allclose(r64.elementwise["keras"], -np.log(1 - 1e-7), rtol=1e-12)
    np.testing.assert_array_equal(r64.elementwise["torch"], 0.0)
    r32 = ln.compare("binary_cross_entropy", f32([1.0, 0.0]), f32([1.0, 0.0]))
    expected = -np.log(np.float32(1) - np.float32(1e-7))  # 1.1920929e-07
    np.testing.assert_allclose(r32.elementwise["keras"], expected, rtol=1e-6)
    # The clipping note still applies: it explains the value, which here is within tolerance.
    assert any("clips probabilities" in n.text for n in r32.notes)


def test_bce_keras_log_of_one_minus_p_in_float32():
    r = ln.compare("binary_cross_entropy", f32([0.0]), f32([1e-4]))
    keras, exact = float(r.reduced["keras"]), float(r.reduced["lossnotes"])
    assert abs(keras / exact - 1) > 1e-4  # log(1 - p) after rounding 1 - p
    assert abs(float(r.reduced["torch"]) / exact - 1) < 1e-6  # log1p
    assert r.status == {"keras": "agree", "torch": "agree"}  # within the absolute floor
    assert any("log1p" in n.text for n in r.notes)


def test_bce_logit_edge_values():
    r = ln.compare("binary_cross_entropy", f32([1.0, 1.0]), f32([100.0, -100.0]),
                   from_logits=True)
    assert r.elementwise["keras"][0] == 0.0  # TensorFlow flushes the subnormal exp(-100)
    # torch 2.13 keeps the subnormal 3.9e-44; torch 2.0.1 flushed it to 0 as TensorFlow does.
    assert 0 <= r.elementwise["torch"][0] < 1e-43
    np.testing.assert_allclose(r.elementwise["keras"][1], 100.0)
    inf = np.inf
    r = ln.compare("binary_cross_entropy", [1.0, 1.0, 0.0, 0.0], [inf, -inf, inf, -inf],
                   from_logits=True)
    np.testing.assert_array_equal(r.elementwise["lossnotes"], [0.0, inf, inf, 0.0])
    np.testing.assert_array_equal(r.elementwise["keras"], [np.nan, inf, np.nan, np.nan])
    np.testing.assert_array_equal(r.elementwise["torch"], [np.nan, np.nan, inf, np.nan])


def test_categorical_renormalisation_values():
    r = ln.compare("categorical_cross_entropy", [[0.0, 1.0, 0.0]], [[0.2, 0.2, 0.2]])
    assert r.rows[0].status == "refused" and "sum to 1" in r.rows[0].error
    np.testing.assert_allclose(r.reduced["keras"], np.log(3), rtol=1e-12)
    np.testing.assert_allclose(r.reduced["torch"], np.log(3), rtol=1e-12)
    assert any("renormalised" in n.text and n.frameworks == ("keras",) for n in r.notes)
    s = ln.compare("sparse_categorical_cross_entropy", [1], [[0.2, 0.2, 0.2]])
    np.testing.assert_allclose(s.reduced["keras"], np.log(3), rtol=1e-12)
    np.testing.assert_allclose(s.reduced["torch"], -np.log(0.2), rtol=1e-12)  # nll_loss


def test_categorical_zero_probabilities():
    r = ln.compare("categorical_cross_entropy", f32([[0.0, 1.0, 0.0]]), f32([[0.5, 0.0, 0.5]]))
    np.testing.assert_allclose(r.reduced["keras"], 16.118095, rtol=1e-7)
    assert r.reduced["torch"] == np.inf == r.reduced["lossnotes"]
    r = ln.compare("categorical_cross_entropy", [[1.0, 0.0, 0.0]], [[0.5, 0.5, 0.0]])
    assert np.isnan(r.reduced["torch"])  # 0 * log 0 = 0 * -inf in torch's sum
    np.testing.assert_allclose(r.reduced["keras"], np.log(2), rtol=1e-12)
    g = ln.compare_grad("categorical_cross_entropy", [[1.0, 0.0, 0.0]], [[0.5, 0.5, 0.0]])
    np.testing.assert_allclose(g.elementwise["keras"], [[-1.0, 1.0, 1.0]], rtol=1e-12)
    assert np.isnan(g.elementwise["torch"][0, 2])


def test_categorical_gradients_differ_by_a_constant_per_row():
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    p = np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])
    g = ln.compare_grad("categorical_cross_entropy", y, p)
    for fw in ("keras", "torch"):
        d = g.elementwise[fw] - g.elementwise["lossnotes"]
        np.testing.assert_allclose(d, np.ones_like(d), rtol=1e-12)  # sum(y)/sum(p) = 1


def test_keras_softmax_gradient_assumes_targets_sum_to_one():
    y, z = np.array([[0.2, 0.3, 0.0]]), np.array([[1.0, -0.5, 2.0]])
    g = ln.compare_grad("categorical_cross_entropy", y, z, from_logits=True)
    softmax = ln.softmax(z)
    np.testing.assert_allclose(g.elementwise["keras"], softmax - y, rtol=1e-12)
    np.testing.assert_allclose(g.elementwise["torch"], 0.5 * softmax - y, rtol=1e-12)
    assert g.status == {"keras": "explained", "torch": "agree"}


def test_categorical_infinite_logits():
    inf = np.inf
    r = ln.compare("categorical_cross_entropy", [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]],
                   [[inf, 0.0, 0.0], [0.0, -inf, 0.0]], from_logits=True)
    np.testing.assert_allclose(r.elementwise["lossnotes"], [0.0, np.log(2)], rtol=1e-12)
    for fw in ("keras", "torch"):
        assert np.isnan(r.elementwise[fw]).all()


def test_hinge_label_conventions_values():
    r = ln.compare("hinge", [0.0, 1.0, 1.0], [0.5, 2.0, -1.0])
    assert r.rows[0].status == "refused" and "2*y - 1" in r.rows[0].error
    np.testing.assert_allclose(r.reduced["keras"], (1.5 + 0 + 2) / 3, rtol=1e-12)  # converted
    np.testing.assert_allclose(r.reduced["torch"], (1 + 0 + 2) / 3, rtol=1e-12)  # as given
    r = ln.compare("hinge", [0.0, 1.0, -1.0], [0.5, 2.0, -1.0])
    np.testing.assert_allclose(r.reduced["keras"], 1 / 3, rtol=1e-12)  # the -1 stops it
    assert any("does not convert" in n.text for n in r.notes)


def test_hinge_kink_gradient_and_hinge_embedding_note():
    g = ln.compare_grad("hinge", [1.0, -1.0, 1.0], [1.0, -1.0, 3.0])
    np.testing.assert_array_equal(g.elementwise["lossnotes"], [0.0, 0.0, 0.0])
    for fw in ("keras", "torch"):
        np.testing.assert_array_equal(g.elementwise[fw], [-1.0, 1.0, 0.0])
    assert any("kink" in n.text for n in g.notes)
    assert any("hinge_embedding_loss is a different loss" in n.text for n in g.notes)


def test_logistic_overflow_and_keras_route():
    r, g = both("logistic", [1.0, -1.0], [-1000.0, 800.0])
    np.testing.assert_allclose(r.elementwise["lossnotes"], [1000.0, 800.0])
    np.testing.assert_allclose(r.elementwise["keras"], [1000.0, 800.0])
    np.testing.assert_array_equal(r.elementwise["torch"], [np.inf, np.inf])
    assert np.isnan(g.elementwise["torch"]).all()
    np.testing.assert_allclose(g.elementwise["lossnotes"], [-1.0, 1.0])
    assert "(y_true + 1) / 2" in r.rows[1].call
    r32 = ln.compare("logistic", f32([1.0]), f32([-100.0]))
    assert r32.elementwise["torch"][0] == np.inf  # exp(100) overflows float32
    r = ln.compare("logistic", [1.0, -1.0], [np.inf, -np.inf])
    assert np.isnan(r.elementwise["keras"]).all()
    np.testing.assert_array_equal(r.elementwise["torch"], [0.0, 0.0])


def test_huber_and_smooth_l1_relation():
    for delta in (0.5, 1.0, 2.0):
        r = ln.compare("huber", [0.0, 0.0, 0.0, 1.0], [0.3, 1.0, -4.0, 1.5], delta=delta)
        agree(r)
        np.testing.assert_allclose(r.elementwise["torch smooth_l1"], r.elementwise["torch"],
                                   rtol=1e-15)


# --------------------------------------------------------------------------------------------
# the result: values, tolerance, rendering
# --------------------------------------------------------------------------------------------


def test_result_holds_per_sample_and_reduced_values():
    y = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
    p = np.array([[0.1, 0.8, 0.6], [0.9, 0.3, 0.5]])
    r = ln.compare("binary_cross_entropy", y, p)
    per_element = ln.binary_cross_entropy(y, p, reduction="none")
    np.testing.assert_allclose(r.elementwise["lossnotes"], per_element, rtol=0)
    for label in ("lossnotes", "keras", "torch"):
        assert r.per_sample[label].shape == (2,)  # Keras's mean over the last axis
        np.testing.assert_allclose(r.per_sample[label], per_element.mean(axis=1), rtol=1e-14)
        np.testing.assert_allclose(r.reduced[label], per_element.mean(), rtol=1e-14)
    assert set(r.max_abs_diff) == {"keras", "torch"}
    assert all(d < 1e-15 for d in r.max_abs_diff.values())
    assert r.agree == {"keras": True, "torch": True} and r.ok


def test_gradient_result_shapes():
    labels, z = np.array([2, 0]), np.array([[1.0, 2.0, 3.0], [0.5, 0.0, -1.0]])
    g = ln.compare_grad("sparse_categorical_cross_entropy", labels, z, from_logits=True)
    assert g.quantity == "gradient" and g.per_sample["torch"] is None
    expected = ln.sparse_categorical_cross_entropy_grad(labels, z, from_logits=True)
    for label in ("lossnotes", "keras", "torch"):
        np.testing.assert_allclose(g.elementwise[label], expected, rtol=1e-14, atol=1e-16)
        np.testing.assert_allclose(g.reduced[label], expected / 2, rtol=1e-14, atol=1e-16)


def test_class_axis_is_moved_for_each_framework():
    y = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])  # classes on axis 0: 3 classes, 2 rows
    p = np.array([[0.2, 0.5], [0.7, 0.3], [0.1, 0.2]])
    r = ln.compare("categorical_cross_entropy", y, p, axis=0)
    np.testing.assert_allclose(r.elementwise["keras"], [-np.log(0.7), -np.log(0.5)], rtol=1e-12)
    agree(r)
    assert any("moves axis 0" in n.text for n in r.notes)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_tolerance_is_chosen_from_the_dtype(dtype, rtol):
    r = ln.compare("mse", np.zeros(3, dtype), np.ones(3, dtype))
    assert r.tolerance.rtol == rtol
    assert r.tolerance.atol == 8 * np.finfo(dtype).eps
    assert r.tolerance.dtype == np.dtype(dtype).name
    assert str(r.tolerance).startswith(f"{np.dtype(dtype).name}: |a - b| <=")


@pytest.mark.parametrize("dtype, error", [(np.float64, 1e-10), (np.float32, 1e-4)])
def test_a_small_error_in_the_hand_formula_is_caught(monkeypatch, dtype, error):
    # The tolerance must be tight enough to see a wrong formula: scale lossnotes' MSE by
    # (1 + error) and compare must call it an unexplained difference.
    original = _registry.LOSSES["mse"].frameworks.hand
    patch_frameworks(monkeypatch, "mse",
                     hand=lambda mod, y, p, o: original(mod, y, p, o) * (1 + error))
    r = ln.compare("mse", np.zeros(4, dtype), np.linspace(1, 2, 4).astype(dtype))
    assert r.status == {"keras": "differs", "torch": "differs"} and not r.ok


def test_text_and_html_rendering():
    r = ln.compare("binary_cross_entropy", [1.0, 0.0], [0.0, 0.5])
    text = str(r)
    assert text == repr(r)
    lines = text.splitlines()
    assert lines[0] == ("binary_cross_entropy, from_logits=False: loss, float64, "
                        "y_pred shape (2,)")
    header = lines[2]
    for column in ("reduced", "per sample", "max|diff| exact", "max|diff| convention",
                   "status"):
        assert column in header
    rows = {line.split()[0]: line for line in lines[3:6]}
    assert rows["lossnotes"].split()[1] == "inf"
    assert rows["keras"].split()[1] == "8.4056214" and rows["keras"].endswith("explained")
    assert rows["torch"].split()[1] == "50.346574"
    # Columns are aligned: every status starts at the same position.
    assert len({line.rfind(line.split()[-1]) for line in lines[3:6]}) == 1
    assert "notes" in lines and "tolerance" in text
    page = r._repr_html_()
    assert page.startswith('<div class="lossnotes-comparison"><table><caption>')
    assert "&lt;=" in page  # escaped
    assert page.count("<tr>") == 4
    # Every header cell has text and a scope: columns in the head, one row header a row.
    assert re.findall(r"<th([^>]*)>([^<]*)</th>", page)[0] == (' scope="col"', "computed by")
    assert page.count('<th scope="col">') == 6 and page.count('<th scope="row">') == 3
    assert "<th>" not in page and '<th scope="col"></th>' not in page


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("grad", [False, True], ids=["loss", "gradient"])
def test_rendering_does_not_show_rounding_noise(monkeypatch, dtype, grad):
    # What another CPU changes (a last bit of lossnotes' exp or log, or of a framework's) must
    # not change the printed table: differences inside the tolerance are printed as that claim,
    # whether they are 0 or a few ulps, and values stop digits above their last bit.
    y = np.array([1.0, 0.0, 1.0, 0.0], dtype)
    z = np.array([2.5, -1.25, 0.3, 7.0], dtype)
    run = ln.compare_grad if grad else ln.compare
    before = run("logistic", np.where(y == 1, 1.0, -1.0).astype(dtype), z)
    method = "hand_grad" if grad else "hand"
    original = getattr(_registry.LOSSES["logistic"].frameworks, method)

    def nudged(mod, y_, p_, o):  # every value 2 ulps up: another CPU's libm
        out = np.asarray(original(mod, y_, p_, o))
        return out + 2 * np.spacing(out)

    patch_frameworks(monkeypatch, "logistic", **{method: nudged})
    after = run("logistic", np.where(y == 1, 1.0, -1.0).astype(dtype), z)
    assert before.max_abs_diff != after.max_abs_diff  # the noise is really there
    assert str(before) == str(after) and before._repr_html_() == after._repr_html_()
    assert "<= tol" in str(before)


def test_differences_outside_the_tolerance_are_printed_in_full(monkeypatch):
    original = _registry.LOSSES["mse"].frameworks.hand
    patch_frameworks(monkeypatch, "mse",
                     hand=lambda mod, y, p, o: original(mod, y, p, o) * (1 + 1e-9))
    r = ln.compare("mse", np.zeros(3), np.array([1.0, 2.0, 3.0]))
    table = {row[0]: dict(zip(r._table()[0], row, strict=True)) for row in r._table()[1:]}
    for label in ("keras", "torch"):
        # the largest error is the element 3: 3**2 * 1e-9
        assert table[label]["max|diff| exact"] == f"{r.max_abs_diff[label]:.2g}" == "9e-09"
        assert table[label]["status"] == "differs"
    bce = ln.compare("binary_cross_entropy", [1.0, 0.0], [0.0, 0.5])
    assert {row[0]: row[3] for row in bce._table()[2:]} == {"keras": "inf", "torch": "inf"}


def test_comparison_is_deterministic():
    a = ln.compare("huber", [0.0, 1.0], [2.0, -1.0])
    b = ln.compare("huber", [0.0, 1.0], [2.0, -1.0])
    assert str(a) == str(b)


# --------------------------------------------------------------------------------------------
# wrong calls are clear errors
# --------------------------------------------------------------------------------------------


def test_unknown_name():
    with pytest.raises(ValueError, match=r"unknown loss 'cross_entropy' \(did you mean "
                                         r"'binary_cross_entropy'.*compare covers: "
                                         r"hinge, squared_hinge, logistic, "
                                         r"binary_cross_entropy, categorical"):
        ln.compare("cross_entropy", [1.0], [0.5])
    with pytest.raises(ValueError, match=r"unknown loss 'mse_grad'"):
        ln.compare_grad("mse_grad", [1.0], [0.5])


def test_shapes_that_differ():
    with pytest.raises(ValueError, match=r"y_true has shape \(3,\) but y_pred has shape "
                                         r"\(3, 1\).*nothing is broadcast"):
        ln.compare("mse", [0.0, 1.0, 2.0], [[0.0], [1.0], [2.0]])
    with pytest.raises(ValueError, match=r"labels\) has shape \(3,\) but y_pred has shape "
                                         r"\(2, 3\).*expected labels of shape \(2,\)"):
        ln.compare("sparse_categorical_cross_entropy", [0, 1, 2], np.full((2, 3), 1 / 3))


def test_other_wrong_calls():
    with pytest.raises(TypeError, match=r"unexpected option\(s\) from_logits; expected: delta"):
        ln.compare("huber", [0.0], [1.0], from_logits=True)
    with pytest.raises(TypeError,
                       match=r"got unexpected option\(s\) delta; expected: sample_weight$"):
        ln.compare("mse", [0.0], [1.0], delta=1.0)
    with pytest.raises(ValueError, match=r"delta must be a positive finite number; found -1"):
        ln.compare("huber", [0.0], [1.0], delta=-1)
    with pytest.raises(ValueError, match=r"scalar; compare needs at least one axis"):
        ln.compare("mse", 0.0, 1.0)
    with pytest.raises(ValueError, match=r"frameworks must be a non-empty selection"):
        ln.compare("mse", [0.0], [1.0], frameworks=("jax",))
    with pytest.raises(ValueError, match=r"dtype float16; compare works in float32 or float64"):
        ln.compare("mse", [0.0], np.float16([1.0]))
    # Inputs refused under every convention are refused by compare, before any framework runs.
    with pytest.raises(ValueError, match=r"y_pred contains NaN"):
        ln.compare("binary_cross_entropy", [1.0], [np.nan])
    with pytest.raises(ValueError, match=r"y_pred must be probabilities in \[0, 1\]"):
        ln.compare("binary_cross_entropy", [1.0], [1.5])
    with pytest.raises(ValueError, match=r"labels in \{-1, \+1\}"):
        ln.compare("logistic", [0.0, 1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"labels must be class indices in \[0, 2\]"):
        ln.compare("sparse_categorical_cross_entropy", [3], [[0.2, 0.3, 0.5]])


def test_one_framework_only():
    r = ln.compare("mse", [0.0, 1.0], [1.0, 1.0], frameworks="torch")
    assert [row.label for row in r.rows] == ["lossnotes", "torch"]
    assert all("keras" not in n.frameworks for n in r.notes)


@pytest.mark.parametrize("axis", [(0, 2), (2, 1), None], ids=str)
def test_several_axes_agree_with_keras_ops_and_torch(axis):
    # The same axis argument as keras.ops.{softmax, log_softmax, logsumexp} and torch.logsumexp
    # (torch's softmax takes one dim): the same numbers, to the rounding of a few operations.
    keras, (torch, _) = _frameworks.keras(), _frameworks.torch()
    z = np.random.default_rng(11).normal(0, 5, (3, 4, 5))
    dims = tuple(range(3)) if axis is None else axis
    close = {"rtol": 1e-14, "atol": 1e-14}
    kept = ln.logsumexp(z, axis=axis, keepdims=True)
    np.testing.assert_allclose(kept, torch.logsumexp(torch.from_numpy(z), dim=dims,
                                                     keepdim=True).numpy(), **close)
    np.testing.assert_allclose(kept, np.asarray(keras.ops.logsumexp(z, axis=axis,
                                                                    keepdims=True)), **close)
    if isinstance(axis, tuple) and _frameworks.keras_before(
            _frameworks.KERAS_SOFTMAX_SEVERAL_AXES):
        return  # this Keras's softmax does not take several axes: nothing to compare with
    np.testing.assert_allclose(ln.softmax(z, axis=axis),
                               np.asarray(keras.ops.softmax(z, axis=axis)), **close)
    np.testing.assert_allclose(ln.log_softmax(z, axis=axis),
                               np.asarray(keras.ops.log_softmax(z, axis=axis)), **close)


def test_missing_framework_says_how_to_install(monkeypatch):
    monkeypatch.setattr(_frameworks, "_loaded", {})
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r"pip install torch --index-url "
                                          r"https://download\.pytorch\.org/whl/cpu"):
        ln.compare("mse", [0.0], [1.0], frameworks=("torch",))
    monkeypatch.setitem(sys.modules, "keras", None)
    with pytest.raises(_frameworks.FrameworkNotInstalledError,
                       match=r"pip install 'tensorflow-cpu>=2\.16\.1'"):
        ln.compare("mse", [0.0], [1.0])


def test_keras_huber_delta_dtype_follows_the_installed_release():
    # Keras before 3.4.0 makes huber's delta float32 and fails on float64 predictions; compare
    # then passes delta in y_pred's dtype and says so. Measured live on the installed Keras
    # (make oldest-test runs this on Keras 3.0.0, make test on the book's).
    keras = _frameworks.keras()
    y, p = np.zeros(3), np.array([0.5, 3.0, -2.0])
    old = _frameworks.keras_before(_frameworks.KERAS_HUBER_DELTA_IN_PRED_DTYPE)
    if old:
        with pytest.raises(Exception, match="LessEqual"):
            keras.losses.huber(y, p, delta=1.0)
    else:
        assert np.asarray(keras.losses.huber(y, p, delta=1.0)).dtype == np.float64
    for result in both("huber", y, p):
        assert result.status["keras"] == "agree", str(result)
        assert any("before 3.4.0" in n.text for n in result.notes) == old
    assert not any("before 3.4.0" in n.text for n in ln.compare("huber", f32(y), f32(p)).notes)


def test_keras_huber_old_release_branch(monkeypatch):
    # The branch for an old Keras, run on this one: delta as a float64 array agrees too.
    monkeypatch.setattr(_frameworks, "KERAS_HUBER_DELTA_IN_PRED_DTYPE", (99,))
    r = ln.compare("huber", [0.0, 0.0], [0.5, 3.0], delta=2.0)
    assert r.status["keras"] == "agree"
    assert any(n.frameworks == ("keras",) and "before 3.4.0" in n.text for n in r.notes)


def test_keras_2_is_refused_with_the_supported_range(monkeypatch):
    # TensorFlow 2.15 and older bring Keras 2 as tf.keras; compare says what it needs.
    monkeypatch.setattr(_frameworks, "_loaded", {})
    fake = type(sys)("keras")
    fake.__version__ = "2.15.0"
    monkeypatch.setitem(sys.modules, "keras", fake)
    with pytest.raises(_frameworks.FrameworkNotInstalledError,
                       match=r"Keras 2.15.0 is installed, whose tf.keras is Keras 2; .*needs "
                             r"TensorFlow 2\.16\.1 or newer with Keras 3\.0\.0 or newer"):
        ln.compare("mse", [0.0], [1.0], frameworks=("keras",))


# --------------------------------------------------------------------------------------------
# imports and environment
# --------------------------------------------------------------------------------------------


def test_import_is_lazy_and_tensorflow_is_quiet():
    script = textwrap.dedent("""
        import os, sys
        import lossnotes as ln
        assert not {"tensorflow", "torch", "keras"} & set(sys.modules), "eager import"
        r = ln.compare("mse", [0.0, 1.0], [1.0, 1.0], frameworks=("torch",))
        assert "torch" in sys.modules and "tensorflow" not in sys.modules
        ln.compare("mse", [0.0, 1.0], [1.0, 1.0])
        print(os.environ["TF_CPP_MIN_LOG_LEVEL"], os.environ["TF_ENABLE_ONEDNN_OPTS"])
    """)
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"  # a user's own setting is kept
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "0"]
    assert "oneDNN" not in done.stderr


# --------------------------------------------------------------------------------------------
# python -m lossnotes
# --------------------------------------------------------------------------------------------


def test_agreement_matrix(capsys):
    from lossnotes.__main__ import main

    assert main([]) == 0
    out = capsys.readouterr().out
    # The versions come first, as installed (read here from the imported modules).
    import keras
    import numpy
    import tensorflow
    import torch

    # The first line is read from the packages' metadata, which may lack the local label of
    # the module's __version__ (PyPI's torch 2.0.1 is "2.0.1", its module "2.0.1+cu117").
    first = out.splitlines()[0]
    public = [m.__version__.split("+")[0] for m in (numpy, tensorflow, keras, torch)]
    assert re.fullmatch(
        rf"lossnotes {re.escape(ln.__version__)} on Python {re.escape(sys.version.split()[0])} "
        r"found: NumPy {}(\+\S+)?, TensorFlow {}(\+\S+)?, Keras {}(\+\S+)?, torch {}(\+\S+)?"
        .format(*map(re.escape, public)), first), first
    assert (f"\nlossnotes {ln.__version__} against TensorFlow {tensorflow.__version__} (Keras "
            f"{keras.__version__}) and torch {torch.__version__}, NumPy {numpy.__version__}\n"
            in out)
    for name in _registry.COVERED:
        assert f"\n{name}\n" in out
    for kind in ("notes ", "random ", "edge "):
        assert f"\n{kind}" in out
    assert " 0 differs, 0 error" in out


def test_agreement_matrix_fails_on_an_unexplained_difference(monkeypatch, capsys):
    from lossnotes.__main__ import main

    original = _registry.LOSSES["mae"].frameworks.hand
    patch_frameworks(monkeypatch, "mae", hand=lambda mod, y, p, o: original(mod, y, p, o) + 1e-3)
    assert main(["--loss", "mae", "--kind", "random"]) == 1
    captured = capsys.readouterr()
    assert "DIFFERS" in captured.out and "differ without a documented explanation" in captured.err


# --------------------------------------------------------------------------------------------
# bad, odd and extreme input: a clear error, checked before anything runs
# --------------------------------------------------------------------------------------------

@contextlib.contextmanager
def _no_warnings():
    """Every warning raised inside the block is an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


EMPTY = [
    ("mse", [], []),
    ("huber", np.zeros((0, 2)), np.zeros((0, 2))),
    ("binary_cross_entropy", [], []),
    ("hinge", [], []),
    ("categorical_cross_entropy", np.zeros((0, 3)), np.zeros((0, 3))),
    ("sparse_categorical_cross_entropy", np.zeros(0, dtype=int), np.zeros((0, 3))),
]


@pytest.mark.parametrize("compare", [ln.compare, ln.compare_grad], ids=["loss", "grad"])
@pytest.mark.parametrize("name, y, p", EMPTY, ids=[c[0] for c in EMPTY])
def test_empty_input_is_refused_without_warnings(compare, name, y, p):
    # It used to report nan as "agree", with NumPy's "Mean of empty slice" warnings; lossnotes
    # itself refuses the mean of an empty loss.
    with _no_warnings():
        with pytest.raises(ValueError, match=r"y_pred has shape \(0,?.*\), no elements; compare "
                                             r"needs at least one \(it reports the mean"):
            compare(name, y, p)
    if name == "mse":
        with pytest.raises(ValueError, match=r"mean of an empty loss"):
            ln.mse(y, p)


@pytest.mark.parametrize("compare", [ln.compare, ln.compare_grad], ids=["loss", "grad"])
@pytest.mark.parametrize("value, shown", [
    ("False", r"'False' \(str\)"), (np.array([True, False]), r"array\(\[ True, False\]\)"),
    (1, r"1 \(int\)"), (None, r"None \(NoneType\)"), (np.array(True), r"array\(True\)"),
])
def test_from_logits_must_be_a_bool(compare, value, shown):
    for name, y, p in [("binary_cross_entropy", [1.0], [0.5]),
                       ("categorical_cross_entropy", [[1.0, 0.0]], [[0.5, 0.5]]),
                       ("sparse_categorical_cross_entropy", [0], [[0.5, 0.5]])]:
        with pytest.raises(TypeError, match=r"from_logits must be True or False; found " + shown):
            compare(name, y, p, from_logits=value)


def test_options_are_checked_before_the_inputs_and_the_frameworks(monkeypatch):
    def no_framework(*args):
        raise AssertionError("a framework was called")

    monkeypatch.setattr(_run, "_keras_values", no_framework)
    monkeypatch.setattr(_run, "_torch_values", no_framework)
    # the NaN would be refused too, but the option is the first thing compare reads
    with pytest.raises(TypeError, match=r"from_logits must be True or False"):
        ln.compare("binary_cross_entropy", [1.0], [np.nan], from_logits="False")
    with pytest.raises(TypeError, match=r"axis must be an integer"):
        ln.compare_grad("categorical_cross_entropy", [[1.0]], [[np.nan]], axis=None)


def test_numpy_bool_and_integer_options_are_accepted():
    r = ln.compare("binary_cross_entropy", [1.0, 0.0], [0.5, 0.25], from_logits=np.True_,
                   frameworks=("torch",))
    assert r.options == {"from_logits": True} and type(r.options["from_logits"]) is bool
    plain = ln.compare("binary_cross_entropy", [1.0, 0.0], [0.5, 0.25], from_logits=True,
                       frameworks=("torch",))
    assert str(r) == str(plain)
    r = ln.compare("categorical_cross_entropy", [[0.0, 1.0], [1.0, 0.0]],
                   [[0.3, 0.9], [0.7, 0.1]], axis=np.int64(0), frameworks=("torch",))
    assert r.options["axis"] == 0 and type(r.options["axis"]) is int


@pytest.mark.parametrize("compare", [ln.compare, ln.compare_grad], ids=["loss", "grad"])
@pytest.mark.parametrize("axis, shown", [(True, r"True \(bool\)"), (1.5, r"1\.5 \(float\)"),
                                         (None, r"None \(NoneType\)"), ("1", r"'1' \(str\)"),
                                         (np.bool_(False), r"(np\.)?False_? \(bool_?\)")])
def test_axis_must_be_an_integer(compare, axis, shown):
    # axis=True was taken as 1; 1.5 and None crashed inside NumPy.
    for name, y in [("categorical_cross_entropy", [[1.0, 0.0]]),
                    ("sparse_categorical_cross_entropy", [0])]:
        with pytest.raises(TypeError, match=r"axis must be an integer; found " + shown):
            compare(name, y, [[0.5, 0.5]], axis=axis)


def test_delta_must_be_a_number_not_a_bool():
    for delta in (True, False, np.True_, "1.0", None, np.nan):
        with pytest.raises(ValueError, match=r"delta must be a positive finite number; found"):
            ln.compare("huber", [0.0], [1.0], delta=delta)


@pytest.mark.parametrize("frameworks", [None, 3, (), ["keras", "jax"]])
def test_frameworks_must_be_a_selection(frameworks):
    with pytest.raises(ValueError, match=r"frameworks must be a non-empty selection of "
                                         r"\('keras', 'torch'\); found "):
        ln.compare("mse", [0.0], [1.0], frameworks=frameworks)


def test_a_frameworks_warning_becomes_a_note(monkeypatch):
    # A warning a framework gives about the input is part of the result; it does not escape
    # from compare (nor turn the row into an error where warnings are errors, as here).
    (label, text, original), = _registry.LOSSES["mse"].frameworks.torch

    def warns(*args):
        warnings.warn("target size differs\nsecond line", UserWarning, stacklevel=1)
        return original(*args)

    patch_frameworks(monkeypatch, "mse", torch=((label, text, warns),))
    with _no_warnings():
        r = ln.compare("mse", [0.0, 1.0], [1.0, 1.0], frameworks=("torch",))
    assert r.status == {"torch": "agree"}
    assert [str(n) for n in r.notes if "warned" in n.text] == [
        "torch: torch warned: UserWarning: target size differs"]
    assert "torch warned: UserWarning: target size differs" in str(r)


# --------------------------------------------------------------------------------------------
# python -m lossnotes: a selection that matches nothing is a usage error
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("argv, message", [
    (["--loss", "mse", "--kind", "notes"],
     r"the selection --loss mse --kind notes matches no case \(mse has edge, random cases\)"),
    (["--kind", "notes", "--loss", "hinge", "--loss", "mae", "--kind", "notes"],
     r"the selection --loss hinge --loss mae --kind notes matches no case \(hinge has edge, "
     r"random cases; mae has edge, random cases\)"),
    (["--loss", "MSE"], r"unknown loss 'MSE' \(did you mean 'mse'\?\); covered: "
                        r"hinge, squared_hinge, logistic, binary_cross_entropy, "),
    (["--loss", "Squared-Hinge"], r"unknown loss 'Squared-Hinge' \(did you mean "
                                  r"'squared_hinge'\?\)"),
    (["--loss", "cross_entropy"], r"unknown loss 'cross_entropy' \(did you mean "
                                  r"'binary_cross_entropy', 'categorical_cross_entropy', "
                                  r"'sparse_categorical_cross_entropy'\?\)"),
    (["--loss", "zzz"], r"unknown loss 'zzz'; covered: "),
])
def test_agreement_matrix_refuses_a_selection_of_nothing(argv, message, capsys, monkeypatch):
    from lossnotes.__main__ import main

    def no_frameworks(*args, **kwargs):
        raise AssertionError("a framework was imported")

    monkeypatch.setattr(_frameworks, "versions", no_frameworks)
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert re.search(r"python -m lossnotes: error: .*" + message, captured.err), captured.err


def test_agreement_matrix_selection_error_imports_no_framework():
    # In a fresh interpreter: the error comes before TensorFlow or torch is imported (they take
    # seconds, and a typo should not wait for them).
    script = textwrap.dedent("""
        import sys
        from lossnotes.__main__ import main
        for argv in (["--loss", "mse", "--kind", "notes"], ["--loss", "MSE"]):
            try:
                main(argv)
                code = 0
            except SystemExit as exc:
                code = exc.code
            print(code, *sorted({"tensorflow", "torch", "keras"} & set(sys.modules)))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.stdout.split("\n")[:2] == ["2", "2"], done.stdout + done.stderr
    assert "matches no case" in done.stderr and "did you mean 'mse'" in done.stderr


# --- the compact rendering ---------------------------------------------------------------------

def test_compact_keeps_only_the_notes_of_this_call():
    # Both frameworks agree on MSE away from any guard: every note is general, none is shown.
    full = ln.compare("mse", [1.5, 0.0, -2.0, 3.0], [1.0, 0.5, -2.0, 1.0])
    assert set(full.status.values()) == {"agree"}
    short = full.compact()
    assert short.specific == ()
    assert set(short.general) == set(full.notes) and full.notes
    text = str(short)
    assert "(y_pred, y_true)" in str(full) and "(y_pred, y_true)" not in text  # torch's order
    assert f"{len(full.notes)} general notes not shown" in text
    for label, status in [("lossnotes", "exact"), ("keras", "agree"), ("torch", "agree")]:
        assert re.search(rf"^{label}\s+\S+\s+{status}$", text, re.MULTILINE), label


def test_compact_shows_the_notes_that_explain_a_verdict():
    # A certain and wrong prediction: Keras's clip and torch's clamp explain the two verdicts;
    # torch's argument order explains nothing and stays folded.
    full = ln.compare("binary_cross_entropy", np.float32([1, 0, 1, 0]), np.float32([0, 1, 1, 0]))
    assert full.status == {"keras": "explained", "torch": "explained"}
    short = full.compact()
    assert all(n.explains for n in short.specific)
    assert {f for n in short.specific for f in n.frameworks} == {"keras", "torch"}
    assert not any("(y_pred, y_true)" in n.text for n in short.specific)
    assert any("(y_pred, y_true)" in n.text for n in short.general)
    text = str(short)
    assert "clips probabilities" in text and "clamps each log at -100" in text
    assert len(short.specific) + len(short.general) == len(full.notes)


def test_compact_leaves_the_full_rendering_as_it_was():
    full = ln.compare_grad("hinge", [1.0, 1.0, 1.0, -1.0], [1.0, 0.5, 2.0, 2.0])
    before, before_html = str(full), full._repr_html_()
    short = full.compact()
    assert str(full) == before and full._repr_html_() == before_html
    assert str(short).splitlines()[0] == before.splitlines()[0]  # the same title
    page = short._repr_html_()
    # the general notes fold behind a toggle, the specific ones are in the open
    assert page.count("<details>") == 1 and f"{len(short.general)} general notes" in page
    opened, folded = page.split("<details>")
    assert all(html.escape(n.text) in opened for n in short.specific)
    assert all(html.escape(n.text) in folded for n in short.general)
