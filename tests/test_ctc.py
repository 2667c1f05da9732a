"""CTC: values, gradient, reductions, errors, and Keras and torch.

Expected values come from the paths counted by hand (equal logits make every path of T frames
equally likely), from a 50-digit mpmath sum over every path of T frames (the definition: the
paths that collapse to the labels, no recursion), from torch's ``F.ctc_loss`` and its autograd,
and from ``keras.losses.ctc``.
"""

import itertools
import math

import mpmath
import numpy as np
import pytest

import lossnotes as ln
from lossnotes._compare import _frameworks

RNG = np.random.default_rng(20261129)
mp = mpmath.MPContext()
mp.dps = 50


def _collapse(path, blank):
    """Merge repeated classes, then drop the blanks."""
    return tuple(k for k, _ in itertools.groupby(path) if k != blank)


def _by_paths(labels, logits, blank=0):
    """``(loss, gradient)`` of one sequence (logits (T, C)) at 50 digits, from every path.

    p = sum over the paths that collapse to ``labels`` of prod_t y_t(path_t), and
    d(-log p)/du_tk = y_t(k) - P(path_t = k | the path collapses to labels)."""
    t_len, c = np.shape(logits)
    u = [[mp.mpf(float(v)) for v in row] for row in logits]
    y = [[mp.exp(v) / mp.fsum(mp.exp(w) for w in row) for v in row] for row in u]
    target = tuple(int(k) for k in labels)
    p, at = mp.zero, [[mp.zero] * c for _ in range(t_len)]
    for path in itertools.product(range(c), repeat=t_len):
        if _collapse(path, blank) != target:
            continue
        q = mp.fprod(y[t][k] for t, k in enumerate(path))
        p += q
        for t, k in enumerate(path):
            at[t][k] += q
    if p == 0:
        return math.inf, np.zeros((t_len, c))
    grad = np.array([[float(y[t][k] - at[t][k] / p) for k in range(c)] for t in range(t_len)])
    return float(-mp.log(p)), grad


def _batch(n, t, c, s, blank=0, rng=RNG, scale=2.0):
    """Seeded logits (n, t, c), labels (n, s) (padding -1) and ragged lengths."""
    logits = rng.normal(0, scale, (n, t, c))
    x_len = rng.integers(1, t + 1, n)
    y_len = np.minimum(rng.integers(0, s + 1, n), x_len)  # a label per frame at most
    classes = [k for k in range(c) if k != blank]
    labels = np.where(np.arange(s) < y_len[:, None], rng.choice(classes, (n, s)), -1)
    return labels, logits, x_len, y_len


# ---------------------------------------------------------------------------------------------
# by hand and from every path
# ---------------------------------------------------------------------------------------------


def test_equal_logits_count_the_paths():
    # every path of T frames has probability 2^-T; "1" in 2 frames: 11, 01, 10;
    # "1 1" in 3 frames: 101 only; "1 1" in 2 frames: no path; "" in 2 frames: 00
    logits = np.zeros((4, 3, 2))
    labels = [[1, 0], [1, 1], [1, 1], [0, 0]]
    got = ln.ctc(labels, logits, input_lengths=[2, 3, 2, 2], reduction="none")
    np.testing.assert_allclose(got, [math.log(4 / 3), math.log(8), math.inf, math.log(4)],
                               rtol=1e-15)
    # "1" in 2 frames: each frame is class 1 on 2 paths of 3, the blank on 1; frame 3 unused
    grad = ln.ctc_grad([[1]], np.zeros((1, 3, 2)), input_lengths=[2])
    np.testing.assert_allclose(grad[0], [[1 / 6, -1 / 6], [1 / 6, -1 / 6], [0, 0]],
                               rtol=1e-15, atol=1e-16)


@pytest.mark.parametrize("t, c, blank", [(1, 2, 0), (3, 2, 0), (4, 3, 0), (5, 3, 0),
                                         (5, 3, 2), (4, 3, 1)])
