"""Co-create Coach: the application package (gateway, portal, store, grader, content, safety)."""
