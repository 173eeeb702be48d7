"""The security suite's data (tests/security/world.py), built once per test module.

Building it takes a few hundred queries, and the suite runs hundreds of short tests against it:
it is written once per module inside a transaction that is rolled back after the module. Each
test runs in its own savepoint inside it (pytest-django's django_db), so whatever a test
changes is undone before the next one. Tests read the database again rather than trust the
World's Python objects, which are shared by the whole module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.test.utils import override_settings
from pytest_django import DjangoDbBlocker

from extranet.models import User
from tests.security.world import World, build_world


@pytest.fixture(scope="module")
def world(
    django_db_setup: None,
    django_db_blocker: DjangoDbBlocker,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[World]:
    # Documents live in a private folder of the module's own, as in production.
    media = tmp_path_factory.mktemp("media")
    private = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(media), "base_url": None},
    }
    with override_settings(STORAGES={**settings.STORAGES, "default": private}):
        with django_db_blocker.unblock():
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                built = build_world()
            except BaseException:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
                raise
        try:
            yield built
        finally:
            with django_db_blocker.unblock():
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)


@pytest.fixture
def login(client_for: Callable[[User], Client]) -> Callable[[User], Client]:
    """A client logged in as this account; staff have passed the second factor."""
    return client_for
