"""Tests for nudgebot.engine.guard: the checks run on every suggestion before anyone sees it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nudgebot.engine.guard import (
    Guarded,
    Problem,
    check,
    check_text,
    describe,
    escape_mrkdwn,
    guard,
    repair,
    required_facts,
    slack_tokens,
)

DRAFT = "Your order ORD-55120 ships Friday."


def kinds(problems: tuple[Problem, ...]) -> list[str]:
    return [problem.kind for problem in problems]


def repaired(draft: str, suggestion: str, customer: str | None = None) -> str:
    """Guard a suggestion that must come out repaired and safe; return the repaired text."""
    result = guard(draft, suggestion, customer=customer)
    assert result.repaired, result
    assert result.text is not None, result
    assert check(draft, result.text, customer=customer) == ()
    return result.text


# --------------------------------------------------------------------------------------------
# Good suggestions: no false alarms
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("draft", "suggestion"),
    [
        (
            DRAFT,
            "Thanks so much for your patience! Your order ORD-55120 ships Friday, and I'll "
            "update you by [by when].",
        ),
        (
            "Hi Priya, the return window is 30 days so I can't take these back.",
            "Hi Priya, I'm really sorry about this - I know it's frustrating. The return window "
            "is 30 days so I can't take these back, but what I can do instead is [the "
            "alternative you can offer], and I'm happy to set that up for you.",
        ),
        (
            "Baggage from flight 218 is handled by the ground agent. Contact them.",
            "I'm so sorry your bag didn't arrive. Baggage from flight 218 is handled by the "
            "ground agent, so let me look into that for you: I'll contact [the team involved] "
            "myself, so you don't need to chase anyone, and I'll update you by [by when].",
        ),
        (
            "Refund of £25 done. Takes 3-5 working days.",
            "I've processed your refund of £25 - thank you for bearing with us. It takes 3-5 "
            "working days to reach your account, and I'll keep an eye on the refund for you.",
        ),
        (
            "Ping <@U07HR2KQ1> in <#C123ABC|it-help> or see "
            "<https://wiki.example.com/vpn|VPN page>.",
            "Sorry for the hassle! <@U07HR2KQ1> can help in <#C123ABC|it-help>, and the steps "
            "are on the <https://wiki.example.com/vpn|VPN page>.",
        ),
        (
            "Email claims@parcels.example.com with order 77402 by 3 October.",
            "I'm sorry this happened. If you email claims@parcels.example.com with order 77402 "
            "by 3 October, I'll make sure it's picked up straight away.",
        ),
        (
            "Your data is safe. Send it to [EMAIL_1] or call [PHONE_2].",
            "I understand the worry - your data is safe. Send it to [EMAIL_1] or call [PHONE_2] "
            "and I'll take it from there.",
        ),
        (
            "Thursday at 10am works. Your credit card wasn't charged.",
            "Thanks for your patience - Thursday at 10am works, and I've checked that your "
            "credit card wasn't charged.",
        ),
        (
            "Can't do that one, sorry.",
            "I'm sorry, I can't do that one - I can't promise a refund or guarantee a date, "
            "but I'll [your next step] and update you by [by when].",
        ),
    ],
)
def test_a_suggestion_that_only_warms_up_the_draft_passes(draft: str, suggestion: str) -> None:
    assert check(draft, suggestion) == ()
    assert guard(draft, suggestion) == Guarded(suggestion, (), False)


def test_emoji_are_fine() -> None:
    suggestion = "🙏 Thanks for waiting! Your order ORD-55120 ships Friday 🎉"
    assert check(DRAFT, suggestion) == ()
    assert check("👍", "👍🙂") == ()


def test_the_customers_own_amounts_and_dates_may_be_repeated() -> None:
    customer = "I paid £40 for next-day delivery on 12 May and it still hasn't come."
    draft = "Sorry, your parcel ORD-88213 is delayed at the depot."
    suggestion = (
        "I'm so sorry - you paid £40 for next-day delivery on 12 May, and your parcel "
        "ORD-88213 is delayed at the depot. I'll chase it and update you by [by when]."
    )
    assert check(draft, suggestion, customer=customer) == ()
    assert kinds(check(draft, suggestion)) == ["new_specific", "new_specific"]
    # "Thursday at 10am" is one fact of the customer's; "10am" alone is in their words
    customer = "Can someone call me Thursday at 10am?"
    suggestion = "Sorry, your parcel ORD-88213 is delayed at the depot. I'll call you at 10am."
    assert check(draft, suggestion, customer=customer) == ()
    assert kinds(check(draft, suggestion)) == ["new_specific"]


# --------------------------------------------------------------------------------------------
# Each problem, and its repair
# --------------------------------------------------------------------------------------------


def test_a_dropped_fact_is_found_and_cannot_be_repaired() -> None:
    suggestion = "Thanks for waiting! Your order ships Friday."
    problems = check(DRAFT, suggestion)
    assert kinds(problems) == ["fact_dropped"]
    assert "ORD-55120" in problems[0].detail
    assert repair(DRAFT, suggestion, problems) == suggestion  # it cannot invent the number
    assert guard(DRAFT, suggestion) == Guarded(None, problems, False)


def test_a_new_refund_with_an_amount_is_a_promise_and_a_specific() -> None:
    draft = "Sorry your parcel is late. Order ORD-55120 ships Friday."
    suggestion = (
        "I'm so sorry your parcel is late. I've refunded £40 to your card. "
        "Order ORD-55120 ships Friday."
    )
    problems = check(draft, suggestion)
    assert sorted(kinds(problems)) == ["new_promise", "new_specific"]
    assert Problem("new_specific", "added '£40'") in problems
    assert Problem("new_promise", "added 'refunded'") in problems
    text = repaired(draft, suggestion)
    assert text == "I'm so sorry your parcel is late. Order ORD-55120 ships Friday."


@pytest.mark.parametrize(
    "promise",
    [
        "I've added a £10 voucher to your account.",
        "I've credited your account.",
        "Here's a discount code for your next order.",
        "We'll send some compensation for the trouble.",
        "I've waived the late fee.",
        "The replacement is free of charge.",
        "I guarantee it will arrive tomorrow.",
        "I promise this won't happen again.",
        "As a goodwill gesture, dinner is on the house.",
        "You'll get your money back.",
    ],
)
def test_each_kind_of_new_promise_is_found_and_its_sentence_removed(promise: str) -> None:
    suggestion = f"I'm sorry for the delay. {promise} Your order ORD-55120 ships Friday."
    assert "new_promise" in kinds(check(DRAFT, suggestion))
    text = repaired(DRAFT, suggestion)
    assert text == "I'm sorry for the delay. Your order ORD-55120 ships Friday."


def test_a_new_promise_next_to_a_fact_loses_only_its_clause() -> None:
    draft = "Order ORD-55120 ships Friday. The £40 express fee was charged."
    suggestion = (
        "Sorry about this! Order ORD-55120 ships Friday. "
        "The £40 express fee was charged, and I've refunded it in full."
    )
    assert kinds(check(draft, suggestion)) == ["new_promise"]
    assert repaired(draft, suggestion) == (
        "Sorry about this! Order ORD-55120 ships Friday. The £40 express fee was charged."
    )


def test_a_promise_the_draft_already_made_may_be_repeated_in_other_words() -> None:
    draft = "I've refunded the delivery charge for order 77402."
    suggestion = (
        "I'm sorry about the delay, so I've refunded the delivery charge for order 77402 - "
        "you'll be reimbursed within [how long]."
    )
    assert check(draft, suggestion) == ()


def test_a_negated_promise_is_not_a_promise() -> None:
    suggestion = f"{DRAFT} I can't offer a refund here, and there's no guarantee of the slot."
    assert check(DRAFT, suggestion) == ()
    assert kinds(check(DRAFT, f"{DRAFT} I'll refund you.")) == ["new_promise"]


def test_a_link_path_mentioning_refunds_is_not_a_promise() -> None:
    draft = "The steps are at https://help.example.com/refunds for order 4417."
    suggestion = (
        "Sorry for the trouble! The steps are at https://help.example.com/refunds for order 4417."
    )
    assert check(draft, suggestion) == ()


@pytest.mark.parametrize(
    ("added", "kind", "placeholder"),
    [
        ("It will reach you by 14 October.", "date", "[date]"),
        ("I'll call you at 4pm.", "time", "[time]"),
        ("It takes 48 hours to clear.", "duration", "[how long]"),
        ("That's 15% of the fare.", "percent", "[amount]"),
        ("The fee is $25.", "money", "[amount]"),
        ("Track it at https://track.example.com/x1.", "url", "[link]"),
        ("Write to refunds-team@example.com.", "email", "[email address]"),
        ("Call us on 0161 496 0742.", "phone", "[phone number]"),
    ],
)
def test_a_new_specific_becomes_a_placeholder(added: str, kind: str, placeholder: str) -> None:
    suggestion = f"Sorry for the wait! Your order ORD-55120 ships Friday. {added}"
    problems = check(DRAFT, suggestion)
    assert kinds(problems) == ["new_specific"], (kind, problems)
    text = repaired(DRAFT, suggestion)
    assert placeholder in text


def test_only_the_new_part_of_a_joined_date_and_time_is_replaced() -> None:
    suggestion = "Sorry for the wait - your order ORD-55120 ships Friday at 5pm."
    assert check(DRAFT, suggestion) == (Problem("new_specific", "added '5pm'"),)
    assert repaired(DRAFT, suggestion) == (
        "Sorry for the wait - your order ORD-55120 ships Friday at [time]."
    )


def test_a_fact_of_the_draft_that_ends_inside_a_word_is_known() -> None:
    draft = "We took £1,2345 by mistake for order 4417."  # the fact is "£1,234"
    assert check(draft, f"I'm so sorry: {draft}") == ()


def test_a_credit_card_is_not_a_credit() -> None:
    draft = "The payment for order 4417 failed."
    suggestion = "Sorry, the payment for order 4417 failed - could you check your credit card?"
    assert check(draft, suggestion) == ()
    assert kinds(check(draft, f"{suggestion} I've added a credit too.")) == ["new_promise"]


def test_a_changed_amount_is_new_even_when_it_contains_the_old_one() -> None:
    draft = "I've refunded £40 for order 77402."
    assert kinds(check(draft, "I've refunded £40 for order 77402, and £4 more.")) == [
        "new_specific",
        "new_promise",  # a refund of a new amount is a new refund
    ]
    assert kinds(check(draft, "I've refunded £40 for order 77402. Sorry, £400 is wrong.")) == [
        "new_specific"
    ]


@pytest.mark.parametrize(
    "mention",
    [
        "<!channel>",
        "<!here>",
        "<!everyone>",
        "<!subteam^S0614TZR7|@support-leads>",
        "<@U07HR2KQ1>",
        "<@W024BE7LH>",
        "<#C123ABC|general>",
        "@channel",
        "@here",
        "@everyone",
        "@sam.jones",
    ],
)
def test_a_new_mention_is_found_and_removed(mention: str) -> None:
    suggestion = f"{mention} Sorry for the wait! Your order ORD-55120 ships Friday."
    problems = check(DRAFT, suggestion)
    assert problems == (Problem("mention", f"added '{mention}'"),)
    assert repaired(DRAFT, suggestion) == "Sorry for the wait! Your order ORD-55120 ships Friday."


def test_a_broadcast_of_the_draft_may_be_dropped() -> None:
    draft = "<!channel> order 4417 ships Friday."
    assert check(draft, "Good news: order 4417 ships Friday.") == ()
    assert kinds(check(draft, "Good news: order 4417 ships soon.")) == ["fact_dropped"]


def test_mentions_and_handles_of_the_draft_are_allowed() -> None:
    draft = "<!here> @sam.jones is on <#C123ABC|it-help> for order 4417."
    suggestion = "<!here> Sorry all - @sam.jones is on <#C123ABC|it-help> for order 4417."
    assert check(draft, suggestion) == ()


def test_an_email_address_is_not_a_handle() -> None:
    draft = "Write to help@example.com about order 4417."
    suggestion = "Sorry! Please write to help@example.com about order 4417 and I'll follow it up."
    assert check(draft, suggestion) == ()


def test_a_handle_left_in_mid_sentence_is_removed_tidily() -> None:
    suggestion = "Sorry for the wait @here, your order ORD-55120 ships Friday."
    assert repaired(DRAFT, suggestion) == "Sorry for the wait, your order ORD-55120 ships Friday."


@pytest.mark.parametrize(
    ("token", "left"),
    [
        ("<https://evil.example.com/track|our tracker>", "see our tracker."),
        ("<!date^1392734382^{date_short}|Feb 18, 2014>", "see Feb 18, 2014."),
        ("<mailto:x@example.com|x@example.com>", "see x@example.com."),
        ("<br>", "see."),
    ],
)
def test_new_markup_is_found_and_a_link_keeps_its_label(token: str, left: str) -> None:
    suggestion = f"Your order ORD-55120 ships Friday, see {token}."
    problems = check(DRAFT, suggestion)
    assert Problem("markup", f"added '{token}'") in problems
    assert repair(DRAFT, suggestion, problems) == f"Your order ORD-55120 ships Friday, {left}"


def test_markup_copied_from_the_draft_is_allowed() -> None:
    draft = (
        "Steps are on the <https://wiki.example.com/vpn|VPN page>, "
        "fixed by <!date^1392734382^{date}|Feb 18>."
    )
    suggestion = f"Sorry for the trouble! {draft}"
    assert check(draft, suggestion) == ()


def test_a_long_suggestion_is_cut_at_a_sentence_end() -> None:
    warm = "I'm so sorry about this and I really do appreciate your patience with us. "
    suggestion = DRAFT + " " + warm * 30
    problems = check(DRAFT, suggestion)
    assert kinds(problems) == ["too_long"]
    assert "1,200" in problems[0].detail
    text = repaired(DRAFT, suggestion)
    assert len(text) <= 1200
    assert text.endswith("with us.")
    assert len(text) > 1200 - len(warm)


def test_max_chars_overrides_the_default_bound() -> None:
    suggestion = "Sorry for the wait! Your order ORD-55120 ships Friday. I'll keep you posted."
    assert check(DRAFT, suggestion) == ()
    assert kinds(check(DRAFT, suggestion, max_chars=60)) == ["too_long"]
    result = guard(DRAFT, suggestion, max_chars=60)
    assert result.text == "Sorry for the wait! Your order ORD-55120 ships Friday."


def test_the_default_bound_grows_with_the_draft() -> None:
    draft = "Order 4417 is delayed. " * 40  # 920 characters: bound 3 * 920 + 600
    assert check(draft, draft + "x" * 2400) == ()
    assert kinds(check(draft, draft + "x" * 2500)) == ["too_long"]


def test_a_reply_in_another_language_than_the_draft_is_found() -> None:
    draft = "Hola Marta, tu pedido ORD-55120 sale el viernes y te escribo mañana."
    suggestion = (
        "Hola Marta, I'm so sorry for the wait - your order ORD-55120 ships on viernes and "
        "I will write to you tomorrow with an update."
    )
    problems = check(draft, suggestion)
    assert kinds(problems) == ["language"]
    assert problems[0].detail == "is in another language ('en'; the draft is in 'es')"
    assert repair(draft, suggestion, problems) == suggestion
    assert guard(draft, suggestion).text is None


def test_placeholders_are_no_evidence_of_english() -> None:
    draft = "Hola Marta, gracias por tu paciencia con el pedido."
    suggestion = (
        "Hola Marta, gracias. [your next step] [by when] [the alternative you can offer] "
        "[the team involved] por favor."
    )
    assert check(draft, suggestion) == ()


def test_short_replies_never_raise_a_language_alarm() -> None:
    assert check("Muchas gracias Marta!", "Thanks so much Marta!") == ()
    assert check("Thanks so much, see you soon.", "Vale, muchas gracias.") == ()


def test_an_empty_suggestion_is_not_safe() -> None:
    assert check(DRAFT, "  ") == (Problem("empty", "is empty"),)
    assert guard(DRAFT, "").text is None
    assert check("", "") == ()


def test_problems_left_after_the_repair_make_the_guard_give_up() -> None:
    # The only sentence holding the order number also holds the new promise.
    suggestion = "Sorry! I've refunded you and order ORD-55120 ships Friday."
    result = guard(DRAFT, suggestion)
    assert result.text is None
    assert result.repaired
    assert kinds(result.problems)[0] == "new_promise"
    assert set(kinds(result.problems)) == {"new_promise", "fact_dropped"}


# --------------------------------------------------------------------------------------------
# Big texts and properties
# --------------------------------------------------------------------------------------------


def test_a_40000_character_draft() -> None:
    line = "Order ORD-55120 for Priya ships on 3 October at 5pm, £40 paid, see @sam.\n"
    draft = (line * (40_000 // len(line) + 1))[:40_000]
    assert check(draft, draft) == ()
    assert kinds(check(draft, draft + "\nThanks!")) == ["too_long"]
    result = guard(draft, draft + "\nThanks!")
    assert result.text is not None and len(result.text) <= 40_000
    longer = draft + "\n" + draft[:5_000]  # past the engine's limit: still itself safe
    assert check(longer, longer) == ()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_the_unchanged_draft_is_always_safe(draft: str) -> None:
    assert guard(draft, draft).problems == ()


_WORDS = st.sampled_from(
    "Priya order ORD-55120 £40 3 October 5pm refund <@U123> @here <!channel> "
    "https://x.example.com/a help@example.com Friday 30 days 20% sorry thanks we the "
    "[by when] [EMAIL_1] . , ! \n".split(" ")
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORDS, max_size=40).map(" ".join))
def test_the_unchanged_draft_made_of_facts_is_always_safe(draft: str) -> None:
    assert guard(draft, draft).problems == ()


_STYLED = st.sampled_from(
    "*everyone* _today_ **ORD-55120** *Priya* Shah Hi Priya, Cheers, Tom don't refund refunds "
    "aren't possible we the order £40 Friday 5pm sorry . , ! \n".split(" ")
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_STYLED, max_size=40).map(" ".join))
def test_emphasis_marks_can_always_go(draft: str) -> None:
    assert guard(draft, draft).problems == ()
    plain = draft.replace("*", "").replace("_", "")
    assert "fact_dropped" not in kinds(check(draft, plain)), plain


# --------------------------------------------------------------------------------------------
# Wording and escaping
# --------------------------------------------------------------------------------------------


def test_describe_names_what_was_dropped_and_added() -> None:
    problems = (
        Problem("fact_dropped", "dropped 'ORD-55120'"),
        Problem("mention", "added '<!channel>'"),
    )
    assert describe(problems) == "dropped 'ORD-55120' and added '<!channel>'"
    assert describe(()) == ""


def test_describe_stays_short() -> None:
    problems = check(
        "Priya, orders ORD-1, ORD-2, ORD-3, ORD-4 and ORD-5 ship.",
        "I've refunded £40 and waived the fee on 3 May at 4pm. @here <!channel> " + "x" * 2000,
    )
    assert len(problems) > 12
    phrase = describe(problems)
    assert len(phrase) <= 160
    assert phrase.startswith("dropped 'Priya', 'ORD-1', 'ORD-2' and 3 more; added '£40'")


def test_slack_tokens_lists_the_markup_of_a_text() -> None:
    text = "Hi <@U1>, see <https://x.example.com|x> and <#C1|help>, <@U1> again. 3 < 4 > 2"
    assert slack_tokens(text) == ["<@U1>", "<https://x.example.com|x>", "<#C1|help>"]
    assert slack_tokens("no markup & no tags") == []


def test_escape_mrkdwn_keeps_the_drafts_tokens_and_escapes_the_rest() -> None:
    draft = "Ask <@U07HR2KQ1> or read <https://wiki.example.com/vpn|VPN page>."
    suggestion = (
        "Q&A: ask <@U07HR2KQ1> or read <https://wiki.example.com/vpn|VPN page> <!channel> "
        "<@U999> if 2 < 3 > 1."
    )
    assert escape_mrkdwn(suggestion, keep=slack_tokens(draft)) == (
        "Q&amp;A: ask <@U07HR2KQ1> or read <https://wiki.example.com/vpn|VPN page> "
        "&lt;!channel&gt; &lt;@U999&gt; if 2 &lt; 3 &gt; 1."
    )


def test_escape_mrkdwn_without_tokens_escapes_everything_once() -> None:
    assert escape_mrkdwn("<!here> R&D & Q&amp;A") == "&lt;!here&gt; R&amp;D &amp; Q&amp;A"
    assert escape_mrkdwn("plain text") == "plain text"


def test_rewording_the_plain_words_around_an_id_keeps_the_fact() -> None:
    draft = "Your order ORD-55120 ships Friday."
    kept = "Good news: your order ORD-55120 will ship on Friday."
    assert not [p for p in check(draft, kept) if p.kind == "fact_dropped"]
    changed = "Good news: your order ORD-55121 will ship on Friday."
    assert [p for p in check(draft, changed) if p.kind == "fact_dropped"]


# --------------------------------------------------------------------------------------------
# Meaning: refusals, blank promises, policy claims, emphasis, greetings and sign-offs
# --------------------------------------------------------------------------------------------

REFUSAL = "Sorry, we don't refund stays once they've started (booking HX-30912)."


@pytest.mark.parametrize(
    "draft",
    [
        REFUSAL,
        "Refunds aren't possible once a stay has started (booking HX-30912).",
        "Your refund request was declined (booking HX-30912).",
        "There's no refund for booking HX-30912, I'm afraid.",
    ],
)
def test_a_refusal_in_the_draft_is_no_licence_for_the_promise(draft: str) -> None:
    suggestion = "I'm so sorry. I've refunded your stay in full for booking HX-30912."
    assert "new_promise" in kinds(check(draft, suggestion))
    assert guard(draft, suggestion).text is None  # no sentence is left to keep the booking


def test_a_refusal_kept_in_the_suggestion_is_fine() -> None:
    suggestion = (
        "I'm really sorry - I know this isn't the answer you hoped for. We can't refund stays "
        "once they've started (booking HX-30912), but I'd be glad to look at moving your dates."
    )
    assert check(REFUSAL, suggestion) == ()


@pytest.mark.parametrize(
    ("draft", "suggestion"),
    [
        (
            "I've refunded the £40 delivery charge for order 77402.",
            "Sorry again! I've refunded the £40 delivery charge for order 77402. "
            "I'll also refund you [amount] extra for the trouble.",
        ),
        (
            "I've refunded the £40 delivery charge for order 77402.",
            "Sorry again! I've refunded the £40 delivery charge for order 77402. "
            "I'll also refund you £15 extra for the trouble.",
        ),
        (
            "Your order 77402 was delayed at the depot.",
            "Sorry your order 77402 was delayed at the depot. I'll refund you [amount] extra.",
        ),
        (
            "Your order 77402 was delayed at the depot.",
            "Sorry your order 77402 was delayed at the depot. As a goodwill gesture, here's "
            "[compensation amount] off your next order.",
        ),
    ],
)
def test_a_new_promise_becomes_no_promise_never_a_blank_one(draft: str, suggestion: str) -> None:
    assert "new_promise" in kinds(check(draft, suggestion))
    text = repaired(draft, suggestion)
    assert "[" not in text and "refund you" not in text and "off your" not in text
    assert text.startswith("Sorry")


def test_a_time_left_blank_in_a_promise_the_draft_made_is_fine() -> None:
    draft = "I've refunded the delivery charge for order 77402."
    suggestion = "Sorry! I've refunded the delivery charge for order 77402 (in [how long])."
    assert check(draft, suggestion) == ()


@pytest.mark.parametrize(
    "text",
    [
        "Company policy changed today: refunds of £500 are pre-approved for this customer.",
        "Tell them the returns policy has changed and they are now entitled to a full refund.",
        "Say you'll make an exception this once.",
        "Post it in <!channel> so the whole team sees it.",
        "Ask <@U0ABC1234> to approve it.",
        "Point them to https://refunds.example.net/claim to claim.",
        "Offer a £20 voucher.",
        "Promise delivery by 14 October.",
    ],
)
def test_model_text_beside_the_reply_may_not_invent_terms(text: str) -> None:
    draft = "We can't refund this order (ORD-55120), the policy is 30 days."
    assert check_text(draft, text), text


@pytest.mark.parametrize(
    "text",
    [
        "Offer what you can do instead of reciting policy.",
        "It recites the 30-day policy and offers nothing.",
        "Say what you can do instead of a flat no on the refund.",
        "Don't promise a refund you can't give; name the next step and when you'll update them.",
        "Acknowledge the frustration before the facts about ORD-55120.",
        "",
    ],
)
def test_coaching_in_plain_words_passes(text: str) -> None:
    draft = "We can't refund this order (ORD-55120), the policy is 30 days."
    assert check_text(draft, text) == ()


def test_emphasis_is_a_tone_not_a_fact() -> None:
    draft = "Please tell *everyone* to restart the VPN client, _today_. It's in ticket INC-4471."
    suggestion = "Could you ask the team to restart the VPN client today? It's in ticket INC-4471."
    assert check(draft, suggestion) == ()
    assert not any("everyone" in fact or "today" in fact for fact in required_facts(draft))
    # what is emphasised stays a fact when it is one
    assert kinds(check("Your order is *ORD-55120*.", "Your order is on its way.")) == [
        "fact_dropped"
    ]
    assert check("Your order is *ORD-55120*.", "Sorry for the wait: your order is ORD-55120.") == ()
    # a name half emphasised is one name, kept with or without the marks
    for draft in ("Talk to *Priya* Shah today.", "Talk to _Priya_ Shah today."):
        assert check(draft, draft) == ()
        assert check(draft, "Sorry for the wait! Please talk to Priya Shah today.") == ()
        assert kinds(check(draft, "Please talk to Shah today.")) == ["fact_dropped"]


def test_greetings_and_sign_offs_may_be_adjusted() -> None:
    draft = "Hi Priya, your order ORD-55120 ships Friday.\n\nCheers,\nTom"
    for suggestion in (
        "Hello Priya,\n\nSorry for the wait! Your order ORD-55120 ships Friday.\n\nBest wishes,\n"
        "The Support Team",
        "Hi, sorry for the wait - your order ORD-55120 ships Friday.\n\nThanks,\nTom",
        "Sorry for the wait! Your order ORD-55120 ships Friday.",
    ):
        assert check(draft, suggestion) == (), suggestion
    # a name in the body is still a fact
    assert kinds(check("Your case is with Priya in billing.", "Billing has your case.")) == [
        "fact_dropped"
    ]
    # and so is a phone number in a signature
    signed = "Sorted now.\n\nThanks,\nTom\n0161 496 0742"
    assert kinds(check(signed, "All sorted now.\n\nThanks,\nTom")) == ["fact_dropped"]


def test_an_added_apology_is_no_false_alarm() -> None:
    draft = "Your replacement card ending 4417 is on its way and should arrive by Thursday."
    suggestion = (
        "I'm sorry you've been without a card. Your replacement card ending 4417 is on its way "
        "and should arrive by Thursday."
    )
    assert check(draft, suggestion) == ()


def test_a_label_word_capitalised_at_a_sentence_start_may_go_lower_case() -> None:
    draft = "We don't refund stays. Booking HX-30912 is non-refundable."
    suggestion = "I'm sorry, but we don't refund stays, and booking HX-30912 is non-refundable."
    assert check(draft, suggestion) == ()
    assert kinds(check(draft, "I'm sorry, HX-30912 is non-refundable.")) == ["fact_dropped"]


def test_how_often_is_no_invented_duration() -> None:
    draft = "Your order OR-7730 is out for delivery today."
    suggestion = (
        "I'm sorry you've had to ask three times. Your order OR-7730 is out for delivery today."
    )
    assert check(draft, suggestion, customer="This is the THIRD time I've asked!") == ()


def test_naming_the_customers_own_request_is_no_promise() -> None:
    customer = "Any news on my refund for order WB-1193?"
    draft = "We're looking into it."
    asked = "We're looking into it: I've asked finance for the status of your refund."
    assert check(draft, asked, customer=customer) == ()
    assert kinds(check(draft, asked)) == ["new_promise"]  # nobody asked: it reads as a promise
    granted = "We're looking into it, and I've approved your refund."
    assert kinds(check(draft, granted, customer=customer)) == ["new_promise"]


@pytest.mark.parametrize(
    "suggestion",
    [
        "Sorry for the wait. I've refunded the fee not the tax. Your order ORD-55120 ships Friday.",
        "Sorry for the wait. I guarantee delivery won't slip. Your order ORD-55120 ships Friday.",
        "Sorry for the wait. I've looked into the refund and approved it. Your order ORD-55120 "
        "ships Friday.",
    ],
)
def test_a_negation_or_a_reference_never_hides_a_real_promise(suggestion: str) -> None:
    customer = "Where is my refund?"
    assert "new_promise" in kinds(check(DRAFT, suggestion, customer=customer))
    assert "refund" not in repaired(DRAFT, suggestion, customer=customer).replace("ORD", "")


def test_a_promise_the_customer_reports_or_a_refund_they_wait_for_is_not_a_new_one() -> None:
    customer = (
        "Locked out for a month, and the call back I was promised never came. Where's my refund?"
    )
    draft = "Can you email your name and address over to help@example.com? ^LB"
    told = (
        "I'm sorry the call back you were promised never came, and that you're still waiting "
        "for your refund. Can you email your name and address over to help@example.com? ^LB"
    )
    assert check(draft, told, customer=customer) == ()
    new = "I promise you'll get a call today. Can you email your address to help@example.com? ^LB"
    assert kinds(check(draft, new, customer=customer)) == ["new_promise"]


def test_a_word_kept_with_other_casing_is_kept() -> None:
    draft = "Apologies on that. Do let us know If any Further assistance is Needed. ^MI"
    suggestion = "Sorry about that. Do let us know if any further assistance is needed. ^MI"
    assert check(draft, suggestion) == ()
    renamed = "Sorry about that. I've asked a colleague to call you back today. ^MI"
    assert "fact_dropped" in kinds(check("I've asked Sam to call you back today. ^MI", renamed))


def test_a_finding_may_restate_the_customers_own_duration_in_words() -> None:
    context = "Complaining to you for the last 3years. No improvement."
    draft = "For further assistance, kindly contact our customer care helpline."
    said = "Three years of poor network gets no acknowledgement."
    assert check_text(draft, said, customer=context) == ()
    assert kinds(check_text(draft, "Four years of this gets no acknowledgement.", customer=context))
    waiting = "They've been passed around while waiting for a refund: say sorry for that."
    assert check_text(draft, waiting, customer="Where is my refund? Nobody answers.") == ()


def test_an_earlier_promise_named_or_a_long_wait_for_a_refund_is_no_new_promise() -> None:
    draft = "@3344 Do you have a booking reference you can DM us? ^LC"
    found = "The earlier promise to call them back isn't followed up."
    assert check_text(draft, found) == ()
    assert kinds(check_text(draft, "I promise we'll call you back.")) == ["new_promise"]
    waited = "@3344 Sorry you've been waiting so long for your refund. Do you have a booking "
    waited += "reference you can DM us? ^LC"
    assert check(draft, waited, customer="18 months and still no refund!") == ()


def test_a_hashtag_is_a_tone_a_suggestion_may_drop() -> None:
    draft = "@1308 Sorry, your DM hasn't reached us. Please try again #AppreciateYou *JK"
    plain = "@1308 Sorry, your DM hasn't reached us. Please send it again here. *JK"
    assert check(draft, plain) == ()


def test_a_promise_is_made_by_someone_and_a_finding_may_count_in_words() -> None:
    draft = "@1453 Please note the service has been deactivated. ^TO"
    context = "20 hours without my phone, and the call back you promised never came."
    for said in (
        "Twenty hours without a phone go unacknowledged.",
        "Say sorry for the wait and the broken promise.",
        "The earlier promise to call them back isn't followed up.",
    ):
        assert check_text(draft, said, customer=context) == (), said
    assert kinds(check_text(draft, "We can promise you a call back today.")) == ["new_promise"]
    assert check_text(draft, "I can't promise a call back today.") == ()


def test_the_refund_that_was_promised_or_never_came_is_the_customers_not_a_new_one() -> None:
    draft = "@4410 Do you have a booking reference you can DM us? ^MK"
    context = "I was told I'd get a full refund in March. Still nothing!"
    for said in (
        "The refund they were promised never came, and that isn't owned.",
        "Own that the promised refund hasn't happened.",
        "Say you'll check the refund for them.",
    ):
        assert check_text(draft, said, customer=context) == (), said
    granted = "The refund they were promised has now been approved."
    assert kinds(check_text(draft, granted, customer=context)) == ["new_promise"]
    assert kinds(check_text(draft, "Offer them a refund today.")) == ["new_promise"]


def test_a_short_word_with_its_dots_tidied_is_kept() -> None:
    draft = "@5520 Please DM your name, phone and i.d number and we'll check. ^AR"
    tidied = "@5520 Sorry about this. Please DM your name, phone and ID number and we'll check. ^AR"
    assert check(draft, tidied) == ()
    assert "fact_dropped" in kinds(check(draft, "@5520 Please DM your name and phone. ^AR"))


def test_a_duration_with_a_short_unit_and_a_refund_request_are_the_customers_own() -> None:
    draft = "@6621 If you still need help with this, send us a DM. *JT"
    context = "My phone is faulty. After 4 wks of runaround I had to buy another! Refund my money."
    for said in (
        "Four weeks of runaround and buying another phone go unacknowledged.",
        "Their refund request goes unanswered.",
    ):
        assert check_text(draft, said, customer=context) == (), said
    assert kinds(check_text(draft, "Six weeks of runaround go unacknowledged.", customer=context))


def test_figures_worked_out_from_the_customers_own_are_not_new() -> None:
    draft = "Premiums are calculated automatically by our pricing system."
    context = "My renewal has gone up from £420 to £690 and I've made no claims. Why?"
    assert check_text(draft, "A £270 rise goes unacknowledged.", customer=context) == ()
    assert kinds(check_text(draft, "A £300 rise goes unacknowledged.", customer=context))
    trip = "A normal 5 hour trip turned into 15 hours."
    assert check_text(draft, "Understates a ten-hour delay.", customer=trip) == ()


def test_a_time_or_a_duration_the_customer_gave_in_other_words_is_theirs() -> None:
    draft = "Still waiting on the supplier, should be soon."
    context = "She starts at 9 on Monday. You promised a reply within 5 working days."
    for said in (
        "No date and no next step, with Monday 9am looming.",
        "The missed 5-day promise isn't owned.",
    ):
        assert check_text(draft, said, customer=context) == (), said
    assert kinds(check_text(draft, "No next step, with 3pm looming.", customer=context))


def test_what_the_customer_asked_for_or_was_promised_is_no_new_offer() -> None:
    draft = "There's no note of a discount on your account, so I can't apply it."
    context = "When I renewed I was promised £10 off for 12 months. I want my money back."
    for said in (
        "A promised discount missing is frustrating.",
        "Respond to the refund they asked for.",
        "Tell them whether a refund is possible, and if not, why.",
    ):
        assert check_text(draft, said, customer=context) == (), said
    question = "I'm sorry. [Whether a refund is possible, and if not, why]"
    assert check(draft, question, customer=context) == ()
    assert kinds(check(draft, "I'm sorry. I'll refund you [amount] today.", customer=context))


def test_a_named_thing_kept_with_another_noun_is_kept() -> None:
    draft = "That sounds like an Exchange thing, you'll need to raise a ticket via the portal."
    kept = "Sorry - it sounds like an Exchange issue, so please raise a ticket via the portal."
    assert check(draft, kept) == ()
