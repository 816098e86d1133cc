"""Log-scale duration histograms: percentiles (medians, p90) of long ranges from daily counts.

A percentile is not additive, so the daily rollups cannot keep it; they keep, per day and
rollup key, how many durations fell in each bucket, and a percentile of any range is read
from the summed counts. Buckets grow by a constant ratio ``RATIO`` (1.02): bucket ``b >= 1``
holds durations in ``[RATIO**(b-1), RATIO**b)`` seconds, bucket 0 those under one second.
A bucket stands for its geometric middle, so every value is off by at most a factor
``sqrt(RATIO)`` (under 1 %) and so is a percentile interpolated between two of them:

    exact / sqrt(RATIO) - 0.5 s  <=  estimate  <=  exact * sqrt(RATIO) + 0.5 s

(the 0.5 s is bucket 0, whose middle is 0.5 s). docs/metrics.md states it; the tests check it
against exact percentiles. Pure code: the SQL twin of ``bucket_of`` is ``bucket_expression``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from django.db.models import Case, Expression, IntegerField, Value, When
from django.db.models.functions import Cast, Floor, Ln
from django.db.models.lookups import GreaterThanOrEqual

RATIO = 1.02
# The largest relative error of a bucket's middle (and of a percentile read from buckets).
RELATIVE_ERROR = math.sqrt(RATIO) - 1
ABSOLUTE_ERROR = 0.5  # seconds: bucket 0 (under one second) stands for 0.5 s
_LOG_RATIO = math.log(RATIO)


def bucket_of(seconds: float) -> int:
    """The bucket of a duration (negative durations count as zero)."""
    if seconds < 1:
        return 0
    return 1 + math.floor(math.log(seconds) / _LOG_RATIO)


def bucket_value(bucket: int) -> float:
    """The duration a bucket stands for: the geometric middle of its bounds."""
    if bucket <= 0:
        return ABSOLUTE_ERROR
    return RATIO ** (bucket - 0.5)


def bucket_expression(seconds: Expression) -> Expression:
    """``bucket_of`` in SQL (both databases: Django registers LN and FLOOR on SQLite)."""
    return Case(
        When(
            GreaterThanOrEqual(seconds, Value(1.0)),
            then=Cast(
                Value(1) + Floor(Ln(seconds) / Value(_LOG_RATIO)), output_field=IntegerField()
            ),
        ),
        default=Value(0),
        output_field=IntegerField(),
    )


def histogram_add(into: dict[int, int], counts: Iterable[tuple[int, int]]) -> dict[int, int]:
    for bucket, n in counts:
        if n:
            into[int(bucket)] = into.get(int(bucket), 0) + int(n)
    return into


def histogram_percentile(counts: Mapping[int, int], fraction: float) -> float | None:
    """The percentile of the durations counted in ``counts`` (bucket -> n), interpolated
    between the two closest ranks exactly as ``percentile_cont`` does, each rank standing for
    its bucket's middle. None when nothing was counted."""
    total = sum(n for n in counts.values() if n > 0)
    if not total:
        return None
    position = fraction * (total - 1)  # 0-based rank, maybe between two ranks
    low_rank = math.floor(position)
    high_rank = min(low_rank + 1, total - 1)
    weight = position - low_rank
    low = high = None
    seen = 0
    for bucket in sorted(b for b, n in counts.items() if n > 0):
        seen += counts[bucket]
        if low is None and seen > low_rank:
            low = bucket_value(bucket)
        if seen > high_rank:
            high = bucket_value(bucket)
            break
    assert low is not None and high is not None  # noqa: S101 - ranks are below the total
    return low + weight * (high - low)
