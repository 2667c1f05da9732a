"""The fast paths (lossnotes/_kernels.py) change speed, never results or errors.

Each public loss first tries its kernel, which returns None unless every input is a floating
array inside the open domain of the formula; the general code runs otherwise. These tests run
both on the same inputs: the values agree (to the ulp, where the kernel's float32 log1p takes a
different route), bad inputs raise the very same errors, and edge inputs never reach a kernel.
"""

import numpy as np
import pytest

import lossnotes as ln
from lossnotes import _kernels

KERNELS = ["mse", "mae", "huber", "margin", "hinge", "squared_hinge", "logistic",
           "binary_cross_entropy", "categorical_cross_entropy",
           "sparse_categorical_cross_entropy"]
DTYPES = [np.float64, np.float32]


@pytest.fixture
def general(monkeypatch):
    """Run a call with every kernel switched off."""
    def run(fn, *args, **kwargs):
        with monkeypatch.context() as m:
            for name in KERNELS:
                m.setattr(_kernels, name, lambda *a, **k: None)
            return fn(*args, **kwargs)
    return run


def ulps(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return np.max(np.abs(a.astype(np.float64) - b) / np.spacing(np.abs(b).astype(a.dtype)))


def calls(dtype, seed=0, shape=(64, 7)):
    """(label, function, args, kwargs, ulps allowed) on interior inputs."""
    rng = np.random.default_rng(seed)
    f = lambda *s: rng.normal(0, 3, s or shape).astype(dtype)  # noqa: E731
    y01 = (rng.random(shape) < 0.5).astype(dtype)
    soft = rng.random(shape).astype(dtype)
    probs = rng.uniform(1e-6, 1 - 1e-6, shape).astype(dtype)
    pm = (2 * y01 - 1).astype(dtype)
    z = f()
    p_rows = ln.softmax(z)
    labels = rng.integers(0, shape[1], shape[0])
    one_hot = np.eye(shape[1], dtype=dtype)[labels]
    # float32 log1p goes through the SIMD log (see _kernels.log1p): a couple of ulp.
    l1p = 4 if dtype == np.float32 else 0
    # float32 log1p of the row sums goes through float64 (rounded once), where the general code
    # calls libm's float32 log1p (within an ulp): two ulps apart at most.
    rows = 2 if dtype == np.float32 else 0
    out = []
    for reduction in ("none", "mean", "sum"):
        r = {"reduction": reduction}
        out += [
            ("mse", ln.mse, (f(), f()), r, 0),
            ("mae", ln.mae, (f(), f()), r, 0),
            ("huber", ln.huber, (f(), f()), {**r, "delta": 1.5}, 2),
            ("bce", ln.binary_cross_entropy, (soft, probs), r, l1p),
            ("bce hard", ln.binary_cross_entropy, (y01, probs), r, l1p),
            ("bce logits", ln.binary_cross_entropy, (soft, f()), {**r, "from_logits": True}, l1p),
            ("cce", ln.categorical_cross_entropy, (one_hot, p_rows), r, 0),
            ("cce soft", ln.categorical_cross_entropy, (ln.softmax(f()), p_rows), r, 0),
            ("cce logits", ln.categorical_cross_entropy, (one_hot, z), {**r, "from_logits": True},
             rows),
            ("cce axis 0", ln.categorical_cross_entropy, (one_hot.T, z.T),
             {**r, "from_logits": True, "axis": 0}, rows),
            ("sparse", ln.sparse_categorical_cross_entropy, (labels, p_rows), r, 0),
            ("sparse logits", ln.sparse_categorical_cross_entropy, (labels, z),
             {**r, "from_logits": True}, rows),
        ]
    out += [
        ("margin", ln.margin, (pm, f()), {}, 0),
        ("hinge", ln.hinge, (f(),), {}, 0),
        ("squared_hinge", ln.squared_hinge, (f(),), {}, 0),
        ("logistic", ln.logistic, (f(),), {}, l1p),
        # Long rows take NumPy's own reductions, not the column loops.
        ("cce 40 classes", ln.categorical_cross_entropy,
         (np.eye(40, dtype=dtype)[labels % 40], rng.normal(0, 3, (shape[0], 40)).astype(dtype)),
         {"from_logits": True}, rows),
    ]
    return out


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_kernels_agree_with_the_general_code(general, dtype):
    for label, fn, args, kwargs, allowed in calls(dtype):
        fast, slow = fn(*args, **kwargs), general(fn, *args, **kwargs)
        assert np.shape(fast) == np.shape(slow) and np.asarray(fast).dtype == dtype, label
        assert ulps(fast, slow) <= allowed, (label, ulps(fast, slow))


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_kernels_do_run_on_interior_inputs(monkeypatch, dtype):
    used = set()
    for name in KERNELS:
        original = getattr(_kernels, name)

        def spy(*a, _name=name, _original=original, **k):
            out = _original(*a, **k)
            if out is not None:
                used.add(_name)
            return out

        monkeypatch.setattr(_kernels, name, spy)
    for _, fn, args, kwargs, _ in calls(dtype):
        fn(*args, **kwargs)
    assert used == set(KERNELS)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("seed, shape", [(0, (64, 7)), (1, (1, 4)), (2, (1, 1)), (3, (3, 2))])
def test_kernels_never_modify_their_inputs(general, dtype, seed, shape):
    # One row is the case to watch: its transpose is contiguous, so a "copy" can be a view.
    for label, fn, args, kwargs, allowed in calls(dtype, seed, shape):
        before = [np.array(a, copy=True) for a in args]
        fast = fn(*args, **kwargs)
        for a, b in zip(args, before, strict=True):
            np.testing.assert_array_equal(a, b, err_msg=label)
        assert ulps(fast, general(fn, *args, **kwargs)) <= allowed, label


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_blocked_kernels_on_large_arrays(general, dtype):
    # Several blocks: per-element values are the same, and the mean is the float64 sum of the
    # blocks' pairwise sums, within an ulp or two of the general code's single pairwise sum.
    n = 2 * _kernels.UNBLOCKED_BYTES // np.dtype(dtype).itemsize + 123
    for label, fn, args, kwargs, allowed in calls(dtype, seed=4, shape=(n // 7, 7)):
        fast, slow = fn(*args, **kwargs), general(fn, *args, **kwargs)
        reduced = kwargs.get("reduction", "none") != "none"
        assert ulps(fast, slow) <= allowed + (4 if reduced else 0), (label, ulps(fast, slow))


def test_ties_for_the_maximum_are_summed_like_the_general_code(general):
    z = np.array([[2.0, 2.0, 0.0, -1.0], [5.0, 5.0, 5.0, 5.0], [1.0, 0.0, 1.0, -3.0]])
    y = np.eye(4)[[0, 2, 3]]
    for fn, a in ((ln.categorical_cross_entropy, y), (ln.sparse_categorical_cross_entropy,
                                                       np.array([0, 2, 3]))):
        fast = fn(a, z, from_logits=True, reduction="none")
        assert ulps(fast, general(fn, a, z, from_logits=True, reduction="none")) <= 1
    np.testing.assert_allclose(fast[1], np.log(4), rtol=1e-15)


EDGE = [
    (ln.binary_cross_entropy, ([1.0, 0.0], [1.0, 0.5]), {}),  # p = 1
    (ln.binary_cross_entropy, ([1.0, 0.0], [0.0, 0.5]), {}),  # p = 0
    (ln.binary_cross_entropy, ([1.0, 0.0], [np.inf, 2.0]), {"from_logits": True}),
    (ln.categorical_cross_entropy, ([[0.0, 1.0]], [[1.0, 0.0]]), {}),
    (ln.categorical_cross_entropy, ([[0.0, 1.0]], [[np.inf, 0.0]]), {"from_logits": True}),
    (ln.sparse_categorical_cross_entropy, ([1], [[-np.inf, 0.0]]), {"from_logits": True}),
    (ln.logistic, ([-np.inf, 0.0, 1000.0],), {}),
    (ln.mse, ([np.inf, 0.0], [1.0, 0.0]), {}),
    (ln.huber, ([-np.inf, 0.0], [1.0, 0.0]), {"reduction": "none"}),
]


@pytest.mark.parametrize("fn, args, kwargs", EDGE)
def test_edge_inputs_take_the_general_code(general, fn, args, kwargs):
    fast, slow = fn(*args, **kwargs), general(fn, *args, **kwargs)
    np.testing.assert_array_equal(fast, slow)


BAD = [
    (ln.mse, ([0.0, 1.0], [0.5, np.nan]), {}, r"y_pred contains NaN at index \(1,\)"),
    (ln.mse, ([np.nan, 1.0], [0.5, 0.5]), {"reduction": "none"}, r"y_true contains NaN"),
    (ln.mae, ([0.0], [[0.5]]), {}, r"y_true has shape \(1,\) but y_pred has shape \(1, 1\)"),
    (ln.huber, ([0.0, 1.0], [0.5, np.nan]), {"reduction": "bad"}, r"y_pred contains NaN"),
    (ln.huber, ([0.0], [0.5]), {"reduction": "bad"}, r"reduction must be one of"),
    (ln.huber, ([0.0], [0.5]), {"delta": -1.0}, r"delta must be a positive"),
    (ln.binary_cross_entropy, ([1.0, 0.0], [0.5, 1.5]), {}, r"y_pred must be probabilities"),
    (ln.binary_cross_entropy, ([1.0, 2.0], [0.5, 0.5]), {}, r"y_true must be binary labels"),
    (ln.binary_cross_entropy, ([1.0], [np.nan]), {"from_logits": True}, r"y_pred contains NaN"),
    (ln.categorical_cross_entropy, ([[0.0, 1.0]], [[0.2, 0.2]]), {}, r"must sum to 1"),
    (ln.categorical_cross_entropy, ([[0.0, 1.0]], [[0.5, 0.5]]), {"axis": 2}, r"axis 2 is out"),
    (ln.sparse_categorical_cross_entropy, ([2], [[0.5, 0.5]]), {}, r"class indices in \[0, 1\]"),
    (ln.sparse_categorical_cross_entropy, ([0, 1], [[0.5, 0.5]]), {}, r"labels has shape"),
    (ln.margin, ([1.0, 0.0], [0.5, 0.5]), {}, r"y must hold labels in \{-1, \+1\}"),
    (ln.margin, ([1.0, -1.0], [0.5, np.nan]), {}, r"score contains NaN"),
    (ln.hinge, ([0.0, np.nan],), {}, r"m contains NaN"),
    (ln.logistic, ([0.0, np.nan],), {}, r"m contains NaN"),
]


@pytest.mark.parametrize("fn, args, kwargs, message", BAD)
def test_bad_inputs_raise_the_same_errors(general, fn, args, kwargs, message):
    with pytest.raises(ValueError, match=message) as fast:
        fn(*(np.asarray(a) for a in args), **kwargs)
    with pytest.raises(ValueError) as slow:
        general(fn, *(np.asarray(a) for a in args), **kwargs)
    assert str(fast.value) == str(slow.value)


def test_integer_and_scalar_inputs_take_the_general_code():
    assert _kernels.mse([1, 2], [1, 3], "mean") is None  # ints: converted by the general code
    assert _kernels.hinge(np.float64(0.5)) is None  # 0-d
    assert float(ln.mse([1, 2], [1, 3])) == 0.5
    assert float(ln.hinge(0.5)) == 0.5


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_kernels_hold_the_accuracy_target_on_the_interior_grid(dtype):
    acc = pytest.importorskip("lossnotes.accuracy")
    target = 2.0 if dtype == "float64" else 4.0
    for name, options in acc.CASES:
        if name.endswith("_grad") or name not in KERNELS:
            continue
        m = acc.measure(name, dtype=dtype, limits=False, **options)  # no edge value: kernels
        assert m.worst <= target, (name, options, m.worst, m.where())
        if dtype == "float64":
            assert m.worst <= 1.6, (name, options, m.worst)  # as the general code measures
        else:
            assert m.worst <= 2.2, (name, options, m.worst)
