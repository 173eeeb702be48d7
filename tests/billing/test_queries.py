"""The Facturation tab runs a fixed number of queries, however many invoices, payments and
children the family has (checked with a small and a large case)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from billing import services
from billing.models import BillingSettings, Invoice, TariffGrid
from courses.models import Course
from extranet.models import SchoolYear
from families.models import Family
from tests.billing.helpers import enrol
from tests.factories import (
    FamilyBillingProfileFactory,
    InvoiceFactory,
    PaymentFactory,
    StudentFactory,
)
from tests.html import attr, find, find_all, page


@pytest.mark.parametrize(("invoices", "children"), [(1, 1), (10, 1), (1, 5), (10, 5)])
def test_the_facturation_tab(
    alice_client: Client,
    alice: Family,
    school_year: SchoolYear,
    billing_settings: BillingSettings,
    django_assert_num_queries,
    invoices: int,
    children: int,
) -> None:
    StudentFactory.create_batch(children - 1, family=alice)
    for _ in range(invoices):
        invoice = InvoiceFactory(family=alice, school_year=school_year)
        PaymentFactory(invoice=invoice, amount=Decimal("100.00"))

    # 1 session, 2 user with its site, 3 the family, 4 the school years, 5 the current school
    # year, 6 the year's invoices, 7 their payments, 8 the site's billing settings
    with django_assert_num_queries(8):
        response = alice_client.get("/facturation/")

    assert len(find_all(find(page(response), "tbody"), "tr")) == 2 * invoices
    assert len(find_all(page(response), "h3")) == invoices


@pytest.mark.parametrize("notes", [1, 5])
def test_the_facturation_tab_with_credit_notes(
    alice_client: Client,
    alice_invoice: Invoice,
    django_assert_num_queries,
    notes: int,
) -> None:
    for _ in range(notes):
        services.credit_note_issue(invoice=alice_invoice, amount=Decimal("10"), reason="Erreur")

    # 1 session, 2 user with its site, 3 the family, 4 the school years, 5 the current school
    # year, 6 the year's invoices and credit notes, 7 their payments, 8 billing settings
    with django_assert_num_queries(8):
        response = alice_client.get("/facturation/")

    assert len(find_all(find(page(response), "tbody"), "tr")) == 1 + notes


@pytest.mark.parametrize("children", [1, 5])
def test_the_simulator_filled_in_for_a_family(
    alice_client: Client,
    alice: Family,
    grid: TariffGrid,
    school_year: SchoolYear,
    piano: Course,
    fm: Course,
    django_assert_num_queries,
    children: int,
) -> None:
    FamilyBillingProfileFactory(family=alice)
    StudentFactory.create_batch(children - 1, family=alice)
    for student in alice.students.all():
        enrol(student, piano, school_year)
        enrol(student, fm, school_year)

    # 1 session, 2 user with its site, 3 the family, 4 its billing profile, 5 the site's billing
    # settings, 6 the current school year, 7 the children's enrolments with course, department
    # and tariff, 8 the children, 9 the sites of the form's drop-down
    with django_assert_num_queries(9):
        response = alice_client.get("/facturation/simulateur/")

    boxes = find_all(page(response), "input", type="checkbox")
    assert len([box for box in boxes if attr(box, "checked") is not None]) == children
