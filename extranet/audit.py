"""The audit log of staff actions: who did what, to which object, when, from where.

Call `record()` inside the transaction of the change it describes, so that a change rolled
back leaves no entry and an entry never describes a change that did not happen.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from extranet.auth import client_ip
from extranet.models import AuditEntry, Site, User
from extranet.observability import request_id_var


def record(
    action: str,
    *,
    actor: User | None = None,
    request: HttpRequest | None = None,
    obj: models.Model | None = None,
    site: Site | None = None,
    **details: Any,
) -> AuditEntry:
    """Write one entry. `action` is a dotted code such as "document.accepted".

    The actor is the request's user unless given; the site is the object's site when it has
    one (a `site` attribute or field), unless given. Details must be JSON-serialisable.
    """
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user  # type: ignore[assignment]
    if site is None and obj is not None:
        site = _site_of(obj)
    return AuditEntry.objects.create(
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "",
        site=site,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        details=details,
        request_id=request_id_var.get() if request_id_var.get() != "-" else "",
        ip_address=(client_ip(request) or None) if request is not None else None,
    )


def _site_of(obj: models.Model) -> Site | None:
    """The object's site, following the model's SITE_LOOKUP path (as the admin scope does)."""
    if isinstance(obj, Site):
        return obj
    lookup = getattr(type(obj), "SITE_LOOKUP", None)
    path = lookup.split("__") if lookup else ["site"]
    current: Any = obj
    for name in path:
        current = getattr(current, name, None)
        if current is None:
            return None
    return current if isinstance(current, Site) else None
