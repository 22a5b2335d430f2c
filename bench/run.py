"""Speed figures for the rules engine, measured in one run on one core.

    .venv/bin/python bench/run.py        # what `make bench` runs
    python3 bench/run.py [--json] [--budget SECONDS] [--full]

Prints: reviews per second and per-draft latency over the bench corpus, a bare regex scan of
the same corpus as a baseline, how time grows with draft length, and start-up costs (the
`nudgebot check` command and loading the rules in a fresh interpreter).

Every figure is measured in this run with ``time.perf_counter_ns`` after a warm-up. The engine
is slow enough that reviewing all 5,000 drafts can take minutes, so by default it reviews the
corpus in order until its time budget is spent (the corpus is drawn at random, so any prefix is
a fair sample) and says how many drafts that was; ``--full`` reviews them all.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.corpus import (  # noqa: E402
    DEFAULT_SIZE,
    customer_for,
    draft_of_length,
    generate_corpus,
)

TYPICAL = (250, 350)
SCALING = (300, 3_000, 30_000)
STARTUP_RUNS = 5

# --------------------------------------------------------------------------------------------
# The baseline: ~300 common support phrases in one compiled alternation.

_BASE_PHRASES = """
sorry|i'm sorry|so sorry|really sorry|apologies|we apologise|we apologize|my apologies|my bad
apologise for any inconvenience|sorry for the delay|sorry for the wait|sorry about that
thank you|thanks|many thanks|thanks for your patience|thank you for your patience
thanks for flagging|thank you for letting me know|thanks for reaching out
thanks for getting in touch
i understand|i totally understand|i can understand|we understand|i appreciate|we appreciate
i can see|i can imagine|i hear you|that sounds|that must be|frustrating|stressful|annoying
disappointing|worrying|upsetting|unacceptable|not acceptable|oh no|ugh|a pain
policy|our policy|company policy|refund policy|as per|in line with|terms and conditions
terms|t&cs|rules are rules|no exceptions|standard procedure|standard process|that's how it works
that's just how|the system|our system|the system shows|system says|computer says no
the platform|automated|automatically|out of our control|out of my hands|not our fault
not our problem|nothing to do with us|not us|not my department|not our department
contact the|contact your|you'll need to|you will need to|you need to|you have to
you should have|you should|you must|you probably|you didn't|you forgot|your fault|user error
obviously|clearly|as i said|as i explained|as i already explained|like i said|as mentioned
as stated|calm down|settle down|lower your tone|watch your tone|everyone knows|it's simple
it's easy|it's really simple|refer to the faq|read the faq|read the terms|for the last time
did you even|did you read|did you check|please read|read carefully|no need to shout
soon|very soon|shortly|in due course|at some point|eventually|before long|in the near future
whenever|a while|take a while|takes a while|couldn't say|can't say|no idea|no clue|dunno
who knows|tbh|hopefully|should be fine|should be sorted|asap|as soon as possible
i'll|i will|let me|i'm going to|i am going to|i've|i have|we'll|we will|we've|we have
i'll call you|i'll email you|i'll message you|i'll update you|i'll check|i'll look into
let me look into|let me check|let me find out|i'll chase|i'll follow up|i'll get back to you
i've refunded|i've credited|i've sent|i've booked|i've rebooked|i've arranged|i've raised
i've flagged|i've escalated|i've opened|i've reset|i've added|i've cancelled|i've fixed
today|tonight|tomorrow|this morning|this afternoon|this evening|by end of day|end of day
eod|within the hour|right away|straight away|immediately|first thing|next week
monday|tuesday|wednesday|thursday|friday|saturday|sunday|working days|business days
refund|refunded|credit|credited|replacement|exchange|swap|return|returns|prepaid label
order|invoice|booking|account|password|delivery|delivered|courier|parcel|tracking
engineer|appointment|visit|collection|charge|charged twice|double charge|overcharged
can't|cannot|can not|won't|will not|unable to|not able to|not possible|not allowed
unfortunately|however|but|although|instead|alternatively|another option|what i can do
in the meantime|meanwhile|how about|happy to|i'd be happy to|feel free to|let me know
anything else|hope this helps|kind regards|best regards|regards|cheers|take care
have a great day|have a lovely day|dear customer|dear valued customer|dear sir or madam
to whom it may concern|hi there|hello|good morning|good afternoon|hey
mistakes happen|these things happen|it happens|it is what it is|nobody's perfect
from time to time|occasionally|unavoidable|to be expected|normal on any
so it doesn't happen again|won't happen again|from now on|going forward|next time
in future|root cause|your feedback|helps us improve|we'll improve|lessons learned
escalate|escalated|supervisor|manager|team lead|billing team|finance|procurement
facilities|it support|helpdesk|ticket|raise a ticket|log a ticket|open a ticket
nope|no way|not happening|hand luggage only|read the email|whatever
"""


def baseline_phrases() -> list[str]:
    """Return the baseline's phrase list (about 300 distinct lower-case phrases)."""
    seen: dict[str, None] = {}
    for line in _BASE_PHRASES.strip().splitlines():
        for phrase in line.split("|"):
            if phrase.strip():
                seen.setdefault(phrase.strip(), None)
    return list(seen)


