"""bot/pulse"""
