from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import Course
from extranet.models import SchoolYear, Site
from families.models import Family
from students.models import Student

ZERO = Decimal("0.00")


class TariffKind(models.TextChoices):
    INSTRUMENT_FM = "instrument_fm", _("Instrument et formation musicale")
    FM_ONLY = "fm_only", _("Formation musicale ou pratique collective seule")
    SECOND_INSTRUMENT = "second_instrument", _("Second instrument")
    DANCE = "dance", _("Danse")
    THEATRE = "theatre", _("Théâtre")
    ADULT = "adult", _("Adulte")


class Residence(models.TextChoices):
    INSIDE = "inside", _("Habitant du territoire")
    OUTSIDE = "outside", _("Hors territoire")


class BillingSettings(models.Model):
    """A site's billing settings: invoice header, online payment through PayZen."""

    class Mode(models.TextChoices):
        TEST = "TEST", "TEST"
        PRODUCTION = "PRODUCTION", "PRODUCTION"

    site = models.OneToOneField(
        Site, verbose_name=_("site"), on_delete=models.CASCADE, related_name="billing"
    )
    legal_name = models.CharField(_("raison sociale"), max_length=200, blank=True)
    legal_details = models.TextField(
        _("mentions légales des factures"),
        blank=True,
        help_text=_("SIRET, adresse du comptable public, conditions de paiement..."),
    )
    territory_postal_codes = models.TextField(
        _("codes postaux du territoire"),
        blank=True,
        help_text=_("Séparés par des espaces ou des virgules : tarif « habitant du territoire »."),
    )
    online_payment_days = models.PositiveSmallIntegerField(
        _("durée du paiement en ligne (jours)"), default=60
    )
    multi_threshold = models.DecimalField(
        _("paiement en 3 fois à partir de"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("150.00"),
    )
    payzen_site_id = models.CharField(
        _("identifiant boutique PayZen"),
        max_length=20,
        blank=True,
        help_text=_("Vide : la passerelle de test intégrée au portail est utilisée."),
    )
    payzen_mode = models.CharField(
        _("mode PayZen"), max_length=10, choices=Mode.choices, default=Mode.TEST
    )
    payzen_gateway_url = models.URLField(
        _("adresse de la passerelle"), default="https://secure.payzen.eu/vads-payment/"
    )
    payzen_key_env = models.CharField(
        _("variable d'environnement de la clé"),
        max_length=100,
        blank=True,
        help_text=_(
            "Nom de la variable d'environnement qui contient la clé ; le mode y est ajouté : "
            "PAYZEN_KEY_MOISSY donne PAYZEN_KEY_MOISSY_TEST et PAYZEN_KEY_MOISSY_PRODUCTION."
        ),
    )

    SITE_LOOKUP = "site"

    class Meta:
        verbose_name = _("réglages de facturation")
        verbose_name_plural = _("réglages de facturation")

    def __str__(self) -> str:
        return str(self.site)

    def territory(self) -> set[str]:
        return {code for code in self.territory_postal_codes.replace(",", " ").split() if code}


class TariffGrid(models.Model):
    """The yearly fees of a site: per kind of course, QF bracket and residence."""

    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT)
    school_year = models.ForeignKey(
        SchoolYear, verbose_name=_("année scolaire"), on_delete=models.PROTECT, related_name="+"
    )
    second_child_discount = models.PositiveSmallIntegerField(
        _("réduction 2e enfant (%)"), default=10
    )
    next_children_discount = models.PositiveSmallIntegerField(
        _("réduction 3e enfant et suivants (%)"), default=20
    )

    SITE_LOOKUP = "site"

    class Meta:
        verbose_name = _("grille tarifaire")
        verbose_name_plural = _("grilles tarifaires")
        constraints = [
            models.UniqueConstraint(fields=["site", "school_year"], name="one_grid_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.site} · {self.school_year}"


class TariffLine(models.Model):
    """One fee of a grid: a kind of course, for a residence and a bracket of family quotient.

    The highest bracket of a kind and residence is its ceiling tariff ("tarif plafond").
    """

    grid = models.ForeignKey(TariffGrid, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(_("type de cours"), max_length=20, choices=TariffKind.choices)
    residence = models.CharField(_("résidence"), max_length=10, choices=Residence.choices)
    qf_min = models.PositiveIntegerField(_("QF à partir de"), default=0)
    amount = models.DecimalField(_("montant annuel"), max_digits=8, decimal_places=2)

    SITE_LOOKUP = "grid__site"

    class Meta:
        ordering = ["kind", "residence", "qf_min"]
        verbose_name = _("tarif")
        verbose_name_plural = _("tarifs")
        constraints = [
            models.UniqueConstraint(
                fields=["grid", "kind", "residence", "qf_min"], name="one_tariff_per_bracket"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_residence_display()} QF≥{self.qf_min}"


class FamilyBillingProfile(models.Model):
    """What the fee depends on: the family quotient (QF) and the residence."""

    family = models.OneToOneField(
        Family, verbose_name=_("famille"), on_delete=models.CASCADE, related_name="billing"
    )
    quotient_familial = models.PositiveIntegerField(_("quotient familial"), null=True, blank=True)
    residence = models.CharField(
        _("résidence"), max_length=10, choices=Residence.choices, default=Residence.INSIDE
    )

    SITE_LOOKUP = "family__site"

    class Meta:
        verbose_name = _("profil de facturation")
        verbose_name_plural = _("profils de facturation")

    def __str__(self) -> str:
        return str(self.family)


class InvoiceSequence(models.Model):
    """The last number given per site, year and kind: numbers follow with no gap."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT)
    year = models.PositiveIntegerField()
    prefix = models.CharField(max_length=10)
    last = models.PositiveIntegerField(default=0)

    SITE_LOOKUP = "site"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "year", "prefix"], name="one_sequence")
        ]

    def __str__(self) -> str:
        return f"{self.site} {self.prefix}{self.year} {self.last}"


class Invoice(models.Model):
    """An issued invoice ("facture") or credit note ("avoir"). Never edited once issued."""

    class Kind(models.TextChoices):
        COTISATION = "cotisation", _("Cotisation")
        LOCATION = "location", _("Location")

    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT)
    family = models.ForeignKey(
        Family, verbose_name=_("famille"), on_delete=models.PROTECT, related_name="invoices"
    )
    school_year = models.ForeignKey(
        SchoolYear, verbose_name=_("année scolaire"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    number = models.CharField(_("numéro"), max_length=30)
    label = models.CharField(_("libellé"), max_length=200)
    issued_at = models.DateField(_("date"), default=timezone.localdate)
    due_date = models.DateField(_("échéance"))
    online_until = models.DateField(_("paiement en ligne jusqu'au"), null=True, blank=True)
    total = models.DecimalField(_("montant"), max_digits=10, decimal_places=2)
    credit_note_of = models.ForeignKey(
        "self",
        verbose_name=_("avoir sur"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
    )
    ceiling_tariff = models.BooleanField(_("tarif plafond appliqué"), default=False)
    billing_name = models.CharField(_("facturé à"), max_length=200)
    billing_address = models.TextField(_("adresse"))

    SITE_LOOKUP = "site"

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = _("facture")
        verbose_name_plural = _("factures")
        constraints = [
            models.UniqueConstraint(fields=["site", "number"], name="unique_invoice_number")
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.family}"

    @property
    def is_credit_note(self) -> bool:
        return self.credit_note_of_id is not None


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    student = models.ForeignKey(
        Student, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    label = models.CharField(_("libellé"), max_length=300)
    amount = models.DecimalField(_("montant"), max_digits=10, decimal_places=2)

    SITE_LOOKUP = "invoice__site"

    class Meta:
        ordering = ["pk"]
        verbose_name = _("ligne de facture")
        verbose_name_plural = _("lignes de facture")

    def __str__(self) -> str:
        return self.label


class Instalment(models.Model):
    """One due date of an invoice's schedule of payments ("échéancier")."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="instalments")
    due_date = models.DateField(_("échéance"))
    amount = models.DecimalField(_("montant"), max_digits=10, decimal_places=2)

    SITE_LOOKUP = "invoice__site"

    class Meta:
        ordering = ["due_date"]
        verbose_name = _("échéance")
        verbose_name_plural = _("échéancier")

    def __str__(self) -> str:
        return f"{self.due_date} {self.amount}"


class Payment(models.Model):
    """A payment or a discount ("remise") recorded against a family's invoices."""

    class Mode(models.TextChoices):
        CHEQUE = "cheque", _("Chèque")
        ESPECES = "especes", _("Espèces")
        CARTE = "carte", _("Carte bancaire")
        PRELEVEMENT = "prelevement", _("Prélèvement")
        ANCV = "ancv", _("Chèques vacances ANCV")
        EN_LIGNE = "en_ligne", _("Paiement en ligne")
        REMISE = "remise", _("Remise")

    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT)
    family = models.ForeignKey(
        Family, verbose_name=_("famille"), on_delete=models.PROTECT, related_name="payments"
    )
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("facture"), on_delete=models.PROTECT, related_name="payments"
    )
    date = models.DateField(_("date"), default=timezone.localdate)
    mode = models.CharField(_("mode de règlement"), max_length=12, choices=Mode.choices)
    operation_number = models.CharField(_("numéro d'opération"), max_length=40, blank=True)
    receipt_number = models.CharField(_("numéro de reçu"), max_length=30)
    amount = models.DecimalField(_("montant"), max_digits=10, decimal_places=2)
    recorded_at = models.DateTimeField(_("saisi le"), auto_now_add=True)

    SITE_LOOKUP = "site"

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("règlement")
        verbose_name_plural = _("règlements")
        constraints = [
            models.UniqueConstraint(fields=["site", "receipt_number"], name="unique_receipt")
        ]

    def __str__(self) -> str:
        return f"{self.receipt_number} · {self.amount}"


class InstrumentRental(models.Model):
    """An instrument lent to a pupil ("Facturation locations"), invoiced separately."""

    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT)
    family = models.ForeignKey(
        Family, verbose_name=_("famille"), on_delete=models.PROTECT, related_name="rentals"
    )
    student = models.ForeignKey(
        Student, verbose_name=_("élève"), on_delete=models.PROTECT, related_name="+"
    )
    instrument = models.CharField(_("instrument"), max_length=100)
    start_date = models.DateField(_("début du contrat"))
    end_date = models.DateField(_("fin du contrat"))
    monthly_fee = models.DecimalField(_("loyer mensuel"), max_digits=8, decimal_places=2)

    SITE_LOOKUP = "site"

    class Meta:
        verbose_name = _("location d'instrument")
        verbose_name_plural = _("locations d'instruments")

    def __str__(self) -> str:
        return f"{self.instrument} · {self.student}"


class OnlineTransaction(models.Model):
    """A payment asked of PayZen (or of the built-in test gateway) and what it answered."""

    class Status(models.TextChoices):
        CREATED = "created", _("Envoyée à la banque")
        PAID = "paid", _("Payée")
        REFUSED = "refused", _("Refusée")
        ABANDONED = "abandoned", _("Abandonnée")

    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT)
    family = models.ForeignKey(Family, verbose_name=_("famille"), on_delete=models.PROTECT)
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("facture"), on_delete=models.PROTECT, related_name="transactions"
    )
    trans_id = models.CharField(_("vads_trans_id"), max_length=6)
    trans_date = models.CharField(_("vads_trans_date"), max_length=14)
    trans_date_day = models.CharField(max_length=8, editable=False)
    order_id = models.CharField(_("commande"), max_length=40, unique=True)
    amount_cents = models.PositiveIntegerField(_("montant (centimes)"))
    payment_config = models.CharField(_("configuration"), max_length=60, default="SINGLE")
    mode = models.CharField(_("mode"), max_length=10, default="TEST")
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.CREATED
    )
    payment = models.OneToOneField(
        Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="transaction"
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    SITE_LOOKUP = "site"

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("transaction en ligne")
        verbose_name_plural = _("transactions en ligne")
        constraints = [
            # vads_trans_id is unique per shop and (UTC) day.
            models.UniqueConstraint(
                fields=["site", "trans_date_day", "trans_id"], name="unique_trans_id_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order_id} · {self.get_status_display()}"


class PaymentNotification(models.Model):
    """A notification (IPN) as received, kept raw for the staff and the accounts."""

    transaction = models.ForeignKey(
        OnlineTransaction,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    received_at = models.DateTimeField(auto_now_add=True)
    raw = models.JSONField(_("champs reçus"))
    valid_signature = models.BooleanField(_("signature valide"))
    outcome = models.CharField(_("suite donnée"), max_length=200)

    SITE_LOOKUP = "transaction__site"

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("notification de paiement")
        verbose_name_plural = _("notifications de paiement")

    def __str__(self) -> str:
        return f"{self.received_at:%d/%m/%Y %H:%M} {self.outcome}"


class CourseTariff(models.Model):
    """Which kind of fee a course is billed as, when it differs from the default rule."""

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="tariff")
    kind = models.CharField(_("type de cours"), max_length=20, choices=TariffKind.choices)

    SITE_LOOKUP = "course__site"

    class Meta:
        verbose_name = _("type de tarif d'un cours")
        verbose_name_plural = _("types de tarif des cours")

    def __str__(self) -> str:
        return f"{self.course}: {self.get_kind_display()}"