def test_loss_and_gradient_are_the_sum_over_every_path(t, c, blank):
    rng = np.random.default_rng([t, c, blank])
    labels, logits, x_len, y_len = _batch(8, t, c, 3, blank, rng)
    labels[0, :2] = next(k for k in range(c) if k != blank)  # a repeated label
    y_len[0] = min(2, t)
    x_len[1], y_len[1], labels[1, 0] = 1, 1, (blank + 1) % c  # one frame, one label
    loss = ln.ctc(labels, logits, input_lengths=x_len, label_lengths=y_len, blank=blank,
                  reduction="none")
    grad = ln.ctc_grad(labels, logits, input_lengths=x_len, label_lengths=y_len, blank=blank)
    for i in range(len(labels)):
        want, want_grad = _by_paths(labels[i, :y_len[i]], logits[i, :x_len[i]], blank)
        assert loss[i] == pytest.approx(want, rel=1e-13), i
        np.testing.assert_allclose(grad[i, :x_len[i]], want_grad, rtol=0, atol=1e-14)
        assert not grad[i, x_len[i]:].any()  # the frames after the input length


def test_empty_labels_and_the_blank_alone():
    # no labels (S = 0): the one path of T blanks, 2^-T with equal logits over 2 classes
    got = ln.ctc(np.zeros((2, 0), dtype=int), np.zeros((2, 3, 2)), reduction="none")
    np.testing.assert_allclose(got, [3 * math.log(2)] * 2, rtol=1e-15)
    # one class, the blank: the path of blanks is certain, its loss +0 and its gradient 0
    got = ln.ctc([[0, 0]], np.zeros((1, 4, 1)), reduction="none")
    assert got[0] == 0 and math.copysign(1, got[0]) == 1
    assert not ln.ctc_grad([[0, 0]], np.zeros((1, 4, 1))).any()
    assert ln.ctc(np.zeros((0, 2), dtype=int), np.zeros((0, 3, 2)), reduction="sum") == 0


def test_too_short_an_input_gives_inf_and_a_zero_gradient():
    # "1 1 2" needs 4 frames (a blank between the two 1s): 3 are too few, 4 have one path
    logits = RNG.normal(size=(2, 4, 3))
    labels = [[1, 1, 2], [1, 1, 2]]
    loss = ln.ctc(labels, logits, input_lengths=[3, 4], reduction="none")
    assert loss[0] == math.inf and loss[1] == pytest.approx(
        _by_paths([1, 1, 2], logits[1])[0], rel=1e-13)
    assert not ln.ctc_grad(labels, logits, input_lengths=[3, 4])[0].any()
    assert ln.ctc(labels, logits, input_lengths=[3, 4]) == math.inf
    # a weight of 0 drops the impossible sequence
    assert ln.ctc(labels, logits, input_lengths=[3, 4], reduction="sum",
                  sample_weight=[0.0, 1.0]) == loss[1]


# ---------------------------------------------------------------------------------------------
# reductions, weights, dtypes, the rest of the batch
# ---------------------------------------------------------------------------------------------


def test_reductions_and_weights():
    labels, logits, x_len, y_len = _batch(6, 7, 4, 3)
    kw = {"input_lengths": x_len, "label_lengths": y_len}
    each = ln.ctc(labels, logits, reduction="none", **kw)
    w = RNG.uniform(0, 2, 6)
    assert ln.ctc(labels, logits, **kw) == pytest.approx(each.sum() / 6, rel=1e-14)
    assert ln.ctc(labels, logits, reduction="sum", **kw) == pytest.approx(each.sum(), rel=1e-14)
    assert ln.ctc(labels, logits, sample_weight=w, **kw) == pytest.approx(
        (w * each).sum() / w.sum(), rel=1e-14)
    np.testing.assert_allclose(ln.ctc(labels, logits, reduction="none", sample_weight=w, **kw),
                               w * each, rtol=1e-15)
    np.testing.assert_allclose(ln.ctc_grad(labels, logits, sample_weight=w, **kw),
                               w[:, None, None] * ln.ctc_grad(labels, logits, **kw), rtol=1e-15)


