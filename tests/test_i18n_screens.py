"""The screens t, g, e, w, x and s in Korean at 80×24, and F2 on each of them.

Each test opens a screen with lang="ko" and checks that its Korean labels are
on screen, that its key numbers are not clipped, and that its box is closed
where it was opened: a wide character counted as one cell would push the
right border out of line.
"""

from __future__ import annotations

import pytest
from conftest import Notices, press, screen_text
from rich.cells import cell_len
from test_app_training import tap, wait_for

from rnn_tui.core.backprop import backward_trace
from rnn_tui.core.data import lesson_dataset
from rnn_tui.core.model import Weights
from rnn_tui.teach import fmt, i18n
from rnn_tui.tui.app import RNNApp
from rnn_tui.tui.screens.backward import BackwardScreen, norm_text
from rnn_tui.tui.screens.files import SERVED_ENV, ExportScreen, SaveScreen
from rnn_tui.tui.screens.sentences import SentencesScreen
from rnn_tui.tui.screens.training import EPOCHS, TrainingScreen
from rnn_tui.tui.screens.weights_editor import WeightsScreen

SCREENS = [TrainingScreen, BackwardScreen, SentencesScreen, WeightsScreen, ExportScreen,
           SaveScreen]


@pytest.fixture(autouse=True)
def local_mode(monkeypatch, tmp_path):
    monkeypatch.delenv(SERVED_ENV, raising=False)
    monkeypatch.chdir(tmp_path)


def lesson_app(lang: str = "ko") -> RNNApp:
    d = lesson_dataset()
    return RNNApp(d, Weights.init(d.vocab, hidden=3, seed=0), lang=lang)


def cells(line: str) -> list[str]:
    """The line cell by cell: a wide character, then "" for its second cell."""
    out: list[str] = []
    for ch in line:
        out.append(ch)
        out.extend([""] * (cell_len(ch) - 1))
    return out


def assert_fits(text: str, width: int = 80, height: int = 24) -> None:
    lines = text.splitlines()
    assert len(lines) == height
    assert all(cell_len(line) == width for line in lines), text


def assert_box_closed(text: str, title: str) -> None:
    """The box titled ``title``: its sides run straight down to its bottom corners."""
    grid = [cells(line) for line in text.splitlines()]
    top = next(y for y, line in enumerate(text.splitlines()) if f"╭─ {title}" in line)
    row = grid[top]
    left = next(x for x in range(len(row)) if "".join(row[x:]).startswith(f"╭─ {title}"))
    right = next(x for x in range(left + 1, len(row)) if row[x] == "╮")
    y = top + 1
    while grid[y][left] != "╰":
        assert grid[y][left] == "│" and grid[y][right] == "│", (title, y, text)
        y += 1
    assert grid[y][right] == "╯", (title, text)


def test_every_screen_binding_names_a_message() -> None:
    english = i18n.CATALOGS["en"]
    for screen in SCREENS:
        for binding in screen.BINDINGS:
            assert binding.id, (screen.__name__, binding.key)
            assert f"key.{binding.id}" in english, (screen.__name__, binding.id)


async def test_training_screen_in_korean() -> None:
    app = lesson_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await tap(pilot, "t")
        assert isinstance(app.screen, TrainingScreen)
        await tap(pilot, "f")
        await wait_for(pilot, lambda: app.screen.state == "done")
        await pilot.pause()
        text = screen_text(app)
        assert_fits(text)
        assert_box_closed(text, "학습: 시간 역전파")
        assert "처음 가중치에서 시작" in text
        assert f"에포크 {EPOCHS}/{EPOCHS} · 손실 " in text
        assert "정확도 3/3 (100%) · 완료 ✓" in text
        assert "에포크별 손실 (로그 눈금)" in text and f"에포크 1 … {EPOCHS} │" in text
        assert "enter 나 esc: 이 가중치 쓰기 (i: 처음 ↔ 학습됨) · l: 선형" in text
        assert text.splitlines()[-1].startswith("q 끝내기")
        text = await tap(pilot, "f2")  # F2 here too; the numbers stay
        assert f"epoch {EPOCHS}/{EPOCHS}" in text and "accuracy 3/3 (100%)" in text
        assert text.splitlines()[-1].startswith("q Quit")
        text = await tap(pilot, "f2", "enter")
        assert not isinstance(app.screen, TrainingScreen)
        assert f"(에포크 {EPOCHS}번)  [학습된 가중치]" in text  # the message first (issue 15)


