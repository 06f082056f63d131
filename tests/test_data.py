"""rnn_tui.core.data: tokens, vocabulary, one-hot, the padded batch, data files."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import LESSON_X

from rnn_tui.core.data import (
    DataError,
    Dataset,
    build_vocab,
    encode,
    load_data,
    one_hot,
    parse_data,
    tokenize,
)

# --- the lesson's dataset ------------------------------------------------------


def test_lesson_X_is_exactly_seed_md(lesson: Dataset) -> None:
    assert lesson.X.shape == (3, 3, 2)
    assert lesson.X.dtype == np.float64
    assert np.array_equal(lesson.X, LESSON_X)


def test_lesson_labels_vocab_sentences_lengths(lesson: Dataset) -> None:
    assert lesson.labels.tolist() == [0, 0, 1]
    assert list(lesson.vocab) == ["as", "soon"]
    assert lesson.texts == ["as as soon", "soon as as", "as soon as"]
    assert lesson.lengths.tolist() == [3, 3, 3]
    assert len(lesson) == 3


def test_lesson_one_hots() -> None:
    vocab = ["as", "soon"]
    assert one_hot("as", vocab).tolist() == [1.0, 0.0]
    assert one_hot("soon", vocab).tolist() == [0.0, 1.0]
    assert one_hot("as", vocab).dtype == np.float64


# --- tokens and vocabulary -----------------------------------------------------


def test_tokenize_splits_on_any_whitespace() -> None:
    assert tokenize("  as\tsoon \n as  ") == ["as", "soon", "as"]
    assert tokenize("   ") == []


def test_vocab_is_first_seen_order() -> None:
    assert build_vocab(["soon as", "as when soon"]) == ["soon", "as", "when"]
    assert build_vocab([["b", "a"], ["a", "c"]]) == ["b", "a", "c"]


# --- padding -------------------------------------------------------------------


def test_encode_pads_on_the_right_with_zero_vectors() -> None:
    X, lengths = encode(["as soon as", "soon", "as soon"], ["as", "soon"])
    assert X.shape == (3, 3, 2)
    assert lengths.tolist() == [3, 1, 2]
    expected = np.array(
        [
            [[1, 0], [0, 1], [1, 0]],
            [[0, 1], [0, 0], [0, 0]],  # padded twice
            [[1, 0], [0, 1], [0, 0]],  # padded once
        ],
        dtype=np.float64,
    )
    assert np.array_equal(X, expected)


def test_dataset_with_given_vocab_keeps_that_order() -> None:
    d = Dataset.from_sentences(["as soon"], [1], vocab=["soon", "as", "when"])
    assert d.vocab == ("soon", "as", "when")
    assert np.array_equal(d.X[0], [[0, 1, 0], [1, 0, 0]])


def test_with_vocab_re_encodes(lesson: Dataset) -> None:
    d = lesson.with_vocab(["soon", "as"])
    assert np.array_equal(d.X, LESSON_X[:, :, ::-1])  # columns swapped
    assert d.labels.tolist() == [0, 0, 1]


# --- data files ----------------------------------------------------------------


def write(tmp_path: Path, content: str | bytes, name: str = "data.tsv") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_load_data_skips_blank_and_comment_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "# the lesson\n\n0\tas as soon\n   \n0\tsoon as as\n# more\n1\tas soon as\n",
    )
    d = load_data(path)
    assert np.array_equal(d.X, LESSON_X)
    assert d.labels.tolist() == [0, 0, 1]
    assert list(d.vocab) == ["as", "soon"]


def test_load_data_crlf_and_different_lengths(tmp_path: Path) -> None:
    path = write(tmp_path, b"1\tas soon as\r\n0\tsoon\r\n")
    d = load_data(path)
    assert d.lengths.tolist() == [3, 1]
    assert d.labels.tolist() == [1, 0]
    assert np.array_equal(d.X[1], [[0, 1], [0, 0], [0, 0]])


def test_load_data_with_vocab(tmp_path: Path) -> None:
    path = write(tmp_path, "1\tas soon\n")
    d = load_data(path, vocab=["soon", "as"])
    assert np.array_equal(d.X[0], [[0, 1], [1, 0]])


def test_parse_data_returns_tokens_and_labels() -> None:
    sentences, labels = parse_data("1\tas  soon\n0\tsoon\n")
    assert sentences == [["as", "soon"], ["soon"]]
    assert labels == [1, 0]


# --- bad input: each its own clear, one-line error -----------------------------


def assert_one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert message and "\n" not in message
    return message


def test_unknown_token_names_token_and_vocabulary() -> None:
    with pytest.raises(DataError) as exc:
        one_hot("later", ["as", "soon"])
    message = assert_one_line(exc)
    assert "'later'" in message
    assert "as, soon" in message


def test_unknown_token_in_file_names_file_token_and_vocabulary(tmp_path: Path) -> None:
    path = write(tmp_path, "1\tas soon later\n")
    with pytest.raises(DataError) as exc:
        load_data(path, vocab=["as", "soon"])
    message = assert_one_line(exc)
    assert str(path) in message
    assert "'later'" in message
    assert "as, soon" in message


def test_unknown_token_in_encode() -> None:
    with pytest.raises(DataError, match=r"unknown token 'when'.*as, soon"):
        encode(["as when"], ["as", "soon"])


@pytest.mark.parametrize("content", ["", "\n\n   \n", "# only a comment\n\n# another\n"])
def test_empty_data_file(tmp_path: Path, content: str) -> None:
    path = write(tmp_path, content)
    with pytest.raises(DataError) as exc:
        load_data(path)
    message = assert_one_line(exc)
    assert str(path) in message
    assert "no examples" in message


@pytest.mark.parametrize("label", ["2", "-1", "yes", "0.5", "01"])
def test_label_not_0_or_1(tmp_path: Path, label: str) -> None:
    path = write(tmp_path, f"0\tas soon\n{label}\tas as\n")
    with pytest.raises(DataError) as exc:
        load_data(path)
    message = assert_one_line(exc)
    assert "line 2" in message
    assert "label must be 0 or 1" in message
    assert repr(label) in message


def test_label_not_0_or_1_from_sentences() -> None:
    with pytest.raises(DataError, match=r"sentence 2: label must be 0 or 1, not 7"):
        Dataset.from_sentences(["as", "soon"], [0, 7])


def test_non_utf8_file(tmp_path: Path) -> None:
    path = write(tmp_path, b"1\tas soon \xe9t\xe9\n")  # Latin-1 bytes
    with pytest.raises(DataError) as exc:
        load_data(path)
    message = assert_one_line(exc)
    assert str(path) in message
    assert "not UTF-8" in message
    assert "offset 10" in message  # "1\tas soon " is 10 bytes: 0-based offset 10


@pytest.mark.parametrize("line", ["1\t", "1\t   ", "0\t\t"])
def test_empty_sentence_in_file(tmp_path: Path, line: str) -> None:
    path = write(tmp_path, f"0\tas soon\n{line}\n")
    with pytest.raises(DataError) as exc:
        load_data(path)
    message = assert_one_line(exc)
    assert "line 2" in message
    assert "sentence is empty" in message


def test_empty_sentence_from_sentences() -> None:
    with pytest.raises(DataError, match=r"sentence 2 is empty"):
        Dataset.from_sentences(["as soon", "  "], [0, 1])


@pytest.mark.parametrize("line", ["1 as soon", "as soon as", "1"])
def test_line_without_tab(tmp_path: Path, line: str) -> None:
    path = write(tmp_path, f"# header\n{line}\n")
    with pytest.raises(DataError) as exc:
        load_data(path)
    message = assert_one_line(exc)
    assert "line 2" in message
    assert "no tab" in message


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=re.escape(f"{tmp_path / 'nope.tsv'}: no such file")):
        load_data(tmp_path / "nope.tsv")
    with pytest.raises(DataError, match="is a directory"):
        load_data(tmp_path)


def test_no_sentences_and_label_count_mismatch() -> None:
    with pytest.raises(DataError, match="data is empty"):
        Dataset.from_sentences([], [])
    with pytest.raises(DataError, match="2 sentences but 1 labels"):
        Dataset.from_sentences(["as", "soon"], [0])


def test_load_data_ignores_a_utf8_bom(tmp_path: Path) -> None:
    # Windows editors save "UTF-8" with a byte order mark; it is not part of the label.
    path = write(tmp_path, b"\xef\xbb\xbf0\tas as soon\n0\tsoon as as\n1\tas soon as\n")
    d = load_data(path)
    assert d.labels.tolist() == [0, 0, 1]
    assert np.array_equal(d.X, LESSON_X)
