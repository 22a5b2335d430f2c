"""``nudgebot rules stats|on|off|auto``, ``export-labels`` and the report's new parts, end to end.

The real CLI entry point over a real SQLite file, seeded through the store's own API with
its clock at the real now (the CLI reads the real clock too: no fixed date is compared with
today). Figures are worked out by hand from :func:`seed`:

- T1: three live nudges by ownership.deflection: two found helpful, one not, one edited
  within 15 minutes (acted on); one by respect.dismissive, not helpful. T2: one deflection.
- A lead (L1) in T1 agreed with a finding on one reply, disagreed on another, and said the
  bot missed a third: 1 of 2 judged agreed, 1 miss.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import pytest

from nudgebot.cli import main
from nudgebot.engine import ReviewEngine
from nudgebot.learning import Judgement
from nudgebot.models import Draft, Review
from nudgebot.storage import Store
from nudgebot.storage.learning import Learning

DEFLECTING = "Not our problem, you'll need to contact the courier about that."
CUSTOMER = "My parcel is a week late and nobody replies. This is ridiculous."
DEFLECTION = "ownership.deflection"
DISMISSIVE = "respect.dismissive"


@pytest.fixture(autouse=True)
def _clean_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No .env and no nudgebot variables from the machine running the tests."""
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "NUDGEBOT_PROMPTS_DIR", "NUDGEBOT_ENGINE", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name in ("NUDGEBOT_QUIET_MIN_VOTES", "NUDGEBOT_QUIET_SHARE", "NUDGEBOT_QUIET_DAYS"):
        monkeypatch.delenv(name, raising=False)


def review_with(*rules: str) -> Review:
    review = ReviewEngine().review_rules(Draft(DEFLECTING, customer=CUSTOMER), live=True)
    return replace(review, meta={**review.meta, "live_rules": list(rules)})


async def seed(url: str) -> None:
    store = await Store.open(url)
    learning = Learning(store)
    try:
        rows = [
            ("T1", "1.0", DEFLECTION, True),
            ("T1", "2.0", DEFLECTION, True),
            ("T1", "3.0", DEFLECTION, False),
            ("T1", "4.0", DISMISSIVE, False),
            ("T2", "5.0", DEFLECTION, False),
        ]
        for team, ts, rule, helpful in rows:
            review_id = await store.add_review(
                review_with(rule),
                platform="slack",
                team=team,
                channel="C1",
                user="U1",
                text=DEFLECTING,
                customer=CUSTOMER,
                nudged=True,
                message_ts=ts,
            )
            assert await store.add_feedback(review_id, "U1", helpful=helpful)
        assert await learning.acted(channel="C1", message_ts="1.0")
        thread = ({"role": "customer", "text": CUSTOMER},)
        for ts, rule, verdict, text in (
            ("1.0", DEFLECTION, "agree", DEFLECTING),
            ("6.0", "respect.curt", "disagree", "Sure, I've sent the label again just now."),
            ("7.0", "", "missed", "Noted."),
        ):
            await learning.judge(
                Judgement(
                    "C1",
                    ts,
                    rule,
                    verdict,  # type: ignore[arg-type]
                    "L1",
                    dimension=rule.split(".")[0] if rule else "empathy",
                    text=text,
                    thread=thread,
                    team="T1",
                )
            )
    finally:
        await store.close()


