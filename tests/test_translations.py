"""The English translation: a complete, compiled catalogue, and pages that switch to it.

French is the source language; every visible string goes through gettext, and
locale/en/LC_MESSAGES/django.po holds its English. The .mo next to it is committed, so these
tests also check that it was compiled from the current .po.
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import translation

from courses.models import Teacher
from extranet.models import SchoolYear, User
from families.models import Family
from tests.factories import SlotFactory, TeacherFactory

BASE_DIR = Path(settings.BASE_DIR)
LOCALE_DIR = BASE_DIR / "locale" / "en" / "LC_MESSAGES"
PO_FILE = LOCALE_DIR / "django.po"
MO_FILE = LOCALE_DIR / "django.mo"
# What `make messages` leaves out of the catalogue (besides hidden folders).
NOT_EXTRACTED = {".venv", "tests", "bench", "staticfiles", "var", "locale", "node_modules"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdfi]")


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file (header and obsolete #~ entries excluded), without polib."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal entry, target
        if entry.line:
            entries.append(entry)
        entry, target = Entry(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert target is not None, f"{path}:{number}: string outside an entry"
            keyword, index = target
            value: str = ast.literal_eval(line)
            if keyword == "msgstr":
                entry.msgstr[index] += value
            else:
                setattr(entry, keyword, (getattr(entry, keyword) or "") + value)
        else:
            keyword, _, rest = line.partition(" ")
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            value = ast.literal_eval(rest)
            if match or keyword == "msgstr":
                index = int(match.group(1)) if match else 0
                entry.msgstr[index] = value
                target = ("msgstr", index)
            elif keyword in {"msgid", "msgctxt", "msgid_plural"}:
                if keyword in {"msgid", "msgctxt"} and (entry.msgstr or entry.msgid):
                    finish()  # A new entry without a blank line before it.
                setattr(entry, keyword, value)
                target = (keyword, 0)
                entry.line = entry.line or number
            else:
                raise AssertionError(f"{path}:{number}: unexpected line {raw!r}")
    finish()
    return [e for e in entries if e.msgid or e.msgctxt is not None]


@pytest.fixture(autouse=True)
def restore_language() -> Iterator[None]:
    """LocaleMiddleware leaves the request's language active: give the next test French back."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="module")
def catalogue() -> list[Entry]:
    return parse_po(PO_FILE)


def test_the_english_catalogue_has_a_translation_for_every_string(catalogue: list[Entry]) -> None:
    assert len(catalogue) > 100
    empty = [e.msgid for e in catalogue if not all(e.msgstr.values()) or not e.msgstr]
    assert empty == [], "untranslated strings in django.po"
    plurals = [e.msgid for e in catalogue if e.msgid_plural and sorted(e.msgstr) != [0, 1]]
    assert plurals == [], "plural entries need msgstr[0] and msgstr[1]"


def test_no_translation_is_left_fuzzy(catalogue: list[Entry]) -> None:
    header_flags = PO_FILE.read_text(encoding="utf-8").split("\nmsgid ", 1)[0]
    assert "fuzzy" not in header_flags
    assert [e.msgid for e in catalogue if "fuzzy" in e.flags] == []


def test_translations_keep_the_placeholders_of_the_french(catalogue: list[Entry]) -> None:
    wrong = []
    for entry in catalogue:
        expected = set(PLACEHOLDER.findall(entry.msgid + (entry.msgid_plural or "")))
        for text in entry.msgstr.values():
            if set(PLACEHOLDER.findall(text)) != expected:
                wrong.append((entry.msgid, text))
    assert wrong == []


def test_the_compiled_catalogue_matches_the_po_file(catalogue: list[Entry]) -> None:
    with MO_FILE.open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = []
    for entry in catalogue:
        if entry.msgid_plural is not None:
            got = [compiled.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2)]
            want = [entry.msgstr[0], entry.msgstr[1]]
        elif entry.msgctxt is not None:
            got, want = [compiled.pgettext(entry.msgctxt, entry.msgid)], [entry.msgstr[0]]
        else:
            got, want = [compiled.gettext(entry.msgid)], [entry.msgstr[0]]
        if got != want:
            stale.append(entry.msgid)
    assert stale == [], "django.mo is out of date: run `make messages`"


