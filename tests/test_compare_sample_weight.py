"""compare and compare_grad with ``sample_weight`` on every loss whose record takes it (issue 14).

The losses come from the registry: every covered record whose function takes ``sample_weight``
(the cross-entropies, whose options have their own tests in tests/test_compare_options.py, and
every other one). Each is run on its first seeded batch of the agreement matrix twice, without
and with weights, and the weighted numbers are checked against the unweighted ones by hand:
each framework's weighted values are its own unweighted values times the weights; lossnotes'
and torch's means divide their weighted sum by the sum of the weights, Keras's loss object's
mean (``sum_over_batch_size``) by the number of values; the derivatives likewise. Where Keras's
mean differs from lossnotes', the note must give both divisors and their ratio, computed here
from the weights. Each such loss also has a weighted case in the agreement matrix, with a
weight 0 that must drop its sample out of every framework's values.
"""

import inspect

import numpy as np
import pytest

import lossnotes as ln
from lossnotes import _registry
from lossnotes._compare import _run

WEIGHTED = [name for name in _registry.COVERED
            if "sample_weight" in _registry.LOSSES[name].extra_options]
RTOL = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 2e-6}


def test_every_record_whose_function_takes_sample_weight_takes_it_in_compare():
    takes = [name for name in _registry.COVERED if "sample_weight" in inspect.signature(
        _registry.LOSSES[name].function).parameters]
    assert takes == WEIGHTED
    assert {"mse", "mae", "huber", "hinge", "logistic", "kl_divergence", "poisson",
            "binary_focal_cross_entropy", "circle", "margin_ranking_loss"} <= set(WEIGHTED)


def _batch(name):
    case = next(c for c in _registry.cases(name) if c.kind == "random")
    return (case.y_true, case.y_pred, *case.more), case.options


def _weights(shape, per_sample: bool):
    """Seeded weights in [0.5, 3], one per value of the unreduced loss or one per sample (its
    leading axis); their mean is not 1, so Keras's mean differs from lossnotes'."""
    rng = np.random.default_rng(sum(shape) + 7 * per_sample)
    return rng.uniform(0.5, 3.0, shape[:1] if per_sample else shape).round(3)


def _spread(w, shape):
    """The weights over the unreduced loss's ``shape`` (one per sample: repeated along the rest)."""
    return np.broadcast_to(np.reshape(w, w.shape + (1,) * (len(shape) - w.ndim)), shape)


def _over_gradient(w, loss_shape, inputs, options, grad_shape):
    """The weights over the derivative's shape: one weight per row repeated along the row's
    axis (the class axis, or the embeddings' last axis), then along the stacked inputs; one
    weight per sequence (CTC) repeated along its frames and classes."""
    w = _spread(w, loss_shape).astype(np.float64)
    extra = len(np.shape(inputs[1] if len(inputs) == 2 else inputs[0])) - len(loss_shape)
    if extra == 1 and len(inputs) == 2:
        w = np.expand_dims(w, options.get("axis", -1) % np.ndim(inputs[1]))
    elif extra > 0:
        w = np.reshape(w, w.shape + (1,) * extra)
    return np.broadcast_to(w, grad_shape)


def _close(actual, desired, dtype):
    np.testing.assert_allclose(np.asarray(actual, np.float64), np.asarray(desired, np.float64),
                               rtol=RTOL[dtype], atol=0, equal_nan=True)


def _ratio_note(r, framework, ours, theirs):
    """The divisor note of ``framework``, which must give both divisors and their ratio."""
    text = next(n.text for n in r.notes if n.frameworks == (framework,) and n.explains
                and "divides the weighted sum" in n.text)
    assert f"= {theirs:.6g}, lossnotes' by" in text, text
    assert f"lossnotes' times {ours / theirs:.6g} ({ours:.6g}/{theirs:.6g})" in text, text


