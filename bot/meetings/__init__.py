"""bot/meetings: the mentors' meeting log — the monthly "did you meet?" question and `/mentor met`."""
