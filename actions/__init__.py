"""Rasa custom actions for Co-create Coach: thin adapters over `bot.*`, one module per dialogue.

They hold no user-facing text (every reply is a domain response in English and
Welsh) and log no message text or names, only pseudonymised sender ids.
"""
