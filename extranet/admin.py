from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import axes.admin  # noqa: F401 (registers its admins, wrapped for the audit log below)
from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from extranet import audit, services
from extranet.admin_scope import AuditedAdmin, SiteScopedAdmin
from extranet.audit import Action
from extranet.models import (
    STUDENT_OPTIONAL_REQUIRED_FIELDS,
    AuditEntry,
    OutboxMessage,
    SchoolYear,
    Site,
    User,
)


class SiteForm(forms.ModelForm):
    required_student_fields = forms.MultipleChoiceField(
        label=_("Champs obligatoires de la fiche élève"),
        choices=STUDENT_OPTIONAL_REQUIRED_FIELDS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Nom, prénom et date de naissance sont toujours obligatoires."),
    )

    class Meta:
        model = Site
        fields = [
            "name",
            "slug",
            "institution",
            "address",
            "postal_code",
            "city",
            "phone",
            "email",
            "welcome_message",
            "accessibility_statement",
            "legal_notice",
            "required_student_fields",
            "notify_unjustified_absences",
            "document_retention_days",
        ]


@admin.register(Site)
class SiteAdmin(SiteScopedAdmin):
    form = SiteForm
    list_display = ["name", "city", "phone", "email"]
    search_fields = ["name", "city"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "institution"]}),
        (_("Coordonnées"), {"fields": ["address", "postal_code", "city", "phone", "email"]}),
        (
            _("Textes du portail"),
            {"fields": ["welcome_message", "accessibility_statement", "legal_notice"]},
        ),
        (_("Fiche élève"), {"fields": ["required_student_fields"]}),
        (_("Absences"), {"fields": ["notify_unjustified_absences"]}),
        (_("Données personnelles"), {"fields": ["document_retention_days"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        assert isinstance(request.user, User)
        return [] if request.user.is_superuser else ["name", "slug"]

    def get_prepopulated_fields(self, request: HttpRequest, obj: Any = None) -> dict[str, Any]:
        # A read-only slug is no form field to fill from the name (the page would fail).
        assert isinstance(request.user, User)
        return dict(self.prepopulated_fields) if request.user.is_superuser else {}


@admin.register(SchoolYear)
class SchoolYearAdmin(AuditedAdmin):
    list_display = ["label", "start_date", "end_date"]


class AccountCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("site", "username", "kind", "email", "first_name", "last_name")


class AccountChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"  # noqa: DJ007 (the admin narrows it with its fieldsets)


# What an account may reach: a change of any of them gets an audit entry of its own, with the
# values before and after (the "admin.change" entry only names the fields).
RIGHTS_FIELDS = [
    "site",
    "kind",
    "is_active",
    "is_staff",
    "is_superuser",
    "staff_sites",
    "groups",
    "user_permissions",
]


def _rights_value(form: forms.ModelForm, name: str, value: Any) -> Any:
    """A right as the log shows it: names, not ids (an id may be reused or gone)."""
    if isinstance(value, QuerySet | list | tuple):
        return sorted(str(item) for item in value)
    field = form.fields.get(name)
    if isinstance(field, ModelChoiceField) and value is not None:
        if not isinstance(value, models.Model):
            value = field.queryset.model._default_manager.filter(pk=value).first()  # type: ignore[union-attr]
        return str(value)
    return value


@admin.register(User)
class UserAdmin(SiteScopedAdmin, DjangoUserAdmin):
    form = AccountChangeForm
    add_form = AccountCreationForm
    audit_addition_action = Action.ACCOUNT_CREATED
    list_display = ["username", "site", "kind", "last_name", "first_name", "email", "is_active"]
    list_filter = ["site", "kind", "is_active", "is_staff"]
    list_select_related = ["site"]
    search_fields = ["username", "email", "last_name", "first_name"]
    ordering = ["site", "username"]
    filter_horizontal = ["staff_sites", "groups", "user_permissions"]
    actions = ["send_password_link"]
    fieldsets = [
        (None, {"fields": ["site", "username", "kind", "password"]}),
        (_("Personne"), {"fields": ["first_name", "last_name", "email", "language"]}),
        (
            _("Droits"),
            {
                "fields": [
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "staff_sites",
                    "groups",
                    "user_permissions",
                ]
            },
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "site",
                    "username",
                    "kind",
                    "email",
                    "first_name",
                    "last_name",
                    "usable_password",
                    "password1",
                    "password2",
                ],
            },
        )
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        queryset = super().get_queryset(request)
        assert isinstance(request.user, User)
        if not request.user.is_superuser:
            # The secretariat manages family and teacher logins, never staff or superusers.
            queryset = queryset.filter(is_superuser=False, is_staff=False).exclude(
                kind=User.Kind.STAFF
            )
        return queryset

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        assert isinstance(request.user, User)
        if request.user.is_superuser or obj is None:
            return fieldsets
        rights: Any = ["is_active"]
        return [
            fs if fs[0] != _("Droits") else (_("Droits"), {"fields": rights}) for fs in fieldsets
        ]

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        assert isinstance(request.user, User)
        if db_field.name == "kind" and not request.user.is_superuser:
            kwargs["choices"] = [
                (User.Kind.FAMILY, User.Kind.FAMILY.label),
                (User.Kind.TEACHER, User.Kind.TEACHER.label),
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        changed = [name for name in RIGHTS_FIELDS if name in form.changed_data]
        if change and changed:
            audit.record(
                Action.ACCOUNT_RIGHTS_CHANGED,
                request=request,
                obj=form.instance,
                changes={
                    name: {
                        "before": _rights_value(form, name, form.initial.get(name)),
                        "after": _rights_value(form, name, form.cleaned_data.get(name)),
                    }
                    for name in changed
                },
            )

    @admin.action(description=_("Envoyer un lien pour choisir le mot de passe"))
    def send_password_link(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        sent = 0
        for user in queryset.select_related("site"):
            if user.email and user.is_active:
                with transaction.atomic():
                    services.password_link_send(user=user, base_url=request.build_absolute_uri("/"))
                    audit.record(Action.PASSWORD_LINK_SENT, request=request, obj=user)
                sent += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d lien envoyé (les comptes sans e-mail sont ignorés).",
                "%(count)d liens envoyés (les comptes sans e-mail sont ignorés).",
                sent,
            )
            % {"count": sent},
            messages.SUCCESS,
        )


class SuperusersReadOnly:
    """Pages for superusers only, where nobody adds or edits anything."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(getattr(request.user, "is_superuser", False))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(getattr(request.user, "is_superuser", False))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(SuperusersReadOnly, AuditedAdmin):
    """The email outbox of the whole network: superusers only (it holds every site's mail)."""

    list_display = ["created_at", "to", "subject", "attempts", "sent_at", "last_error"]
    list_filter = ["sent_at", "attempts"]
    search_fields = ["to", "subject"]
    readonly_fields = [
        "to",
        "subject",
        "text_body",
        "html_body",
        "created_at",
        "send_after",
        "attempts",
        "sent_at",
        "last_error",
    ]


# Second factors (django-otp) are for superusers only: they delete a staff member's device when
# the phone is lost, and the next login asks to pair a new one. Importing the plugin's admin
# above registered it first.
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class SecondFactorAdmin(SuperusersReadOnly, TOTPDeviceAdmin):
    """Nobody adds a device here: staff pair their own app at their next login."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


# The audit log -----------------------------------------------------------------------------


class ActionFilter(admin.SimpleListFilter):
    title = _("action")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(Action.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(action=self.value()) if self.value() else queryset


def _model_of(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _existing_objects(entries: list[AuditEntry]) -> set[tuple[str, str]]:
    """(type, id) of the entries' objects still there: one query per type on the page."""
    ids: dict[str, set[Any]] = defaultdict(set)
    for entry in entries:
        model = _model_of(entry.object_type) if entry.object_id else None
        if model is None or not admin.site.is_registered(model):
            continue
        try:
            ids[entry.object_type].add(model._meta.pk.to_python(entry.object_id))  # type: ignore[union-attr]
        except ValidationError:
            continue
    existing: set[tuple[str, str]] = set()
    for object_type, pks in ids.items():
        model = _model_of(object_type)
        assert model is not None
        found = model._default_manager.filter(pk__in=pks).values_list("pk", flat=True)
        existing.update((object_type, str(pk)) for pk in found)
    return existing


class AuditChangeList(ChangeList):
    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.result_list = list(self.result_list)
        existing = _existing_objects(self.result_list)
        for entry in self.result_list:
            entry.object_exists = (entry.object_type, entry.object_id) in existing


AUDIT_ENTRY_FIELDS: Any = [
    "created_at",
    "actor_name",
    "site",
    "action_label",
    "object_link",
    "details_display",
    "request_id",
    "ip_address",
]


@admin.register(AuditEntry)
class AuditEntryAdmin(SuperusersReadOnly, admin.ModelAdmin):
    """The audit log: superusers read it; nobody, superusers included, adds, edits or deletes
    an entry through the admin."""

    list_display = ["created_at", "actor_name", "site", "action_label", "object_link", "ip_address"]
    list_filter = [ActionFilter, "site", "created_at"]
    list_select_related = ["site"]
    search_fields = ["actor_name", "object_repr", "=object_id", "=request_id"]
    date_hierarchy = "created_at"
    # The log grows without end: no COUNT(*) of the whole table on each page.
    show_full_result_count = False
    actions = None
    fields = readonly_fields = AUDIT_ENTRY_FIELDS

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return AuditChangeList

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        # PostgreSQL refuses a NUL byte in a query (as in SiteScopedAdmin).
        return super().get_search_results(request, queryset, search_term.replace("\x00", ""))

    @admin.display(description=_("action"), ordering="action")
    def action_label(self, entry: AuditEntry) -> str:
        return audit.action_label(entry.action)

    @admin.display(description=_("objet"))
    def object_link(self, entry: AuditEntry) -> str:
        if not entry.object_type:
            return "-"
        model = _model_of(entry.object_type)
        label = f"{model._meta.verbose_name} : {entry.object_repr}" if model else entry.object_repr
        exists = getattr(entry, "object_exists", None)
        if exists is None:  # The detail page: one entry, one query.
            exists = (entry.object_type, entry.object_id) in _existing_objects([entry])
        if not exists:
            return label
        app_label, model_name = entry.object_type.split(".")
        try:
            url = reverse(f"admin:{app_label}_{model_name}_change", args=[entry.object_id])
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description=_("détails"))
    def details_display(self, entry: AuditEntry) -> str:
        rows = [
            (audit.detail_label(key), _detail_text(key, value))
            for key, value in (entry.details or {}).items()
        ]
        if not rows:
            return "-"
        return format_html("<dl>{}</dl>", format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows))


def _detail_text(key: str, value: Any) -> str:
    if key == "message" and isinstance(value, list):
        # Django's change message ("Modification de Nom et E-mail."), in the reader's language.
        return str(LogEntry(change_message=json.dumps(value)).get_change_message())
    if isinstance(value, dict) and set(value) == {"before", "after"}:
        return f"{_detail_text('', value['before'])} → {_detail_text('', value['after'])}"
    if isinstance(value, dict):
        return " ; ".join(
            f"{audit.detail_label(name)} : {_detail_text(name, item)}"
            for name, item in value.items()
        )
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "-"
    if isinstance(value, bool):
        return str(_("oui") if value else _("non"))
    if value is None or value == "":
        return "-"
    return str(value)


# The admins of other packages (groups of permissions, second factors, login throttling) log to
# the audit too: every model of the admin does (tests/extranet/test_audit.py checks it).
for _model in [Group, TOTPDevice, *apps.get_app_config("axes").get_models()]:
    if admin.site.is_registered(_model):
        _current = type(admin.site.get_model_admin(_model))
        if not issubclass(_current, AuditedAdmin):
            admin.site.unregister(_model)
            admin.site.register(_model, type(_current.__name__, (AuditedAdmin, _current), {}))
