from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from extranet.admin_scope import SiteScopedHistoryAdmin
from extranet.models import User
from families.models import Family
from families.privacy import family_anonymise, family_left_refusal
from families.services import FamiliesError


@admin.register(Family)
class FamilyAdmin(SiteScopedHistoryAdmin):
    list_display = ["__str__", "site", "ville", "mobile", "email", "proof_of_address_needed"]
    list_filter = ["site", "proof_of_address_needed", ("anonymised_at", admin.EmptyFieldListFilter)]
    list_select_related = ["site"]
    search_fields = ["nom", "prenom", "email", "mobile", "account__username"]
    autocomplete_fields = ["account"]
    readonly_fields = ["anonymised_at"]
    actions = ["anonymise_selected"]
    fieldsets = [
        (None, {"fields": ["site", "account"]}),
        (
            _("Responsable"),
            {
                "fields": [
                    "civilite",
                    "nom",
                    "prenom",
                    "situation_familiale",
                    "code_socio_professionnel",
                    "profession",
                ]
            },
        ),
        (
            _("Coordonnées"),
            {
                "fields": [
                    "adresse",
                    "code_postal",
                    "ville",
                    "tel_domicile",
                    "mobile",
                    "tel_pro",
                    "email",
                    "tel_supplementaire_1",
                    "tel_supplementaire_2",
                    "tel_supplementaire_3",
                ]
            },
        ),
        (_("Justificatifs"), {"fields": ["proof_of_address_needed", "address_changed_at"]}),
        (_("Données personnelles"), {"fields": ["anonymised_at"]}),
    ]

    @admin.action(description=_("Anonymiser les familles sélectionnées"), permissions=["delete"])
    def anonymise_selected(
        self, request: HttpRequest, queryset: QuerySet[Family]
    ) -> HttpResponse | None:
        """A confirmation page first, as for a deletion; then the families that have left are
        anonymised, one transaction each, and the others are named with the reason."""
        assert isinstance(request.user, User)
        families = list(queryset.select_related("site").order_by("nom", "prenom", "pk"))
        if request.POST.get("post") != "yes":
            refusals = [(family, family_left_refusal(family)) for family in families]
            context = {
                **self.admin_site.each_context(request),
                "title": _("Anonymiser des familles"),
                "opts": self.model._meta,
                "allowed": [family for family, reason in refusals if reason is None],
                "refused": [(family, reason) for family, reason in refusals if reason],
                "action": "anonymise_selected",
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(
                request, "admin/families/family/anonymise_confirmation.html", context
            )
        done = 0
        refused: list[str] = []
        for family in families:
            try:
                family_anonymise(family=family, actor=request.user, request=request)
            except FamiliesError as error:
                refused.append(f"{family} : {error.message}")
            else:
                done += 1
        if done:
            message = ngettext(
                "%(count)d famille a été anonymisée.",
                "%(count)d familles ont été anonymisées.",
                done,
            )
            self.message_user(request, message % {"count": done}, messages.SUCCESS)
        if refused:
            message = ngettext(
                "%(count)d famille n'a pas été anonymisée : %(reasons)s",
                "%(count)d familles n'ont pas été anonymisées : %(reasons)s",
                len(refused),
            )
            reasons = " ; ".join(refused)
            self.message_user(
                request, message % {"count": len(refused), "reasons": reasons}, messages.ERROR
            )
        return None
