"""API URLs of the cards part (included under /api/v1/performance/, names in namespace "api")."""

urlpatterns: list = []
