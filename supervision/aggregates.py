"""``percentile_cont`` as a Django aggregate (PostgreSQL). The dashboard reads its percentiles off the
summary tables' working-day histograms; the tests check them against this on the clocks themselves."""

from django.db.models import Aggregate, FloatField


class PercentileCont(Aggregate):
    """``percentile_cont(fraction) WITHIN GROUP (ORDER BY expr)``."""

    function = "percentile_cont"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)
