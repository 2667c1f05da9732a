"""The Keras-PyTorch translation table: every row run as printed, and the catalogue complete.

The frameworks are asked on the spot: which losses ``keras.losses`` and
``torch.nn.functional`` ship (so a release that adds one fails here until the table has its
row) and what each printed expression returns.
"""

import dataclasses
import inspect

import numpy as np
import pytest

import lossnotes as ln
from lossnotes._compare import _frameworks, _translation
from lossnotes._compare._translation import ROWS, shown

# Names in keras.losses that are functions but not losses.
_KERAS_NOT_LOSSES = {"get", "serialize", "deserialize"}
# torch.nn.functional's losses: every public name ending in "_loss", and the four that don't.
_TORCH_OTHER_LOSSES = {"binary_cross_entropy", "binary_cross_entropy_with_logits",
                       "cross_entropy", "kl_div"}


def _keras_losses():
    keras = _frameworks.keras()
    return {n for n in dir(keras.losses) if not n.startswith("_")
            and inspect.isfunction(getattr(keras.losses, n))} - _KERAS_NOT_LOSSES


def _torch_losses():
    _, F = _frameworks.torch()
    return {n for n in dir(F) if not n.startswith("_") and callable(getattr(F, n))
            and (n.endswith("_loss") or n in _TORCH_OTHER_LOSSES)}


def test_every_keras_loss_has_a_row():
    rows = {row.keras_loss for row in ROWS if row.keras_loss}
    assert _keras_losses() <= rows, sorted(_keras_losses() - rows)
    # and no row names a loss this Keras lacks, unless the row says which release added it
    keras = _frameworks.keras()
    for row in ROWS:
        if row.keras_loss and not hasattr(keras.losses, row.keras_loss):
            assert row.keras_since, row.title


def test_every_torch_loss_has_a_row():
    rows = {row.torch_loss for row in ROWS if row.torch_loss}
    assert _torch_losses() == rows, (sorted(_torch_losses() - rows), sorted(rows - _torch_losses()))


def test_each_framework_loss_has_one_row():
    for side in ("keras_loss", "torch_loss"):
        names = [getattr(row, side) for row in ROWS if getattr(row, side)]
        assert len(names) == len(set(names)), side


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.title)
def test_every_row_agrees_as_printed(row):
    result = _translation.run_row(row, edges=False)
    if row.inputs == "none":
        assert (row.keras, row.torch, row.lossnotes) == (None, None, None)
        assert result.verdict == "not translated" and row.note.startswith("Not translated yet")
        return
    if result.verdict == "not in this Keras":
        assert _frameworks.keras_before(row.keras_since), result.detail
        return
    assert result.verdict == "agree", (result, row.keras, row.torch, row.lossnotes)
    # both frameworks were run (a row with one side only would agree with itself)
    assert result.keras is not None and result.torch is not None
    # the printed digits are those every agreeing value rounds to
    text = shown(result.reference)
    digits = len(text.replace(".", "").lstrip("0"))
    for value in (result.keras, result.torch, result.lossnotes):
        if value is not None:
            assert f"{value:#.{digits}g}".rstrip(".") == text, (value, text)


def test_a_wrong_translation_is_reported():
    """torch's kl_div with its default reduction='mean' divides by the number of elements: the
    table's check must catch that, and by the factor the row's note names (6 classes)."""
    row = next(r for r in ROWS if r.torch_loss == "kl_div")
    wrong = dataclasses.replace(row, torch="F.kl_div(torch.log(y_pred), y_true)")
    result = _translation.run_row(wrong, edges=False)
    assert result.verdict == "DIFFERS"
    assert "warning: UserWarning: reduction: 'mean' divides" in result.detail
    assert result.keras / result.torch == pytest.approx(6, rel=1e-5)
    table = _translation.Table((result,))
    assert not table.ok and "DIFFERS" in str(table) and "<strong>DIFFERS" in table._repr_html_()


def test_the_swapped_tversky_weights_are_caught():
    """The note's claim: Keras's alpha weighs sum(y (1 - p)); with the weights as Salehi et al.
    name them (alpha on false positives) the torch line gives another number."""
    row = next(r for r in ROWS if r.keras_loss == "tversky")
    keras = _frameworks.keras()
    if not hasattr(keras.losses, "tversky"):
        pytest.skip("this Keras has no tversky")
    swapped = dataclasses.replace(row, torch=row.torch.replace("0.7 *", "X").replace(
        "0.3 *", "0.7 *").replace("X", "0.3 *"))
    assert _translation.run_row(swapped, edges=False).verdict == "DIFFERS"


