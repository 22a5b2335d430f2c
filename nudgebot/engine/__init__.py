"""The review, stage by stage: a draft in, a review out. No platform code lives here.

- ``pipeline``: :class:`ReviewEngine`, which runs the stages in order;
- ``rules/``: the rules engine (rule files, matching, the rules-based rewrite);
- ``llm/``: the model reviewer (prompts, answer schema, client, breaker, cache);
- ``guard``: the checks on every suggestion; ``facts``: what a suggestion must keep;
- ``redaction``: personal data out before a model call, back in after.
"""

from nudgebot.engine.pipeline import MAX_DRAFT_CHARS, DraftError, ReviewEngine, review, score

__all__ = ["MAX_DRAFT_CHARS", "DraftError", "ReviewEngine", "review", "score"]
