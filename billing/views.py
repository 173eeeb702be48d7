"""Facturation tab, invoice and receipt PDFs, online payment (PayZen and the test gateway),
and the tariff simulator."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from django.conf import settings as django_settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing import payzen, services
from billing.forms import SimulatorForm, simulator_children_formset
from billing.models import (
    ZERO,
    BillingSettings,
    Invoice,
    OnlineTransaction,
    Payment,
    TariffGrid,
)
from billing.pdf import invoice_pdf, receipt_pdf
from billing.services import BillingError
from courses.models import Enrolment
from extranet.decorators import family_required
from extranet.models import SchoolYear, Site, User
from families.selectors import get_family_for_user

logger = logging.getLogger(__name__)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@dataclass
class LedgerRow:
    date: Any
    mode: str
    operation: str
    label: str
    debit: Decimal | None
    credit: Decimal | None
    discount: Decimal | None
    pdf_url: str

    def text(self) -> str:
        return " ".join(
            str(v) for v in (self.date.strftime("%d/%m/%Y"), self.mode, self.operation, self.label)
        )


@family_required
def index(request: HttpRequest) -> HttpResponse:
    """Facturation: a school year's invoices, payments and balance, and online payment."""
    user = _user(request)
    family = get_family_for_user(user)
    years = list(SchoolYear.objects.order_by("-start_date"))
    # SchoolYear.current(), from the list already read: the year under way, else the last one.
    today = timezone.localdate()
    current = next((y for y in years if y.start_date <= today <= y.end_date), None)
    chosen = request.GET.get("annee", "")
    year = (
        next((y for y in years if str(y.pk) == chosen), None)
        or current
        or (years[0] if years else None)
    )
    kind = request.GET.get("onglet", Invoice.Kind.COTISATION)
    if kind not in Invoice.Kind.values:
        kind = Invoice.Kind.COTISATION
    invoices = list(
        Invoice.objects.filter(family=family, school_year=year, kind=kind).order_by(
            "issued_at", "pk"
        )
    )
    payments = list(
        Payment.objects.filter(invoice__in=[i.pk for i in invoices]).order_by("date", "pk")
    )
    rows: list[LedgerRow] = []
    paid_by_invoice: dict[int, Decimal] = {}
    notes_by_invoice: dict[int, Decimal] = {}
    for invoice in invoices:
        url = reverse("billing:invoice_pdf", args=[invoice.pk])
        if invoice.credit_note_of_id:
            notes_by_invoice[invoice.credit_note_of_id] = (
                notes_by_invoice.get(invoice.credit_note_of_id, ZERO) + invoice.total
            )
            rows.append(
                LedgerRow(
                    invoice.issued_at,
                    "",
                    invoice.number,
                    invoice.label,
                    None,
                    -invoice.total,
                    None,
                    url,
                )
            )
        else:
            rows.append(
                LedgerRow(
                    invoice.issued_at,
                    "",
                    invoice.number,
                    invoice.label,
                    invoice.total,
                    None,
                    None,
                    url,
                )
            )
    for payment in payments:
        paid_by_invoice[payment.invoice_id] = (
            paid_by_invoice.get(payment.invoice_id, ZERO) + payment.amount
        )
        url = reverse("billing:receipt_pdf", args=[payment.pk])
        is_discount = payment.mode == Payment.Mode.REMISE
        rows.append(
            LedgerRow(
                payment.date,
                payment.get_mode_display(),
                payment.operation_number or payment.receipt_number,
                _("Reçu %(number)s") % {"number": payment.receipt_number},
                None,
                None if is_discount else payment.amount,
                payment.amount if is_discount else None,
                url,
            )
        )
    rows.sort(key=lambda r: r.date, reverse=True)
    query = request.GET.get("q", "").strip()
    shown = [r for r in rows if query.casefold() in r.text().casefold()] if query else rows
    billed = sum((i.total for i in invoices if not i.credit_note_of_id), ZERO) + sum(
        (i.total for i in invoices if i.credit_note_of_id), ZERO
    )
    settled = sum((p.amount for p in payments), ZERO)
    to_pay = []
    for invoice in invoices:
        if invoice.credit_note_of_id:
            continue
        balance = services.money(
            invoice.total
            + notes_by_invoice.get(invoice.pk, ZERO)
            - paid_by_invoice.get(invoice.pk, ZERO)
        )
        if balance > 0:
            to_pay.append((invoice, balance, services.online_payment_state(invoice, balance)))
    settings = BillingSettings.objects.filter(site=user.site).first()
    threshold = settings.multi_threshold if settings else Decimal("150.00")
    online_available = payzen.shop_for(settings).available
    return render(
        request,
        "billing/index.html",
        {
            "family": family,
            "years": years,
            "year": year,
            "kind": kind,
            "rows": shown,
            "query": query,
            "billed": billed,
            "settled": settled,
            "balance": billed - settled,
            "to_pay": to_pay,
            "threshold": threshold,
            "online_available": online_available,
            "tab": "billing",
        },
    )


