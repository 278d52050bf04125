"""URLs of the results part (namespace "performance", included by renshi/performance/urls.py)."""

urlpatterns: list = []
