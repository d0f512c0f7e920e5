"""Database aggregates the figures need: ``percentile_cont`` on PostgreSQL, a Python fallback elsewhere."""

from django.db import connection
from django.db.models import Aggregate, FloatField


class PercentileCont(Aggregate):
    """``percentile_cont(fraction) WITHIN GROUP (ORDER BY expr)`` (PostgreSQL only)."""

    function = "percentile_cont"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def has_percentile() -> bool:
    return connection.vendor == "postgresql"


def percentile(values, fraction: float) -> float | None:
    """``percentile_cont`` of a list, for databases without it (SQLite under ``make run``)."""
    data = sorted(v for v in values if v is not None)
    if not data:
        return None
    pos = (len(data) - 1) * fraction
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return float(data[lo] + (data[hi] - data[lo]) * (pos - lo))
