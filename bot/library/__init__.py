"""bot/library"""