def test_a_sequence_loss_does_not_depend_on_the_rest_of_the_batch():
    labels, logits, x_len, y_len = _batch(5, 6, 4, 3)
    kw = {"input_lengths": x_len, "label_lengths": y_len}
    whole = ln.ctc(labels, logits, reduction="none", **kw)
    grads = ln.ctc_grad(labels, logits, **kw)
    for i in range(5):
        one = {"input_lengths": x_len[i:i + 1], "label_lengths": y_len[i:i + 1]}
        assert ln.ctc(labels[i:i + 1], logits[i:i + 1], reduction="none", **one)[0] == whole[i]
        assert np.array_equal(ln.ctc_grad(labels[i:i + 1], logits[i:i + 1], **one)[0], grads[i])


def test_padding_with_blanks_is_the_default_label_length():
    labels = np.array([[2, 1, 0, 0], [1, 1, 2, 0], [0, 0, 0, 0]])
    logits = RNG.normal(size=(3, 6, 3))
    np.testing.assert_array_equal(
        ln.ctc(labels, logits, reduction="none"),
        ln.ctc(labels, logits, label_lengths=[2, 3, 0], reduction="none"))


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_narrow_floats_are_computed_in_float64_and_rounded_once(dtype):
    labels, logits, x_len, y_len = _batch(4, 5, 3, 2)
    logits = logits.astype(dtype)
    kw = {"input_lengths": x_len, "label_lengths": y_len, "reduction": "none"}
    got = ln.ctc(labels, logits, **kw)
    assert got.dtype == dtype
    assert ln.ctc_grad(labels, logits, input_lengths=x_len, label_lengths=y_len).dtype == dtype
    np.testing.assert_array_equal(got, ln.ctc(labels, logits.astype(np.float64), **kw)
                                  .astype(dtype))


def test_long_sequences_and_large_logits_stay_finite():
    # 2000 frames: the probability of the labels underflows any float, its log does not
    rng = np.random.default_rng(2000)
    logits, labels = rng.normal(0, 300, (2, 2000, 5)), rng.integers(1, 5, (2, 40))
    y_len = np.array([40, 17])
    loss = ln.ctc(labels, logits, label_lengths=y_len, reduction="none")
    grad = ln.ctc_grad(labels, logits, label_lengths=y_len)
    assert np.isfinite(loss).all() and loss.min() > 1000
    assert np.isfinite(grad).all()
    # softmax and occupancy each sum to 1 over the classes; the occupancy is
    # exp(alpha + beta + loss), sums of the size of the loss (5e5 here), each rounded: so
    # within a few times loss * 2^-52 (1e-9 measured against 1.3e-10)
    np.testing.assert_allclose(grad.sum(axis=-1), 0, atol=16 * loss.max() * 2.0**-52)


# ---------------------------------------------------------------------------------------------
# torch and Keras
# ---------------------------------------------------------------------------------------------


def _torch_ctc(torch, labels, logits, x_len, y_len, blank=0, reduction="none"):
    """F.ctc_loss as a reader calls it: log_softmax, then (T, N, C)."""
    import torch.nn.functional as F

    log_probs = torch.log_softmax(logits, dim=-1).transpose(0, 1)
    return F.ctc_loss(log_probs, torch.tensor(np.maximum(labels, 0)), torch.tensor(x_len),
                      torch.tensor(y_len), blank=blank, reduction=reduction)


