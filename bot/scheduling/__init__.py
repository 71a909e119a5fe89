"""The persistent scheduler: check-ins, weekly reviews and measures, kept in the database."""
