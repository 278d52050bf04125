"""360 review and actuals import pages (included by renshi/performance/urls.py)."""

urlpatterns: list = []
