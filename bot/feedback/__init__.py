"""Patient feedback in the conversation (issue 10): clarity ratings of a module or an option
grid with an optional suggestion, and patients' stories for improvement.

The Rasa actions in actions/feedback.py are thin adapters over these modules; storing is
bot.store.improvement, and every text is in data/content/feedback.yml (English and Welsh).
"""