@pytest.mark.parametrize("per_sample", [False, True], ids=["per-value", "per-sample"])
@pytest.mark.parametrize("name", WEIGHTED)
def test_the_weighted_mean_of_each_framework(name, per_sample):
    inputs, options = _batch(name)
    plain = ln.compare(name, *inputs, **options)
    values = plain.elementwise["lossnotes"]
    shape, dtype = values.shape, values.dtype
    if per_sample and len(shape) < 2:
        pytest.skip("one axis: a weight per sample is a weight per value")
    w = _weights(shape, per_sample)
    spread = _spread(w, shape)
    r = ln.compare(name, *inputs, **options, sample_weight=w)
    assert r.rows[0].status == "exact"
    # lossnotes: sum(w l) / sum(w), from its unweighted values
    _close(r.elementwise["lossnotes"], spread * values, dtype)
    _close(r.reduced["lossnotes"], np.sum(spread * values) / spread.sum(), dtype)
    for row in r.rows[1:]:
        if row.status == "absent":
            continue
        assert row.status in ("agree", "explained"), str(r)
        theirs = plain.elementwise[row.label].astype(np.float64)
        _close(row.values.elementwise, spread * theirs, dtype)
        divisor = spread.size if row.framework == "keras" else spread.sum()
        _close(row.values.reduced, np.sum(spread * theirs) / divisor, dtype)
        if row.framework == "keras":
            assert "sample_weight=w" in row.call
            _ratio_note(r, "keras", spread.sum(), spread.size)
        else:
            assert "w.sum()" in row.call
    assert "sample_weight=w" in r.rows[0].call
    assert not any(n.frameworks == ("torch",) and "divides the weighted sum" in n.text
                   for n in r.notes)


@pytest.mark.parametrize("name", WEIGHTED)
def test_the_weighted_derivative_of_each_framework(name):
    inputs, options = _batch(name)
    loss_shape = ln.compare(name, *inputs, **options).elementwise["lossnotes"].shape
    plain = ln.compare_grad(name, *inputs, **options)
    g = plain.elementwise["lossnotes"]
    w = _weights(loss_shape, per_sample=False)
    spread = _spread(w, loss_shape)
    over = _over_gradient(w, loss_shape, inputs, options, g.shape)
    r = ln.compare_grad(name, *inputs, **options, sample_weight=w)
    batch = _registry.LOSSES[name].batch
    if batch:  # every value depends on every sample: d(sum of w l) by central differences
        _close_to_differences(_registry.LOSSES[name].function, r.elementwise["lossnotes"],
                              inputs, options, spread)
    else:
        _close(r.elementwise["lossnotes"], over * g, g.dtype)
    _close(r.reduced["lossnotes"], r.elementwise["lossnotes"] / spread.sum(), g.dtype)
    for row in r.rows[1:]:
        if row.status == "absent":
            continue
        assert row.status in ("agree", "explained"), str(r)
        theirs = (row.values.elementwise if batch else
                  over * plain.elementwise[row.label]).astype(np.float64)
        _close(row.values.elementwise, theirs, g.dtype)
        divisor = spread.size if row.framework == "keras" else spread.sum()
        _close(row.values.reduced, theirs / divisor, g.dtype)
        if row.framework == "keras":
            _ratio_note(r, "keras", spread.sum(), spread.size)


@pytest.mark.parametrize("name", WEIGHTED)
def test_each_loss_is_weighted_in_the_agreement_matrix(name):
    """python -m lossnotes runs every such loss weighted: its first seeded batch with unequal
    weights, one per sample and one of them 0, whose sample weighted 0 drops out of every
    framework's values and (but in a loss of the whole batch) derivatives."""
    seeded = [c for c in _registry.cases(name) if c.kind == "random"]
    (case,) = [c for c in seeded if c.label.endswith(", weighted")]
    w = np.asarray(case.options["sample_weight"])
    assert case.y_pred is seeded[0].y_pred
    assert case.options == {**seeded[0].options, "sample_weight": case.options["sample_weight"]}
    assert w.shape == np.shape(case.y_pred)[:1] and np.any(w == 0)
    assert len(set(w[w > 0])) > 1
    inputs = (case.y_true, case.y_pred, *case.more)
    for grad, compare in enumerate((ln.compare, ln.compare_grad)):
        r = compare(name, *inputs, **case.options)
        assert r.rows[0].status == "exact"
        if grad and _registry.LOSSES[name].batch:
            continue
        for row in r.rows:
            if row.status == "absent":
                continue
            assert row.status in ("exact", "agree", "explained"), str(r)
            values = np.asarray(row.values.elementwise)
            sample_axis = values.ndim - np.ndim(case.y_pred) if grad else 0
            dropped = np.take(values, np.flatnonzero(w == 0), axis=sample_axis)
            assert dropped.size and not np.any(dropped), (row.label, dropped)
            kept = np.take(values, np.flatnonzero(w), axis=sample_axis)
            assert np.any(kept), row.label


