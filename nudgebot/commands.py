"""What each ``nudgebot`` subcommand does, once :mod:`nudgebot.cli` has parsed its arguments.

Each ``run_*`` function takes the parsed arguments and the settings and returns an exit status.
Imports that cost time (``rich``, ``asyncio``, ``tomllib``) happen inside the functions that
need them, so ``nudgebot check --format json`` starts fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO

from nudgebot.arguments import day, identifier, keep_days
from nudgebot.config import Settings
from nudgebot.engine import DraftError, ReviewEngine
from nudgebot.engine.rules import Rulebook, load_rulebook, prompts_dir
from nudgebot.models import Draft, Review, ThreadError, Turn, thread_from_data

__all__ = [
    "ENGINES",
    "Reviewer",
    "batch_record",
    "fail",
    "one_line",
    "open_store",
    "purge_arguments",
    "report_arguments",
    "run_batch",
    "run_check",
    "run_demo",
    "run_eval",
    "run_purge",
    "run_report",
    "run_rules",
    "run_serve",
    "run_tips",
    "slack_settings_problem",
    "tips_arguments",
]

ENGINES = ("auto", "rules", "llm")


def fail(message: str, status: int = 2) -> int:
    """Print ``nudgebot: message`` as one line on stderr and return ``status``."""
    print(f"nudgebot: {one_line(message)}", file=sys.stderr)
    return status


def one_line(message: str) -> str:
    """Return ``message`` with every run of whitespace (newlines too) made one space."""
    return " ".join(message.split())


class Reviewer:
    """The engine as a plain function of a draft, whatever engine was chosen.

    The rules answer synchronously (without importing ``asyncio``); ``llm``, or ``auto`` once a
    model is configured, goes through the async :meth:`ReviewEngine.review` on one event loop.
    """

    def __init__(self, settings: Settings, choice: str | None) -> None:
        self.choice = choice or settings.engine
        self.engine = ReviewEngine.from_settings(settings, self.choice)
        self._runner: Any = None
        if self.choice == "llm" or (self.choice == "auto" and settings.llm_configured):
            import asyncio

            self._runner = asyncio.Runner()

    def __call__(self, draft: Draft) -> Review:
        """Review one draft (raises :class:`DraftError` when it cannot be reviewed)."""
        if self._runner is None:
            return self.engine.review_rules(draft)
        review: Review = self._runner.run(self.engine.review(draft, self.choice))
        return review

    @property
    def concurrent(self) -> bool:
        """True when reviews go to a model, so several cases are worth running at once."""
        return self._runner is not None

    def evaluate(self, cases: list[Any], limit: int) -> Any:
        """Evaluate ``cases`` with up to ``limit`` model reviews at once (see evaluation)."""
        from nudgebot.evaluation import evaluate_concurrently

        async def named(draft: Draft) -> Review:
            try:
                return await self.engine.review(draft, self.choice)
            except DraftError as error:
                raise DraftError(f"case {draft.id}: {error}") from None

        assert self._runner is not None
        return self._runner.run(evaluate_concurrently(cases, named, limit))

    def __enter__(self) -> Reviewer:
        return self

    def __exit__(self, *_: object) -> None:
        if self._runner is not None:
            self._runner.run(self.engine.aclose())
            self._runner.close()


def _screen(settings: Settings, file: TextIO | None = None) -> Any:
    from nudgebot.terminal import Screen

    file = file or sys.stdout
    return Screen(file, fancy=file.isatty(), no_color=settings.no_color)


# --------------------------------------------------------------------------------------------
# check
# --------------------------------------------------------------------------------------------


def run_check(args: argparse.Namespace, settings: Settings) -> int:
    """Review one draft (argument or stdin), or a JSON Lines batch with ``--batch``."""
    if args.batch is not None:
        if args.draft:
            args.parser.error("give either DRAFT or --batch, not both")
        if args.customer is not None or args.thread is not None:
            args.parser.error(
                "--customer and --thread do not apply to --batch: put them in each line"
            )
        with Reviewer(settings, args.engine) as review:
            return run_batch(args.batch, review)
    if args.draft and args.draft != ["-"]:
        text = " ".join(args.draft)
    elif not args.draft and sys.stdin.isatty():
        args.parser.error("no draft: give it as an argument, or pipe it in on stdin")
    else:
        text = sys.stdin.read().rstrip("\r\n")
    thread = read_thread_file(args) if args.thread else ()
    with Reviewer(settings, args.engine) as review:
        result = review(Draft(text=text, customer=args.customer, thread=thread))
    if args.format == "json":
        print(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        _screen(settings).review(result, text)
    return 0


def read_thread_file(args: argparse.Namespace) -> tuple[Turn, ...]:
    """Read ``--thread FILE``: a JSON list of turns, or JSON Lines of ``{"role", "text"}``."""
    parser: argparse.ArgumentParser = args.parser
    try:
        raw = Path(args.thread).read_text(encoding="utf-8").strip()
        if raw.startswith("[") or not raw:
            return thread_from_data(json.loads(raw or "[]"))
        return thread_from_data([json.loads(line) for line in raw.splitlines() if line.strip()])
    except OSError as error:
        parser.error(f"cannot read --thread {args.thread}: {error.strerror or error}")
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        parser.error(f"--thread {args.thread} is not JSON text ({error})")
    except ThreadError as error:
        parser.error(f"--thread {args.thread}: {error}")


def run_batch(source: str, review: Callable[[Draft], Review]) -> int:
    """Review each JSON Lines record of ``source`` ('-': stdin); 2 if any line was bad."""
    name = "stdin" if source == "-" else source
    bad = 0
    handle = sys.stdin if source == "-" else open(source, encoding="utf-8")  # noqa: SIM115
    try:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            record = batch_record(line, number, review)
            if "error" in record:
                bad += 1
                fail(f"line {number} of {name}: {record['error']}; skipped")
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
            sys.stdout.flush()
    finally:
        if handle is not sys.stdin:
            handle.close()
    return 2 if bad else 0


def batch_record(line: str, number: int, review: Callable[[Draft], Review]) -> dict[str, Any]:
    """Return the output record for one input line: the review, or the reason it has none."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        return {"id": None, "line": number, "error": f"not valid JSON ({error.msg})"}
    if not isinstance(data, dict):
        return {"id": None, "line": number, "error": "expected a JSON object with a 'draft'"}
    ident, text, customer = data.get("id"), data.get("draft"), data.get("customer")
    if not isinstance(text, str):
        return {"id": ident, "line": number, "error": "needs a string 'draft'"}
    if customer is not None and not isinstance(customer, str):
        return {"id": ident, "line": number, "error": "'customer' must be a string"}
    try:
        thread = thread_from_data(data.get("thread"))
    except ThreadError as error:
        return {"id": ident, "line": number, "error": str(error)}
    draft = Draft(
        text=text, customer=customer, thread=thread, id=None if ident is None else str(ident)
    )
    try:
        result = review(draft)
    except DraftError as error:
        return {"id": ident, "line": number, "error": str(error)}
    return {"id": ident, **result.to_dict()}


