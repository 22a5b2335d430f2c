"""Loading rule files: a broken file names the file and the field."""

import shutil
from pathlib import Path

import pytest

from nudgebot.engine.rules import prompts_dir
from nudgebot.engine.rules.rulebook import RuleFileError, load_rulebook

BUNDLED = prompts_dir() / "rules"

GOOD_RULE = """
kind = "existence"
dimension = "ownership"
message = "“{quote}” is vague."
fix = "Give a time."
patterns = ["soon"]
flag = ["It'll be soon."]
pass = ["By 4pm."]
"""


@pytest.fixture()
def rules_dir(tmp_path: Path) -> Path:
    for name in ("_signals.toml", "_rewrite.toml"):
        shutil.copy(BUNDLED / name, tmp_path / name)
    return tmp_path


def test_bundled_rules_load() -> None:
    rulebook = load_rulebook(BUNDLED)
    assert len(rulebook.rules) >= 20
    assert all(rule.id == rule.path.stem for rule in rulebook.rules)


def test_a_minimal_rule_loads(rules_dir: Path) -> None:
    (rules_dir / "ownership.soon.toml").write_text(GOOD_RULE)
    rulebook = load_rulebook(rules_dir)
    assert [r.id for r in rulebook.rules] == ["ownership.soon"]
    assert rulebook.rules[0].cost == 20  # the default


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (('kind = "existence"', 'kind = "magic"'), "kind"),
        (('dimension = "ownership"', 'dimension = "speed"'), "dimension"),
        (('patterns = ["soon"]', 'patterns = ["(soon"]'), "patterns"),
        (('patterns = ["soon"]', "patterns = []"), "patterns"),
        (('patterns = ["soon"]', 'patterns = ["{nosuchword}"]'), "patterns"),
        (('fix = "Give a time."', 'fix = ""'), "fix"),
        (('fix = "Give a time."', 'fix = "x"\ncolour = "red"'), "colour"),
        (('fix = "Give a time."', 'fix = "x"\nwhen = ["no_such_signal"]'), "when"),
        (('fix = "Give a time."', 'fix = "x"\nadd = "no_such_template"'), "add"),
        (('fix = "Give a time."', 'fix = "x"\ncost = -5'), "cost"),
        (('fix = "Give a time."', 'fix = "x"\nrewrite = "replace"'), "replacement"),
        (('flag = ["It\'ll be soon."]', "flag = [42]"), "flag"),
        (('fix = "Give a time."', 'fix = "x"\nrewrite_moves = ["dance"]'), "rewrite_moves"),
        (('pass = ["By 4pm."]', 'pass = []\n[fix_when]\nno_such_signal = "x"'), "fix_when"),
        (('pass = ["By 4pm."]', "pass = []\n[fix_when]\ncustomer_upset = 3"), "fix_when"),
    ],
)
def test_a_broken_rule_names_file_and_field(
    rules_dir: Path, change: tuple[str, str], field: str
) -> None:
    path = rules_dir / "ownership.soon.toml"
    path.write_text(GOOD_RULE.replace(*change))
    with pytest.raises(RuleFileError) as error:
        load_rulebook(rules_dir)
    assert error.value.path == path
    assert error.value.field == field
    assert str(path) in str(error.value) and f"'{field}'" in str(error.value)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            (
                'needs = "!draft_acknowledges, !earlier_acknowledged, !customer_thanks, '
                '!draft_continues, !draft_cheery"',
                'needs = "x"',
            ),
            "add.acknowledge_time",
        ),
        (
            ("[add.acknowledge_time]\n", '[add.acknowledge_time]\nfallback = "nothing"\n'),
            "add.acknowledge_time.fallback",
        ),
        (("[add.next_step]\n", '[add.next_step]\nif_kept = "nothing"\n'), "add.next_step.if_kept"),
        (
            ("[signals.draft_follows_up]", "[signals.draft_acknowledges]"),
            "signals.draft_acknowledges",
        ),
    ],
)
def test_a_broken_rewrite_file_names_the_field(
    rules_dir: Path, change: tuple[str, str], field: str
) -> None:
    (rules_dir / "ownership.soon.toml").write_text(GOOD_RULE)
    path = rules_dir / "_rewrite.toml"
    text = path.read_text()
    assert change[0] in text
    path.write_text(text.replace(*change, 1))
    with pytest.raises(RuleFileError) as error:
        load_rulebook(rules_dir)
    assert error.value.path == path
    assert error.value.field == field


