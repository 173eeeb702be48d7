from __future__ import annotations

import csv
from typing import Any

from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from extranet.admin_scope import SiteScopedAdmin, scope_queryset
from extranet.models import User
from reenrollment import services
from reenrollment.models import (
    Campaign,
    CeilingTariff,
    Choice,
    Document,
    DocumentType,
    PreRegistration,
    PreRegistrationChild,
    PreRegistrationDocument,
    ReenrollmentRequest,
)
from reenrollment.services import ReenrollmentError
from reenrollment.views import serve_document


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _serve_for_staff(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    model: type[Document] | type[PreRegistrationDocument],
    pk: int,
) -> HttpResponseBase:
    """Staff of the document's site download it; anyone else gets 404."""
    queryset = scope_queryset(model.objects.all(), _user(request))
    if not model_admin.has_view_permission(request):
        queryset = queryset.none()
    return serve_document(get_object_or_404(queryset, pk=pk))


class DocumentTypeInline(admin.TabularInline):
    model = DocumentType
    extra = 1
    fields = ["order", "name", "scope", "rule", "help_text", "min_pages"]


@admin.register(Campaign)
class CampaignAdmin(SiteScopedAdmin):
    list_display = ["__str__", "opens_at", "closes_at", "is_open_now", "closed_at"]
    list_filter = ["site", "school_year"]
    inlines = [DocumentTypeInline]
    actions = ["close_now"]

    @admin.display(boolean=True, description=_("ouverte"))
    def is_open_now(self, campaign: Campaign) -> bool:
        return campaign.is_open()

    @admin.action(description=_("Clôturer : poser le tarif plafond des dossiers incomplets"))
    def close_now(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        marked = 0
        for campaign in queryset:
            if campaign.closes_at > timezone.now():
                self.message_user(
                    request, _("%(c)s n'est pas encore fermée.") % {"c": campaign}, messages.ERROR
                )
                continue
            marked += services.campaign_close(campaign=campaign, by=_user(request))
        self.message_user(
            request,
            ngettext("%(n)s famille au tarif plafond.", "%(n)s familles au tarif plafond.", marked)
            % {"n": marked},
        )


class DocumentsAwaitingReview(admin.SimpleListFilter):
    title = _("dossier")
    parameter_name = "dossier"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("complete", _("complet")),
            ("incomplete", _("incomplet")),
            ("to_review", _("documents à examiner")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "complete":
            return queryset.filter(status=ReenrollmentRequest.Status.SENT)
        if self.value() == "incomplete":
            return queryset.filter(status=ReenrollmentRequest.Status.INCOMPLETE)
        if self.value() == "to_review":
            pending = Document.objects.filter(
                family=OuterRef("family"),
                document_type__campaign=OuterRef("campaign"),
                status=Document.Status.PROVIDED,
            )
            return queryset.filter(Exists(pending))
        return queryset


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 0
    can_delete = False
    fields = ["course", "slot", "state", "queued_at", "offer_expires_at"]
    readonly_fields = ["course", "slot", "state", "queued_at", "offer_expires_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReenrollmentRequest)
class ReenrollmentRequestAdmin(SiteScopedAdmin):
    list_display = ["student", "family", "campaign", "status", "submitted_at", "administrative"]
    list_filter = [
        ("campaign", admin.RelatedOnlyFieldListFilter),
        "status",
        DocumentsAwaitingReview,
    ]
    list_select_related = ["student", "family", "campaign__site", "campaign__school_year"]
    search_fields = ["student__nom", "student__prenom", "family__nom", "family__email"]
    inlines = [ChoiceInline]
    actions = ["validate", "refuse", "export_csv"]
    readonly_fields = [
        "campaign",
        "student",
        "family",
        "status",
        "administrative",
        "comment",
        "rules_accepted_at",
        "rules_accepted_text",
        "submitted_at",
        "decided_at",
        "decided_by",
        "documents",
    ]
    fields = [*readonly_fields, "refusal_reason"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("documents"))
    def documents(self, obj: ReenrollmentRequest) -> str:
        documents = Document.objects.filter(
            family=obj.family, document_type__campaign=obj.campaign
        ).filter(student__isnull=True) | Document.objects.filter(
            family=obj.family, document_type__campaign=obj.campaign, student=obj.student
        )
        rows = [
            (
                reverse("admin:reenrollment_document_change", args=[d.pk]),
                d.document_type.name,
                reverse("admin:reenrollment_document_file", args=[d.pk]),
                d.display_name,
                d.get_status_display(),
            )
            for d in documents.select_related("document_type")
        ]
        if not rows:
            return str(_("aucun"))
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a> : <a href="{}">{}</a> ({})</li>',
                rows,
            ),
        )

    @admin.action(description=_("Valider les demandes (créer les inscriptions)"))
    def validate(self, request: HttpRequest, queryset: QuerySet[ReenrollmentRequest]) -> None:
        done = 0
        for item in queryset:
            try:
                services.request_validate(
                    request=item, by=_user(request), base_url=request.build_absolute_uri("/")
                )
                done += 1
            except ReenrollmentError as error:
                self.message_user(request, f"{item} : {error.message}", messages.ERROR)
        self.message_user(
            request,
            ngettext("%(n)s demande validée.", "%(n)s demandes validées.", done) % {"n": done},
        )

    @admin.action(description=_("Refuser les demandes (motif : champ « motif du refus »)"))
    def refuse(self, request: HttpRequest, queryset: QuerySet[ReenrollmentRequest]) -> None:
        done = 0
        for item in queryset:
            try:
                services.request_refuse(
                    request=item,
                    reason=item.refusal_reason,
                    by=_user(request),
                    base_url=request.build_absolute_uri("/"),
                )
                done += 1
            except ReenrollmentError as error:
                self.message_user(request, f"{item} : {error.message}", messages.ERROR)
        self.message_user(
            request,
            ngettext("%(n)s demande refusée.", "%(n)s demandes refusées.", done) % {"n": done},
        )

    @admin.action(description=_("Exporter en CSV"))
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet[ReenrollmentRequest]
    ) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="reinscriptions.csv"'
        response.write("\ufeff")  # So that spreadsheet software reads the accents right.
        writer = csv.writer(response, delimiter=";")
        writer.writerow(
            [
                "Campagne",
                "Famille",
                "E-mail",
                "Élève",
                "État",
                "Administrative",
                "Envoyée le",
                "Choix",
                "Information complémentaire",
            ]
        )
        for item in queryset.prefetch_related("choices__slot__teacher", "choices__course"):
            choices = " | ".join(
                f"{c.course.name}: "
                + (f"{c.slot.get_weekday_display()} {c.slot.start_time:%H:%M} " if c.slot else "")
                + str(c.get_state_display())
                for c in item.choices.all()  # type: ignore[attr-defined]
            )
            writer.writerow(
                [
                    str(item.campaign),
                    str(item.family),
                    item.family.email,
                    str(item.student),
                    item.get_status_display(),
                    "oui" if item.administrative else "non",
                    item.submitted_at.strftime("%d/%m/%Y %H:%M") if item.submitted_at else "",
                    choices,
                    item.comment,
                ]
            )
        return response


