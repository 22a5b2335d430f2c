"""The revisions, oldest first; each file says what it changes and why."""
