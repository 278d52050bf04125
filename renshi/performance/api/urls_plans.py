"""API URLs of the plans part (included under /api/v1/performance/, names in namespace "api")."""

urlpatterns: list = []
