"""Tests of the Rasa custom actions against a real temporary SQLite store."""
