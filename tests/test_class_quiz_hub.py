"""Asking the class (issue 18), at the hub: raw clients ask, answer and see the reveal."""

from __future__ import annotations

import asyncio
import csv
import logging

import pytest
from test_hub import Client

from rnn_tui.serve.hub import Hub
from rnn_tui.serve.results import Results
from rnn_tui.teach import classroom, histogram
from rnn_tui.teach.classroom import MessageError, decode, encode

ASK = dict(what="h", b=0, t=1, entry=1, pos=4, truth=0.7)


@pytest.fixture
def results(tmp_path):
    return Results(tmp_path / "results")


async def class_of(hub: Hub, *students: str):
    teacher = await Client.open(hub, hub.admit("kim", "teacher"))
    await teacher.recv("class", you_lead=True)
    out = [await Client.open(hub, hub.admit(name, "student")) for name in students]
    return teacher, out


async def asked(teacher: Client, students, **fields) -> int:
    teacher.send("ask", **{**ASK, **fields})
    msg = await teacher.recv("quiz", open=True)
    for s in students:
        got = await s.recv("quiz", open=True)
        assert (got["what"], got["b"], got["t"], got["entry"], got["pos"]) == (
            "h", 0, 1, 1, 4)
        assert got["truth"] is None and got["bins"] is None  # not before the reveal
    return msg["qid"]


