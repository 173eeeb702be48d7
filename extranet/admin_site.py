"""The admin site of the secretariat: staff reach it only after their second factor (TOTP)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


class PortalAdminSite(admin.AdminSite):
    """Its login URL is the portal's (extranet.views.admin_login), then the TOTP step."""

    def has_permission(self, request: HttpRequest) -> bool:
        # OTPMiddleware gives every user is_verified(): True once a TOTP code was checked in
        # this session (extranet.views.otp_verify).
        return super().has_permission(request) and request.user.is_verified()  # type: ignore[union-attr]


class PortalAdminConfig(AdminConfig):
    default_site = "extranet.admin_site.PortalAdminSite"