@pytest.fixture
def url(tmp_path: Path) -> str:
    address = f"sqlite:///{tmp_path / 'nudgebot.db'}"
    asyncio.run(seed(address))
    return address


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_rules_stats_of_one_team_as_json(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(
        capsys, "rules", "stats", "--team", "T1", "--format", "json", "--database", url
    )
    assert (status, err) == (0, "")
    data = json.loads(out)
    rows = {r["rule"]: r for r in data["rules"]}
    assert {k: rows[DEFLECTION][k] for k in ("live_nudges", "helpful", "not_helpful")} == {
        "live_nudges": 3,
        "helpful": 2,
        "not_helpful": 1,
    }
    assert (rows[DEFLECTION]["acted_on"], rows[DEFLECTION]["state"]) == (1, "auto")
    assert (rows[DISMISSIVE]["live_nudges"], rows[DISMISSIVE]["not_helpful"]) == (1, 1)
    assert data["agreement"] == {"judged": 2, "agreed": 1, "rate": 0.5, "missed": 1}
    assert data["days"] == 30 and data["team"] == "T1"
    assert data["labels"][DEFLECTION] == "Passes the customer along instead of taking it on"


def test_rules_off_and_back_to_auto_from_the_cli(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)  # from the settings, without --database
    status, out, err = run(
        capsys, "rules", "off", "deflection", "--team", "T1", "--why", "we coach it by hand"
    )
    assert (status, err) == (0, "")
    assert out == f"{DEFLECTION} in T1: off (lead); it does not nudge live now\n"
    status, out, _ = run(capsys, "rules", "stats", "--team", "T1")
    assert status == 0
    assert out.startswith("Rules in team T1, last 30 days (a rule stops nudging live when")
    assert (
        f"{DEFLECTION} (Passes the customer along instead of taking it on): off (lead); "
        "3 live nudges, 2 helpful, 1 not helpful (67% helpful), 1 acted on, 0 muted after"
    ) in out
    assert f"  {DEFLECTION}: off, by cli (we coach it by hand)" in out
    status, out, _ = run(capsys, "rules", "stats", "--team", "T2", "--format", "json")
    assert json.loads(out)["rules"][0]["state"] == "auto"  # another team is unaffected
    status, out, _ = run(capsys, "rules", "auto", DEFLECTION, "--team", "T1")
    assert out == f"{DEFLECTION} in T1: auto; it nudges live now\n"  # 3 votes: not enough
    status, out, _ = run(capsys, "report", "--team", "T1", "--format", "json")
    data = json.loads(out)
    assert [(c["state"], c["by"]) for c in data["changes"]] == [("off", "cli"), ("auto", "cli")]
    assert {r["rule"]: r["state"] for r in data["rules"]} == {
        DEFLECTION: "auto",
        DISMISSIVE: "auto",
    }
    assert data["agreement"]["rate"] == 0.5 and data["replies"] == 4


def test_the_report_over_every_team(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "report", "--database", url, "--format", "json")
    assert status == 0
    data = json.loads(out)
    rows = {r["rule"]: r for r in data["rules"]}
    assert (rows[DEFLECTION]["live_nudges"], rows[DEFLECTION]["not_helpful"]) == (4, 2)
    assert data["helpful"] == {"top": [DEFLECTION], "bottom": [DISMISSIVE]}
    status, out, _ = run(capsys, "report", "--database", url)
    assert "What your team finds helpful" in out and "1 reply the bot missed" in out


def test_export_labels_reads_back_with_eval(
    url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    labels = tmp_path / "labels.jsonl"
    status, out, err = run(capsys, "export-labels", "--database", url, "--out", str(labels))
    assert (status, out) == (0, "")
    # 3 replies judged by a lead; 5 votes, less the one on a reply the lead judged (1.0)
    assert err == f"wrote 7 labelled case(s) to {labels}\n"
    cases = [json.loads(line) for line in labels.read_text().splitlines()]
    by_id = {c["id"]: c for c in cases}
    assert by_id["lead:C1:1.0"]["needs_nudge"] is True
    assert by_id["lead:C1:6.0"]["needs_nudge"] is False
    assert by_id["lead:C1:7.0"]["dimensions"] == ["empathy"]
    assert sum(c["source"] == "agent" for c in cases) == 4
    status, out, err = run(capsys, "eval", str(labels), "--engine", "rules", "--format", "json")
    assert (status, err) == (0, "")
    summary = json.loads(out)
    assert summary["cases"] == 7 and summary["engine"] == "rules"
    status, out, _ = run(capsys, "export-labels", "--database", url, "--team", "T2", "--leads-only")
    assert (status, out) == (0, "")  # no lead judged anything in T2
    status, out, _ = run(capsys, "export-labels", "--database", url, "--team", "T1", "--days", "1")
    assert status == 0 and len(out.splitlines()) == 6  # T1: 3 lead cases, 3 agents' votes


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["rules", "off", "--team", "T1"], "rules off needs a RULE"),
        (["rules", "off", "deflection"], "rules off needs --team"),
        (["rules", "on", "no-such-rule", "--team", "T1"], "There is no rule `no-such-rule`"),
        (["rules", "stats", "deflection"], "rules stats takes no RULE"),
        (["rules", "stats", "--days", "0"], "pick 1 to 365 days, not 0"),
        (["rules", "list", "--team", "T1"], "rules list takes no RULE, --team"),
        (["rules", "stats", "--team", "two words"], "not a team or tenant id"),
        (["export-labels", "--until", "2026-01-01"], "--until goes with --since"),
        (["export-labels", "--since", "2026-02-01", "--until", "2026-01-01"], "before --since"),
        (["export-labels", "--days", "7", "--since", "2026-01-01"], "not allowed with argument"),
        (["export-labels", "--database", "mysql://u:secret@h/db"], "cannot open the database"),
    ],
)
def test_bad_input_is_one_line_and_status_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    assert err.startswith("nudgebot: ") and err.count("\n") == 1
    assert message in err and "secret" not in err


def test_help_texts(capsys: pytest.CaptureFixture[str]) -> None:
    for argv, words in (
        (["rules", "--help"], "stats: each rule's live nudges"),
        (["export-labels", "--help"], "'nudgebot eval' reads them back"),
        (["--help"], "export-labels"),
    ):
        status, out, _ = run(capsys, *argv)
        assert status == 0 and words in out


def test_purge_and_forget_from_the_cli_cover_the_verdicts(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "purge", "--user", "L1", "--database", url)
    assert status == 0 and out.startswith("L1: forgotten")
    status, out, _ = run(capsys, "report", "--database", url, "--format", "json")
    assert json.loads(out)["agreement"] == {"judged": 0, "agreed": 0, "rate": None, "missed": 0}
    status, out, _ = run(capsys, "export-labels", "--database", url)
    assert len(out.splitlines()) == 5  # the agents' votes are left, the lead's verdicts gone
    status, out, _ = run(capsys, "purge", "--days", "0", "--database", url)
    assert status == 0
    status, out, _ = run(capsys, "export-labels", "--database", url)
    assert (status, out) == (0, "")  # no words are kept: nothing to label


def test_purge_drops_the_words_of_verdicts_too(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, _ = run(capsys, "purge", "--days", "0", "--database", url)
    assert status == 0
    status, out, _ = run(capsys, "export-labels", "--database", url, "--leads-only")
    assert (status, out) == (0, "")
    status, out, _ = run(capsys, "report", "--database", url, "--format", "json")
    assert json.loads(out)["agreement"]["judged"] == 2  # the verdicts stay, without words
