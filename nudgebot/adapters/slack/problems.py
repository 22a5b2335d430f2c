"""What went wrong with a Slack Web API call, said to a person.

Slack answers a refused call with a code (``missing_scope``, ``not_in_channel`` ...). Logs keep
the code; people get a sentence naming the real cause and what to do about it: a missing
permission is fixed by an admin reinstalling the app, not by inviting the bot. Pure functions.
"""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from nudgebot.adapters.slack.convert import slack_error

__all__ = ["NOT_IN_CHANNEL", "explain", "is_missing_scope", "needed_scopes"]

NOT_IN_CHANNEL = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
"""Codes meaning the bot can't see the conversation (not invited, gone, another workspace)."""


def needed_scopes(error: Exception) -> str | None:
    """Return the scopes Slack says a refused call needed (``"files:write"``), if it says."""
    response = getattr(error, "response", None)
    try:
        needed = response.get("needed") if response is not None else None
    except (AttributeError, TypeError):
        return None
    return str(needed) if needed else None


def is_missing_scope(error: Exception) -> bool:
    """Tell whether Slack refused the call because the app lacks a permission (scope)."""
    return isinstance(error, SlackApiError) and slack_error(error) == "missing_scope"


def explain(error: Exception, doing: str) -> str:
    """Return one or two sentences saying why ``doing`` (``"send you the chart"``) failed.

    ``doing`` completes "I couldn't ...". The code itself never appears in the sentence.
    """
    code = slack_error(error) if isinstance(error, SlackApiError) else ""
    if code == "missing_scope":
        needed = needed_scopes(error)
        permission = f"the `{needed}` permission" if needed else "a permission it needs"
        return (
            f"I couldn't {doing}: Slack hasn't given nudgebot {permission}. "
            "A workspace admin can add it in the app's settings (OAuth & Permissions) "
            "and reinstall the app."
        )
    if code in NOT_IN_CHANNEL:
        return (
            f"I couldn't {doing} because I'm not in that conversation. "
            "If it's a channel, invite me there (`/invite @nudgebot`) and try again."
        )
    if code in {"ratelimited", "rate_limited"}:
        return f"I couldn't {doing}: Slack asked me to slow down. Please try again in a minute."
    if code in {"invalid_auth", "not_authed", "token_revoked", "account_inactive"}:
        return (
            f"I couldn't {doing}: Slack didn't accept nudgebot's token. "
            "An admin should check that the app is still installed."
        )
    return f"I couldn't {doing}: Slack didn't let me just now. Please try again in a moment."
