"""Every page a family account can open runs a fixed number of queries, at most 8 (issue 6).

Each page is opened for a small family (1 child, 1 course, 1 invoice...) and for a big one
(4 children, 3 courses each, many evaluations, absences, documents, invoices...): it must run
exactly the number of queries written next to it in both cases, and show the big family's rows,
so that a page loading a row per child, course or invoice (N+1) fails here. The count includes
the session and the account (with its site); it leaves out the statements of the request's
transaction (ATOMIC_REQUESTS), as tests/query_counts.py does for every count of the suite.

The last test walks the URL conf, so that a new page cannot escape: every route is listed here,
as a family page or as something else, with the reason.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from pytest_django.fixtures import Settings

from billing import services as billing_services
from billing.models import Instalment
from courses.models import CalendarFeed, Cursus, Enrolment, Weekday
from extranet.models import SchoolYear, Site
from families.models import Family
from reenrollment.models import Choice, DocumentType
from students.models import NiveauScolaire, SchoolLevel
from tests.courses.helpers import rows, table_with
from tests.factories import (
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
    InvoiceFactory,
    InvoiceLineFactory,
    PaymentFactory,
    ReenrollmentRequestFactory,
    RepertoireEntryFactory,
    SchoolYearFactory,
    SlotFactory,
    StudentFactory,
)
from tests.html import find, find_all, page
from tests.query_counts import counted

MAX_QUERIES = 8
# Not a page: the family's whole record as a ZIP file (families.privacy), one query per kind
# of data it holds. Its count must still not depend on the family's size.
UNCAPPED = {"families:my_data_archive"}


@dataclass(frozen=True)
class Size:
    """How much a family has."""

    name: str
    children: int
    courses: int  # this year's, per child
    past_courses: int  # earlier years', per child
    marks: int  # evaluations per course
    absences: int  # per course of this year
    pieces: int  # répertoire entries per child, this year
    documents: int  # re-enrollment pieces of each scope (family, pupil), all given
    invoices: int
    payments: int  # per invoice
    credit_notes: int


SMALL = Size("small", 1, 1, 1, 1, 1, 1, 1, 1, 1, 0)
BIG = Size("big", 4, 3, 3, 8, 4, 5, 3, 6, 3, 2)


@dataclass(frozen=True)
class Ids:
    """The rows the addresses of the pages name: the first child's, the first invoice's."""

    student: int
    enrolment: int
    past_enrolment: int
    document: int
    invoice: int
    payment: int
    order: str
    offer: str
    feed: str


@pytest.fixture(autouse=True)
def private_media(settings: Settings, tmp_path: Path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": None},
        },
    }


def build(family: Family, size: Size, school_year: SchoolYear) -> Ids:
    """Give the family `size` of everything a family page shows."""
    site: Site = family.site
    start = school_year.start_date
    last_year = SchoolYearFactory(start_date=start.replace(year=start.year - 1))
    next_year = SchoolYearFactory(start_date=start.replace(year=start.year + 1))
    music = DepartmentFactory(site=site, name="Musique")
    cursus = Cursus.objects.create(site=site, department=music, name="Cursus instrumental")
    StudentFactory.create_batch(size.children - 1, family=family)
    students = list(family.students.order_by("pk"))
    campaign = CampaignFactory(site=site, school_year=next_year, rules_text="Règlement.")
    # The pieces whose rules need facts about the family (children under 20, dance) too.
    rules = [DocumentType.Rule.TWO_CHILDREN, DocumentType.Rule.DANCE, DocumentType.Rule.REQUIRED]
    types = [
        DocumentTypeFactory(campaign=campaign, scope=scope, rule=rules[n % len(rules)])
        for scope in (DocumentType.Scope.FAMILY, DocumentType.Scope.STUDENT)
        for n in range(size.documents)
    ]
    current: list[Enrolment] = []
    for student in students:
        SchoolLevel.objects.create(
            student=student, school_year=school_year, niveau=NiveauScolaire.CM1
        )
        CalendarFeed.objects.create(student=student)
        for n in range(size.courses):
            course = CourseFactory(
                site=site, department=music, cursus=cursus, name=f"Cours {n:02d}"
            )
            enrolment = EnrolmentFactory(
                student=student,
                slot__site=site,
                slot__course=course,
                slot__school_year=school_year,
                slot__weekday=Weekday.values[n % 6],
            )
            current.append(enrolment)
            EvaluationFactory.create_batch(size.marks, enrolment=enrolment)
            for day in enrolment.slot.lesson_dates()[: size.absences]:
                AbsenceFactory(enrolment=enrolment, date=day)
            # Next year's slot of the course, for the Réinscription tab.
            SlotFactory(site=site, course=course, school_year=next_year, capacity=2)
        for _ in range(size.past_courses):
            past = EnrolmentFactory(
                student=student,
                slot__site=site,
                slot__course__department=music,
                slot__school_year=last_year,
            )
            EvaluationFactory.create_batch(size.marks, enrolment=past)
        RepertoireEntryFactory.create_batch(
            size.pieces, student=student, course=current[-1].slot.course, school_year=school_year
        )
        for document_type in types:
            if document_type.scope == DocumentType.Scope.STUDENT:
                DocumentFactory(document_type=document_type, family=family, student=student)
            elif student == students[0]:
                DocumentFactory(document_type=document_type, family=family)
    # The first child's re-enrollment: a seat held, a place on a waiting list (big family),
    # and a seat offered from the waiting list (its last course).
    first = students[0]
    request = ReenrollmentRequestFactory(campaign=campaign, student=first, family=family)
    mine = [e for e in current if e.student_id == first.pk]
    for n, enrolment in enumerate(mine):
        state = Choice.State.HELD
        if n == len(mine) - 1:
            state = Choice.State.OFFERED
        elif n == 1:
            state = Choice.State.WAITING
        ChoiceFactory(
            request=request,
            enrolment=enrolment,
            slot=enrolment.slot.course.slots.get(school_year=next_year),
            state=state,
            offer_token=f"offre-{n}" if state == Choice.State.OFFERED else "",
            offer_expires_at=timezone.now() + datetime.timedelta(days=1),
        )
    # Billing: this year's invoices, each with a line per child, 3 instalments, payments.
    BillingSettingsFactory(site=site)
    FamilyBillingProfileFactory(family=family)
    invoices = []
    for i in range(size.invoices):
        invoice = InvoiceFactory(family=family, school_year=school_year, total=Decimal("900.00"))
        for student in students:
            InvoiceLineFactory(invoice=invoice, student=student, amount=Decimal("100.00"))
        for month in range(3):
            Instalment.objects.create(
                invoice=invoice,
                due_date=invoice.issued_at + datetime.timedelta(days=30 * month),
                amount=Decimal("300.00"),
            )
        for p in range(size.payments):
            PaymentFactory(invoice=invoice, amount=Decimal("10.00"), receipt_number=f"RC{i}-{p}")
        invoices.append(invoice)
    for invoice in invoices[: size.credit_notes]:
        billing_services.credit_note_issue(invoice=invoice, amount=Decimal("10"), reason="Erreur")
    online = billing_services.transaction_create(invoice=invoices[0], family=family)
    return Ids(
        student=first.pk,
        enrolment=mine[0].pk,
        past_enrolment=Enrolment.objects.filter(student=first, slot__school_year=last_year)
        .order_by("pk")[0]
        .pk,
        document=first.documents.order_by("pk")[0].pk,  # type: ignore[attr-defined]
        invoice=invoices[0].pk,
        payment=invoices[0].payments.order_by("pk")[0].pk,  # type: ignore[attr-defined]
        order=online.order_id,
        offer=f"offre-{len(mine) - 1}",
        feed=first.calendar_feed.token,  # type: ignore[attr-defined]
    )


# What the pages show of the family's size: f(response) == expected(size).
def table_rows(header: str) -> Callable[[HttpResponse], int]:
    return lambda response: len(rows(table_with(response, header)))


def count(text: str) -> Callable[[HttpResponse], int]:
    return lambda response: response.content.decode().count(text)


def children_in_selector(response: HttpResponse) -> int:
    return len(find_all(find(page(response), "select", id="eleve"), "option"))


def ledger_rows(response: HttpResponse) -> int:
    return len(find_all(find(page(response), "tbody"), "tr"))


@dataclass(frozen=True)
class Page:
    path: str
    queries: int
    status: int = 200
    shows: Callable[[HttpResponse], int] | None = None
    expected: Callable[[Size], int] | None = None


# Every page a family can open, with the queries it runs whatever the family's size. Each list
# starts with 1. the session, 2. the account with its site.
PAGES: dict[str, Page] = {
    # 3. the sites
    "extranet:landing": Page("/", 3),
    "extranet:login": Page("/connexion/", 3),
    "extranet:home": Page("/accueil/", 2, status=302),
    "extranet:password_lost": Page("/mot-de-passe-perdu/", 2),
    "extranet:password_lost_sent": Page("/mot-de-passe-perdu/envoye/", 2),
    "extranet:password_reset_complete": Page("/mot-de-passe/nouveau/termine/", 2),
    "extranet:password_change": Page("/mot-de-passe/", 2),
    # 3. the sites (accessibility contact of each)
    "extranet:accessibility": Page("/accessibilite/", 3),
    # 3. the sites
    "extranet:legal": Page("/mentions-legales/", 3),
    # 3. the family, 4. its children
    "families:home": Page(
        "/famille/accueil/",
        4,
        shows=count('/identite/"'),
        expected=lambda size: size.children,
    ),
    # 3. the family
    "families:family": Page("/famille/", 3),
    # 3. the family
    "families:my_data": Page("/famille/mes-donnees/", 3),
    # 3. the family, then each kind of data once
    "families:my_data_archive": Page("/famille/mes-donnees/archive/", 19),
    # 3. the children, 4. the current school year, 5. their enrolments with course, teacher,
    # room
    "courses:timetable": Page(
        "/famille/emploi-du-temps/",
        5,
        shows=count("<tr><td"),
        expected=lambda size: size.children * size.courses,
    ),
    # 3. the children
    "students:index": Page("/eleves/", 3, status=302),
    # 3. the children, 4. the current school year, 5. the child's school level
    "students:identity": Page(
        "/eleves/{student}/identite/",
        5,
        shows=children_in_selector,
        expected=lambda size: size.children,
    ),
    # 3. the children, 4. the current school year, 5. the child's enrolments with course,
    # department, teacher, room and year, 6. the calendar feed
    "courses:courses": Page(
        "/eleves/{student}/cours/",
        6,
        shows=table_rows("Ha"),
        expected=lambda size: size.courses,
    ),
    # 3. the children, 4. the enrolment with course, department, teacher, room and year,
    # 5. the current school year, 6. evaluations, 7. absences
    "courses:follow_up": Page(
        "/eleves/{student}/cours/{enrolment}/",
        7,
        shows=lambda r: table_rows("Type d'évaluation")(r) + table_rows("Caractéristique")(r),
        expected=lambda size: size.marks + size.absences,
    ),
    # 3. the children, 4. the current school year, 5. earlier enrolments with course,
    # department, teacher, room and year
    "courses:history": Page(
        "/eleves/{student}/historique/",
        5,
        shows=table_rows("Classe"),
        expected=lambda size: size.past_courses,
    ),
    # As the follow-up of this year.
    "courses:history_follow_up": Page(
        "/eleves/{student}/historique/{past_enrolment}/",
        7,
        shows=table_rows("Type d'évaluation"),
        expected=lambda size: size.marks,
    ),
    # 3. the children, 4. the répertoire with course and year
    "courses:repertoire": Page(
        "/eleves/{student}/repertoire/",
        4,
        shows=table_rows("Compositeur"),
        expected=lambda size: size.pieces,
    ),
    # 3. the feed with pupil, family and account, 4. the current school year, 5. the
    # enrolments with course, teacher, room (the calendar app has no session: 1 and 2 are the
    # browser's here)
    "courses:calendar_feed": Page(
        "/calendrier/{feed}.ics",
        5,
        shows=count("BEGIN:VEVENT"),
        expected=lambda size: size.courses,
    ),
    # 3. the children, 4. the site's campaigns with school year and the child's request,
    # 5. its choices with slot, teacher, course and place on the waiting list, 6. this year's
    # enrolments with course, department and cursus, 7. next year's slots of those courses
    # with teacher and seats taken, 8. the campaign's pieces with the files given
    "reenrollment:tab": Page(
        "/eleves/{student}/reinscription/",
        8,
        shows=lambda r: table_rows("Cours disponible")(r) + count(">Télécharger<")(r),
        expected=lambda size: size.courses + 2 * size.documents,
    ),
    # 3. the children, 4. the documents of the family and the child, with piece, campaign
    # and year
    "reenrollment:documents": Page(
        "/eleves/{student}/documents/",
        4,
        shows=count(">Télécharger<"),
        expected=lambda size: 2 * size.documents,
    ),
    # 3. the children, 4. the document
    "reenrollment:document": Page("/eleves/{student}/documents/{document}/", 4),
    # 3. the choice with slot, teacher, room, course, pupil and family
    "reenrollment:offer": Page("/reinscription/offre/{offer}/", 3),
    # 3. the sites
    "reenrollment:pre_registration": Page("/pre-inscription/", 3),
    "reenrollment:pre_registration_sent": Page("/pre-inscription/envoyee/", 2),
    # 3. the family, 4. the school years, 5. the year's invoices and credit notes, 6. their
    # payments, 7. the site's billing settings
    "billing:index": Page(
        "/facturation/",
        7,
        shows=ledger_rows,
        expected=lambda size: size.invoices * (1 + size.payments) + size.credit_notes,
    ),
    # 3. the invoice with site, billing settings, year, family, 4. its lines, 5. instalments,
    # 6. payments, 7. its credit notes' total, 8. its payments' total
    "billing:invoice_pdf": Page("/facturation/factures/{invoice}/pdf/", 8),
    # 3. the payment with invoice, site, billing settings, family, 4. the invoice's credit
    # notes' total, 5. its payments' total
    "billing:receipt_pdf": Page("/facturation/recus/{payment}/pdf/", 5),
    # 3. the transaction with its invoice
    "billing:payment_return": Page("/facturation/paiement/retour/{order}/", 3),
    # 3. the family with its billing profile, 4. the site's billing settings, 5. the current
    # school year, 6. the children's enrolments with course, department, tariff, 7. the
    # children, 8. the sites
    "billing:simulator": Page(
        "/facturation/simulateur/",
        8,
        shows=count("<legend>"),
        expected=lambda size: size.children,
    ),
}

# Every other route, and why it is not a family page.
NOT_FAMILY_PAGES = {
    "extranet:logout": "POST only",
    "extranet:text_size": "POST only",
    "set_language": "POST only",
    "courses:calendar_renew": "POST only",
    "reenrollment:upload": "POST only",
    "reenrollment:delete": "POST only",
    "billing:pay": "POST only",
    "billing:ipn": "PayZen's server-to-server notification, POST only",
    "billing:test_gateway": "the built-in payment gateway, POST only",
    "extranet:password_reset_confirm": "a single-use link sent by email, to a logged-out person",
    "extranet:otp_verify": "the staff's second factor",
    "extranet:otp_setup": "the staff's second factor",
    "extranet:health": "a probe of the load balancer",
    "extranet:ready": "a probe of the load balancer",
    "courses:teacher_week": "teachers only",
    "courses:slot_roll": "teachers only",
    "courses:slot_evaluations": "teachers only",
    "courses:teacher_pupil": "teachers only",
    "admin/login/": "staff only (redirects to the login)",
    "admin:*": "staff only",
}


@pytest.mark.parametrize("size", [SMALL, BIG], ids=lambda size: size.name)
def test_every_family_page_runs_the_same_few_queries_whatever_the_family_size(
    size: Size, alice: Family, alice_client: Client, school_year: SchoolYear
) -> None:
    ids = build(alice, size, school_year)
    wrong = []
    for name, expected in PAGES.items():
        with CaptureQueriesContext(connection) as context:
            response = alice_client.get(expected.path.format(**asdict(ids)))
        if response.streaming:  # A file (document, ZIP): read to the end, which closes it.
            b"".join(response.streaming_content)  # type: ignore[attr-defined]
        queries = counted(context)
        if response.status_code != expected.status:
            wrong.append(f"{name}: status {response.status_code}")
        elif len(queries) != expected.queries:
            listed = "\n".join(f"    {sql[:160]}" for sql in queries)
            wrong.append(f"{name}: {len(queries)} queries, not {expected.queries}:\n{listed}")
        elif expected.shows and expected.expected:
            shown, wanted = expected.shows(response), expected.expected(size)
            if shown != wanted:
                wrong.append(f"{name}: shows {shown} rows, not {wanted}")
    assert not wrong, "\n".join(wrong)


def test_no_family_page_runs_more_than_8_queries() -> None:
    assert {
        name: p.queries
        for name, p in PAGES.items()
        if p.queries > MAX_QUERIES and name not in UNCAPPED
    } == {}


def routes(patterns: list[URLPattern | URLResolver], namespace: str = "") -> Iterator[str]:
    """Every route of the URL conf, by its namespaced name, or its path when it has none."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if inner == "admin:":
                yield "admin:*"
                continue
            yield from routes(pattern.url_patterns, inner)
        elif pattern.name:
            yield f"{namespace}{pattern.name}"
        else:
            yield str(pattern.pattern)


def test_every_route_is_listed_as_a_family_page_or_not() -> None:
    listed = set(PAGES) | set(NOT_FAMILY_PAGES)
    found = set(routes(get_resolver().url_patterns))
    assert found - listed == set(), "add these routes to PAGES or NOT_FAMILY_PAGES"
    assert listed - found == set(), "these routes are gone"
