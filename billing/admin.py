from __future__ import annotations

import csv
import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from billing import services
from billing.models import (
    BillingSettings,
    CourseTariff,
    FamilyBillingProfile,
    Instalment,
    InstrumentRental,
    Invoice,
    InvoiceLine,
    OnlineTransaction,
    Payment,
    PaymentNotification,
    TariffGrid,
    TariffLine,
)
from billing.services import BillingError
from billing.views import pdf_response, render_invoice_pdf, render_receipt_pdf
from extranet.admin_scope import SiteScopedAdmin, scope_queryset
from extranet.models import SchoolYear, Site, User


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@admin.register(BillingSettings)
class BillingSettingsAdmin(SiteScopedAdmin):
    list_display = ["site", "payzen_site_id", "payzen_mode", "online_payment_days"]


class TariffLineInline(admin.TabularInline):
    model = TariffLine
    extra = 1


@admin.register(TariffGrid)
class TariffGridAdmin(SiteScopedAdmin):
    list_display = ["site", "school_year", "second_child_discount", "next_children_discount"]
    list_filter = ["site", "school_year"]
    inlines = [TariffLineInline]


@admin.register(FamilyBillingProfile)
class FamilyBillingProfileAdmin(SiteScopedAdmin):
    list_display = ["family", "quotient_familial", "residence"]
    search_fields = ["family__nom"]
    autocomplete_fields = ["family"]


