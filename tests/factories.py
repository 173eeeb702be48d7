"""factory_boy factories for the portal's models."""

from __future__ import annotations

import datetime
from functools import lru_cache

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from extranet.models import SchoolYear, Site, User
from families.models import Family
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


def current_school_year_start() -> datetime.date:
    """1 September of the school year under way, so that SchoolYear.current() finds it."""
    today = timezone.localdate()
    return datetime.date(today.year if today.month >= 9 else today.year - 1, 9, 1)


class SchoolYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolYear
        django_get_or_create = ("label",)

    start_date = factory.LazyFunction(current_school_year_start)
    end_date = factory.LazyAttribute(lambda o: datetime.date(o.start_date.year + 1, 8, 31))
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
