"""bot/reflections"""