@pytest.mark.parametrize("blank", [0, 3])
def test_torch_values_mean_and_autograd(blank):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng([blank])
    labels, logits, x_len, y_len = _batch(16, 30, 6, 12, blank, rng)
    y_len[0] = 0  # an empty label: 1 in the division of torch's mean
    # every sequence possible (2L frames suffice): torch's gradient of an infinite loss is NaN
    x_len = np.maximum(x_len, 2 * y_len)
    labels = np.where(labels < 0, (blank + 1) % 6, labels)
    kw = {"input_lengths": x_len, "label_lengths": y_len, "blank": blank}
    u = torch.tensor(logits, requires_grad=True)
    theirs = _torch_ctc(torch, labels, u, x_len, y_len, blank)
    ours = ln.ctc(labels, logits, reduction="none", **kw)
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-12)
    # torch's "mean" divides each loss by its label length (at least 1) before the mean
    mean = _torch_ctc(torch, labels, torch.tensor(logits), x_len, y_len, blank, "mean")
    assert float(mean) == pytest.approx((ours / np.maximum(y_len, 1)).mean(), rel=1e-12)
    assert float(_torch_ctc(torch, labels, torch.tensor(logits), x_len, y_len, blank, "sum")) \
        == pytest.approx(ln.ctc(labels, logits, reduction="sum", **kw), rel=1e-12)
    w = rng.uniform(0, 2, 16)
    (torch.tensor(w) * theirs).sum().backward()
    np.testing.assert_allclose(ln.ctc_grad(labels, logits, sample_weight=w, **kw),
                               u.grad.numpy(), rtol=0, atol=1e-12)


def _keras():
    keras = _frameworks.keras()
    if not hasattr(keras.losses, "ctc"):
        pytest.skip("keras.losses.ctc arrived in Keras 3.1.0")
    return keras


def test_keras_per_sequence_values_and_mean():
    keras = _keras()
    rng = np.random.default_rng(7)
    # Keras: labels padded with 0 (the blank), every sequence the full T frames
    logits = rng.normal(0, 2, (6, 9, 5)).astype(np.float32)
    y_len = np.array([4, 1, 3, 0, 2, 4])
    labels = np.where(np.arange(4) < y_len[:, None], rng.integers(1, 5, (6, 4)), 0)
    labels[0, :2] = 3  # a repeated label
    theirs = np.asarray(keras.losses.ctc(labels, logits))
    ours = ln.ctc(labels, logits, reduction="none")
    # float32: TensorFlow's recursion rounds each step in float32, lossnotes once at the end
    np.testing.assert_allclose(ours, theirs, rtol=2e-6)
    assert float(np.asarray(keras.losses.CTC()(labels, logits))) == pytest.approx(
        float(ln.ctc(labels, logits)), rel=2e-6)


# ---------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("change, match", [
    ({"labels": [[1, 0, 2], [1, 2, 0]]}, r"labels holds the blank \(0\) inside a label sequence"),
    ({"labels": [[1, 2, 0], [1, 0, 0]], "label_lengths": [3, 1]},
     r"labels holds 0 at index \(0, 2\).*other than the blank"),
    ({"labels": [[1, 3, 0], [1, 0, 0]]}, r"labels holds 3 at index \(0, 1\).*from 0 to 2"),
    ({"labels": [[1.0, 2.0, 0.0], [1.0, 0.0, 0.0]]}, r"labels must hold integers.*float64"),
    ({"labels": [1, 2, 0]}, r"labels has shape \(3,\); expected \(2, S\)"),
    ({"input_lengths": [4, 5]}, r"input_lengths holds 5 at index \(1,\).*from 1 to 4"),
    ({"input_lengths": [0, 4]}, r"input_lengths holds 0 .*from 1 to 4"),
    ({"input_lengths": [4.0, 4.0]}, r"input_lengths must hold integers.*float64"),
    ({"input_lengths": [4]}, r"input_lengths has shape \(1,\); expected \(2,\)"),
    ({"label_lengths": [4, 1]}, r"label_lengths holds 4 .*from 0 to 3"),
    ({"label_lengths": [-1, 1]}, r"label_lengths holds -1 .*from 0 to 3"),
    ({"logits": np.zeros((2, 4))}, r"logits has shape \(2, 4\); expected \(N, T, C\)"),
    ({"logits": np.full((2, 4, 3), np.inf)}, r"logits holds inf .*expected finite"),
    ({"logits": np.zeros((2, 0, 3))}, r"logits has shape \(2, 0, 3\); expected at least one "
     "frame"),
    ({"logits": np.zeros((2, 4, 0))}, r"logits has shape \(2, 4, 0\); expected at least one "
     r"frame \(T\) and one class"),
    ({"logits": np.full((2, 4, 3), np.nan)}, r"logits contains NaN"),
    ({"blank": 3}, r"blank is 3; expected .* from 0 to 2"),
    ({"blank": 1.0}, r"blank is 1.0; expected the integer index"),
    ({"reduction": "batchmean"}, r"reduction"),
    ({"sample_weight": [1.0, -1.0]}, r"sample_weight must hold finite, non-negative"),
])
def test_bad_input_names_the_argument(change, match):
    args = {"labels": [[1, 2, 0], [1, 0, 0]], "logits": np.zeros((2, 4, 3)), **change}
    labels, logits = args.pop("labels"), args.pop("logits")
    with pytest.raises(ValueError, match=match):
        ln.ctc(labels, logits, **args)
    if "reduction" not in change:  # ctc_grad has no reduction
        with pytest.raises(ValueError, match=match):
            ln.ctc_grad(labels, logits, **args)


