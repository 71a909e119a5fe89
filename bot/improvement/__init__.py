"""Co-evaluation and continuous improvement (issue 10): run charts, aggregates, suppression."""
