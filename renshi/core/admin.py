from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import AuditLog, User

admin.site.register(User, UserAdmin)


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only: the change log can be searched, never edited or deleted."""

    list_display = ("timestamp", "actor_repr", "ip", "action", "content_type", "object_repr")
    list_filter = ("action", "content_type", "channel")
    search_fields = ("object_repr", "actor_repr", "request_id")
    readonly_fields = [f.name for f in AuditLog._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
