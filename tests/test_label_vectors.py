"""Word vectors of sign labels from Russian fastText vectors: a real ``.bin`` (trained here on a few
Russian sentences, read with ``fasttext.load_model``) and a ``.vec`` subset."""

from __future__ import annotations

import numpy as np
import pytest

from motiongen.cache.label_vectors import compute_label_vectors, label_words, read_label_vectors, write_label_vectors
from motiongen.core.errors import ConfigError, InputFileError


def test_label_words_split_letters_and_digits():
    assert label_words("До свидания!") == ["до", "свидания"]
    assert label_words("no_event") == ["no_event"] and label_words("?!") == []


def test_bin_model_gives_every_label_the_mean_of_its_words(russian_fasttext_bin, tmp_path):
    import fasttext

    model = fasttext.load_model(str(russian_fasttext_bin))
    labels = ("привет", "до свидания", "спасибо", "?!")
    vectors, warnings = compute_label_vectors(russian_fasttext_bin, "sign", labels)
    assert vectors.labels == labels and vectors.vectors.shape == (4, model.get_dimension())
    np.testing.assert_allclose(vectors.vectors[0], model.get_word_vector("привет"), rtol=1e-6)
    mean = (model.get_word_vector("до") + model.get_word_vector("свидания")) / 2
    np.testing.assert_allclose(vectors.vectors[1], mean, rtol=1e-5, atol=1e-7)
    assert np.abs(vectors.vectors[2]).sum() > 0  # not in the training text: built from character n-grams
    assert not vectors.vectors[3].any()
    assert warnings == [f"label '?!': no word vector in {russian_fasttext_bin} (words []); its row is zero"]

    write_label_vectors(tmp_path, vectors)
    again = read_label_vectors(tmp_path)
    assert again.stream == "sign" and again.labels == labels and again.source == str(russian_fasttext_bin)
    np.testing.assert_array_equal(again.vectors, vectors.vectors)


def test_vec_file_subset_and_missing_words(tmp_path):
    path = tmp_path / "cc.ru.4.vec"
    path.write_text("3 4\nпривет 1 2 3 4\nдо 0 0 2 2\nсвидания 2 2 0 0\n", encoding="utf-8")
    vectors, warnings = compute_label_vectors(path, "sign", ("Привет", "до свидания", "нет"))
    np.testing.assert_array_equal(vectors.vectors, [[1, 2, 3, 4], [1, 1, 1, 1], [0, 0, 0, 0]])
    assert len(warnings) == 1 and "label 'нет'" in warnings[0]


def test_bad_vector_files_are_reported(tmp_path):
    assert read_label_vectors(tmp_path) is None
    with pytest.raises(InputFileError, match="fastText model not found"):
        compute_label_vectors(tmp_path / "cc.ru.300.bin", "sign", ("да",))
    with pytest.raises(ConfigError, match="fastText .bin or .vec"):
        compute_label_vectors(tmp_path / "vectors.txt", "sign", ("да",))
    (tmp_path / "label_vectors.npz").write_bytes(b"not an npz")
    with pytest.raises(InputFileError, match="not a label-vector table"):
        read_label_vectors(tmp_path)
