"""The portal's `{% url %}` (extranet/templatetags/portal_urls.py, a builtin of every template)
writes what Django's tag writes, and remembers each answer under everything the answer
depends on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.template import Context, Engine
from django.test import RequestFactory, override_settings
from django.urls import NoReverseMatch, clear_script_prefix, set_script_prefix
from django.utils import translation

from extranet.templatetags.portal_urls import cached_reverse

ENGINE = Engine(libraries={"portal_urls": "extranet.templatetags.portal_urls"})

TEMPLATE = (
    "{% url 'families:home' %}|{% url 'students:identity' pk %}|"
    "{% url 'students:identity' pk=pk %}|{% url name %}|{% url 'extranet:legal' as legal %}{{ legal }}"
)


def draw(source: str, *, portal: bool, **context: object) -> str:
    loads = "{% load portal_urls %}" if portal else ""
    return ENGINE.from_string(loads + source).render(Context(context))


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    cached_reverse.cache_clear()
    yield
    cached_reverse.cache_clear()
    clear_script_prefix()


def test_it_writes_what_djangos_tag_writes() -> None:
    context = {"pk": 7, "name": "billing:index"}
    ours = draw(TEMPLATE, portal=True, **context)
    assert ours == draw(TEMPLATE, portal=False, **context)
    assert (
        ours
        == "/famille/accueil/|/eleves/7/identite/|/eleves/7/identite/|/facturation/|/mentions-legales/"
    )


def test_a_second_drawing_is_answered_from_the_cache() -> None:
    draw("{% url 'students:identity' 7 %}", portal=True)
    draw("{% url 'students:identity' 7 %}", portal=True)
    draw("{% url 'students:identity' 8 %}", portal=True)
    info = cached_reverse.cache_info()
    assert (info.hits, info.misses) == (1, 2)


def test_the_script_prefix_is_part_of_the_key() -> None:
    assert draw("{% url 'families:home' %}", portal=True) == "/famille/accueil/"
    set_script_prefix("/portail/")
    assert draw("{% url 'families:home' %}", portal=True) == "/portail/famille/accueil/"


def test_the_language_is_part_of_the_key() -> None:
    with translation.override("fr"):
        draw("{% url 'families:home' %}", portal=True)
    with translation.override("en"):
        draw("{% url 'families:home' %}", portal=True)
    assert cached_reverse.cache_info().misses == 2


@override_settings(ROOT_URLCONF="tests.extranet.other_urls")
def test_another_url_configuration_empties_the_cache() -> None:
    assert draw("{% url 'only' %}", portal=True) == "/ailleurs/"


def test_changing_the_url_configuration_forgets_the_answers() -> None:
    draw("{% url 'families:home' %}", portal=True)
    with override_settings(ROOT_URLCONF="tests.extranet.other_urls"):
        assert cached_reverse.cache_info().currsize == 0
        with pytest.raises(NoReverseMatch):
            draw("{% url 'families:home' %}", portal=True)


def test_an_unknown_name_fails_as_with_djangos_tag() -> None:
    with pytest.raises(NoReverseMatch):
        draw("{% url 'families:nowhere' %}", portal=True)
    assert draw("{% url 'families:nowhere' as x %}[{{ x }}]", portal=True) == "[]"


def test_an_argument_that_cannot_be_a_key_is_reversed_without_the_cache() -> None:
    class Unhashable(int):
        __hash__ = None  # type: ignore[assignment]

    assert draw("{% url 'students:identity' pk %}", portal=True, pk=Unhashable(3)) == (
        "/eleves/3/identite/"
    )
    assert cached_reverse.cache_info().currsize == 0


def test_the_output_is_escaped_like_djangos() -> None:
    request = RequestFactory().get("/")
    source = "{% url 'reenrollment:offer' token %}"
    ours = draw(source, portal=True, request=request, token="a&b")
    assert ours == draw(source, portal=False, request=request, token="a&b")
    assert ours == "/reinscription/offre/a&amp;b/"
    unescaped = "{% autoescape off %}" + source + "{% endautoescape %}"
    assert draw(unescaped, portal=True, token="a&b") == "/reinscription/offre/a&b/"
