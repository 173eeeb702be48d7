"""Billing around the standing users.

Moissy has no PayZen account (its families pay through the built-in test gateway) and a tariff
grid for this school year (tests.billing.helpers.grid_for). alice owes 300 € on her invoice
for this year; bob has no invoice yet.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from billing.models import BillingSettings, Invoice, TariffGrid
from courses.models import Course, Department
from extranet.models import SchoolYear, Site, User
from families.models import Family
from tests.billing.helpers import grid_for
from tests.factories import (
    BillingSettingsFactory,
    CourseFactory,
    DepartmentFactory,
    InvoiceFactory,
    InvoiceLineFactory,
)


@pytest.fixture
def postgresql(transactional_db: None) -> None:
    """Committed data that other connections see, on PostgreSQL only."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks (SELECT ... FOR UPDATE)")


@pytest.fixture
def billing_settings(moissy: Site) -> BillingSettings:
    return BillingSettingsFactory(site=moissy)


@pytest.fixture
def grid(moissy: Site, school_year: SchoolYear) -> TariffGrid:
    return grid_for(moissy, school_year)


@pytest.fixture
def music(moissy: Site) -> Department:
    return DepartmentFactory(site=moissy, name="Musique")


@pytest.fixture
def piano(moissy: Site, music: Department) -> Course:
    return CourseFactory(site=moissy, department=music, name="Piano")


@pytest.fixture
def violin(moissy: Site, music: Department) -> Course:
    return CourseFactory(site=moissy, department=music, name="Violon")


@pytest.fixture
def fm(moissy: Site, music: Department) -> Course:
    """Formation musicale: a collective music course."""
    return CourseFactory(site=moissy, department=music, name="FM 1.3", collective=True)


@pytest.fixture
def orchestra(moissy: Site, music: Department) -> Course:
    return CourseFactory(site=moissy, department=music, name="Orchestre", collective=True)


@pytest.fixture
def dance(moissy: Site) -> Course:
    return CourseFactory(
        site=moissy, department=DepartmentFactory(site=moissy, name="Danse"), name="Jazz"
    )


@pytest.fixture
def theatre(moissy: Site) -> Course:
    return CourseFactory(
        site=moissy, department=DepartmentFactory(site=moissy, name="Théâtre"), name="Impro"
    )


@pytest.fixture
def alice_invoice(
    alice: Family, school_year: SchoolYear, billing_settings: BillingSettings
) -> Invoice:
    invoice = InvoiceFactory(family=alice, school_year=school_year, total=Decimal("300.00"))
    InvoiceLineFactory(invoice=invoice, student=alice.students.get(), amount=Decimal("300.00"))
    return invoice


@pytest.fixture
def staff_client(client_for: Callable[[User], Client], moissy_staff: User) -> Client:
    return client_for(moissy_staff)


@pytest.fixture
def charlie_client(client_for: Callable[[User], Client], charlie: User) -> Client:
    return client_for(charlie)
