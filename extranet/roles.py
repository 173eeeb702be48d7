from typing import Any

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

STAFF_GROUP = "Secrétariat"
# Apps whose models the secretariat manages in the admin, always scoped to its sites.
STAFF_APPS = ["extranet", "families", "students", "courses", "reenrollment", "billing"]
# Site settings and accounts: a secretariat may edit its site and accounts, not create sites.
# School years and the email outbox are the network's, not a site's: superusers only.
STAFF_EXCLUDED_PERMISSIONS = {
    "add_site",
    "delete_site",
    "add_schoolyear",
    "change_schoolyear",
    "delete_schoolyear",
    "add_outboxmessage",
    "change_outboxmessage",
    "delete_outboxmessage",
    "view_outboxmessage",
    # The audit log is for superusers only, and nobody edits it.
    "add_auditentry",
    "change_auditentry",
    "delete_auditentry",
    "view_auditentry",
}


def ensure_staff_group(**kwargs: Any) -> None:
    """Give the "Secrétariat" group every permission on the portal's models."""
    for label in STAFF_APPS:
        if apps.is_installed(label):
            create_permissions(apps.get_app_config(label), verbosity=0)
    group, _created = Group.objects.get_or_create(name=STAFF_GROUP)
    permissions = Permission.objects.filter(content_type__app_label__in=STAFF_APPS).exclude(
        codename__in=STAFF_EXCLUDED_PERMISSIONS
    )
    group.permissions.set(permissions)
