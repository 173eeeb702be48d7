"""Billing rules: tariffs, invoices and their numbers, payments, online payment."""

from __future__ import annotations

import datetime
import functools
import logging
import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from billing import payzen
from billing.models import (
    ZERO,
    BillingSettings,
    FamilyBillingProfile,
    Instalment,
    InstrumentRental,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    OnlineTransaction,
    Payment,
    PaymentNotification,
    Residence,
    TariffGrid,
    TariffKind,
)
from courses.models import Enrolment
from extranet import audit
from extranet.audit import Action
from extranet.models import SchoolYear, Site, User
from extranet.services import send_templated_email
from families.models import Family
from reenrollment.models import CeilingTariff
from students.models import Student

logger = logging.getLogger(__name__)
CENT = Decimal("0.01")


class BillingError(Exception):
    """A refusal of the billing rules, with a message for the family or staff."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# Tariffs -------------------------------------------------------------------------------


@dataclass
class ChildCourses:
    """What one child follows, as the tariff sees it."""

    name: str
    kinds: list[str]
    student: Student | None = None


@dataclass
class FeeLine:
    child: ChildCourses
    kind: str
    label: str
    base: Decimal
    discount: int
    amount: Decimal


@dataclass
class Fee:
    lines: list[FeeLine] = field(default_factory=list)
    ceiling: bool = False

    @property
    def total(self) -> Decimal:
        return money(sum((line.amount for line in self.lines), ZERO))


def course_kinds(enrolments: Sequence[Enrolment], *, adult: bool) -> list[str]:
    """The fee kinds of one pupil's courses.

    The first instrument comes with formation musicale ("instrument_fm"), each further one is a
    "second_instrument"; collective music only is "fm_only"; dance and theatre their own; an
    adult pays the adult fee instead of the first instrument. A course's CourseTariff wins.
    """
    kinds: list[str] = []
    instruments = 0
    collective_music = False
    for enrolment in enrolments:
        course = enrolment.slot.course
        explicit = getattr(course, "tariff", None)
        if explicit is not None:
            kinds.append(explicit.kind)
            continue
        department = course.department.name.casefold()
        if department == "danse":
            kinds.append(TariffKind.DANCE)
        elif department in ("théâtre", "theatre"):
            kinds.append(TariffKind.THEATRE)
        elif course.collective:
            collective_music = True
        else:
            instruments += 1
            if instruments == 1:
                kinds.append(TariffKind.ADULT if adult else TariffKind.INSTRUMENT_FM)
            else:
                kinds.append(TariffKind.SECOND_INSTRUMENT)
    if collective_music and instruments == 0:
        kinds.append(TariffKind.FM_ONLY)
    return kinds


def tariff_amount(
    grid: TariffGrid, kind: str, residence: str, quotient: int | None, *, ceiling: bool
) -> Decimal:
    """The fee of a kind for a QF and residence; the top bracket (the ceiling tariff) when the
    family's documents are missing or its QF unknown."""
    lines = [
        line
        for line in grid.lines.all()
        if line.kind == kind and line.residence == residence  # type: ignore[attr-defined]
    ]
    if not lines:
        raise BillingError(
            _("La grille tarifaire n'a pas de tarif « %(kind)s ».")
            % {"kind": TariffKind(kind).label}
        )
    lines.sort(key=lambda line: line.qf_min)
    if ceiling or quotient is None:
        return lines[-1].amount
    chosen = lines[0]
    for line in lines:
        if quotient >= line.qf_min:
            chosen = line
    return chosen.amount


def tariff_compute(
    *,
    grid: TariffGrid,
    quotient: int | None,
    residence: str,
    children: Sequence[ChildCourses],
    ceiling: bool = False,
) -> Fee:
    """The yearly fee of a family, line by line.

    Children are ranked by their fee, highest first: the second pays less by the grid's
    second-child discount, the following ones by the next-children discount.
    """
    fee = Fee(ceiling=ceiling or quotient is None)
    per_child = []
    for child in children:
        bases = [
            (kind, tariff_amount(grid, kind, residence, quotient, ceiling=ceiling))
            for kind in child.kinds
        ]
        per_child.append((sum((b for _k, b in bases), ZERO), child, bases))
    per_child.sort(key=lambda item: item[0], reverse=True)
    for rank, (_total, child, bases) in enumerate(per_child):
        discount = 0
        if rank == 1:
            discount = grid.second_child_discount
        elif rank >= 2:
            discount = grid.next_children_discount
        for kind, base in bases:
            amount = money(base * (Decimal(100 - discount) / 100))
            label = f"{child.name} : {TariffKind(kind).label}"
            fee.lines.append(FeeLine(child, kind, label, base, discount, amount))
    return fee


