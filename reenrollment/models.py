from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import Course, Enrolment, Slot
from extranet.models import SchoolYear, Site
from families.models import Family
from students.models import Student


class Campaign(models.Model):
    """A re-enrollment campaign of a site for a target school year, open between two dates."""

    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT)
    school_year = models.ForeignKey(
        SchoolYear, verbose_name=_("année visée"), on_delete=models.PROTECT, related_name="+"
    )
    opens_at = models.DateTimeField(_("ouverture"))
    closes_at = models.DateTimeField(_("fermeture"))
    rules_text = models.TextField(
        _("texte à accepter"),
        default=(
            "En cochant sur j'accepte vous déclarez avoir pris connaissance du règlement "
            "intérieur du conservatoire qui vous a été transmis dans le mail de demande de "
            "réinscription."
        ),
    )
    tariff_url = models.URLField(_("lien vers la grille tarifaire"), blank=True)
    max_upload_mb = models.PositiveSmallIntegerField(
        _("taille maximale d'un fichier (Mo)"), default=10
    )
    closed_at = models.DateTimeField(_("clôture traitée le"), null=True, blank=True)

    SITE_LOOKUP = "site"

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = _("campagne de réinscription")
        verbose_name_plural = _("campagnes de réinscription")

    def __str__(self) -> str:
        return f"{self.site} · {self.school_year}"

    def is_open(self, now: datetime.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at


class DocumentType(models.Model):
    """A supporting document a campaign asks for ("Pièces à fournir")."""

    class Scope(models.TextChoices):
        FAMILY = "family", _("Famille")
        STUDENT = "student", _("Elève")

    class Rule(models.TextChoices):
        REQUIRED = "required", _("Obligatoire")
        DANCE = "dance", _("Seulement pour les cours de danse")
        TWO_CHILDREN = (
            "two_children",
            _("Seulement pour les familles d'au moins 2 enfants de moins de 20 ans"),
        )
        ADDRESS_CHANGED = "address_changed", _("Seulement si l'adresse a changé")
        OPTIONAL = "optional", _("Facultatif")

    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campagne"),
        on_delete=models.CASCADE,
        related_name="document_types",
    )
    name = models.CharField(_("nom du document"), max_length=200)
    scope = models.CharField(_("pour"), max_length=10, choices=Scope.choices)
    rule = models.CharField(
        _("demandé"), max_length=20, choices=Rule.choices, default=Rule.REQUIRED
    )
    help_text = models.CharField(_("aide"), max_length=300, blank=True)
    min_pages = models.PositiveSmallIntegerField(
        _("nombre de pages attendu"), null=True, blank=True
    )
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)

    SITE_LOOKUP = "campaign__site"

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("pièce à fournir")
        verbose_name_plural = _("pièces à fournir")

    def __str__(self) -> str:
        return self.name


def document_upload_to(instance: Document, filename: str) -> str:
    # The stored name is generated (reenrollment.documents.stored_name), never the parent's.
    return filename


