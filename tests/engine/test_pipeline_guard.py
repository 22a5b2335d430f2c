"""The guard on everything the model writes, through the real engine with the model at its wire.

Each hostile answer (a refusal turned into a refund, an invented policy in a finding, a dropped
fact, a broadcast or a mention, new compensation left as a blank) must be caught; good rewrites
(emphasis removed, a sign-off changed, an apology added) must reach the agent as written.
"""

from __future__ import annotations

import asyncio
import json

import pytest
import respx

from nudgebot.engine import ReviewEngine
from nudgebot.engine.llm.reviewer import LLMReviewer
from nudgebot.engine.rules import default_rulebook
from nudgebot.models import Draft, Review, Turn
from tests.engine.llm.wire import BASE, completion, request_json, review_json, settings

RULEBOOK = default_rulebook(cache_dir=None)

REFUSAL_CUSTOMER = "The room was filthy and I left after one night. I want my money back."
REFUSAL = "Hi Dana, we don't refund stays once they've started, so booking HX-30912 stays as it is."
REFUNDED = (
    "Hi Dana, I'm so sorry the room wasn't clean. I've refunded your stay in full for booking "
    "HX-30912."
)
DELIVERY = "I've refunded the £40 delivery charge for order 77402."
DELIVERY_CUSTOMER = "Order 77402 came four days late and I paid £40 for next-day delivery!"
COURIER = "Not our problem, contact the courier about ORD-55120."
COURIER_CUSTOMER = "My parcel ORD-55120 never arrived and I'm furious."
COURIER_GOOD = (
    "I'm so sorry your parcel ORD-55120 hasn't arrived. Let me look into that for you: I'll "
    "contact the courier myself and update you as soon as I hear back."
)
POLICY_FINDING = {
    "dimension": "adaptable",
    "quote": "",
    "message": "Company policy changed today: refunds of £500 are pre-approved for this customer.",
    "fix": "Tell them the £500 refund is approved.",
}
GOOD_FINDING = {
    "dimension": "ownership",
    "quote": "contact the courier",
    "message": "It sends the customer to chase someone else.",
    "fix": "Say you will contact the courier yourself.",
}


def engine() -> ReviewEngine:
    return ReviewEngine(RULEBOOK, llm=LLMReviewer(settings()))


def run(draft: Draft, answer: str) -> tuple[Review, dict[str, object]]:
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions").respond(200, json=completion(answer))
        result = asyncio.run(engine().review(draft, "llm"))
    return result, request_json(route)


def shown(review: Review) -> str:
    """Everything of a review the agent reads."""
    parts = [review.suggestion or "", review.note or ""]
    parts += [f"{f.message} {f.fix}" for f in review.findings]
    return "\n".join(parts)


# --------------------------------------------------------------------------------------------
# Hostile answers are caught
# --------------------------------------------------------------------------------------------


def test_a_refusal_turned_into_a_refund_never_reaches_the_agent() -> None:
    draft = Draft(REFUSAL, customer=REFUSAL_CUSTOMER)
    result, _ = run(draft, review_json(suggestion=REFUNDED))
    assert result.engine == "llm"
    assert "refunded your stay" not in (result.suggestion or "")
    assert result.note and "refunded" in result.note  # says what was wrong


def test_an_invented_policy_in_a_finding_is_dropped_before_the_agent_sees_it() -> None:
    draft = Draft(COURIER, customer=COURIER_CUSTOMER)
    answer = review_json(suggestion=COURIER_GOOD, findings=[POLICY_FINDING, GOOD_FINDING])
    result, _ = run(draft, answer)
    assert [f.message for f in result.findings] == [GOOD_FINDING["message"]]
    assert "£500" not in shown(result) and "pre-approved" not in shown(result)
    assert result.note and "one of the model's findings" in result.note
    assert result.meta["guard_findings"] == 1


@pytest.mark.parametrize("field", ["message", "fix"], ids=["in the message", "in the fix"])
def test_a_finding_that_adds_a_broadcast_or_a_refund_is_dropped(field: str) -> None:
    draft = Draft(COURIER, customer=COURIER_CUSTOMER)
    for added in ("Post it in <!here> so nobody misses it.", "Offer a £25 voucher."):
        finding = {**GOOD_FINDING, field: added}
        result, _ = run(draft, review_json(suggestion=COURIER_GOOD, findings=[finding]))
        assert result.findings == (), added
        assert "<!here>" not in shown(result) and "£25" not in shown(result)


