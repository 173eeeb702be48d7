"""Privacy (RGPD): a family's data in one archive ("Mes données"), and the anonymisation of a
family that has left the conservatoire.

A family's personal data is spread over every app: its record here, its pupils (students), their
courses, marks, absences and pieces (courses), re-enrollments and supporting documents
(reenrollment), invoices and payments (billing). So this module, unlike the rest of families,
reads the apps to its right. Only families' views and admin import it: families.services, which
students.services imports, stays free of them.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import shutil
import tempfile
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Prefetch, Q
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing.models import (
    FamilyBillingProfile,
    Instalment,
    InstrumentRental,
    Invoice,
    InvoiceLine,
    Payment,
)
from billing.pdf import invoice_pdf
from billing.services import money
from courses.models import Absence, CalendarFeed, Enrolment, Evaluation, RepertoireEntry
from extranet import audit
from extranet.models import OutboxMessage, User
from families.models import Family
from families.services import FamiliesError
from reenrollment.models import (
    Choice,
    Document,
    PreRegistration,
    PreRegistrationChild,
    PreRegistrationDocument,
    ReenrollmentRequest,
)
from students.models import SchoolLevel, Student

# What replaces a name. Stored data, in French like the rest of the records, whatever the
# language of whoever reads it later.
ANONYMOUS = "Anonyme"
# The archive is built in memory up to this size, in a temporary file beyond.
ARCHIVE_SPOOL_BYTES = 16 * 1024 * 1024


# The archive ("Mes données") ------------------------------------------------------------------


@dataclass
class _StoredFile:
    """A supporting document to copy into the archive, and its line of documents.csv."""

    storage_name: str
    archive_name: str
    row: list[str]


def family_archive(family: Family, *, account: User) -> IO[bytes]:
    """Everything the portal holds about the family, as a ZIP file positioned at its start.

    README.txt explains the files: account.json, family.json, students.json, documents.csv with
    the documents themselves (documents/), invoices.csv with each invoice or credit note as a PDF
    (factures/), payments.csv. JSON keys are the field names of the records; CSV files are in
    UTF-8 with a BOM and ";" between columns, as French spreadsheets expect.

    Runs a fixed number of queries, whatever the number of pupils, documents and invoices.
    """
    students = list(_students_for_archive(family))
    documents = (
        Document.objects.filter(family=family)
        .select_related("document_type__campaign__school_year", "student")
        .order_by("uploaded_at", "pk")
    )
    pre_registrations = list(
        PreRegistration.objects.filter(family=family).prefetch_related("children", "documents")
    )
    invoices = list(
        Invoice.objects.filter(family=family)
        .select_related("site__billing", "school_year", "credit_note_of")
        .prefetch_related(
            Prefetch("lines", InvoiceLine.objects.select_related("student")),
            Prefetch("instalments", Instalment.objects.all()),
        )
        .order_by("issued_at", "pk")
    )
    payments = list(
        Payment.objects.filter(family=family).select_related("invoice").order_by("date", "pk")
    )
    billing_profile = FamilyBillingProfile.objects.filter(family=family).first()
    rentals = InstrumentRental.objects.filter(family=family).select_related("student")

    now = timezone.localtime()
    spool = tempfile.SpooledTemporaryFile(max_size=ARCHIVE_SPOOL_BYTES)  # noqa: SIM115
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        writer = _ArchiveWriter(archive, now)
        context = {"family": family, "account": account, "created_at": now}
        writer.add_text("README.txt", render_to_string("families/my_data_readme.txt", context))
        writer.add_json("account.json", _account_record(account))
        writer.add_json(
            "family.json",
            {
                **_record(family, exclude=("account", "anonymised_at")),
                "billing_profile": (
                    _record(billing_profile, exclude=("family",)) if billing_profile else None
                ),
                "instrument_rentals": [_record(r, exclude=("site", "family")) for r in rentals],
                "pre_registrations": [_pre_registration_record(p) for p in pre_registrations],
            },
        )
        writer.add_json("students.json", [_student_record(student) for student in students])

        rows = [_documents_header()]
        for stored in _stored_files(documents, pre_registrations):
            copied = writer.add_file(stored.archive_name, stored.storage_name)
            rows.append([*stored.row, stored.archive_name if copied else _("fichier introuvable")])
        writer.add_csv("documents.csv", rows)

        balances = _balances(invoices, payments)
        paid: dict[int, list[Payment]] = defaultdict(list)
        for payment in payments:
            paid[payment.invoice_id].append(payment)
        rows = [_invoices_header()]
        for invoice in invoices:
            name = f"factures/{get_valid_filename(invoice.number)}.pdf"
            balance = balances[invoice.credit_note_of_id or invoice.pk]
            content = invoice_pdf(
                invoice,
                lines=list(invoice.lines.all()),  # type: ignore[attr-defined]
                instalments=list(invoice.instalments.all()),  # type: ignore[attr-defined]
                payments=paid[invoice.pk],
                balance=balance,
            )
            writer.add_bytes(name, content, compress=False)
            rows.append(_invoice_row(invoice, balance, name))
        writer.add_csv("invoices.csv", rows)
        writer.add_csv("payments.csv", [_payments_header(), *map(_payment_row, payments)])
    spool.seek(0)
    return spool


def archive_file_name(family: Family) -> str:
    return f"mes-donnees-{family.site.slug}-{timezone.localdate():%Y-%m-%d}.zip"


class _ArchiveWriter:
    """Adds files to the ZIP, all dated from the archive's creation."""

    def __init__(self, archive: zipfile.ZipFile, now: datetime.datetime) -> None:
        self.archive = archive
        self.date_time = now.timetuple()[:6]

    def _info(self, name: str, *, compress: bool = True) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self.date_time)  # type: ignore[arg-type]
        # PDFs are compressed already: deflating them again only costs time.
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        return info

    def add_bytes(self, name: str, content: bytes, *, compress: bool = True) -> None:
        self.archive.writestr(self._info(name, compress=compress), content)

    def add_text(self, name: str, content: str) -> None:
        # Windows' Notepad, which most families will open it with, wants CRLF line ends.
        self.add_bytes(name, content.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8"))

    def add_json(self, name: str, data: Any) -> None:
        text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        self.add_bytes(name, text.encode("utf-8"))

    def add_csv(self, name: str, rows: Iterable[Sequence[Any]]) -> None:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=";").writerows(rows)
        self.add_bytes(name, buffer.getvalue().encode("utf-8-sig"))

    def add_file(self, name: str, storage_name: str) -> bool:
        """Copy a stored file into the archive; False when the storage has lost it."""
        if not storage_name:
            return False
        try:
            source = default_storage.open(storage_name, "rb")
        except (FileNotFoundError, OSError):
            return False
        with source, self.archive.open(self._info(name, compress=False), "w") as target:
            shutil.copyfileobj(source, target)
        return True


