"""Channels: normalise what comes in, render what goes out."""
