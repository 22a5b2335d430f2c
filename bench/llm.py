"""Speed and size figures for the LLM path, measured against a local model that answers at once.

    .venv/bin/python bench/llm.py [--json] [--reviews N]      # `make bench-llm`

Prints:
- **overhead**: the median time of one ``ReviewEngine.review(draft, "llm")`` minus the median
  time of a bare ``openai`` client call carrying the same messages to the same local server
  (calls interleaved, one draft each, cache off). What is left is nudgebot's own work: the
  rules pass, redaction, rendering the prompt, parsing, the guard. The rules pass is also
  timed on its own, so the LLM-only share is shown too. Target: under 5 ms.
- **concurrency**: 50 reviews at once against a server that takes 500 ms per answer, wall
  time (target: under 1.5 s), beside 50 bare client calls at once as the baseline.
- **tokens** for the default prompt with a 400-character draft and a 4-turn thread, counted
  with the o200k tokenizer (``bpe-openai``, installed by ``pip install -e '.[bench]'``): the
  messages, and the JSON schema sent for structured output (compact JSON). Target: at most
  1,300 input tokens in all.

The model server is :class:`nudgebot.testing.FakeModelServer`, a real HTTP server on a local
socket; everything else is the real code.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.corpus import customer_for, draft_of_length  # noqa: E402
from nudgebot.config import Settings  # noqa: E402
from nudgebot.engine import ReviewEngine  # noqa: E402
from nudgebot.engine.llm.client import response_format  # noqa: E402
from nudgebot.engine.llm.context import hint_lines  # noqa: E402
from nudgebot.engine.llm.reviewer import LLMReviewer, PromptSet  # noqa: E402
from nudgebot.engine.pipeline import MAX_HINTS  # noqa: E402
from nudgebot.engine.rules import default_rulebook  # noqa: E402
from nudgebot.models import Draft, Turn  # noqa: E402
from nudgebot.testing import FakeModelServer  # noqa: E402

TYPICAL_CHARS = 400
THREAD_TURNS = 4
TOKEN_TARGET = 1_300
# What agents write between customer messages: a holding line, a question, a first answer.
_AGENT_TURNS = (
    "Thanks for getting in touch - I'm looking into this now and will come back to you shortly.",
    "Sorry to hear that. Could you send me the order number and the date you placed it?",
    "I've checked with the warehouse: it left us on Monday and is with the courier now.",
    "I've passed this to our billing team and asked them to confirm the charge today.",
)
CONCURRENT = 50
SLOW_SECONDS = 0.5


def _settings(url: str) -> Settings:
    return Settings(
        openai_api_key="fake-key", openai_base_url=url, model="fake", llm_cache_size=0,
        llm_timeout=30.0, cache_dir=None,
    )  # fmt: skip


def _drafts(count: int) -> list[Draft]:
    return [
        Draft(text=draft_of_length(TYPICAL_CHARS, seed=i), customer=customer_for(i))
        for i in range(count)
    ]


async def _overhead(url: str, reviews: int) -> dict[str, float]:
    import openai

    engine = ReviewEngine(default_rulebook(cache_dir=None), llm=LLMReviewer(_settings(url)))
    assert engine.llm is not None
    prompts = engine.llm.prompts
    bare = openai.AsyncOpenAI(api_key="fake-key", base_url=url, max_retries=0)
    drafts = _drafts(reviews)
    fmt = response_format("schema")

    async def bare_call(draft: Draft) -> None:
        messages: list[Any] = prompts.messages(draft.text, draft.customer, [])
        await bare.chat.completions.create(model="fake", messages=messages, response_format=fmt)

    for draft in drafts[:20]:  # warm up both paths (connections, caches, imports)
        await bare_call(draft)
        await engine.review(draft, "llm")
        engine.review_rules(draft)
    bare_ns, path_ns, rules_ns = [], [], []
    for draft in drafts:
        start = time.perf_counter_ns()
        await bare_call(draft)
        bare_ns.append(time.perf_counter_ns() - start)
        start = time.perf_counter_ns()
        review = await engine.review(draft, "llm")
        path_ns.append(time.perf_counter_ns() - start)
        assert review.engine == "llm", review.note
        start = time.perf_counter_ns()
        engine.review_rules(draft)
        rules_ns.append(time.perf_counter_ns() - start)
    await bare.close()
    await engine.aclose()
    bare_ms = statistics.median(bare_ns) / 1e6
    path_ms = statistics.median(path_ns) / 1e6
    rules_ms = statistics.median(rules_ns) / 1e6
    return {
        "reviews": reviews,
        "bare_call_ms": round(bare_ms, 3),
        "llm_path_ms": round(path_ms, 3),
        "overhead_ms": round(path_ms - bare_ms, 3),
        "rules_pass_ms": round(rules_ms, 3),
        "overhead_without_rules_ms": round(path_ms - bare_ms - rules_ms, 3),
        "ratio_to_bare_call": round(path_ms / bare_ms, 2),
    }


async def _concurrency(url: str) -> dict[str, float]:
    import openai

    engine = ReviewEngine(default_rulebook(cache_dir=None), llm=LLMReviewer(_settings(url)))
    assert engine.llm is not None
    drafts = _drafts(CONCURRENT)
    await engine.review(drafts[0], "llm")  # warm up
    start = time.perf_counter()
    reviews = await asyncio.gather(*(engine.review(d, "llm") for d in drafts))
    nudgebot_s = time.perf_counter() - start
    assert all(r.engine == "llm" for r in reviews), [r.note for r in reviews if r.note]
    bare = openai.AsyncOpenAI(api_key="fake-key", base_url=url, max_retries=0, timeout=30)
    messages: list[Any] = engine.llm.prompts.messages(drafts[0].text, drafts[0].customer, [])
    await bare.chat.completions.create(model="fake", messages=messages)
    start = time.perf_counter()
    await asyncio.gather(
        *(bare.chat.completions.create(model="fake", messages=messages) for _ in drafts)
    )
    bare_s = time.perf_counter() - start
    await bare.close()
    await engine.aclose()
    return {
        "reviews": CONCURRENT,
        "server_delay_s": SLOW_SECONDS,
        "nudgebot_wall_s": round(nudgebot_s, 3),
        "bare_wall_s": round(bare_s, 3),
        "ratio_to_bare": round(nudgebot_s / bare_s, 2),
    }


def thread_for(seed: int, turns: int = THREAD_TURNS) -> tuple[Turn, ...]:
    """Return a thread of ``turns`` turns before a draft, alternating, ending with the customer."""
    out = []
    for i in range(turns):
        back = turns - 1 - i  # 0 for the last turn
        if back % 2 == 0:
            out.append(Turn("customer", customer_for(seed + back)))
        else:
            out.append(Turn("agent", _AGENT_TURNS[(seed + back) % len(_AGENT_TURNS)]))
    return tuple(out)


def prompt_tokens(samples: int = 20) -> dict[str, Any]:
    """Count the input tokens of one review: 400-character draft, 4-turn thread, two hints."""
    try:
        import bpe_openai
    except ImportError:
        return {"error": "install bpe-openai (pip install -e '.[bench]') to count tokens"}
    encoding = bpe_openai.get_encoding("o200k_base")

    def count(text: str) -> int:
        return len(encoding.encode_ordinary(text))

    prompts = PromptSet.load()
    rules = ReviewEngine(default_rulebook(cache_dir=None))
    counts, thread_chars = [], []
    for seed in range(samples):
        draft = Draft(
            text=draft_of_length(TYPICAL_CHARS, seed=seed),
            thread=thread_for(seed),
            channel="C0SUPPORT",
        )
        hints = hint_lines(rules.review_rules(draft).findings, MAX_HINTS)
        messages = prompts.messages(
            draft.text, None, hints, thread=draft.turns, move="answer", channel=draft.channel
        )
        thread_chars.append(sum(len(turn.text) for turn in draft.turns))
        # Chat formatting adds about 3 tokens per message and 3 to prime the answer.
        counts.append(sum(count(m["content"]) + 3 for m in messages) + 3)
    compact = json.dumps(response_format("schema")["json_schema"], separators=(",", ":"))
    schema = count(compact)
    messages_tokens = round(statistics.median(counts))
    return {
        "draft_chars": TYPICAL_CHARS,
        "thread_turns": THREAD_TURNS,
        "thread_chars_median": round(statistics.median(thread_chars)),
        "hints_max": MAX_HINTS,
        "messages_tokens": messages_tokens,
        "messages_tokens_max": max(counts),
        "schema_tokens": schema,
        "input_tokens": messages_tokens + schema,
        "system_prompt_tokens": count(prompts.system.render()),
        "examples_tokens": sum(
            count(m["content"]) + 3 for m in prompts.messages("x", None, [])[1:-1]
        ),
        "target": TOKEN_TARGET,
    }


def _tokens() -> dict[str, Any]:
    return prompt_tokens()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--reviews", type=int, default=300, help="reviews for the overhead")
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {}
    with FakeModelServer() as fast:
        figures["overhead"] = asyncio.run(_overhead(fast.url, args.reviews))
    with FakeModelServer(delay=SLOW_SECONDS) as slow:
        figures["concurrency"] = asyncio.run(_concurrency(slow.url))
        figures["concurrency"]["server_peak_in_flight"] = slow.peak_in_flight
    figures["tokens"] = _tokens()
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    o, c, t = figures["overhead"], figures["concurrency"], figures["tokens"]
    print(f"LLM path, {o['reviews']} reviews of {TYPICAL_CHARS}-character drafts, one at a time")
    print(f"  bare openai call           {o['bare_call_ms']:8.2f} ms median")
    print(f"  nudgebot review (llm)      {o['llm_path_ms']:8.2f} ms median "
          f"({o['ratio_to_bare_call']}x the bare call)")  # fmt: skip
    print(f"  overhead                   {o['overhead_ms']:8.2f} ms  (target < 5 ms)")
    print(f"    of which the rules pass  {o['rules_pass_ms']:8.2f} ms")
    print(f"    the rest                 {o['overhead_without_rules_ms']:8.2f} ms")
    print(f"{c['reviews']} reviews at once, the model taking {c['server_delay_s']} s each")
    print(f"  nudgebot                   {c['nudgebot_wall_s']:8.2f} s  (target < 1.5 s)")
    print(f"  bare openai calls          {c['bare_wall_s']:8.2f} s  ({c['ratio_to_bare']}x)")
    print(f"  peak requests in flight    {c['server_peak_in_flight']:8d}")
    if "error" in t:
        print(f"tokens: {t['error']}")
    else:
        print(
            f"Input tokens, default prompt, {t['draft_chars']}-character draft, "
            f"{t['thread_turns']}-turn thread (o200k)"
        )
        print(f"  messages                   {t['messages_tokens']:8d}")
        print(f"  JSON schema                {t['schema_tokens']:8d}")
        print(f"  total                      {t['input_tokens']:8d}  (target <= {TOKEN_TARGET:,})")
        print(f"  (system prompt alone       {t['system_prompt_tokens']:8d})")
        print(f"  (worked examples           {t['examples_tokens']:8d})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