def _students_for_archive(family: Family) -> models.QuerySet[Student]:
    enrolments = Enrolment.objects.select_related(
        "slot__course", "slot__teacher", "slot__room", "slot__school_year"
    ).prefetch_related(
        Prefetch("evaluations", Evaluation.objects.select_related("recorded_by")),
        Prefetch("absences", Absence.objects.select_related("recorded_by")),
    )
    requests = ReenrollmentRequest.objects.select_related(
        "campaign__site", "campaign__school_year"
    ).prefetch_related(
        Prefetch(
            "choices",
            Choice.objects.select_related(
                "course", "slot__course", "slot__teacher", "slot__school_year"
            ),
        )
    )
    return (
        Student.objects.filter(family=family)
        .order_by("prenom", "pk")
        .prefetch_related(
            Prefetch("school_levels", SchoolLevel.objects.select_related("school_year")),
            Prefetch("enrolments", enrolments),
            Prefetch(
                "repertoire",
                RepertoireEntry.objects.select_related("course", "school_year", "added_by"),
            ),
            Prefetch("reenrollments", requests.order_by("submitted_at", "pk")),
        )
    )


def _record(obj: models.Model, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """The row's fields by name: choices as their label, links as the linked row's name.

    Links must come with select_related (or be excluded): this runs no query.
    """
    skip = set(exclude)
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.primary_key or field.name in skip:
            continue
        if field.is_relation:
            related = getattr(obj, field.name)
            data[field.name] = str(related) if related is not None else None
        elif isinstance(field, models.FileField):
            continue  # The storage's name means nothing to the family; the file is copied.
        elif field.choices and field.value_from_object(obj) not in (None, ""):
            data[field.name] = str(getattr(obj, f"get_{field.name}_display")())
        else:
            data[field.name] = field.value_from_object(obj)
    return data


def _account_record(account: User) -> dict[str, Any]:
    # Never the password, not even its hash.
    return {
        "site": account.site.name,
        "username": account.username,
        "email": account.email,
        "first_name": account.first_name,
        "last_name": account.last_name,
        "language": account.language,
        "date_joined": account.date_joined,
        "last_login": account.last_login,
    }


def _student_record(student: Student) -> dict[str, Any]:
    return {
        **_record(student, exclude=("family",)),
        "school_levels": [
            _record(level, exclude=("student",))
            for level in student.school_levels.all()  # type: ignore[attr-defined]
        ],
        "enrolments": [
            {
                **_record(enrolment, exclude=("student",)),
                "school_year": enrolment.slot.school_year.label,
                "course": enrolment.slot.course.name,
                "teacher": str(enrolment.slot.teacher),
                "evaluations": [
                    _record(evaluation, exclude=("enrolment",))
                    for evaluation in enrolment.evaluations.all()  # type: ignore[attr-defined]
                ],
                "absences": [
                    _record(absence, exclude=("enrolment",))
                    for absence in enrolment.absences.all()  # type: ignore[attr-defined]
                ],
            }
            for enrolment in student.enrolments.all()  # type: ignore[attr-defined]
        ],
        "repertoire": [
            _record(entry, exclude=("student",))
            for entry in student.repertoire.all()  # type: ignore[attr-defined]
        ],
        "reenrollment_requests": [
            {
                **_record(request, exclude=("student", "family", "decided_by")),
                "choices": [
                    _record(choice, exclude=("request", "enrolment", "offer_token"))
                    for choice in request.choices.all()  # type: ignore[attr-defined]
                ],
            }
            for request in student.reenrollments.all()  # type: ignore[attr-defined]
        ],
    }


def _pre_registration_record(pre: PreRegistration) -> dict[str, Any]:
    # Not duplicate_note: the secretariat's note names other families.
    return {
        **_record(pre, exclude=("site", "family", "duplicate_note")),
        "children": [
            _record(child, exclude=("pre_registration",))
            for child in pre.children.all()  # type: ignore[attr-defined]
        ],
    }


def _date(value: datetime.date | datetime.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return f"{timezone.localtime(value):%d/%m/%Y %H:%M}"
    return f"{value:%d/%m/%Y}"


def _amount(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _documents_header() -> list[str]:
    return [
        _("Pièce"),
        _("Campagne"),
        _("Pour"),
        _("Nom du fichier"),
        _("État"),
        _("Motif du refus"),
        _("Pages"),
        _("Déposé le"),
        _("Examiné le"),
        _("Fichier dans l'archive"),
    ]


def _stored_files(
    documents: Iterable[Document], pre_registrations: Iterable[PreRegistration]
) -> list[_StoredFile]:
    files = []
    for document in documents:
        campaign = document.document_type.campaign
        files.append(
            _StoredFile(
                storage_name=document.file.name or "",
                archive_name=f"documents/{document.pk}-{get_valid_filename(document.display_name)}",
                row=[
                    document.document_type.name,
                    campaign.school_year.label,
                    str(document.student) if document.student else _("Famille"),
                    document.display_name,
                    document.get_status_display(),
                    document.refusal_reason,
                    str(document.pages),
                    _date(document.uploaded_at),
                    _date(document.reviewed_at),
                ],
            )
        )
    for pre in pre_registrations:
        for item in pre.documents.all():  # type: ignore[attr-defined]
            name = get_valid_filename(item.display_name)
            files.append(
                _StoredFile(
                    storage_name=item.file.name or "",
                    archive_name=f"documents/preinscription-{item.pk}-{name}",
                    row=[
                        item.name,
                        _("Pré-inscription"),
                        _("Famille"),
                        item.display_name,
                        "",
                        "",
                        str(item.pages),
                        _date(pre.created_at),
                        "",
                    ],
                )
            )
    return files


def _balances(invoices: Sequence[Invoice], payments: Sequence[Payment]) -> dict[int, Decimal]:
    """What is left to pay on each invoice, as billing.services.invoice_balance counts it
    (total, less its credit notes and payments), from rows already loaded."""
    balances = {invoice.pk: invoice.total for invoice in invoices if not invoice.credit_note_of_id}
    for invoice in invoices:
        if invoice.credit_note_of_id:
            balances[invoice.pk] = invoice.total
            original = invoice.credit_note_of_id
            balances[original] = balances.get(original, Decimal(0)) + invoice.total
    for payment in payments:
        balances[payment.invoice_id] = balances.get(payment.invoice_id, Decimal(0)) - payment.amount
    return {pk: money(balance) for pk, balance in balances.items()}


def _invoices_header() -> list[str]:
    return [
        _("Numéro"),
        _("Type"),
        _("Nature"),
        _("Libellé"),
        _("Date"),
        _("Échéance"),
        _("Année scolaire"),
        _("Montant"),
        _("Avoir sur"),
        _("Facturé à"),
        _("Adresse"),
        _("Reste à payer"),
        _("Fichier dans l'archive"),
    ]


def _invoice_row(invoice: Invoice, balance: Decimal, name: str) -> list[str]:
    original = invoice.credit_note_of
    return [
        invoice.number,
        _("Avoir") if original else _("Facture"),
        invoice.get_kind_display(),
        invoice.label,
        _date(invoice.issued_at),
        _date(invoice.due_date),
        invoice.school_year.label,
        _amount(invoice.total),
        original.number if original else "",
        invoice.billing_name,
        " / ".join(line.strip() for line in invoice.billing_address.splitlines() if line.strip()),
        _amount(balance),
        name,
    ]


def _payments_header() -> list[str]:
    return [
        _("Date"),
        _("Numéro de reçu"),
        _("Facture"),
        _("Mode de règlement"),
        _("Numéro d'opération"),
        _("Montant"),
    ]


def _payment_row(payment: Payment) -> list[str]:
    return [
        _date(payment.date),
        payment.receipt_number,
        payment.invoice.number,
        payment.get_mode_display(),
        payment.operation_number,
        _amount(payment.amount),
    ]


# Anonymisation -------------------------------------------------------------------------------


def family_left_refusal(family: Family, *, now: datetime.datetime | None = None) -> str | None:
    """Why the family has not left the conservatoire, or None when it has.

    It has left when none of its pupils holds an active place in a course of a school year that
    is not over (this year's, or next year's once a re-enrollment was validated), and none of
    its re-enrollment requests is still open: sent or incomplete (the secretariat has not
    decided), or a draft of a campaign that has not closed yet.
    """
    if family.anonymised_at is not None:
        return _("Cette famille est déjà anonymisée.")
    now = now or timezone.now()
    enrolled = (
        Student.objects.filter(
            family=family,
            enrolments__active=True,
            enrolments__slot__school_year__end_date__gte=timezone.localdate(now),
        )
        .distinct()
        .count()
    )
    if enrolled:
        return ngettext(
            "Elle n'a pas quitté le conservatoire : %(count)d élève a encore une place dans un "
            "cours de cette année ou de l'année prochaine.",
            "Elle n'a pas quitté le conservatoire : %(count)d élèves ont encore une place dans un "
            "cours de cette année ou de l'année prochaine.",
            enrolled,
        ) % {"count": enrolled}
    open_requests = (
        ReenrollmentRequest.objects.filter(family=family)
        .filter(
            Q(
                status__in=[
                    ReenrollmentRequest.Status.SENT,
                    ReenrollmentRequest.Status.INCOMPLETE,
                ]
            )
            | Q(status=ReenrollmentRequest.Status.DRAFT, campaign__closes_at__gt=now)
        )
        .count()
    )
    if open_requests:
        return ngettext(
            "Elle n'a pas quitté le conservatoire : %(count)d demande de réinscription est "
            "encore en cours.",
            "Elle n'a pas quitté le conservatoire : %(count)d demandes de réinscription sont "
            "encore en cours.",
            open_requests,
        ) % {"count": open_requests}
    return None


def _wipe_text(obj: models.Model) -> None:
    """Empty every text field of the row, but a choice it cannot do without (a status)."""
    for field in obj._meta.concrete_fields:
        if isinstance(field, (models.CharField, models.TextField)) and not (
            field.choices and not field.blank
        ):
            setattr(obj, field.attname, "")


def _first_of_january(day: datetime.date) -> datetime.date:
    # The year is kept: age groups still count in the conservatoire's statistics.
    return datetime.date(day.year, 1, 1)


def family_anonymise(
    *, family: Family, actor: User | None, request: HttpRequest | None = None
) -> Family:
    """Erase the personal data of a family that has left; keep what the law asks to keep.

    The family, its pupils, its pre-registration and its account keep their rows, with neutral
    values ("Anonyme", empty contact details, birth dates moved to 1 January of their year), so
    that marks, absences and seats still count in the statistics. Supporting documents are
    deleted, files included (once the change is committed); so are the old versions kept by
    the history, the login records of the account, and the emails sent to the family's
    addresses. The account can no longer log in.

    Invoices, credit notes and payments stay as issued, with the name and address they were
    issued to: they are accounting documents, kept 10 years (Code de commerce, article
    L123-22), and an invoice is never edited.
    """
    with transaction.atomic():
        family = (
            Family.objects.select_for_update(of=("self",))
            .select_related("site", "account__site")
            .get(pk=family.pk)
        )
        refusal = family_left_refusal(family)
        if refusal is not None:
            raise FamiliesError(refusal)
        account = family.account
        students = list(Student.objects.filter(family=family).order_by("pk"))
        student_ids = [student.pk for student in students]
        addresses = {
            address.strip().lower()
            for address in (
                family.email,
                account.email if account else "",
                *(student.email for student in students),
            )
            if address.strip()
        }

        # Supporting documents: their stored files go once this commits (reenrollment.signals).
        documents, _by_model = Document.objects.filter(family=family).delete()
        pre_registrations = list(PreRegistration.objects.filter(family=family))
        PreRegistrationDocument.objects.filter(pre_registration__in=pre_registrations).delete()
        for pre in pre_registrations:
            _wipe_text(pre)
            pre.nom = ANONYMOUS
            pre.save()
        for child in PreRegistrationChild.objects.filter(pre_registration__in=pre_registrations):
            _wipe_text(child)
            child.nom = ANONYMOUS
            child.date_naissance = _first_of_january(child.date_naissance)
            child.save()

        # What the family wrote, or teachers wrote about a pupil, in free text; the reason
        # given for an absence may be about health.
        Absence.objects.filter(enrolment__student__family=family).update(
            family_comment="", family_reason=""
        )
        Evaluation.objects.filter(enrolment__student__family=family).update(appreciation="")
        ReenrollmentRequest.objects.filter(family=family).update(comment="")
        CalendarFeed.objects.filter(student__family=family).delete()
        FamilyBillingProfile.objects.filter(family=family).update(quotient_familial=None)

        # The history keeps every old value: drop it, then save once, so that the only version
        # left is the anonymous one, by the staff member who anonymised.
        Family.history.filter(id=family.pk).delete()  # type: ignore[attr-defined]
        Student.history.filter(id__in=student_ids).delete()  # type: ignore[attr-defined]
        for student in students:
            _wipe_text(student)
            student.nom = ANONYMOUS
            student.date_naissance = _first_of_january(student.date_naissance)
            student.utiliser_coordonnees_responsable = False
            student.droit_image = None
            student.autorisation_sortie = None
            student._history_user = actor  # type: ignore[attr-defined]
            student.save()
        _wipe_text(family)
        family.nom = ANONYMOUS
        family.proof_of_address_needed = False
        family.address_changed_at = None
        family.anonymised_at = timezone.now()
        family._history_user = actor  # type: ignore[attr-defined]
        family.save()

        if account is not None:
            _anonymise_account(account)
        OutboxMessage.objects.filter(_any_address(addresses)).delete()
        _relabel_admin_log(Family, [family.pk], str(family))
        if students:
            _relabel_admin_log(Student, student_ids, str(students[0]))

        audit.record(
            "family.anonymised",
            actor=actor,
            request=request,
            obj=family,
            students=len(students),
            documents=documents,
        )
    return family


def _anonymise_account(account: User) -> None:
    login_key = f"{account.site_id}:{account.username.strip().lower()}"
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username=login_key).delete()
    # A new random identifiant: the old one may be a name, and frees up for someone else.
    account.username = f"anonyme-{uuid.uuid4().hex[:12]}"
    account.first_name = ""
    account.last_name = ""
    account.email = ""
    account.last_login = None
    account.is_active = False
    account.set_unusable_password()  # Also ends its open sessions (their hash no longer matches).
    account.save()


def _any_address(addresses: set[str]) -> Q:
    query = Q(pk__in=[])
    for address in addresses:
        query |= Q(to__iexact=address)
    return query


def _relabel_admin_log(model: type[models.Model], pks: list[int], label: str) -> None:
    """The admin's "historique" of changes copies the row's name; keep the entries, not it."""
    content_type = ContentType.objects.get_for_model(model)
    LogEntry.objects.filter(
        content_type=content_type, object_id__in=[str(pk) for pk in pks]
    ).update(object_repr=label[:200])