class Document(models.Model):
    """A file a family provided for a document type: once per family or per pupil."""

    class Status(models.TextChoices):
        PROVIDED = "provided", _("Fourni")
        VALIDATED = "validated", _("Validé")
        REFUSED = "refused", _("Refusé")

    document_type = models.ForeignKey(
        DocumentType, verbose_name=_("pièce"), on_delete=models.PROTECT, related_name="documents"
    )
    family = models.ForeignKey(
        Family, verbose_name=_("famille"), on_delete=models.CASCADE, related_name="documents"
    )
    student = models.ForeignKey(
        Student,
        verbose_name=_("élève"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
    )
    file = models.FileField(_("fichier"), upload_to=document_upload_to, max_length=200)
    display_name = models.CharField(_("nom du fichier"), max_length=120)
    size = models.PositiveIntegerField(_("taille (octets)"))
    pages = models.PositiveSmallIntegerField(_("pages"))
    uploaded_at = models.DateTimeField(_("déposé le"), default=timezone.now)
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.PROVIDED
    )
    refusal_reason = models.CharField(_("motif du refus"), max_length=300, blank=True)
    page_warning = models.CharField(_("avertissement"), max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("examiné par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("examiné le"), null=True, blank=True)

    SITE_LOOKUP = "family__site"

    class Meta:
        ordering = ["document_type__order", "pk"]
        verbose_name = _("document fourni")
        verbose_name_plural = _("documents fournis")
        constraints = [
            # One current file per document type and family (family documents) or pupil.
            models.UniqueConstraint(
                fields=["document_type", "family"],
                condition=models.Q(student__isnull=True),
                name="one_family_document",
            ),
            models.UniqueConstraint(
                fields=["document_type", "student"],
                condition=models.Q(student__isnull=False),
                name="one_student_document",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_type} · {self.display_name}"

    @property
    def size_mb(self) -> float:
        return self.size / (1024 * 1024)


class ReenrollmentRequest(models.Model):
    """A family's request to re-enroll one pupil in a campaign ("Réinscription")."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SENT = "sent", _("Envoyée")
        INCOMPLETE = "incomplete", _("Incomplète")
        VALIDATED = "validated", _("Validée")
        REFUSED = "refused", _("Refusée")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campagne"), on_delete=models.PROTECT, related_name="requests"
    )
    student = models.ForeignKey(
        Student, verbose_name=_("élève"), on_delete=models.CASCADE, related_name="reenrollments"
    )
    family = models.ForeignKey(
        Family, verbose_name=_("famille"), on_delete=models.CASCADE, related_name="reenrollments"
    )
    status = models.CharField(
        _("état"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    administrative = models.BooleanField(_("Réinscription administrative"), default=False)
    comment = models.TextField(_("Information complémentaire"), blank=True)
    rules_accepted_at = models.DateTimeField(_("règlement accepté le"), null=True, blank=True)
    rules_accepted_text = models.TextField(_("texte accepté"), blank=True)
    submitted_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("décidée par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    refusal_reason = models.CharField(_("motif du refus"), max_length=300, blank=True)

    SITE_LOOKUP = "campaign__site"

    class Meta:
        ordering = ["-submitted_at", "pk"]
        verbose_name = _("demande de réinscription")
        verbose_name_plural = _("demandes de réinscription")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "student"], name="one_request_per_student")
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.campaign}"


def new_offer_token() -> str:
    return secrets.token_urlsafe(24)


class Choice(models.Model):
    """One line of a request: renew this course, in this next-year slot (a seat), or wait.

    A choice in state HELD or OFFERED takes a seat of its slot until the request is
    validated (the seat becomes an Enrolment), refused, or changed.
    """

    class State(models.TextChoices):
        HELD = "held", _("Place réservée")
        WAITING = "waiting", _("Liste d'attente")
        OFFERED = "offered", _("Place proposée")
        ASSIGNED = "assigned", _("Attribué par le conservatoire")
        CONFIRMED = "confirmed", _("Inscrit")
        RELEASED = "released", _("Place libérée")
        NOT_RENEWED = "not_renewed", _("Non reconduit")

    SEAT_STATES = (State.HELD, State.OFFERED)

    request = models.ForeignKey(
        ReenrollmentRequest,
        verbose_name=_("demande"),
        on_delete=models.CASCADE,
        related_name="choices",
    )
    enrolment = models.ForeignKey(
        Enrolment,
        verbose_name=_("cours suivi cette année"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    course = models.ForeignKey(Course, verbose_name=_("cours"), on_delete=models.PROTECT)
    slot = models.ForeignKey(
        Slot,
        verbose_name=_("créneau choisi"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="choices",
    )
    state = models.CharField(_("état"), max_length=12, choices=State.choices)
    queued_at = models.DateTimeField(_("en attente depuis"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offre valable jusqu'au"), null=True, blank=True)
    offer_token = models.CharField(max_length=64, blank=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    SITE_LOOKUP = "request__campaign__site"

    class Meta:
        ordering = ["course__name", "pk"]
        verbose_name = _("choix de cours")
        verbose_name_plural = _("choix de cours")
        indexes = [models.Index(fields=["slot", "state"], name="choice_slot_state")]

    def __str__(self) -> str:
        return f"{self.course} · {self.get_state_display()}"


class CeilingTariff(models.Model):
    """The mark that a family's documents were missing at a campaign's close: billing applies
    the ceiling tariff ("tarif plafond") until staff clear it."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campagne"), on_delete=models.CASCADE)
    family = models.ForeignKey(
        Family, verbose_name=_("famille"), on_delete=models.CASCADE, related_name="ceiling_tariffs"
    )
    missing = models.TextField(_("pièces manquantes"))
    marked_at = models.DateTimeField(_("posé le"), default=timezone.now)
    cleared_at = models.DateTimeField(_("levé le"), null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("levé par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    SITE_LOOKUP = "family__site"

    class Meta:
        verbose_name = _("tarif plafond")
        verbose_name_plural = _("tarifs plafonds")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "family"], name="one_ceiling_mark")
        ]

    def __str__(self) -> str:
        return f"{self.family} · {self.campaign}"

    @property
    def active(self) -> bool:
        return self.cleared_at is None


