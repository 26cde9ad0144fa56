"""bot/nudges"""
