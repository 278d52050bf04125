"""Included by renshi.api.urls under ``performance/`` (names in the "api" namespace)."""

from . import urls_360, urls_cards, urls_plans, urls_results

urlpatterns = [
    *urls_plans.urlpatterns,
    *urls_cards.urlpatterns,
    *urls_results.urlpatterns,
    *urls_360.urlpatterns,
]
