from __future__ import annotations

import io

from rich.console import Console

from nudgebot.evaluation import Case, Metrics, Outcome
from nudgebot.models import Finding, Review, Scores
from nudgebot.scorecard import eval_plain, eval_summary
from nudgebot.terminal import (
    Screen,
    quote_in_context,
    review_plain,
    review_renderable,
    verdict,
)

DRAFT = "Hello Sam. It'll arrive soon, the courier handles delivery.\nThanks, Jo"
SOON = Finding(
    dimension="ownership",
    rule="ownership.vague-timeline",
    quote="soon",
    message="“soon” leaves the customer guessing.",
    fix="Give a time you can stand behind.",
    cost=30,
    start=24,
    end=28,
)
MISSING = Finding(
    dimension="empathy",
    rule="empathy.no-acknowledgement",
    quote="",
    message="The reply doesn't acknowledge how this feels.",
    fix="Name their situation.",
    cost=35,
)
HINT = Finding(
    dimension="respect",
    rule="respect.no-courtesy",
    quote="",
    message="No greeting anywhere.",
    fix="Add a greeting.",
    cost=10,
    level="hint",
)
SUGGESTION = "I'm sorry it's late, Sam. I'll chase the courier and update you by 4pm."
NUDGE = Review(
    needs_nudge=True,
    scores=Scores(empathy=65, ownership=70),
    findings=(HINT, SOON, MISSING),
    suggestion=SUGGESTION,
    engine="rules",
    note="the rules reviewed this draft",
)
GOOD = Review(False, Scores(), (), None, "rules")


def render_rich(review: Review, **options: object) -> str:
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=True, **options)  # type: ignore[arg-type]
    console.print(review_renderable(review, DRAFT))
    return out.getvalue()


def test_plain_has_quote_in_context_scores_fix_and_suggestion() -> None:
    text = review_plain(NUDGE, DRAFT)
    assert "\x1b" not in text
    lines = text.splitlines()
    assert lines[0].startswith("▲ Worth a nudge: 2 things could land better (and 1 small hint)")
    context = lines.index("   It'll arrive soon, the courier handles delivery.")
    assert lines[context + 1] == "   " + " " * len("It'll arrive ") + "^^^^"
    assert "  empathy    ██████░░░░  65" in lines
    assert "  respect    ██████████ 100" in lines
    assert "   Fix: Give a time you can stand behind." in lines
    assert "1. Ownership · a big one" in lines  # weights in words, no rule ids or points
    assert "points" not in text and "ownership.vague-timeline" not in text
    assert "  Empathy (65) and Ownership (70) could be warmer; the rest read well." in lines
    assert "Suggested reply (Ready to copy):" in lines
    assert SUGGESTION in lines  # on a line of its own, ready to copy
    assert text.rstrip().endswith("Note: The rules reviewed this draft.")


def test_a_suggestion_with_placeholders_says_to_fill_them_in() -> None:
    holes = Review(True, Scores(ownership=70), (SOON,), "I'll call you by [time].", "rules")
    text = review_plain(holes, DRAFT)
    assert "Suggested reply (Fill in the [brackets] and send):" in text.splitlines()
    assert "Ready to copy" not in text
    assert "Fill in the [brackets] and send" in render_rich(holes)


def test_the_same_words_under_two_dimensions_are_shown_once() -> None:
    twin = Finding("respect", "respect.x", "“soon.", "Sounds curt.", "Be warm.", cost=10)
    doubled = Review(True, Scores(ownership=70, respect=90), (SOON, twin), SUGGESTION, "rules")
    text = review_plain(doubled, DRAFT)
    assert text.startswith("▲ Worth a nudge: 1 thing could land better")
    assert "Sounds curt." not in text


def test_plain_lists_nudges_before_hints() -> None:
    text = review_plain(NUDGE, DRAFT)
    assert text.index("“soon” leaves") < text.index("No greeting anywhere.")


def test_plain_good_review_is_short() -> None:
    text = review_plain(GOOD, "Thanks!")
    assert text.startswith("✓ Looks good")
    assert "Suggested reply" not in text
    assert len(text.splitlines()) < 10


def test_compact_puts_scores_on_one_line_and_drops_fixes() -> None:
    text = review_plain(NUDGE, DRAFT, compact=True)
    assert "respect 100 · empathy 65 · adaptable 100 · learn 100 · ownership 70" in text
    assert "Fix:" not in text
    assert "Hint: No greeting anywhere." in text


