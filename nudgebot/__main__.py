"""``python -m nudgebot``: the same as the ``nudgebot`` command."""

from nudgebot.cli import main

raise SystemExit(main())
