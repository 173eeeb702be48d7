from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from extranet import services
from extranet.admin_scope import SiteScopedAdmin
from extranet.models import (
    STUDENT_OPTIONAL_REQUIRED_FIELDS,
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
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        assert isinstance(request.user, User)
        return [] if request.user.is_superuser else ["name", "slug"]


@admin.register(SchoolYear)
class SchoolYearAdmin(admin.ModelAdmin):
    list_display = ["label", "start_date", "end_date"]


class AccountCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("site", "username", "kind", "email", "first_name", "last_name")


class AccountChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"  # noqa: DJ007 (the admin narrows it with its fieldsets)


@admin.register(User)
class UserAdmin(SiteScopedAdmin, DjangoUserAdmin):
    form = AccountChangeForm
    add_form = AccountCreationForm
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

    @admin.action(description=_("Envoyer un lien pour choisir le mot de passe"))
    def send_password_link(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        sent = 0
        for user in queryset.select_related("site"):
            if user.email and user.is_active:
                services.password_link_send(user=user, base_url=request.build_absolute_uri("/"))
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


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
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

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(getattr(request.user, "is_superuser", False))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(getattr(request.user, "is_superuser", False))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