def _family_invoice(user: User, pk: int) -> Invoice:
    return get_object_or_404(
        Invoice.objects.select_related("site__billing", "school_year", "family", "credit_note_of"),
        pk=pk,
        family__account=user,
    )


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def render_invoice_pdf(invoice: Invoice) -> bytes:
    return invoice_pdf(
        invoice,
        lines=list(invoice.lines.select_related("student")),  # type: ignore[attr-defined]
        instalments=list(invoice.instalments.all()),  # type: ignore[attr-defined]
        payments=list(invoice.payments.all()),  # type: ignore[attr-defined]
        balance=services.invoice_balance(invoice.credit_note_of or invoice),
    )


def render_receipt_pdf(payment: Payment) -> bytes:
    return receipt_pdf(
        payment, invoice=payment.invoice, balance=services.invoice_balance(payment.invoice)
    )


@family_required
def invoice_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _family_invoice(_user(request), pk)
    return pdf_response(render_invoice_pdf(invoice), f"{invoice.number}.pdf")


@family_required
def receipt_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_object_or_404(
        Payment.objects.select_related("invoice__site__billing", "family", "site"),
        pk=pk,
        family__account=_user(request),
    )
    return pdf_response(render_receipt_pdf(payment), f"{payment.receipt_number}.pdf")


# Online payment ----------------------------------------------------------------------


@require_POST
@family_required
def pay(request: HttpRequest, pk: int) -> HttpResponse:
    """Start an online payment: a signed form that the browser posts to the gateway."""
    user = _user(request)
    invoice = _family_invoice(user, pk)
    family = invoice.family
    instalments = 3 if request.POST.get("instalments") == "3" else 1
    try:
        tx = services.transaction_create(invoice=invoice, family=family, instalments=instalments)
    except BillingError as error:
        messages.error(request, error.message)
        return redirect("billing:index")
    settings = BillingSettings.objects.filter(site=invoice.site).first()
    shop = payzen.shop_for(settings)
    fields = payzen.payment_fields(
        transaction=tx,
        shop=shop,
        email=family.email or user.email,
        base_url=request.build_absolute_uri("/"),
    )
    action = shop.gateway_url if not shop.builtin else reverse("billing:test_gateway")
    response = render(
        request,
        "billing/redirect.html",
        {
            "action": action,
            "fields": fields,
            "tx": tx,
            "amount": Decimal(tx.amount_cents) / 100,
            "tab": "billing",
        },
    )
    if not shop.builtin:
        # The Content-Security-Policy lets this one form post to the site's gateway.
        gateway = urlsplit(shop.gateway_url)
        response._csp_update = {  # type: ignore[attr-defined]
            "form-action": [f"{gateway.scheme}://{gateway.netloc}"]
        }
    return response


@csrf_exempt
@require_POST
def ipn(request: HttpRequest) -> HttpResponse:
    """PayZen's server-to-server notification. Answers a short text; changes only what a
    correctly signed, matching notification says."""
    outcome = services.notification_handle(
        request.POST.dict(), base_url=request.build_absolute_uri("/")
    )
    return HttpResponse(outcome, content_type="text/plain; charset=utf-8")


@family_required
def payment_return(request: HttpRequest, order_id: str) -> HttpResponse:
    """Where the browser comes back: it only shows what the notification recorded."""
    tx = get_object_or_404(
        OnlineTransaction.objects.select_related("invoice"),
        order_id=order_id,
        family__account=_user(request),
    )
    return render(request, "billing/return.html", {"tx": tx, "tab": "billing"})


# The built-in test gateway ------------------------------------------------------------

TEST_OUTCOMES = {
    "accepted": ("AUTHORISED", "00"),
    "refused": ("REFUSED", "05"),
    "abandoned": ("ABANDONED", "17"),
}


