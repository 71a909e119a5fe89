"""The application store: SQLAlchemy 2 models, sessions and repository functions."""
