"""`{% load i18n %}` gives extranet/templatetags/portal_i18n.py (extranet/settings.py): Django's
library, whose `{% translate %}` remembers its answers. The pages come out exactly as with
Django's own tags, in every language."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.template import Context, Engine, engines
from django.test import Client, override_settings
from django.utils import translation

from extranet.templatetags import portal_i18n, portal_urls
from families.models import Family
from students.models import Student
from tests.html import without_csrf
from tests.pages import FAMILY_PAGES, SHARED_PAGES

OURS = Engine(libraries={"i18n": "extranet.templatetags.portal_i18n"})
DJANGOS = Engine(libraries={"i18n": "django.templatetags.i18n"})

SNIPPETS = [
    '{% translate "Accueil" %}',
    "{% trans 'Famille' %}",
    '{% translate "Mot de passe" as label %}[{{ label }}]',
    '{% translate "Accueil" noop %}',
    '{% translate "Accueil" context "menu" %}',
    '{% translate "Accueil"|upper %}',
    "{% translate message %}",
    '{% translate "100%% des élèves" %}',
    '{% translate "<b>l’élève</b> & Cie" %}',
    "{% autoescape off %}{% translate message %}{% endautoescape %}",
    "{% blocktranslate with name=message %}Bonjour {{ name }}{% endblocktranslate %}",
    "{% get_current_language as code %}{{ code }}",
]


def draw(engine: Engine, source: str) -> str:
    return engine.from_string("{% load i18n %}" + source).render(
        Context({"message": "Famille <b>", "name": "x"})
    )


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    portal_i18n._answers.clear()
    yield
    portal_i18n._answers.clear()


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("source", SNIPPETS)
def test_it_draws_what_djangos_library_draws(language: str, source: str) -> None:
    with translation.override(language):
        first, again = draw(OURS, source), draw(OURS, source)
        assert first == again == draw(DJANGOS, source)


def test_a_message_is_translated_once_per_language() -> None:
    with translation.override("en"):
        assert draw(OURS, '{% translate "Famille" %}') == "Family"
    assert ("Famille", "en", True) in portal_i18n._answers
    with translation.override("fr"):
        assert draw(OURS, '{% translate "Famille" %}') == "Famille"
    with translation.override("en"):
        assert draw(OURS, '{% translate "Famille" %}') == "Family"
    assert len(portal_i18n._answers) == 2


def test_only_literal_messages_are_remembered() -> None:
    draw(OURS, '{% translate message %}{% translate "Accueil"|upper %}')
    draw(OURS, '{% translate "Accueil" context "menu" %}{% translate "Accueil" noop %}')
    assert portal_i18n._answers == {}


def test_changing_the_locale_paths_forgets_the_answers() -> None:
    with translation.override("en"):
        draw(OURS, '{% translate "Famille" %}')
    assert portal_i18n._answers
    with override_settings(LOCALE_PATHS=[]):
        assert portal_i18n._answers == {}


def djangos_own_tags() -> override_settings:
    """The project's templates with Django's `{% url %}` and `{% translate %}`."""
    templates: list[dict[str, Any]] = copy.deepcopy(settings.TEMPLATES)
    del templates[0]["OPTIONS"]["builtins"]
    del templates[0]["OPTIONS"]["libraries"]
    return override_settings(TEMPLATES=templates)


def test_the_project_draws_its_templates_with_both_caches(
    alice_client: Client, alice_student: Student
) -> None:
    portal_urls.cached_reverse.cache_clear()
    assert alice_client.get("/famille/accueil/").status_code == 200
    assert portal_urls.cached_reverse.cache_info().currsize > 5
    assert ("Accueil", "fr", True) in portal_i18n._answers
    with djangos_own_tags():
        engine = engines["django"].engine  # type: ignore[attr-defined]
        assert "extranet.templatetags.portal_urls" not in engine.builtins


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_family_page_is_the_same_as_with_djangos_tags(
    alice: Family, alice_client: Client, alice_student: Student, language: str
) -> None:
    alice_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    paths = [p.format(pk=alice_student.pk) for p in FAMILY_PAGES + SHARED_PAGES]
    paths += ["/famille/mes-donnees/", "/famille/emploi-du-temps/"]
    for path in paths:
        ours = alice_client.get(path)
        assert ours.status_code == 200, path
        with djangos_own_tags():
            theirs = alice_client.get(path)
        assert without_csrf(ours) == without_csrf(theirs), path
    assert ("Accueil", language, True) in portal_i18n._answers


def test_the_login_page_is_the_same_as_with_djangos_tags(db: None) -> None:
    client = Client()
    ours = client.post("/connexion/", {"username": "x", "password": ""})
    with djangos_own_tags():
        theirs = client.post("/connexion/", {"username": "x", "password": ""})
    assert ours.status_code == theirs.status_code == 200
    assert without_csrf(ours) == without_csrf(theirs)


def test_the_i18n_mapping_passes_the_checks_and_other_clashes_are_still_reported() -> None:
    assert not [e for e in run_checks(tags=["templates"]) if e.id == "templates.W003"]
    templates: list[dict[str, Any]] = copy.deepcopy(settings.TEMPLATES)
    templates[0]["OPTIONS"]["libraries"]["static"] = "extranet.templatetags.portal_urls"
    with override_settings(TEMPLATES=templates):
        clashes = [e for e in run_checks(tags=["templates"]) if e.id == "templates.W003"]
    assert [e.msg.split(" is used")[0] for e in clashes] == ["'static'"]
