"""The ``nudgebot`` command: check, eval, demo, rules, report, tips, export-labels, purge, serve.

A thin dispatcher: it parses arguments, loads :class:`~nudgebot.config.Settings` once and
hands both to a ``run_*`` function of :mod:`nudgebot.commands`. Every error a user can cause
is one line on stderr and exit status 2; nothing prints a traceback. The JSON path of
``nudgebot check`` imports neither ``rich``, ``asyncio`` nor ``importlib.metadata``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from nudgebot import commands, learning_commands
from nudgebot.commands import ENGINES, fail, one_line
from nudgebot.config import Settings, SettingsError
from nudgebot.engine import DraftError
from nudgebot.engine.rules import RuleFileError
from nudgebot.evaluation import CaseError

__all__ = ["build_parser", "main"]

Handler = Callable[[argparse.Namespace, Settings], int]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"nudgebot: {one_line(message)} (see {self.prog} --help)\n")


class _Version(argparse.Action):
    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        kwargs.update(nargs=0, default=argparse.SUPPRESS)
        super().__init__(option_strings, argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from nudgebot import __version__  # importlib.metadata only when asked

        print(f"nudgebot {__version__}")
        parser.exit(0)


def _directory(text: str) -> Path:
    path = Path(text).expanduser()
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"no such directory: {text}")
    return path


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {text}")
    return port


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the ``nudgebot`` command and its subcommands."""
    parser = _Parser(
        prog="nudgebot",
        description="Coach customer-support replies against REAL (Respect, Empathy, Adaptable, "
        "Learn) plus Ownership, and suggest a warmer reply.",
        epilog="Run 'nudgebot COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, summary: str, text: str, handler: Handler) -> argparse.ArgumentParser:
        child = sub.add_parser(
            name,
            help=summary,
            description=text,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        child.set_defaults(handler=handler, parser=child)
        return child

    check = command(
        "check",
        "review one draft (or a JSON Lines batch)",
        "Review a reply draft and suggest a warmer one.\n\n"
        "The draft is the argument, or standard input when it is '-' or absent.\n"
        "--thread FILE gives the conversation before the draft: a JSON list (or JSON Lines)\n"
        'of {"role": "customer"|"agent", "text"}, oldest first.\n'
        "With --batch, each input line is a JSON object with 'draft' and optional 'id',\n"
        "'customer' and 'thread'; each output line is the result for that line, in order, echoing\n"
        '\'id\'. A bad line gives {"id", "line", "error"} in its place and a message on\n'
        "stderr; the exit status is then 2 (0 when every line was reviewed).\n\n"
        "examples:\n"
        '  nudgebot check --customer "Where is my parcel?" "It\'ll arrive soon."\n'
        "  pbpaste | nudgebot check --format json -\n"
        "  nudgebot check --batch drafts.jsonl > reviews.jsonl",
        commands.run_check,
    )
    check.add_argument("draft", nargs="*", metavar="DRAFT", help="the reply draft, or '-'")
    check.add_argument("--customer", metavar="TEXT", help="the customer's last message")
    check.add_argument(
        "--thread", metavar="FILE", help="the conversation before the draft (JSON turns)"
    )
    check.add_argument(
        "--engine", choices=ENGINES, help="who reviews (default: $NUDGEBOT_ENGINE, else auto)"
    )
    check.add_argument("--format", choices=("text", "json"), default="text", help="default: text")
    check.add_argument("--batch", metavar="FILE", help="review JSON Lines from FILE ('-': stdin)")

    evaluate = command(
        "eval",
        "measure the engine on a labelled JSON Lines file",
        "Review every case of a labelled file (the format of shared/eval/dev.jsonl) and\n"
        "print needs_nudge precision, recall and F1, the false-nudge rate on good replies,\n"
        "recall per dimension, and how many suggestions keep every fact and pass their\n"
        "own re-check. A line that cannot be read stops the run with a message naming it\n"
        "(exit status 2).\n\n"
        "example:\n  nudgebot eval ../shared/eval/dev.jsonl --engine rules --show-failures",
        commands.run_eval,
    )
    evaluate.add_argument("file", metavar="FILE.jsonl", help="labelled cases ('-': stdin)")
    evaluate.add_argument(
        "--engine", choices=ENGINES, help="who reviews (default: $NUDGEBOT_ENGINE, else auto)"
    )
    evaluate.add_argument(
        "--format", choices=("text", "json"), default="text", help="default: text"
    )
    evaluate.add_argument(
        "--show-failures", action="store_true", help="list the cases the engine got wrong"
    )

    command(
        "demo",
        "replay a short support conversation through the engine",
        "Replay a bundled support conversation through the rules (no model, no network)\n"
        "and show each review.\n\nexample:\n  nudgebot demo",
        commands.run_demo,
    )

    rules = command(
        "rules",
        "list the rules, test them, see what their nudges earn, turn them on or off",
        "list: each rule's id, kind, dimension, cost and what it is about.\n"
        "test: run every rule on its own 'flag' and 'pass' examples; exit 1 if any fails,\n"
        "2 if a rule file is broken. Run it after editing a rule.\n"
        "stats: each rule's live nudges, helpful / not helpful votes, acted on and muted\n"
        "after, and its state (auto, quiet, on, off), over the last --days (default: the\n"
        "quiet policy's 30), in one --team or every team; from $DATABASE_URL.\n"
        "off RULE --team T: stop RULE nudging live in that team (it still counts in scores\n"
        "and shows when an agent asks); on: keep it nudging whatever the feedback; auto: let\n"
        "the team's feedback decide again. Recorded as made by 'cli', with --why.\n\n"
        "examples:\n  nudgebot rules list\n  nudgebot rules test --dir my-rules/\n"
        "  nudgebot rules stats --team T0123 --days 30 --format json\n"
        '  nudgebot rules off respect.curt --team T0123 --why "our tone is short on purpose"',
        commands.run_rules,
    )
    rules.add_argument(
        "action",
        nargs="?",
        choices=("list", "test", "stats", "on", "off", "auto"),
        default="list",
    )
    rules.add_argument("--dir", type=_directory, help="folder of rule files (default: bundled)")
    learning_commands.rules_learning_arguments(rules)

    report = command(
        "report",
        "a lead's review of the team's replies over a period",
        "Review the stored reviews of a period: replies reviewed, the five scores and their\n"
        "change against the period before, the most frequent issues with an anonymised\n"
        "example, the best reply, nudge acceptance, a row per agent and a daily trend;\n"
        "then what the team's reactions say: the rules found most and least helpful, rules\n"
        "that don't nudge live and who changed them, leads' agreement with the findings,\n"
        "and the customer's next message after nudges acted on or not (JSON: 'rules',\n"
        "'agreement', 'outcomes', 'quieted', 'changes'). --team narrows to one workspace.\n"
        "Without --channel or --user it covers every stored reply. The period is the last\n"
        "7 days unless --days or --since says otherwise.\n\n"
        "examples:\n  nudgebot report --channel C0123SUPPORT --days 7\n"
        "  nudgebot report --user U0456 --since 2026-11-01 --format csv > agent.csv",
        commands.run_report,
    )
    commands.report_arguments(report)

    tips = command(
        "tips",
        "preview the daily tip a channel would get",
        "Show the daily tip a channel would be posted on a day (default: today in the\n"
        "channel's time zone), worked out as the scheduler would: the channel's past\n"
        "deliveries and the previous day's reviews from $DATABASE_URL. Nothing is posted\n"
        "or recorded.\n\n"
        "examples:\n  nudgebot tips preview --channel C0123SUPPORT\n"
        "  nudgebot tips preview --channel C0123SUPPORT --date 2026-11-24 --format json",
        commands.run_tips,
    )
    commands.tips_arguments(tips)

    export = command(
        "export-labels",
        "write leads' verdicts and agents' votes as labelled cases",
        "Write the leads' verdicts from the conversation scorecard (agree / disagree with a\n"
        "finding, a reply the bot missed) and agents' helpful / not helpful votes on nudges\n"
        "as labelled cases, one JSON object a line, in the format of shared/eval/real-dev.jsonl\n"
        "(id, thread, draft, needs_nudge, dimensions...): 'nudgebot eval' reads them back, and\n"
        "the fitted confidences can be refitted on them. Only replies whose words are still\n"
        "kept (see 'nudgebot purge') are written. A lead's verdict wins over an agent's vote.\n"
        "The period is the last 30 days unless --days or --since says otherwise.\n\n"
        "examples:\n  nudgebot export-labels --out team-labels.jsonl\n"
        "  nudgebot export-labels --team T0123 --since 2026-11-01 --until 2026-11-30\n"
        "  nudgebot export-labels --days 7 | nudgebot eval - --engine rules",
        learning_commands.run_export_labels,
    )
    learning_commands.export_labels_arguments(export)

    purge = command(
        "purge",
        "drop old message text, or forget a user",
        "Drop the words (the reply, the customer's message, the quoted findings) of reviews\n"
        "older than the retention period; scores and rule ids stay for reports. A running\n"
        "bot does this every few hours by itself. With --user, forget that person instead:\n"
        "their replies lose their words and their name, their settings and feedback go,\n"
        "and so do their verdicts as a lead (rule changes they made then say 'a lead').\n"
        "Leads' verdicts lose the words of the reply they judged with the same retention.\n\n"
        "examples:\n  nudgebot purge\n  nudgebot purge --days 7\n  nudgebot purge --user U0456",
        commands.run_purge,
    )
    commands.purge_arguments(purge)

    serve = command(
        "serve",
        "run the bot: Slack (Socket Mode, or --http), Teams (--teams), or both",
        "Run the bot until interrupted.\n\n"
        "By default it connects to Slack over Socket Mode (no public URL needed): set\n"
        "SLACK_BOT_TOKEN (xoxb-...) and SLACK_APP_TOKEN (xapp-...). With --http it serves\n"
        "Slack's Events API at /slack/events (and GET /healthz) with uvicorn: set\n"
        "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET. With --teams it serves the Teams bot at\n"
        "/api/messages: set TEAMS_CLIENT_ID, TEAMS_CLIENT_SECRET and TEAMS_TENANT_ID (or\n"
        "NUDGEBOT_TEAMS_DEV_NO_AUTH=true for local development). --http --teams serves both\n"
        "on one port. See .env.example, slack-app-manifest.json and teams-app/.\n\n"
        "examples:\n  nudgebot serve\n  nudgebot serve --http --port 3000\n"
        "  nudgebot serve --teams --port 3978\n  nudgebot serve --http --teams",
        commands.run_serve,
    )
    serve.add_argument("--http", action="store_true", help="serve Slack's Events API over HTTP")
    serve.add_argument("--teams", action="store_true", help="serve the Teams bot (over HTTP)")
    serve.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=3000, help="port (default: 3000)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit status (the console script exits with it)."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.error(
                "choose a command: check, eval, demo, export-labels, purge, report, rules, "
                "serve or tips"
            )
        handler: Handler = args.handler
        status = handler(args, Settings.load())
        sys.stdout.flush()
        return status
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 2)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 1
    except (DraftError, SettingsError, RuleFileError, CaseError) as error:
        return fail(str(error))
    except UnicodeDecodeError:
        return fail("the input is not UTF-8 text")
    except OSError as error:  # a missing or unreadable file
        if error.filename is not None:
            return fail(f"{error.filename}: {error.strerror or error}")
        return fail(str(error))


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so Python's exit flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
