"""TensorFlow/Keras and PyTorch, imported only when a comparison needs them.

``import lossnotes`` depends on NumPy alone. The first comparison imports the framework it calls
(TensorFlow takes seconds); later ones reuse it. Before TensorFlow is imported,
``TF_CPP_MIN_LOG_LEVEL=2`` and ``TF_ENABLE_ONEDNN_OPTS=0`` are set unless the user has set them:
the first silences TensorFlow's start-up lines on stderr, the second its oneDNN banner and the
round-off differences of oneDNN's kernels.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import sys

#: The oldest releases ``compare`` supports; pyproject.toml's ``frameworks`` extra declares the
#: same floors (``tests/test_packaging.py`` checks that they agree). TensorFlow 2.16 is the first
#: whose ``tf.keras`` is Keras 3 (up to 2.15 it is Keras 2, another library), Keras 3.0.0 the
#: first Keras 3. ``make oldest-test`` runs the comparison tests on TensorFlow 2.16.1 with Keras
#: 3.0.0; torch 2.0.1 was checked by hand (README, "Which versions"), and CI's oldest
#: environment runs torch 2.13.0, the oldest CPU build within its reach.
OLDEST = {"tensorflow": "2.16.1", "keras": "3.0.0", "torch": "2.0.1"}

#: What to install when a framework is missing or too old: CPU builds, any supported version.
INSTALL = {
    "keras": (f"pip install 'tensorflow-cpu>={OLDEST['tensorflow']}'   (the CPU build, with "
              f"Keras 3; or 'tensorflow>={OLDEST['tensorflow']}')"),
    "torch": ("pip install torch --index-url https://download.pytorch.org/whl/cpu   (the CPU "
              "build; plain 'pip install torch' on Linux brings CUDA, several GB)"),
}

#: Behaviour that changed between supported releases, by the release that changed it (compare
#: picks the call for the installed release, and a note says what it did):
#: before Keras 3.4.0, ``keras.losses.huber`` converts ``delta`` to a float32 tensor whatever
#: y_pred's dtype, and fails on float64 predictions (InvalidArgumentError in LessEqual); from
#: 3.4.0 it converts ``delta`` to y_pred's dtype. Measured with Keras 3.0.0 to 3.3.3 and 3.4.0.
KERAS_HUBER_DELTA_IN_PRED_DTYPE = (3, 4, 0)
#: Before Keras 3.13.0 a loss object's mean over a mask (``ignore_class``) divides by the number
#: of kept values plus ``keras.config.epsilon()`` (1e-7), ``total / (valid + epsilon)`` in
#: ``keras/src/losses/loss.py``'s ``apply_mask``; from 3.13.0 by their number
#: (``divide_no_nan``). Measured with Keras 3.0.0 to 3.12.0, 3.13.0 and 3.14.0.
KERAS_IGNORE_CLASS_EXACT_MEAN = (3, 13, 0)
#: Keras 3.0.0 normalises a row for ``cosine_similarity`` as ``x * rsqrt(max(sum(x^2), 1e-7))``
#: (a floor of 3.2e-4 on the length); from 3.1.0 as ``x * min(rsqrt(sum(x^2)), 1/1e-7)`` (a floor
#: of 1e-7), which :func:`lossnotes.like_keras.negative_cosine_similarity` reproduces. Measured
#: with Keras 3.0.0 to 3.15.1 on a row of length 2.2e-9: -7.07e-6, then -0.0224 from 3.1.0.
KERAS_COSINE_LENGTH_FLOOR = (3, 1, 0)
#: Before Keras 3.5.0, ``keras.ops.softmax`` and ``log_softmax`` hand a tuple ``axis`` to
#: ``tf.nn.softmax`` as it is, which does not normalise over those axes jointly (for axis (0, 2)
#: of a 3-d array every slice along the last axis sums to 1); from 3.5.0 they do, as lossnotes'
#: softmax with several axes. ``keras.ops.logsumexp`` takes several axes in every Keras 3.
#: Measured with Keras 3.0.0, 3.1.0, 3.3.3, 3.4.0 and 3.4.1 (wrong) and 3.5.0, 3.7.0 (right).
KERAS_SOFTMAX_SEVERAL_AXES = (3, 5, 0)

#: Before Keras 3.4.0, ``keras.losses.poisson`` converts ``keras.config.epsilon()`` to a float32
#: tensor whatever y_pred's dtype and adds it to y_pred, which fails on float64 predictions
#: (InvalidArgumentError in AddV2); from 3.4.0 the epsilon takes y_pred's dtype. Read in the
#: sources of Keras 3.0.0, 3.1.0, 3.2.0, 3.3.0, 3.3.3 (float32) and 3.4.0 to 3.12.0
#: (``keras/src/losses/losses.py``).
KERAS_EPSILON_IN_PRED_DTYPE = (3, 4, 0)

#: The import name and the human name of what each framework needs.
_MODULES = {"tensorflow": "TensorFlow", "keras": "Keras", "torch": "PyTorch", "numpy": "NumPy"}

_loaded: dict = {}


def release(version: str) -> tuple:
    """The numeric release of a version string, for comparisons: ``"2.13.0+cpu"`` -> (2, 13, 0).

    >>> release("2.13.0+cpu"), release("3.0.0rc1"), release("2.16.1") >= release("2.16")
    ((2, 13, 0), (3, 0, 0), True)
    """
    match = re.match(r"\d+(?:\.\d+)*", version)
    return tuple(int(part) for part in match.group(0).split(".")) if match else ()


def installed(module: str) -> str | None:
    """The version of the distribution that provides ``module`` (``tensorflow`` may come from
    ``tensorflow``, ``tensorflow-cpu``, ...), read from its metadata without importing it; None
    when the module cannot be found."""
    try:
        if importlib.util.find_spec(module) is None:
            return None
    except (ImportError, ValueError):  # a module set to None in sys.modules, say
        return None
    names = importlib.metadata.packages_distributions().get(module, [module])
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    module_object = sys.modules.get(module)
    return getattr(module_object, "__version__", "unknown version")


def found() -> dict:
    """Versions of NumPy, TensorFlow, Keras and torch as installed (None if missing), found
    without importing any of them."""
    return {module: installed(module) for module in ("numpy", "tensorflow", "keras", "torch")}


def unusable(framework: str, versions: dict | None = None) -> str | None:
    """Why ``compare`` cannot run against ``framework`` (``"keras"`` or ``"torch"``) with the
    installed versions, and how to fix it; None when it can."""
    v = found() if versions is None else versions
    needs = ("tensorflow", "keras") if framework == "keras" else ("torch",)
    for module in needs:
        if v.get(module) is None:
            return (f"{_MODULES[module]} is not installed; lossnotes.compare needs "
                    f"{_MODULES[module]} {OLDEST[module]} or newer to compare with {framework}. "
                    f"Install it with:\n    {INSTALL[framework]}")
        if module in ("tensorflow", "keras") and release(v[module]) < release(OLDEST[module]):
            return (f"{_MODULES[module]} {v[module]} is installed, whose tf.keras is Keras 2; "
                    f"lossnotes.compare needs TensorFlow {OLDEST['tensorflow']} or newer with "
                    f"Keras {OLDEST['keras']} or newer (Keras 3). Upgrade with:\n    "
                    f"{INSTALL['keras']}")
    return None


def older_than_tested(versions: dict) -> list[str]:
    """The installed frameworks older than :data:`OLDEST` (compare runs, untested there)."""
    return [f"{_MODULES[m]} {versions[m]} is older than {OLDEST[m]}, the oldest release "
            "lossnotes.compare is tested with" for m in ("torch",)
            if versions.get(m) and release(versions[m]) < release(OLDEST[m])]


class FrameworkNotInstalledError(ImportError):
    """A comparison needs TensorFlow/Keras or PyTorch and it cannot be imported."""


def _missing(framework: str, module: str, exc: BaseException) -> FrameworkNotInstalledError:
    what = "TensorFlow (for tf.keras)" if framework == "keras" else "PyTorch"
    return FrameworkNotInstalledError(
        f"lossnotes.compare needs {what} to compare against {framework}, but "
        f"'import {module}' failed ({exc}). Install it with:\n    {INSTALL[framework]}\n"
        f"or compare against the other framework only, e.g. frameworks=("
        f"{'torch' if framework == 'keras' else 'keras'!r},)."
    )


def keras():
    """Return the ``keras`` module (Keras 3 on the TensorFlow backend), importing it once."""
    if "keras" not in _loaded:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
        if "keras" not in sys.modules:
            os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        try:
            import keras as keras_module  # imports TensorFlow, its backend
            import tensorflow as tf
        except ImportError as exc:
            raise _missing("keras", "tensorflow", exc) from exc
        if release(keras_module.__version__) < release(OLDEST["keras"]):
            raise FrameworkNotInstalledError(unusable("keras", {
                "tensorflow": tf.__version__, "keras": keras_module.__version__}))
        backend = keras_module.backend.backend()
        if backend != "tensorflow":
            raise FrameworkNotInstalledError(
                f"Keras runs on the {backend!r} backend here; lossnotes.compare compares with "
                "tf.keras, so set KERAS_BACKEND=tensorflow before Keras is first imported"
            )
        _loaded["tf"] = tf
        _loaded["keras"] = keras_module
    return _loaded["keras"]


def keras_before(version: tuple) -> bool:
    """Whether the Keras that compare runs is older than ``version``: read from the module once
    it is loaded, before that from the installed metadata (without importing it)."""
    if "keras" in _loaded:
        current = _loaded["keras"].__version__
    else:
        try:
            current = importlib.metadata.version("keras")
        except importlib.metadata.PackageNotFoundError:
            return False
    return release(current) < version


def keras_version() -> str:
    """The version of the Keras that compare runs (from the module once loaded, else from the
    installed metadata), as :func:`keras_before` reads it."""
    if "keras" in _loaded:
        return _loaded["keras"].__version__
    try:
        return importlib.metadata.version("keras")
    except importlib.metadata.PackageNotFoundError:
        return "(not installed)"


def tensorflow():
    """Return the ``tensorflow`` module (imported together with Keras)."""
    keras()
    return _loaded["tf"]


def torch():
    """Return ``(torch, torch.nn.functional)``, importing them once."""
    if "torch" not in _loaded:
        try:
            import torch as torch_module
            import torch.nn.functional as functional
        except ImportError as exc:
            raise _missing("torch", "torch", exc) from exc
        _loaded["torch"] = (torch_module, functional)
    return _loaded["torch"]


def versions(frameworks=("keras", "torch")) -> dict:
    """Versions of NumPy and of the frameworks compared against (importing them)."""
    import numpy as np

    out = {"numpy": np.__version__}
    if "keras" in frameworks:
        out["tensorflow"] = tensorflow().__version__
        out["keras"] = keras().__version__
    if "torch" in frameworks:
        out["torch"] = torch()[0].__version__
    return out
