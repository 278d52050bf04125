"""URLs of the plans part (namespace "performance", included by renshi/performance/urls.py)."""

urlpatterns: list = []
