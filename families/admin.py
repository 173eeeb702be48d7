from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from extranet.admin_scope import SiteScopedHistoryAdmin
from families.models import Family


@admin.register(Family)
class FamilyAdmin(SiteScopedHistoryAdmin):
    list_display = ["__str__", "site", "ville", "mobile", "email", "proof_of_address_needed"]
    list_filter = ["site", "proof_of_address_needed"]
    list_select_related = ["site"]
    search_fields = ["nom", "prenom", "email", "mobile", "account__username"]
    autocomplete_fields = ["account"]
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
    ]