class PreRegistration(models.Model):
    """A new family's request to join a conservatoire ("Pré-inscription"), from the public
    form; staff turn it into a family with its account."""

    class Status(models.TextChoices):
        NEW = "new", _("Nouvelle")
        CONVERTED = "converted", _("Famille créée")
        CLOSED = "closed", _("Classée")

    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT)
    civilite = models.CharField(_("Civilité"), max_length=20, blank=True)
    nom = models.CharField(_("Nom"), max_length=100)
    prenom = models.CharField(_("Prénom"), max_length=100)
    adresse = models.CharField(_("Adresse"), max_length=200)
    code_postal = models.CharField(_("Code postal"), max_length=5)
    ville = models.CharField(_("Ville"), max_length=100)
    mobile = models.CharField(_("Mobile"), max_length=20)
    email = models.EmailField(_("E-mail"))
    message = models.TextField(_("Message au secrétariat"), blank=True)
    created_at = models.DateTimeField(_("reçue le"), default=timezone.now)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.NEW)
    duplicate_note = models.TextField(_("doublon possible"), blank=True)
    family = models.ForeignKey(
        Family,
        verbose_name=_("famille créée"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    SITE_LOOKUP = "site"

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("pré-inscription")
        verbose_name_plural = _("pré-inscriptions")

    def __str__(self) -> str:
        return f"{self.nom.upper()} {self.prenom} ({self.site})"


class PreRegistrationChild(models.Model):
    pre_registration = models.ForeignKey(
        PreRegistration, on_delete=models.CASCADE, related_name="children"
    )
    prenom = models.CharField(_("Prénom"), max_length=100)
    nom = models.CharField(_("Nom"), max_length=100)
    date_naissance = models.DateField(_("Date de naissance"))
    disciplines = models.CharField(_("Disciplines souhaitées"), max_length=300)
    availabilities = models.CharField(_("Disponibilités"), max_length=300, blank=True)

    SITE_LOOKUP = "pre_registration__site"

    class Meta:
        verbose_name = _("enfant")
        verbose_name_plural = _("enfants")

    def __str__(self) -> str:
        return f"{self.nom.upper()} {self.prenom}"


class PreRegistrationDocument(models.Model):
    pre_registration = models.ForeignKey(
        PreRegistration, on_delete=models.CASCADE, related_name="documents"
    )
    name = models.CharField(_("pièce"), max_length=200)
    file = models.FileField(_("fichier"), upload_to=document_upload_to, max_length=200)
    display_name = models.CharField(_("nom du fichier"), max_length=120)
    size = models.PositiveIntegerField(_("taille (octets)"))
    pages = models.PositiveSmallIntegerField(_("pages"))

    SITE_LOOKUP = "pre_registration__site"

    class Meta:
        verbose_name = _("document de pré-inscription")
        verbose_name_plural = _("documents de pré-inscription")

    def __str__(self) -> str:
        return f"{self.name} · {self.display_name}"
