"""Which dates a company collects data for.

A data point dated outside every period is refused ("date outside any period"). Apps that own
periods register a provider when they are ready: goals registers its strategy maps' periods,
performance its plans' periods. ``provider(company_id) -> iterable of (start, end)`` dates,
both inclusive.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable

Provider = Callable[[int], Iterable[tuple[datetime.date, datetime.date]]]
_providers: list[Provider] = []


def register_period_provider(provider: Provider) -> Provider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def company_periods(company_id: int) -> list[tuple[datetime.date, datetime.date]]:
    """The merged, sorted periods of a company (one query per provider)."""
    spans = sorted({span for p in _providers for span in p(company_id)})
    merged: list[tuple[datetime.date, datetime.date]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1] + datetime.timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def in_periods(day: datetime.date, periods: list[tuple[datetime.date, datetime.date]]) -> bool:
    return any(start <= day <= end for start, end in periods)