def residence_of(family: Family, settings: BillingSettings | None) -> str:
    profile = getattr(family, "billing", None)
    if profile is not None:
        return str(profile.residence)
    if settings is not None and family.code_postal in settings.territory():
        return Residence.INSIDE
    return Residence.INSIDE if settings is None or not settings.territory() else Residence.OUTSIDE


# Numbers -------------------------------------------------------------------------------


def next_number(*, site: Site, year: int, prefix: str) -> str:
    """The next number of a sequence, taken under a row lock inside the caller's transaction:
    if the invoice is not saved, the number is not used either (no gap)."""
    lookup: dict[str, Any] = {"site": site, "year": year, "prefix": prefix}
    try:
        sequence = InvoiceSequence.objects.select_for_update().get(**lookup)
    except InvoiceSequence.DoesNotExist:
        # The first number of the sequence: create its row (or find the one another
        # transaction has just created), then lock it.
        InvoiceSequence.objects.get_or_create(**lookup)
        sequence = InvoiceSequence.objects.select_for_update().get(**lookup)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"{prefix}{year}-{sequence.last:06d}"


# Invoices ------------------------------------------------------------------------------


@dataclass
class InvoiceDraft:
    family: Family
    fee: Fee
    instalments: list[tuple[datetime.date, Decimal]]

    @property
    def total(self) -> Decimal:
        return self.fee.total


def _schedule(
    total: Decimal, first_due: datetime.date, count: int
) -> list[tuple[datetime.date, Decimal]]:
    """Monthly instalments from the first due date; the last one takes the rounding."""
    if count <= 1:
        return []
    part = money(total / count)
    dates = []
    for index in range(count):
        month = first_due.month - 1 + index
        year = first_due.year + month // 12
        day = min(first_due.day, 28)
        dates.append(datetime.date(year, month % 12 + 1, day))
    amounts = [part] * (count - 1) + [total - part * (count - 1)]
    return list(zip(dates, amounts, strict=True))


def invoices_preview(
    *, site: Site, school_year: SchoolYear, due_date: datetime.date, instalments: int = 1
) -> list[InvoiceDraft]:
    """What "issue the year's invoices" would create: one invoice per family not yet invoiced,
    with a line per child and course."""
    grid = (
        TariffGrid.objects.filter(site=site, school_year=school_year)
        .prefetch_related("lines")
        .first()
    )
    if grid is None:
        raise BillingError(_("Aucune grille tarifaire pour ce site et cette année."))
    settings = BillingSettings.objects.filter(site=site).first()
    already = set(
        Invoice.objects.filter(
            site=site,
            school_year=school_year,
            kind=Invoice.Kind.COTISATION,
            credit_note_of__isnull=True,
        ).values_list("family_id", flat=True)
    )
    enrolments = (
        Enrolment.objects.filter(
            slot__school_year=school_year, active=True, student__family__site=site
        )
        .exclude(student__family_id__in=already)
        .select_related("slot__course__department", "slot__course__tariff", "student__family")
        .order_by("student__family_id", "student_id", "slot__course__name")
    )
    ceilings = set(
        CeilingTariff.objects.filter(
            family__site=site, campaign__school_year=school_year, cleared_at__isnull=True
        ).values_list("family_id", flat=True)
    )
    profiles = {p.family_id: p for p in FamilyBillingProfile.objects.filter(family__site=site)}
    by_family: dict[int, dict[int, list[Enrolment]]] = defaultdict(lambda: defaultdict(list))
    families: dict[int, Family] = {}
    students: dict[int, Student] = {}
    for enrolment in enrolments:
        student = enrolment.student
        by_family[student.family_id][student.pk].append(enrolment)
        families[student.family_id] = student.family
        students[student.pk] = student
    adult_before = school_year.start_date.replace(year=school_year.start_date.year - 18)
    drafts = []
    for family_id, per_student in by_family.items():
        family = families[family_id]
        profile = profiles.get(family_id)
        if profile is not None:
            family.billing = profile  # type: ignore[attr-defined]
        else:
            # Known to have none: residence_of then reads family.billing without a query.
            Family.billing.related.set_cached_value(family, None)  # type: ignore[attr-defined]
        children = [
            ChildCourses(
                name=f"{students[pk].prenom} {students[pk].nom.upper()}",
                kinds=course_kinds(items, adult=students[pk].date_naissance <= adult_before),
                student=students[pk],
            )
            for pk, items in per_student.items()
        ]
        fee = tariff_compute(
            grid=grid,
            quotient=profile.quotient_familial if profile else None,
            residence=residence_of(family, settings),
            children=[c for c in children if c.kinds],
            ceiling=family_id in ceilings,
        )
        if fee.lines:
            drafts.append(InvoiceDraft(family, fee, _schedule(fee.total, due_date, instalments)))
    return drafts


