"""Losses of three inputs: the margin ranking loss against hand computations and torch, its
two derivatives, like_torch's arithmetic at torch's edges, the errors, and compare with three
inputs.

The registry-parametrized tests (test_registry.py, test_accuracy.py, test_compare.py,
test_core_hostile.py) cover the record itself: reference, grid, ulp bounds, finite
differences of each derivative, the agreement matrix.
"""

import numpy as np
import pytest

import lossnotes as ln

MRL, MRL_GRAD = ln.margin_ranking_loss, ln.margin_ranking_loss_grad
RNG = np.random.default_rng(20261129)


def _torch_values_and_grads(fn, inputs, *others, **options):
    """torch.nn.functional's ``fn`` on ``inputs`` (NumPy arrays, each made a leaf tensor) and
    ``others`` (tensors), unreduced: its values, and the derivative of their sum with respect
    to each input, as NumPy arrays."""
    import torch

    leaves = [torch.tensor(x, requires_grad=True) for x in inputs]
    values = getattr(torch.nn.functional, fn)(*leaves, *others, reduction="none", **options)
    values.sum().backward()
    return values.detach().numpy(), [t.grad.numpy() for t in leaves]


def _hand(x1, x2, y, margin):
    """The margin ranking loss of one pair by its definition, in Python floats."""
    return max(0.0, margin - y * (x1 - x2))


# ---------------------------------------------------------------------------------------------
# values and derivatives
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("x1, x2, y, margin, expected", [
    (2.0, 1.0, 1.0, 0.5, 0.0),     # x1 one ahead, as asked: free
    (0.75, 0.5, 1.0, 0.5, 0.25),   # a quarter ahead of the half asked for
    (1.0, 0.0, -1.0, 0.5, 1.5),    # x2 should be ahead: 1 behind plus the margin
    (1.0, 3.0, -1.0, 0.0, 0.0),    # margin 0: right order costs nothing
    (3.0, 1.0, -1.0, 0.0, 2.0),    # wrong order costs the difference
])
def test_margin_ranking_by_hand(x1, x2, y, margin, expected):
    assert _hand(x1, x2, y, margin) == expected  # the definition, on exact binary fractions
    assert MRL([x1], [x2], [y], margin=margin) == expected
    d1, d2 = MRL_GRAD([x1], [x2], [y], margin=margin)
    slope = -y if expected > 0 else 0.0
    np.testing.assert_array_equal(d1, [slope])
    np.testing.assert_array_equal(d2, [-slope])


def test_margin_ranking_reductions_and_dtypes():
    x1, x2 = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))
    y = np.where(RNG.random((3, 4)) < 0.5, -1.0, 1.0)
    terms = np.vectorize(_hand)(x1, x2, y, 0.3)
    np.testing.assert_allclose(MRL(x1, x2, y, margin=0.3, reduction="none"), terms, rtol=1e-15)
    assert MRL(x1, x2, y, margin=0.3, reduction="sum") == pytest.approx(terms.sum(), rel=1e-14)
    assert MRL(x1, x2, y, margin=0.3) == pytest.approx(terms.mean(), rel=1e-14)
    out = MRL(np.float32(x1), np.float32(x2), y, reduction="none")
    assert out.dtype == np.float32
    d1, d2 = MRL_GRAD(np.float32(x1), x2, y)  # float32 and float64 scores: float64
    assert d1.dtype == d2.dtype == np.float64 and d1.shape == x1.shape


def test_the_kink_has_the_subgradient_zero():
    # pairs exactly the margin apart, and a tie at margin 0: loss 0, derivative 0
    d1, d2 = MRL_GRAD([1.5, 1.0, 2.0], [1.0, 1.5, 2.0], [1, -1, 1], margin=0.5)
    np.testing.assert_array_equal(MRL([1.5, 1.0], [1.0, 1.5], [1, -1], margin=0.5,
                                      reduction="none"), [0.0, 0.0])
    np.testing.assert_array_equal(d1, [0.0, 0.0, -1.0])
    np.testing.assert_array_equal(d2, [0.0, 0.0, 1.0])