@admin.register(Document)
class DocumentAdmin(SiteScopedAdmin):
    list_display = [
        "document_type",
        "family",
        "student",
        "display_name",
        "pages",
        "uploaded_at",
        "status",
        "open_file",
    ]
    list_filter = ["status", ("document_type__campaign", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["document_type", "family", "student"]
    search_fields = ["family__nom", "student__nom", "display_name"]
    fields = [
        "document_type",
        "family",
        "student",
        "display_name",
        "pages",
        "size",
        "uploaded_at",
        "page_warning",
        "status",
        "refusal_reason",
        "reviewed_by",
        "reviewed_at",
        "open_file",
    ]
    readonly_fields = [
        "document_type",
        "family",
        "student",
        "display_name",
        "pages",
        "size",
        "uploaded_at",
        "page_warning",
        "status",
        "reviewed_by",
        "reviewed_at",
        "open_file",
    ]
    actions = ["accept", "refuse"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/fichier/",
                self.admin_site.admin_view(self.file_view),
                name="reenrollment_document_file",
            ),
            *super().get_urls(),
        ]

    def file_view(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        return _serve_for_staff(self, request, Document, pk)

    @admin.display(description=_("fichier"))
    def open_file(self, document: Document) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:reenrollment_document_file", args=[document.pk]),
            _("Ouvrir"),
        )

    @admin.action(description=_("Accepter les documents"))
    def accept(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        for document in queryset:
            services.document_review(
                document=document,
                accept=True,
                reason="",
                by=_user(request),
                base_url=request.build_absolute_uri("/"),
            )
        self.message_user(request, _("Documents acceptés."))

    @admin.action(description=_("Refuser les documents (motif : champ « motif du refus »)"))
    def refuse(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        for document in queryset:
            try:
                services.document_review(
                    document=document,
                    accept=False,
                    reason=document.refusal_reason,
                    by=_user(request),
                    base_url=request.build_absolute_uri("/"),
                )
            except ReenrollmentError as error:
                self.message_user(request, f"{document} : {error.message}", messages.ERROR)


@admin.register(Choice)
class ChoiceAdmin(SiteScopedAdmin):
    """Seats and waiting lists, per slot."""

    list_display = ["request", "course", "slot", "state", "queued_at", "offer_expires_at"]
    list_filter = ["state", ("request__campaign", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["request__student", "course", "slot__teacher"]
    search_fields = ["request__student__nom", "course__name"]
    readonly_fields = [
        "request",
        "enrolment",
        "course",
        "slot",
        "state",
        "queued_at",
        "offer_expires_at",
    ]
    exclude = ["offer_token"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(CeilingTariff)
class CeilingTariffAdmin(SiteScopedAdmin):
    list_display = ["family", "campaign", "marked_at", "cleared_at"]
    list_filter = [("campaign", admin.RelatedOnlyFieldListFilter), "cleared_at"]
    list_select_related = ["family", "campaign__site", "campaign__school_year"]
    search_fields = ["family__nom"]
    readonly_fields = ["campaign", "family", "missing", "marked_at", "cleared_at", "cleared_by"]
    actions = ["clear"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Lever le tarif plafond"))
    def clear(self, request: HttpRequest, queryset: QuerySet[CeilingTariff]) -> None:
        for mark in queryset.filter(cleared_at__isnull=True):
            services.ceiling_tariff_clear(mark=mark, by=_user(request))
        self.message_user(request, _("Tarif plafond levé."))


class PreRegistrationChildInline(admin.TabularInline):
    model = PreRegistrationChild
    extra = 0


class PreRegistrationDocumentInline(admin.TabularInline):
    model = PreRegistrationDocument
    extra = 0
    can_delete = False
    fields = ["name", "display_name", "pages", "open_file"]
    readonly_fields = ["name", "display_name", "pages", "open_file"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("fichier"))
    def open_file(self, document: PreRegistrationDocument) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:reenrollment_preregistrationdocument_file", args=[document.pk]),
            _("Ouvrir"),
        )


@admin.register(PreRegistration)
class PreRegistrationAdmin(SiteScopedAdmin):
    list_display = ["__str__", "email", "created_at", "status", "possible_duplicate"]
    list_filter = ["site", "status"]
    list_select_related = ["site"]
    search_fields = ["nom", "prenom", "email"]
    inlines = [PreRegistrationChildInline, PreRegistrationDocumentInline]
    readonly_fields = ["created_at", "duplicate_note", "family", "status"]
    actions = ["convert"]

    def get_urls(self) -> list[Any]:
        return [
            path(
                "documents/<int:pk>/fichier/",
                self.admin_site.admin_view(self.file_view),
                name="reenrollment_preregistrationdocument_file",
            ),
            *super().get_urls(),
        ]

    def file_view(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        return _serve_for_staff(self, request, PreRegistrationDocument, pk)

    @admin.display(boolean=True, description=_("doublon possible"))
    def possible_duplicate(self, pre: PreRegistration) -> bool:
        return bool(pre.duplicate_note)

    @admin.action(description=_("Créer la famille et son compte (lien de mot de passe envoyé)"))
    def convert(self, request: HttpRequest, queryset: QuerySet[PreRegistration]) -> None:
        for pre in queryset:
            try:
                family = services.preregistration_convert(
                    pre=pre, by=_user(request), base_url=request.build_absolute_uri("/")
                )
            except ReenrollmentError as error:
                self.message_user(request, f"{pre} : {error.message}", messages.ERROR)
            else:
                assert family.account is not None
                self.message_user(
                    request,
                    _("Famille %(family)s créée, identifiant %(username)s.")
                    % {"family": family, "username": family.account.username},
                )
