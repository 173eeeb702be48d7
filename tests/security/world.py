"""The data the security suite attacks: two sites, three families, every kind of object.

Moissy-Cramayel holds alice and bob, Boulogne-Billancourt holds dora, as the standing users of
tests/conftest.py; each site has its secretariat, and the network a superuser. Each family gets one of every object a family, a teacher or the secretariat
can reach by its id: the child's course with its own teacher (so that two teachers of Moissy
and one of Boulogne each have a slot, a pupil, evaluations...), a seat offered from the waiting
list, documents, an invoice with a payment and an online payment, and so on. Each site also gets
the objects that belong to the site rather than to a family (campaign, tariffs, a
pre-registration, billing settings).
"""

from __future__ import annotations

import datetime
import secrets
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone

from billing import services as billing_services
from billing.models import (
    BillingSettings,
    CourseTariff,
    FamilyBillingProfile,
    Instalment,
    InstrumentRental,
    Invoice,
    OnlineTransaction,
    Payment,
    PaymentNotification,
    TariffGrid,
)
from courses.models import (
    Absence,
    CalendarFeed,
    Course,
    Cursus,
    Department,
    Enrolment,
    Evaluation,
    RepertoireEntry,
    Room,
    Slot,
    Teacher,
)
from extranet.models import SchoolYear, Site, User
from extranet.roles import STAFF_GROUP
from families.models import Family
from reenrollment.models import (
    Campaign,
    CeilingTariff,
    Choice,
    Document,
    DocumentType,
    PreRegistration,
    PreRegistrationChild,
    PreRegistrationDocument,
    ReenrollmentRequest,
)
from students.models import NiveauScolaire, SchoolLevel, Student
from tests.factories import (
    BLANK_PDF,
    AbsenceFactory,
    BillingSettingsFactory,
    CampaignFactory,
    ChoiceFactory,
    CourseFactory,
    DepartmentFactory,
    DocumentFactory,
    DocumentTypeFactory,
    EnrolmentFactory,
    EvaluationFactory,
    FamilyBillingProfileFactory,
    FamilyFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    PaymentFactory,
    ReenrollmentRequestFactory,
    RepertoireEntryFactory,
    RoomFactory,
    SchoolYearFactory,
    SiteFactory,
    SlotFactory,
    StudentFactory,
    TariffGridFactory,
    TariffLineFactory,
    TeacherFactory,
    UserFactory,
)


@dataclass
class SiteData:
    """What belongs to a site rather than to one family."""

    site: Site
    staff: User
    department: Department
    cursus: Cursus
    course: Course
    room: Room
    campaign: Campaign
    family_piece: DocumentType
    student_piece: DocumentType
    next_slot: Slot
    billing: BillingSettings
    grid: TariffGrid
    course_tariff: CourseTariff
    pre_registration: PreRegistration
    pre_registration_document: PreRegistrationDocument


@dataclass
class Party:
    """One family, its child, and everything the portal keeps about them."""

    name: str
    site: SiteData
    family: Family
    account: User
    student: Student
    school_level: SchoolLevel
    teacher: Teacher
    slot: Slot
    enrolment: Enrolment
    evaluation: Evaluation
    absence: Absence
    repertoire: RepertoireEntry
    feed: CalendarFeed
    family_document: Document
    student_document: Document
    request: ReenrollmentRequest
    choice: Choice
    ceiling: CeilingTariff
    billing_profile: FamilyBillingProfile
    invoice: Invoice
    payment: Payment
    transaction: OnlineTransaction
    rental: InstrumentRental

    @property
    def teacher_account(self) -> User:
        assert self.teacher.account is not None
        return self.teacher.account


@dataclass
class World:
    alice: Party
    bob: Party
    dora: Party
    moissy: SiteData
    boulogne: SiteData
    superuser: User

    def parties(self) -> list[Party]:
        return [self.alice, self.bob, self.dora]


def build_world() -> World:
    school_year = SchoolYearFactory()
    moissy = SiteFactory(slug="moissy-cramayel", name="Moissy-Cramayel")
    boulogne = SiteFactory(slug="boulogne-billancourt", name="Boulogne-Billancourt")
    moissy_data = build_site(moissy, make_staff(moissy, "secretariat.moissy"), school_year)
    boulogne_data = build_site(boulogne, make_staff(boulogne, "charlie"), school_year)
    return World(
        alice=build_party("alice", moissy_data, school_year),
        bob=build_party("bob", moissy_data, school_year),
        dora=build_party("dora", boulogne_data, school_year),
        moissy=moissy_data,
        boulogne=boulogne_data,
        superuser=UserFactory(
            site=moissy, username="admin", kind=User.Kind.STAFF, is_staff=True, is_superuser=True
        ),
    )


def make_staff(site: Site, username: str) -> User:
    """A secretariat member of one site, as tests/conftest.py makes them."""
    user = UserFactory(site=site, username=username, kind=User.Kind.STAFF, is_staff=True)
    user.staff_sites.set([site])
    user.groups.set(Group.objects.filter(name=STAFF_GROUP))
    return user


def _pdf() -> ContentFile[bytes]:
    return ContentFile(BLANK_PDF, name=f"{uuid.uuid4().hex}.pdf")