async def test_backward_screen_in_korean_fits_80x24() -> None:
    app = lesson_app()
    s = app.stepper
    trace = backward_trace(s.weights, s.X, s.lengths, s.labels, 2, s.activation)
    p = 4
    async with app.run_test(size=(80, 24)) as pilot:
        text = await press(pilot, "3", "g")
        assert isinstance(app.screen, BackwardScreen)
        assert "역전파  출력: dL/dz, dL/dh₃" in text
        assert f"dL/dz = y − 목표 = {fmt.num(trace.dz, p)} ◀" in text
        assert "→ 를 누르면 시작." in text
        for keys, where in ((["L"], "t = 3/3  단계 4/4: dL/dh₂"),
                            (["L"], "t = 2/3  단계 4/4: dL/dh₁"),
                            (["L"], "t = 1/3  단계 4/4: dL/dh₀"),
                            (["end"], "모든 단계의 합: 기울기")):
            text = await press(pilot, *keys)
            assert_fits(text)
            lines = text.splitlines()
            assert where in lines[0]
            for title in ("문장 3: as soon as", "시간 단계별 기울기 크기"):
                assert_box_closed(text, title)
            assert any(line.startswith("│ t=1 as") for line in lines)  # the last bar row
            assert "esc 닫기" in lines[-1]
        for step in trace.steps:
            assert norm_text(step.dh_norm) in text and norm_text(step.grad_norm) in text
        assert "모든 단계의 몫을 합함 (t = 3..1): 이 문장의 기울기." in text
        text = await press(pilot, "home", "right", "right", "right")
        assert f"'as' 행 += {fmt.vec(trace.steps[0].dWxh[0], p)} ◀" in text
        assert "(합침: Bh 는 (1,1))" in text
        assert_box_closed(text, "t = 3 로 거꾸로 · x₃ = 'as'")
        text = await press(pilot, "f2")  # the same position, in English
        assert "t = 3/3  sub-step 3/4: shares of dWxh, dWhh, dBh" in text
        assert "esc Close" in text.splitlines()[-1]
        text = await press(pilot, "f2", "escape")
        assert "t = 0/3  시작" in text and app.selected == 2


async def test_sentences_editor_in_korean() -> None:
    app = lesson_app()
    async with app.run_test(size=(80, 24)) as pilot:
        text = await press(pilot, "e")
        assert isinstance(app.screen, SentencesScreen)
        assert_box_closed(text, "문장")
        assert "#  레이블  문장" in text and "3  1       as soon as" in text
        assert "↑↓ 고르기 · enter 고치기 · a 추가 · d 삭제 · esc 닫기" in text
        await press(pilot, "a", "a", "s", "space", "l", "a", "t", "e", "r", "tab", "7")
        text = await press(pilot, "enter")
        assert "레이블은 0 이나 1 이어야 한다 ('7' 은 안 됨): 적용 안 함" in text
        assert_box_closed(text, "새 문장")
        await press(pilot, "backspace", "1")
        text = await press(pilot, "enter")
        assert "문장 4 추가: 처음부터 다시 진행. 새 토큰 'later'" in text
        assert "4  1       as later" in text
        assert_box_closed(text, "문장")
        text = await press(pilot, "f2")
        assert "#  label  sentence" in text and "a add · d remove" in text
        assert_box_closed(text, "sentences")


async def test_weights_editor_in_korean() -> None:
    app = lesson_app()
    async with app.run_test(size=(80, 24)) as pilot:
        text = await press(pilot, "w")
        assert isinstance(app.screen, WeightsScreen)
        assert_fits(text)
        assert_box_closed(text, "가중치 고치기")
        assert "(* 바뀜)" in text and "평균 손실 " in text
        assert "←↑↓→ 칸 · tab 가중치 · +/- ±0.1 · enter 입력 · r 되돌리기 · esc 닫기" in text
        text = await press(pilot, "plus")
        assert "바뀜: 그 뒤의 값을 모두 다시 계산" in text
        assert f"처음 값 {fmt.num(app.initial_weights.Wxh[0, 0])}" in text
        text = await press(pilot, "enter", "a", "b", "c", "enter")
        assert "새 값 abc" in text
        assert "✗ 'abc' 은 숫자가 아니다 (예: 0.25, -1.5): 바뀐 것 없음" in text
        assert_box_closed(text, "가중치 고치기")
        text = await press(pilot, "escape", "f2")
        assert "edit weights" in text and "mean loss" in text


