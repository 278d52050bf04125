"""URLs of the cards part (namespace "performance", included by renshi/performance/urls.py)."""

urlpatterns: list = []