def test_infinite_scores_have_their_limits():
    out = MRL([np.inf, 1.0, -np.inf], [0.0, -np.inf, 0.0], [1, 1, 1], reduction="none")
    np.testing.assert_array_equal(out, [0.0, 0.0, np.inf])
    d1, d2 = MRL_GRAD([np.inf, -np.inf], [0.0, 0.0], [1, 1])
    np.testing.assert_array_equal(d1, [0.0, -1.0])
    np.testing.assert_array_equal(d2, [0.0, 1.0])


# ---------------------------------------------------------------------------------------------
# against torch
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-15), (np.float32, 1e-6)])
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking_matches_torch_on_seeded_pairs(dtype, rtol, margin):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x1, x2 = rng.normal(0, 2, (5, 6)).astype(dtype), rng.normal(0, 2, (5, 6)).astype(dtype)
    y = np.where(rng.random((5, 6)) < 0.5, -1, 1).astype(dtype)
    per_pair, (g1, g2) = _torch_values_and_grads("margin_ranking_loss", (x1, x2),
                                                 torch.tensor(y), margin=margin)
    np.testing.assert_allclose(MRL(x1, x2, y, margin=margin, reduction="none"), per_pair,
                               rtol=rtol, atol=0)
    # seeded normals are never exactly the margin apart: no kink here
    d1, d2 = MRL_GRAD(x1, x2, y, margin=margin)
    np.testing.assert_array_equal(d1, g1)
    np.testing.assert_array_equal(d2, g2)


def test_like_torch_reproduces_torch_at_its_edges():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    # labels torch does not check, a pair at the kink, and both scores at +inf
    x1 = np.array([1.0, 1.0, 1.5, np.inf])
    x2 = np.array([3.0, 3.0, 1.0, np.inf])
    y = np.array([0.0, 2.0, 1.0, 1.0])
    t1, t2 = (torch.tensor(x, requires_grad=True) for x in (x1, x2))
    theirs = F.margin_ranking_loss(t1, t2, torch.tensor(y), margin=0.5, reduction="none")
    theirs.sum().backward()
    ours = ln.like_torch.margin_ranking_loss(x1, x2, y, margin=0.5, reduction="none")
    np.testing.assert_array_equal(ours, theirs.detach().numpy())  # [0.5, 4.5, 0, nan]
    g1, g2 = ln.like_torch.margin_ranking_loss_grad(x1, x2, y, margin=0.5)
    np.testing.assert_array_equal(g1, t1.grad.numpy())
    np.testing.assert_array_equal(g2, t2.grad.numpy())
    # the exact function refuses those labels and that difference
    with pytest.raises(ValueError, match=r"y must hold labels in \{-1, \+1\}; found 0.0"):
        MRL(x1[:2], x2[:2], y[:2])
    with pytest.raises(ValueError, match=r"x1 and x2 are both inf at index \(0,\)"):
        MRL(x1[3:], x2[3:], y[3:])


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [MRL, MRL_GRAD])
def test_margin_ranking_errors_name_the_argument(fn):
    with pytest.raises(ValueError, match=r"x1 has shape \(2,\) but x2 has shape \(3,\)"):
        fn([1.0, 2.0], [1.0, 2.0, 3.0], [1, 1])
    with pytest.raises(ValueError, match=r"y has shape \(2, 1\) but x1 has shape \(2,\)"):
        fn([1.0, 2.0], [0.0, 0.0], [[1], [1]])
    with pytest.raises(ValueError, match=r"y must hold labels in \{-1, \+1\}.*map them with"):
        fn([1.0, 2.0], [0.0, 0.0], [0, 1])
    with pytest.raises(ValueError, match=r"x2 contains NaN at index \(1,\)"):
        fn([1.0, 2.0], [0.0, np.nan], [1, 1])
    with pytest.raises(ValueError, match=r"margin must be a finite real number; found inf"):
        fn([1.0], [0.0], [1], margin=np.inf)
    with pytest.raises(ValueError, match=r"margin must be a finite real number; found True"):
        fn([1.0], [0.0], [1], margin=True)


# ---------------------------------------------------------------------------------------------
# compare with three inputs
# ---------------------------------------------------------------------------------------------


