"""``nudgebot rules stats|on|off|auto`` and ``nudgebot export-labels``: learning from the team.

Like :mod:`nudgebot.commands`, each ``run_*`` takes the parsed arguments and the settings and
returns an exit status; a bad value is one line on stderr and status 2. The database is
``--database``, else ``$DATABASE_URL``; the quiet policy is the settings'
(``NUDGEBOT_QUIET_MIN_VOTES`` / ``_SHARE`` / ``_DAYS``).

- ``rules stats``: each rule's live nudges, votes, acted on and state over the last N days (the
  policy's days unless ``--days``), in one team or every team, as text or JSON.
- ``rules off|on|auto RULE --team T [--why ...]``: a lead's change from the command line,
  recorded as made by ``cli``.
- ``export-labels``: the leads' verdicts (and agents' votes) as labelled cases in the format
  of ``real-dev.jsonl``, one JSON object a line, which ``nudgebot eval`` reads back.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from nudgebot.arguments import day
from nudgebot.config import Settings
from nudgebot.learning import MODES, RuleState

__all__ = [
    "CLI_LEAD",
    "EXPORT_DAYS",
    "export_labels_arguments",
    "rules_learning_arguments",
    "run_export_labels",
    "run_rules_learning",
]

CLI_LEAD = "cli"
"""Who a change made with ``nudgebot rules off|on|auto`` is recorded as made by."""
EXPORT_DAYS = 30
"""``export-labels`` covers this many days unless told otherwise (the default retention)."""
MAX_DAYS = 365


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of days: {text}") from None
    if not 1 <= days <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"pick 1 to {MAX_DAYS} days, not {text}")
    return days


def _team(text: str) -> str:
    team = text.strip()
    if not team or len(team) > 100 or any(c.isspace() for c in team):
        raise argparse.ArgumentTypeError(f"not a team or tenant id: {text[:40]!r}")
    return team


def rules_learning_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``nudgebot rules stats|on|off|auto`` to the ``rules`` subparser."""
    add = parser.add_argument
    add("rule", nargs="?", metavar="RULE", help="with on, off or auto: the rule id (or its end)")
    add("--team", type=_team, metavar="T", help="the Slack workspace or Teams tenant id")
    add("--days", type=_days, metavar="N", help="stats over the last N days (default: 30)")
    add("--why", metavar="TEXT", help="with on, off or auto: the reason, kept with the change")
    add("--format", choices=("text", "json"), default="text", help="stats: text or json")
    add("--database", metavar="URL", help="default: $DATABASE_URL, else sqlite:///nudgebot.db")


def _fail(message: str) -> int:
    from nudgebot.commands import fail

    return fail(message)


def run_rules_learning(args: argparse.Namespace, settings: Settings) -> int:
    """Run ``rules stats`` (figures and states) or ``rules on|off|auto RULE --team T``."""
    import asyncio

    from nudgebot.engine.rules import load_rulebook, prompts_dir
    from nudgebot.learning import RulesCommandError, resolve_rule
    from nudgebot.reports import rule_labels
    from nudgebot.storage import StorageError

    rulebook = load_rulebook(prompts_dir(settings.prompts_dir) / "rules")
    url = args.database or settings.database_url
    if args.action == "stats":
        if args.rule is not None or args.why is not None:
            args.parser.error("rules stats takes no RULE and no --why")
        labels = rule_labels(rulebook.rules)
        days = args.days or settings.quiet_policy.days
        try:
            data = asyncio.run(_stats(url, settings, args.team, days, labels))
        except StorageError as error:
            return _fail(str(error))
        if args.format == "json":
            print(json.dumps(data, ensure_ascii=False))
        else:
            sys.stdout.write(_stats_text(data, settings))
        return 0
    if args.rule is None:
        args.parser.error(f"rules {args.action} needs a RULE (nudgebot rules list shows them)")
    if args.team is None:
        args.parser.error(
            f"rules {args.action} needs --team: rules are turned {args.action} per team"
        )
    if args.days is not None or args.format != "text":
        args.parser.error(f"rules {args.action} takes no --days or --format")
    try:
        rule = resolve_rule(args.rule, [r.id for r in rulebook.rules])
    except RulesCommandError as error:
        return _fail(str(error).replace("`rules` lists them", "nudgebot rules list shows them"))
    why = " ".join((args.why or "").split())[:300] or None
    try:
        state = asyncio.run(_set_mode(url, settings, args.team, rule, args.action, why))
    except StorageError as error:
        return _fail(str(error))
    live = "nudges live" if state.live else "does not nudge live"
    print(f"{rule} in {args.team}: {state.label}; it {live} now")
    return 0


async def _open(url: str, settings: Settings) -> tuple[Any, Any]:
    from nudgebot.commands import open_store
    from nudgebot.storage.learning import Learning

    store = await open_store(url)
    return store, Learning(store, settings.quiet_policy)