@admin.register(CourseTariff)
class CourseTariffAdmin(SiteScopedAdmin):
    list_display = ["course", "kind"]
    autocomplete_fields = ["course"]


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    readonly_fields = ["student", "label", "amount"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class InstalmentInline(admin.TabularInline):
    model = Instalment
    extra = 0
    can_delete = False
    readonly_fields = ["due_date", "amount"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class GenerateForm(forms.Form):
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none())
    school_year = forms.ModelChoiceField(
        label=_("Année scolaire"), queryset=SchoolYear.objects.all()
    )
    label = forms.CharField(label=_("Libellé"), initial="Premier appel de cotisation")
    due_date = forms.DateField(
        label=_("Échéance"),
        widget=forms.DateInput(attrs={"type": "date"}),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    instalments = forms.TypedChoiceField(
        label=_("Échéancier"),
        coerce=int,
        choices=[(1, _("En une fois")), (3, _("3 mensualités")), (10, _("10 mensualités"))],
    )


class CreditNoteForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Montant de l'avoir"), min_value=Decimal("0.01"), decimal_places=2
    )
    reason = forms.CharField(label=_("Motif"), max_length=200)


@admin.register(Invoice)
class InvoiceAdmin(SiteScopedAdmin):
    """Issued invoices are never edited or deleted: corrections are credit notes."""

    list_display = ["number", "family", "school_year", "kind", "label", "total", "issued_at", "pdf"]
    list_filter = ["site", "school_year", "kind", "issued_at"]
    list_select_related = ["family", "school_year", "site"]
    search_fields = ["number", "family__nom", "label"]
    date_hierarchy = "issued_at"
    inlines = [InvoiceLineInline, InstalmentInline]
    actions = ["export_csv", "send_reminders"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Invoice._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("PDF"))
    def pdf(self, invoice: Invoice) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:billing_invoice_pdf", args=[invoice.pk]), "PDF"
        )

    def get_urls(self) -> list[Any]:
        return [
            path(
                "generer/",
                self.admin_site.admin_view(self.generate_view),
                name="billing_invoice_generate",
            ),
            path(
                "<int:pk>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="billing_invoice_pdf",
            ),
            path(
                "<int:pk>/avoir/",
                self.admin_site.admin_view(self.credit_note_view),
                name="billing_invoice_credit",
            ),
            path(
                "impayes/",
                self.admin_site.admin_view(self.unpaid_view),
                name="billing_invoice_unpaid",
            ),
            *super().get_urls(),
        ]

    def _invoice(self, request: HttpRequest, pk: int) -> Invoice:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(
            self.get_queryset(request).select_related("site__billing", "family", "school_year"),
            pk=pk,
        )

    def pdf_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = self._invoice(request, pk)
        return pdf_response(render_invoice_pdf(invoice), f"{invoice.number}.pdf")

    # Not one transaction for the whole run: invoices_issue commits family by family, so that
    # the site's invoice-number lock is held for one invoice at a time (not the minutes a
    # network-sized run takes), and a run cut short keeps what it issued and resumes there.
    @transaction.non_atomic_requests
    def generate_view(self, request: HttpRequest) -> HttpResponse:
        """Generate the year's invoices: a preview first, then issue."""
        if not request.user.has_perm("billing.add_invoice"):
            raise PermissionDenied
        form = GenerateForm(request.POST or None)
        form.fields["site"].queryset = scope_queryset(Site.objects.all(), _user(request))  # type: ignore[attr-defined]
        drafts = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if "issue" in request.POST:
                    issued = services.invoices_issue(
                        site=data["site"],
                        school_year=data["school_year"],
                        due_date=data["due_date"],
                        label=data["label"],
                        instalments=data["instalments"],
                        by=_user(request),
                    )
                    self.message_user(
                        request,
                        ngettext("%(n)s facture émise.", "%(n)s factures émises.", len(issued))
                        % {"n": len(issued)},
                    )
                    return redirect("admin:billing_invoice_changelist")
                drafts = services.invoices_preview(
                    site=data["site"],
                    school_year=data["school_year"],
                    due_date=data["due_date"],
                    instalments=data["instalments"],
                )
            except BillingError as error:
                form.add_error(None, error.message)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Générer les factures de l'année"),
            "form": form,
            "drafts": drafts,
            "total": sum((d.total for d in drafts), Decimal("0")) if drafts else None,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/billing/generate.html", context)

    def credit_note_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm("billing.add_invoice"):
            raise PermissionDenied
        invoice = self._invoice(request, pk)
        form = CreditNoteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                note = services.credit_note_issue(
                    invoice=invoice,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    by=_user(request),
                )
            except BillingError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(request, _("Avoir %(n)s émis.") % {"n": note.number})
                return redirect("admin:billing_invoice_change", note.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Avoir sur %(n)s") % {"n": invoice.number},
            "form": form,
            "invoice": invoice,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/billing/credit_note.html", context)

    def unpaid_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        site_ids = _user(request).managed_site_ids()
        rows = services.unpaid_invoices(site_ids)
        if request.method == "POST":
            chosen = set(request.POST.getlist("invoice"))
            sent = 0
            for invoice, balance in rows:
                if str(invoice.pk) in chosen:
                    try:
                        services.reminder_send(
                            invoice=invoice,
                            balance=balance,
                            base_url=request.build_absolute_uri("/"),
                            by=_user(request),
                        )
                        sent += 1
                    except BillingError as error:
                        self.message_user(request, f"{invoice} : {error.message}", messages.ERROR)
            self.message_user(
                request,
                ngettext("%(n)s relance envoyée.", "%(n)s relances envoyées.", sent) % {"n": sent},
            )
            return redirect("admin:billing_invoice_unpaid")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Soldes impayés"),
            "rows": rows,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/billing/unpaid.html", context)

    @admin.action(description=_("Export comptable (CSV) des factures et de leurs règlements"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="comptabilite.csv"'
        response.write("\ufeff")
        writer = csv.writer(response, delimiter=";")
        writer.writerow(
            ["Type", "Date", "Numéro", "Famille", "Libellé", "Mode", "Opération", "Débit", "Crédit"]
        )
        for invoice in queryset.select_related("family").prefetch_related("payments"):
            writer.writerow(
                [
                    "Avoir" if invoice.credit_note_of_id else "Facture",
                    invoice.issued_at.strftime("%d/%m/%Y"),
                    invoice.number,
                    str(invoice.family),
                    invoice.label,
                    "",
                    "",
                    f"{invoice.total:.2f}".replace(".", ","),
                    "",
                ]
            )
            for payment in invoice.payments.all():  # type: ignore[attr-defined]
                writer.writerow(
                    [
                        "Règlement",
                        payment.date.strftime("%d/%m/%Y"),
                        payment.receipt_number,
                        str(invoice.family),
                        invoice.number,
                        payment.get_mode_display(),
                        payment.operation_number,
                        "",
                        f"{payment.amount:.2f}".replace(".", ","),
                    ]
                )
        return response

    @admin.action(description=_("Envoyer une relance aux familles (solde restant)"))
    def send_reminders(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        sent = 0
        for invoice in queryset.select_related("family__account", "site"):
            balance = services.invoice_balance(invoice)
            if balance > 0:
                try:
                    services.reminder_send(
                        invoice=invoice,
                        balance=balance,
                        base_url=request.build_absolute_uri("/"),
                        by=_user(request),
                    )
                    sent += 1
                except BillingError as error:
                    self.message_user(request, f"{invoice} : {error.message}", messages.ERROR)
        self.message_user(
            request,
            ngettext("%(n)s relance envoyée.", "%(n)s relances envoyées.", sent) % {"n": sent},
        )


class PaymentForm(forms.ModelForm):
    class Meta:
        model = Payment
        fields = ["invoice", "date", "mode", "operation_number", "amount"]

    def clean(self) -> dict[str, Any]:
        # The service checks again under a lock; here the staff get the refusal as a form error.
        data = super().clean() or {}
        invoice, amount = data.get("invoice"), data.get("amount")
        if invoice is not None and amount is not None:
            if amount <= 0:
                self.add_error("amount", _("Le montant doit être positif."))
            elif services.money(amount) > services.invoice_balance(invoice):
                self.add_error("amount", _("Le montant dépasse le solde de la facture."))
        return data


@admin.register(Payment)
class PaymentAdmin(SiteScopedAdmin):
    """Payments recorded by staff go through the same service as online ones (receipt number,
    balance check); once saved they are not edited."""

    form = PaymentForm
    audit_addition_action = None  # The service logs "payment.recorded", with the amount.
    list_display = [
        "receipt_number",
        "family",
        "invoice",
        "date",
        "mode",
        "operation_number",
        "amount",
        "pdf",
    ]
    list_filter = ["site", "mode", "date"]
    list_select_related = ["family", "invoice"]
    search_fields = ["receipt_number", "operation_number", "family__nom", "invoice__number"]
    autocomplete_fields = ["invoice"]
    date_hierarchy = "date"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["invoice", "date", "mode", "operation_number", "amount"] if obj else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Payment, form: Any, change: bool) -> None:
        if change:
            return
        try:
            saved = services.payment_record(
                invoice=obj.invoice,
                mode=obj.mode,
                amount=obj.amount,
                operation_number=obj.operation_number,
                date=obj.date,
                by=_user(request),
            )
        except BillingError as error:
            self.message_user(request, error.message, messages.ERROR)
            raise
        obj.pk = saved.pk
        obj.receipt_number = saved.receipt_number

    @admin.display(description=_("PDF"))
    def pdf(self, payment: Payment) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:billing_payment_pdf", args=[payment.pk]), "PDF"
        )

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="billing_payment_pdf",
            ),
            *super().get_urls(),
        ]

    def pdf_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        payment = get_object_or_404(
            self.get_queryset(request).select_related("invoice__site__billing", "family", "site"),
            pk=pk,
        )
        return pdf_response(render_receipt_pdf(payment), f"{payment.receipt_number}.pdf")