def rows(results: Results) -> list[dict]:
    with open(results.path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


async def quizzes(client: Client) -> list[dict]:
    return [m for m in await client.quiet() if m["type"] == "quiz"]


async def hub_with(**kwargs):
    h = Hub(log=logging.getLogger("test.quiz"), hello_timeout=0.5, roster_interval=0.05,
            roster_refresh=60, **kwargs)
    await h.start()
    return h


async def test_ask_answer_change_reveal_and_csv(results, caplog) -> None:
    caplog.set_level(logging.INFO, logger="test.quiz")
    hub = await hub_with(results=results)
    try:
        teacher, (ann, bob, cho) = await class_of(hub, "ann", "bob", "=cho")
        qid = await asked(teacher, (ann, bob, cho))
        ann.send("answer", qid=qid, text="0.3")
        assert (await ann.recv("quiz", guess=0.3))["open"]
        assert (await teacher.recv("quiz", answered=1))["total"] == 3
        ann.send("answer", qid=qid, text="０．７５")  # changed, fullwidth: the last one counts
        assert (await ann.recv("quiz", guess=0.75))["open"]
        bob.send("answer", qid=qid, text="0.55")  # 0.15 under: close
        msg = await teacher.recv("quiz", answered=2)
        assert msg["total"] == 3 and msg["open"]
        bob.send("answer", qid=qid, text="banana")  # not a number: ignored, 0.55 stays
        assert all(m.get("guess") != "banana" for m in await bob.quiet())
        teacher.send("reveal", qid=qid)
        want_bins = [0, 1, 1, 0, 0]  # 0.55: 0.05..0.2 under; 0.75 for 0.7: within 0.05
        for client, points, guess in ((ann, 2, 0.75), (bob, 1, 0.55), (cho, None, None)):
            got = await client.recv("quiz", open=False)
            assert got["truth"] == 0.7 and got["bins"] == want_bins
            assert got["points"] == points and got["guess"] == guess
            assert got["top"] == [["ann", 2], ["bob", 1]]  # not anonymous
        t = await teacher.recv("quiz", open=False)
        assert t["answered"] == 2 and t["bins"] == want_bins
        roster = {e["name"]: e["score"] for e in hub.roster()}
        assert roster["ann"] == [1, 2, 0] and roster["bob"] == [1, 1, 0]
        assert roster["=cho"] == [0, 0, 1]  # missed it
        got = rows(results)
        assert [(r["student"], r["guess"], r["true value"], r["points"]) for r in got] == [
            ("ann", "0.75", "0.7", "2"), ("bob", "0.55", "0.7", "1")]  # in time order
        assert got[0]["question"] == "1: h1[2] of sentence 1"
        assert got[0]["error"] == "0.05"  # decimal: 0.75 - 0.7 is 0.05 exactly
        assert got[0]["time"].endswith("Z")
        assert "ignored a guess that is not a number from bob" in caplog.text
        # a second question: the file is rewritten whole, the first's rows stay
        qid2 = await asked(teacher, (ann, bob, cho), truth=-0.1)
        assert qid2 == 2
        cho.send("answer", qid=qid2, text="-0.1")
        await teacher.recv("quiz", answered=1)
        teacher.send("reveal", qid=qid2)
        assert (await cho.recv("quiz", open=False))["points"] == 2
        assert [r["student"] for r in rows(results)] == ["ann", "bob", "'=cho"]
        assert not list(results.path.parent.glob("*.tmp"))
        assert {e["name"]: e["score"] for e in hub.roster()}["ann"] == [1, 2, 1]
    finally:
        await hub.close()


async def test_everyone_answered_closes_and_a_student_cannot_ask_or_reveal(results) -> None:
    hub = await hub_with(results=results)
    try:
        teacher, (ann, bob) = await class_of(hub, "ann", "bob")
        ann.send("ask", **ASK)  # teacher-only: ignored
        ann.send("reveal", qid=1)
        assert not await quizzes(ann) and hub.quiz is None
        qid = await asked(teacher, (ann, bob))
        ann.send("reveal", qid=qid)
        ann.send("answer", qid=qid, text="0.7")
        await teacher.recv("quiz", answered=1)
        assert hub.quiz.open
        teacher.send("ask", **ASK)  # one question at a time
        bob.send("answer", qid=qid + 7, text="0.7")  # another question's: not counted
        bob.send("answer", qid=qid, text="1,5")  # a decimal comma
        got = await bob.recv("quiz", open=False)
        assert got["bins"] == [0, 0, 1, 0, 1] and got["points"] == 0
        assert hub.asked == 1
    finally:
        await hub.close()


async def test_late_joiner_gets_it_and_one_who_leaves_is_not_counted(results) -> None:
    hub = await hub_with(results=results)
    try:
        teacher, (ann, bob) = await class_of(hub, "ann", "bob")
        qid = await asked(teacher, (ann, bob))
        bob.send("answer", qid=qid, text="0.1")
        await teacher.recv("quiz", answered=1)
        late = await Client.open(hub, hub.admit("dan", "student"))
        got = await late.recv("quiz", open=True)
        assert got["qid"] == qid and got["guess"] is None
        assert (await teacher.recv("quiz", total=3))["answered"] == 1
        bob.close()  # killed mid-question: his answer no longer counts
        assert (await teacher.recv("quiz", total=2))["answered"] == 0
        late.send("answer", qid=qid, text="0.69")
        await teacher.recv("quiz", answered=1)
        ann.close()  # the last one without an answer leaves: everyone here answered
        got = await late.recv("quiz", open=False)
        assert got["bins"] == [0, 0, 1, 0, 0] and got["points"] == 2
        assert [r["student"] for r in rows(results)] == ["dan"]
    finally:
        await hub.close()


async def test_quiz_seconds_closes_it_and_anonymous_hides_names(results) -> None:
    hub = await hub_with(results=results, quiz_seconds=0.3, anonymous=True)
    try:
        teacher, (ann, bob) = await class_of(hub, "ann", "bob")
        teacher.send("ask", **ASK)
        got = await ann.recv("quiz", open=True)
        assert 0 < got["seconds"] <= 0.3
        ann.send("answer", qid=got["qid"], text="0.7")
        got = await ann.recv("quiz", open=False, timeout=2)
        assert got["points"] == 2 and got["top"] == []  # no names to students
        assert (await teacher.recv("quiz", open=False))["top"] == [["ann", 2]]
        assert (await bob.recv("quiz", open=False))["points"] is None
    finally:
        await hub.close()


async def test_the_results_file_is_bounded_and_whole(tmp_path) -> None:
    results = Results(tmp_path, max_questions=2, max_rows=3)
    row = ("t", "s", "q", "0.1", "0.2", "0.1", 1)
    assert results.add([row] * 5) and results.add([row])
    assert not results.add([row])  # the class's limit
    with open(results.path, encoding="utf-8") as f:
        text = f.read()
    assert text.count("\n") == 1 + 3 + 1 and text.endswith("\n")
    hub = await hub_with(results=Results(tmp_path / "two", max_questions=1))
    try:
        teacher, (ann,) = await class_of(hub, "ann")
        await asked(teacher, (ann,))
        teacher.send("reveal", qid=1)
        await ann.recv("quiz", open=False)
        teacher.send("ask", **ASK)  # over the limit: not asked
        assert not await quizzes(ann) and hub.asked == 1
    finally:
        await hub.close()


def test_messages_are_checked() -> None:
    decode(encode("ask", **ASK), "session")
    for bad in (dict(ASK, what="x"), dict(ASK, truth=float("inf")), dict(ASK, truth="1"),
                dict(ASK, entry=-1)):
        with pytest.raises((MessageError, ValueError)):
            decode(encode("ask", **bad), "session")
    with pytest.raises(MessageError):
        decode(encode("answer", qid=1, text="1" * (classroom.MAX_GUESS + 1)), "session")
    with pytest.raises(MessageError):
        decode(encode("quiz", qid=1, **{k: v for k, v in ASK.items() if k != "truth"},
                      open=False, answered=0, total=0, seconds=None, guess=None, truth=1,
                      bins=[1, 2], points=None, mine=[0, 0, 0], top=[]), "hub")
    # 0.5 and 0.9 are 0.2 from 0.7 exactly (in decimal): close, not far
    assert histogram.counts([0.75, 0.65, 0.5, 0.9, 0.91, -3], 0.7) == [1, 1, 2, 1, 1]


async def test_bad_guess_and_teacher_answer_do_not_break_the_class(results) -> None:
    hub = await hub_with(results=results)
    try:
        teacher, (ann,) = await class_of(hub, "ann")
        qid = await asked(teacher, (ann,))
        teacher.send("answer", qid=qid, text="0.7")  # a teacher's guess is not counted
        for text in ("", "nan", "inf", "1e400", "0x10", "[b]1[/b]"):
            ann.send("answer", qid=qid, text=text)
        await ann.writer.drain()
        await asyncio.sleep(0.1)
        assert hub.quiz.open and hub.quiz.answers == {}
        ann.send("answer", qid=qid, text="0.7")
        assert (await ann.recv("quiz", open=False))["points"] == 2
    finally:
        await hub.close()


def test_serve_options(tmp_path, monkeypatch) -> None:
    from rnn_tui.cli import serve

    keys = tmp_path / "teachers"
    keys.write_text("")
    monkeypatch.chdir(tmp_path)
    args = serve.parser().parse_args(["--no-auth", "--teacher-password-file", str(keys)])
    keys.write_text("secret\n")
    config = serve.build_config(args)
    assert (config.quiz_seconds, config.anonymous) == (0.0, False)
    assert config.results_dir == str(tmp_path / "rnn-tui-results")
    args = serve.parser().parse_args(["--no-auth", "--teacher-password-file", str(keys),
                                      "--quiz-seconds", "30", "--anonymous",
                                      "--results", str(tmp_path / "r")])
    config = serve.build_config(args)
    assert (config.quiz_seconds, config.anonymous, config.results_dir) == (
        30.0, True, str(tmp_path / "r"))
    assert f"Class quiz results (CSV) go to:  {tmp_path / 'r'}" in serve.banner(
        config, tmp_path / "key", _Key(), False, 2222)


class _Key:
    def get_fingerprint(self, kind: str) -> str:
        return "SHA256:x"
