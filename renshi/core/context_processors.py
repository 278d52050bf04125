"""Navigation per role: the menu shows what the user's scope and permissions allow."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# (label, url name, permission or None). Apps append their entries via NAV_ITEMS.
NAV_ITEMS: list[tuple[str, str, str | None]] = [
    (_("Home"), "home", None),
    (_("Organisation chart"), "org:chart", "org.view_directory"),
    (_("Employees"), "org:employee_list", "org.view_directory"),
    (_("Positions"), "org:position_list", "org.manage_employees"),
    (_("Roles"), "org:role_list", "org.assign_roles"),
    (_("Import employees"), "org:employee_import", "org.import_employees"),
    (_("Integration keys"), "api:key_list", "api.manage_keys"),
    (_("My goals"), "goals:my_goals", "goals.view"),
    (_("Strategy map"), "goals:map_list", "goals.view"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    from renshi.core import access

    items = []
    for label, name, perm in NAV_ITEMS:
        try:
            if perm is not None and not access.has_perm(user, perm):
                continue
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "active": request.path == url})
    return {"nav_items": items}
