"""Navigation per role: the menu shows what the user's scope and permissions allow.

Entries are ``(label, url name, permission or None[, group])``. Apps add theirs with
``nav_add`` when they are ready. Entries of a group become one dropdown when more than one of
them is visible to the user (a lone visible entry is shown as a plain link), so the bar stays
short for every role.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

NAV_GROUPS: dict[str, object] = {
    "org": _("Organisation"),
    "goals": _("Strategy and goals"),
    "performance": _("Performance"),
    "data": _("Data and alerts"),
    "settings": _("Settings"),
}

NAV_ITEMS: list[tuple] = [
    (_("Home"), "home", None),
    (_("Organisation chart"), "org:chart", "org.view_directory", "org"),
    (_("Employees"), "org:employee_list", "org.view_directory", "org"),
    (_("Positions"), "org:position_list", "org.manage_employees", "org"),
    (_("Roles"), "org:role_list", "org.assign_roles", "org"),
    (_("Import employees"), "org:employee_import", "org.import_employees", "org"),
    (_("Integration keys"), "api:key_list", "api.manage_keys", "settings"),
    (_("My goals"), "goals:my_goals", "goals.view", "goals"),
    (_("Strategy map"), "goals:map_list", "goals.view", "goals"),
]


def nav_add(label, url_name: str, permission: str | None, group: str | None = None) -> None:
    """Add a menu entry once (apps call this from ``AppConfig.ready``)."""
    if any(item[1] == url_name for item in NAV_ITEMS):
        return
    NAV_ITEMS.append((label, url_name, permission, group))


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    from renshi.core import access

    entries: list[dict] = []
    groups: dict[str, dict] = {}
    for label, name, perm, *rest in NAV_ITEMS:
        group = rest[0] if rest else None
        try:
            if perm is not None and not access.has_perm(user, perm):
                continue
            url = reverse(name)
        except NoReverseMatch:
            continue
        item = {"label": label, "url": url, "active": request.path == url}
        if group is None:
            entries.append(item)
            continue
        if group not in groups:
            groups[group] = {"label": NAV_GROUPS.get(group, group), "children": [], "key": group}
            entries.append(groups[group])
        groups[group]["children"].append(item)
    items = []
    for entry in entries:
        children = entry.get("children")
        if children is not None and len(children) == 1:
            items.append(children[0])
        elif children is not None:
            entry["active"] = any(c["active"] for c in children)
            items.append(entry)
        else:
            items.append(entry)
    return {"nav_items": items}