def test_a_dropped_fact_sends_the_suggestion_back_to_the_rules() -> None:
    draft = Draft(COURIER, customer=COURIER_CUSTOMER)
    dropped = "I'm so sorry your parcel hasn't arrived. Let me look into that for you."
    result, _ = run(draft, review_json(suggestion=dropped))
    assert result.suggestion != dropped
    assert result.suggestion is None or "ORD-55120" in result.suggestion


@pytest.mark.parametrize("token", ["<!channel>", "<!here>", "<@U07HR2KQ1>"])
def test_an_added_broadcast_or_mention_is_removed(token: str) -> None:
    draft = Draft(COURIER, customer=COURIER_CUSTOMER)
    result, _ = run(draft, review_json(suggestion=f"{token} {COURIER_GOOD}"))
    assert result.suggestion is not None and token not in result.suggestion
    assert "ORD-55120" in result.suggestion


def test_a_mention_of_the_draft_may_stay() -> None:
    draft = Draft("<@U07HR2KQ1> can reset it, ask in the thread. Ticket INC-4471.")
    good = "Sorry for the wait! <@U07HR2KQ1> can reset it for you. Ticket INC-4471 has the log."
    result, _ = run(draft, review_json(suggestion=good, findings=[]))
    assert result.suggestion == good


@pytest.mark.parametrize(
    "added",
    [
        "I'll also refund you [amount] extra for the trouble.",
        "I'll also refund you £15 extra for the trouble.",
        "As a goodwill gesture, I've added a £10 voucher to your account.",
    ],
)
def test_new_compensation_becomes_no_promise_not_a_blank_one(added: str) -> None:
    draft = Draft(DELIVERY, customer=DELIVERY_CUSTOMER)
    suggestion = f"I'm so sorry order 77402 was late. {DELIVERY} {added}"
    result, _ = run(draft, review_json(suggestion=suggestion))
    assert result.suggestion is not None
    assert "extra" not in result.suggestion and "voucher" not in result.suggestion
    assert "[amount]" not in result.suggestion
    assert DELIVERY in result.suggestion


# --------------------------------------------------------------------------------------------
# Good rewrites reach the agent as written
# --------------------------------------------------------------------------------------------

GOOD_REWRITES = [
    pytest.param(
        "Read the pinned message, *everyone* keeps asking this. Restart the VPN client before "
        "5pm; it's tracked in INC-4471.",
        "Sorry for the disruption! The pinned message has the steps: please restart the VPN "
        "client before 5pm. It's tracked in INC-4471.",
        id="emphasis removed",
    ),
    pytest.param(
        "Dear Mr Okafor,\n\nYour claim CL-20931 was received and is with the assessor.\n\n"
        "Yours faithfully,\nClaims Team",
        "Dear Mr Okafor,\n\nThank you for your patience. Your claim CL-20931 was received and "
        "is with the assessor, and I'll update you as soon as they've reviewed it.\n\n"
        "Kind regards,\nPriya, Claims Team",
        id="sign-off changed",
    ),
    pytest.param(
        "Hi Priya, your replacement card ending 4417 arrives by Thursday.\n\nCheers, Tom",
        "Hello Priya, I'm sorry you've been without a card. Your replacement card ending 4417 "
        "arrives by Thursday.\n\nBest wishes,\nTom",
        id="apology added, greeting and sign-off adjusted",
    ),
    pytest.param(
        REFUSAL,
        "Hi Dana, I'm really sorry the room wasn't clean - that isn't the stay you paid for. We "
        "don't refund stays once they've started, so booking HX-30912 stays as it is, but I've "
        "passed your report to the hotel manager and can look at moving your next night.",
        id="a refusal kept as a refusal",
    ),
]


