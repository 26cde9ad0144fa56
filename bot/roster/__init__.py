"""bot/roster"""
