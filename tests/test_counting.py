"""Issue 15, "One way of counting": people read counts from 1 (the screen, --text,
Markdown, LaTeX, the help says so once); CSV and JSON keep NumPy's 0-based indices,
labelled as such in docs/trace-format.md. Also the LaTeX preamble for non-ASCII tokens."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from rnn_tui.core.data import load_data
from rnn_tui.core.model import Weights
from rnn_tui.export.trace import build_trace, render, tex_preamble
from rnn_tui.teach import textmode

SIX = ["a b c", "b", "c a", "a b c a", "b b a c a", "c c b a b a"]  # lengths 1-6
DOCS = Path(__file__).resolve().parent.parent / "docs" / "trace-format.md"


@pytest.fixture
def six(tmp_path):
    path = tmp_path / "six.tsv"
    path.write_text("".join(f"{i % 2}\t{t}\n" for i, t in enumerate(SIX)))
    dataset = load_data(path)
    return dataset, Weights.init(dataset.vocab, hidden=4, seed=3)


def test_text_mode_counts_sentences_from_1(six):
    dataset, weights = six
    out = textmode.render(dataset, weights)
    assert "counted from 1" in out
    batch = out.split("batch X")[1].split("weights")[0]
    assert [line.split(":")[0].strip() for line in batch.splitlines()[1:] if line] == [
        "1", "2", "3", "4", "5", "6"]
    assert "  1: a b c " in batch and "  6: c c b a b a " in batch
    steps = re.findall(r"sentence (\d+): token", out)
    assert sorted(set(steps)) == ["1", "2", "3", "4", "5", "6"]
    assert "sentence 0" not in out
    # "b" (sentence 2) has one token: from t = 2 it is carried
    block = out.split("--- time step t = 2 of 6 ---")[1].split("--- time step")[0]
    assert "sentence 2: token (padding)" in block
    outputs = out.split("--- output")[1].splitlines()[1:7]
    assert [line.split(":")[0].strip() for line in outputs] == ["1", "2", "3", "4", "5", "6"]


def test_markdown_counts_sentences_and_entries_from_1(six):
    text = render(build_trace(*six), "md")
    assert "counted from 1" in text
    titles = re.findall(r"^## Sentence (\d+): (.*?) \(target", text, re.M)
    assert titles == [(str(b + 1), t) for b, t in enumerate(SIX)]
    assert "## Sentence 0" not in text
    assert "| quantity | [1] | [2] | [3] | [4] |" in text  # hidden entries
    assert "[0]" not in text
    assert re.search(r"^\| Whh \(4,4\) \| \[1\] \| \[2\] \| \[3\] \| \[4\] \|$", text, re.M)
    assert re.search(r"^\| \[1\] \| [+-]", text, re.M)  # Whh's first row
    summary = text.split("## Summary")[1]
    assert re.search(r"^\| 1 \| a b c \|", summary, re.M)
    assert re.search(r"^\| 6 \| c c b a b a \|", summary, re.M)
    sentences = text.split("## Sentences")[1].split("## Weights")[0]
    assert re.search(r"^\| 1 \| a b c \| 0 \| 3 \|$", sentences, re.M)


def test_latex_counts_sentences_from_1(six):
    text = render(build_trace(*six), "tex")
    titles = re.findall(r"\\section\*\{Sentence (\d+): ", text)
    assert titles == ["1", "2", "3", "4", "5", "6"]
    assert "counted from 1" in text
    assert r"1 & a b c & 0 & 3 \\" in text
    assert r"6 & c c b a b a & 1 & 6 \\" in text
    summary = text.split(r"\section*{Summary}")[1]
    assert re.search(r"^1 & a b c & \$", summary, re.M)
    assert not re.search(r"^0 & ", text, re.M)


def test_csv_and_json_keep_0_based_indices_and_the_docs_say_so(six):
    trace = build_trace(*six)
    rows = list(csv.DictReader(io.StringIO(render(trace, "csv"))))
    steps = [r for r in rows if r["quantity"] == "h"]
    assert {r["sentence"] for r in steps} == {"0", "1", "2", "3", "4", "5"}
    assert {r["col"] for r in steps} == {"0", "1", "2", "3"}
    assert {r["t"] for r in steps} == {"1", "2", "3", "4", "5", "6"}  # time steps from 1
    data = json.loads(render(trace, "json"))
    assert [s["index"] for s in data["sentences"]] == [0, 1, 2, 3, 4, 5]
    docs = DOCS.read_text(encoding="utf-8")
    assert "**0-based**" in docs and "counts\nfrom 1" in docs
    assert "`sentence`, `row` and\n`col` are 0-based" in docs
    assert "its batch row b, 0-based" in docs


def test_help_says_once_how_people_count():
    from rnn_tui.teach import i18n
    from rnn_tui.tui.routes import HELP

    rows = [d for _, d in HELP if d == "help.counting"]
    assert rows == ["help.counting"]
    for lang in ("en", "ko"):
        i18n.set_lang(lang)
        try:
            said = i18n.tr("help.counting")
        finally:
            i18n.set_lang("en")
        assert "1" in said and "0" in said and "JSON" in said


async def test_help_screen_shows_the_counting_row():
    from conftest import press

    from rnn_tui.core.data import lesson_dataset
    from rnn_tui.tui.app import RNNApp

    d = lesson_dataset()
    app = RNNApp(d, Weights.init(d.vocab, hidden=3, seed=0), lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        text = await press(pilot, "question_mark")
        text += await press(pilot, "end")
        assert "counts start at 1: sentence 1, t = 1, [1] (JSON, CSV: 0)" in text


# --- the LaTeX preamble ------------------------------------------------------------


def test_latex_preamble_ascii_is_pdflatex():
    lines = tex_preamble(["as", "soon"], ["as soon"])
    assert lines[0].startswith("% Compile with pdflatex")
    assert r"\usepackage[utf8]{inputenc}" in lines
    assert not any("fontspec" in line or "kotex" in line for line in lines)


def test_latex_preamble_korean_is_xelatex_with_kotex(tmp_path):
    path = tmp_path / "ko.tsv"
    path.write_text("1\t사과 좋아\n0\t사과\n1\t좋아 정말 a\n", encoding="utf-8")
    dataset = load_data(path)
    text = render(build_trace(dataset, Weights.init(dataset.vocab, hidden=4, seed=0)), "tex")
    head = text.split(r"\begin{document}")[0]
    assert head.startswith("% Some tokens are not ASCII: compile with xelatex")
    assert "pdflatex" in head.splitlines()[0]  # it says pdflatex won't do
    assert r"\usepackage{fontspec}" in head and r"\usepackage{kotex}" in head
    assert "inputenc" not in head
    assert head.index(r"\documentclass{article}") < head.index(r"\usepackage{fontspec}")
    assert r"\texttt{사과}" in text


def test_latex_preamble_accents_are_xelatex_without_kotex():
    lines = tex_preamble(["café", "as"], ["café as"])
    assert "xelatex" in lines[0] and r"\usepackage{fontspec}" in lines
    assert r"\usepackage{kotex}" not in lines


@pytest.mark.skipif(shutil.which("xelatex") is None, reason="no xelatex installed")
@pytest.mark.slow
def test_korean_latex_compiles_with_xelatex(tmp_path):
    path = tmp_path / "ko.tsv"
    path.write_text("1\t사과 좋아\n0\t사과\n", encoding="utf-8")
    dataset = load_data(path)
    tex = tmp_path / "ko.tex"
    tex.write_text(render(build_trace(dataset, Weights.init(dataset.vocab, hidden=2, seed=0)),
                          "tex"), encoding="utf-8")
    result = subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                            cwd=tmp_path, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:]
    assert (tmp_path / "ko.pdf").exists()


async def test_screen_and_text_mode_name_the_same_sentence_the_same_way(six):
    from conftest import press

    from rnn_tui.tui.app import RNNApp

    dataset, weights = six
    app = RNNApp(dataset, weights, lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        text = await press(pilot, "5", "L")
        assert "sentence 5: b b a c a" in text
    out = textmode.render(dataset, weights)
    assert "  5: b b a c a " in out
    t1 = out.split("--- time step t = 1 of 6 ---")[1].split("--- time step")[0]
    assert "sentence 5: token b" in t1  # "b b a c a" reads b first