def _close_to_differences(loss, g, inputs, options, w):
    """``g`` against fourth-order central differences of sum(w l) over the embeddings, l the
    unweighted values of the batch loss (float64; step 1e-4 of embeddings of size ~1)."""
    labels, x = inputs[0], np.asarray(inputs[1], np.float64)
    assert x.dtype == g.dtype == np.float64

    def f(z):
        return float(np.sum(w * loss(labels, z, reduction="none", **options)))

    h, fd = 1e-4, np.empty_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        fd[i] = (8 * (f(x + e) - f(x - e)) - (f(x + 2 * e) - f(x - 2 * e))) / (12 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-6 * np.abs(fd).max())


def test_mse_by_hand():
    """The smallest case written out: Keras divides by the 3 values, torch and lossnotes by
    the weights' sum 7."""
    y, p, w = np.array([0.0, 1.0, 2.0]), np.array([0.5, 3.0, 2.25]), np.array([1.0, 2.0, 4.0])
    terms = (p - y) ** 2  # 0.25, 4, 0.0625
    r = ln.compare("mse", y, p, sample_weight=w)
    assert float(r.reduced["lossnotes"]) == pytest.approx((w * terms).sum() / 7, rel=1e-15)
    assert float(r.reduced["torch"]) == pytest.approx((w * terms).sum() / 7, rel=1e-15)
    assert float(r.reduced["keras"]) == pytest.approx((w * terms).sum() / 3, rel=1e-15)
    assert r.status == {"keras": "explained", "torch": "agree"}
    _ratio_note(r, "keras", 7.0, 3.0)
    assert r.rows[1].call.startswith("a keras.losses.Loss(reduction=None) whose call is "
                                     "keras.losses.mean_squared_error(y_true, y_pred)")


# --------------------------------------------------------------------------------------------
# wrong weights are refused by the package's checks before anything is run
# --------------------------------------------------------------------------------------------

def _bad(shape):
    w = np.ones(shape)
    negative, nan = w.copy(), w.copy()
    negative.flat[-1], nan.flat[0] = -1.0, np.nan
    return [
        (np.ones(shape[0] + 1),
         rf"sample_weight has shape \({shape[0] + 1},\) but the unreduced loss"),
        (negative, r"sample_weight must hold finite, non-negative weights; found -1\.0"),
        (nan, "sample_weight must hold finite, non-negative weights; found nan"),
    ]


@pytest.mark.parametrize("compare", [ln.compare, ln.compare_grad], ids=["loss", "grad"])
@pytest.mark.parametrize("name", WEIGHTED)
def test_wrong_weights_are_refused_before_anything_runs(monkeypatch, compare, name):
    inputs, options = _batch(name)
    shape = ln.compare(name, *inputs, **options).elementwise["lossnotes"].shape

    def no_framework(*args):
        raise AssertionError("a framework was called")

    for runner in ("_keras_values", "_keras_option_values", "_torch_values", "_option_values"):
        monkeypatch.setattr(_run, runner, no_framework)
    for w, message in _bad(shape):
        with pytest.raises(ValueError, match=message):
            compare(name, *inputs, **options, sample_weight=w)


def test_keras_weighs_samples_as_compare_lays_them_out():
    """Measured: a Keras loss object that averages over the last axis multiplies one weight per
    sample, (N,) or (N, 1), into its per-sample values, and its mean is then the mean over every
    element that compare's layout (each element a sample, weights spread over the elements)
    gives. Weights per element, (N, D), do not fit its (N,) values: Keras refuses them, unless
    N == D, where (N,) * (N, N) broadcasts to an (N, N) array of products of the wrong pairs:
    the reason compare passes per-element weights on a trailing axis of length 1."""
    from lossnotes._compare import _frameworks

    keras = _frameworks.keras()
    rng = np.random.default_rng(14)
    y, p, w = rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), rng.uniform(0.5, 2.0, 4)
    # in float64 (Keras 3.0's loss classes take no dtype: _keras_loss sets it after)
    per_sample = _registry._keras_loss(keras.losses.MeanSquaredError, "float64")
    r = ln.compare("mse", y, p, sample_weight=w)
    for given in (w, w[:, None]):
        assert float(per_sample(y, p, sample_weight=given)) == pytest.approx(
            float(r.reduced["keras"]), rel=1e-12)
    values = _registry._keras_loss(keras.losses.MeanSquaredError, "float64", reduction=None)
    np.testing.assert_allclose(np.asarray(values(y, p, sample_weight=w)),
                               r.per_sample["keras"], rtol=1e-12)
    with pytest.raises(Exception, match=r"Incompatible shapes|not compatible|broadcast"):
        values(y, p, sample_weight=np.ones((4, 3)))
    square = np.asarray(values(y[:3], p[:3], sample_weight=np.ones((3, 3))))
    assert square.shape == (3, 3)