def _billing_address(family: Family) -> str:
    return "\n".join(
        part for part in (family.adresse, f"{family.code_postal} {family.ville}".strip()) if part
    )


def invoices_issue(
    *,
    site: Site,
    school_year: SchoolYear,
    due_date: datetime.date,
    label: str,
    instalments: int = 1,
    by: User | None = None,
) -> list[Invoice]:
    """Issue the year's invoices as previewed; each gets the next number, with no gap."""
    settings = BillingSettings.objects.filter(site=site).first()
    days = settings.online_payment_days if settings else 60
    issued = []
    for draft in invoices_preview(
        site=site, school_year=school_year, due_date=due_date, instalments=instalments
    ):
        with transaction.atomic():
            family = Family.objects.select_for_update().get(pk=draft.family.pk)
            if Invoice.objects.filter(
                family=family,
                school_year=school_year,
                kind=Invoice.Kind.COTISATION,
                credit_note_of__isnull=True,
            ).exists():
                continue  # Issued meanwhile by another staff member.
            today = timezone.localdate()
            invoice = Invoice.objects.create(
                site=site,
                family=family,
                school_year=school_year,
                kind=Invoice.Kind.COTISATION,
                number=next_number(site=site, year=today.year, prefix="FAC"),
                label=label,
                issued_at=today,
                due_date=due_date,
                online_until=today + datetime.timedelta(days=days),
                total=draft.total,
                ceiling_tariff=draft.fee.ceiling,
                billing_name=family.display_name,
                billing_address=_billing_address(family),
            )
            InvoiceLine.objects.bulk_create(
                InvoiceLine(
                    invoice=invoice,
                    student=line.child.student,
                    label=line.label + (f" (-{line.discount} %)" if line.discount else ""),
                    amount=line.amount,
                )
                for line in draft.fee.lines
            )
            Instalment.objects.bulk_create(
                Instalment(invoice=invoice, due_date=date, amount=amount)
                for date, amount in draft.instalments
            )
            _record_invoice(invoice, by)
            issued.append(invoice)
    return issued


def _record_invoice(invoice: Invoice, by: User | None) -> None:
    audit.record(
        Action.INVOICE_ISSUED,
        actor=by,
        obj=invoice,
        number=invoice.number,
        family=invoice.billing_name,
        total=invoice.total,
    )


