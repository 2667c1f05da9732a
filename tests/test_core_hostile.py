"""Bad, odd and extreme input: a clear error or the right answer, never a silent wrong one.

Three kinds of test:

- the reproducers of the issue that asked for this, each pinned to its right answer or to a
  clear error (a ValueError or TypeError raised by lossnotes that names the argument);
- results that never depend on other elements of the batch, and float16 reductions that
  accumulate in float32;
- a property-based test (hypothesis) that drives every public function with generated dtypes
  (float16/32/64, bool, int, complex, object), shapes (empty, 0-d, up to four dimensions,
  strided views), special values (nan, +-inf, -0.0, subnormals, the largest floats) and keyword
  values, right and wrong, and asserts of every call: a result of the prediction's floating
  dtype with no nan in it, or a ValueError/TypeError raised by lossnotes whose message names
  an argument; no warning; no change to the inputs; memory bounded by the inputs' size.
"""

from __future__ import annotations

import inspect
import math
import traceback
import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lossnotes as ln

# ---------------------------------------------------------------------------------------------
# the reproducers
# ---------------------------------------------------------------------------------------------


def _raises(exc, pattern, fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(exc, match=pattern) as info:
            fn(*args, **kwargs)
    assert "/lossnotes/" in traceback.extract_tb(info.tb)[-1].filename.replace("\\", "/")


@pytest.mark.parametrize("fn", [ln.binary_cross_entropy, ln.binary_cross_entropy_grad,
                                ln.categorical_cross_entropy, ln.categorical_cross_entropy_grad])
@pytest.mark.parametrize("flag", ["False", np.array([True, False]), None, 0, 1.0])
def test_from_logits_must_be_a_bool(fn, flag):
    y, p = [[0.0, 1.0]], [[0.2, 0.8]]
    _raises(TypeError, r"from_logits must be True or False; found", fn, y, p, from_logits=flag)


@pytest.mark.parametrize("fn", [ln.sparse_categorical_cross_entropy,
                                ln.sparse_categorical_cross_entropy_grad])
def test_from_logits_must_be_a_bool_sparse(fn):
    _raises(TypeError, r"from_logits must be True or False", fn, [1], [[0.2, 0.8]],
            from_logits="False")
    assert fn([1], [[0.2, 0.8]], from_logits=np.bool_(False)) is not None


def test_a_probability_of_minus_zero_is_zero():
    for p in (0.0, -0.0):
        np.testing.assert_array_equal(ln.binary_cross_entropy_grad([1.0], [p]), [-np.inf])
        np.testing.assert_array_equal(
            ln.categorical_cross_entropy_grad([[1.0, 0.0]], [[p, 1.0]]), [[-np.inf, 0.0]])
        np.testing.assert_array_equal(
            ln.sparse_categorical_cross_entropy_grad([0], [[p, 1.0]]), [[-np.inf, 0.0]])


def test_masked_arrays_are_refused_not_unmasked():
    masked = np.ma.array([0.0, 1.0, 2.0], mask=[0, 0, 1])
    _raises(ValueError, r"y_true is a masked array \(1 masked element\(s\)\); lossnotes does "
            r"not apply masks", ln.mse, masked, [0.0, 1.0, 1000.0])
    _raises(ValueError, r"y_pred is a masked array", ln.mse, [0.0, 1.0, 2.0], masked)
    _raises(ValueError, r"z is a masked array", ln.softmax, np.ma.array([np.nan, 1.0], mask=[1, 0]))


def test_targets_are_checked_before_they_are_rounded_to_the_prediction_dtype():
    _raises(ValueError, r"y_true must be binary labels \(or soft labels\) in \[0, 1\]; found "
            r"1.0000000001", ln.binary_cross_entropy, [1 + 1e-10], np.float32([0.5]))
    _raises(ValueError, r"y_true holds 65520.0 at index \(0,\).*beyond the largest float16",
            ln.mse, [65520.0], np.float16([65504.0]), reduction="sum")
    _raises(ValueError, r"y_true holds 1000000.0 .*float16", ln.mse, [1e6], np.float16([0.0]))
    # a target that fits (65519 rounds to 65504) is fine
    assert ln.mse([65519.0], np.float16([65504.0])) == 0


def test_rows_must_sum_to_one_in_every_dtype():
    _raises(ValueError, r"y_pred must sum to 1 along axis 1.*found a sum of 1.02",
            ln.categorical_cross_entropy, np.float16([[1, 0]]), np.float16([[0.52, 0.5]]))
    # a float16 softmax row is accepted: its entries are within rounding of a distribution
    p = ln.softmax(np.float16([[0.3, -1.2, 2.0]]))
    assert np.isfinite(ln.categorical_cross_entropy(np.float16([[0, 0, 1]]), p))


def test_targets_that_are_not_distributions_follow_the_documented_formula():
    p = np.array([[0.2, 0.3, 0.5]])
    assert ln.categorical_cross_entropy([[1.0, 1.0, 0.0]], p) == pytest.approx(
        -np.log(0.2) - np.log(0.3), rel=1e-15)
    assert ln.categorical_cross_entropy([[0.0, 0.0, 0.0]], p) == 0


def test_combine_takes_zero_times_inf_as_zero_and_wants_a_sequence():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ln.combine([1.0, np.inf], weights=[1.0, 0.0]) == 1.0
        assert ln.combine([1e308, 1e308], weights=[1.0, 1.0]) == np.inf
    _raises(TypeError, r"losses must be a sequence of per-output losses.*found 0.5", ln.combine,
            0.5)
    _raises(TypeError, r"losses must be a sequence", ln.combine, "mse")


@pytest.mark.parametrize("axis", [True, 1.5, "0", np.array(1), (0, 1.0)])
@pytest.mark.parametrize("fn", [ln.softmax, ln.log_softmax, ln.logsumexp])
def test_axis_must_be_an_integer(fn, axis):
    _raises(TypeError, r"axis must be an integer; found", fn, np.zeros((2, 3)), axis=axis)


_SEVERAL_AXES = [(0, 2), (2, 0), (1, 2), (0, 1, 2), None, (-1,)]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("axis", _SEVERAL_AXES, ids=str)
@pytest.mark.parametrize("fn", [ln.softmax, ln.log_softmax, ln.logsumexp])
def test_several_axes_are_one_merged_class_axis(fn, axis, dtype):
    # Over a tuple of axes (None: all) the function is the one-axis function of those axes
    # moved last and merged, bit for bit: the same row arithmetic whatever the layout.
    z = np.random.default_rng(3).normal(0, 4, (3, 4, 5)).astype(dtype)
    z[1, 2, 3] = np.inf if fn is ln.logsumexp else z[1, 2, 3]  # a limit on the way
    axes = tuple(range(3)) if axis is None else tuple(a % 3 for a in axis)
    rest = [a for a in range(3) if a not in axes]
    moved = np.transpose(z, rest + sorted(axes))
    merged = moved.reshape(*moved.shape[:len(rest)], -1)
    expected = fn(merged, axis=-1)
    got = fn(z, axis=axis)
    if fn is ln.logsumexp:
        np.testing.assert_array_equal(got, expected)
        kept = fn(z, axis=axis, keepdims=True)
        assert kept.shape == tuple(1 if a in axes else n for a, n in enumerate(z.shape))
        np.testing.assert_array_equal(kept.reshape(np.shape(expected)), expected)
    else:
        back = np.transpose(expected.reshape(moved.shape), np.argsort(rest + sorted(axes)))
        np.testing.assert_array_equal(got, back)
        assert got.dtype == z.dtype


def test_several_axes_errors_name_the_axes():
    z = np.zeros((2, 3, 4))
    _raises(TypeError, r"axis must be an integer, a tuple of integers or None; found the list "
            r"\[0, 1\]: pass tuple\(axis\)", ln.logsumexp, z, axis=[0, 1])
    _raises(ValueError, r"axis \(0, -3\) names an axis of z more than once", ln.softmax, z,
            axis=(0, -3))
    _raises(ValueError, r"axis is an empty tuple; expected at least one axis of z",
            ln.log_softmax, z, axis=())
    _raises(ValueError, r"axis 3 is out of range for z with 3 dimension", ln.logsumexp, z,
            axis=(0, 3))
    _raises(ValueError, r"z must have a class axis; found a scalar", ln.softmax, 1.0, axis=None)
    _raises(TypeError, r"keepdims must be True or False", ln.logsumexp, z, keepdims=1)
    z[:, :, 2] = -np.inf  # the slice z[:, :, 2] is all -inf: no softmax over axes (0, 1)
    for fn in (ln.softmax, ln.log_softmax):
        _raises(ValueError, r"z has a row of only -inf scores along axis \(0, 1\) at index "
                r"\(2,\)", fn, z, axis=(0, 1))
    z[1, 1, 1] = np.nan
    _raises(ValueError, r"z contains NaN at index \(1, 1, 1\)", ln.log_softmax, z, axis=(0, 2))


def test_axis_out_of_range_gives_the_valid_range():
    _raises(ValueError, r"axis 2 is out of range for z with 2 dimension\(s\); expected an "
            r"integer from -2 to 1", ln.softmax, np.zeros((2, 3)), axis=2)


def test_delta_must_be_a_positive_finite_number():
    _raises(TypeError, r"delta must be a positive finite number; found True", ln.huber, [0.0],
            [3.0], delta=True)
    _raises(ValueError, r"delta must be a positive finite number; found an integer of 401 "
            r"digits", ln.huber, [0.0], [3.0], delta=10**400)
    _raises(ValueError, r"delta must be a positive finite number", ln.huber_grad, [0.0], [3.0],
            delta=np.inf)


def test_an_empty_class_axis_has_its_mathematical_answer():
    assert ln.softmax(np.zeros((4, 0))).shape == (4, 0)
    assert ln.log_softmax(np.zeros((4, 0))).shape == (4, 0)
    np.testing.assert_array_equal(ln.logsumexp(np.zeros((4, 0))), np.full(4, -np.inf))
    assert ln.logsumexp(np.zeros(0)) == -np.inf
    _raises(ValueError, r"y_pred has no classes on axis 1 \(shape \(2, 0\)\); expected at least "
            r"one class", ln.sparse_categorical_cross_entropy, np.zeros(2, int), np.zeros((2, 0)))


def test_a_row_of_only_minus_inf_has_no_softmax():
    for fn in (ln.softmax, ln.log_softmax):
        _raises(ValueError, r"z has a row of only -inf scores along axis 1 at index \(1,\).*"
                r"undefined", fn, [[0.0, 1.0], [-np.inf, -np.inf]])
    assert ln.logsumexp([-np.inf, -np.inf]) == -np.inf  # the log of a sum of zeros


_ROW_LOSSES = [ln.categorical_cross_entropy, ln.categorical_cross_entropy_grad,
               ln.sparse_categorical_cross_entropy, ln.sparse_categorical_cross_entropy_grad]


def _targets(fn, rows: int, classes: int):
    """Class 0 for every row: as indices for the sparse losses, one-hot rows for the others."""
    labels = np.zeros(rows, dtype=int)
    return labels if "sparse" in fn.__name__ else np.eye(classes)[labels]


@pytest.mark.parametrize("fn", _ROW_LOSSES, ids=lambda f: f.__name__)
def test_a_row_of_only_minus_inf_logits_is_refused_by_the_cross_entropies(fn):
    # Its softmax is 0 / 0; the frameworks return nan (see compare's notes), lossnotes says so.
    z = np.array([[0.0, 1.0], [-np.inf, -np.inf]])
    _raises(ValueError, r"y_pred has a row of only -inf scores along axis 1 at index \(1,\)",
            fn, _targets(fn, 2, 2), z, from_logits=True)
    z[1, 1] = np.nan  # a NaN is named as such, wherever the row's other entries are
    _raises(ValueError, r"y_pred contains NaN at index \(1, 1\)", fn, _targets(fn, 2, 2), z,
            from_logits=True)
    z[1, 1] = 0.0  # one finite logit is enough: class 0 then has probability 0 (loss inf)
    out = fn(_targets(fn, 2, 2), z, from_logits=True, **_unreduced(fn))
    assert not np.isnan(out).any() and np.isinf(out).any() == ("grad" not in fn.__name__)


def _unreduced(fn) -> dict:
    return {} if "grad" in fn.__name__ else {"reduction": "none"}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fn", _ROW_LOSSES[::2], ids=lambda f: f.__name__)
def test_whether_a_row_sums_to_one_does_not_depend_on_the_batch(fn, dtype):
    # Large batches add their rows with a matrix-vector product (in the dtype, in an order that
    # depends on the CPU): a row near the edge of the tolerance must be judged as it is alone.
    classes = 10
    tol = 8 * classes * np.finfo(dtype).eps
    base = np.full(classes, 0.1, dtype=dtype)
    base[-1] = 1 - base[:-1].sum(dtype=np.float64)  # as close to a sum of 1 as the dtype gets
    rows = []
    for scale in (0.25, 0.5, 0.9, 0.99, 1.01, 1.1, 2.0, 4.0):  # a nudge of scale * tol
        row = base.copy()
        row[0] = dtype(float(row[0]) + scale * tol)
        rows.append(row)
    filler = np.tile(base, (200, 1))  # 2000 elements: the fast path
    for row in rows:
        alone = _accepted(fn, row[None, :])
        assert alone == (abs(row.sum(dtype=np.float64) - 1) <= tol)
        for at in (0, 57, 199):
            batch = filler.copy()
            batch[at] = row
            assert _accepted(fn, batch) == alone, (row, at)


def _accepted(fn, p) -> bool:
    try:
        fn(_targets(fn, len(p), p.shape[1]), p)
    except ValueError as exc:
        assert "must sum to 1" in str(exc)
        return False
    return True


@pytest.mark.parametrize("value", [np.array(["mean", "sum"]), True, None, "MEAN"])
def test_reduction_must_be_one_of_the_names(value):
    _raises(ValueError, r"reduction must be one of 'mean', 'sum', 'none'; found", ln.mse, [1.0],
            [2.0], reduction=value)
    _raises(ValueError, r"reduction must be one of", ln.binary_cross_entropy, [1.0], [0.5],
            reduction=value)


def test_rank_64_inputs_work():
    z = np.zeros((1,) * 63 + (2,))
    assert ln.log_softmax(z).shape == z.shape
    assert ln.logsumexp(z).shape == (1,) * 63
    labels = np.zeros((1,) * 63, dtype=int)
    assert ln.sparse_categorical_cross_entropy(labels, z, from_logits=True) == pytest.approx(
        np.log(2), rel=1e-15)
    assert ln.sparse_categorical_cross_entropy_grad(labels, z, from_logits=True).shape == z.shape


def test_other_libraries_arrays_get_a_message_that_helps():
    torch = pytest.importorskip("torch")
    _raises(ValueError, r"y_true cannot be read as an array of numbers.*requires grad: pass "
            r"x.detach\(\)", ln.mse, torch.ones(2, requires_grad=True), torch.zeros(2))
    _raises(ValueError, r"y_pred cannot be read.*torch.bfloat16", ln.mse, [1.0, 1.0],
            torch.ones(2, dtype=torch.bfloat16))
    assert ln.mse(torch.ones(2), torch.zeros(2)) == 1.0  # a plain CPU tensor is an array
    _raises(ValueError, r"y_true cannot be read as an array of numbers \(.*inhomogeneous",
            ln.mse, [[1.0, 2.0], [1.0]], [1.0, 2.0])


@pytest.mark.parametrize("fn", [ln.mse, ln.mae, ln.huber, ln.mse_grad, ln.mae_grad,
                                ln.huber_grad])
def test_the_same_infinity_on_both_sides_has_no_residual(fn):
    _raises(ValueError, r"y_true and y_pred are the same infinity at index \(1,\).*inf - inf is "
            r"undefined", fn, [0.0, np.inf], [1.0, np.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fn([0.0, -np.inf], [1.0, np.inf])  # opposite infinities: an infinite residual
    assert np.isinf(np.asarray(out)).any() or fn in (ln.mae_grad, ln.huber_grad)


def test_overflow_gives_the_true_infinity_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ln.mse([1e200], [-1e200]) == np.inf
        assert ln.mse(np.array([1e200]), np.array([-1e200])) == np.inf  # the fast path too
        np.testing.assert_array_equal(ln.squared_hinge([-1e200]), [np.inf])
        np.testing.assert_array_equal(ln.binary_cross_entropy_grad([1.0], [5e-324]), [-np.inf])
        np.testing.assert_array_equal(ln.categorical_cross_entropy_grad([[1.0, 0.0]],
                                                                        [[5e-324, 1.0]]),
                                      [[-np.inf, 0.0]])


def test_the_callers_floating_point_state_is_left_as_it_was():
    # Public functions silence warnings only while they run, nested calls included
    # (squared_hinge calls hinge), and after an error too.
    before = np.geterr()
    with np.errstate(over="raise", invalid="warn"):
        inside = np.geterr()
        np.testing.assert_array_equal(ln.squared_hinge([-1e200], reduction="none"), [np.inf])
        with pytest.raises(ValueError):
            ln.mse([np.nan], [0.0])
        assert np.geterr() == inside
        with pytest.raises(FloatingPointError):
            np.float64(1e300) * np.float64(1e300)
    assert np.geterr() == before


def test_an_error_message_costs_constant_memory():
    m = np.full((2,) * 21, np.nan)  # 16 MiB of NaN in 21 dimensions
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"m contains NaN at index \(0, 0,"):
            ln.zero_one(m)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 0.5 * m.nbytes  # the boolean mask (1/8) and a few scalars, no index list


@pytest.mark.parametrize("fn", [ln.sigmoid, ln.logistic_grad, ln.logistic, ln.log_sigmoid,
                                ln.hinge, ln.squared_hinge, ln.exponential])
def test_elementwise_functions_use_little_memory(fn):
    z = np.random.default_rng(0).normal(0, 3, 10**6)
    tracemalloc.start()
    try:
        fn(z)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 3 * z.nbytes


# ---------------------------------------------------------------------------------------------
# no result depends on another element of the batch; float16 sums in float32
# ---------------------------------------------------------------------------------------------

_RNG = np.random.default_rng(20261129)
_N = 1000


def _batch(kind: str, dtype):
    """(args of a valid batch, the edge elements to append, kwargs) for a kind of loss: every
    rare case that a loss treats apart (p of exactly 0 or 1, 0 log 0, infinite logits and
    margins, an infinite residual, one that overflows)."""
    r, big = _RNG, np.finfo(dtype).max
    if kind == "probabilities":
        return ((r.random(_N) < 0.5).astype(dtype), r.uniform(0.01, 0.99, _N).astype(dtype)), \
            (np.array([1, 0, 1, 0, 0.5], dtype), np.array([0, 0, 1, 1, 0], dtype)), {}
    if kind == "logits":
        return ((r.random(_N) < 0.5).astype(dtype), r.normal(0, 4, _N).astype(dtype)), \
            (np.array([1, 0, 1, 0, 0.5], dtype), np.array([-np.inf, -np.inf, np.inf, np.inf, big],
                                                          dtype)), {"from_logits": True}
    if kind == "regression":
        return (r.normal(0, 2, _N).astype(dtype), r.normal(0, 2, _N).astype(dtype)), \
            (np.array([0, np.inf, big, -big], dtype), np.array([np.inf, 0, -big, big], dtype)), {}
    return (r.normal(0, 4, _N).astype(dtype),), (np.array([-np.inf, np.inf, -big], dtype),), {}


_ELEMENTWISE = [
    (ln.binary_cross_entropy, "probabilities"), (ln.binary_cross_entropy, "logits"),
    (ln.binary_cross_entropy_grad, "probabilities"), (ln.binary_cross_entropy_grad, "logits"),
    (ln.mse, "regression"), (ln.mae, "regression"), (ln.huber, "regression"),
    (ln.mse_grad, "regression"), (ln.mae_grad, "regression"), (ln.huber_grad, "regression"),
    (ln.hinge, "margins"), (ln.squared_hinge, "margins"), (ln.logistic, "margins"),
    (ln.logistic_grad, "margins"), (ln.exponential, "margins"), (ln.sigmoid, "margins"),
    (ln.log_sigmoid, "margins"), (ln.perceptron, "margins"), (ln.hinge_grad, "margins"),
]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("fn, kind", _ELEMENTWISE,
                         ids=[f"{f.__name__}-{k}" for f, k in _ELEMENTWISE])
def test_values_do_not_depend_on_the_rest_of_the_batch(fn, kind, dtype):
    args, edge, kwargs = _batch(kind, dtype)
    if "reduction" in inspect.signature(fn).parameters:
        kwargs["reduction"] = "none"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alone = fn(*args, **kwargs)
        for k in range(len(edge[0])):  # each edge element alone, then all of them
            for e in ([x[k:k + 1] for x in edge], edge):
                joined = fn(*(np.concatenate([a, x]) for a, x in zip(args, e, strict=True)),
                            **kwargs)
                assert joined.dtype == dtype
                np.testing.assert_array_equal(joined[:_N], alone)  # bit for bit
                assert np.array_equal(np.signbit(joined[:_N]), np.signbit(alone))


def test_the_margin_does_not_depend_on_the_rest_of_the_batch():
    y, score = np.where(_RNG.random(_N) < 0.5, -1.0, 1.0), _RNG.normal(0, 3, _N)
    alone = ln.margin(y, score)
    joined = ln.margin(np.append(y, [1.0, -1.0]), np.append(score, [np.inf, -np.inf]))
    np.testing.assert_array_equal(joined[:_N], alone)
    np.testing.assert_array_equal(joined[_N:], [np.inf, np.inf])


_ROWS = [
    (ln.categorical_cross_entropy, True), (ln.categorical_cross_entropy, False),
    (ln.sparse_categorical_cross_entropy, True), (ln.sparse_categorical_cross_entropy, False),
]


def _rows_batch(classes: int, from_logits: bool, dtype, rows: int = 300):
    """(labels, predictions, edge labels, edge rows): the edge rows are the rare cases of the
    row losses: a +inf logit, two of them, a tie for the maximum, a -inf logit; a probability
    of exactly 1, of 0 at the true class and elsewhere."""
    z = _RNG.normal(0, 3, (rows, classes))
    labels = _RNG.integers(0, classes, rows)
    if from_logits:
        edge = np.zeros((5, classes))
        edge[0, 0] = edge[1, :2] = np.inf
        edge[2, :2] = 3.0
        edge[3, 1] = -np.inf
        edge[4, -1] = np.finfo(dtype).max
        return labels, z.astype(dtype), np.array([0, 1, 1, 1, 0]), edge.astype(dtype)
    pred = ln.softmax(z / 3).astype(dtype)  # rows that sum to 1 within the dtype's rounding
    edge = np.zeros((3, classes))
    edge[0, 0] = 1.0
    edge[1:, 1:] = 1.0 / (classes - 1)
    return labels, pred, np.array([0, 0, 1]), edge.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("classes", [5, 40])  # column by column, and NumPy's reductions
@pytest.mark.parametrize("fn, from_logits", _ROWS,
                         ids=[f"{f.__name__}-{'logits' if lg else 'probabilities'}"
                              for f, lg in _ROWS])
def test_row_losses_do_not_depend_on_the_rest_of_the_batch(fn, from_logits, classes, dtype):
    labels, pred, edge_labels, edge = _rows_batch(classes, from_logits, dtype)
    if fn is ln.categorical_cross_entropy:  # one-hot targets
        labels, edge_labels = np.eye(classes, dtype=dtype)[labels], \
            np.eye(classes, dtype=dtype)[edge_labels]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alone = fn(labels, pred, from_logits=from_logits, reduction="none")
        for i in range(3):  # a batch of one row
            np.testing.assert_array_equal(
                fn(labels[i:i + 1], pred[i:i + 1], from_logits=from_logits, reduction="none"),
                alone[i:i + 1])
        for k in range(len(edge)):
            for e, t in ((edge[k:k + 1], edge_labels[k:k + 1]), (edge, edge_labels)):
                joined = fn(np.concatenate([labels, t]), np.concatenate([pred, e]),
                            from_logits=from_logits, reduction="none")
                assert joined.dtype == dtype
                np.testing.assert_array_equal(joined[:len(pred)], alone)  # bit for bit


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("classes", [3, 40])
@pytest.mark.parametrize("fn, from_logits", _ROWS,
                         ids=[f"{f.__name__}-{'logits' if lg else 'probabilities'}"
                              for f, lg in _ROWS])
def test_row_losses_do_not_depend_on_where_the_class_axis_is(fn, from_logits, classes, dtype):
    labels, pred, _, _ = _rows_batch(classes, from_logits, dtype, rows=60)
    pred = pred.reshape(3, 20, classes)
    labels = labels.reshape(3, 20)
    if fn is ln.categorical_cross_entropy:
        labels = np.moveaxis(np.eye(classes, dtype=dtype)[labels], -1, 1)
    last = fn(labels, pred, from_logits=from_logits, axis=-1, reduction="none") \
        if fn is ln.sparse_categorical_cross_entropy else \
        fn(np.moveaxis(labels, 1, -1), pred, from_logits=from_logits, reduction="none")
    middle = fn(labels, np.moveaxis(pred, -1, 1), from_logits=from_logits, axis=1,
                reduction="none")
    np.testing.assert_array_equal(middle, last)


def _fsum_ulps(value, terms) -> float:
    """How many ulps of the result's dtype ``value`` is from the exact sum of ``terms``."""
    exact = math.fsum(np.asarray(terms, dtype=np.float64).ravel().tolist())
    dtype = np.asarray(value).dtype
    return abs(float(value) - exact) / float(np.spacing(dtype.type(abs(exact))))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_sums_and_means_of_large_batches_are_the_exact_sums_rounded(dtype):
    # Sums of 3 * 10^5 terms (10^6 for the elementwise losses): within 1 ulp of the exact sum
    # of the unreduced losses (NumPy's pairwise sum, in float32 for float16), and the mean is
    # the sum divided by the count. The sums of float16 stay below 65504: small losses.
    rng = np.random.default_rng(7)
    n = 10**6
    y, p = rng.normal(0, 0.01, n).astype(dtype), rng.normal(0, 0.01, n).astype(dtype)
    yb = (rng.random(n) < 0.5).astype(dtype)
    z = np.abs(rng.normal(5, 1, n)).astype(dtype) * (2 * yb - 1)
    rows = rng.normal(0, 1, (n // 10, 10)).astype(dtype)
    rows[np.arange(n // 10), 0] = 6.0  # the first class wins by far
    calls = [(ln.mse, (y, p), {}), (ln.mae, (y, p), {}), (ln.huber, (y, p), {}),
             (ln.binary_cross_entropy, (yb, z), {"from_logits": True}),
             (ln.categorical_cross_entropy, (np.eye(10, dtype=dtype)[np.zeros(n // 10, int)],
                                             rows), {"from_logits": True}),
             (ln.sparse_categorical_cross_entropy, (np.zeros(n // 10, int), rows),
              {"from_logits": True}),
             # the margin losses, whose default is "none": small margins' losses
             (ln.hinge, (1 - np.abs(y),), {}), (ln.perceptron, (-np.abs(y),), {}),
             (ln.logistic, (np.abs(z),), {}), (ln.exponential, (np.abs(z),), {})]
    for fn, args, kwargs in calls:
        terms = fn(*args, **kwargs, reduction="none")
        total = fn(*args, **kwargs, reduction="sum")
        mean = fn(*args, **kwargs, reduction="mean")
        assert total.dtype == mean.dtype == dtype
        assert _fsum_ulps(total, terms) <= 1, fn.__name__
        exact_mean = math.fsum(terms.astype(np.float64).tolist()) / terms.size
        assert abs(float(mean) - exact_mean) <= np.spacing(dtype(exact_mean)), fn.__name__


@pytest.mark.parametrize("fn", [ln.mse, ln.mae, ln.huber])
def test_a_float16_mean_of_millions_of_terms_does_not_overflow(fn):
    y = np.zeros(3_000_000, np.float16)
    p = np.ones(3_000_000, np.float16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mean = fn(y, p)
        total = fn(y, p, reduction="sum")
    assert mean.dtype == np.float16 and mean == (0.5 if fn is ln.huber else 1.0)
    assert total == np.inf  # 3e6 (or 1.5e6) is beyond float16: the true value rounded


# ---------------------------------------------------------------------------------------------
# every public function under generated input
# ---------------------------------------------------------------------------------------------

_SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, np.nan, np.inf, -np.inf, 5e-324, 1e-300, 1e300,
            1e-8, 100.0, -100.0, 65504.0, 1e6]
_DTYPES = [np.float64, np.float32, np.float16, np.bool_, np.int64, np.int32, np.complex128,
           object]


@st.composite
def _arrays(draw, shape=None):
    """An array of a generated dtype, shape and values, sometimes a strided view."""
    if shape is None:
        shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3))
    values = draw(hnp.arrays(np.float64, shape, elements=st.one_of(
        st.sampled_from(_SPECIAL), st.floats(-10, 10, allow_nan=False, width=32))))
    dtype = draw(st.sampled_from(_DTYPES))
    with np.errstate(all="ignore"):
        arr = values.astype(dtype)
    if draw(st.booleans()) and arr.ndim:
        arr = np.repeat(arr, 2, axis=-1)[..., ::2]  # the same values, not contiguous
    if draw(st.integers(0, 9)) == 0:
        return arr.tolist() if arr.dtype != object else arr
    return arr


_FLAGS = st.sampled_from([False, True, "False", None, np.array([True, False]), 1])
_REDUCTIONS = st.sampled_from(["mean", "sum", "none", "MEAN", None, np.array(["mean"])])
_AXES = st.sampled_from([-1, 0, 1, 5, -7, None, 1.5, True, "0", np.int64(0)])
_SMOOTHINGS = st.sampled_from([0.0, 0.1, 1.0, 0.5, -0.1, 1.5, np.nan, True, "0.1", [0.1],
                               np.float32(0.2), 1])
_DELTAS = st.sampled_from([1.0, 0.5, 3, 0.0, -1.0, np.inf, np.nan, True, "1", 10**400, [1.0]])

_ARGUMENT_NAMES = ("y_true", "y_pred", "labels", "m", "z", "y", "score", "axis", "reduction",
                   "from_logits", "delta", "losses", "weights", "convention", "sample_weight",
                   "class_weight", "pos_weight", "label_smoothing",
                   "ignore_index", "embeddings", "x1", "x2", "anchor", "positive",
                   "negative")


def _options(fn, draw, shape=None):
    """Options for ``fn``; ``sample_weight`` half the time of ``shape``, the first input's."""
    params = inspect.signature(fn).parameters
    strategies = {"from_logits": _FLAGS, "reduction": _REDUCTIONS, "axis": _AXES,
                  "delta": _DELTAS}
    options = {name: draw(s) for name, s in strategies.items() if name in params
               and draw(st.booleans())}
    if "sample_weight" in params and draw(st.booleans()):
        same = shape is not None and draw(st.booleans())
        options["sample_weight"] = draw(_arrays(shape if same else None))
    if "ignore_index" in params and draw(st.booleans()):
        options["ignore_index"] = draw(st.sampled_from([-100, 0, 1, -1, 1.5, True, "0", None,
                                                        np.int64(2), 10**30]))
    if "label_smoothing" in params and draw(st.booleans()):
        options["label_smoothing"] = draw(_SMOOTHINGS)
    for name in ("class_weight", "pos_weight"):
        if name in params and draw(st.booleans()):
            last = shape[-1:] if shape is not None and draw(st.booleans()) else None
            options[name] = draw(_arrays(last))
    return options


def _several_inputs():
    """The losses of several inputs (and their gradients), with the number of leading float
    inputs (``Loss.wrt``) whose common dtype the result has."""
    from lossnotes import _registry

    return {f: len(loss.wrt) for loss in _registry.LOSSES.values() if loss.wrt
            for f in (loss.function, loss.grad)}


_SEVERAL_INPUTS = _several_inputs()


def _public_functions():
    fns = [getattr(ln, name) for name in ln.__all__]
    # compare, compare_grad and translations run the frameworks: tests/test_compare.py and
    # tests/test_translation.py give them bad input.
    # The losses of several inputs have a test of their own below.
    return [f for f in fns if inspect.isfunction(f) and f not in _SEVERAL_INPUTS
            and f not in (ln.compare, ln.compare_grad, ln.translations)]


def _snapshot(x):
    return None if isinstance(x, list) else (np.array(x, copy=True), x.dtype, x.shape)


def _unchanged(x, snap) -> bool:
    if snap is None:
        return True
    before, dtype, shape = snap
    if x.dtype != dtype or x.shape != shape:
        return False
    if dtype.kind == "O":
        return all(a is b or a == b or (a != a and b != b) for a, b in
                   zip(x.ravel().tolist(), before.ravel().tolist(), strict=True))
    return np.array_equal(x, before, equal_nan=dtype.kind in "fc")


@pytest.mark.parametrize("fn", _public_functions(), ids=lambda f: f.__name__)
@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_every_function_gives_a_result_or_a_clear_error(fn, data):
    params = [p for p in inspect.signature(fn).parameters.values()
              if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty]
    first = data.draw(_arrays(), label=params[0].name)
    if fn is ln.combine:
        args = [first] if data.draw(st.booleans()) else [list(np.atleast_1d(first))
                                                         if not isinstance(first, list) else first]
    else:
        args = [first]
        for _ in params[1:]:
            same = data.draw(st.booleans()) and not isinstance(first, list)
            args.append(data.draw(_arrays(np.shape(first) if same else None)))
    kwargs = _options(fn, data.draw, None if isinstance(first, list) else np.shape(first))
    snaps = [_snapshot(a) if isinstance(a, np.ndarray) or isinstance(a, list) else None
             for a in args]
    sizes = sum(np.asarray(a, dtype=object).size * 16 for a in args if a is not None)

    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                result = fn(*args, **kwargs)
                error = None
            except (ValueError, TypeError) as exc:
                result, error = None, exc
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    for a, snap in zip(args, snaps, strict=True):
        assert isinstance(a, list) or _unchanged(a, snap), f"{fn.__name__} changed its input"
    assert peak <= 64 * sizes + (1 << 20), f"{fn.__name__} used {peak} bytes for {sizes}"
    if error is not None:
        origin = traceback.extract_tb(error.__traceback__)[-1].filename.replace("\\", "/")
        assert "/lossnotes/" in origin, f"{type(error).__name__} from {origin}: {error}"
        message = str(error)
        assert any(name in message for name in _ARGUMENT_NAMES), message
        return
    out = np.asarray(result)
    assert out.dtype.kind == "f", f"{fn.__name__} returned dtype {out.dtype}"
    assert not np.isnan(out).any(), f"{fn.__name__}{tuple(args)} {kwargs} gave nan: {out}"
    floating = [np.asarray(a).dtype for a in args[-1:] if np.asarray(a).dtype.kind == "f"]
    if floating and fn is not ln.combine:
        assert out.dtype == floating[0]  # the prediction's dtype is kept


@pytest.mark.parametrize("fn", list(_SEVERAL_INPUTS), ids=lambda f: f.__name__)
@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_losses_of_several_inputs_give_a_result_or_a_clear_error(fn, data):
    """The test above for a loss of several inputs (x1, x2, y, ...): a result in the compared
    inputs' common float dtype (integers read as float64), or a clear error; no warning, no
    change to the inputs. The last input (the labels) has the first's shape half the time, or
    that shape without its last axis (one label per vector)."""
    names = [p.name for p in inspect.signature(fn).parameters.values() if p.default is p.empty]
    first = data.draw(_arrays(), label=names[0])
    shape = None if isinstance(first, list) else np.shape(first)
    args = [first]
    for _ in names[1:-1]:
        args.append(data.draw(_arrays(shape if data.draw(st.booleans()) else None)))
    labels = data.draw(st.sampled_from([None, "same", "rows"])) if shape else None
    label_shape = {"same": shape, "rows": shape[:-1] if shape else None}.get(labels)
    args.append(np.where(data.draw(hnp.arrays(np.bool_, label_shape)), 1.0, -1.0)
                if labels and data.draw(st.booleans()) else data.draw(_arrays(label_shape)))
    kwargs = _options(fn, data.draw, shape)
    snaps = [_snapshot(a) if isinstance(a, np.ndarray | list) else None for a in args]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            result = fn(*args, **kwargs)
        except (ValueError, TypeError) as exc:
            origin = traceback.extract_tb(exc.__traceback__)[-1].filename.replace("\\", "/")
            assert "/lossnotes/" in origin, f"{type(exc).__name__} from {origin}: {exc}"
            assert any(name in str(exc) for name in _ARGUMENT_NAMES), str(exc)
            return
        finally:
            for a, snap in zip(args, snaps, strict=True):
                assert isinstance(a, list) or _unchanged(a, snap), f"{fn.__name__} changed input"
    out = np.asarray(result)
    assert not np.isnan(out).any(), f"{fn.__name__}{tuple(args)} {kwargs} gave nan: {out}"
    dtypes = [np.asarray(a).dtype for a in args[:_SEVERAL_INPUTS[fn]]]
    assert out.dtype == np.result_type(*(d if d.kind == "f" else np.float64 for d in dtypes))


# ---------------------------------------------------------------------------------------------
# the comparison and accuracy tools under generated input
# ---------------------------------------------------------------------------------------------

_COMPARED = ["binary_cross_entropy", "categorical_cross_entropy",
             "sparse_categorical_cross_entropy", "mse", "huber", "hinge", "logistic", "MSE",
             "nope", 3]


def _tool_calls():
    import lossnotes.accuracy as acc

    def compare(draw):
        name = draw(st.sampled_from(_COMPARED))
        y, p = draw(_arrays()), draw(_arrays())
        opts = {k: draw(s) for k, s in {"from_logits": _FLAGS, "axis": _AXES,
                                        "delta": _DELTAS}.items() if draw(st.booleans())}
        if draw(st.booleans()):
            opts["frameworks"] = draw(st.sampled_from(["keras", "torch", ("torch",), "jax", None]))
        fn = ln.compare_grad if draw(st.booleans()) else ln.compare
        return fn, (name, y, p), opts

    def reference(draw):
        name = draw(st.sampled_from([*acc.FUNCTIONS[:8], "mse", "softmax", "nope"]))
        inputs = tuple(draw(_arrays()) for _ in range(draw(st.integers(1, 2))))
        return acc.reference, (name, *inputs), {}

    def ulp(draw):
        return acc.ulp, (draw(_arrays()), draw(st.sampled_from(["float64", "float32", "int8"]))), {}

    def bound(draw):
        return acc.bound, (draw(_arrays()), draw(st.sampled_from(["float64", "float16", "x"]))), {}

    return {"compare": compare, "reference": reference, "ulp": ulp, "bound": bound}


_TOOLS = _tool_calls()
_TOOL_NAMES = ("name", "y_true", "y_pred", "frameworks", "from_logits", "axis", "delta", "loss",
               "inputs", "dtype", "ulps", "labels", "z", "m", "x", "takes", "compare")


@pytest.mark.parametrize("tool", list(_TOOLS))
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_the_tools_give_a_result_or_a_clear_error(tool, data):
    fn, args, kwargs = _TOOLS[tool](data.draw)
    arrays = [a for a in args if isinstance(a, np.ndarray)]
    snaps = [_snapshot(a) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            fn(*args, **kwargs)
        except (ValueError, TypeError) as exc:
            origin = traceback.extract_tb(exc.__traceback__)[-1].filename.replace("\\", "/")
            assert "/lossnotes/" in origin, f"{type(exc).__name__} from {origin}: {exc}"
            assert any(name in str(exc) for name in _TOOL_NAMES), str(exc)
    for a, snap in zip(arrays, snaps, strict=True):
        assert _unchanged(a, snap), f"{tool} changed its input"
