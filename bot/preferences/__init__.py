"""bot/preferences"""
