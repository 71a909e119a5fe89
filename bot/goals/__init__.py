"""Action planning: understanding plans, days and times in English and Welsh."""
