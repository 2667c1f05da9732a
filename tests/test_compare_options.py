"""compare and compare_grad with the options of the cross-entropies (issue 14): sample_weight,
class_weight, pos_weight, label_smoothing and ignore_index, against live tf.keras and torch.

Each expected number is computed here by an independent hand formula in NumPy (the losses from
log-softmax and softplus written out, the means as the frameworks document them: Keras's
``sum_over_batch_size`` divides the weighted sum by the number of values, torch's
``cross_entropy(weight=)`` by the sum of the labels' class weights, a mean written by hand by
``w.sum()``); compare's rows are the frameworks' own numbers. The registry's option cases (the
agreement matrix) are run by ``tests/test_compare.py``.
"""

from importlib.metadata import version

import numpy as np
import pytest
from packaging.version import Version

import lossnotes as ln
from lossnotes import _registry
from lossnotes._compare import _run

RNG = np.random.default_rng(20261129)
Z = RNG.normal(0, 2, (6, 4))
LABELS = np.array([0, 3, 1, 1, 2, 0])
W = RNG.uniform(0.5, 2.0, 6).round(2)
C = np.array([1.0, 2.5, 0.5, 4.0])


def _log_softmax(z):
    m = z.max(axis=-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def _softplus(x):
    return np.logaddexp(0, x)


def _reduced(r):
    return {k: float(v) for k, v in r.reduced.items()}


#: Before Keras 3.13.0 Keras's mean over the labels that ``ignore_class`` keeps divides by their
#: number plus its epsilon (1e-7): compare leaves Keras out of a float64 call with
#: ``ignore_index`` there, and says why (the record's ``keras_unavailable``).
KERAS_EXACT_MASKED_MEAN = Version(version("keras")) >= Version("3.13.0")


def _keras_compared(r, y_pred, **options) -> bool:
    """Whether the sparse cross-entropy's result ``r`` has a Keras row: on a Keras before
    3.13.0 a float64 call with ``ignore_index`` has none, only a note of Keras that gives the
    record's reason and explains nothing; every other call has one."""
    left_out = (not KERAS_EXACT_MASKED_MEAN and np.asarray(y_pred).dtype == np.float64
                and options.get("ignore_index") is not None)
    reason = _registry.LOSSES["sparse_categorical_cross_entropy"].frameworks.keras_unavailable(
        np.asarray(y_pred), options)
    assert (reason is not None) == left_out, reason
    keras_notes = [n for n in r.notes if n.frameworks == ("keras",)]
    if left_out:
        assert "keras" not in r.status and all(row.framework != "keras" for row in r.rows)
        assert [(n.text, n.explains) for n in keras_notes if n.text == reason] == [
            (reason, False)]
        assert reason.startswith("not compared with Keras: before 3.13.0")
    else:
        assert "keras" in r.status
        assert not any(n.text.startswith("not compared with Keras") for n in keras_notes)
    return not left_out


def _no_unexplained(r):
    assert r.ok, str(r)
    for row in r.rows[1:]:
        assert row.status in ("agree", "explained"), str(r)
        if row.status == "explained":
            assert any(row.framework in n.frameworks and n.explains for n in r.notes), str(r)


# --------------------------------------------------------------------------------------------
# the weighted means of each framework
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_sample_weight_keras_divides_by_n_torch_and_lossnotes_by_the_weights(dtype, rtol):
    y = (RNG.random(6) < 0.5).astype(dtype)
    p = RNG.uniform(0.05, 0.95, 6).astype(dtype)
    terms = -(y * np.log(p.astype(np.float64)) + (1 - y) * np.log1p(-p.astype(np.float64)))
    r = ln.compare("binary_cross_entropy", y, p, sample_weight=W)
    got = _reduced(r)
    assert got["keras"] == pytest.approx((W * terms).sum() / 6, rel=rtol)
    assert got["torch"] == pytest.approx((W * terms).sum() / W.sum(), rel=rtol)
    assert got["lossnotes"] == pytest.approx((W * terms).sum() / W.sum(), rel=rtol)
    np.testing.assert_allclose(r.elementwise["keras"], W * terms, rtol=rtol)
    assert r.status == {"keras": "explained", "torch": "agree"}
    note = next(n.text for n in r.notes if n.frameworks == ("keras",) and n.explains)
    assert f"= 6, lossnotes' by the sum of the weights, sum of w_i = {W.sum():.6g}" in note
    assert "sum_over_batch_size" in note


def test_the_notes_example_ratio_7_over_3():
    r = ln.compare("binary_cross_entropy", [1.0, 0.0, 1.0], [0.8, 0.3, 0.6],
                   sample_weight=[1.0, 2.0, 4.0])
    note = next(n.text for n in r.notes if n.frameworks == ("keras",) and n.explains)
    assert "lossnotes' times 2.33333 (7/3)" in note
    assert float(r.reduced["keras"]) == pytest.approx(float(r.reduced["lossnotes"]) * 7 / 3,
                                                      rel=1e-12)


def test_sample_weight_gradient_of_each_mean():
    y = (RNG.random(6) < 0.5).astype(float)
    z = RNG.normal(0, 2, 6)
    r = ln.compare_grad("binary_cross_entropy", y, z, from_logits=True, sample_weight=W)
    # d/dz of w softplus terms = w (sigmoid(z) - y), by hand
    g = W * (1 / (1 + np.exp(-z)) - y)
    for fw in ("lossnotes", "keras", "torch"):
        np.testing.assert_allclose(r.elementwise[fw], g, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(r.reduced["keras"], g / 6, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(r.reduced["torch"], g / W.sum(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(r.reduced["lossnotes"], g / W.sum(), rtol=1e-12, atol=1e-15)
    assert r.status == {"keras": "explained", "torch": "agree"}


def test_class_weight_keras_fit_weights_torch_weight_divides_by_their_sum():
    terms = -_log_softmax(Z)[np.arange(6), LABELS]
    v = C[LABELS]
    r = ln.compare("sparse_categorical_cross_entropy", LABELS, Z, from_logits=True,
                   class_weight=C)
    got = _reduced(r)
    assert got["keras"] == pytest.approx((v * terms).sum() / 6, rel=1e-12)
    assert got["torch"] == pytest.approx((v * terms).sum() / v.sum(), rel=1e-12)
    assert got["lossnotes"] == pytest.approx((v * terms).sum() / v.sum(), rel=1e-12)
    assert r.status == {"keras": "explained", "torch": "agree"}
    assert "sample_weight=c[class of each sample]" in r.rows[1].call
    assert "weight=c" in r.rows[2].call


def test_class_weight_with_soft_targets_keras_weighs_the_argmax_class():
    y = np.array([[0.7, 0.3, 0.0, 0.0], [0.0, 0.2, 0.2, 0.6]])
    z = Z[:2]
    per_class = -(y * _log_softmax(z))
    r = ln.compare("categorical_cross_entropy", y, z, from_logits=True, class_weight=C)
    np.testing.assert_allclose(r.elementwise["lossnotes"], (C * per_class).sum(-1), rtol=1e-12)
    np.testing.assert_allclose(r.elementwise["torch"], (C * per_class).sum(-1), rtol=1e-12)
    np.testing.assert_allclose(r.elementwise["keras"], C[[0, 3]] * per_class.sum(-1),
                               rtol=1e-12)
    # torch's mean with probability targets divides by the number of rows
    assert float(r.reduced["torch"]) == pytest.approx((C * per_class).sum() / 2, rel=1e-12)
    assert r.status == {"keras": "explained", "torch": "explained"}
    assert any("argmax" in n.text and n.explains for n in r.notes)


@pytest.mark.parametrize("weights", [False, True], ids=["plain", "weighted"])
def test_ignore_index_padding(weights):
    labels = np.array([0, -100, 1, 1, -100, 0])
    kept = labels != -100
    terms = np.where(kept, -_log_softmax(Z)[np.arange(6), np.where(kept, labels, 0)], 0)
    w = W if weights else np.ones(6)
    kw = {"sample_weight": W} if weights else {}
    r = ln.compare("sparse_categorical_cross_entropy", labels, Z, from_logits=True,
                   ignore_index=-100, **kw)
    got = _reduced(r)
    assert got["lossnotes"] == pytest.approx((w * terms).sum() / w[kept].sum(), rel=1e-12)
    keras = _keras_compared(r, Z, ignore_index=-100, **kw)
    if keras:
        assert got["keras"] == pytest.approx((w * terms).sum() / kept.sum(), rel=1e-12)
        assert "ignore_class=-100" in r.rows[1].call
    # torch: its own mean leaves the ignored labels out; a mean by hand divides by w.sum()
    assert got["torch"] == pytest.approx((w * terms).sum() / (w.sum() if weights else 4),
                                         rel=1e-12)
    assert "ignore_index=-100" in r.rows[-1].call
    want = "explained" if weights else "agree"
    assert r.status == ({"keras": want} if keras else {}) | {"torch": want}
    _no_unexplained(r)


@pytest.mark.parametrize("q", [3.0, np.array([0.5, 1.0, 2.0, 4.0])], ids=["single", "per-output"])
def test_pos_weight(q):
    y = (RNG.random((6, 4)) < 0.5).astype(float)
    terms = q * y * _softplus(-Z) + (1 - y) * _softplus(Z)
    r = ln.compare("binary_cross_entropy", y, Z, from_logits=True, pos_weight=q)
    for fw in ("lossnotes", "keras", "torch"):
        np.testing.assert_allclose(r.elementwise[fw], terms, rtol=1e-12)
        assert float(r.reduced[fw]) == pytest.approx(terms.mean(), rel=1e-12)
    assert r.status == {"keras": "agree", "torch": "agree"}
    assert "tf.nn.weighted_cross_entropy_with_logits" in r.rows[1].call
    assert "pos_weight=" in r.rows[2].call


def test_pos_weight_needs_logits_in_both_frameworks():
    r = ln.compare("binary_cross_entropy", [1.0, 0.0], [0.8, 0.3], pos_weight=2.0)
    assert r.status == {"keras": "error", "torch": "error"}
    assert r.rows[0].status == "exact"
    assert float(r.reduced["lossnotes"]) == pytest.approx(
        -(2 * np.log(0.8) + np.log(0.7)) / 2, rel=1e-12)
    assert all("pos_weight needs from_logits=True" in row.error for row in r.rows[1:])


@pytest.mark.parametrize("a", [0.0, 0.1, 1.0])
@pytest.mark.parametrize("name", ["binary_cross_entropy", "categorical_cross_entropy",
                                  "sparse_categorical_cross_entropy"])
def test_label_smoothing(name, a):
    if name == "binary_cross_entropy":
        y = (RNG.random((6, 4)) < 0.5).astype(float)
        t = y * (1 - a) + a / 2  # Keras's definition, which torch's call writes by hand
        terms = t * _softplus(-Z) + (1 - t) * _softplus(Z)
        y_true = y
    else:
        t = np.eye(4)[LABELS] * (1 - a) + a / 4
        terms = -(t * _log_softmax(Z)).sum(-1)
        y_true = LABELS if name.startswith("sparse") else np.eye(4)[LABELS]
    r = ln.compare(name, y_true, Z, from_logits=True, label_smoothing=a)
    for fw in ("lossnotes", "keras", "torch"):
        np.testing.assert_allclose(r.elementwise[fw], terms, rtol=1e-12)
        assert float(r.reduced[fw]) == pytest.approx(terms.mean(), rel=1e-12)
    assert r.status == {"keras": "agree", "torch": "agree"}
    g = ln.compare_grad(name, y_true, Z, from_logits=True, label_smoothing=a)
    _no_unexplained(g)


def test_the_keras_sparse_loss_is_smoothed_through_one_hot_rows():
    r = ln.compare("sparse_categorical_cross_entropy", LABELS, Z, from_logits=True,
                   label_smoothing=0.1)
    assert r.rows[1].call.startswith("keras.losses.CategoricalCrossentropy(label_smoothing=0.1")
    assert any("has no label_smoothing" in n.text for n in r.notes if n.frameworks == ("keras",))
    # Keras cannot smooth and ignore labels in one loss: its row is an error, with the reason
    # (a Keras before 3.13.0 is left out of this float64 call, as of every one with ignore_index)
    r = ln.compare("sparse_categorical_cross_entropy", np.array([0, -100, 1, 1, 2, 0]), Z,
                   from_logits=True, label_smoothing=0.1, ignore_index=-100)
    if _keras_compared(r, Z, from_logits=True, label_smoothing=0.1, ignore_index=-100):
        assert r.status["keras"] == "error" and "ignore_class" in r.rows[1].error
    assert r.status["torch"] == "agree"


def test_smoothed_class_weighted_means_divide_differently():
    labels = np.array([0, 2, 2])
    z = Z[:3, :3]
    c = C[:3]
    t = np.eye(3)[labels] * 0.8 + 0.2 / 3
    terms = -(c * t * _log_softmax(z)).sum(-1)
    r = ln.compare("sparse_categorical_cross_entropy", labels, z, from_logits=True,
                   label_smoothing=0.2, class_weight=c)
    got = _reduced(r)
    assert got["lossnotes"] == pytest.approx(terms.sum() / (c * t).sum(), rel=1e-12)
    assert got["torch"] == pytest.approx(terms.sum() / c[labels].sum(), rel=1e-12)
    assert r.status["torch"] == "explained"


@pytest.mark.parametrize("compare", [ln.compare, ln.compare_grad], ids=["loss", "grad"])
def test_options_with_the_classes_on_another_axis(compare):
    z = RNG.normal(0, 2, (2, 4, 3))  # classes on axis 1
    labels = np.array([[0, 3, -100], [1, -100, 2]])
    w = np.array([1.0, 3.0])  # one weight per sample: the leading axis
    kept = labels != -100
    log_p = np.moveaxis(_log_softmax(np.moveaxis(z, 1, -1)), -1, 1)
    i, j = np.indices(labels.shape)
    terms = np.where(kept, -log_p[i, np.where(kept, labels, 0), j], 0) * w[:, None]
    r = compare("sparse_categorical_cross_entropy", labels, z, from_logits=True, axis=1,
                ignore_index=-100, sample_weight=w)
    _no_unexplained(r)
    keras = _keras_compared(r, z, from_logits=True, axis=1, ignore_index=-100, sample_weight=w)
    if compare is ln.compare:
        for fw in ("lossnotes", "torch") + (("keras",) if keras else ()):
            np.testing.assert_allclose(r.elementwise[fw], terms, rtol=1e-12)
        if keras:
            assert float(r.reduced["keras"]) == pytest.approx(terms.sum() / 4, rel=1e-12)


def test_the_option_cases_of_the_matrix_cover_every_option():
    for name in ("binary_cross_entropy", "categorical_cross_entropy",
                 "sparse_categorical_cross_entropy"):
        extra = _registry.LOSSES[name].extra_options
        edges = [c for c in _registry.cases(name) if c.kind == "edge"]
        seeded = [c for c in _registry.cases(name) if c.kind == "random"]
        for option in extra:
            assert any(option in c.options for c in edges), (name, option)
        assert {k for c in seeded for k in c.options} >= set(extra) - {"pos_weight"} - (
            {"class_weight"} if name == "binary_cross_entropy" else set())
        smoothing = {c.options["label_smoothing"] for c in edges if "label_smoothing" in c.options}
        assert {1.0} <= smoothing and (0.0 in smoothing or name != "binary_cross_entropy")


def test_options_are_shown_only_when_given():
    r = ln.compare("binary_cross_entropy", [1.0], [0.5], frameworks=("torch",))
    assert r.options == {"from_logits": False}
    r = ln.compare("binary_cross_entropy", [1.0], [0.5], frameworks=("torch",),
                   label_smoothing=0)
    assert r.options == {"from_logits": False, "label_smoothing": 0.0}


# --------------------------------------------------------------------------------------------
# a wrong option value is refused before anything is run
# --------------------------------------------------------------------------------------------

BAD = [
    ("binary_cross_entropy", {"sample_weight": [1.0, -1.0]}, ValueError,
     r"sample_weight must hold finite, non-negative weights; found -1\.0"),
    ("binary_cross_entropy", {"sample_weight": [1.0, np.nan]}, ValueError,
     "sample_weight must hold finite, non-negative weights; found nan"),
    ("binary_cross_entropy", {"sample_weight": [1.0, 2.0, 3.0]}, ValueError,
     r"sample_weight has shape \(3,\) but the unreduced loss .* has shape \(2,\)"),
    ("binary_cross_entropy", {"pos_weight": [1.0, 2.0, 3.0], "from_logits": True}, ValueError,
     r"pos_weight has shape \(3,\); expected a single weight"),
    ("binary_cross_entropy", {"pos_weight": -2.0, "from_logits": True}, ValueError,
     "pos_weight must hold finite, non-negative weights"),
    ("binary_cross_entropy", {"label_smoothing": 1.5}, ValueError, "label_smoothing"),
    ("binary_cross_entropy", {"label_smoothing": "0.1"}, TypeError, "label_smoothing"),
    ("binary_cross_entropy", {"class_weight": [1.0, 2.0]}, TypeError,
     r"unexpected option\(s\) class_weight; expected: from_logits, sample_weight, pos_weight, "
     "label_smoothing"),
    ("categorical_cross_entropy", {"class_weight": [1.0, 2.0, 3.0]}, ValueError,
     r"class_weight has shape \(3,\); expected one weight per class, shape \(2,\)"),
    ("categorical_cross_entropy", {"ignore_index": -100}, TypeError,
     r"unexpected option\(s\) ignore_index"),
    ("sparse_categorical_cross_entropy", {"ignore_index": 1.5}, TypeError,
     "ignore_index must be an integer"),
    ("sparse_categorical_cross_entropy", {"class_weight": [[1.0, 2.0]]}, ValueError,
     r"class_weight has shape \(1, 2\)"),
]


@pytest.mark.parametrize("compare", [ln.compare, ln.compare_grad], ids=["loss", "grad"])
@pytest.mark.parametrize("name, options, error, message", BAD,
                         ids=[f"{b[0]}-{sorted(b[1])[0]}-{i}" for i, b in enumerate(BAD)])
def test_a_wrong_option_is_refused_before_anything_runs(monkeypatch, compare, name, options,
                                                        error, message):
    def no_framework(*args):
        raise AssertionError("a framework was called")

    for runner in ("_keras_values", "_keras_option_values", "_torch_values", "_option_values"):
        monkeypatch.setattr(_run, runner, no_framework)
    y, p = {"binary_cross_entropy": ([1.0, 0.0], [0.5, 0.25]),
            "categorical_cross_entropy": ([[1.0, 0.0]], [[0.5, 0.5]]),
            "sparse_categorical_cross_entropy": ([1], [[0.5, 0.5]])}[name]
    with pytest.raises(error, match=message):
        compare(name, y, p, **options)