def test_quote_in_context() -> None:
    assert quote_in_context(DRAFT, SOON) == (
        "It'll arrive ",
        "soon",
        ", the courier handles delivery.",
    )
    assert quote_in_context(DRAFT, MISSING) is None
    # wrong offsets (e.g. the engine removed an invisible character): found by search instead
    moved = Finding("ownership", "r", "courier", "m", "f", start=0, end=3)
    assert quote_in_context(DRAFT, moved) == (
        "It'll arrive soon, the ",
        "courier",
        " handles delivery.",
    )
    lost = Finding("ownership", "r", "not in the draft", "m", "f")
    assert quote_in_context(DRAFT, lost) == ("", "not in the draft", "")


def test_quote_in_context_trims_long_sentences() -> None:
    draft = "word " * 40 + "soon " + "more " * 40
    finding = Finding("ownership", "r", "soon", "m", "f", start=200, end=204)
    before, quote, after = quote_in_context(draft, finding) or ("", "", "")
    assert quote == "soon"
    assert before.startswith("…") and after.endswith("…")
    assert len(before) <= 52 and len(after) <= 52


def test_caret_lines_up_under_wide_characters() -> None:
    draft = "配送は soon です"
    finding = Finding("ownership", "r", "soon", "m", "f", start=4, end=8)
    lines = review_plain(Review(True, Scores(), (finding,), "x", "rules"), draft).splitlines()
    index = lines.index("   配送は soon です")
    assert lines[index + 1] == "   " + " " * 7 + "^^^^"


def test_rich_has_highlighted_quote_and_suggestion() -> None:
    text = render_rich(NUDGE)
    assert "\x1b[" in text
    assert "soon" in text
    assert SUGGESTION in text  # not wrapped: a copy has no added line breaks
    assert "Suggested reply" in text


def test_rich_no_color_keeps_emphasis_but_no_colours() -> None:
    text = render_rich(NUDGE, no_color=True)
    assert "\x1b[3" not in text.replace("\x1b[3m", "")  # italic is fine, colours (30-37) not
    assert "soon" in text


def test_screen_plain_and_fancy() -> None:
    out = io.StringIO()
    Screen(out, fancy=False).review(NUDGE, DRAFT)
    assert out.getvalue() == review_plain(NUDGE, DRAFT)
    out = io.StringIO()
    screen = Screen(out, fancy=True, no_color=True)
    screen.heading("1/2 · A title")
    screen.review(GOOD, "Thanks!")
    assert "A title" in out.getvalue() and "Looks good" in out.getvalue()


def test_verdict_wording() -> None:
    one = Review(True, Scores(), (SOON,), "x", "rules")
    assert verdict(one) == "▲ Worth a nudge: 1 thing could land better"
    hinted = Review(False, Scores(respect=90), (HINT,), None, "rules")
    assert verdict(hinted) == "✓ Looks good, with 1 small hint"


def test_eval_summary_and_plain_table() -> None:
    good = Case("g", "Thanks!", None, False, (), ())
    bad = Case("b", DRAFT, None, True, ("ownership", "empathy"), ("Sam",))
    metrics = Metrics(
        [
            Outcome(good, GOOD),
            Outcome(bad, NUDGE, facts_kept=True, recheck_passed=False),
        ]
    )
    summary = eval_summary(metrics, "rules", failures=True)
    assert summary["needs_nudge"]["precision"] == 1.0
    assert summary["needs_nudge"]["recall"] == 1.0
    assert summary["false_nudge_rate"] == 0.0
    assert summary["dimension_recall"]["ownership"] == {"recall": 1.0, "found": 1, "labelled": 1}
    assert summary["dimension_recall"]["learn"]["recall"] is None
    assert summary["facts_kept"] == {"share": 1.0, "kept": 1, "suggestions": 1}
    assert summary["recheck_passed"]["share"] == 0.0
    assert summary["failures"] == []
    table = eval_plain(summary)
    assert "needs_nudge F1" in table and "recall: ownership" in table and "n/a" in table
    assert "Misses: none" in table


def test_compact_shows_the_fixes_when_there_is_no_suggestion() -> None:
    from dataclasses import replace

    text = review_plain(replace(NUDGE, suggestion=None), DRAFT, compact=True)
    assert "Fix:" in text  # no rewrite: the fixes and their examples are what to change
    assert "Suggested reply" not in text