def test_compare_takes_the_three_inputs_in_the_loss_order():
    pytest.importorskip("torch")
    x1, x2, y = [2.0, 0.75, 1.0], [1.0, 0.5, 0.0], [1.0, 1.0, -1.0]
    r = ln.compare("margin_ranking_loss", x1, x2, y, margin=0.5)
    assert r.status == {"keras": "absent", "torch": "agree"}
    np.testing.assert_array_equal(r.elementwise["torch"], [0.0, 0.25, 1.5])
    assert float(r.reduced["lossnotes"]) == pytest.approx(1.75 / 3, rel=1e-15)
    assert str(r).startswith("margin_ranking_loss, margin=0.5: loss, float64, x1 shape (3,)")
    g = ln.compare_grad("margin_ranking_loss", x1, x2, y, margin=0.5, frameworks="torch")
    assert g.status == {"torch": "agree"} and g.wrt == ("x1", "x2")
    # the derivatives in x1 and x2, stacked; those of the mean are divided by the 3 pairs
    np.testing.assert_array_equal(g.elementwise["torch"], [[0, -1, 1], [0, 1, -1]])
    np.testing.assert_allclose(g.reduced["lossnotes"], [[0, -1 / 3, 1 / 3], [0, 1 / 3, -1 / 3]],
                               rtol=1e-15)
    assert "gradient with respect to x1 and x2" in str(g)


def test_compare_counts_the_inputs():
    with pytest.raises(TypeError, match=r"compare\('margin_ranking_loss'\) takes 3 inputs "
                                        r"\(x1, x2, y\); found 2"):
        ln.compare("margin_ranking_loss", [1.0], [0.0])
    with pytest.raises(TypeError, match=r"compare\('mse'\) takes 2 inputs \(y_true, y_pred\); "
                                        r"found 3"):
        ln.compare("mse", [1.0], [0.0], [1.0])
    with pytest.raises(ValueError, match=r"x1 has dtype float16; compare works in float32"):
        ln.compare("margin_ranking_loss", np.float16([1.0]), [0.0], [1.0])


# ---------------------------------------------------------------------------------------------
# the cosine embedding loss
# ---------------------------------------------------------------------------------------------

CEL, CEL_GRAD = ln.cosine_embedding_loss, ln.cosine_embedding_loss_grad


def _cos(a, b):
    """The cosine by its definition, in Python floats (on exactly representable vectors)."""
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (sum(x * x for x in a) ** 0.5 * sum(y * y for y in b) ** 0.5)


@pytest.mark.parametrize("x1, x2, y, margin, expected", [
    ([3.0, 4.0], [4.0, 3.0], 1.0, 0.0, 1 / 25),      # cos = 24/25
    ([3.0, 4.0], [4.0, 3.0], -1.0, 0.5, 0.46),       # 24/25 - 1/2
    ([3.0, 4.0], [4.0, -3.0], -1.0, 0.0, 0.0),       # orthogonal: cos 0, at margin 0
    ([1.0, 2.0, 2.0], [-2.0, -4.0, -4.0], 1.0, 0.0, 2.0),  # opposite
    ([1.0, 0.0], [1e-300, 0.0], 1.0, 0.0, 0.0),      # no underflow: parallel
    ([1e300, 1e300], [1e300, -1e300], -1.0, -0.5, 0.5),  # no overflow: orthogonal
])
def test_cosine_embedding_by_hand(x1, x2, y, margin, expected):
    if max(map(abs, x1 + x2)) < 1e10 and min(map(abs, x1 + x2)) > 1e-10:
        c = _cos(x1, x2)  # the definition, where its squares neither overflow nor underflow
        assert (1 - c if y == 1 else max(0.0, c - margin)) == pytest.approx(expected, abs=1e-15)
    out = CEL([x1], [x2], [y], margin=margin, reduction="none")
    np.testing.assert_allclose(out, [expected], rtol=1e-15, atol=1e-16)


def test_cosine_embedding_derivatives_by_hand():
    # (3, 4) and (4, 3): u = (0.6, 0.8), v = (0.8, 0.6), cos = 0.96; d cos / d x1 = (v - cos u)/5
    dcos1 = (np.array([0.8, 0.6]) - 0.96 * np.array([0.6, 0.8])) / 5
    dcos2 = (np.array([0.6, 0.8]) - 0.96 * np.array([0.8, 0.6])) / 5
    d1, d2 = CEL_GRAD([[3.0, 4.0], [3.0, 4.0], [3.0, 4.0]], [[4.0, 3.0]] * 3, [1, -1, -1],
                      margin=0.5)
    np.testing.assert_allclose(d1, [-dcos1, dcos1, dcos1], rtol=1e-14)
    np.testing.assert_allclose(d2, [-dcos2, dcos2, dcos2], rtol=1e-14)
    d1, d2 = CEL_GRAD([[3.0, 4.0]], [[4.0, 3.0]], [-1], margin=0.97)  # below the margin
    np.testing.assert_array_equal(d1, [[0.0, 0.0]])
    np.testing.assert_array_equal(d2, [[0.0, 0.0]])


