"""Keras to PyTorch and back: one row per loss of either framework, each row run and checked.

A row holds three expressions that are meant to compute the same number on the same inputs:
the Keras call, the torch call and the lossnotes call (each a line a reader can paste). Where a
framework has no such loss, its expression is the one line that writes it with that
framework's ops. :func:`translations` evaluates every expression, exactly as printed, on one
seeded float32 batch and reports whether the numbers agree; the book's translation page and
``python -m lossnotes`` show the result, so a row whose verdict changes on a reader's versions
is reported there.

The catalogue lists every loss function of ``keras.losses`` and every loss of
``torch.nn.functional`` (``tests/test_translation.py`` checks that against the installed
frameworks), including the few that no row translates yet; those say so.
"""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass

import numpy as np

from . import _frameworks
from ._results import RTOL, wrap

SEED = 20261129


@dataclass(frozen=True)
class Translation:
    """One row: the losses it translates and the three expressions that compute its number.

    ``keras_loss`` and ``torch_loss`` name the framework's loss (a function of ``keras.losses``
    or of ``torch.nn.functional``), or are None where the framework has none; the expression is
    then a one-line equivalent in that framework's ops. ``inputs`` names the seeded batch the
    expressions read (see :data:`INPUTS`).
    """

    title: str
    inputs: str
    keras_loss: str | None
    keras: str | None
    torch_loss: str | None
    torch: str | None
    lossnotes: str | None = None
    note: str = ""
    #: The Keras release that added ``keras_loss``, when after 3.0.0 (read from
    #: ``keras/src/losses/losses.py`` in the wheels of Keras 3.0.0 to 3.12.0).
    keras_since: tuple = ()
    #: The Keras release from which ``keras_loss`` computes the row's number, when it arrived
    #: earlier but computed something else (with why, in ``note``): on an older Keras the row
    #: says so instead of running.
    keras_agrees_since: tuple = ()
    #: What a side's expression is, when it is neither the framework's own loss (``*_loss``
    #: set) nor a one-line equivalent in its ops: "the same loss with from_logits=True", say.
    keras_lead: str = ""
    torch_lead: str = ""
    #: The loss of the agreement matrix (``python -m lossnotes``) whose Keras and torch calls are
    #: this row's, with the options its edge cases must have: its edge-case verdicts are shown.
    matrix: tuple = ()


T = Translation