async def _stats(
    url: str, settings: Settings, team: str | None, days: int, labels: dict[str, str]
) -> dict[str, Any]:
    from nudgebot.learning_report import load_team_learning

    store, learning = await _open(url, settings)
    try:
        until = store.now()
        since = until - timedelta(days=days)
        part = await load_team_learning(learning, since=since, until=until, team=team)
        states = await learning.states(team) if team is not None else {}
    finally:
        await store.close()
    data = {
        "team": team,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "days": days,
        "policy": settings.quiet_policy.describe(),
        **part.to_dict(),
    }
    data["labels"] = {rule: labels[rule] for rule in sorted(part.rule_ids()) if rule in labels}
    data["states"] = {rule: state.name for rule, state in sorted(states.items())}
    return data


def _stats_text(data: dict[str, Any], settings: Settings) -> str:
    from nudgebot.learning import RuleFigures, rules_lines

    names = data["labels"]
    figures = [
        RuleFigures(
            r["rule"],
            r["dimension"],
            r["live_nudges"],
            r["helpful"],
            r["not_helpful"],
            r["acted_on"],
            r["muted_after"],
        )
        for r in data["rules"]
    ]
    states = {r["rule"]: _named_state(r["rule"], r["state"]) for r in data["rules"]}
    for rule, name in data["states"].items():
        states.setdefault(rule, _named_state(rule, name))
    where = f"team {data['team']}" if data["team"] else "every team"
    lines = [f"Rules in {where}, last {data['days']} days ({settings.quiet_policy.describe()})"]
    body = rules_lines(figures, states, names=names)
    lines += body or ["No live nudges in this period, and no rule was turned on or off."]
    if data["quieted"]:
        lines += ["", "Not nudging live:"]
        for item in data["quieted"]:
            by = item["by"] or "the team's feedback"
            why = f" ({item['why']})" if item["why"] else ""
            team = f" in {item['team']}" if not data["team"] and item["team"] else ""
            lines.append(f"  {item['rule']}{team}: {item['state']}, by {by}{why}")
    return "\n".join(lines) + "\n"


def _named_state(rule: str, name: str) -> RuleState:
    if name == "quiet":
        return RuleState(rule, "auto", True)
    for mode in MODES:
        if name == mode:
            return RuleState(rule, mode)
    return RuleState(rule)  # "mixed" over several teams: shown as auto in the line


async def _set_mode(
    url: str, settings: Settings, team: str, rule: str, mode: str, why: str | None
) -> Any:
    store, learning = await _open(url, settings)
    try:
        return await learning.set_mode(team, rule, mode, by=CLI_LEAD, why=why)
    finally:
        await store.close()


# --------------------------------------------------------------------------------------------
# export-labels
# --------------------------------------------------------------------------------------------


def export_labels_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``nudgebot export-labels`` to its subparser."""
    add = parser.add_argument
    period = parser.add_mutually_exclusive_group()
    period.add_argument("--days", type=_days, metavar="N", help="the last N days (default: 30)")
    period.add_argument("--since", type=day, metavar="YYYY-MM-DD", help="from that day (UTC)")
    add("--until", type=day, metavar="YYYY-MM-DD", help="with --since: up to and with that day")
    add("--team", type=_team, metavar="T", help="one Slack workspace or Teams tenant id")
    add("--leads-only", action="store_true", help="leave out agents' helpful/not helpful votes")
    add("--out", metavar="FILE", default="-", help="where to write ('-': stdout, the default)")
    add("--database", metavar="URL", help="default: $DATABASE_URL, else sqlite:///nudgebot.db")


def run_export_labels(args: argparse.Namespace, settings: Settings) -> int:
    """Write the period's verdicts as labelled cases, one JSON object a line."""
    import asyncio

    from nudgebot.storage import StorageError

    if args.until is not None and args.since is None:
        args.parser.error("--until goes with --since")
    if args.since is not None and args.until is not None and args.until < args.since:
        args.parser.error("--until is before --since")
    url = args.database or settings.database_url
    try:
        cases = asyncio.run(_cases(url, settings, args))
    except StorageError as error:
        return _fail(str(error))
    text = "".join(json.dumps(case, ensure_ascii=False) + "\n" for case in cases)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {len(cases)} labelled case(s) to {args.out}", file=sys.stderr)
    return 0


async def _cases(url: str, settings: Settings, args: argparse.Namespace) -> list[dict[str, Any]]:
    store, learning = await _open(url, settings)
    try:
        now = store.now()
        if args.since is not None:
            since = datetime.combine(args.since, time(0), tzinfo=UTC)
            last = args.until
            until = now if last is None else datetime.combine(last, time(0), tzinfo=UTC)
            if last is not None:
                until += timedelta(days=1)
        else:
            since, until = now - timedelta(days=args.days or EXPORT_DAYS), now
        cases: list[dict[str, Any]] = await learning.labelled_cases(
            since=since,
            until=until,
            team=args.team,
            all_teams=args.team is None,
            agents=not args.leads_only,
        )
        return cases
    finally:
        await store.close()
