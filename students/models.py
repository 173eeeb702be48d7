from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from extranet.models import SchoolYear, User
from families.choices import Civilite, SituationFamiliale
from families.models import Family


class NiveauScolaire(models.TextChoices):
    MATERNELLE = "maternelle", _("Maternelle")
    CP = "cp", _("CP")
    CE1 = "ce1", _("CE1")
    CE2 = "ce2", _("CE2")
    CM1 = "cm1", _("CM1")
    CM2 = "cm2", _("CM2")
    SIXIEME = "6e", _("6e")
    CINQUIEME = "5e", _("5e")
    QUATRIEME = "4e", _("4e")
    TROISIEME = "3e", _("3e")
    SECONDE = "2de", _("2de")
    PREMIERE = "1re", _("1re")
    TERMINALE = "terminale", _("Terminale")
    SUPERIEUR = "superieur", _("Enseignement supérieur")
    ADULTE = "adulte", _("Adulte, non scolarisé")


class StudentQuerySet(models.QuerySet["Student"]):
    def for_family_account(self, user: User) -> StudentQuerySet:
        """The students a family login may see: its own, nothing else."""
        return self.filter(family__account=user)


class Student(models.Model):
    """A pupil ("Elève") of a family, with the record the family keeps up to date (Identité)."""

    family = models.ForeignKey(
        Family, verbose_name=_("famille"), on_delete=models.PROTECT, related_name="students"
    )
    civilite = models.CharField(_("Civilité"), max_length=20, choices=Civilite.choices, blank=True)
    nom = models.CharField(_("Nom"), max_length=100)
    prenom = models.CharField(_("Prénom"), max_length=100)
    date_naissance = models.DateField(_("Date de naissance"))
    lieu_naissance = models.CharField(_("Lieu de naissance"), max_length=100, blank=True)
    situation_familiale = models.CharField(
        _("Situation familiale"), max_length=20, choices=SituationFamiliale.choices, blank=True
    )
    utiliser_coordonnees_responsable = models.BooleanField(
        _("Utiliser les coordonnées du responsable légal"), default=False
    )
    adresse = models.CharField(_("Adresse"), max_length=200, blank=True)
    code_postal = models.CharField(_("Code postal"), max_length=5, blank=True)
    ville = models.CharField(_("Ville"), max_length=100, blank=True)
    tel_domicile = models.CharField(_("Tél domicile"), max_length=20, blank=True)
    mobile = models.CharField(_("Mobile"), max_length=20, blank=True)
    tel_pro = models.CharField(_("Tél pro"), max_length=20, blank=True)
    email = models.EmailField(_("E-mail"), blank=True)
    personne_a_prevenir = models.CharField(_("Personne à prévenir"), max_length=150, blank=True)
    tel_urgence = models.CharField(_("Tél urgence"), max_length=20, blank=True)
    droit_image = models.BooleanField(_("Droit à l'image"), null=True, blank=True)
    autorisation_sortie = models.BooleanField(_("Autorisation de sortie"), null=True, blank=True)
    etablissement_scolaire = models.CharField(
        _("Établissement scolaire"), max_length=150, blank=True
    )
    nationalite = models.CharField(_("Nationalité"), max_length=60, blank=True)

    history = HistoricalRecords(verbose_name=_("historique élève"))
    objects = StudentQuerySet.as_manager()

    SITE_LOOKUP = "family__site"

    class Meta:
        ordering = ["prenom", "pk"]
        verbose_name = _("élève")
        verbose_name_plural = _("élèves")

    def __str__(self) -> str:
        return f"{self.nom.upper()} {self.prenom}"


class SchoolLevel(models.Model):
    """The school class ("Niveau scolaire") a pupil attends during one school year."""

    student = models.ForeignKey(
        Student, verbose_name=_("élève"), on_delete=models.CASCADE, related_name="school_levels"
    )
    school_year = models.ForeignKey(
        SchoolYear, verbose_name=_("année scolaire"), on_delete=models.PROTECT, related_name="+"
    )
    niveau = models.CharField(_("Niveau scolaire"), max_length=20, choices=NiveauScolaire.choices)

    history = HistoricalRecords(verbose_name=_("historique niveau scolaire"))

    SITE_LOOKUP = "student__family__site"

    class Meta:
        verbose_name = _("niveau scolaire")
        verbose_name_plural = _("niveaux scolaires")
        constraints = [
            models.UniqueConstraint(
                fields=["student", "school_year"], name="one_school_level_per_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.student} {self.school_year}: {self.get_niveau_display()}"