def test_the_rewrites_own_signals_and_rewrite_moves_load() -> None:
    rulebook = load_rulebook(BUNDLED)
    assert "draft_offers_alternative" in rulebook.signals
    assert rulebook.rule("ownership.deflection").rewrite_moves == ("handoff",)


def test_invalid_toml_names_the_file(rules_dir: Path) -> None:
    path = rules_dir / "respect.bad.toml"
    path.write_text('kind = "existence\n')
    with pytest.raises(RuleFileError, match=r"respect\.bad\.toml: not valid TOML"):
        load_rulebook(rules_dir)


def test_swap_values_must_be_strings(rules_dir: Path) -> None:
    path = rules_dir / "respect.swap.toml"
    path.write_text(
        'kind = "substitution"\ndimension = "respect"\nmessage = "m"\nfix = "f"\n'
        '[swap]\n"nope" = "I\'m afraid not"\nflag = ["Nope."]\n'
    )
    with pytest.raises(RuleFileError) as error:
        load_rulebook(rules_dir)
    assert error.value.field == "swap.flag"


def test_missing_signals_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match=r"_signals\.toml: file not found"):
        load_rulebook(tmp_path)


def test_no_rules_is_an_error(rules_dir: Path) -> None:
    with pytest.raises(RuleFileError, match="no rule files"):
        load_rulebook(rules_dir)


def test_prefilter_literals_are_cached_between_runs(tmp_path: Path) -> None:
    from nudgebot.engine.rules import _regex_literals

    _regex_literals._memo.clear()
    _regex_literals._unsaved = False
    first = load_rulebook(BUNDLED, cache_dir=tmp_path)
    cached = list(tmp_path.glob("literals-*.json"))
    assert len(cached) == 1 and cached[0].stat().st_size > 1000
    _regex_literals._memo.clear()
    second = load_rulebook(BUNDLED, cache_dir=tmp_path)
    assert [a.literals for a in second.rules[0].pattern.alternatives] == [  # type: ignore[union-attr]
        a.literals
        for a in first.rules[0].pattern.alternatives  # type: ignore[union-attr]
    ]


def test_a_damaged_cache_is_rebuilt(tmp_path: Path) -> None:
    from nudgebot.engine.rules import _regex_literals

    (tmp_path / f"literals-{_regex_literals._FORMAT}.json").write_text("{not json")
    _regex_literals._memo.clear()
    assert load_rulebook(BUNDLED, cache_dir=tmp_path).rules


@pytest.mark.parametrize(
    "same",
    [
        'same = "no_such_signal"\npatterns = ["try (?P<step>restart)"]',
        'same = "customer_tried"\npatterns = ["try restart"]',  # no step group to compare
        'same = "customer_tried"\nany = ["customer_upset"]',  # no patterns at all
    ],
)
def test_a_same_signal_must_name_steps_on_both_sides(rules_dir: Path, same: str) -> None:
    (rules_dir / "ownership.soon.toml").write_text(GOOD_RULE)
    signals = rules_dir / "_signals.toml"
    signals.write_text(signals.read_text() + f'\n[signals.asks_again]\nin = "draft"\n{same}\n')
    with pytest.raises(RuleFileError) as error:
        load_rulebook(rules_dir)
    assert error.value.field == "signals.asks_again.same"
