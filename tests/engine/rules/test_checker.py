"""Context signals and scopes: the parts of a check that read around a phrase."""

from nudgebot.engine.pipeline import review as pipeline_review
from nudgebot.engine.rules import default_rulebook
from nudgebot.engine.rules.checker import Context, first_match

RULEBOOK = default_rulebook()


def test_signals_read_the_customer_and_can_be_negated() -> None:
    context = Context(RULEBOOK, "ok", "This is the THIRD time. I'm furious!!")
    assert context.signal("customer_upset")
    assert not context.signal("!customer_upset")
    calm = Context(RULEBOOK, "ok", "How do I export my contacts?")
    assert not calm.signal("customer_upset")


def test_a_failed_service_reads_as_the_companys_fault_and_a_customers_own_step_does_not() -> None:
    for customer in (
        "The 18:05 to Leeds cancelled AGAIN. I'll be late for the third night running.",
        "Third outage this week and I work from home.",
        "The engineer didn't show on Monday either. I waited in all day.",
        "You keep estimating my bill even though I send readings.",
    ):
        assert Context(RULEBOOK, "ok", customer).signal("company_fault"), customer
    for customer in (
        "I cancelled my order yesterday, can you confirm?",
        "Can I show my ticket on my phone?",
    ):
        assert not Context(RULEBOOK, "ok", customer).signal("company_fault"), customer


def test_no_customer_message_means_no_customer_signals() -> None:
    context = Context(RULEBOOK, "Nope.", None)
    assert not context.signal("customer_upset")
    assert not context.signal("customer_needs_help")


def test_following_scope_looks_at_this_sentence_and_the_next_only() -> None:
    rule = RULEBOOK.rule("ownership.vague-timeline")
    fine = Context(RULEBOOK, "It'll be with you soon, by 6pm today at the latest.")
    also_fine = Context(RULEBOOK, "Soon! It goes out on Monday 16 September.")
    vague = Context(RULEBOOK, "It'll be with you soon. Thanks for waiting. I'm in until 6pm.")
    assert first_match(rule, also_fine) is None
    assert first_match(rule, fine) is None
    assert first_match(rule, vague) is not None


def test_draft_scope_lets_an_alternative_anywhere_count() -> None:
    rule = RULEBOOK.rule("adaptable.flat-no")
    context = Context(RULEBOOK, "I can't refund it. Lovely weather. What I can do is a credit.")
    assert first_match(rule, context) is None


def test_derive_reuses_customer_side_work() -> None:
    first = Context(RULEBOOK, "draft one", "I'm so upset!!")
    assert first.signal("customer_upset")
    second = first.derive("draft two")
    assert second.customer == first.customer
    assert second._signals.get("customer_upset") is True
    assert "draft_done" not in second._signals


def test_offsets_point_at_the_original_words_despite_curly_quotes() -> None:
    text = "That\u2019s the process \u2014 I can\u2019t skip it."
    context = Context(RULEBOOK, text)
    found = first_match(RULEBOOK.rule("adaptable.policy-shield"), context)
    assert found is not None
    assert text[found.start : found.end] == "That\u2019s the process"


def test_a_fix_is_worded_for_the_customers_state_when_the_rule_says_how() -> None:
    def fix(customer: str) -> str:
        review = pipeline_review("A new engineer visit is booked for Tuesday 8am-1pm.", customer)
        return next(f.fix for f in review.findings if f.rule == "empathy.no-acknowledgement")

    worried = fix("I'm so worried, my mum is 90 and the heating has stopped again. Help!")
    angry = fix("This is a joke. Third missed visit, I'm absolutely furious!!")
    unclear = fix("The engineer never came and the heating has stopped again!!")
    assert "worr" in worried and "annoyed" in angry
    assert len({worried, angry, unclear}) == 3  # the general example when no state is clear


def test_a_same_signal_holds_only_for_the_step_the_customer_named() -> None:
    from nudgebot.engine.rules.text import step_stem
    from nudgebot.models import Turn

    assert step_stem("resetting") == step_stem("reset") == "reset"
    assert step_stem("logged out") == step_stem("log out")
    thread = (Turn("customer", "I've restarted the router three times and it still drops."),)

    def repeats(draft: str) -> bool:
        return Context(RULEBOOK, draft, thread=thread).signal("draft_repeats_tried")

    assert repeats("Could you try restarting your router?")
    assert repeats("Restart the router and let me know.")
    assert not repeats("Could you try resetting your password?")  # another step
    assert not repeats("I've restarted the line from here; it should hold now.")  # the agent's
    assert not Context(RULEBOOK, "Could you try restarting it?", "It's down.").signal(
        "draft_repeats_tried"
    )  # the customer never said they tried
