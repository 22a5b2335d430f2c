"""The Teams SDK for Python, imported once and without its side effects.

Importing ``microsoft_teams.apps`` loads a ``.env`` file into ``os.environ`` (and warns that
one of its widgets is a preview). nudgebot reads its environment in one place,
:mod:`nudgebot.config`, and never changes ``os.environ``, so that load is skipped here; the
app passes the SDK every setting explicitly (credentials, service URL, cloud, auth), so none
of the SDK's own variables (``CLIENT_ID``, ``SERVICE_URL``...) is ever read either.

The SDK logs whole activities, message text included, at DEBUG: its ``microsoft_teams``
logger is set to INFO here unless someone already chose its level.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator

__all__ = [
    "PUBLIC",
    "Account",
    "ActivityContext",
    "ActivityEvent",
    "ActivityTypeAdapter",
    "App",
    "Attachment",
    "ClientCredentials",
    "CloudEnvironment",
    "ConversationAccount",
    "ConversationUpdateActivity",
    "CreateConversationParams",
    "Credentials",
    "HttpMethod",
    "HttpRequest",
    "HttpResponse",
    "HttpRouteHandler",
    "InstalledActivity",
    "InvokeResponse",
    "MessageActivity",
    "MessageActivityInput",
    "MessageSubmitActionInvokeActivity",
    "MessageUpdateActivity",
    "TokenCredentials",
    "TokenProvider",
    "TypingActivityInput",
    "UninstalledActivity",
]


@contextlib.contextmanager
def _no_dotenv() -> Iterator[None]:
    """Make python-dotenv's ``load_dotenv`` do nothing while the SDK is imported."""
    import dotenv

    names = vars(dotenv)
    original = names["load_dotenv"]
    names["load_dotenv"] = lambda *args, **kwargs: False
    try:
        yield
    finally:
        names["load_dotenv"] = original


with _no_dotenv(), warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the SDK's ExperimentalWarning about its HTML widgets
    from microsoft_teams.api import (
        ActivityTypeAdapter,
        ClientCredentials,
        ConversationUpdateActivity,
        Credentials,
        InvokeResponse,
        TokenCredentials,
        TypingActivityInput,
    )
    from microsoft_teams.api.activities.install_update import (
        InstalledActivity,
        UninstalledActivity,
    )
    from microsoft_teams.api.activities.invoke.message.submit_action import (
        MessageSubmitActionInvokeActivity,
    )
    from microsoft_teams.api.activities.message import MessageActivity, MessageActivityInput
    from microsoft_teams.api.activities.message.message_update import MessageUpdateActivity
    from microsoft_teams.api.auth.cloud_environment import PUBLIC, CloudEnvironment
    from microsoft_teams.api.auth.credentials import TokenProvider
    from microsoft_teams.api.clients.conversation.params import CreateConversationParams
    from microsoft_teams.api.models import Account, Attachment, ConversationAccount
    from microsoft_teams.apps import ActivityContext, App
    from microsoft_teams.apps.events import ActivityEvent
    from microsoft_teams.apps.http.adapter import (
        HttpMethod,
        HttpRequest,
        HttpResponse,
        HttpRouteHandler,
    )

_sdk_logger = logging.getLogger("microsoft_teams")
if _sdk_logger.level == logging.NOTSET:
    _sdk_logger.setLevel(logging.INFO)
