"""Mentor Nudge: config, database, Slack client, services, Block Kit and the CLI."""
