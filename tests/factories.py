"""factory_boy factories for the portal's models."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from functools import lru_cache

import factory
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.utils import timezone

from courses.models import (
    Absence,
    Course,
    Department,
    Enrolment,
    Evaluation,
    RepertoireEntry,
    Room,
    Slot,
    Teacher,
    Weekday,
)
from extranet.models import SchoolYear, Site, User
from families.models import Family
from reenrollment.models import (
    Campaign,
    Choice,
    Document,
    DocumentType,
    PreRegistration,
    PreRegistrationDocument,
    ReenrollmentRequest,
)
from students.models import Student

PASSWORD = "demo2026"


@lru_cache(maxsize=1)
def password_hash() -> str:
    # Argon2 on purpose costs time: hash once for the whole run.
    return make_password(PASSWORD)


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Site {n}")
    slug = factory.Sequence(lambda n: f"site-{n}")
    city = "Moissy-Cramayel"
    phone = "01 64 88 15 00"
    email = "conservatoire@example.org"
    welcome_message = "Bienvenue sur le portail du conservatoire."


# However close today is to 1 September, the school year under way has this much before
# and after it: lessons already given and lessons to come, whatever the date of the run.
SCHOOL_YEAR_MARGIN = datetime.timedelta(weeks=4)


def september_of_this_school_year() -> datetime.date:
    """1 September of the school year under way (that of its label: 2026/2027)."""
    today = timezone.localdate()
    return datetime.date(today.year if today.month >= 9 else today.year - 1, 9, 1)


def current_school_year_start() -> datetime.date:
    """The start of the school year under way: 1 September, or earlier in its first weeks,
    so that the suite has past lessons this year even on 1 September."""
    return min(september_of_this_school_year(), timezone.localdate() - SCHOOL_YEAR_MARGIN)


def school_year_end(start: datetime.date) -> datetime.date:
    """31 August after the start; later in the last weeks of the school year under way, so
    that the suite has lessons to come this year even on 31 August."""
    end = datetime.date(start.year + 1, 8, 31)
    today = timezone.localdate()
    if start <= today <= end:
        end = max(end, today + SCHOOL_YEAR_MARGIN)
    return end


class SchoolYearFactory(factory.django.DjangoModelFactory):
    """By default the school year under way, with past and coming weeks whatever the date."""

    class Meta:
        model = SchoolYear
        django_get_or_create = ("label",)

    start_date = factory.LazyFunction(current_school_year_start)
    end_date = factory.LazyAttribute(lambda o: school_year_end(o.start_date))
    label = factory.LazyAttribute(lambda o: f"{o.start_date.year}/{o.start_date.year + 1}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    site = factory.SubFactory(SiteFactory)
    username = factory.Sequence(lambda n: f"compte.{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    kind = User.Kind.FAMILY
    password = factory.LazyFunction(password_hash)


class FamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Family

    site = factory.SubFactory(SiteFactory)
    account = factory.SubFactory(UserFactory, site=factory.SelfAttribute("..site"))
    civilite = "Madame"
    nom = factory.Sequence(lambda n: f"FAMILLE{n}")
    prenom = "Claire"
    adresse = "1 rue de la Mare l'Evêque"
    code_postal = "77550"
    ville = "MOISSY CRAMAYEL"
    mobile = "06 12 93 31 09"
    email = factory.LazyAttribute(lambda o: f"{o.nom.lower()}@example.org")


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    family = factory.SubFactory(FamilyFactory)
    civilite = "Mademoiselle"
    nom = factory.LazyAttribute(lambda o: o.family.nom)
    prenom = factory.Sequence(lambda n: f"Enfant{n}")
    date_naissance = datetime.date(2015, 6, 1)
    personne_a_prevenir = "Claire Famille"
    tel_urgence = "06 12 93 31 09"
    droit_image = True
    autorisation_sortie = False


# Courses ---------------------------------------------------------------------------------


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("site", "name")

    site = factory.SubFactory(SiteFactory)
    name = "Musique"


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    site = factory.SubFactory(SiteFactory)
    department = factory.SubFactory(DepartmentFactory, site=factory.SelfAttribute("..site"))
    name = factory.Sequence(lambda n: f"Cours {n}")


class TeacherFactory(factory.django.DjangoModelFactory):
    """A teacher with the login of the "Accès enseignant"."""

    class Meta:
        model = Teacher

    site = factory.SubFactory(SiteFactory)
    account = factory.SubFactory(
        UserFactory,
        site=factory.SelfAttribute("..site"),
        kind=User.Kind.TEACHER,
        username=factory.Sequence(lambda n: f"prof.{n}"),
    )
    nom = factory.Sequence(lambda n: f"PROF{n}")
    prenom = "Marie"


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"Salle {n}")


class SlotFactory(factory.django.DjangoModelFactory):
    """A weekly slot of the current school year; `site` puts course, teacher and room on it."""

    class Meta:
        model = Slot

    class Params:
        site = factory.SubFactory(SiteFactory)

    course = factory.SubFactory(CourseFactory, site=factory.SelfAttribute("..site"))
    teacher = factory.SubFactory(TeacherFactory, site=factory.SelfAttribute("..site"))
    room = factory.SubFactory(RoomFactory, site=factory.SelfAttribute("..site"))
    school_year = factory.SubFactory(SchoolYearFactory)
    weekday = Weekday.MERCREDI
    start_time = datetime.time(15, 0)
    duration = 30
    capacity = 10


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    student = factory.SubFactory(StudentFactory)
    slot = factory.SubFactory(SlotFactory, site=factory.SelfAttribute("..student.family.site"))
    cycle = "Cycle 1"


class EvaluationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evaluation

    enrolment = factory.SubFactory(EnrolmentFactory)
    type_evaluation = "Pratique individuelle"
    date = factory.LazyFunction(timezone.localdate)
    type_critere = "Contrôle continu"
    note = Decimal("4.50")
    note_sur = Decimal("5.00")
    appreciation = "Bon travail."


class AbsenceFactory(factory.django.DjangoModelFactory):
    """An absence the teacher recorded at a lesson of the enrolment's slot."""

    class Meta:
        model = Absence

    enrolment = factory.SubFactory(EnrolmentFactory)
    date = factory.LazyFunction(timezone.localdate)
    start_time = factory.LazyAttribute(lambda o: o.enrolment.lesson_time)
    end_date = factory.SelfAttribute("date")
    end_time = factory.LazyAttribute(lambda o: o.enrolment.lesson_end_time)
    recorded_by = factory.LazyAttribute(lambda o: o.enrolment.slot.teacher)


class RepertoireEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RepertoireEntry

    student = factory.SubFactory(StudentFactory)
    course = factory.SubFactory(CourseFactory, site=factory.SelfAttribute("..student.family.site"))
    school_year = factory.SubFactory(SchoolYearFactory)
    composer = factory.Sequence(lambda n: f"Compositeur {n}")
    title = factory.Sequence(lambda n: f"Morceau {n}")
    status = RepertoireEntry.Status.EN_COURS


# Re-enrollment ---------------------------------------------------------------------------

# The smallest PDF that pypdf reads back: one blank A4 page.
BLANK_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def next_school_year_start() -> datetime.date:
    """1 September of the school year after the current one: what a campaign enrolls for."""
    september = september_of_this_school_year()
    return september.replace(year=september.year + 1)


class CampaignFactory(factory.django.DjangoModelFactory):
    """A re-enrollment campaign for next school year, open since yesterday for a week."""

    class Meta:
        model = Campaign

    site = factory.SubFactory(SiteFactory)
    school_year = factory.SubFactory(
        SchoolYearFactory, start_date=factory.LazyFunction(next_school_year_start)
    )
    opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))


class DocumentTypeFactory(factory.django.DjangoModelFactory):
    """A required piece, once per family unless scope says per pupil."""

    class Meta:
        model = DocumentType

    campaign = factory.SubFactory(CampaignFactory)
    name = factory.Sequence(lambda n: f"Pièce {n}")
    scope = DocumentType.Scope.FAMILY
    rule = DocumentType.Rule.REQUIRED
    order = factory.Sequence(lambda n: n)


class DocumentFactory(factory.django.DjangoModelFactory):
    """A file a family gave: a family piece, or a pupil's when `student` is set."""

    class Meta:
        model = Document

    document_type = factory.SubFactory(DocumentTypeFactory)
    family = factory.SubFactory(
        FamilyFactory, site=factory.SelfAttribute("..document_type.campaign.site")
    )
    student = None
    file = factory.LazyFunction(lambda: ContentFile(BLANK_PDF, name=f"{uuid.uuid4().hex}.pdf"))
    display_name = "justificatif.pdf"
    size = len(BLANK_PDF)
    pages = 1


class ReenrollmentRequestFactory(factory.django.DjangoModelFactory):
    """A request sent by the pupil's family, rules accepted."""

    class Meta:
        model = ReenrollmentRequest

    campaign = factory.SubFactory(CampaignFactory)
    student = factory.SubFactory(
        StudentFactory, family__site=factory.SelfAttribute("...campaign.site")
    )
    family = factory.SelfAttribute("student.family")
    status = ReenrollmentRequest.Status.SENT
    rules_accepted_at = factory.LazyFunction(timezone.now)
    rules_accepted_text = factory.SelfAttribute("campaign.rules_text")
    submitted_at = factory.LazyFunction(timezone.now)