def test_cosine_embedding_shapes_dtypes_and_batch_independence():
    x1, x2 = RNG.normal(size=(2, 3, 5)), RNG.normal(size=(2, 3, 5))
    y = np.where(RNG.random((2, 3)) < 0.5, -1.0, 1.0)
    out = CEL(x1, x2, y, reduction="none")
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out[1, 2], CEL(x1[1, 2], x2[1, 2], y[1, 2], reduction="none"),
                               rtol=0, atol=0)
    f32 = CEL(np.float32(x1), np.float32(x2), y, reduction="none")
    assert f32.dtype == np.float32
    d1, d2 = CEL_GRAD(np.float16(x1), np.float16(x2), y)
    assert d1.dtype == d2.dtype == np.float16 and d1.shape == x1.shape


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-10), (np.float32, 1e-5)])
@pytest.mark.parametrize("margin", [0.0, 0.3])
def test_cosine_embedding_matches_torch_on_seeded_pairs(dtype, rtol, margin):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    x1, x2 = rng.normal(0, 1, (6, 4)).astype(dtype), rng.normal(0, 1, (6, 4)).astype(dtype)
    y = np.where(rng.random(6) < 0.5, -1, 1).astype(dtype)
    per_pair, (g1, g2) = _torch_values_and_grads("cosine_embedding_loss", (x1, x2),
                                                 torch.tensor(y), margin=margin)
    # torch's 1e-12 moves these cosines (squared norms of about 4) by about 1e-13, and its
    # float32 sums round differently: within the tolerance of each dtype
    np.testing.assert_allclose(CEL(x1, x2, y, margin=margin, reduction="none"), per_pair,
                               rtol=rtol, atol=10 * rtol)
    d1, d2 = CEL_GRAD(x1, x2, y, margin=margin)
    np.testing.assert_allclose(d1, g1, rtol=rtol, atol=10 * rtol)
    np.testing.assert_allclose(d2, g2, rtol=rtol, atol=10 * rtol)


def test_like_torch_cosine_reproduces_torch_at_its_edges():
    torch = pytest.importorskip("torch")
    # a zero vector, parallel vectors of norm 1e-7 (eps shrinks their cosine), labels 0 and 2
    x1 = np.array([[0.0, 0.0], [1e-7, 0.0], [1.0, 0.0], [1.0, 1.0]])
    x2 = np.array([[1.0, 0.0], [2e-7, 0.0], [0.0, 1.0], [1.0, -1.0]])
    y = np.array([1.0, 1.0, 0.0, 2.0])
    t1, t2 = (torch.tensor(x, requires_grad=True) for x in (x1, x2))
    theirs = torch.nn.functional.cosine_embedding_loss(t1, t2, torch.tensor(y), margin=0.5,
                                                       reduction="none")
    theirs.sum().backward()
    ours = ln.like_torch.cosine_embedding_loss(x1, x2, y, margin=0.5, reduction="none")
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-14, atol=0)
    assert ours[0] == 1.0 and 0.9 < ours[1] < 1  # the exact values: refused, and 0
    g1, g2 = ln.like_torch.cosine_embedding_loss_grad(x1, x2, y, margin=0.5)
    np.testing.assert_allclose(g1, t1.grad.numpy(), rtol=1e-12, atol=0)
    np.testing.assert_allclose(g2, t2.grad.numpy(), rtol=1e-12, atol=0)
    assert CEL(x1[1:2], x2[1:2], y[1:2]) == 0
    with pytest.raises(ValueError, match=r"x1 is a zero vector at index \(0,\)"):
        CEL(x1[:1], x2[:1], y[:1])


