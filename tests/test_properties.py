"""Property tests: the engine never raises on any text and never drops a fact it must keep."""

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nudgebot.engine import DraftError, ReviewEngine
from nudgebot.models import Draft

ENGINE = ReviewEngine()

PHRASES = [
    "Nope.",
    "That's the policy.",
    "It'll be sorted soon.",
    "Contact the courier.",
    "I understand, but",
    "Mistakes happen!",
    "As I already explained,",
    "YOU MUST PAY NOW",
    "Our system shows",
    "I'm sorry.",
    "I'll call you at 3pm.",
    "Dear Customer,",
    "Hi Sam,",
    "Regards,\nSupport",
    "you probably typed it wrong",
    "\n\n",
    "whenever",
    "can't",
    "Unfortunately we don't do refunds.",
    "they're the ones who'd investigate",
    "👍",
    "—",
]
FACTS = [
    "£25",
    "€1,600",
    "$180.50",
    "order 55120",
    "#88213",
    "HB-4471",
    "QX7P2L",
    "13:12",
    "4pm",
    "3–5 working days",
    "https://example.com/track?id=9",
    "help@example.com",
    "<@U024BE7LH>",
    "<#C01ABCDEF|support>",
    "<https://status.example.com|status page>",
    "#it-help",
    "Tuesday 3 June",
    "07700 900123",
]
MUST_KEEP = re.compile(r"\d|https?://|<[@#!]|@\w+\.|#[\w-]+")

drafts = st.lists(
    st.sampled_from(PHRASES) | st.sampled_from(FACTS) | st.text(max_size=30),
    min_size=1,
    max_size=12,
).map(" ".join)


def _review(text: str, customer: str | None) -> None:
    try:
        result = ENGINE.review_rules(Draft(text=text, customer=customer))
    except DraftError:
        assert not text.strip() or len(text) > ENGINE.max_chars
        return
    assert all(0 <= v <= 100 for v in result.scores.to_dict().values())
    if result.suggestion is not None:
        for fact in FACTS:
            if fact in text and MUST_KEEP.search(fact):
                assert fact in result.suggestion, (fact, text, result.suggestion)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(), customer=st.none() | st.text())
def test_never_raises_on_any_text(text: str, customer: str | None) -> None:
    _review(text, customer)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=drafts, customer=st.sampled_from([None, "Where is it?? Third time!", "Hi, quick q"]))
def test_suggestions_keep_numbers_urls_and_mentions(text: str, customer: str | None) -> None:
    _review(text, customer)
