"""Small-number suppression for the lead's service-level views.

Any aggregate drawn from fewer than `MIN_PATIENTS` patients is shown as "<5" and is left
off run charts, so no one patient's answers can be read from a figure. Lead views carry
aggregates only: never a person id, a sender id or a name.
"""

from __future__ import annotations

MIN_PATIENTS = 5
SUPPRESSED = f"<{MIN_PATIENTS}"


def suppressed(patients: int) -> bool:
    """Whether an aggregate over this many patients must be hidden."""
    return patients < MIN_PATIENTS


def shown_value(patients: int, value: float | None, unit: str) -> str:
    """The figure as a lead sees it: "<5" when too few, "" when nothing, else formatted."""
    if suppressed(patients):
        return SUPPRESSED
    if value is None:
        return ""
    if unit == "%":
        return f"{value * 100:.0f}%"
    if unit == "count":
        return f"{value:.0f}"
    return f"{value:.1f}"


def shown_count(patients: int) -> str:
    """A number of patients, or "<5"."""
    return SUPPRESSED if suppressed(patients) else str(patients)