@csrf_exempt
def test_gateway(request: HttpRequest) -> HttpResponse:
    """A stand-in for PayZen's payment page, for sites with no PayZen account (and the demo).

    It checks the form's signature, shows the amount, then on the person's choice sends a
    signed notification to the IPN address and sends the browser back, as PayZen does.
    """
    if request.method != "POST" or not django_settings.PAYZEN_TEST_GATEWAY:
        raise Http404
    fields: dict[str, str] = {
        k: str(v) for k, v in request.POST.items() if k.startswith("vads_") or k == "signature"
    }
    # Its key is public: anybody can sign a form, so it notifies and sends back to this portal
    # only (no request to an address of the sender's choice, no open redirect).
    if (
        fields.get("vads_ctx_mode") != "TEST"
        or not payzen.signature_matches(fields, payzen.TEST_KEY)
        or fields.get("vads_url_check") != request.build_absolute_uri(reverse("billing:ipn"))
        or not fields.get("vads_url_return", "").startswith(request.build_absolute_uri("/"))
    ):
        return render(request, "billing/test_gateway.html", {"invalid": True}, status=400)
    outcome = request.POST.get("outcome")
    if outcome not in TEST_OUTCOMES:
        return render(
            request,
            "billing/test_gateway.html",
            {"fields": fields, "amount": Decimal(fields.get("vads_amount", "0")) / 100},
        )
    status, result = TEST_OUTCOMES[outcome]
    notification = {
        k: v for k, v in fields.items() if k.startswith("vads_") and not k.startswith("vads_url_")
    }
    notification.update(
        {
            "vads_trans_status": status,
            "vads_result": result,
            "vads_operation_type": "DEBIT",
            "vads_trans_uuid": secrets.token_hex(16),
            "vads_effective_amount": fields.get("vads_amount", ""),
            "vads_url_check_src": "PAY",
            "vads_hash": secrets.token_hex(32),
        }
    )
    notification["signature"] = payzen.signature(notification, payzen.TEST_KEY)
    try:
        requests.post(fields["vads_url_check"], data=notification, timeout=15)
    except requests.RequestException:
        logger.exception("The test gateway could not reach the notification URL")
    return redirect(f"{fields['vads_url_return']}?{urlencode(notification)}")


# Simulator ---------------------------------------------------------------------------


def simulator(request: HttpRequest) -> HttpResponse:
    """The tariff simulator: QF, residence, children and their courses give the yearly fee."""
    user = request.user if isinstance(request.user, User) else None
    initial: dict[str, Any] = {}
    children_initial: list[dict[str, Any]] = []
    if user is not None and user.is_family:
        family = get_family_for_user(user, "billing")
        profile = getattr(family, "billing", None)
        initial = {
            "site": user.site,
            "quotient": profile.quotient_familial if profile else None,
            "residence": services.residence_of(
                family, BillingSettings.objects.filter(site=user.site).first()
            ),
        }
        year = SchoolYear.current()
        adult_before = year.start_date.replace(year=year.start_date.year - 18) if year else None
        # One query for every child's enrolments, whatever the number of children.
        by_student: dict[int, list[Enrolment]] = {}
        for enrolment in Enrolment.objects.filter(
            student__family=family, slot__school_year=year, active=True
        ).select_related("slot__course__department", "slot__course__tariff"):
            by_student.setdefault(enrolment.student_id, []).append(enrolment)
        for student in family.students.all():  # type: ignore[attr-defined]
            enrolments = by_student.get(student.pk, [])
            adult = bool(adult_before and student.date_naissance <= adult_before)
            children_initial.append(
                {"name": student.prenom, "kinds": services.course_kinds(enrolments, adult=adult)}
            )
    data = request.GET if "quotient" in request.GET or "site" in request.GET else None
    form = SimulatorForm(data, initial=initial)
    ChildrenFormSet = simulator_children_formset(extra=0 if children_initial else 2)
    children = ChildrenFormSet(data, prefix="enfants", initial=children_initial or None)
    fee = None
    error = None
    if data is not None and form.is_valid() and children.is_valid():
        site: Site = form.cleaned_data["site"]
        grid = (
            TariffGrid.objects.filter(site=site)
            .select_related("school_year")
            .prefetch_related("lines")
            .order_by("-school_year__start_date")
            .first()
        )
        if grid is None:
            error = _("Ce conservatoire n'a pas encore publié sa grille tarifaire.")
        else:
            try:
                fee = services.tariff_compute(
                    grid=grid,
                    quotient=form.cleaned_data["quotient"],
                    residence=form.cleaned_data["residence"],
                    children=[
                        services.ChildCourses(
                            name=c["name"] or _("Enfant %(n)s") % {"n": i + 1}, kinds=c["kinds"]
                        )
                        for i, c in enumerate(children.cleaned_data)
                        if c and c.get("kinds")
                    ],
                )
            except BillingError as exc:
                error = exc.message
    return render(
        request,
        "billing/simulator.html",
        {
            "form": form,
            "children": children,
            "fee": fee,
            "error": error,
            "tab": "billing",
            "now": timezone.now(),
        },
    )
