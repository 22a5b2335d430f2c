"""The Teams adapter: Adaptive Card builders and the Teams SDK app around the core.

:mod:`.cards`, :mod:`.convert`, :mod:`.hooks`, :mod:`.references` and :mod:`.bot` are plain
Python (no Teams SDK import), so storage and tests can use them cheaply. :mod:`.app` builds
the app on the Teams SDK for Python (``microsoft-teams-apps``, imported through :mod:`.sdk`)
with :func:`~.app.build_teams`; :mod:`.endpoint` is its HTTP side, :mod:`.outgoing` what it
sends.
"""
