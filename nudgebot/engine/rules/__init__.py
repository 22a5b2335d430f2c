"""The rules engine: rule files in, findings and a rewritten reply out (no model needed)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from nudgebot.engine.rules.rulebook import Rule, Rulebook, RuleFileError, load_rulebook

__all__ = ["Rule", "RuleFileError", "Rulebook", "default_rulebook", "load_rulebook", "prompts_dir"]

_PACKAGE = Path(__file__).resolve().parents[2]  # the nudgebot package


def prompts_dir(override: Path | None = None) -> Path:
    """Return the folder of rules, prompts and tips (override, installed copy, or the repo's)."""
    if override is not None:
        return override
    for candidate in (_PACKAGE / "_prompts", _PACKAGE.parent / "prompts"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("nudgebot's prompts folder is missing; set NUDGEBOT_PROMPTS_DIR")


@lru_cache(maxsize=4)
def default_rulebook(override: Path | None = None, cache_dir: Path | None = None) -> Rulebook:
    """Load the rulebook once per process (and per override folder)."""
    return load_rulebook(prompts_dir(override) / "rules", cache_dir)