ROWS = (
    # regression -------------------------------------------------------------------------------
    T("Mean squared error", "values",
      "mean_squared_error", "keras.losses.MeanSquaredError()(y_true, y_pred)",
      "mse_loss", "F.mse_loss(y_pred, y_true)",
      "ln.mse(y_true, y_pred)",
      "torch takes (input, target): the prediction first.",
      matrix=("mse", {})),
    T("Mean absolute error", "values",
      "mean_absolute_error", "keras.losses.MeanAbsoluteError()(y_true, y_pred)",
      "l1_loss", "F.l1_loss(y_pred, y_true)",
      "ln.mae(y_true, y_pred)",
      matrix=("mae", {})),
    T("Huber", "values",
      "huber", "keras.losses.Huber(delta=0.5)(y_true, y_pred)",
      "huber_loss", "F.huber_loss(y_pred, y_true, delta=0.5)",
      "ln.huber(y_true, y_pred, delta=0.5)",
      matrix=("huber", {})),
    T("Smooth L1 (Huber divided by its threshold)", "values",
      None, "keras.losses.Huber(delta=0.5)(y_true, y_pred) / 0.5",
      "smooth_l1_loss", "F.smooth_l1_loss(y_pred, y_true, beta=0.5)",
      "ln.huber(y_true, y_pred, delta=0.5) / 0.5",
      "smooth_l1_loss(beta=b) is huber(delta=b) / b: the same for b = 1 only.",
      keras_lead="Huber divided by delta"),
    T("Log-cosh", "values",
      "log_cosh", "keras.losses.LogCosh()(y_true, y_pred)",
      None, "(torch.logaddexp(y_pred - y_true, y_true - y_pred) - math.log(2)).mean()",
      "ln.log_cosh(y_true, y_pred)",
      "log cosh x = logaddexp(x, -x) - log 2 does not overflow where torch.cosh would.",
      matrix=("log_cosh", {})),
    T("Mean squared logarithmic error", "positive",
      "mean_squared_logarithmic_error",
      "keras.losses.MeanSquaredLogarithmicError()(y_true, y_pred)",
      None, "F.mse_loss(torch.log1p(y_pred), torch.log1p(y_true))",
      "ln.mean_squared_logarithmic_error(y_true, y_pred)",
      "Keras first raises both to its epsilon 1e-7 (negative inputs are clipped, not refused).",
      matrix=("mean_squared_logarithmic_error", {})),
    T("Mean absolute percentage error", "values",
      "mean_absolute_percentage_error",
      "keras.losses.MeanAbsolutePercentageError()(y_true, y_pred)",
      None, "(100 * (y_pred - y_true).abs() / y_true.abs().clamp(min=1e-7)).mean()",
      "ln.mean_absolute_percentage_error(y_true, y_pred)",
      "A percentage: the factor 100 is part of Keras's loss; |y_true| below 1e-7 is raised to "
      "1e-7.",
      matrix=("mean_absolute_percentage_error", {})),
    T("Poisson negative log-likelihood", "counts",
      "poisson", "keras.losses.Poisson()(y_true, y_pred)",
      "poisson_nll_loss", "F.poisson_nll_loss(y_pred, y_true, log_input=False)",
      "ln.poisson(y_true, y_pred)",
      "torch's default log_input=True reads y_pred as log(rate); Keras adds 1e-7 inside the log, "
      "torch 1e-8. Both leave out log(y!), which does not depend on the prediction (torch adds "
      "Stirling's approximation of it with full=True).",
      matrix=("poisson", {"log_input": False})),
    T("Gaussian negative log-likelihood", "gaussian",
      None, "keras.ops.mean(0.5 * (keras.ops.log(var) + (y_pred - y_true) ** 2 / var))",
      "gaussian_nll_loss", "F.gaussian_nll_loss(y_pred, y_true, var)",
      "ln.gaussian_nll_loss(y_true, y_pred, var=var)",
      "torch clamps var below at eps=1e-6 and leaves out 0.5 log(2 pi) unless full=True.",
      matrix=("gaussian_nll_loss", {})),
    # classification on probabilities and logits --------------------------------------------
    T("Binary cross-entropy on probabilities", "probabilities",
      "binary_crossentropy", "keras.losses.BinaryCrossentropy()(y_true, y_pred)",
      "binary_cross_entropy", "F.binary_cross_entropy(y_pred, y_true)",
      "ln.binary_cross_entropy(y_true, y_pred)",
      "At p = 0 or 1 Keras clips p to [1e-7, 1 - 1e-7]; torch clamps each log at -100.",
      matrix=("binary_cross_entropy", {"from_logits": False})),
    T("Binary cross-entropy on logits", "binary_logits",
      None, "keras.losses.BinaryCrossentropy(from_logits=True)(y_true, y_pred)",
      "binary_cross_entropy_with_logits", "F.binary_cross_entropy_with_logits(y_pred, y_true)",
      "ln.binary_cross_entropy(y_true, y_pred, from_logits=True)",
      "Keras has one loss with from_logits=True; torch has a second function.",
      keras_lead="binary_crossentropy with from_logits=True",
      matrix=("binary_cross_entropy", {"from_logits": True})),
    T("Categorical cross-entropy (one-hot or soft targets)", "one_hot",
      "categorical_crossentropy",
      "keras.losses.CategoricalCrossentropy(from_logits=True)(y_true, y_pred)",
      None, "F.cross_entropy(y_pred, y_true)",
      "ln.categorical_cross_entropy(y_true, y_pred, from_logits=True)",
      "F.cross_entropy reads logits always, and class probabilities as targets when they are "
      "floats the shape of the logits (torch 1.10 on).",
      torch_lead="cross_entropy with class probabilities as targets",
      matrix=("categorical_cross_entropy", {"from_logits": True})),
    T("Sparse categorical cross-entropy (class indices)", "labels",
      "sparse_categorical_crossentropy",
      "keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, y_pred)",
      "cross_entropy", "F.cross_entropy(y_pred, labels)",
      "ln.sparse_categorical_cross_entropy(labels, y_pred, from_logits=True)",
      "Keras's default from_logits=False reads probabilities; torch's cross_entropy always "
      "reads logits.",
      matrix=("sparse_categorical_cross_entropy", {"from_logits": True})),
    T("Negative log-likelihood of log-probabilities", "log_probabilities",
      None, "keras.ops.mean(-keras.ops.take_along_axis(log_p, labels[:, None], axis=-1))",
      "nll_loss", "F.nll_loss(log_p, labels)",
      "ln.nll_loss(labels, log_p)",
      "nll_loss takes log-probabilities, not probabilities and not logits: it picks and "
      "negates, without renormalising (a cross-entropy on logits would take their log-softmax, "
      "which changes nothing on log-probabilities but changes the gradient).",
      matrix=("nll_loss", {})),
    T("Kullback-Leibler divergence", "distributions",
      "kl_divergence", "keras.losses.KLDivergence()(y_true, y_pred)",
      "kl_div", "F.kl_div(torch.log(y_pred), y_true, reduction='batchmean')",
      "ln.kl_divergence(y_true, y_pred)",
      "torch takes the log of the prediction as input, and its default reduction='mean' "
      "divides by the number of elements, not of samples: 'batchmean' is the divergence. Keras "
      "clips both distributions to [1e-7, 1].",
      matrix=("kl_divergence", {})),
    T("Binary focal cross-entropy", "binary_logits",
      "binary_focal_crossentropy",
      "keras.losses.BinaryFocalCrossentropy(gamma=2.0, from_logits=True)(y_true, y_pred)",
      None,
      "(F.binary_cross_entropy_with_logits(y_pred, y_true, reduction='none') * (1 - (y_true * "
      "y_pred.sigmoid() + (1 - y_true) * (1 - y_pred.sigmoid()))) ** 2).mean()",
      "ln.binary_focal_cross_entropy(y_true, y_pred, gamma=2.0, from_logits=True)",
      "torchvision.ops.sigmoid_focal_loss is the same with alpha=-1 (no class balancing); "
      "torch.nn.functional has none.",
      matrix=("binary_focal_cross_entropy", {"from_logits": True})),
    T("Categorical focal cross-entropy", "one_hot",
      "categorical_focal_crossentropy",
      "keras.losses.CategoricalFocalCrossentropy(from_logits=True)(y_true, y_pred)",
      None,
      "(-0.25 * y_true * (1 - y_pred.softmax(-1)) ** 2 * y_pred.log_softmax(-1)).sum(-1).mean()",
      "ln.categorical_focal_cross_entropy(y_true, y_pred, from_logits=True)",
      "Keras's default alpha=0.25 multiplies every class, gamma=2.0. Keras computes on clipped "
      "probabilities, not on log-softmax.",
      matrix=("categorical_focal_cross_entropy", {"from_logits": True})),
    T("Generalised cross-entropy", "probability_rows",
      "categorical_generalized_cross_entropy",
      "keras.losses.CategoricalGeneralizedCrossEntropy(q=0.5)(labels, y_pred)",
      None, "((1 - y_pred.gather(-1, labels[:, None]).squeeze(-1) ** 0.5) / 0.5).mean()",
      "ln.categorical_generalized_cross_entropy(labels, y_pred, q=0.5)",
      "(1 - p_y^q) / q: the cross-entropy as q -> 0, the mean absolute error (times 2) at q = 1. "
      "Keras's takes class indices and probabilities despite its 'categorical'.",
      keras_since=(3, 10, 0),
      matrix=("categorical_generalized_cross_entropy", {})),
    # margins -------------------------------------------------------------------------------
    T("Hinge", "signs",
      "hinge", "keras.losses.Hinge()(y_true, y_pred)",
      None, "torch.clamp(1 - y_true * y_pred, min=0).mean()",
      "ln.hinge(ln.margin(y_true, y_pred), reduction='mean')",
      "Keras reads labels 0 as -1 (it maps {0, 1} to {-1, +1}); the torch line does not.",
      matrix=("hinge", {})),
    T("Squared hinge", "signs",
      "squared_hinge", "keras.losses.SquaredHinge()(y_true, y_pred)",
      None, "torch.clamp(1 - y_true * y_pred, min=0).square().mean()",
      "ln.squared_hinge(ln.margin(y_true, y_pred), reduction='mean')",
      matrix=("squared_hinge", {})),
    T("Logistic loss of the margin (soft margin)", "signs",
      None, "keras.losses.BinaryCrossentropy(from_logits=True)((y_true + 1) / 2, y_pred)",
      "soft_margin_loss", "F.soft_margin_loss(y_pred, y_true)",
      "ln.logistic(ln.margin(y_true, y_pred), reduction='mean')",
      "log(1 + exp(-y f)) with y in {-1, +1} is the binary cross-entropy on logits with targets "
      "(y + 1) / 2.",
      keras_lead="binary_crossentropy on logits, targets (y + 1) / 2",
      matrix=("logistic", {})),
    T("Crammer-Singer multiclass hinge", "one_hot",
      "categorical_hinge", "keras.losses.CategoricalHinge()(y_true, y_pred)",
      None,
      "torch.clamp(1 + ((1 - y_true) * y_pred).amax(-1) - (y_true * y_pred).sum(-1), "
      "min=0).mean()",
      "ln.categorical_hinge(y_true, y_pred)",
      "Keras takes the largest wrong score as max((1 - y) * z), which is 0, not the largest "
      "wrong score, when every wrong score is negative (ln.like_keras.categorical_hinge does "
      "the same). Not torch's multi_margin_loss.",
      matrix=("categorical_hinge", {})),
    T("Weston-Watkins multiclass hinge", "labels",
      None,
      "keras.ops.mean(keras.ops.sum(keras.ops.relu(1 - keras.ops.take_along_axis(y_pred, "
      "labels[:, None], axis=-1) + y_pred), axis=-1) - 1) / 6",
      "multi_margin_loss", "F.multi_margin_loss(y_pred, labels)",
      "ln.multi_margin_loss(labels, y_pred)",
      "The sum over wrong classes of max(0, 1 - z_y + z_j), divided by the number of classes "
      "(here 6); the true class adds exactly 1 to the sum, taken off again. Not Keras's "
      "categorical_hinge, which keeps only the largest wrong score.",
      matrix=("multi_margin_loss", {})),
    T("Multi-label hinge", "multilabel",
      None,
      "keras.ops.mean(keras.ops.sum(t[:, :, None] * (1 - t[:, None, :]) * keras.ops.relu(1 - "
      "y_pred[:, :, None] + y_pred[:, None, :]), axis=(1, 2)) / 6)",
      "multilabel_margin_loss", "F.multilabel_margin_loss(y_pred, targets)",
      "ln.multilabel_margin_loss(t, y_pred)",
      "torch takes the target classes as indices padded with -1 (the row [2, 0, -1, ...] "
      "means classes 2 and 0); the Keras line takes the same targets as a 0/1 matrix t.",
      matrix=("multilabel_margin_loss", {})),
    T("Multi-label logistic loss", "multilabel",
      None, "keras.losses.BinaryCrossentropy(from_logits=True)(t, y_pred)",
      "multilabel_soft_margin_loss", "F.multilabel_soft_margin_loss(y_pred, t)",
      "ln.multilabel_soft_margin_loss(t, y_pred)",
      "The binary cross-entropy on logits of each class, averaged over the classes and then "
      "over the batch.",
      keras_lead="binary_crossentropy on logits",
      matrix=("multilabel_soft_margin_loss", {})),
    # similarity and metric learning --------------------------------------------------------
    T("Cosine similarity (negated)", "values",
      "cosine_similarity", "keras.losses.CosineSimilarity()(y_true, y_pred)",
      None, "-F.cosine_similarity(y_pred, y_true, dim=-1).mean()",
      "ln.negative_cosine_similarity(y_true, y_pred)",
      "Keras's loss is minus the cosine, in [-1, 1], lowest for vectors pointing the same way.",
      matrix=("negative_cosine_similarity", {})),
    T("Cosine embedding loss", "pairs",
      None,
      "keras.ops.mean(keras.ops.where(y > 0, 1 + keras.losses.cosine_similarity(x1, x2), "
      "keras.ops.relu(-keras.losses.cosine_similarity(x1, x2))))",
      "cosine_embedding_loss", "F.cosine_embedding_loss(x1, x2, y)",
      "ln.cosine_embedding_loss(x1, x2, y)",
      "1 - cos for similar pairs (y = 1), max(0, cos - margin) for dissimilar ones (y = -1, "
      "margin 0 here).",
      matrix=("cosine_embedding_loss", {"margin": 0.0})),
    T("Hinge embedding loss", "embedding_distances",
      None, "keras.ops.mean(keras.ops.where(y > 0, x, keras.ops.relu(1.0 - x)))",
      "hinge_embedding_loss", "F.hinge_embedding_loss(x, y)",
      "ln.hinge_embedding_loss(y, x)",
      "x is a distance: kept as it is for y = 1, pushed above the margin 1 for y = -1.",
      matrix=("hinge_embedding_loss", {})),
    T("Margin ranking loss", "ranking",
      None, "keras.ops.mean(keras.ops.relu(-y * (x1 - x2)))",
      "margin_ranking_loss", "F.margin_ranking_loss(x1, x2, y)",
      "ln.margin_ranking_loss(x1, x2, y)",
      "y = 1 asks for x1 above x2, y = -1 for x2 above x1 (margin 0 here).",
      matrix=("margin_ranking_loss", {"margin": 0.0})),
    T("Triplet margin loss", "triplets",
      None,
      "keras.ops.mean(keras.ops.relu(keras.ops.sqrt(keras.ops.sum((a - p + 1e-6) ** 2, "
      "axis=-1)) - keras.ops.sqrt(keras.ops.sum((a - n + 1e-6) ** 2, axis=-1)) + 1.0))",
      "triplet_margin_loss", "F.triplet_margin_loss(a, p, n)",
      "ln.triplet_margin_loss(a, p, n)",
      "torch adds eps=1e-6 to each difference before its norm (pairwise_distance); so does "
      "lossnotes (eps=0 for the plain distance).",
      matrix=("triplet_margin_loss", {"margin": 1.0, "p": 2.0, "swap": False})),
    T("Triplet margin loss with a distance function", "triplets",
      None,
      "keras.ops.mean(keras.ops.relu(keras.ops.sqrt(keras.ops.sum((a - p + 1e-6) ** 2, "
      "axis=-1)) - keras.ops.sqrt(keras.ops.sum((a - n + 1e-6) ** 2, axis=-1)) + 1.0))",
      "triplet_margin_with_distance_loss", "F.triplet_margin_with_distance_loss(a, p, n)",
      "ln.triplet_margin_with_distance_loss(a, p, n)",
      "Without distance_function it is triplet_margin_loss (pairwise_distance, eps 1e-6); "
      "lossnotes takes distance='euclidean' or 'cosine' (1 - F.cosine_similarity(x, y)).",
      matrix=("triplet_margin_with_distance_loss", {"distance": "euclidean", "margin": 1.0,
                                                    "swap": False})),
    # segmentation overlaps -----------------------------------------------------------------
    T("Dice loss", "masks",
      "dice", "keras.losses.Dice()(y_true, y_pred)",
      None, "1 - 2 * (y_true * y_pred).sum() / (y_true.sum() + y_pred.sum() + 1e-7)",
      "ln.dice(y_true.reshape(1, -1), y_pred.reshape(1, -1))",
      "With axis=None (the default) Keras sums over the whole batch: one overlap for all "
      "samples, not a mean of per-sample losses (lossnotes gives one per row: the line above "
      "makes the batch one row).", keras_since=(3, 2, 0),
      matrix=("dice", {})),
    T("Tversky loss", "masks",
      "tversky", "keras.losses.Tversky(alpha=0.7, beta=0.3)(y_true, y_pred)",
      None,
      "1 - (y_true * y_pred).sum() / ((y_true * y_pred).sum() + 0.7 * (y_true * (1 - "
      "y_pred)).sum() + 0.3 * ((1 - y_true) * y_pred).sum() + 1e-7)",
      "ln.tversky(y_true.reshape(1, -1), y_pred.reshape(1, -1), alpha=0.7, beta=0.3)",
      "Keras's alpha multiplies the missed foreground sum(y (1 - p)), which Salehi et al. "
      "(2017) weight with beta: swap the two when porting from the paper.",
      keras_since=(3, 3, 0),
      matrix=("tversky", {})),
    # metric learning: a loss of the whole batch --------------------------------------------
    T("Circle loss", "embeddings",
      "circle", "keras.losses.Circle()(labels, x)",
      None,
      "F.softplus(torch.logsumexp(torch.where((labels[:, None] == labels) & ~torch.eye(len("
      "labels), dtype=torch.bool), 80 * (1.4 - x @ x.T).clamp(min=0) * (0.6 - x @ x.T), "
      "-math.inf), 1) + torch.logsumexp(torch.where(labels[:, None] != labels, 80 * (x @ x.T + "
      "0.4).clamp(min=0) * (x @ x.T - 0.4), -math.inf), 1)).mean()",
      "ln.circle(labels, x)",
      "A loss of the whole batch: each sample's value weighs its pairs with the other samples "
      "(gamma=80, margin=0.4 here, Keras's defaults). Keras expects L2-normalized embeddings "
      "and clamps their dot products at 1; its Circle class leaves the zero losses (a sample "
      "without a positive or a negative pair) out of the mean, where the mean of "
      "keras.losses.circle's values and lossnotes' count them.", keras_since=(3, 7, 0),
      matrix=("circle", {})),
    # sequences: a loss over every alignment ---------------------------------------------------
    T("Connectionist temporal classification", "sequences",
      "ctc", "keras.losses.CTC()(labels, logits)",
      "ctc_loss",
      "F.ctc_loss(logits.log_softmax(-1).transpose(0, 1), labels, input_lengths, "
      "label_lengths, reduction='none').mean()",
      "ln.ctc(labels, logits)",
      "Keras reads label 0 as both the blank and the padding (the label length is the count of "
      "non-zero labels), every sequence has all T frames, and its mean is that of the sequence "
      "losses. torch takes log-probabilities time first, (T, N, C), and the lengths explicitly; "
      "its reduction='mean' divides each loss by its label length (1 for an empty one) before "
      "the mean, so the line above takes 'none' and then the mean (torch's 'mean' is "
      "(ln.ctc(..., reduction='none') / np.maximum(label_lengths, 1)).mean()). Keras 3.1 to "
      "3.3 read every label of a row, the padding too, as labels.",
      keras_since=(3, 1, 0), keras_agrees_since=(3, 4, 0), matrix=("ctc", {})),
)


