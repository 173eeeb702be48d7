"""The suite's data: one row of every scoped model on each site, and each test's changes undone
before the next test of the module (conftest.py shares the data between them)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import models
from django.test import Client

from extranet.models import User
from families.models import Family
from tests.security.admin_models import label, rows_of_site, scoped_models
from tests.security.world import World

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", scoped_models(), ids=label)
def test_each_site_has_rows_of_every_scoped_model(world: World, model: type[models.Model]) -> None:
    for site in (world.moissy.site, world.boulogne.site):
        assert rows_of_site(model, site).exists(), site


def test_a_test_may_change_the_data(login: Callable[[User], Client], world: World) -> None:
    Family.objects.filter(pk=world.bob.family.pk).update(nom="CHANGÉ")
    login(world.alice.account).post(
        f"/eleves/{world.alice.student.pk}/documents/{world.alice.family_document.pk}/supprimer/"
    )

    assert Family.objects.get(pk=world.bob.family.pk).nom == "CHANGÉ"
    assert not world.alice.family.documents.filter(pk=world.alice.family_document.pk).exists()


def test_the_next_test_finds_the_data_as_it_was(world: World) -> None:
    assert Family.objects.get(pk=world.bob.family.pk).nom == "NOM-BOB"
    assert world.alice.family.documents.filter(pk=world.alice.family_document.pk).exists()