# --------------------------------------------------------------------------------------------
# eval
# --------------------------------------------------------------------------------------------


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Measure the engine on a labelled file and print the figures."""
    from nudgebot.evaluation import EVAL_CONCURRENCY, parse_cases, read_cases
    from nudgebot.scorecard import eval_summary

    if args.file == "-":
        cases = list(parse_cases(sys.stdin, "stdin"))
    else:
        cases = read_cases(Path(args.file))
    with Reviewer(settings, args.engine) as review:

        def named(draft: Draft) -> Review:
            try:
                return review(draft)
            except DraftError as error:
                raise DraftError(f"case {draft.id}: {error}") from None

        if review.concurrent:
            metrics = review.evaluate(cases, min(EVAL_CONCURRENCY, settings.llm_concurrency))
        else:
            metrics = _evaluate(cases, named, settings)
        summary = eval_summary(metrics, review.choice, failures=args.show_failures)
    if args.format == "json":
        print(json.dumps(summary, ensure_ascii=False))
    else:
        _screen(settings).evaluation(summary)
    return 0


def _evaluate(cases: list[Any], review: Callable[[Draft], Review], settings: Settings) -> Any:
    from nudgebot.evaluation import evaluate

    if not (sys.stderr.isatty() and len(cases) > 50):
        return evaluate(cases, review)
    from rich.console import Console
    from rich.progress import track

    console = Console(stderr=True, no_color=settings.no_color)
    progress: Iterable[Any] = track(cases, description="Reviewing", console=console, transient=True)
    return evaluate(progress, review)


# --------------------------------------------------------------------------------------------
# demo
# --------------------------------------------------------------------------------------------


def run_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Replay the bundled conversation (``prompts/demo.toml``) through the rules."""
    path = prompts_dir(settings.prompts_dir) / "demo.toml"
    if not path.is_file():  # a custom prompts folder without a demo: use the bundled one
        path = prompts_dir() / "demo.toml"
    title, turns = load_demo(path)
    screen = _screen(settings)
    screen.text(f"nudgebot demo: {title}", "bold")
    screen.text("Each draft is reviewed by the rules engine: no model, no network.", "dim")
    nudged = 0
    with Reviewer(settings, "rules") as review:
        for number, turn in enumerate(turns, start=1):
            result = review(Draft(text=turn["draft"], customer=turn["customer"]))
            nudged += result.needs_nudge
            screen.heading(f"{number}/{len(turns)} · {turn['title']}")
            screen.exchange(turn["customer"], turn["draft"])
            screen.text()
            screen.review(result, turn["draft"], compact=True)
    screen.text()
    good = len(turns) - nudged
    screen.text(f"{len(turns)} drafts: {nudged} nudged, {good} looked good.", "bold")
    screen.text(f'Try your own: {_command_name()} check --customer "..." "your draft"', "dim")
    return 0


