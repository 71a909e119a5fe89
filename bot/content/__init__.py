"""Content files (YAML, English and Welsh): loading and checking."""