def build_site(site: Site, staff: User, school_year: SchoolYear) -> SiteData:
    next_year = SchoolYearFactory(
        start_date=school_year.start_date.replace(year=school_year.start_date.year + 1)
    )
    department = DepartmentFactory(site=site, name=f"Musique {site.slug}")
    course = CourseFactory(site=site, department=department, name=f"Piano {site.slug}")
    room = RoomFactory(site=site, name=f"Salle {site.slug}")
    campaign = CampaignFactory(site=site, school_year=next_year)
    billing = BillingSettingsFactory(site=site)
    grid = TariffGridFactory(site=site, school_year=school_year)
    TariffLineFactory(grid=grid)
    pre_registration = PreRegistration.objects.create(
        site=site,
        nom=f"NOUVEAU-{site.slug}",
        prenom="Nina",
        adresse="2 rue des Lilas",
        code_postal="77550",
        ville="MOISSY CRAMAYEL",
        mobile="06 00 00 00 00",
        email=f"nina.{site.slug}@example.org",
    )
    PreRegistrationChild.objects.create(
        pre_registration=pre_registration,
        prenom="Noé",
        nom=pre_registration.nom,
        date_naissance=datetime.date(2016, 3, 1),
        disciplines="Violon",
    )
    return SiteData(
        site=site,
        staff=staff,
        department=department,
        cursus=Cursus.objects.create(site=site, department=department, name=f"Cursus {site.slug}"),
        course=course,
        room=room,
        campaign=campaign,
        family_piece=DocumentTypeFactory(campaign=campaign, name="Justificatif de domicile"),
        student_piece=DocumentTypeFactory(
            campaign=campaign, name="Certificat médical", scope=DocumentType.Scope.STUDENT
        ),
        next_slot=SlotFactory(
            site=site, course=course, room=room, school_year=next_year, capacity=5
        ),
        billing=billing,
        grid=grid,
        course_tariff=CourseTariff.objects.create(course=course, kind="instrument_fm"),
        pre_registration=pre_registration,
        pre_registration_document=PreRegistrationDocument.objects.create(
            pre_registration=pre_registration,
            name="Justificatif de domicile",
            file=_pdf(),
            display_name="domicile.pdf",
            size=len(BLANK_PDF),
            pages=1,
        ),
    )


def build_party(name: str, data: SiteData, school_year: SchoolYear) -> Party:
    site = data.site
    # Names found nowhere else, so that a page showing them shows this family's data.
    family = FamilyFactory(
        site=site,
        account__username=name,
        nom=f"NOM-{name.upper()}",
        email=f"{name}.famille@example.org",
    )
    student = StudentFactory(family=family, nom=family.nom, prenom=f"Enfant-{name}")
    teacher = TeacherFactory(
        site=site, nom=f"PROF-{name.upper()}", account__username=f"prof.{name}"
    )
    # Yesterday's weekday: the current school year has both a past and a coming lesson (the
    # factories' school year reaches four weeks on either side of today).
    weekday = (timezone.localdate() - datetime.timedelta(days=1)).isoweekday()
    slot = SlotFactory(
        site=site,
        course=data.course,
        teacher=teacher,
        room=data.room,
        school_year=school_year,
        weekday=weekday,
        start_time=datetime.time(14, 30),
        duration=60,
    )
    enrolment = EnrolmentFactory(student=student, slot=slot, cycle="Cycle 1")
    request = ReenrollmentRequestFactory(campaign=data.campaign, student=student)
    choice = ChoiceFactory(
        request=request,
        enrolment=enrolment,
        slot=data.next_slot,
        state=Choice.State.OFFERED,
        offer_token=secrets.token_urlsafe(24),
        offer_expires_at=timezone.now() + datetime.timedelta(days=2),
    )
    invoice = InvoiceFactory(family=family, school_year=school_year, total=Decimal("300.00"))
    InvoiceLineFactory(invoice=invoice, student=student)
    Instalment.objects.create(invoice=invoice, due_date=invoice.due_date, amount=invoice.total)
    payment = PaymentFactory(invoice=invoice, amount=Decimal("100.00"))
    transaction = billing_services.transaction_create(invoice=invoice, family=family)
    PaymentNotification.objects.create(
        transaction=transaction, raw={"vads_order_id": transaction.order_id}, valid_signature=False
    )
    assert family.account is not None
    return Party(
        name=name,
        site=data,
        family=family,
        account=family.account,
        student=student,
        school_level=SchoolLevel.objects.create(
            student=student, school_year=school_year, niveau=NiveauScolaire.CM1
        ),
        teacher=teacher,
        slot=slot,
        enrolment=enrolment,
        evaluation=EvaluationFactory(enrolment=enrolment),
        absence=AbsenceFactory(
            enrolment=enrolment, date=timezone.localdate() - datetime.timedelta(days=1)
        ),
        repertoire=RepertoireEntryFactory(
            student=student, course=data.course, school_year=school_year
        ),
        feed=CalendarFeed.objects.create(student=student),
        family_document=DocumentFactory(document_type=data.family_piece, family=family),
        student_document=DocumentFactory(
            document_type=data.student_piece, family=family, student=student
        ),
        request=request,
        choice=choice,
        ceiling=CeilingTariff.objects.create(
            campaign=data.campaign, family=family, missing="Justificatif de domicile"
        ),
        billing_profile=FamilyBillingProfileFactory(family=family),
        invoice=invoice,
        payment=payment,
        transaction=transaction,
        rental=InstrumentRental.objects.create(
            site=site,
            family=family,
            student=student,
            instrument=f"Violon {name}",
            start_date=school_year.start_date,
            end_date=school_year.end_date,
            monthly_fee=Decimal("20.00"),
        ),
    )
