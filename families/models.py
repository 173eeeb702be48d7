from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from extranet.models import Site
from families.choices import PCS_CHOICES, Civilite, SituationFamiliale

# Fields whose change means the conservatory needs a new proof of address.
ADDRESS_FIELDS = ("adresse", "code_postal", "ville")


class Family(models.Model):
    """A family ("Famille"): its legal responsible's record and its login.

    An adult pupil is a family of one, whose responsible is the pupil.
    """

    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="families"
    )
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("compte"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="family",
    )
    civilite = models.CharField(_("Civilité"), max_length=20, choices=Civilite.choices, blank=True)
    nom = models.CharField(_("Nom"), max_length=100)
    prenom = models.CharField(_("Prénom"), max_length=100)
    situation_familiale = models.CharField(
        _("Situation familiale"), max_length=20, choices=SituationFamiliale.choices, blank=True
    )
    code_socio_professionnel = models.CharField(
        _("Code socio-professionnel"), max_length=2, choices=PCS_CHOICES, blank=True
    )
    profession = models.CharField(_("Profession"), max_length=100, blank=True)
    adresse = models.CharField(_("Adresse"), max_length=200, blank=True)
    code_postal = models.CharField(_("Code postal"), max_length=5, blank=True)
    ville = models.CharField(_("Ville"), max_length=100, blank=True)
    tel_domicile = models.CharField(_("Tél domicile"), max_length=20, blank=True)
    mobile = models.CharField(_("Mobile"), max_length=20, blank=True)
    tel_pro = models.CharField(_("Tél pro"), max_length=20, blank=True)
    email = models.EmailField(_("E-mail"), blank=True)
    tel_supplementaire_1 = models.CharField(_("Tél supplémentaire"), max_length=20, blank=True)
    tel_supplementaire_2 = models.CharField(_("Tél supplémentaire"), max_length=20, blank=True)
    tel_supplementaire_3 = models.CharField(_("Tél supplémentaire"), max_length=20, blank=True)
    proof_of_address_needed = models.BooleanField(
        _("nouveau justificatif de domicile à fournir"),
        default=False,
        help_text=_("Posé quand la famille change d'adresse ; la réinscription le demande."),
    )
    address_changed_at = models.DateTimeField(_("adresse modifiée le"), null=True, blank=True)
    anonymised_at = models.DateTimeField(
        _("anonymisée le"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Famille partie dont les données personnelles ont été effacées."),
    )

    history = HistoricalRecords(verbose_name=_("historique famille"))

    SITE_LOOKUP = "site"

    class Meta:
        ordering = ["nom", "prenom"]
        verbose_name = _("famille")
        verbose_name_plural = _("familles")

    def __str__(self) -> str:
        return f"{self.nom} {self.prenom}"

    @property
    def display_name(self) -> str:
        """As the legacy portal greets: civilité, NOM, Prénom ("Madame TEST FAMILLE")."""
        parts = [self.get_civilite_display(), self.nom.upper(), self.prenom]
        return " ".join(part for part in parts if part)
