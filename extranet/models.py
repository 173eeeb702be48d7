from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Fields of the student record ("Identité") that a site may make required, beyond the ones
# that are always required (Nom, Prénom, Date de naissance). Names are Student field names.
STUDENT_OPTIONAL_REQUIRED_FIELDS: list[tuple[str, Any]] = [
    ("civilite", _("Civilité")),
    ("lieu_naissance", _("Lieu de naissance")),
    ("situation_familiale", _("Situation familiale")),
    ("adresse", _("Adresse")),
    ("code_postal", _("Code postal")),
    ("ville", _("Ville")),
    ("tel_domicile", _("Tél domicile")),
    ("mobile", _("Mobile")),
    ("email", _("E-mail")),
    ("personne_a_prevenir", _("Personne à prévenir")),
    ("tel_urgence", _("Tél urgence")),
    ("droit_image", _("Droit à l'image")),
    ("autorisation_sortie", _("Autorisation de sortie")),
    ("etablissement_scolaire", _("Établissement scolaire")),
    ("niveau_scolaire", _("Niveau scolaire")),
    ("nationalite", _("Nationalité")),
]


def default_required_student_fields() -> list[str]:
    return ["personne_a_prevenir", "tel_urgence", "droit_image", "autorisation_sortie"]


class Site(models.Model):
    """A conservatoire of the network. Every login, family and record belongs to one site."""

    name = models.CharField(_("nom"), max_length=100, unique=True)
    slug = models.SlugField(_("code"), unique=True)
    institution = models.CharField(_("établissement"), max_length=200, blank=True)
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("ville"), max_length=100, blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    welcome_message = models.TextField(
        _("message d'accueil"),
        blank=True,
        help_text=_("Affiché aux familles sur la page Accueil du portail."),
    )
    accessibility_statement = models.TextField(
        _("déclaration d'accessibilité"),
        blank=True,
        help_text=_("Affichée sur la page Accessibilité, en plus de la déclaration du portail."),
    )
    legal_notice = models.TextField(_("mentions légales"), blank=True)
    notify_unjustified_absences = models.BooleanField(
        _("prévenir les familles des absences non justifiées"),
        default=True,
        help_text=_("Un e-mail part vers la famille quand un enseignant relève une absence."),
    )
    required_student_fields = models.JSONField(
        _("champs obligatoires de la fiche élève"),
        default=default_required_student_fields,
        blank=True,
        help_text=_("Nom, prénom et date de naissance sont toujours obligatoires."),
    )
    document_retention_days = models.PositiveIntegerField(
        _("conservation des pièces justificatives (jours)"),
        default=365,
        help_text=_(
            "Après la clôture d'une campagne de réinscription, ses pièces justificatives sont "
            "supprimées passé ce délai, de même que celles d'une pré-inscription traitée, "
            "comptées depuis sa réception (commande purge_documents)."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return self.name

    def contact_lines(self) -> list[str]:
        city_line = " ".join(part for part in (self.postal_code, self.city) if part)
        return [line for line in (self.institution, self.address, city_line, self.phone) if line]


class SchoolYearQuerySet(models.QuerySet["SchoolYear"]):
    def containing(self, day: datetime.date) -> SchoolYearQuerySet:
        return self.filter(start_date__lte=day, end_date__gte=day)


class SchoolYear(models.Model):
    """A school year of the network, e.g. 2026/2027, from its start to its end date."""

    label = models.CharField(_("libellé"), max_length=20, unique=True)
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"))

    objects = SchoolYearQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date"]
        verbose_name = _("année scolaire")
        verbose_name_plural = _("années scolaires")

    def __str__(self) -> str:
        return self.label

    @classmethod
    def current(cls) -> SchoolYear | None:
        today = timezone.localdate()
        return cls.objects.containing(today).first() or cls.objects.first()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(
        self, username: str, site: Site, password: str | None = None, **extra: Any
    ) -> User:
        user = self.model(username=username, site=site, **extra)
        user.email = self.normalize_email(user.email)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **extra: Any) -> User:
        site = extra.pop("site", None)
        if site is not None and not isinstance(site, Site):
            site = Site.objects.get(pk=site)
        if site is None:
            site = Site.objects.order_by("pk").first()
        if site is None:
            raise ValueError("Create a site before the first superuser.")
        extra.update(is_staff=True, is_superuser=True, kind=User.Kind.STAFF)
        return self.create_user(username, site, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        # "site-code/identifiant", or a bare identifiant when only one site has it.
        if username and "/" in username:
            slug, _sep, name = username.partition("/")
            return self.get(site__slug=slug, username__iexact=name)
        return self.get(username__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """An account: a login on one site, for a family, a teacher or the secretariat."""

    class Kind(models.TextChoices):
        FAMILY = "family", _("Famille")
        TEACHER = "teacher", _("Enseignant")
        STAFF = "staff", _("Secrétariat")

    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="accounts"
    )
    username = models.CharField(
        _("identifiant"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Lettres, chiffres et . @ + - _ ; unique sur un site."),
    )
    kind = models.CharField(
        _("type de compte"), max_length=10, choices=Kind.choices, default=Kind.FAMILY
    )
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(_("nom"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    staff_sites = models.ManyToManyField(
        Site,
        verbose_name=_("sites gérés"),
        blank=True,
        related_name="staff_members",
        help_text=_("Sites dont ce membre du secrétariat voit les données dans l'administration."),
    )
    language = models.CharField(
        _("langue"), max_length=5, choices=[("fr", "Français"), ("en", "English")], default="fr"
    )
    is_staff = models.BooleanField(_("accès à l'administration"), default=False)
    is_active = models.BooleanField(_("actif"), default=True)
    date_joined = models.DateTimeField(_("créé le"), default=timezone.now)

    objects = UserManager()

    SITE_LOOKUP = "site"

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("compte")
        verbose_name_plural = _("comptes")
        constraints = [
            models.UniqueConstraint(
                "site",
                Lower("username"),
                name="unique_username_per_site",
                violation_error_message=_("Cet identifiant existe déjà sur ce site."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.username} ({self.site.name})" if self.site_id else self.username

    def natural_key(self) -> tuple[str]:
        return (f"{self.site.slug}/{self.username}",)

    @property
    def is_family(self) -> bool:
        return self.kind == self.Kind.FAMILY

    @property
    def is_teacher(self) -> bool:
        return self.kind == self.Kind.TEACHER

    def managed_site_ids(self) -> list[int] | None:
        """Sites whose data this account may see in the admin; None means every site."""
        if self.is_superuser:
            return None
        if not hasattr(self, "_managed_site_ids"):
            self._managed_site_ids = list(self.staff_sites.values_list("pk", flat=True))
        return self._managed_site_ids


class OutboxMessage(models.Model):
    """An email waiting to be sent, written in the same transaction as the change behind it.

    A worker (`manage.py run_worker`) delivers it, with retries and backoff; a change that is
    rolled back leaves no message behind.
    """

    to = models.CharField(_("destinataire"), max_length=254)
    subject = models.CharField(_("objet"), max_length=300)
    text_body = models.TextField(_("texte"))
    html_body = models.TextField(_("HTML"), blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    send_after = models.DateTimeField(_("à envoyer à partir de"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    last_error = models.TextField(_("dernière erreur"), blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("e-mail en attente")
        verbose_name_plural = _("e-mails (boîte d'envoi)")
        indexes = [models.Index(fields=["sent_at", "send_after"], name="outbox_pending")]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class AuditEntry(models.Model):
    """One action of a staff member (or of the system), kept for superusers to review.

    Written by extranet.audit.record(); never edited. The actor's name and the object's label
    are copied, so an entry still reads after the account or the object is gone.
    """

    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        "User",
        verbose_name=_("auteur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("nom de l'auteur"), max_length=150, blank=True)
    site = models.ForeignKey(
        Site, verbose_name=_("site"), null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("type d'objet"), max_length=100, blank=True)
    object_id = models.CharField(_("identifiant de l'objet"), max_length=64, blank=True)
    object_repr = models.CharField(_("objet"), max_length=200, blank=True)
    details = models.JSONField(_("détails"), default=dict, blank=True)
    request_id = models.CharField(_("identifiant de requête"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("entrée du journal d'audit")
        verbose_name_plural = _("journal d'audit")
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        from extranet.audit import action_label  # The labels live with record(), which imports us.

        when = f"{timezone.localtime(self.created_at):%d/%m/%Y %H:%M}"
        return f"{when} {self.actor_name} {action_label(self.action)} {self.object_repr}"
