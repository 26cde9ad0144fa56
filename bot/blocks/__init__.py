"""Block Kit builders: pure functions from data to blocks, built with slack_sdk.models."""