class ChoiceFactory(factory.django.DjangoModelFactory):
    """A line of a request holding a seat of a slot (set state for waiting, offered...)."""

    class Meta:
        model = Choice

    request = factory.SubFactory(ReenrollmentRequestFactory)
    slot = factory.SubFactory(SlotFactory, site=factory.SelfAttribute("..request.campaign.site"))
    course = factory.SelfAttribute("slot.course")
    state = Choice.State.HELD
    queued_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.state == Choice.State.WAITING else None
    )


# Billing ---------------------------------------------------------------------------------
# Models named by "app.Model" so that this section needs no import of its own.


class BillingSettingsFactory(factory.django.DjangoModelFactory):
    """A site's billing settings, with no PayZen account: the built-in test gateway."""

    class Meta:
        model = "billing.BillingSettings"
        django_get_or_create = ("site",)

    site = factory.SubFactory(SiteFactory)
    legal_name = "Communauté d'agglomération Grand Paris Sud"
    territory_postal_codes = "77550 77127"


class TariffGridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "billing.TariffGrid"

    site = factory.SubFactory(SiteFactory)
    school_year = factory.SubFactory(SchoolYearFactory)


class TariffLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "billing.TariffLine"

    grid = factory.SubFactory(TariffGridFactory)
    kind = "instrument_fm"
    residence = "inside"
    qf_min = 0
    amount = Decimal("150.00")


class FamilyBillingProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "billing.FamilyBillingProfile"

    family = factory.SubFactory(FamilyFactory)
    quotient_familial = 800
    residence = "inside"


class InvoiceFactory(factory.django.DjangoModelFactory):
    """An issued invoice of 300 €, payable online for 60 days (no lines unless given)."""

    class Meta:
        model = "billing.Invoice"

    family = factory.SubFactory(FamilyFactory)
    site = factory.SelfAttribute("family.site")
    school_year = factory.SubFactory(SchoolYearFactory)
    kind = "cotisation"
    number = factory.Sequence(lambda n: f"FACT-{n:06d}")
    label = "Premier appel de cotisation"
    issued_at = factory.LazyFunction(timezone.localdate)
    due_date = factory.LazyAttribute(lambda o: o.issued_at + datetime.timedelta(days=30))
    online_until = factory.LazyAttribute(lambda o: o.issued_at + datetime.timedelta(days=60))
    total = Decimal("300.00")
    billing_name = factory.LazyAttribute(lambda o: o.family.display_name)
    billing_address = "1 rue de la Mare l'Evêque\n77550 MOISSY CRAMAYEL"


class InvoiceLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "billing.InvoiceLine"

    invoice = factory.SubFactory(InvoiceFactory)
    label = "Instrument et formation musicale"
    amount = factory.SelfAttribute("invoice.total")


class PaymentFactory(factory.django.DjangoModelFactory):
    """A cheque of 100 € against an invoice."""

    class Meta:
        model = "billing.Payment"

    invoice = factory.SubFactory(InvoiceFactory)
    site = factory.SelfAttribute("invoice.site")
    family = factory.SelfAttribute("invoice.family")
    date = factory.LazyFunction(timezone.localdate)
    mode = "cheque"
    receipt_number = factory.Sequence(lambda n: f"RECU-{n:06d}")
    amount = Decimal("100.00")


class PreRegistrationFactory(factory.django.DjangoModelFactory):
    """A new family's request from the public form, not read yet."""

    class Meta:
        model = PreRegistration

    site = factory.SubFactory(SiteFactory)
    nom = "Nouvelle"
    prenom = "Famille"
    adresse = "1 rue du Port"
    code_postal = "77550"
    ville = "Moissy-Cramayel"
    mobile = "0600000000"
    email = "nouvelle@example.org"


class PreRegistrationDocumentFactory(factory.django.DjangoModelFactory):
    """A document sent with a pre-registration."""

    class Meta:
        model = PreRegistrationDocument

    pre_registration = factory.SubFactory(PreRegistrationFactory)
    name = "Justificatif de domicile"
    file = factory.LazyFunction(lambda: ContentFile(BLANK_PDF, name=f"{uuid.uuid4().hex}.pdf"))
    display_name = "domicile.pdf"
    size = len(BLANK_PDF)
    pages = 1
