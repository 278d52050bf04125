"""``{{ text|mentions }}``: a comment with its ``@username`` tokens highlighted (escaped,
line breaks kept)."""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from ..mentions import MENTION_RE

register = template.Library()


@register.filter(name="mentions")
def highlight_mentions(text: str) -> str:
    escaped = str(escape(text or ""))
    # escaping leaves "@", letters, digits and . + - _ untouched, so the tokens survive
    highlighted = MENTION_RE.sub(
        lambda m: f'<span class="mention text-primary fw-semibold">@{m.group(1)}</span>', escaped
    )
    # safe: the text was escaped first; only our own <span>/<br> tags are added
    return mark_safe(highlighted.replace("\n", "<br>"))  # noqa: S308
