"""The models registered in the admin, by who may see their rows.

Every registered model is either scoped to a site (a SITE_LOOKUP, a SiteScopedAdmin: the
secretariat sees its sites' rows only), shared by the whole network (staff read them), or for
superusers only (the secretariat gets 403). A model registered without being named here or
scoped fails test_inventory.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models

from extranet.admin_scope import site_lookup_of
from extranet.models import Site

# Rows of the whole network, the same for every site: the secretariat may read them.
NETWORK_WIDE = {"extranet.schoolyear"}
# The secretariat has no permission on these: superusers only.
SUPERUSER_ONLY = {
    "auth.group",
    "axes.accessattempt",
    "axes.accessfailurelog",
    "axes.accesslog",
    "extranet.auditentry",
    "extranet.outboxmessage",
    "otp_totp.totpdevice",
}


def registered() -> dict[type[models.Model], admin.ModelAdmin[Any]]:
    return dict(admin.site._registry)


def label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def scoped_models() -> list[type[models.Model]]:
    return sorted(
        (m for m in registered() if site_lookup_of(m) is not None and label(m) not in NETWORK_WIDE),
        key=label,
    )


def superuser_models() -> list[type[models.Model]]:
    return sorted((m for m in registered() if label(m) in SUPERUSER_ONLY), key=label)


def rows_of_site(model: type[models.Model], site: Site) -> models.QuerySet[Any]:
    lookup = site_lookup_of(model)
    assert lookup is not None
    return model._default_manager.filter(**{lookup: site.pk})


def admin_url(model: type[models.Model], view: str, pk: Any = None) -> str:
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    if view == "changelist":
        return base
    if view == "add":
        return f"{base}add/"
    return f"{base}{pk}/{view}/"
