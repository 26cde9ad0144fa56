"""The clock: APScheduler set-up, planners (what is due when) and the outbox sender."""
