"""API URLs of the results part (included under /api/v1/performance/, names in namespace "api")."""

urlpatterns: list = []
