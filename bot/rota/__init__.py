"""Rotas: on-call and rotation schedules, the duty they mean, and rotation check-ins."""
