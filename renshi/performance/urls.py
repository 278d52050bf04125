from . import urls_360, urls_cards, urls_plans, urls_results

app_name = "performance"

urlpatterns = [
    *urls_plans.urlpatterns,
    *urls_cards.urlpatterns,
    *urls_results.urlpatterns,
    *urls_360.urlpatterns,
]