@pytest.mark.parametrize("key", ["x", "s"])
async def test_export_and_save_in_korean(key: str, tmp_path) -> None:
    app = lesson_app()
    title = {"x": "기록 내보내기", "s": "가중치와 문장 저장"}[key]
    seen = Notices()
    async with app.run_test(size=(80, 24), message_hook=seen) as pilot:
        text = await press(pilot, key)
        assert isinstance(app.screen, ExportScreen if key == "x" else SaveScreen)
        assert_box_closed(text, title)
        assert "파일 이름 (rnn-tui 를 시작한 폴더 안):" in text
        assert "enter 쓰기 · tab 다음 칸 · esc 취소" in text
        if key == "x":
            assert "형식 (↑↓ 로 고르기): Markdown 유인물" in text
            assert "CSV, 한 줄에 숫자 하나 (.csv)" in text
        else:
            assert "가중치는 지정한 파일에, 문장은 그 옆에" in text
        text = await press(pilot, "f2")
        assert "file name (in the folder rnn-tui was started from):" in text
        text = await press(pilot, "f2", "enter")
        assert not isinstance(app.screen, (ExportScreen, SaveScreen))
        assert not seen.messages
        notices = text.splitlines()[0]  # the status line (issue 15: no toasts)
        if key == "x":
            assert "md 기록을 rnn-trace.md 에 씀" in notices
            assert (tmp_path / "rnn-trace.md").exists()
        else:
            assert "rnn-weights.json, rnn-weights.tsv 저장함" in notices
        await press(pilot, key, "enter")  # the file exists now: asked before overwriting
        text = await press(pilot)
        name = "rnn-trace.md" if key == "x" else "rnn-weights.json, rnn-weights.tsv"
        assert f"{name} 이미 있음. 덮어쓸까? y = 예" in text  # "n = 아니요" may wrap
        assert_box_closed(text, title)


@pytest.mark.parametrize(("key", "short"), [
    ("x", "SSH 에서는 내보내기 없음"),
    ("s", "SSH 에서는 저장 없음"),
])
async def test_served_refusals_in_korean(monkeypatch, key, short) -> None:
    monkeypatch.setenv(SERVED_ENV, "1")
    app = lesson_app()
    seen = Notices()
    async with app.run_test(size=(80, 24), message_hook=seen) as pilot:
        text = await press(pilot, key)
        assert f"({short})" in text.splitlines()[0]
        assert not seen.messages  # the status line says it (issue 15: no toasts)


# In Korean the whole line is Korean, the "error:" too (issue 15: no half-English lines).
@pytest.mark.parametrize(("argv", "environ", "message"), [
    (["--lang", "ko", "--weights", "trained", "--seed", "3"], {},
     "오류: --seed 은 --weights 와 함께 쓸 수 없다 (파일이 정한다)"),
    (["--precision", "12"], {"LANG": "ko_KR.UTF-8"},
     "오류: 인자 --precision: 0 에서 8 사이여야 한다 (12 는 아니다) (rnn-tui --help 참고)"),
    (["--lang=en", "--trace", "t.json", "--hidden", "2"], {"LANG": "ko_KR.UTF-8"},
     "error: --hidden can't be used with --trace (the trace sets it)"),
    (["--hidden", "2", "--weights", "trained"], {},
     "error: --hidden can't be used with --weights (the file sets it)"),
])
def test_cli_errors_follow_lang_or_the_locale(monkeypatch, capsys, argv, environ, message):
    from rnn_tui.cli.main import main

    for var, value in environ.items():
        monkeypatch.setenv(var, value)
    assert main(argv) == 2
    assert capsys.readouterr().err == f"rnn-tui: {message}\n"