@pytest.mark.parametrize("fn", [CEL, CEL_GRAD])
def test_cosine_embedding_errors_name_the_argument(fn):
    with pytest.raises(ValueError, match=r"x2 is a zero vector at index \(1,\)"):
        fn([[1.0, 0.0], [1.0, 0.0]], [[1.0, 0.0], [0.0, 0.0]], [1, 1])
    with pytest.raises(ValueError, match=r"y has shape \(2,\) but x1 has shape \(2,\); "
                                         r"expected \(\), one label per pair"):
        fn([1.0, 0.0], [0.0, 1.0], [1, 1])
    with pytest.raises(ValueError, match=r"x1 has shape \(2, 2\) but x2 has shape \(2, 3\)"):
        fn(np.ones((2, 2)), np.ones((2, 3)), [1, 1])
    with pytest.raises(ValueError, match=r"x1 holds inf at index \(0, 1\)"):
        fn([[1.0, np.inf]], [[1.0, 0.0]], [1])
    with pytest.raises(ValueError, match=r"y must hold labels in \{-1, \+1\}; found 0.0"):
        fn([[1.0, 0.0]], [[1.0, 0.0]], [0])
    with pytest.raises(ValueError, match=r"x1 has shape \(2, 0\); expected vectors"):
        fn(np.ones((2, 0)), np.ones((2, 0)), [1, 1])


def test_compare_cosine_embedding_with_a_zero_vector():
    pytest.importorskip("torch")
    r = ln.compare("cosine_embedding_loss", [[0.0, 0.0], [1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]],
                   [1.0, 1.0])
    assert r.status == {"keras": "absent", "torch": "explained"}
    assert r.rows[0].status == "refused"
    np.testing.assert_allclose(r.elementwise["torch"], [1.0, 1.0], rtol=1e-12)
    assert any("1e-12 as a C++ float" in n.text for n in r.notes)


# ---------------------------------------------------------------------------------------------
# the triplet margin loss
# ---------------------------------------------------------------------------------------------

TML, TML_GRAD = ln.triplet_margin_loss, ln.triplet_margin_loss_grad


def _dist(x, y, p, eps):
    """torch's pairwise_distance of two vectors by its definition, in Python floats."""
    return sum(abs(s - t + eps) ** p for s, t in zip(x, y, strict=True)) ** (1 / p)


def _triplet_hand(a, pos, neg, margin=1.0, p=2.0, eps=1e-6, swap=False):
    dneg = _dist(a, neg, p, eps)
    if swap:
        dneg = min(dneg, _dist(pos, neg, p, eps))
    return max(0.0, _dist(a, pos, p, eps) - dneg + margin)


@pytest.mark.parametrize("a, pos, neg, options, expected", [
    # 3-4-5 triangles, eps 0: the plain Euclidean distance
    ([0.0, 0.0], [3.0, 4.0], [0.0, 6.0], {"eps": 0.0}, 0.0),               # the kink: 1 + 5 - 6
    ([0.0, 0.0], [3.0, 4.0], [0.0, 4.5], {"eps": 0.0}, 1.5),               # 1 + 5 - 4.5
    ([0.0, 0.0], [3.0, 0.0], [4.0, 0.0], {"eps": 0.0, "margin": 2.0}, 1.0),
    ([0.0, 0.0], [3.0, 0.0], [4.0, 0.0], {"eps": 0.0, "margin": 2.0, "swap": True}, 4.0),
    ([0.0, 0.0], [3.0, 4.0], [1.0, 1.0], {"eps": 0.0, "p": 1.0}, 6.0),     # 1 + 7 - 2
    ([1.0, 2.0], [1.0, 2.0], [1.0, 2.5], {"eps": 0.0}, 0.5),               # zero distance
])
def test_triplet_margin_by_hand(a, pos, neg, options, expected):
    assert _triplet_hand(a, pos, neg, **options) == pytest.approx(expected, abs=1e-15)
    out = TML([a], [pos], [neg], reduction="none", **options)
    np.testing.assert_allclose(out, [expected], rtol=1e-15, atol=1e-15)


def test_triplet_margin_with_eps_against_the_definition():
    a, pos, neg = RNG.normal(size=(3, 5, 4))
    for options in ({}, {"p": 1.0}, {"p": 3.0, "margin": 2.0}, {"swap": True, "eps": 1e-3}):
        terms = [_triplet_hand(*(v.tolist() for v in t), **options)
                 for t in zip(a, pos, neg, strict=True)]
        np.testing.assert_allclose(TML(a, pos, neg, reduction="none", **options), terms,
                                   rtol=1e-13, atol=1e-15)
        assert TML(a, pos, neg, reduction="sum", **options) == pytest.approx(sum(terms),
                                                                             rel=1e-13)


