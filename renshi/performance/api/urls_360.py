"""360 review REST endpoints (included by renshi/performance/api/urls.py)."""

urlpatterns: list = []