def baseline_pattern(phrases: Sequence[str]) -> re.Pattern[str]:
    """One alternation, longest phrases first, bounded by word edges."""
    body = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"\b(?:{body})\b")


# --------------------------------------------------------------------------------------------
# Timing helpers.


def pin_to_one_core() -> str:
    """Run this process (and its children) on a single CPU where the OS allows it."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[0]})
        return f"pinned to CPU {cpus[0]}"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity)"


def percentile(values: Sequence[int], q: float) -> float:
    """Nearest-rank percentile (q in 0-100)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[rank - 1])


def time_each(
    items: Sequence[Any], work: Callable[[Any], object], budget_s: float | None, minimum: int
) -> tuple[list[int], int]:
    """Time ``work(item)`` for each item in order; return per-item ns and the loop's wall ns.

    Stops once ``budget_s`` is spent (after at least ``minimum`` items); None: no budget.
    """
    clock = time.perf_counter_ns
    gc.collect()
    times: list[int] = []
    limit = None if budget_s is None else clock() + int(budget_s * 1e9)
    started = clock()
    for item in items:
        t0 = clock()
        work(item)
        times.append(clock() - t0)
        if limit is not None and len(times) >= minimum and clock() > limit:
            break
    return times, clock() - started


def us(ns: float) -> float:
    return ns / 1_000


# --------------------------------------------------------------------------------------------
# Start-up figures (each in fresh processes).

_LOAD_SCRIPT = """
import json, time
t0 = time.perf_counter_ns()
import nudgebot.engine
import nudgebot.engine.rules as rules
t1 = time.perf_counter_ns()
book = rules.load_rulebook(rules.prompts_dir() / "rules")
t2 = time.perf_counter_ns()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "rules": len(book.rules)}))
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def cli_command() -> tuple[list[str] | None, str]:
    """The command for `nudgebot`: the venv's script, else `python -m nudgebot`."""
    venv_script = ROOT / ".venv" / "bin" / "nudgebot"
    if venv_script.exists():
        return [str(venv_script)], ".venv/bin/nudgebot"
    if (ROOT / "nudgebot" / "__main__.py").exists():
        return [sys.executable, "-m", "nudgebot"], "python -m nudgebot"
    if shutil.which("nudgebot"):
        return ["nudgebot"], "nudgebot on PATH"
    return None, "no nudgebot command yet (nudgebot/__main__.py is missing)"