def test_triplet_margin_derivatives_by_hand():
    # a = 0, p = (3, 4), n = (0, 4.5): d/da = (a - p)/5 - (a - n)/4.5, d/dp = (p - a)/5,
    # d/dn = (a - n)/4.5
    da, dp, dn = TML_GRAD([[0.0, 0.0]], [[3.0, 4.0]], [[0.0, 4.5]], eps=0.0)
    np.testing.assert_allclose(da, [[-0.6, -0.8 + 1.0]], rtol=1e-15)
    np.testing.assert_allclose(dp, [[0.6, 0.8]], rtol=1e-15)
    np.testing.assert_allclose(dn, [[0.0, -1.0]], rtol=1e-15)
    # p = 1: the signs of the differences, 0 for an entry 0
    da, dp, dn = TML_GRAD([[1.0, 2.0, 0.5]], [[1.0, 3.0, 0.5]], [[2.0, 2.0, 1.0]], p=1.0,
                          eps=0.0)
    np.testing.assert_array_equal(da, [[1.0, -1.0, 1.0]])
    np.testing.assert_array_equal(dp, [[0.0, 1.0, 0.0]])
    np.testing.assert_array_equal(dn, [[-1.0, 0.0, -1.0]])
    # the kink and a triplet that costs nothing: 0; a zero distance: its subgradient 0
    for n in ([[0.0, 6.0]], [[0.0, 9.0]]):
        for d in TML_GRAD([[0.0, 0.0]], [[3.0, 4.0]], n, eps=0.0):
            np.testing.assert_array_equal(d, [[0.0, 0.0]])
    da, dp, dn = TML_GRAD([[1.0, 2.0]], [[1.0, 2.0]], [[1.0, 2.5]], eps=0.0)
    np.testing.assert_array_equal(dp, [[0.0, 0.0]])
    np.testing.assert_array_equal(dn, [[0.0, -1.0]])


def test_triplet_margin_shapes_dtypes_and_batch_independence():
    a, pos, neg = (RNG.normal(size=(2, 3, 5)) for _ in range(3))
    out = TML(a, pos, neg, reduction="none", swap=True)
    assert out.shape == (2, 3)
    np.testing.assert_array_equal(out[1, 2], TML(a[1, 2], pos[1, 2], neg[1, 2], swap=True,
                                                 reduction="none"))
    assert TML(np.float32(a), np.float32(pos), np.float32(neg), reduction="none").dtype \
        == np.float32
    grads = TML_GRAD(np.float16(a), np.float16(pos), np.float32(neg))
    assert all(g.dtype == np.float32 and g.shape == a.shape for g in grads)
    # no overflow or underflow in the norm
    big = TML([[1e300, 0.0]], [[-1e300, 0.0]], [[1e300, 1e300]], eps=0.0, margin=1.0)
    assert big == pytest.approx(1 + 2e300 - 1e300, rel=1e-15)
    tiny = TML([[0.0, 0.0]], [[3e-200, 4e-200]], [[0.0, 4.5e-200]], eps=0.0, margin=1.0)
    assert tiny == pytest.approx(1.0 + 0.5e-200, rel=1e-15)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("options", [{}, {"p": 1.0}, {"p": 3.0}, {"swap": True, "margin": 2.0},
                                     {"eps": 0.0, "margin": 0.5}])
def test_triplet_margin_matches_torch_on_seeded_triplets(dtype, rtol, options):
    pytest.importorskip("torch")
    rng = np.random.default_rng(15)
    a, pos, neg = (rng.normal(0, 1, (8, 5)).astype(dtype) for _ in range(3))
    per_triplet, grads = _torch_values_and_grads("triplet_margin_loss", (a, pos, neg),
                                                 **options)
    assert (per_triplet > 0).sum() >= 2  # some triplets cost something
    np.testing.assert_allclose(TML(a, pos, neg, reduction="none", **options), per_triplet,
                               rtol=rtol, atol=rtol)
    for ours, theirs in zip(TML_GRAD(a, pos, neg, **options), grads, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol)


