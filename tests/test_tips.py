"""The tip library: the bundled file is complete and valid, broken files say where, search works."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from pathlib import Path

import pytest

from nudgebot.models import DIMENSIONS
from nudgebot.tips import Tip, TipFileError, TipLibrary, stem, words

LIBRARY = TipLibrary.load()
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

VALID_TIP = """
[[tip]]
id = "ownership-one"
dimension = "ownership"
idea = "when-things-go-wrong"
text = "Say 'let me look into that for you'."
keywords = ["own"]
"""


def write(folder: Path, body: str, header: str = '[library]\nid = "t"\nversion = "1"\n') -> Path:
    path = folder / "tips.toml"
    path.write_text(header + body, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# The bundled library
# ---------------------------------------------------------------------------------------------


def test_the_bundled_library_loads_with_its_header() -> None:
    assert LIBRARY.id == "nudgebot.tips"
    assert LIBRARY.version == "1"
    assert LIBRARY.path.name == "tips.toml"
    assert len(LIBRARY) == len(LIBRARY.tips) >= 60
    assert list(LIBRARY) == list(LIBRARY.tips)


def test_every_dimension_has_at_least_ten_tips() -> None:
    counts = Counter(tip.dimension for tip in LIBRARY)
    assert set(counts) == set(DIMENSIONS)
    for dimension in DIMENSIONS:
        assert counts[dimension] >= 10, dimension
        assert len(LIBRARY.by_dimension(dimension)) == counts[dimension]


def test_ids_are_unique_slugs_prefixed_by_their_dimension() -> None:
    ids = [tip.id for tip in LIBRARY]
    assert len(ids) == len(set(ids))
    for tip in LIBRARY:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", tip.id)
        assert tip.id.startswith(f"{tip.dimension}-"), tip.id


def test_every_tip_has_keywords_and_a_short_plain_text() -> None:
    for tip in LIBRARY:
        assert tip.keywords, tip.id
        assert all(k == k.lower() and k.strip() for k in tip.keywords), tip.id
        assert 30 <= len(tip.text) <= 400, tip.id
        assert len(re.findall(r"[.!?](?:'|\s|$)", tip.text)) <= 3, tip.id
        assert "<" not in tip.text and "@" not in tip.text, tip.id


def test_the_seed_ideas_are_all_covered() -> None:
    ideas = Counter(tip.idea for tip in LIBRARY)
    for idea in ("three-cs", "real", "moments-of-truth", "six-steps", "when-things-go-wrong"):
        assert ideas[idea] >= 5, idea


def test_the_ownership_phrases_are_taught() -> None:
    texts = " ".join(tip.text for tip in LIBRARY).lower()
    assert "let me look into that for you" in texts
    assert "we understand, but" in texts
    assert "[time]" in texts  # a named next step with a time


@pytest.mark.parametrize(
    ("moment", "ids"),
    [
        ("refusal / policy", {"adaptable-what-you-can-do", "adaptable-reason-behind-policy"}),
        ("delay", {"ownership-delay-tell-first", "empathy-delay-knock-on"}),
        ("lost item", {"ownership-lost-parcel"}),
        ("billing error", {"ownership-billing-mistake", "learn-billing-root-cause"}),
        ("angry customer", {"empathy-angry-customer", "respect-abusive-customer"}),
        ("bereavement", {"empathy-bereavement", "empathy-bereavement-one-conversation"}),
        ("repeated contact", {"ownership-third-contact", "learn-why-it-came-back"}),
        ("escalation", {"ownership-escalate-and-stay"}),
        ("saying no", {"respect-saying-no-kindly", "adaptable-offer-a-choice"}),
        ("apologising", {"empathy-one-real-apology", "ownership-sorry-then-action"}),
        ("follow-up", {"ownership-keep-the-follow-up"}),
        ("handing over", {"ownership-warm-handover"}),
    ],
)
def test_the_hard_moments_are_covered(moment: str, ids: set[str]) -> None:
    for tip_id in ids:
        assert LIBRARY.get(tip_id).id == tip_id, moment


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed articles are not checked out here")
def test_no_tip_copies_a_run_of_the_seed_articles() -> None:
    def runs(text: str, size: int = 7) -> set[tuple[str, ...]]:
        tokens = re.findall(r"[a-z']+", text.lower().replace("’", "'"))
        return {tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}

    seeds: set[tuple[str, ...]] = set()
    for path in SEEDS.glob("*.txt"):
        seeds |= runs(path.read_text(encoding="utf-8"))
    for tip in LIBRARY:
        assert not runs(tip.text) & seeds, tip.id


# ---------------------------------------------------------------------------------------------
# Strict loading
# ---------------------------------------------------------------------------------------------


def test_a_valid_file_in_another_folder_loads(tmp_path: Path) -> None:
    write(tmp_path, VALID_TIP)
    library = TipLibrary.load(tmp_path)
    assert library.tips == (
        Tip(
            "ownership-one",
            "ownership",
            "when-things-go-wrong",
            "Say 'let me look into that for you'.",
            ("own",),
        ),
    )


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        (('dimension = "ownership"', 'dimension = "kindness"'), "dimension", "must be one of"),
        (('idea = "when-things-go-wrong"', 'idea = "When Things"'), "idea", "slug"),
        (('keywords = ["own"]', "keywords = []"), "keywords", "non-empty list"),
        (('keywords = ["own"]', "keywords = [3]"), "keywords", "not a word"),
        (('keywords = ["own"]', ""), "keywords", "is missing"),
        (("text = \"Say 'let me look into that for you'.\"", 'text = " "'), "text", "non-empty"),
        (
            ("text = \"Say 'let me look into that for you'.\"", 'text = "Ping <!channel>"'),
            "text",
            "must not contain",
        ),
        (
            ("text = \"Say 'let me look into that for you'.\"", 'text = "Ask @sam first."'),
            "text",
            "must not contain",
        ),
        (('keywords = ["own"]', 'keywords = ["own"]\ncolour = "red"'), "colour", "unknown field"),
    ],
)
def test_a_broken_tip_names_the_file_the_tip_and_the_field(
    tmp_path: Path, change: tuple[str, str], field: str, problem: str
) -> None:
    path = write(tmp_path, VALID_TIP.replace(*change))
    with pytest.raises(TipFileError) as error:
        TipLibrary.load(tmp_path)
    message = str(error.value)
    assert str(path) in message
    assert "'ownership-one'" in message
    assert f"field '{field}'" in message
    assert problem in message
    assert (error.value.path, error.value.tip, error.value.field) == (
        path,
        "'ownership-one'",
        field,
    )


def test_a_too_long_text_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, VALID_TIP.replace("Say 'let me", "Say " + "very " * 90 + "'let me"))
    with pytest.raises(TipFileError, match="'ownership-one': field 'text': is 4"):
        TipLibrary.load(tmp_path)


def test_a_duplicate_id_names_the_id(tmp_path: Path) -> None:
    path = write(tmp_path, VALID_TIP + VALID_TIP)
    with pytest.raises(TipFileError) as error:
        TipLibrary.load(tmp_path)
    assert str(error.value) == (
        f"{path}: tip 'ownership-one': field 'id': is used by an earlier tip"
    )


def test_a_tip_without_a_usable_id_is_named_by_its_number(tmp_path: Path) -> None:
    path = write(tmp_path, VALID_TIP + VALID_TIP.replace('"ownership-one"', '"Second Tip"'))
    with pytest.raises(TipFileError) as error:
        TipLibrary.load(tmp_path)
    assert str(error.value).startswith(f"{path}: tip #2: field 'id': must be a slug")
    assert "'Second Tip'" in str(error.value)


@pytest.mark.parametrize(
    ("header", "body", "problem"),
    [
        ("", VALID_TIP, "field 'library': missing [library] table"),
        ('[library]\nid = "t"\n', VALID_TIP, "field 'library.version': must be a non-empty"),
        ('[library]\nid = "t"\nversion = "1"\nowner = "x"\n', VALID_TIP, "'library.owner'"),
        ('[library]\nid = "t"\nversion = "1"\n', "", "field 'tip': no tips"),
        ('[library]\nid = "t"\nversion = "1"\n', "[extra]\n", "field 'extra': unknown table"),
        ('[library]\nid = "t"\nversion = "1"\n', "[[tip]\n", "not valid TOML"),
    ],
)
def test_a_broken_file_names_the_file_and_the_problem(
    tmp_path: Path, header: str, body: str, problem: str
) -> None:
    path = write(tmp_path, body, header)
    with pytest.raises(TipFileError) as error:
        TipLibrary.load(tmp_path)
    assert str(error.value).startswith(str(path))
    assert problem in str(error.value)


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TipFileError, match=r"tips\.toml: file not found"):
        TipLibrary.load(tmp_path)


def test_an_unknown_dimension_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown dimension 'kindness'"):
        LIBRARY.by_dimension("kindness")


# ---------------------------------------------------------------------------------------------
# Search
# ---------------------------------------------------------------------------------------------


def test_stemming_folds_the_usual_forms() -> None:
    assert {stem(w) for w in ("refund", "refunds", "refunded", "refunding")} == {"refund"}
    assert {stem(w) for w in ("delay", "delays", "delayed")} == {"delay"}
    assert {stem(w) for w in ("apologise", "apologize", "apologising")} == {"apologis"}
    assert {stem(w) for w in ("apology", "apologies")} == {"apology"}
    assert stem("shipping") == stem("ship")
    assert stem("address") == "address"
    assert words("Customer's husband died; can't refund") == [
        "customer",
        "husband",
        "die",
        "cannot",
        "refund",
    ]


def ids(question: str, limit: int = 3) -> list[str]:
    return [tip.id for tip in LIBRARY.relevant(question, limit)]


def test_a_refund_refusal_question_gets_a_refund_or_policy_tip_first() -> None:
    tips = LIBRARY.relevant("how do I tell a customer we can't refund?")
    assert tips[0].id == "adaptable-what-you-can-do"
    assert {"refund", "policy"} & {k for tip in tips for k in tip.keywords}


def test_a_late_parcel_question_gets_a_delay_tip_first() -> None:
    tips = LIBRARY.relevant("the parcel is late again what do I say")
    assert "late" in tips[0].keywords or "delay" in tips[0].keywords
    assert tips[0].id in {"ownership-delay-tell-first", "empathy-delay-knock-on"}


def test_a_bereavement_question_gets_bereavement_tips() -> None:
    found = ids("customer's husband died and wants to close the account")
    assert found[:2] == ["empathy-bereavement-one-conversation", "empathy-bereavement"]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("what should I say when we lost their parcel?", "ownership-lost-parcel"),
        ("how do I hand over a case at the end of my shift", "ownership-warm-handover"),
        ("when should I escalate to a supervisor?", "ownership-escalate-and-stay"),
        ("how should I follow up after I promised to call back", "ownership-keep-the-follow-up"),
        ("how do I say no to a customer", "respect-saying-no-kindly"),
        ("we charged a customer twice, what do I say", "ownership-billing-mistake"),
        ("any tips for being more empathetic?", "empathy-feeling-first"),
        ("what are the three C's?", "learn-three-cs"),
        ("how to be more flexible with our policy", "adaptable-reason-behind-policy"),
    ],
)
def test_common_questions_get_their_tip_first(question: str, expected: str) -> None:
    assert ids(question)[0] == expected


def test_nothing_in_common_gives_the_general_ownership_and_empathy_tips() -> None:
    general = LIBRARY.general(3)
    assert [tip.dimension for tip in general] == ["ownership", "empathy", "ownership"]
    assert general[0].id == "ownership-look-into-it"
    for question in ("hello", "¿Cómo le digo al cliente que no hay reembolso?", "zzz qqq"):
        assert LIBRARY.relevant(question) == general
        assert not LIBRARY.matches(question)
    assert LIBRARY.matches("refund")


def test_relevant_is_deterministic_with_ties_broken_by_id() -> None:
    question = "customer is furious and swearing at me"
    first = ids(question, 5)
    assert all(ids(question, 5) == first for _ in range(5))
    scores = LIBRARY.scores(question)
    ranked = [scores[tip_id] for tip_id in first]
    assert ranked == sorted(ranked, reverse=True)
    for a, b in itertools.pairwise(first):
        if scores[a] == scores[b]:
            assert a < b
    assert TipLibrary.load().relevant(question, 5) == LIBRARY.relevant(question, 5)


def test_limit_is_respected() -> None:
    assert len(LIBRARY.relevant("refund policy delay parcel angry", limit=2)) == 2
    assert LIBRARY.relevant("refund", limit=0) == []
    assert len(LIBRARY.general(1)) == 1