def rental_invoice_issue(
    *,
    rental: InstrumentRental,
    school_year: SchoolYear,
    due_date: datetime.date,
    by: User | None = None,
) -> Invoice:
    """Invoice an instrument rental ("Facturation locations") for its contract months."""
    months = (
        (rental.end_date.year - rental.start_date.year) * 12
        + rental.end_date.month
        - rental.start_date.month
        + 1
    )
    total = money(rental.monthly_fee * max(months, 1))
    with transaction.atomic():
        today = timezone.localdate()
        family = Family.objects.select_for_update().get(pk=rental.family_id)
        invoice = Invoice.objects.create(
            site=rental.site,
            family=family,
            school_year=school_year,
            kind=Invoice.Kind.LOCATION,
            number=next_number(site=rental.site, year=today.year, prefix="LOC"),
            label=str(_("Location %(instrument)s") % {"instrument": rental.instrument}),
            issued_at=today,
            due_date=due_date,
            online_until=due_date,
            total=total,
            billing_name=family.display_name,
            billing_address=_billing_address(family),
        )
        InvoiceLine.objects.create(
            invoice=invoice,
            student=rental.student,
            label=str(
                _("%(instrument)s du %(start)s au %(end)s, %(months)s mois à %(fee)s €")
                % {
                    "instrument": rental.instrument,
                    "start": rental.start_date.strftime("%d/%m/%Y"),
                    "end": rental.end_date.strftime("%d/%m/%Y"),
                    "months": months,
                    "fee": str(rental.monthly_fee).replace(".", ","),
                }
            ),
            amount=total,
        )
        _record_invoice(invoice, by)
    return invoice


def credit_note_issue(
    *, invoice: Invoice, amount: Decimal, reason: str, by: User | None = None
) -> Invoice:
    """Correct an issued invoice with a credit note ("avoir"): the invoice is never edited."""
    amount = money(amount)
    if amount <= 0 or amount > invoice.total:
        raise BillingError(
            _("Le montant de l'avoir doit être positif et au plus celui de la facture.")
        )
    with transaction.atomic():
        today = timezone.localdate()
        note = Invoice.objects.create(
            site=invoice.site,
            family=invoice.family,
            school_year=invoice.school_year,
            kind=invoice.kind,
            number=next_number(site=invoice.site, year=today.year, prefix="AV"),
            label=str(
                _("Avoir sur %(number)s : %(reason)s")
                % {"number": invoice.number, "reason": reason}
            ),
            issued_at=today,
            due_date=today,
            total=-amount,
            credit_note_of=invoice,
            billing_name=invoice.billing_name,
            billing_address=invoice.billing_address,
        )
        InvoiceLine.objects.create(invoice=note, label=reason, amount=-amount)
        audit.record(
            Action.CREDIT_NOTE_ISSUED,
            actor=by,
            obj=note,
            number=note.number,
            invoice=invoice.number,
            amount=amount,
            reason=reason,
        )
    return note


def invoice_balance(invoice: Invoice) -> Decimal:
    """What is left to pay on an invoice: its total, less credit notes, payments, discounts."""
    notes = invoice.credit_notes.aggregate(s=Sum("total"))["s"] or ZERO  # type: ignore[attr-defined]
    paid = invoice.payments.aggregate(s=Sum("amount"))["s"] or ZERO  # type: ignore[attr-defined]
    return money(invoice.total + notes - paid)


def payment_record(
    *,
    invoice: Invoice,
    mode: str,
    amount: Decimal,
    operation_number: str = "",
    date: datetime.date | None = None,
    by: User | None = None,
) -> Payment:
    """Record a payment or a discount against an invoice (partial payments allowed)."""
    amount = money(amount)
    if amount <= 0:
        raise BillingError(_("Le montant doit être positif."))
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if amount > invoice_balance(locked):
            raise BillingError(_("Le montant dépasse le solde de la facture."))
        today = timezone.localdate()
        payment = Payment.objects.create(
            site=locked.site,
            family=locked.family,
            invoice=locked,
            date=date or today,
            mode=mode,
            operation_number=operation_number,
            receipt_number=next_number(site=locked.site, year=today.year, prefix="RC"),
            amount=amount,
        )
        audit.record(
            Action.PAYMENT_RECORDED,
            actor=by,
            obj=payment,
            invoice=locked.number,
            amount=amount,
            mode=payment.get_mode_display(),
            operation_number=operation_number,
            date=payment.date,
        )
        return payment


# Online payment -----------------------------------------------------------------------