def _command_name() -> str:
    """How the user can type this command: ``nudgebot`` if it is on PATH, else its path."""
    import os
    import shutil

    ours = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    found = shutil.which("nudgebot")
    if ours is None or ours.name != "nudgebot" or (found and Path(found).resolve() == ours):
        return "nudgebot"
    try:
        relative = os.path.relpath(ours)
    except ValueError:  # another drive (Windows)
        return str(ours)
    return str(ours) if relative.startswith("..") else relative


def load_demo(path: Path) -> tuple[str, list[dict[str, str]]]:
    """Read the demo conversation: a title and turns of ``title``, ``customer``, ``draft``."""
    import tomllib

    from nudgebot.engine.rules import RuleFileError

    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise RuleFileError(path, None, f"not valid TOML: {error}") from None
    turns = data.get("turn")
    if not isinstance(turns, list) or not turns:
        raise RuleFileError(path, "turn", "needs at least one [[turn]]")
    for index, turn in enumerate(turns, start=1):
        if not isinstance(turn, dict) or not all(
            isinstance(turn.get(key), str) for key in ("title", "customer", "draft")
        ):
            raise RuleFileError(path, f"turn {index}", "needs strings title, customer, draft")
    return str(data.get("title", "a support conversation")), turns


# --------------------------------------------------------------------------------------------
# rules
# --------------------------------------------------------------------------------------------


def run_rules(args: argparse.Namespace, settings: Settings) -> int:
    """List the rules, run each on its own examples, or see and set what the team taught.

    ``stats``, ``on``, ``off`` and ``auto``: see
    :func:`nudgebot.learning_commands.run_rules_learning`.
    """
    from nudgebot.selftest import describe, rules_dir, run_examples

    if args.action in ("stats", "on", "off", "auto"):
        if args.dir is not None:
            args.parser.error(
                f"rules {args.action} uses the bundled rules: --dir is for list and test"
            )
        from nudgebot.learning_commands import run_rules_learning

        return run_rules_learning(args, settings)
    extra = [
        name for name in ("rule", "team", "days", "why", "database") if getattr(args, name, None)
    ]
    if extra or getattr(args, "format", "text") != "text":
        args.parser.error(
            f"rules {args.action} takes no RULE, --team, --days, --why, --format or --database"
        )

    folder = rules_dir(args.dir) if args.dir else prompts_dir(settings.prompts_dir) / "rules"
    rulebook: Rulebook = load_rulebook(folder)
    out = sys.stdout
    if args.action == "list":
        width = max(len(rule.id) for rule in rulebook.rules)
        for rule in rulebook.rules:
            cost = f"-{rule.cost}" + (" hint" if rule.level == "hint" else "")
            out.write(
                f"{rule.id:<{width}}  {rule.kind:<12} {rule.dimension:<9}  {cost:<8}  "
                f"{describe(rule)}\n"
            )
        return 0
    ran, failures = run_examples(rulebook)
    for failure in failures:
        line = f"FAIL {failure.rule}: "
        if failure.example is None:
            line += failure.problem
        else:
            line += f"{failure.expected} example {failure.problem}: “{failure.example.draft}”"
            if failure.example.customer:
                line += f" (customer: “{failure.example.customer}”)"
        out.write(one_line(line) + "\n")
    count = len(rulebook.rules)
    if failures:
        out.write(f"{len(failures)} failure(s) in {count} rules ({ran} examples) in {folder}\n")
        return 1
    out.write(f"ok: {count} rules, {ran} examples, all as expected ({folder})\n")
    return 0


