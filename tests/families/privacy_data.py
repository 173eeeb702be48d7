"""A family's data in every app, for the tests of "Mes données" and of the anonymisation.

Every text that names the family holds its tag ("ALICE", "BOB"), so that a test can tell that
nothing of one family shows up where it should not, or that nothing of it is left.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from billing.models import Invoice
from courses.models import Enrolment
from extranet.models import SchoolYear
from families.models import Family
from reenrollment.models import Campaign, Document, DocumentType, ReenrollmentRequest
from students.models import SchoolLevel, Student
from tests.factories import (
    AbsenceFactory,
    BillingSettingsFactory,
    CampaignFactory,
    ChoiceFactory,
    DocumentFactory,
    DocumentTypeFactory,
    EnrolmentFactory,
    EvaluationFactory,
    FamilyBillingProfileFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    PaymentFactory,
    RepertoireEntryFactory,
    SchoolYearFactory,
    SlotFactory,
)


@dataclass
class FamilyData:
    documents: list[Document] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    enrolments: list[Enrolment] = field(default_factory=list)


def last_school_year() -> SchoolYear:
    current = SchoolYearFactory()
    start = current.start_date.replace(year=current.start_date.year - 1)
    return SchoolYearFactory(start_date=start)


def closed_campaign(family: Family) -> Campaign:
    """Last spring's campaign of the family's site, closed and processed."""
    now = timezone.now()
    return CampaignFactory(
        site=family.site,
        school_year=SchoolYearFactory(),
        opens_at=now - datetime.timedelta(days=120),
        closes_at=now - datetime.timedelta(days=90),
        closed_at=now - datetime.timedelta(days=90),
    )


def give_family_data(
    family: Family,
    *,
    tag: str,
    school_year: SchoolYear | None = None,
    campaign: Campaign | None = None,
    request_status: str = ReenrollmentRequest.Status.SENT,
    invoices: int = 1,
) -> FamilyData:
    """Courses, marks, absences, pieces, re-enrollments, documents and invoices for the family.

    By default this year's courses and a request sent in a campaign open now.
    """
    data = FamilyData()
    school_year = school_year or SchoolYearFactory()
    campaign = campaign or CampaignFactory(site=family.site)
    family_piece = DocumentTypeFactory(campaign=campaign, name=f"Justificatif de domicile {tag}")
    pupil_piece = DocumentTypeFactory(
        campaign=campaign, name=f"Certificat médical {tag}", scope=DocumentType.Scope.STUDENT
    )
    data.documents.append(
        DocumentFactory(
            document_type=family_piece, family=family, display_name=f"domicile-{tag}.pdf"
        )
    )
    for student in family.students.all():
        SchoolLevel.objects.create(student=student, school_year=school_year, niveau="cm1")
        slot = SlotFactory(site=family.site, school_year=school_year)
        enrolment = EnrolmentFactory(student=student, slot=slot)
        data.enrolments.append(enrolment)
        EvaluationFactory(enrolment=enrolment, appreciation=f"{tag} progresse bien")
        AbsenceFactory(
            enrolment=enrolment,
            family_comment=f"{tag} avait de la fièvre",
            family_reason="maladie",
        )
        RepertoireEntryFactory(student=student, school_year=school_year, title=f"Sonate {tag}")
        request = _request(campaign, student, request_status, comment=f"Remarque {tag}")
        ChoiceFactory(request=request)
        data.documents.append(
            DocumentFactory(
                document_type=pupil_piece,
                family=family,
                student=student,
                display_name=f"certificat-{tag}.pdf",
            )
        )
    BillingSettingsFactory(site=family.site)
    FamilyBillingProfileFactory(family=family, quotient_familial=812)
    for number in range(1, invoices + 1):
        invoice = InvoiceFactory(
            family=family,
            school_year=school_year,
            number=f"{tag}-F{number}",
            billing_name=f"Madame {tag}",
            total=Decimal("300.00"),
        )
        InvoiceLineFactory(invoice=invoice, label=f"Piano {tag}", amount=Decimal("300.00"))
        PaymentFactory(invoice=invoice, receipt_number=f"{tag}-R{number}", amount=Decimal("100"))
        note = InvoiceFactory(
            family=family,
            school_year=school_year,
            number=f"{tag}-AV{number}",
            total=Decimal("-50.00"),
            credit_note_of=invoice,
            billing_name=invoice.billing_name,
        )
        InvoiceLineFactory(invoice=note, label="Geste commercial", amount=Decimal("-50.00"))
        data.invoices += [invoice, note]
    return data


def _request(
    campaign: Campaign, student: Student, status: str, *, comment: str
) -> ReenrollmentRequest:
    return ReenrollmentRequest.objects.create(
        campaign=campaign,
        student=student,
        family=student.family,
        status=status,
        comment=comment,
        rules_accepted_text=campaign.rules_text,
    )
