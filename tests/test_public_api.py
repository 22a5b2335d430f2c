from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import nudgebot

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = [
    "DIMENSIONS",
    "Draft",
    "DraftError",
    "Finding",
    "Review",
    "ReviewEngine",
    "Scores",
    "Turn",
    "__version__",
    "review",
]


def test_all_is_the_public_api() -> None:
    assert nudgebot.__all__ == EXPECTED


def test_every_public_name_is_exported() -> None:
    # Like httpx's test_exported_members: nothing public is left out of __all__ (submodules
    # such as nudgebot.engine are attributes of the package, but not its API).
    public = {
        name
        for name, value in vars(nudgebot).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(EXPECTED) - {"__version__"}


def test_every_exported_name_resolves() -> None:
    for name in nudgebot.__all__:
        assert getattr(nudgebot, name) is not None
    assert isinstance(nudgebot.__version__, str)
    assert nudgebot.__version__.count(".") >= 2


def test_review_shortcut() -> None:
    result = nudgebot.review("It'll arrive soon.", customer="Where is my parcel?? It's late!")
    assert isinstance(result, nudgebot.Review)
    assert result.needs_nudge
    assert all(isinstance(f, nudgebot.Finding) for f in result.findings)
    assert set(result.scores.to_dict()) == set(nudgebot.DIMENSIONS)


def test_review_shortcut_takes_the_thread() -> None:
    thread = [nudgebot.Turn("customer", "My parcel is a week late and nobody replies")]
    result = nudgebot.review("Not our problem, you'll have to contact the courier.", thread=thread)
    assert result.needs_nudge and result.move == "handoff"


def test_importing_nudgebot_imports_no_platform_or_model_code() -> None:
    code = (
        "import sys, nudgebot; "
        "nudgebot.review('Thanks, all sorted.'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('slack_bolt', 'slack_sdk', 'openai', 'httpx', 'httpx2', 'rich')))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == "[]"