# --------------------------------------------------------------------------------------------
# purge
# --------------------------------------------------------------------------------------------


def purge_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``nudgebot purge`` to its subparser."""
    add = parser.add_argument
    add(
        "--days",
        type=keep_days,
        metavar="N",
        help="keep message text N days (default: $NUDGEBOT_RETENTION_DAYS, else 30)",
    )
    add(
        "--user",
        action="append",
        default=[],
        type=identifier,
        metavar="U",
        help="instead, forget this user entirely (repeat for more)",
    )
    add("--database", metavar="URL", help="default: $DATABASE_URL, else sqlite:///nudgebot.db")


def run_purge(args: argparse.Namespace, settings: Settings) -> int:
    """Drop message text past the retention period, or forget the users named."""
    import asyncio

    from nudgebot.storage import StorageError

    users = [user for user in args.user if user]
    days = settings.retention_days if args.days is None else args.days

    async def purge() -> list[str]:
        store = await open_store(args.database or settings.database_url)
        try:
            if users:
                said = []
                for user in users:
                    touched = await store.forget(user)
                    said.append(f"{user}: forgotten ({touched} row(s) changed or deleted)")
                return said
            changed = await store.purge(retention_days=days)
            return [f"dropped the words of {changed} review(s) older than {days} days"]
        finally:
            await store.close()

    try:
        lines = asyncio.run(purge())
    except StorageError as error:
        return fail(str(error))
    for line in lines:
        print(line)
    return 0


# --------------------------------------------------------------------------------------------
# serve
# --------------------------------------------------------------------------------------------


def slack_settings_problem(settings: Settings, http: bool) -> str | None:
    """Say everything missing or malformed for serving Slack, in one line (None: all set)."""
    from nudgebot.startup import slack_settings_problems

    return "; ".join(slack_settings_problems(settings, http)) or None


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Run the bot: Slack over Socket Mode, or over HTTP (``--http``), with Teams (``--teams``).

    ``--teams`` alone serves Teams; with ``--http`` too, Slack and Teams share one server,
    one event loop and one database.
    """
    from nudgebot.startup import slack_settings_problems

    slack = args.http or not args.teams
    problems = slack_settings_problems(settings, args.http) if slack else []
    if args.teams:
        from nudgebot.adapters.teams.app import teams_settings_problem

        teams_problem = teams_settings_problem(settings)
        if teams_problem is not None:
            problems.append(teams_problem)
    if problems:  # every one at once, not one per try
        return fail(f"{'; '.join(problems)}; see .env.example")
    import asyncio

    from nudgebot.adapters.router import Router, http_server
    from nudgebot.adapters.slack.app import build_app
    from nudgebot.adapters.slack.server import asgi_app
    from nudgebot.adapters.slack.state import SlackState
    from nudgebot.coach import Coach
    from nudgebot.logs import setup_logging
    from nudgebot.storage.lazy import Database
    from nudgebot.tips import TipFileError, TipLibrary

    if slack:  # before logging is set up: a refused token is one line, nothing else
        from nudgebot.startup import slack_credential_problems

        refused = asyncio.run(slack_credential_problems(settings, socket_mode=not args.http))
        if refused:
            return fail("; ".join(refused))
    setup_logging(settings)
    engine = ReviewEngine.from_settings(settings)
    try:
        tips = TipLibrary.load(settings.prompts_dir)
    except TipFileError as error:
        return fail(str(error))
    llm = engine.llm  # the coach shares its model client and circuit breaker
    coach = Coach(
        tips,
        client=llm.client if llm else None,
        prompts_dir=settings.prompts_dir,
        breaker=llm.breaker if llm else None,
    )
    database = Database(settings.database_url)
    router = Router(metrics=settings.metrics)
    if slack:
        state = SlackState(
            database=database, watch=settings.watch_channels, lease=settings.lease_seconds
        )
        app = build_app(settings, engine, state=state, coach=coach, tips=tips)
        if not args.http:
            asyncio.run(_socket_mode(app, settings.slack_app_token or "", database))
            return 0
        asgi_app(app, router)
    if args.teams:
        from nudgebot.adapters.teams.team_commands import mount_teams

        teams = mount_teams(router, settings, engine, database, coach=coach, tips=tips)
        from nudgebot.startup import teams_credential_problem

        refused_teams = asyncio.run(teams_credential_problem(teams))
        if refused_teams is not None:
            return fail(refused_teams)
        if not args.http:  # with Slack, its mount asks the same database already
            router.readiness.append(database.ready)
    router.on_shutdown.append(database.close)
    http_server(router, args.host, args.port).run()
    return 0