@admin.register(InstrumentRental)
class InstrumentRentalAdmin(SiteScopedAdmin):
    list_display = ["instrument", "student", "family", "start_date", "end_date", "monthly_fee"]
    list_filter = ["site"]
    autocomplete_fields = ["family", "student"]
    actions = ["invoice_rentals"]

    @admin.action(description=_("Facturer les locations (année en cours)"))
    def invoice_rentals(self, request: HttpRequest, queryset: QuerySet[InstrumentRental]) -> None:
        year = SchoolYear.current()
        if year is None:
            return
        for rental in queryset:
            services.rental_invoice_issue(
                rental=rental,
                school_year=year,
                due_date=timezone.localdate() + datetime.timedelta(days=30),
                by=_user(request),
            )
        self.message_user(request, _("Locations facturées."))


class PaymentNotificationInline(admin.TabularInline):
    model = PaymentNotification
    extra = 0
    can_delete = False
    readonly_fields = ["received_at", "valid_signature", "outcome", "raw"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OnlineTransaction)
class OnlineTransactionAdmin(SiteScopedAdmin):
    list_display = [
        "order_id",
        "family",
        "invoice",
        "amount_cents",
        "payment_config",
        "mode",
        "status",
        "created_at",
    ]
    list_filter = ["site", "status", "mode"]
    list_select_related = ["family", "invoice"]
    search_fields = ["order_id", "trans_id", "family__nom"]
    inlines = [PaymentNotificationInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in OnlineTransaction._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
