"""Reading what patients type: text normalisation and the local sentence-embedding model.

The safety net and the teach-back grader both use this package, so the model has one home
and is loaded once per process (`bot.language.embeddings`).
"""
