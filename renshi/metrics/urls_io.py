"""URLs of uploads, the attendance import and pull connectors (namespace "metrics", included by
renshi/metrics/urls.py). Owned by the views in views_io.py and views_connectors.py."""

urlpatterns: list = []