async def _socket_mode(app: Any, app_token: str, database: Any) -> None:
    from nudgebot.adapters.slack.server import serve_socket_mode

    try:
        await serve_socket_mode(app, app_token)
    finally:
        await database.close()


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------


def report_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``nudgebot report`` to its subparser."""
    from datetime import tzinfo

    def count(text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number of days: {text}") from None

    def zone(text: str) -> tzinfo:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # only when asked: it is not free

        try:
            return ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            raise argparse.ArgumentTypeError(f"not a time zone: {text}") from None

    add = parser.add_argument
    add(
        "--channel",
        action="append",
        default=[],
        type=identifier,
        metavar="C",
        help="a channel id (repeat for more)",
    )
    add(
        "--user",
        action="append",
        default=[],
        type=identifier,
        metavar="U",
        help="an agent's user id (repeat for more)",
    )
    period = parser.add_mutually_exclusive_group()
    period.add_argument("--days", type=count, metavar="N", help="the last N days (default: 7)")
    period.add_argument("--since", type=day, metavar="YYYY-MM-DD", help="from that day to now")
    add("--format", choices=("text", "csv", "json"), default="text", help="default: text")
    add("--database", metavar="URL", help="default: $DATABASE_URL, else sqlite:///nudgebot.db")
    add("--chart", metavar="FILE.png", help="also write the daily trend as a PNG chart")
    add(
        "--team",
        type=identifier,
        metavar="T",
        help="one Slack workspace or Teams tenant id (default: every one)",
    )
    add(
        "--tz",
        type=zone,
        metavar="ZONE",
        help="count days in ZONE, e.g. Europe/London (default: UTC)",
    )


async def open_store(url: str) -> Any:
    """Open the store at ``url`` (the seam tests replace with a fake)."""
    from nudgebot.storage import Store

    return await Store.open(url)


def _learning_of(store: Any, settings: Settings) -> Any:
    """Return the :class:`~nudgebot.storage.learning.Learning` of a real store (None: a fake)."""
    from nudgebot.storage import Store
    from nudgebot.storage.learning import Learning

    return Learning(store, settings.quiet_policy) if isinstance(store, Store) else None


def run_report(args: argparse.Namespace, settings: Settings) -> int:
    """Print a lead's review of a period: text, CSV (per agent and per day) or JSON.

    The store aggregates the period in SQL (:func:`~nudgebot.reports.load_report`): no review
    is read back row by row.
    """
    import asyncio
    from datetime import UTC, datetime

    from nudgebot.reports import (
        Report,
        load_report,
        report_csv,
        report_text,
        review_query,
        rule_labels,
        trend_chart_png,
    )
    from nudgebot.storage import StorageError

    try:
        query = review_query(
            now=datetime.now(UTC),
            days=args.days,
            since=args.since,
            channels=[c for c in args.channel if c],
            users=[u for u in args.user if u],
            tz=args.tz or UTC,
        )
    except ValueError as error:
        return fail(str(error))

    labels = rule_labels(load_rulebook(prompts_dir(settings.prompts_dir) / "rules").rules)

    async def load(url: str) -> Report:
        store = await open_store(url)
        try:
            learning = _learning_of(store, settings)
            return await load_report(store, query, labels=labels, team=args.team, learning=learning)
        finally:
            await store.close()

    try:
        report = asyncio.run(load(args.database or settings.database_url))
    except StorageError as error:
        return fail(str(error))
    if args.chart:
        png = trend_chart_png(report)
        if png is None:
            fail("no chart: it needs replies on at least 2 days", 0)
        else:
            Path(args.chart).write_bytes(png)
    if args.format == "json":
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    elif args.format == "csv":
        sys.stdout.write(report_csv(report))
    else:
        sys.stdout.write(report_text(report))
    return 0


# --------------------------------------------------------------------------------------------
# tips
# --------------------------------------------------------------------------------------------


def tips_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``nudgebot tips`` to its subparser."""

    def zone(text: str) -> str:
        from nudgebot.scheduler import parse_timezone

        try:
            return parse_timezone(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    add = parser.add_argument
    add("action", nargs="?", choices=("preview",), default="preview")
    add("--channel", required=True, metavar="C", type=identifier)
    add("--date", type=day, metavar="YYYY-MM-DD", help="default: today in the channel's zone")
    add("--timezone", type=zone, metavar="ZONE", help="default: the subscription's, else UTC")
    add("--format", choices=("text", "json"), default="text", help="default: text")
    add("--database", metavar="URL", help="default: $DATABASE_URL, else sqlite:///nudgebot.db")


def run_tips(args: argparse.Namespace, settings: Settings) -> int:
    """Preview the daily tip a channel would get: the tip, why, and the message."""
    import asyncio
    from datetime import UTC, datetime

    from nudgebot.tips import TipFileError, TipLibrary

    try:
        library = TipLibrary.load(settings.prompts_dir)
    except TipFileError as error:
        return fail(str(error))
    storage_error: type[Exception] | None = None
    try:
        from nudgebot.storage import StorageError

        storage_error = StorageError
    except ImportError:  # storage's dependencies are not installed: preview a first day
        pass
    stored = storage_error is not None
    url = (args.database or settings.database_url) if stored else None
    try:
        preview = asyncio.run(_tips_preview(library, args, url, datetime.now(UTC)))
    except ValueError as error:
        return fail(str(error))
    except Exception as error:
        if storage_error is not None and isinstance(error, storage_error):
            return fail(str(error))
        raise
    if args.format == "json":
        print(json.dumps(_preview_dict(preview, stored), ensure_ascii=False))
    else:
        sys.stdout.write(_preview_text(preview, stored))
    return 0


async def _tips_preview(library: Any, args: argparse.Namespace, url: str | None, now: Any) -> Any:
    from nudgebot.scheduler import preview_tip

    if url is None:
        return await preview_tip(
            None, library, args.channel, now=now, day=args.date, timezone=args.timezone
        )
    store = await open_store(url)
    try:
        return await preview_tip(
            store, library, args.channel, now=now, day=args.date, timezone=args.timezone
        )
    finally:
        await store.close()


def _preview_dict(preview: Any, stored: bool) -> dict[str, Any]:
    from nudgebot.scheduler import describe_schedule

    plan, weak, sub = preview.plan, preview.weak_spot, preview.subscription
    return {
        "channel": preview.channel,
        "day": preview.day.isoformat(),
        "timezone": preview.timezone,
        "storage": stored,
        "subscribed": sub is not None,
        "schedule": describe_schedule(sub) if sub is not None else None,
        "skipped": preview.skipped,
        "delivered": preview.delivered,
        "history": preview.history,
        "reviewed_yesterday": preview.reviewed,
        "weak_spot": None
        if weak is None
        else {
            "dimension": weak.dimension,
            "rule": weak.rule,
            "replies": weak.replies,
            "nudged": weak.nudged,
            "intro": weak.intro,
            "addressed": plan.weak_spot is not None,
        },
        "tip": {
            "id": plan.tip.id,
            "dimension": plan.tip.dimension,
            "idea": plan.tip.idea,
            "text": plan.tip.text,
        },
        "message": plan.message,
    }


def _preview_text(preview: Any, stored: bool) -> str:
    from nudgebot.scheduler import describe_schedule

    plan, weak, sub = preview.plan, preview.weak_spot, preview.subscription
    lines = [f"Daily tip for {preview.channel} on {preview.day:%A %Y-%m-%d} ({preview.timezone})"]
    if not stored:
        lines.append("storage is not available: previewing with no history and no reviews")
    elif sub is None:
        lines.append("not subscribed ('/nudge tips on' in the channel subscribes it)")
    else:
        lines.append(f"subscribed: {describe_schedule(sub)}")
    if preview.skipped:
        lines.append("weekdays only: no tip on that day")
    if preview.delivered is not None:
        lines.append(f"already delivered for that day: {preview.delivered}")
    if stored:
        lines.append(f"history: {preview.history} tip(s) delivered before that day")
        if weak is not None:
            addressed = "addressed" if plan.weak_spot is not None else "no unused tip fits it"
            lines.append(f"weak spot yesterday: {weak.intro} ({weak.dimension}; {addressed})")
        else:
            lines.append(f"no clear weak spot yesterday ({preview.reviewed} replies reviewed)")
    tip = plan.tip
    lines += [f"tip: {tip.id} ({tip.dimension}, {tip.idea})", "", plan.message, ""]
    return "\n".join(lines)