def online_payment_state(invoice: Invoice, balance: Decimal) -> str:
    """ "open", "closed" (after the deadline: contact the secretariat) or "paid"."""
    if balance <= 0:
        return "paid"
    if invoice.online_until is None or timezone.localdate() > invoice.online_until:
        return "closed"
    return "open"


def transaction_create(
    *, invoice: Invoice, family: Family, instalments: int = 1
) -> OnlineTransaction:
    """A new online payment of the invoice's whole balance, once or in 3 instalments."""
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        balance = invoice_balance(locked)
        if online_payment_state(locked, balance) != "open":
            raise BillingError(
                _("Le paiement en ligne n'est plus possible : contactez le secrétariat.")
            )
        settings = BillingSettings.objects.filter(site=locked.site).first()
        config = "SINGLE"
        if instalments == 3:
            threshold = settings.multi_threshold if settings else Decimal("150.00")
            if balance < threshold:
                raise BillingError(_("Le paiement en 3 fois n'est pas proposé pour ce montant."))
            first = int(money(balance / 3) * 100)
            config = f"MULTI:first={first};count=3;period=30"
        shop = payzen.shop_for(settings)
        if not shop.available:
            raise BillingError(
                _("Pas de paiement en ligne dans ce conservatoire : contactez le secrétariat.")
            )
        now = timezone.now().astimezone(datetime.UTC)
        day = now.strftime("%Y%m%d")
        for _attempt in range(5):
            # vads_trans_id: 6 characters, unique per shop and UTC day.
            trans_id = f"{secrets.randbelow(900000) + 100000:06d}"
            try:
                with transaction.atomic():
                    return OnlineTransaction.objects.create(
                        site=locked.site,
                        family=family,
                        invoice=locked,
                        trans_id=trans_id,
                        trans_date=now.strftime("%Y%m%d%H%M%S"),
                        trans_date_day=day,
                        order_id=f"{locked.number}-{trans_id}-{day}",
                        amount_cents=int(balance * 100),
                        payment_config=config,
                        mode=shop.mode,
                    )
            except IntegrityError:
                continue
    raise BillingError(_("Le paiement en ligne est momentanément indisponible, réessayez."))


def notification_handle(fields: Mapping[str, str], *, base_url: str) -> str:
    """Handle a PayZen notification (IPN). Returns a short outcome for the answer and the log.

    Checked: the signature over every vads_* field received (constant-time, key of the mode the
    notification claims), the order, amount and currency against what was asked. A payment is
    recorded once however many copies arrive, even at the same moment (row lock on the
    transaction), and a paid transaction never goes back.
    """
    raw = {key: str(value) for key, value in fields.items()}
    order_id = raw.get("vads_order_id", "")
    tx = OnlineTransaction.objects.select_related("site__billing").filter(order_id=order_id).first()
    if tx is None:
        PaymentNotification.objects.create(raw=raw, valid_signature=False, outcome="unknown order")
        logger.warning("PayZen notification for an unknown order %r", order_id)
        return "unknown order"
    settings = getattr(tx.site, "billing", None)
    shop = payzen.shop_for(settings)
    key = shop.key(raw.get("vads_ctx_mode", ""))
    if key is None or not payzen.signature_matches(raw, key):
        PaymentNotification.objects.create(
            transaction=tx, raw=raw, valid_signature=False, outcome="bad signature"
        )
        logger.warning("PayZen notification with a bad signature for %s", order_id)
        return "bad signature"
    if (
        raw.get("vads_site_id") != shop.site_id
        # A TEST payment moves no money: it never pays an order asked in PRODUCTION.
        or raw.get("vads_ctx_mode") != tx.mode
        or raw.get("vads_trans_id") != tx.trans_id
        or raw.get("vads_amount") != str(tx.amount_cents)
        or raw.get("vads_currency") != "978"
    ):
        PaymentNotification.objects.create(
            transaction=tx, raw=raw, valid_signature=True, outcome="mismatch"
        )
        logger.warning("PayZen notification not matching the order %s", order_id)
        return "mismatch"
    status = raw.get("vads_trans_status", "")
    with transaction.atomic():
        tx = (
            OnlineTransaction.objects.select_for_update()
            .select_related("invoice", "family")
            .get(pk=tx.pk)
        )
        if tx.status == OnlineTransaction.Status.PAID:
            outcome = "already paid"
        elif status in payzen.PAID_STATUSES:
            payment = Payment.objects.create(
                site=tx.site,
                family=tx.family,
                invoice=tx.invoice,
                date=timezone.localdate(),
                mode=Payment.Mode.EN_LIGNE,
                operation_number=f"Paiement en ligne {tx.trans_id}",
                receipt_number=next_number(
                    site=tx.site, year=timezone.localdate().year, prefix="RC"
                ),
                amount=money(Decimal(tx.amount_cents) / 100),
            )
            tx.status = OnlineTransaction.Status.PAID
            tx.payment = payment
            tx.save(update_fields=["status", "payment"])
            audit.record(
                Action.PAYMENT_ONLINE,
                obj=payment,
                invoice=tx.invoice.number,
                amount=payment.amount,
                transaction_id=tx.trans_id,
                order_id=tx.order_id,
            )
            _send_receipt(payment, base_url=base_url)
            outcome = "paid"
        elif status in payzen.REFUSED_STATUSES:
            if tx.status == OnlineTransaction.Status.CREATED:
                tx.status = (
                    OnlineTransaction.Status.ABANDONED
                    if status in ("ABANDONED", "NOT_CREATED")
                    else OnlineTransaction.Status.REFUSED
                )
                tx.save(update_fields=["status"])
            outcome = status.lower()
        else:
            outcome = f"ignored status {status}"
        PaymentNotification.objects.create(
            transaction=tx, raw=raw, valid_signature=True, outcome=outcome
        )
    return outcome


