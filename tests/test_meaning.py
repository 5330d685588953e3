"""The meaning model: one clear error when it is missing, unit vectors, and nothing but zeros for empty text."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from signalkb.forces import meaning


def test_a_missing_model_is_one_clear_error_naming_the_package_and_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    meaning.load_model.cache_clear()
    monkeypatch.setitem(sys.modules, "wordllama", None)  # as if uninstalled
    try:
        with pytest.raises(meaning.ModelUnavailable) as caught:
            meaning.load_model()
    finally:
        meaning.load_model.cache_clear()
    assert "wordllama" in str(caught.value) and "pip install --force-reinstall" in str(caught.value)


def test_the_real_model_gives_unit_vectors_and_zero_for_text_without_words() -> None:
    model = meaning.load_model()
    vectors = model.embed(["Declining birth rates", "", "😀😀", "**", "x" * 2000, "Inflation", "inflation"])
    norms = np.linalg.norm(vectors, axis=1)
    assert np.isfinite(vectors).all()
    assert norms[0] == pytest.approx(1.0, abs=1e-5) and norms[1] == 0.0 and norms[3] == 0.0
    assert float(vectors[5] @ vectors[6]) == pytest.approx(1.0, abs=1e-5)  # case does not change the meaning
