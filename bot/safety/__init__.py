"""The safety net: red-flag detection on every inbound message, before the dialogue engine.

`detector` decides (pure, no I/O); `net` turns a decision into replies, flags for the care
team and pending yes/no questions; `replies` reads the texts from data/content/safety.yml.
"""