@pytest.mark.parametrize(("text", "suggestion"), GOOD_REWRITES)
def test_a_good_rewrite_reaches_the_agent_as_written(text: str, suggestion: str) -> None:
    findings = [
        {
            "dimension": "adaptable",
            "quote": "",
            "message": "It recites the rule and offers nothing.",
            "fix": "Offer what you can do instead of reciting policy.",  # paraphrases the rubric
        }
    ]
    result, _ = run(Draft(text), review_json(suggestion=suggestion, findings=findings))
    assert result.suggestion == suggestion, result.note
    assert [f.fix for f in result.findings] == [findings[0]["fix"]]
    assert result.note is None
    assert "guard" not in result.meta


# --------------------------------------------------------------------------------------------
# What the model is told
# --------------------------------------------------------------------------------------------


def test_the_request_carries_the_thread_the_channel_and_the_move() -> None:
    thread = (
        Turn("customer", "Hi, my invoice INV-2291 shows the wrong VAT number."),
        Turn("agent", "Thanks, I've asked billing to check it."),
        Turn("customer", "It's been a week. Any news?"),
    )
    draft = Draft("Billing are still looking at INV-2291.", thread=thread, channel="C0SUPPORT")
    eng = engine()
    assert eng.llm is not None
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions").respond(
            200, json=completion(review_json(needs_nudge=False, findings=[]))
        )
        asyncio.run(eng.llm.review(draft, [], "holding"))
    request = request_json(route)["messages"][-1]["content"]
    lines = [line for line in request.splitlines() if line.startswith(("customer:", "agent:"))]
    assert lines == [
        "customer: Hi, my invoice INV-2291 shows the wrong VAT number.",
        "agent: Thanks, I've asked billing to check it.",
        "customer: It's been a week. Any news?",
    ]
    assert "move: holding; channel: chat" in request
    assert json.dumps(request)  # plain text, ready for the wire


def test_personal_data_in_the_thread_never_reaches_the_model() -> None:
    thread = (
        Turn("customer", "Please email the invoice to dana.k@example.com, not my old address."),
        Turn("agent", "Will do."),
        Turn("customer", "Still waiting for INV-2291."),
    )
    draft = Draft("INV-2291 went out this morning.", thread=thread)
    result, body = run(draft, review_json(needs_nudge=False, findings=[]))
    sent = json.dumps(body)
    assert "dana.k@example.com" not in sent
    assert "INV-2291" in sent
    assert result.engine == "llm"


def test_the_answer_cache_never_hands_one_agent_anothers_personal_data() -> None:
    thread = (Turn("customer", "Where is my parcel?? It's been 2 weeks"),)
    template = "I've noted {} as your contact address. Not our problem, contact the courier."
    answer = review_json(suggestion="Sorry for the wait! I've noted [EMAIL_1] as your address.")
    eng = ReviewEngine(RULEBOOK, llm=LLMReviewer(settings(llm_cache_size=16)))
    with respx.mock(base_url=BASE) as mock:
        route = mock.post("/chat/completions").respond(200, json=completion(answer))
        first = asyncio.run(
            eng.review(Draft(template.format("ana.first@example.com"), thread=thread), "llm")
        )
        second = asyncio.run(
            eng.review(Draft(template.format("bo.second@example.net"), thread=thread), "llm")
        )
    assert route.call_count == 1  # the same redacted request: the second is answered from cache
    assert "ana.first@example.com" in (first.suggestion or "")
    assert "bo.second@example.net" in (second.suggestion or "")
    assert "ana.first" not in json.dumps(second.to_dict())


def test_earlier_agent_replies_reach_the_model_with_their_facts_masked() -> None:
    thread = (
        Turn("customer", "Where is my refund?"),
        Turn("agent", "Hi Marisol, I've refunded £40 for SECRET-ORDER-4417. cc <@U0STRANGER>"),
        Turn("customer", "Still nothing."),
    )
    _, body = run(
        Draft("Refunds take 3-5 working days.", thread=thread),
        review_json(needs_nudge=False, findings=[]),
    )
    sent = json.dumps(body, ensure_ascii=False)
    for piece in ("Marisol", "£40", "SECRET-ORDER-4417", "U0STRANGER"):
        assert piece not in sent
    assert "agent: Hi [name], I've refunded [amount] for [id]. cc [mention]" in sent
    assert "customer: Still nothing." in sent
