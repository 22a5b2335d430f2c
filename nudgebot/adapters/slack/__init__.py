"""The Slack adapter: Block Kit builders and the Bolt app around the core."""