def _send_receipt(payment: Payment, *, base_url: str) -> None:
    family = payment.family
    to = family.email or (family.account.email if family.account else "")
    if not to:
        return
    send_templated_email(
        to=to,
        template="billing/emails/receipt",
        context={
            "payment": payment,
            "site": payment.site,
            "link": base_url.rstrip("/") + "/facturation/",
        },
        language=family.account.language if family.account else "fr",
    )


def unpaid_invoices(site_ids: Sequence[int] | None = None) -> list[tuple[Any, Decimal]]:
    invoices = Invoice.objects.filter(credit_note_of__isnull=True, total__gt=0).select_related(
        "family", "site"
    )
    if site_ids is not None:
        invoices = invoices.filter(site_id__in=site_ids)
    result = []
    for invoice in invoices.annotate(
        paid=Sum("payments__amount", default=ZERO),
    ):
        notes = (
            Invoice.objects.filter(credit_note_of=invoice).aggregate(s=Sum("total"))["s"] or ZERO
        )
        balance = money(invoice.total + notes - invoice.paid)  # type: ignore[attr-defined]
        if balance > 0:
            result.append((invoice, balance))
    return result


def reminder_send(
    *, invoice: Invoice, balance: Decimal, base_url: str, by: User | None = None
) -> None:
    family = invoice.family
    to = family.email or (family.account.email if family.account else "")
    if not to:
        raise BillingError(_("La famille n'a pas d'adresse e-mail."))
    with transaction.atomic():
        send_templated_email(
            to=to,
            template="billing/emails/reminder",
            context={
                "invoice": invoice,
                "balance": balance,
                "site": invoice.site,
                "link": base_url.rstrip("/") + "/facturation/",
            },
            language=family.account.language if family.account else "fr",
        )
        audit.record(
            Action.REMINDER_SENT, actor=by, obj=invoice, number=invoice.number, balance=balance
        )


def family_ledger_filter(family: Family, school_year: SchoolYear, kind: str) -> Q:
    return Q(family=family, school_year=school_year, kind=kind)


def _in_french(function: Any) -> Any:
    """Invoices are in French (French invoicing law), whoever issues them and in whatever
    language their portal is: the labels built from translatable strings are French."""

    @functools.wraps(function)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with translation.override("fr"):  # A new override per call: safe across threads.
            return function(*args, **kwargs)

    return wrapped


invoices_issue = _in_french(invoices_issue)
rental_invoice_issue = _in_french(rental_invoice_issue)
credit_note_issue = _in_french(credit_note_issue)
