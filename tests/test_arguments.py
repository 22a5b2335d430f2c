"""Bounded command-line values, and the commands that take them: one line, exit status 2."""

from __future__ import annotations

import argparse
from datetime import date

import pytest

from nudgebot import cli
from nudgebot.arguments import MAX_KEEP_DAYS, day, identifier, keep_days


def test_values_in_range_are_read() -> None:
    assert day(" 2026-11-01 ") == date(2026, 11, 1)
    assert keep_days("0") == 0 and keep_days(str(MAX_KEEP_DAYS)) == MAX_KEEP_DAYS
    assert identifier(" @U0456 ") == "U0456" and identifier("#C0123") == "C0123"


@pytest.mark.parametrize(
    ("parse", "text"),
    [
        (day, "0001-01-01"),
        (day, "9999-12-31"),
        (day, "2026-02-30"),
        (day, "yesterday"),
        (keep_days, "-1"),
        (keep_days, str(MAX_KEEP_DAYS + 1)),
        (keep_days, "9" * 30),
        (identifier, ""),
        (identifier, "  @ "),
        (identifier, "#"),
        (identifier, "U" * 65),
        (identifier, "U1 U2"),
        (identifier, "U1\x00"),
    ],
)
def test_values_out_of_range_are_refused_with_a_reason(parse: object, text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        parse(text)  # type: ignore[operator]
    assert str(refused.value) and "\n" not in str(refused.value)


@pytest.mark.parametrize(
    "argv",
    [
        ["purge", "--user", ""],
        ["purge", "--user", "U1", "--user", " "],
        ["purge", "--days", "99999999999999"],
        ["report", "--since", "0001-01-01"],
        ["report", "--user", ""],
        ["report", "--channel", "#"],
        ["tips", "preview", "--channel", "C1", "--date", "0001-01-01"],
    ],
)
def test_a_bad_value_is_a_usage_error_on_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # Nothing is touched: the database named does not even exist.
    status = cli.main([*argv, "--database", "sqlite:////nonexistent/dir/never.db"])
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert err.startswith("nudgebot: ") and err.count("\n") == 1 and "Traceback" not in err