# ---------------------------------------------------------------------------------------------
# compare and the registry's record
# ---------------------------------------------------------------------------------------------


def _keras_compared():
    """Whether compare runs this Keras on CTC (3.4.0 and later count the labels other than 0)."""
    return not _frameworks.keras_before((3, 4, 0))


def test_compare_runs_torch_and_keras_on_a_float32_batch():
    pytest.importorskip("torch")
    labels, logits, _, _ = _batch(5, 8, 4, 3)
    labels = np.where(labels < 0, 0, labels)  # Keras's padding: the blank, 0
    logits = logits.astype(np.float32)
    r = ln.compare("ctc", labels, logits)
    want = {"torch": "agree", **({"keras": "agree"} if _keras_compared() else {})}
    assert r.status == want, str(r)
    # per sequence the torch row is F.ctc_loss's 'none', and the reduced value is its sum / N
    torch = _frameworks.torch()[0]
    y_len = (labels != 0).sum(axis=1)
    theirs = _torch_ctc(torch, labels, torch.tensor(logits), np.full(5, 8), y_len)
    np.testing.assert_array_equal(r.per_sample["torch"], theirs.numpy())
    ours = ln.ctc(labels, logits, reduction="none")
    np.testing.assert_allclose(r.per_sample["lossnotes"], ours, rtol=0)
    # torch's own 'mean' (each loss over its label length) is stated in a note, with its value
    mean = float(_torch_ctc(torch, labels, torch.tensor(logits), np.full(5, 8), y_len,
                            reduction="mean"))
    text = next(n.text for n in r.notes if "reduction='mean' divides" in n.text)
    assert f"here {mean:.6g} against {float(ours.mean()):.6g}" in text


def test_compare_leaves_keras_out_of_what_it_cannot_express():
    pytest.importorskip("torch")
    labels, logits, x_len, y_len = _batch(4, 6, 5, 3, blank=4)
    labels = np.where(labels < 0, 4, labels)
    x_len = np.maximum(x_len, 2 * y_len)  # every sequence possible
    for opts, why in [
            ({"input_lengths": x_len, "label_lengths": y_len, "blank": 4}, "takes neither"),
            ({"blank": 4}, "takes neither"),
    ]:
        r = ln.compare("ctc", labels, logits.astype(np.float32), **opts)
        assert set(r.status) == {"torch"} and r.status["torch"] == "agree", str(r)
        assert any(why in n.text or "arrived in Keras 3.1.0" in n.text for n in r.notes
                   if n.frameworks == ("keras",))
    # float64: Keras computes in float32, and compare says so
    labels0 = np.where(np.arange(3) < np.array([[2], [1], [3], [0]]), [[1, 2, 3]], 0)
    r = ln.compare_grad("ctc", labels0, logits)
    assert set(r.status) == {"torch"} and r.status["torch"] == "agree"
    if _keras_compared():
        assert any("computes float64 logits in float32" in n.text for n in r.notes)