def test_like_torch_triplet_reproduces_torch_at_the_kink_and_the_swap_tie():
    torch = pytest.importorskip("torch")
    # the kink (1 + 5 - 6 = 0, eps 0), then a swap tie (anchor = positive)
    cases = [(([[0.0, 0.0]], [[3.0, 4.0]], [[0.0, 6.0]]), {"eps": 0.0}),
             (([[0.0, 0.0]], [[0.0, 0.0]], [[0.5, 0.0]]), {"swap": True})]
    for inputs, options in cases:
        ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
        torch.nn.functional.triplet_margin_loss(*ts, reduction="sum", **options).backward()
        theirs = [t.grad.numpy() for t in ts]
        for ours, t in zip(ln.like_torch.triplet_margin_loss_grad(*inputs, **options), theirs,
                           strict=True):
            np.testing.assert_allclose(ours, t, rtol=1e-14, atol=1e-300)
    # the exact function chooses 0 at the kink; at the swap tie it agrees with torch
    for d in TML_GRAD(*cases[0][0], **cases[0][1]):
        np.testing.assert_array_equal(d, [[0.0, 0.0]])
    np.testing.assert_allclose(TML_GRAD(*cases[1][0], **cases[1][1])[0], theirs[0], rtol=1e-14)


@pytest.mark.parametrize("fn", [TML, TML_GRAD])
def test_triplet_margin_errors_name_the_argument(fn):
    one = [[1.0, 2.0]]
    with pytest.raises(ValueError, match=r"negative has shape \(1, 3\) but anchor has shape "
                                         r"\(1, 2\)"):
        fn(one, one, [[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match=r"positive holds inf at index \(0, 1\)"):
        fn(one, [[1.0, np.inf]], one)
    with pytest.raises(ValueError, match=r"anchor contains NaN"):
        fn([[np.nan, 1.0]], one, one)
    with pytest.raises(ValueError, match=r"margin must be a positive finite number.*; found 0.0"):
        fn(one, one, one, margin=0.0)
    with pytest.raises(ValueError, match=r"p must be a finite number >= 1.*; found 0.5"):
        fn(one, one, one, p=0.5)
    with pytest.raises(ValueError, match=r"eps must be a finite real number; found nan"):
        fn(one, one, one, eps=np.nan)
    with pytest.raises(TypeError, match=r"swap must be True or False; found 1"):
        fn(one, one, one, swap=1)
    with pytest.raises(ValueError, match=r"anchor has shape \(\); expected vectors"):
        fn(1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match=r"anchor - negative overflows at index \(0, 0\)"):
        fn([[1.7e308, 0.0]], [[1.7e308, 0.0]], [[-1.7e308, 0.0]])


def test_compare_triplet_at_the_kink():
    pytest.importorskip("torch")
    inputs = ([[0.0, 0.0]], [[3.0, 4.0]], [[0.0, 6.0]])
    r = ln.compare("triplet_margin_loss", *inputs, eps=0.0)
    assert r.status == {"keras": "absent", "torch": "agree"}
    g = ln.compare_grad("triplet_margin_loss", *inputs, eps=0.0)
    assert g.status == {"keras": "absent", "torch": "explained"}
    assert g.wrt == ("anchor", "positive", "negative")
    np.testing.assert_allclose(g.elementwise["torch"],
                               [[[-0.6, 0.2]], [[0.6, 0.8]], [[0.0, -1.0]]])
    assert any("torch's clamp_min passes" in n.text for n in g.notes)


# ---------------------------------------------------------------------------------------------
# the triplet margin loss with a distance
# ---------------------------------------------------------------------------------------------

TMD, TMD_GRAD = ln.triplet_margin_with_distance_loss, ln.triplet_margin_with_distance_loss_grad


def test_triplet_with_the_euclidean_distance_is_the_triplet_margin_loss():
    a, pos, neg = RNG.normal(size=(3, 6, 4))
    for swap in (False, True):
        np.testing.assert_array_equal(TMD(a, pos, neg, swap=swap, margin=0.5, reduction="none"),
                                      TML(a, pos, neg, swap=swap, margin=0.5, reduction="none"))
        for ours, theirs in zip(TMD_GRAD(a, pos, neg, swap=swap), TML_GRAD(a, pos, neg, swap=swap),
                                strict=True):
            np.testing.assert_array_equal(ours, theirs)


def test_triplet_with_the_cosine_distance_by_hand():
    # the positive at 60 degrees (distance 1/2), the negative at 90 (distance 1), margin 1
    a, pos, neg = [[1.0, 0.0]], [[1.0, 3**0.5]], [[0.0, 2.0]]
    assert TMD(a, pos, neg, distance="cosine") == pytest.approx(0.5, abs=1e-15)
    # with margin 0.25 the negative is far enough; with the swap the negative is 30 degrees
    # from the positive: 1/2 - (1 - cos 30) + 1/4
    assert TMD(a, pos, neg, distance="cosine", margin=0.25) == 0.0
    assert TMD(a, pos, neg, distance="cosine", margin=0.25, swap=True) == pytest.approx(
        0.5 - (1 - 3**0.5 / 2) + 0.25, abs=1e-15)
    # d(1 - cos)/dx = -(v - cos u)/|x|, d/dy = -(u - cos v)/|y|, u = x/|x|, v = y/|y|
    da, dp, dn = TMD_GRAD(a, pos, neg, distance="cosine")
    np.testing.assert_allclose(da, [[0.0, 1 - 3**0.5 / 2]], atol=1e-15)
    np.testing.assert_allclose(dp, [[-(1 - 0.25) / 2, 0.5 * 3**0.5 / 2 / 2]], atol=1e-15)
    np.testing.assert_allclose(dn, [[0.5, 0.0]], atol=1e-15)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("options", [{}, {"distance": "cosine"},
                                     {"distance": "cosine", "swap": True, "margin": 0.5}])
def test_triplet_with_distance_matches_torch_on_seeded_triplets(dtype, rtol, options):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(16)
    a, pos, neg = (rng.normal(0, 1, (8, 5)).astype(dtype) for _ in range(3))
    ts = [torch.tensor(x, requires_grad=True) for x in (a, pos, neg)]
    fn = (lambda x, y: 1 - F.cosine_similarity(x, y)) if options.get("distance") else None
    theirs = F.triplet_margin_with_distance_loss(
        *ts, distance_function=fn, margin=options.get("margin", 1.0),
        swap=options.get("swap", False), reduction="none")
    theirs.sum().backward()
    assert (theirs.detach().numpy() > 0).sum() >= 2  # some triplets cost something
    np.testing.assert_allclose(TMD(a, pos, neg, reduction="none", **options),
                               theirs.detach().numpy(), rtol=rtol, atol=rtol)
    for ours, t in zip(TMD_GRAD(a, pos, neg, **options), ts, strict=True):
        np.testing.assert_allclose(ours, t.grad.numpy(), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("fn", [TMD, TMD_GRAD])
def test_triplet_with_distance_refuses_functions_and_zero_vectors(fn):
    one = [[1.0, 2.0]]
    with pytest.raises(TypeError, match=r"distance must be 'euclidean' or 'cosine'; found "
                                        r"<function .*cannot differentiate a function"):
        fn(one, one, one, distance=lambda x, y: np.abs(x - y).sum(-1))
    with pytest.raises(TypeError, match=r"distance must be 'euclidean' or 'cosine'; found "
                                        r"'manhattan'$"):
        fn(one, one, one, distance="manhattan")
    with pytest.raises(ValueError, match=r"negative is a zero vector at index \(0,\)"):
        fn(one, one, [[0.0, 0.0]], distance="cosine")
    with pytest.raises(ValueError, match=r"margin must be a positive finite number"):
        fn(one, one, one, margin=-1.0)


def test_compare_triplet_with_distance_at_the_kink():
    pytest.importorskip("torch")
    # cosine distances 1 and 2: 1 + 1 - 2 = 0
    inputs = ([[1.0, 0.0]], [[0.0, 1.0]], [[-1.0, 0.0]])
    r = ln.compare("triplet_margin_with_distance_loss", *inputs, distance="cosine")
    assert r.status == {"keras": "absent", "torch": "agree"}
    assert r.rows[-1].call == (
        "F.triplet_margin_with_distance_loss(anchor, positive, negative, distance_function="
        "lambda x, y: 1 - F.cosine_similarity(x, y), margin=1.0, swap=False, reduction='none')")
    g = ln.compare_grad("triplet_margin_with_distance_loss", *inputs, distance="cosine")
    assert g.status == {"keras": "absent", "torch": "explained"}
    np.testing.assert_allclose(g.elementwise["torch"], [[[0.0, -1.0]], [[-1.0, 0.0]],
                                                        [[0.0, 0.0]]], atol=1e-15)
