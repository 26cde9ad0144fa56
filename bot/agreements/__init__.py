"""Mentoring agreements: goals the pair agree on, how they work together, and reviews."""
