from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from extranet.models import Site, User


class SiteBackend(ModelBackend):
    """Authenticates a (site, identifiant, password) triple; permissions as ModelBackend."""

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        site: Site | None = None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if site is None or not username or password is None:
            return None
        try:
            user = User.objects.select_related("site").get(site=site, username__iexact=username)
        except User.DoesNotExist:
            # Hash anyway, so the answer takes as long whether or not the identifiant exists.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id: int) -> User | None:  # type: ignore[override]
        # Every page shows the account's site: load it with the user, in the same query.
        try:
            user = User.objects.select_related("site").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The key django-axes counts failures under: the identifiant on its site, case-folded."""
    credentials = credentials or {}
    site = credentials.get("site")
    username = credentials.get("username") or request.POST.get("username", "")
    site_key = site.pk if isinstance(site, Site) else request.POST.get("site", "")
    return f"{site_key}:{str(username).strip().lower()}"


def client_ip(request: HttpRequest) -> str:
    """The address login throttling counts failures under.

    With PROXY_COUNT proxies in front, each appends the address it saw to X-Forwarded-For:
    the client is the PROXY_COUNT-th entry from the right. Entries further left were written by
    the client itself and are ignored, so nobody can pose as another address.
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    count = settings.PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
        if part.strip()
    ]
    if len(forwarded) < count:
        return remote
    return forwarded[-count]