def test_the_catalogue_holds_every_string_of_the_code_and_templates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("xgettext") is None:
        pytest.skip("gettext is not installed")
    # makemessages writes next to the sources: extract from a copy, into a scratch locale/.
    source = tmp_path / "src"
    source.mkdir()
    for item in BASE_DIR.iterdir():
        if item.is_dir() and item.name not in NOT_EXTRACTED and not item.name.startswith("."):
            shutil.copytree(item, source / item.name, ignore=shutil.ignore_patterns("__pycache__"))
    (source / "locale").mkdir()
    monkeypatch.chdir(source)
    with override_settings(LOCALE_PATHS=[source / "locale"]):
        call_command("makemessages", locale=["en"], verbosity=0)
    extracted = {e.key for e in parse_po(source / "locale" / "en" / "LC_MESSAGES" / "django.po")}
    translated = {e.key for e in parse_po(PO_FILE)}
    assert sorted(extracted - translated, key=str) == [], "run `make messages` and translate"


@pytest.mark.django_db
def test_the_landing_page_is_in_french_by_default() -> None:
    page = Client().get("/").content.decode()
    assert '<html lang="fr"' in page
    assert "Accès usager" in page
    assert "Family access" not in page


@pytest.mark.django_db
def test_a_browser_asking_for_another_language_gets_french() -> None:
    page = Client().get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Accès usager" in page


@pytest.mark.django_db
def test_the_landing_page_is_in_english_for_a_visitor_who_chose_english() -> None:
    # The choice lives in the language cookie (set by the header's form); the browser asks for
    # English too, whether or not the portal follows Accept-Language.
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en"' in page
    assert "Family access" in page
    assert "Teacher access" in page
    assert "Pre-registration" in page
    assert "Accès usager" not in page


@pytest.mark.django_db
def test_the_language_cookie_chooses_english() -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Family access" in page
    assert "Accès usager" not in page


@pytest.mark.django_db
def test_the_language_form_of_the_header_switches_the_portal_to_english() -> None:
    client = Client()
    response = client.post("/langue/", {"language": "en", "next": "/connexion/"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Forgotten password" in page
    assert "Username" in page
    assert "Mot de passe perdu" not in page


def test_a_family_sees_its_pages_in_english(alice_client: Client, alice: Family) -> None:
    alice_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    home = alice_client.get("/famille/accueil/").content.decode()
    for text in ("Home", "Family", "Pupils", "Billing", "Log out", "Your pupils"):
        assert text in home
    record = alice_client.get("/famille/").content.decode()
    for text in ("Home phone", "Socio-professional category", "Title", "Mrs", "Parent or guardian"):
        assert text in record
    assert "Tél domicile" not in record
    identity = alice_client.get("/eleves/", follow=True).content.decode()
    for text in ("Photo consent", "Permission to leave alone", "Re-enrolment", "Date of birth"):
        assert text in identity
    assert "Droit à l'image" not in identity


def test_french_plurals_follow_the_french_rule() -> None:
    # Without a French catalogue, gettext falls back to the English rule (n != 1): "0 élèves".
    with translation.override("fr"):
        assert translation.ngettext("%(n)s place restante", "%(n)s places restantes", 0) == (
            "%(n)s place restante"
        )
        assert translation.ngettext("%(n)s place restante", "%(n)s places restantes", 2) == (
            "%(n)s places restantes"
        )
    with translation.override("en"):
        assert translation.ngettext("%(n)s place restante", "%(n)s places restantes", 0) == (
            "%(n)s places left"
        )


def test_the_french_catalogue_has_every_plural_of_the_code(catalogue: list[Entry]) -> None:
    # `make messages` updates the English catalogue only: run makemessages -l fr too when a
    # plural is added, and copy its two French forms into msgstr[0] and msgstr[1].
    french_po = BASE_DIR / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    with (french_po.with_suffix(".mo")).open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    wanted = {(e.msgid, e.msgid_plural) for e in catalogue if e.msgid_plural}
    french = {
        (e.msgid, e.msgid_plural)
        for e in parse_po(french_po)
        if e.msgid_plural and e.msgstr == {0: e.msgid, 1: e.msgid_plural}
    }
    assert sorted(wanted - french, key=str) == []
    stale = [msgid for msgid, plural in wanted if compiled.ngettext(msgid, plural, 0) != msgid]
    assert stale == [], "locale/fr/LC_MESSAGES/django.mo is out of date: run compilemessages"


def test_the_teacher_week_counts_no_pupil_in_the_singular_in_french(
    client_for: Callable[[User], Client], school_year: SchoolYear
) -> None:
    teacher: Teacher = TeacherFactory()
    SlotFactory(site=teacher.site, teacher=teacher, school_year=school_year)
    assert teacher.account is not None
    client = client_for(teacher.account)

    page = client.get("/enseignant/").content.decode()
    assert "0 élève<" in page
    assert "0 élèves" not in page

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "0 pupils<" in client.get("/enseignant/").content.decode()
