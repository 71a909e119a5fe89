"""Tutors' cohorts: assignment messages, completion found in the dialogues' own records, and
the completion board with its first-try understanding rates (storage: bot.store.cohorts)."""
