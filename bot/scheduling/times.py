"""Local times, weekdays, quiet hours and clock changes, with zoneinfo.

Every instant stored is UTC; local times are wall-clock times in the person's timezone
(Europe/London unless set), so a check-in at 18:00 stays at 18:00 across the clock changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Europe/London"
QUIET_START = time(21, 0)
QUIET_END = time(8, 0)
# A due message is still worth sending this long after its time (e.g. after a restart).
STALE_AFTER = timedelta(hours=3)
# System-chosen times (reviews, measures) when the person has no check-in time.
DEFAULT_LOCAL_TIME = time(18, 0)


def parse_hhmm(value: str) -> time:
    """ "18:30" → time(18, 30)."""
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes or 0))


def weekday_set(value: str) -> frozenset[int]:
    """ "1,3,5" → ISO weekdays {1, 3, 5} (Monday is 1)."""
    return frozenset(int(part) for part in value.split(",") if part.strip())


def local_instant(day: date, at: time, zone: str) -> datetime:
    """The UTC instant of a wall-clock time on a local date.

    In the spring gap (01:00-02:00 in London) a missing time moves forward an hour; in the
    autumn overlap the first of the two instants is used.
    """
    tz = ZoneInfo(zone)
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first
    # A time in the gap does not survive the round trip: use the later of the two readings.
    return max(first, naive.replace(tzinfo=tz, fold=1).astimezone(UTC))


def next_weekly(after: datetime, weekdays: frozenset[int], at: time, zone: str) -> datetime:
    """The first instant strictly after `after` on one of `weekdays` at local time `at`."""
    if not weekdays:
        raise ValueError("no weekdays")
    start = after.astimezone(ZoneInfo(zone)).date()
    for offset in range(0, 9):
        day = start + timedelta(days=offset)
        if day.isoweekday() in weekdays:
            candidate = local_instant(day, at, zone)
            if candidate > after:
                return candidate
    raise AssertionError("unreachable: a weekday recurs within 8 days")


def local_day_plus(instant: datetime, days: int, at: time, zone: str) -> datetime:
    """`days` local days after `instant`'s local date, at local time `at`."""
    day = instant.astimezone(ZoneInfo(zone)).date() + timedelta(days=days)
    return local_instant(day, at, zone)


def in_quiet_hours(instant: datetime, zone: str) -> bool:
    """Whether the local time is between 21:00 and 08:00."""
    local = instant.astimezone(ZoneInfo(zone)).time()
    return local >= QUIET_START or local < QUIET_END


def end_of_quiet_hours(instant: datetime, zone: str) -> datetime:
    """The next 08:00 local at or after `instant` (for messages that wait out the night)."""
    local = instant.astimezone(ZoneInfo(zone))
    day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return local_instant(day, QUIET_END, zone)


def is_stale(due_at: datetime, now: datetime) -> bool:
    """Too long after its time to be relevant."""
    return now - due_at > STALE_AFTER


def aware(instant: datetime) -> datetime:
    """A stored instant as UTC-aware (SQLite hands timezone-aware columns back naive, in UTC)."""
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