def test_an_impossible_alignment_in_compare():
    """+inf in lossnotes and torch; torch's gradient NaN on the sequence's frames only (0 after
    its input length), which a note explains; lossnotes' gradient 0."""
    pytest.importorskip("torch")
    labels = np.array([[1, 1], [1, 2]])
    logits = RNG.normal(0, 1, (2, 4, 3))
    kw = {"input_lengths": np.array([2, 4]), "label_lengths": np.array([2, 2])}
    r = ln.compare("ctc", labels, logits, **kw)
    assert r.status == {"torch": "agree"}
    assert r.per_sample["torch"][0] == r.per_sample["lossnotes"][0] == np.inf
    g = ln.compare_grad("ctc", labels, logits, **kw)
    assert g.status == {"torch": "explained"}
    torch_grad = g.elementwise["torch"]
    assert np.isnan(torch_grad[0, :2]).all() and (torch_grad[0, 2:] == 0).all()
    assert np.isfinite(torch_grad[1]).all()
    assert (g.elementwise["lossnotes"][0] == 0).all()
    assert any("zero_infinity=False" in n.text and n.explains for n in g.notes)


def test_keras_gives_an_impossible_alignment_a_finite_loss():
    """What the Keras note says: TensorFlow's CTC floors the log-likelihood, so "1 1" in 2
    frames (no path) costs a large finite amount in Keras, +inf in lossnotes."""
    keras = _keras()
    logits = np.zeros((1, 2, 3), dtype=np.float32)
    theirs = float(np.asarray(keras.losses.ctc(np.array([[1, 1]]), logits))[0])
    assert np.isfinite(theirs) and theirs > 100
    assert ln.ctc([[1, 1]], logits, reduction="none")[0] == np.inf


def test_the_reference_is_the_sum_over_every_path():
    """The accuracy lab's reference (mpmath forward-backward in probabilities) against the
    definition (every path, above), on ragged lengths and blank 2."""
    from lossnotes import _reference

    rng = np.random.default_rng(5)
    labels, logits, x_len, y_len = _batch(4, 4, 3, 2, blank=2, rng=rng)
    labels = np.where(labels < 0, 0, labels)
    kw = {"input_lengths": x_len, "label_lengths": y_len, "blank": 2}
    loss = _reference.ref_ctc(labels, logits, **kw)
    grad = _reference.ref_ctc_grad(labels, logits, **kw)
    for i in range(4):
        value, g = _by_paths(labels[i, :y_len[i]], logits[i, :x_len[i]], blank=2)
        assert float(loss[i]) == pytest.approx(value, rel=1e-15)
        np.testing.assert_allclose(np.asarray(grad[i, :x_len[i]], dtype=float), g, rtol=0,
                                   atol=1e-15)
        assert (grad[i, x_len[i]:] == 0).all()


def test_a_keras_before_3_4_0_is_left_out(monkeypatch):
    """Keras 3.1.0 to 3.3.3 read every row of labels as S labels, the padding included (their
    losses.py: label_length = y_true.shape[1]); 3.0.0 has no ctc: compare leaves Keras out."""
    pytest.importorskip("torch")
    monkeypatch.setattr(_frameworks, "keras_version", lambda: "3.3.3")
    monkeypatch.setattr(_frameworks, "keras_before", lambda version: version > (3, 3, 3))
    r = ln.compare("ctc", [[1, 2], [1, 0]], np.zeros((2, 4, 3), np.float32))
    assert r.status == {"torch": "agree"}
    (note,) = [n for n in r.notes if n.frameworks == ("keras",)]
    assert note.text.startswith("not compared with Keras 3.3.3: keras.losses.ctc arrived in "
                                "Keras 3.1.0, and before 3.4.0 it reads every row")
