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


class SiteScopedAdmin(admin.ModelAdmin):
    """Lists, forms and drop-downs limited to the staff member's sites; superusers see all."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        assert isinstance(request.user, User)
        return scope_queryset(super().get_queryset(request), request.user)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        # PostgreSQL refuses a NUL byte in a query (a 500 on the list or the autocomplete); no
        # text the portal stores can hold one, so searching without it finds the same rows.
        return super().get_search_results(request, queryset, search_term.replace("\x00", ""))

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