# --------------------------------------------------------------------------------------------
# the seeded inputs
# --------------------------------------------------------------------------------------------

SHAPE = (4, 6)


def _batch(kind: str, seed: int = SEED) -> dict:
    """The float32 (and int64 label) arrays a row's expressions read, by name."""
    rng = np.random.default_rng([seed, *kind.encode()])
    n, c = SHAPE
    f = np.float32

    def rows(logits):
        e = np.exp(logits - logits.max(-1, keepdims=True))
        return (e / e.sum(-1, keepdims=True)).astype(f)

    labels = rng.integers(0, c, n)
    if kind == "values":
        return {"y_true": rng.normal(0, 2, SHAPE).astype(f),
                "y_pred": rng.normal(0, 2, SHAPE).astype(f)}
    if kind == "positive":
        return {"y_true": rng.uniform(0, 5, SHAPE).astype(f),
                "y_pred": rng.uniform(0, 5, SHAPE).astype(f)}
    if kind == "counts":
        return {"y_true": rng.poisson(2.0, SHAPE).astype(f),
                "y_pred": rng.uniform(0.2, 4, SHAPE).astype(f)}
    if kind == "gaussian":
        return {"y_true": rng.normal(0, 2, SHAPE).astype(f),
                "y_pred": rng.normal(0, 2, SHAPE).astype(f),
                "var": rng.uniform(0.5, 3, SHAPE).astype(f)}
    if kind == "probabilities":
        return {"y_true": (rng.random(SHAPE) < 0.5).astype(f),
                "y_pred": rng.uniform(0.02, 0.98, SHAPE).astype(f)}
    if kind == "binary_logits":
        return {"y_true": (rng.random(SHAPE) < 0.5).astype(f),
                "y_pred": rng.normal(0, 3, SHAPE).astype(f)}
    if kind == "one_hot":
        return {"y_true": np.eye(c, dtype=f)[labels], "y_pred": rng.normal(0, 2, SHAPE).astype(f)}
    if kind == "labels":
        return {"labels": labels, "y_pred": rng.normal(0, 2, SHAPE).astype(f)}
    if kind == "probability_rows":
        return {"labels": labels, "y_pred": rows(rng.normal(0, 2, SHAPE))}
    if kind == "log_probabilities":
        return {"labels": labels, "log_p": np.log(rows(rng.normal(0, 2, SHAPE))).astype(f)}
    if kind == "distributions":
        return {"y_true": rows(rng.normal(0, 1, SHAPE)), "y_pred": rows(rng.normal(0, 1, SHAPE))}
    if kind == "signs":
        return {"y_true": np.where(rng.random(SHAPE) < 0.5, -1, 1).astype(f),
                "y_pred": rng.normal(0, 2, SHAPE).astype(f)}
    if kind == "multilabel":
        t = (rng.random(SHAPE) < 0.4).astype(f)
        t[:, 0] = 1  # every sample has a target class
        targets = np.full(SHAPE, -1, dtype=np.int64)
        for i, row in enumerate(t):
            on = np.flatnonzero(row)
            targets[i, :on.size] = on
        return {"t": t, "targets": targets, "y_pred": rng.normal(0, 2, SHAPE).astype(f)}
    if kind == "pairs":
        return {"x1": rng.normal(0, 1, SHAPE).astype(f), "x2": rng.normal(0, 1, SHAPE).astype(f),
                "y": np.where(rng.random(n) < 0.5, -1, 1).astype(f)}
    if kind == "embedding_distances":
        return {"x": rng.uniform(0, 2, SHAPE).astype(f),
                "y": np.where(rng.random(SHAPE) < 0.5, -1, 1).astype(f)}
    if kind == "ranking":
        return {"x1": rng.normal(0, 1, n).astype(f), "x2": rng.normal(0, 1, n).astype(f),
                "y": np.where(rng.random(n) < 0.5, -1, 1).astype(f)}
    if kind == "triplets":
        return {k: rng.normal(0, 1, SHAPE).astype(f) for k in ("a", "p", "n")}
    if kind == "embeddings":  # unit embeddings, two samples of each of two classes
        x = rng.normal(0, 1, SHAPE)
        return {"labels": np.array([0, 1, 0, 1]),
                "x": (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(f)}
    if kind == "sequences":  # logits (N, T, C) = (4, 6, 5); labels padded with the blank 0
        label_lengths = np.array([3, 1, 2, 0])
        labels = np.where(np.arange(3) < label_lengths[:, None], rng.integers(1, 5, (n, 3)), 0)
        return {"labels": labels, "logits": rng.normal(0, 2, (n, c, 5)).astype(f),
                "input_lengths": np.full(n, c), "label_lengths": label_lengths}
    if kind == "masks":
        return {"y_true": (rng.random(SHAPE) < 0.3).astype(f),
                "y_pred": rng.uniform(0, 1, SHAPE).astype(f)}
    raise ValueError(f"no seeded batch named {kind!r}")


# --------------------------------------------------------------------------------------------
# running the rows
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """One row run: each side's value (None where it is not run), and the verdict."""

    row: Translation
    keras: float | None
    torch: float | None
    lossnotes: float | None
    verdict: str  # "agree", "DIFFERS", "not translated", "not in this Keras" or "error"
    detail: str = ""
    #: For a row whose lossnotes call is a loss of the agreement matrix: how many of its edge
    #: cases each framework agrees on or differs on as a documented convention explains.
    edges: dict | None = None
    #: The value the printed digits come from: lossnotes's, else the torch expression run in
    #: float64 on the same (float32) inputs.
    reference: float | None = None


def edge_verdicts(row: Translation, frameworks=("keras", "torch")) -> dict:
    """{framework: {status: count}} over the edge cases of the row's loss in the agreement
    matrix (those with the row's options, and without the weights, smoothing or ignored labels
    that the row's calls do not pass)."""
    from .. import _registry
    from ._run import compare

    name, options = row.matrix
    extra = set(_registry.LOSSES[name].extra_options) - set(options)
    out: dict = {fw: {} for fw in frameworks}
    for case in _registry.cases(name):
        if case.kind != "edge" or any(case.options.get(k, v) != v for k, v in options.items()) \
                or extra & set(case.options):
            continue
        result = compare(name, case.y_true, case.y_pred, *case.more, frameworks=frameworks,
                         **case.options)
        for row in result.rows[1:]:
            counts = out[row.framework]
            counts[row.status] = counts.get(row.status, 0) + 1
    return out


def _close(a: float, b: float) -> bool:
    """Within float32 rounding: |a - b| <= 1e-5 max(|a|, |b|) + 1e-6 (the sums here have 24
    terms of size about 1, each rounded once or twice in float32)."""
    return abs(a - b) <= RTOL[np.dtype(np.float32)] * max(abs(a), abs(b)) + 1e-6


def _evaluate(row: Translation, keras, torch, batch: dict) -> dict:
    import math

    import lossnotes as ln

    values = {}
    if row.keras is not None and keras is not None:
        names = {"keras": keras, "math": math, **batch}
        values["keras"] = float(np.asarray(eval(row.keras, names)))
    if row.torch is not None and torch is not None:
        tensors = {k: torch.from_numpy(v) for k, v in batch.items()}
        names = {"torch": torch, "F": torch.nn.functional, "math": math, **tensors}
        values["torch"] = float(eval(row.torch, names))
    if row.lossnotes is not None:  # on the same float32 arrays: rows of probabilities sum to 1
        values["lossnotes"] = float(eval(row.lossnotes, {"ln": ln, "np": np, **batch}))
    exact = {k: (v.astype(np.float64) if v.dtype.kind == "f" else v) for k, v in batch.items()}
    if row.torch is not None and torch is not None:
        # The same float32 inputs in float64: the reference the printed digits are chosen from.
        tensors = {k: torch.from_numpy(v) for k, v in exact.items()}
        names = {"torch": torch, "F": torch.nn.functional, "math": math, **tensors}
        values["float64"] = float(eval(row.torch, names))
    return values


def run_row(row: Translation, frameworks=("keras", "torch"), edges: bool = True) -> Result:
    """Evaluate a row's expressions as printed, on its seeded batch, and reach a verdict."""
    if row.inputs == "none":
        return Result(row, None, None, None, "not translated")
    keras = _frameworks.keras() if "keras" in frameworks else None
    torch = _frameworks.torch()[0] if "torch" in frameworks else None
    if keras is not None and row.keras_loss and not hasattr(keras.losses, row.keras_loss):
        since = ".".join(map(str, row.keras_since))
        return Result(row, None, None, None, "not in this Keras",
                      f"keras.losses.{row.keras_loss} arrived in Keras {since or 'after 3.0'}")
    if (keras is not None and row.keras_agrees_since
            and _frameworks.release(keras.__version__) < row.keras_agrees_since):
        since = ".".join(map(str, row.keras_agrees_since))
        return Result(row, None, None, None, "not in this Keras",
                      f"keras.losses.{row.keras_loss} computes this row's number from Keras "
                      f"{since} on; Keras {keras.__version__} computes another (see the note)")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            values = _evaluate(row, keras, torch, _batch(row.inputs))
    except Exception as e:  # reported, with its type
        return Result(row, None, None, None, "error", f"{type(e).__name__}: {e}")
    # A framework's warning is part of what the row shows, never printed past it.
    detail = "; ".join(dict.fromkeys(
        f"warning: {w.category.__name__}: {w.message}" for w in caught))
    reference = values.pop("float64", values.get("lossnotes"))
    found = list(values.values())
    agree = all(_close(found[0], v) for v in found[1:])
    agree = agree and (reference is None or all(_close(reference, v) for v in found))
    edges = edge_verdicts(row, tuple(fw for fw in ("keras", "torch") if fw in frameworks)) \
        if row.matrix and edges else None
    return Result(row, values.get("keras"), values.get("torch"), values.get("lossnotes"),
                  "agree" if agree else "DIFFERS", detail, edges=edges, reference=reference)


def translations(*losses: str, frameworks=("keras", "torch")) -> Table:
    """The Keras-PyTorch translation table, every row run on its seeded batch.

    Parameters
    ----------
    *losses : str
        Loss names of either framework (``"kl_div"``, ``"categorical_hinge"``, ...): only the
        rows that translate them. None given: every row.
    frameworks : tuple of {"keras", "torch"}, default both
        The frameworks to run (a row's other side is then left out of its verdict).

    Returns
    -------
    Table
        One result a row: the three expressions, the value each gives on the row's seeded
        float32 batch (shape (4, 6)), the verdict ("agree" within float32 rounding,
        "DIFFERS", "not translated" or "not in this Keras"), and for the losses of the
        agreement matrix the verdicts of its edge cases. ``Table.ok`` is False if a row
        differs or fails. Printed as text; a notebook shows one card a row.

    Notes
    -----
    Each expression is evaluated exactly as printed (``y_true``, ``y_pred`` and the other
    names are the seeded arrays, NumPy for Keras and lossnotes, tensors for torch), so a row
    cannot claim an agreement it does not show. Where a framework has no such loss, its
    expression is the one line that writes it with its ops. The first call imports TensorFlow
    and torch.

    Examples
    --------
    >>> import lossnotes as ln
    >>> table = ln.translations("kl_div")
    >>> row = table.results[0].row
    >>> print(row.keras)
    keras.losses.KLDivergence()(y_true, y_pred)
    >>> print(row.torch)
    F.kl_div(torch.log(y_pred), y_true, reduction='batchmean')
    >>> table.results[0].verdict
    'agree'
    """
    known = {n for row in ROWS for n in (row.keras_loss, row.torch_loss) if n}
    unknown = [name for name in losses if not isinstance(name, str) or name not in known]
    if unknown:
        import difflib

        near = difflib.get_close_matches(str(unknown[0]).lower(), sorted(known), n=3)
        hint = f" (did you mean {', '.join(map(repr, near))}?)" if near else ""
        raise ValueError(f"translations: no row translates {unknown[0]!r}{hint}; the rows "
                         f"translate: {', '.join(sorted(known))}")
    rows = [row for row in ROWS if not losses or {row.keras_loss, row.torch_loss} & set(losses)]
    return Table(tuple(run_row(row, frameworks) for row in rows))


# --------------------------------------------------------------------------------------------
# the table
# --------------------------------------------------------------------------------------------

#: How far from the float64 reference a value that agrees may be: the float32 tolerance.
_RTOL32 = RTOL[np.dtype(np.float32)]


def shown(reference: float) -> str:
    """The digits of ``reference`` (5 significant at most, 3 at least) to which every value
    within 3 float32 tolerances of it rounds alike. The values that agree lie within one
    tolerance of it on any CPU, and the reference itself (a float64 computation) moves by
    about 1e-15 from CPU to CPU, so the printed digits are the same everywhere."""
    for digits in (5, 4, 3):  # "#": trailing zeros are digits too (1.40, not 1.4)
        texts = {f"{reference * f:#.{digits}g}" for f in (1 - 3 * _RTOL32, 1, 1 + 3 * _RTOL32)}
        if len(texts) == 1:
            return texts.pop().rstrip(".")
    return f"{reference:#.2g}".rstrip(".")


@dataclass(frozen=True)
class Table:
    """The run catalogue: printed as text, shown in a notebook as one card a row."""

    results: tuple

    @property
    def ok(self) -> bool:
        return all(r.verdict not in ("DIFFERS", "error") for r in self.results)

    def summary(self) -> str:
        n = len(self.results)
        return (f"{n} row{'s' if n != 1 else ''}: "
                + ", ".join(f"{k} {v}" for v, k in self.counts().items()))

    def counts(self) -> dict:
        out: dict = {}
        for r in self.results:
            out[r.verdict] = out.get(r.verdict, 0) + 1
        return out

    @staticmethod
    def sides(r: Result) -> list[tuple[str, str, str]]:
        """(framework, what precedes the expression, the expression or "-") for each side."""
        row = r.row
        sides = []
        for name, loss, expr, lead in (
                ("Keras", row.keras_loss, row.keras, row.keras_lead),
                ("PyTorch", row.torch_loss, row.torch, row.torch_lead),
                ("lossnotes", "lossnotes", row.lossnotes, "")):
            if lead:
                lead += ": "
            elif expr and loss is None:
                lead = "no built-in loss; in one line: "
            sides.append((name, lead, expr or "-"))
        return sides

    @staticmethod
    def measured(r: Result) -> str:
        found = {k: v for k, v in (("Keras", r.keras), ("PyTorch", r.torch),
                                   ("lossnotes", r.lossnotes)) if v is not None}
        if r.verdict == "agree":
            who = " and ".join(found) if len(found) < 3 else "Keras, PyTorch and lossnotes"
            return f"agree: {who} give {shown(r.reference)} (within float32 rounding)"
        if r.verdict == "DIFFERS":
            return "DIFFERS: " + ", ".join(f"{k} {v:.8g}" for k, v in found.items()) + (
                f" ({r.detail})" if r.detail else "")
        return r.verdict + (f" ({r.detail})" if r.detail else "")

    @staticmethod
    def edges_text(r: Result) -> str:
        if not r.edges:
            return ""
        name = r.row.matrix[0]
        parts = []
        for fw, counts in r.edges.items():
            if set(counts) <= {"absent"}:  # the framework does not ship the loss
                continue
            label = {"keras": "Keras", "torch": "PyTorch"}[fw]
            parts.append(f"{label} " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
        return f"{'; '.join(parts)} (python -m lossnotes --loss {name} --kind edge)"

    def __str__(self) -> str:
        out = []
        for r in self.results:
            names = " / ".join(n for n in (r.row.keras_loss, r.row.torch_loss) if n)
            out.append(f"{r.row.title} ({names})")
            lines = [(k, lead + expr) for k, lead, expr in self.sides(r)]
            for key, text in [*lines, ("measured", self.measured(r)),
                              ("edge cases", self.edges_text(r)), ("note", r.row.note)]:
                if text:
                    out.extend(wrap(text, f"  {key:<10} ", indent=" " * 13))
        out.append("")
        out.append(self.summary())
        return "\n".join(out)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        e = html.escape
        cards = []
        for r in self.results:
            names = " / ".join(n for n in (r.row.keras_loss, r.row.torch_loss) if n)
            items = "".join(
                f"<dt>{e(k)}</dt><dd>{e(lead)}<code>{e(expr)}</code></dd>" if expr != "-"
                else f"<dt>{e(k)}</dt><dd>none</dd>" for k, lead, expr in self.sides(r))
            measured = self.measured(r)
            strong = r.verdict in ("DIFFERS", "error")
            items += (f"<dt>measured</dt><dd>{'<strong>' if strong else ''}{e(measured)}"
                      f"{'</strong>' if strong else ''}</dd>")
            if r.edges:
                items += f"<dt>edge cases</dt><dd>{e(self.edges_text(r))}</dd>"
            if r.row.note:
                items += f"<dt>note</dt><dd>{e(r.row.note)}</dd>"
            cards.append(f'<section class="lossnotes-translation-row"><h3>{e(r.row.title)}'
                         f' <small>({e(names)})</small></h3><dl>{items}</dl></section>')
        return (f'<div class="lossnotes-translation">{"".join(cards)}'
                f"<p>{e(self.summary())}</p></div>")
