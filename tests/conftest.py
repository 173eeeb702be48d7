"""Standing users of the suite (healthchecks' alice/bob/charlie):

- alice: a family of site Moissy-Cramayel, with one child;
- bob: another family of the same site, with one child;
- charlie: a secretariat member of another site (Boulogne-Billancourt).

Around them: moissy_staff (the secretariat of alice's site), a teacher of Moissy, a superuser,
and dora, a family of Boulogne-Billancourt whose identifiant is also "alice".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings

from extranet.models import SchoolYear, Site, User
from extranet.roles import STAFF_GROUP
from families.models import Family
from students.models import Student
from tests.factories import (
    FamilyFactory,
    SchoolYearFactory,
    SiteFactory,
    StudentFactory,
    UserFactory,
)

# django_assert_num_queries without the savepoints of ATOMIC_REQUESTS (tests/query_counts.py).
pytest_plugins = ["tests.query_counts"]


@pytest.fixture
def school_year(db: None) -> SchoolYear:
    return SchoolYearFactory()


@pytest.fixture
def moissy(db: None) -> Site:
    return SiteFactory(slug="moissy-cramayel", name="Moissy-Cramayel")


@pytest.fixture
def boulogne(db: None) -> Site:
    return SiteFactory(slug="boulogne-billancourt", name="Boulogne-Billancourt")


@pytest.fixture
def alice(moissy: Site, school_year: SchoolYear) -> Family:
    family = FamilyFactory(site=moissy, account__username="alice", nom="TEST", prenom="FAMILLE")
    StudentFactory(family=family, prenom="Gaëlle", nom="TEST")
    return family


@pytest.fixture
def bob(moissy: Site, school_year: SchoolYear) -> Family:
    family = FamilyFactory(site=moissy, account__username="bob", nom="MARTIN", prenom="Paul")
    StudentFactory(family=family, prenom="Léo", nom="MARTIN")
    return family


def make_staff(site: Site, username: str) -> User:
    user = UserFactory(site=site, username=username, kind=User.Kind.STAFF, is_staff=True)
    user.staff_sites.set([site])
    user.groups.set(Group.objects.filter(name=STAFF_GROUP))
    return user


@pytest.fixture
def charlie(boulogne: Site) -> User:
    return make_staff(boulogne, "charlie")


@pytest.fixture
def moissy_staff(moissy: Site) -> User:
    return make_staff(moissy, "secretariat.moissy")


@pytest.fixture
def alice_client(alice: Family) -> Client:
    client = Client()
    client.force_login(alice.account)
    return client


@pytest.fixture
def alice_student(alice: Family) -> Student:
    return alice.students.get()


@pytest.fixture
def bob_student(bob: Family) -> Student:
    return bob.students.get()


@pytest.fixture
def bob_client(bob: Family) -> Client:
    client = Client()
    client.force_login(bob.account)
    return client


def verify_second_factor(client: Client, user: User) -> None:
    """Mark the client's session as past the TOTP step, as extranet.views.otp_verify does."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture
def client_for(db: None) -> Callable[[User], Client]:
    """A new client logged in as this account (each one is a separate session); staff
    accounts are also past the second factor, as after a real login."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        if user.is_staff:
            verify_second_factor(client, user)
        return client

    return make


@pytest.fixture
def dora(boulogne: Site, school_year: SchoolYear) -> Family:
    """A family of Boulogne-Billancourt; its identifiant is "alice" too, as on another site."""
    family = FamilyFactory(
        site=boulogne,
        account__username="alice",
        nom="DUPONT",
        prenom="Dora",
        ville="BOULOGNE-BILLANCOURT",
        code_postal="92100",
    )
    StudentFactory(family=family, prenom="Douglas", nom="DUPONT")
    return family


@pytest.fixture
def teacher(moissy: Site) -> User:
    return UserFactory(site=moissy, username="prof.moissy", kind=User.Kind.TEACHER)


@pytest.fixture
def superuser(moissy: Site) -> User:
    return UserFactory(
        site=moissy, username="admin", kind=User.Kind.STAFF, is_staff=True, is_superuser=True
    )


@pytest.fixture
def private_media(settings: Settings, tmp_path: Path) -> Path:
    """Uploaded documents go to a folder of this test, private as in production (the live
    server of the browser tests shares the settings)."""
    location = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "base_url": None},
        },
    }
    return location
