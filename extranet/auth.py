from __future__ import annotations

from typing import Any

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
