"""Admin classes that show a staff member only the data of the sites they manage."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelChoiceField
from django.http import Http404, HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from extranet import audit
from extranet.audit import Action
from extranet.models import Site, User


def site_lookup_of(model: type[models.Model]) -> str | None:
    """The lookup from a model to its Site ("site", "family__site", ...), if it has one."""
    if model is Site:
        return "pk"
    return getattr(model, "SITE_LOOKUP", None)


def scope_queryset(queryset: QuerySet[Any], user: User) -> QuerySet[Any]:
    site_ids = user.managed_site_ids()
    lookup = site_lookup_of(queryset.model)
    if site_ids is None or lookup is None:
        return queryset
    return queryset.filter(**{f"{lookup}__in": site_ids})


class AuditedAdmin(admin.ModelAdmin):
    """Every add, change and delete made through this admin goes to the audit log, in the
    transaction of the change, with the changed fields (Django's change message).

    Django's own LogEntry is still written: it feeds the history page of each object. (Django's
    "delete selected" action runs outside the admin's transactions, but every request is one
    transaction (ATOMIC_REQUESTS), so its entries never outlive a failed delete.)
    An admin whose additions a service already logs with more to say (a payment) sets
    `audit_addition_action = None`; the accounts' admin logs "account.created" instead.
    """

    audit_addition_action: str | None = Action.ADMIN_ADD

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)
        if self.audit_addition_action:
            audit.record(self.audit_addition_action, request=request, obj=obj, message=message)
        return entry

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_change(request, obj, message)
        audit.record(Action.ADMIN_CHANGE, request=request, obj=obj, message=message)
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        entries = super().log_deletions(request, queryset)
        for obj in queryset:
            audit.record(Action.ADMIN_DELETE, request=request, obj=obj)
        return entries


class SiteScopedChoices(admin.options.BaseModelAdmin):
    """Drop-downs (and the rows a form accepts, whatever its widget) limited to the staff
    member's sites: for admins and for their inlines."""

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        assert isinstance(request.user, User)
        related = db_field.related_model
        if site_lookup_of(related) is not None:
            kwargs["queryset"] = scope_queryset(related._default_manager.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        assert isinstance(request.user, User)
        related = db_field.related_model
        if site_lookup_of(related) is not None:
            kwargs["queryset"] = scope_queryset(related._default_manager.all(), request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class SiteScopedAdmin(SiteScopedChoices, AuditedAdmin):
    """Lists, forms and drop-downs limited to the staff member's sites; superusers see all."""

    # An address typed without its scheme is an https one (a gateway, a tariff page); Django 6
    # makes it the default, and until then a form guessing "http" warns on every change page.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        assert isinstance(request.user, User)
        return scope_queryset(super().get_queryset(request), request.user)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        # PostgreSQL refuses a NUL byte in a query (a 500 on the list or the autocomplete); no
        # text the portal stores can hold one, so searching without it finds the same rows.
        return super().get_search_results(request, queryset, search_term.replace("\x00", ""))


class SiteScopedTabularInline(SiteScopedChoices, admin.TabularInline):
    """An inline whose drop-downs offer the staff member's sites only, as SiteScopedAdmin's."""


class SiteScopedHistoryAdmin(SiteScopedAdmin, SimpleHistoryAdmin):
    """Scoped admin with the history of changes (who, when, old value, new value)."""

    def _check_in_scope(self, request: HttpRequest, object_id: str) -> None:
        # simple-history falls back to the history rows when the object is not in the
        # queryset; an object of another site must not be reached that way.
        # get_object() answers None, as the change page does, for an id that is not a number.
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self._check_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        self._check_in_scope(request, object_id)
        options: Any = self.model._meta
        history = getattr(self.model, options.simple_history_manager_attribute)
        try:
            history.model._meta.pk.to_python(version_id)
        except ValidationError:
            raise Http404 from None  # Not an id of the history: no such version.
        return super().history_form_view(request, object_id, version_id, extra_context)