def startup_cli(runs: int) -> dict[str, Any]:
    """Median wall time of `nudgebot check --format json "thanks"`, or why it is n/a."""
    command, how = cli_command()
    if command is None:
        return {"median_ms": None, "runs": 0, "command": how}
    args = [*command, "check", "--format", "json", "thanks"]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        try:
            done = subprocess.run(
                args, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return {"median_ms": None, "runs": 0, "command": how, "error": str(exc)}
        elapsed = time.perf_counter_ns() - t0
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
            return {
                "median_ms": None,
                "runs": 0,
                "command": how,
                "error": f"exit {done.returncode}: {last[:120]}",
            }
        try:
            json.loads(done.stdout)
        except ValueError:
            return {"median_ms": None, "runs": 0, "command": how, "error": "output is not JSON"}
        times.append(elapsed)
    return {"median_ms": statistics.median(times) / 1e6, "runs": runs, "command": how}


def startup_rules(runs: int) -> dict[str, Any]:
    """Import and `load_rulebook` times measured inside fresh interpreters (medians)."""
    figures: dict[str, list[int]] = {"import": [], "load": []}
    count = 0
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", _LOAD_SCRIPT],
            cwd=ROOT,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
            return {"error": last[:160]}
        data = json.loads(done.stdout.strip().splitlines()[-1])
        count = data["rules"]
        for key in figures:
            figures[key].append(data[key])
    result: dict[str, Any] = {f"{k}_ms": statistics.median(v) / 1e6 for k, v in figures.items()}
    result["rules"] = count
    result["runs"] = runs
    return result


# --------------------------------------------------------------------------------------------
# The run.


def measure(budget_s: float, full: bool, size: int) -> dict[str, Any]:
    from nudgebot.engine import ReviewEngine
    from nudgebot.models import Draft, Turn

    pinned = pin_to_one_core()
    wall0 = time.perf_counter_ns()
    corpus = generate_corpus(size)
    drafts = [Draft(text=s.text, customer=s.customer) for s in corpus]
    lowered_inputs = [s.text for s in corpus]
    engine = ReviewEngine()
    review = engine.review_rules

    # Warm-up: compiled patterns, lazy caches, the rewrite path, and the baseline pattern.
    for draft in drafts[-60:]:
        review(draft)
    phrases = baseline_phrases()
    pattern = baseline_pattern(phrases)
    for text in lowered_inputs[-200:]:
        pattern.findall(text.lower())

    # 1. The engine over the corpus (in order, until the budget is spent unless --full).
    times, wall = time_each(drafts, review, None if full else budget_s * 0.4, minimum=300)
    reviewed = len(times)
    typical = [
        t for t, d in zip(times, drafts, strict=False) if TYPICAL[0] <= len(d.text) <= TYPICAL[1]
    ]
    engine_fig = {
        "drafts": reviewed,
        "corpus": len(drafts),
        "reviews_per_s": reviewed / (wall / 1e9),
        "median_us": us(statistics.median(times)),
        "p95_us": us(percentile(times, 95)),
        "typical_drafts": len(typical),
        "typical_median_us": us(statistics.median(typical)) if typical else None,
    }

    # 2. The baseline: lower-case, then one findall, over the whole corpus.
    findall = pattern.findall
    base_times, base_wall = time_each(
        lowered_inputs, lambda text: findall(text.lower()), None, minimum=0
    )
    base_same = base_times[:reviewed]
    baseline_fig = {
        "phrases": len(phrases),
        "drafts": len(base_times),
        "median_us": us(statistics.median(base_times)),
        "median_us_same_drafts": us(statistics.median(base_same)),
        "scans_per_s": len(base_times) / (base_wall / 1e9),
        "ratio_engine_to_baseline": statistics.median(times) / statistics.median(base_same),
    }

    # 3. Linearity: distinct drafts of ~300, ~3,000 and ~30,000 characters.
    plan = {300: (400, 20, 0.10), 3_000: (60, 5, 0.15), 30_000: (12, 3, 0.20)}
    scaling: dict[str, Any] = {}
    for target in SCALING:
        most, least, share = plan[target]
        cases = [
            Draft(text=draft_of_length(target, seed=i), customer=customer_for(i))
            for i in range(most)
        ]
        if target <= 3_000:  # warm the path for this size (too slow to repeat at 30,000)
            review(cases[0])
        size_times, _ = time_each(cases[1:], review, budget_s * share, minimum=least)
        scaling[str(target)] = {
            "chars": round(statistics.mean(len(c.text) for c in cases)),
            "drafts": len(size_times),
            "median_us": us(statistics.median(size_times)),
        }
    medians = [scaling[str(t)]["median_us"] for t in SCALING]
    scaling["ratio_3000_300"] = medians[1] / medians[0]
    scaling["ratio_30000_3000"] = medians[2] / medians[1]

    # 4. The conversation as input: a ~300-character draft with a 6-turn thread before it,
    #    against the same draft with only the customer's last message (the ratio is the cost
    #    of reading the thread).
    threaded, alone = [], []
    for i in range(300):
        turns = tuple(
            Turn("customer", customer_for(i * 7 + n))
            if n % 2 == 0
            else Turn("agent", draft_of_length(160, seed=i * 7 + n))
            for n in range(6)
        )
        text = draft_of_length(300, seed=10_000 + i)
        threaded.append(Draft(text=text, thread=turns))
        alone.append(Draft(text=text, customer=turns[-2].text))
    review(threaded[0])
    thread_times, _ = time_each(threaded[1:], review, budget_s * 0.1, minimum=100)
    alone_times, _ = time_each(alone[1 : 1 + len(thread_times)], review, None, minimum=0)
    live_times, _ = time_each(
        threaded[1 : 1 + len(thread_times)],
        lambda draft: engine.review_rules(draft, live=True),
        None,
        minimum=0,
    )
    thread_fig = {
        "drafts": len(thread_times),
        "median_us_live": us(statistics.median(live_times)),
        "median_us": us(statistics.median(thread_times)),
        "p95_us": us(percentile(thread_times, 95)),
        "median_us_customer_only": us(statistics.median(alone_times)),
        "ratio_thread_to_customer_only": statistics.median(thread_times)
        / statistics.median(alone_times),
    }

    # 5. Start-up, in fresh processes.
    startup = {
        "cli": startup_cli(STARTUP_RUNS),
        "rules": startup_rules(STARTUP_RUNS),
    }

    return {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "machine": {
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "affinity": pinned,
        },
        "engine": engine_fig,
        "baseline": baseline_fig,
        "linearity": scaling,
        "thread": thread_fig,
        "startup": startup,
        "bench_seconds": (time.perf_counter_ns() - wall0) / 1e9,
    }


def _fmt(value: float | None, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}{unit}"


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def render(fig: dict[str, Any]) -> str:
    eng, base, lin, start = fig["engine"], fig["baseline"], fig["linearity"], fig["startup"]
    machine = fig["machine"]
    cli, rules = start["cli"], start["rules"]
    sample = f"{eng['drafts']:,} of {eng['corpus']:,} drafts"
    rows: list[tuple[str, str, str]] = [
        ("rules engine", "", ""),
        ("  reviews per second", _fmt(eng["reviews_per_s"], "", 1), sample),
        ("  median per draft", _fmt(eng["median_us"], " us"), "50-2,000 chars"),
        ("  p95 per draft", _fmt(eng["p95_us"], " us"), ""),
        (
            "  median, typical drafts",
            _fmt(eng["typical_median_us"], " us"),
            f"250-350 chars, {eng['typical_drafts']:,} drafts",
        ),
        ("baseline: one regex findall", "", f"{base['phrases']} phrases, lower() + findall"),
        (
            "  median per draft",
            _fmt(base["median_us"], " us", 1),
            f"all {base['drafts']:,} drafts; {_fmt(base['scans_per_s'])}/s",
        ),
        (
            "  engine / baseline",
            _fmt(base["ratio_engine_to_baseline"], "x", 1),
            f"medians over the same {eng['drafts']:,} drafts",
        ),
        ("linearity (median per draft)", "", ""),
    ]
    for target in SCALING:
        row = lin[str(target)]
        rows.append(
            (
                f"  ~{target:,} chars",
                _fmt(row["median_us"], " us"),
                f"{row['drafts']} drafts of ~{row['chars']:,} chars",
            )
        )
    rows += [
        ("  ratio 3,000 / 300", _fmt(lin["ratio_3000_300"], "x", 1), "target: <= ~10x"),
        ("  ratio 30,000 / 3,000", _fmt(lin["ratio_30000_3000"], "x", 1), "target: <= ~10x"),
        ("a ~300-char draft with a 6-turn thread", "", ""),
        (
            "  median per draft",
            _fmt(fig["thread"]["median_us"], " us"),
            f"{fig['thread']['drafts']} drafts; target <= 1,500 us",
        ),
        ("  p95 per draft", _fmt(fig["thread"]["p95_us"], " us"), ""),
        (
            "  median, live (suggestion only with a nudge)",
            _fmt(fig["thread"]["median_us_live"], " us"),
            "a watched channel: nobody asked",
        ),
        (
            "  thread / customer's message only",
            _fmt(fig["thread"]["ratio_thread_to_customer_only"], "x", 2),
            f"customer only: {_fmt(fig['thread']['median_us_customer_only'], ' us')}",
        ),
        ("startup", "", ""),
        (
            '  nudgebot check "thanks"',
            _fmt(cli["median_ms"], " ms"),
            _short(f"{cli['command']} failed: {cli['error']}")
            if cli.get("error")
            else f"median of {cli['runs']}, {cli['command']}",
        ),
    ]
    if "error" in rules:
        rows.append(("  load_rulebook (fresh)", "n/a", _short(rules["error"])))
    else:
        rows += [
            (
                "  load_rulebook (fresh)",
                _fmt(rules["load_ms"], " ms", 1),
                f"{rules['rules']} rules, median of {rules['runs']} fresh interpreters",
            ),
            (
                "  import nudgebot.engine",
                _fmt(rules["import_ms"], " ms", 1),
                "before load_rulebook, same interpreters",
            ),
        ]
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    lines = [
        f"nudgebot bench - {fig['python']} - {machine['processor']}, "
        f"{machine['cpu_count']} CPUs ({machine['affinity']}) - {machine['platform']}",
        "",
    ]
    for name, value, note in rows:
        if not value and not note:
            lines.append(name)
        else:
            lines.append(f"{name:<{width}}  {value:>{vwidth}}  {note}".rstrip())
    lines += ["", f"bench took {fig['bench_seconds']:.1f} s"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--budget",
        type=float,
        default=40.0,
        help="seconds for the timed engine runs (start-up runs come on top; default 40)",
    )
    parser.add_argument("--full", action="store_true", help="review the whole corpus")
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE, help="corpus size")
    args = parser.parse_args(argv)
    figures = measure(args.budget, args.full, args.size)
    print(json.dumps(figures, indent=2) if args.json else render(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
