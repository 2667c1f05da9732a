"""The inputs of the agreement matrix: the notes' examples, seeded random batches, edge cases.

``python -m lossnotes`` runs :func:`lossnotes.compare` and :func:`lossnotes.compare_grad` on every
case; the tests assert what each edge case shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._links import softmax

inf = np.inf
SEED = 20240611


@dataclass(frozen=True)
class Case:
    loss: str
    label: str
    kind: str  # "notes", "random" or "edge"
    y_true: np.ndarray
    y_pred: np.ndarray
    options: dict = field(default_factory=dict)

    @property
    def dtype(self) -> str:
        return str(np.asarray(self.y_pred).dtype)


def _f32(*a):
    return tuple(np.asarray(x, dtype=np.float32) for x in a)


def _f64(*a):
    return tuple(np.asarray(x, dtype=np.float64) for x in a)


def notes_cases() -> list[Case]:
    """The worked examples of the lecture notes (TensorFlow's are float32, torch's float64)."""
    scores = [[44.0, 10.0, 22.0, 5.0]]  # cat, dog, car, pedestrian
    return [
        Case("binary_cross_entropy", "TF example: y=0, p=0.5, shape (1,1,1)", "notes",
             *_f32([[[0.0]]], [[[0.5]]])),
        Case("binary_cross_entropy", "torch example: nine 0.8s and a 0.2", "notes",
             *_f64([0.0] + [1.0] * 9, [0.2] + [0.8] * 9)),
        Case("categorical_cross_entropy", "example: true class 1, p=[0.4, 0.6]", "notes",
             *_f32([[[0.0, 1.0]]], [[[0.4, 0.6]]])),
        Case("categorical_cross_entropy", "scores [44,10,22,5], truth: cat", "notes",
             *_f64([[1.0, 0.0, 0.0, 0.0]], scores), {"from_logits": True}),
        Case("sparse_categorical_cross_entropy", "scores [44,10,22,5], truth: pedestrian",
             "notes", np.array([3]), np.array(scores), {"from_logits": True}),
    ]


def random_cases(seed: int = SEED) -> list[Case]:
    """One seeded batch of shape (4, 6) per loss (and option), in float64 and in float32."""
    rng = np.random.default_rng(seed)
    shape = (4, 6)
    out = []
    for dtype in (np.float64, np.float32):
        def c(loss, y, p, options=None, dtype=dtype):
            out.append(Case(loss, f"seeded batch {shape}", "random",
                            np.asarray(y, dtype=dtype), np.asarray(p, dtype=dtype),
                            options or {}))

        labels01 = (rng.random(shape) < 0.5).astype(float)
        c("binary_cross_entropy", labels01, rng.uniform(0.01, 0.99, shape))
        c("binary_cross_entropy", rng.random(shape), rng.normal(0, 3, shape),
          {"from_logits": True})
        logits = rng.normal(0, 2, shape)
        classes = rng.integers(0, shape[1], shape[0])
        one_hot = np.eye(shape[1])[classes]
        p = softmax(logits.astype(dtype))
        c("categorical_cross_entropy", one_hot, p)
        c("categorical_cross_entropy", one_hot, logits, {"from_logits": True})
        out.append(Case("sparse_categorical_cross_entropy", f"seeded batch {shape}", "random",
                        classes, p))
        out.append(Case("sparse_categorical_cross_entropy", f"seeded batch {shape}", "random",
                        classes, logits.astype(dtype), {"from_logits": True}))
        y, f = rng.normal(0, 2, shape), rng.normal(0, 2, shape)
        c("mse", y, f)
        c("mae", y, f)
        c("huber", y, f)
        c("huber", y, f, {"delta": 0.5})
        pm = 2 * (rng.random(shape) < 0.5) - 1.0
        s = rng.normal(0, 2, shape)
        c("hinge", pm, s)
        c("squared_hinge", pm, s)
        c("logistic", pm, s)
    return out


def edge_cases() -> list[Case]:
    """Inputs where the conventions of the frameworks show (see the reference notes)."""
    return [
        Case("binary_cross_entropy", "perfect prediction", "edge",
             *_f64([1.0, 0.0], [1.0, 0.0])),
        Case("binary_cross_entropy", "perfect prediction", "edge",
             *_f32([1.0, 0.0], [1.0, 0.0])),
        Case("binary_cross_entropy", "certain and wrong: p=0 at y=1, p=1 at y=0", "edge",
             *_f32([1.0, 0.0], [0.0, 1.0])),
        Case("binary_cross_entropy", "certain and wrong: p=0 at y=1, p=1 at y=0", "edge",
             *_f64([1.0, 0.0], [0.0, 1.0])),
        Case("binary_cross_entropy", "y=0, p=1e-4: Keras's log(1 - p)", "edge",
             *_f32([0.0], [1e-4])),
        Case("binary_cross_entropy", "logits 100, -100, 1000", "edge",
             *_f32([1.0, 1.0, 0.0], [100.0, -100.0, 1000.0]), {"from_logits": True}),
        Case("binary_cross_entropy", "infinite logits", "edge",
             *_f64([1.0, 1.0, 0.0, 0.0], [inf, -inf, inf, -inf]), {"from_logits": True}),
        Case("categorical_cross_entropy", "row summing to 0.6", "edge",
             *_f64([[0.0, 1.0, 0.0]], [[0.2, 0.2, 0.2]])),
        Case("categorical_cross_entropy", "true class with probability 0", "edge",
             *_f32([[0.0, 1.0, 0.0]], [[0.5, 0.0, 0.5]])),
        Case("categorical_cross_entropy", "another class with probability 0", "edge",
             *_f64([[1.0, 0.0, 0.0]], [[0.5, 0.5, 0.0]])),
        Case("categorical_cross_entropy", "logits [100, -100, 0]", "edge",
             *_f32([[0.0, 1.0, 0.0]], [[100.0, -100.0, 0.0]]), {"from_logits": True}),
        Case("categorical_cross_entropy", "infinite logits", "edge",
             *_f64([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]],
                   [[inf, 0.0, 0.0], [0.0, -inf, 0.0], [0.0, -inf, 0.0]]),
             {"from_logits": True}),
        Case("categorical_cross_entropy", "classes on axis 0", "edge",
             *_f64([[0.0, 1.0], [1.0, 0.0]], [[0.3, 0.9], [0.7, 0.1]]), {"axis": 0}),
        Case("sparse_categorical_cross_entropy", "row summing to 0.6", "edge",
             np.array([1]), np.array([[0.2, 0.2, 0.2]])),
        Case("sparse_categorical_cross_entropy", "true class with probability 0", "edge",
             np.array([1]), np.array([[0.5, 0.0, 0.5]])),
        Case("sparse_categorical_cross_entropy", "infinite logit", "edge",
             np.array([0, 1]), np.array([[inf, 0.0, 0.0], [0.0, 1.0, -inf]]),
             {"from_logits": True}),
        Case("mse", "infinite prediction, zero residual", "edge",
             *_f64([0.0, 1.0], [inf, 1.0])),
        Case("mae", "zero residual (the kink)", "edge", *_f64([1.0, 2.0], [1.0, 3.0])),
        Case("huber", "residuals at and beyond delta", "edge",
             *_f64([0.0, 0.0, 0.0], [2.0, -2.0, 5.0]), {"delta": 2.0}),
        Case("hinge", "margin exactly 1 (the kink)", "edge",
             *_f64([1.0, -1.0, 1.0], [1.0, -1.0, 3.0])),
        Case("hinge", "labels in {0, 1}", "edge", *_f64([0.0, 1.0, 1.0], [0.5, 2.0, -1.0])),
        Case("hinge", "labels 0 and -1 mixed", "edge", *_f64([0.0, 1.0, -1.0], [0.5, 2.0, -1.0])),
        Case("squared_hinge", "labels in {0, 1}", "edge",
             *_f32([0.0, 1.0, 1.0], [0.5, 2.0, -1.0])),
        Case("logistic", "very wrong margins", "edge", *_f64([1.0, -1.0], [-1000.0, 800.0])),
        Case("logistic", "margin -100 in float32", "edge", *_f32([1.0, 1.0], [-100.0, 3.0])),
        Case("logistic", "infinite scores", "edge", *_f64([1.0, -1.0], [inf, -inf])),
    ]


def all_cases() -> list[Case]:
    return notes_cases() + random_cases() + edge_cases()
