from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nudgebot import commands
from nudgebot.cli import main
from nudgebot.engine.rules import prompts_dir
from nudgebot.models import DIMENSIONS

ROOT = Path(__file__).resolve().parent.parent
PARCEL_CUSTOMER = "Where is my parcel?? It's been 2 weeks"
PARCEL_DRAFT = "It'll arrive soon, the courier handles delivery."
GOOD_DRAFT = (
    "Hi Priya, I'm sorry your parcel is late. I've just called the courier and it's booked for "
    "delivery tomorrow before 1pm; I'll check the tracking at 2pm and call you if it hasn't "
    "arrived."
)
SETTINGS_VARS = (
    "NUDGEBOT_ENGINE",
    "NUDGEBOT_PROMPTS_DIR",
    "NUDGEBOT_MAX_DRAFT_CHARS",
    "NO_COLOR",
    "OPENAI_API_KEY",
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_API_KEY",
)


@pytest.fixture(autouse=True)
def _clean_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No .env and no nudgebot variables from the machine running the tests."""
    monkeypatch.chdir(tmp_path)
    for name in SETTINGS_VARS:
        monkeypatch.delenv(name, raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line_error(err: str) -> None:
    assert err.startswith("nudgebot: ")
    assert err.count("\n") == 1, err
    assert "Traceback" not in err


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# check
# --------------------------------------------------------------------------------------------


def test_check_text_shows_verdict_quote_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "check", "--customer", PARCEL_CUSTOMER, PARCEL_DRAFT)
    assert status == 0, err
    assert err == ""
    assert "Worth a nudge" in out
    assert "soon" in out and "^^^^" in out  # the quote, marked in its sentence
    assert "Suggested reply" in out
    for dimension in DIMENSIONS:
        assert dimension in out
    assert "\x1b[" not in out  # not a terminal: no ANSI codes


def test_check_json_is_the_review_contract(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "check", "--format", "json", "--customer", PARCEL_CUSTOMER, PARCEL_DRAFT
    )
    assert status == 0
    assert out.count("\n") == 1
    data = json.loads(out)
    assert data["needs_nudge"] is True
    assert set(data["scores"]) == set(DIMENSIONS)
    assert all(0 <= v <= 100 for v in data["scores"].values())
    assert data["engine"] == "rules"
    assert isinstance(data["suggestion"], str)
    assert "note" in data
    for finding in data["findings"]:
        assert {"dimension", "rule", "quote", "message"} <= set(finding)


def test_check_good_draft_looks_good(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "check", "--format", "json", GOOD_DRAFT)
    assert status == 0
    data = json.loads(out)
    assert data["needs_nudge"] is False
    assert data["suggestion"] is None


def test_check_customer_context_changes_the_review(capsys: pytest.CaptureFixture[str]) -> None:
    draft = "Your refund is in progress."
    _, alone, _ = run(capsys, "check", "--format", "json", draft)
    _, upset, _ = run(
        capsys,
        "check",
        "--format",
        "json",
        "--customer",
        "Any update on my refund?? It's been 10 days and I'm furious.",
        draft,
    )
    assert json.loads(upset)["findings"] != json.loads(alone)["findings"]
    assert json.loads(upset)["needs_nudge"] is True


@pytest.mark.parametrize(
    "args", [["check", "--format", "json"], ["check", "--format", "json", "-"]]
)
def test_check_reads_stdin(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PARCEL_DRAFT + "\n"))
    status, out, _ = run(capsys, *args, "--customer", PARCEL_CUSTOMER)
    assert status == 0
    data = json.loads(out)
    assert any(f["quote"] == "soon" for f in data["findings"])


def test_check_words_without_quotes_are_one_draft(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "check", "--format", "json", "It'll", "arrive", "soon.")
    assert status == 0
    assert any(f["quote"] == "soon" for f in json.loads(out)["findings"])


@pytest.mark.parametrize("draft", ["", "   \n  "])
def test_empty_draft_is_one_line_exit_2(draft: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "check", draft)
    assert status == 2
    assert out == ""
    assert_one_line_error(err)
    assert "empty" in err


def test_too_long_draft_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUDGEBOT_MAX_DRAFT_CHARS", "50")
    status, out, err = run(capsys, "check", "x" * 51)
    assert status == 2
    assert out == ""
    assert_one_line_error(err)
    assert "limit is 50" in err


def test_bad_setting_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUDGEBOT_MAX_DRAFT_CHARS", "lots")
    status, _, err = run(capsys, "check", "hello")
    assert status == 2
    assert_one_line_error(err)
    assert "NUDGEBOT_MAX_DRAFT_CHARS" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--bogus", "hello"],
        ["frobnicate"],
        ["check", "--engine", "gpt", "hello"],
        ["check", "--format", "yaml", "hello"],
        [],
        ["check", "--batch", "x.jsonl", "also a draft"],
        ["rules", "test", "--dir", "/no/such/dir"],
    ],
)
def test_usage_errors_are_one_line_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert out == ""
    assert_one_line_error(err)
    assert "--help" in err


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--help")
    assert status == 0
    assert "check" in out and "eval" in out and "demo" in out and "rules" in out
    status, out, _ = run(capsys, "check", "--help")
    assert status == 0
    assert "--batch" in out and "example" in out and "exit status" in out
    status, out, _ = run(capsys, "--version")
    assert status == 0
    assert out.startswith("nudgebot ")


def test_spanish_draft_gets_a_note_and_no_findings(capsys: pytest.CaptureFixture[str]) -> None:
    draft = (
        "Hola María, lamentamos mucho el retraso de su pedido. Le enviaremos el paquete "
        "mañana por la mañana y le avisaremos cuando salga del almacén."
    )
    status, out, _ = run(capsys, "check", "--format", "json", draft)
    assert status == 0
    data = json.loads(out)
    assert data["findings"] == []
    assert data["needs_nudge"] is False
    assert data["note"]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_emoji_only_draft_does_not_crash(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "check", "--format", fmt, "🙏👍🎉")
    assert status == 0, err
    assert out
    if fmt == "json":
        assert json.loads(out)["needs_nudge"] is False


def test_engine_llm_without_a_model_falls_back_with_a_note(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, "check", "--engine", "llm", "--format", "json", PARCEL_DRAFT)
    assert status == 0
    data = json.loads(out)
    assert data["engine"] == "rules"
    assert "no model" in data["note"]


def test_keyboard_interrupt_exits_130_quietly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*_: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(commands, "run_check", interrupted)
    status, out, err = run(capsys, "check", "hello")
    assert (status, out, err) == (130, "", "")


# --------------------------------------------------------------------------------------------
# check --batch
# --------------------------------------------------------------------------------------------


def test_batch_keeps_order_echoes_ids_and_reports_bad_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_lines(
        tmp_path / "drafts.jsonl",
        [
            json.dumps({"id": "a", "draft": PARCEL_DRAFT, "customer": PARCEL_CUSTOMER}),
            "{not json",
            json.dumps({"id": 7, "customer": "hello"}),
            "",
            json.dumps({"id": "long", "draft": "word " * 9000}),
            json.dumps({"id": "d", "draft": GOOD_DRAFT}),
            json.dumps(["a list"]),
            json.dumps({"draft": "Thanks, that's all sorted for you."}),
        ],
    )
    status, out, err = run(capsys, "check", "--batch", str(source))
    assert status == 2
    records = [json.loads(line) for line in out.splitlines()]
    assert [r.get("id") for r in records] == ["a", None, 7, "long", "d", None, None]
    assert records[0]["needs_nudge"] is True and "scores" in records[0]
    assert records[1]["line"] == 2 and "JSON" in records[1]["error"]
    assert records[2]["line"] == 3 and "draft" in records[2]["error"]
    assert records[3]["line"] == 5 and "limit" in records[3]["error"]
    assert records[4]["needs_nudge"] is False and "error" not in records[4]
    assert records[5]["line"] == 7
    assert "error" not in records[6] and records[6]["engine"] == "rules"
    lines = err.splitlines()
    assert len(lines) == 4
    for number, line in zip((2, 3, 5, 7), lines, strict=True):
        assert line.startswith(f"nudgebot: line {number} of ")
    assert "Traceback" not in err


def test_batch_from_stdin_all_good_exits_0(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [json.dumps({"id": i, "draft": GOOD_DRAFT}) for i in range(3)]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    status, out, err = run(capsys, "check", "--batch", "-")
    assert status == 0, err
    assert [json.loads(line)["id"] for line in out.splitlines()] == [0, 1, 2]


def test_batch_missing_file_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "check", "--batch", "nope.jsonl")
    assert status == 2
    assert_one_line_error(err)
    assert "nope.jsonl" in err


# --------------------------------------------------------------------------------------------
# eval
# --------------------------------------------------------------------------------------------


def eval_file(tmp_path: Path) -> Path:
    cases = [
        {
            "id": "bad-1",
            "customer": PARCEL_CUSTOMER,
            "draft": PARCEL_DRAFT,
            "needs_nudge": True,
            "dimensions": ["empathy", "ownership"],
            "facts": [],
        },
        {
            "id": "bad-2",
            "customer": "I was charged twice for order 48213.",
            "draft": "As I already explained, that's the policy. Contact your bank.",
            "needs_nudge": True,
            "dimensions": ["respect", "ownership"],
            "facts": [],
        },
        {
            "id": "good-1",
            "customer": PARCEL_CUSTOMER,
            "draft": GOOD_DRAFT,
            "needs_nudge": False,
            "dimensions": [],
            "facts": ["Priya", "1pm"],
        },
        {
            "id": "good-2",
            "customer": "Can I add a bag to my booking?",
            "draft": "Hi Sam, yes - I've added a 23kg bag to booking QX7 for £35. Enjoy the trip!",
            "needs_nudge": False,
            "dimensions": [],
            "facts": ["Sam", "QX7", "£35"],
        },
    ]
    return write_lines(tmp_path / "cases.jsonl", [json.dumps(case) for case in cases])


def test_eval_json_has_sensible_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(
        capsys, "eval", str(eval_file(tmp_path)), "--engine", "rules", "--format", "json"
    )
    assert status == 0, err
    data = json.loads(out)
    assert data["cases"] == 4
    verdict = data["needs_nudge"]
    for name in ("precision", "recall", "f1"):
        assert 0.0 <= verdict[name] <= 1.0
    assert verdict["tp"] + verdict["fp"] + verdict["fn"] + verdict["tn"] == 4
    assert verdict["recall"] == 1.0  # both bad drafts are plainly bad
    assert data["good_replies"] == 2
    assert 0.0 <= data["false_nudge_rate"] <= 1.0
    assert set(data["dimension_recall"]) == set(DIMENSIONS)
    assert data["dimension_recall"]["ownership"]["labelled"] == 2
    assert data["dimension_recall"]["learn"]["recall"] is None  # nothing labelled
    facts, recheck = data["facts_kept"], data["recheck_passed"]
    # bad-2 is little more than "that's the policy": coaching points, not a rewrite
    assert facts["suggestions"] == recheck["suggestions"] >= 1
    assert 0 <= facts["kept"] <= facts["suggestions"]
    assert 0 <= recheck["passed"] <= recheck["suggestions"]


def test_eval_text_table_and_failures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "eval", str(eval_file(tmp_path)), "--show-failures")
    assert status == 0
    for label in ("precision", "recall", "F1", "false-nudge", "keeping every fact", "re-check"):
        assert label in out
    assert "Misses" in out


def test_eval_bad_line_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = eval_file(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(2, '{"draft": "hello"}')  # no needs_nudge label, on line 3
    write_lines(path, lines)
    status, out, err = run(capsys, "eval", str(path))
    assert status == 2
    assert out == ""
    assert_one_line_error(err)
    assert f"{path}:3:" in err


def test_eval_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "eval", "missing.jsonl")
    assert status == 2
    assert_one_line_error(err)


# --------------------------------------------------------------------------------------------
# demo and rules
# --------------------------------------------------------------------------------------------


def test_demo_shows_nudges_and_suggestions(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "demo")
    assert status == 0, err
    assert "Suggested reply" in out
    assert "Worth a nudge" in out and "Looks good" in out
    assert out.count("Customer:") >= 6


def test_rules_list(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "rules", "list")
    assert status == 0
    assert "ownership.deflection" in out
    assert "existence" in out


def test_rules_test_passes_on_bundled_rules(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "rules", "test")
    assert status == 0, out
    assert out.startswith("ok:")


def copy_rules(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(prompts_dir() / "rules", folder)
    return folder


def test_rules_test_broken_file_names_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_rules(tmp_path)
    (folder / "respect.broken.toml").write_text(
        'kind = "existence"\ndimension = "kindness"\nmessage = "m"\nfix = "f"\n'
        'patterns = ["rude"]\n',
        encoding="utf-8",
    )
    status, out, err = run(capsys, "rules", "test", "--dir", str(folder))
    assert status == 2
    assert out == ""
    assert_one_line_error(err)
    assert "respect.broken.toml" in err and "'dimension'" in err


def test_rules_test_reports_an_example_that_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_rules(tmp_path)
    (folder / "respect.rude.toml").write_text(
        'kind = "existence"\ndimension = "respect"\nmessage = "m"\nfix = "f"\n'
        'patterns = ["rude"]\nflag = ["how rude", "this never fires"]\npass = ["kind words"]\n',
        encoding="utf-8",
    )
    status, out, _ = run(capsys, "rules", "test", "--dir", str(tmp_path))  # the parent works too
    assert status == 1
    assert "FAIL respect.rude: flag example did not fire" in out
    assert "this never fires" in out


# --------------------------------------------------------------------------------------------
# The real entry point
# --------------------------------------------------------------------------------------------


def python_m(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in SETTINGS_VARS:
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "nudgebot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_python_m_nudgebot_check_json() -> None:
    done = python_m("check", "--format", "json", "--customer", PARCEL_CUSTOMER, PARCEL_DRAFT)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["needs_nudge"] is True


def test_python_m_nudgebot_errors_without_traceback() -> None:
    done = python_m("check", "-", stdin="")
    assert done.returncode == 2
    assert done.stdout == ""
    assert_one_line_error(done.stderr)


def test_check_json_path_imports_nothing_heavy() -> None:
    code = (
        "import sys; from nudgebot.cli import main; "
        "status = main(['check', '--format', 'json', 'thanks']); "
        "heavy = [m for m in ('rich', 'asyncio', 'openai', 'slack_bolt', 'importlib.metadata') "
        "if m in sys.modules]; print(status, heavy, file=sys.stderr)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert done.stderr.strip() == "0 []", done.stderr


def test_broken_pipe_is_quiet(tmp_path: Path) -> None:
    source = write_lines(
        tmp_path / "many.jsonl", [json.dumps({"id": i, "draft": GOOD_DRAFT}) for i in range(3000)]
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
        [sys.executable, "-m", "nudgebot", "check", "--batch", str(source)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.readline()
        process.stdout.close()
        err = process.stderr.read().decode()
        process.wait(timeout=60)
    assert "Traceback" not in err
    assert "Exception ignored" not in err
