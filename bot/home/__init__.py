"""bot/home"""