def test_a_keras_without_the_loss_is_reported(monkeypatch):
    class NoLosses:
        losses = object()

    monkeypatch.setattr(_frameworks, "keras", lambda: NoLosses)
    row = next(r for r in ROWS if r.keras_loss == "dice")
    result = _translation.run_row(row, edges=False)
    assert result.verdict == "not in this Keras" and "3.2.0" in result.detail


def test_a_keras_that_computes_another_number_is_reported(monkeypatch):
    # Keras 3.1 to 3.3 ship ctc but read a row's padding as labels: the CTC row says so there
    # instead of running (and of reporting a difference that is a version's, not the row's).
    keras = _frameworks.keras()
    if not hasattr(keras.losses, "ctc"):
        pytest.skip("this Keras has no ctc")

    class Keras33:
        __version__ = "3.3.3"
        losses = keras.losses

    monkeypatch.setattr(_frameworks, "keras", lambda: Keras33)
    row = next(r for r in ROWS if r.keras_loss == "ctc")
    result = _translation.run_row(row, edges=False)
    assert result.verdict == "not in this Keras" and "3.4.0" in result.detail, result
    monkeypatch.setattr(Keras33, "__version__", "3.4.0")
    assert _translation.run_row(row, edges=False).verdict == "agree"


def test_edge_verdicts_come_from_the_agreement_matrix():
    table = ln.translations("binary_cross_entropy")
    (result,) = table.results
    # the row's calls pass no weights, smoothing or pos_weight: the cases with them are not its
    extra = ln._registry.LOSSES["binary_cross_entropy"].extra_options
    cases = [c for c in ln._registry.cases("binary_cross_entropy")
             if c.kind == "edge" and not c.options.get("from_logits", False)
             and not set(c.options) & set(extra)]
    assert len(cases) < len([c for c in ln._registry.cases("binary_cross_entropy")
                             if c.kind == "edge" and not c.options.get("from_logits", False)])
    assert sum(result.edges["keras"].values()) == len(cases)
    assert set(result.edges["torch"]) <= {"agree", "explained"}
    assert "python -m lossnotes --loss binary_cross_entropy --kind edge" in table.edges_text(result)


def test_unknown_names_are_refused_with_a_suggestion():
    with pytest.raises(ValueError, match=r"no row translates 'kl_divergance'.*'kl_divergence'"):
        ln.translations("kl_divergance")


@pytest.mark.parametrize("reference, expected, digits", [
    (10.6159, "10.616", 5),
    (653.785, "653.8", 4),   # halfway between two five-digit values
    (1.000049, "1.000", 4),  # near a five-digit boundary: the tolerance crosses it
    (0.0337561, "0.03376", 4),
])
def test_shown_digits_survive_the_tolerance(reference, expected, digits):
    assert shown(reference) == expected
    # any value within three tolerances of the reference rounds to the same digits
    rng = np.random.default_rng(0)
    for x in reference * (1 + rng.uniform(-3e-5, 3e-5, 200)):
        assert f"{x:#.{digits}g}".rstrip(".") == expected


def test_python_m_lossnotes_runs_every_row_and_fails_on_a_changed_one(monkeypatch, capsys):
    """Every row is run after the agreement matrix; a row that no longer agrees (here a
    translation broken on purpose, as a framework release could break one) sets status 1."""
    from lossnotes.__main__ import main

    row = next(r for r in ROWS if r.torch_loss == "kl_div")
    broken = dataclasses.replace(row, title="KL with torch's default reduction",
                                 torch="F.kl_div(torch.log(y_pred), y_true)")
    monkeypatch.setattr(_translation, "ROWS", (*ROWS, broken))
    assert main([]) == 1
    out = capsys.readouterr().out
    for r in ROWS:
        assert f"\n  {r.title} " in out
    assert f"{len(ROWS) + 1} rows: " in out
    line = next(s for s in out.splitlines() if s.startswith("  KL with torch's default"))
    assert "DIFFERS" in line and "F.kl_div(torch.log(y_pred), y_true)" in out


@pytest.mark.parametrize("bad", [3, None, b"kl_div", "KL_DIV"])
def test_a_name_that_is_not_a_framework_loss_is_refused(bad):
    with pytest.raises(ValueError, match="translations: no row translates"):
        ln.translations(bad)
