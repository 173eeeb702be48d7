"""Mes données: the page that says what is kept, and the archive of everything."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from billing.services import invoice_balance
from extranet.models import User
from families.models import Family
from families.privacy import _balances
from tests.factories import BLANK_PDF, StudentFactory
from tests.families.privacy_data import FamilyData, give_family_data

PAGE = "/famille/mes-donnees/"
ARCHIVE = "/famille/mes-donnees/archive/"


@pytest.fixture(autouse=True)
def private_media(private_media: Path) -> Path:
    """Every test here stores its documents in a folder of its own (tests/conftest.py)."""
    return private_media


@pytest.fixture
def alice_data(alice: Family) -> FamilyData:
    return give_family_data(alice, tag="ALICE")


@pytest.fixture
def bob_data(bob: Family) -> FamilyData:
    return give_family_data(bob, tag="BOB")


def download(client: Client) -> zipfile.ZipFile:
    response = client.get(ARCHIVE)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="mes-donnees-')
    assert response["Cache-Control"] == "private, no-store"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def read_csv(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    raw = archive.read(name)
    assert raw.startswith(b"\xef\xbb\xbf"), f"{name} has no BOM: French Excel would misread it"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


# The page ------------------------------------------------------------------------------------


def test_it_explains_what_is_kept_and_for_how_long(alice: Family, alice_client: Client) -> None:
    alice.site.email = "conservatoire@moissy.example"
    alice.site.document_retention_days = 400
    alice.site.save()
    response = alice_client.get(PAGE)
    assert response.status_code == 200
    text = response.content.decode()
    assert (
        "Supprimées 400 jours après la clôture de la campagne de réinscription, ou après la "
        "réception d'une pré-inscription traitée par le secrétariat."
    ) in text
    assert "10 ans" in text
    assert 'href="mailto:conservatoire@moissy.example"' in text
    assert f'href="{ARCHIVE}"' in text
    assert 'href="/famille/"' in text  # Rectification: the Famille tab.
    assert 'href="/eleves/"' in text  # and the pupils' Identité.


@pytest.mark.parametrize("children", [1, 5], ids=["1 child", "5 children"])
def test_the_page_runs_a_fixed_number_of_queries(
    alice: Family, alice_client: Client, children: int, django_assert_num_queries: Callable
) -> None:
    StudentFactory.create_batch(children - 1, family=alice)
    # 1. the session
    # 2. the account, with its site
    # 3. the family
    with django_assert_num_queries(3):
        response = alice_client.get(PAGE)
    assert response.status_code == 200


def test_the_portal_links_to_it(alice_client: Client) -> None:
    assert f'href="{PAGE}"' in alice_client.get("/famille/accueil/").content.decode()
    assert f'href="{PAGE}"' in alice_client.get("/famille/").content.decode()  # The footer.


@pytest.mark.parametrize("url", [PAGE, ARCHIVE])
def test_anonymous_visitors_are_sent_to_the_login(db: None, client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/")


@pytest.mark.parametrize("url", [PAGE, ARCHIVE])
def test_other_accounts_get_404(
    url: str, teacher: User, moissy_staff: User, client_for: Callable[[User], Client]
) -> None:
    assert client_for(teacher).get(url).status_code == 404
    assert client_for(moissy_staff).get(url).status_code == 404


# The archive ---------------------------------------------------------------------------------


def test_the_archive_holds_every_file_the_readme_lists(
    alice: Family, alice_data: FamilyData, alice_client: Client
) -> None:
    archive = download(alice_client)
    names = set(archive.namelist())
    assert {
        "README.txt",
        "account.json",
        "family.json",
        "students.json",
        "documents.csv",
        "invoices.csv",
        "payments.csv",
    } <= names
    readme = archive.read("README.txt").decode()
    for name in ("account.json", "family.json", "students.json", "documents.csv"):
        assert name in readme
    assert "Moissy-Cramayel" in readme
    assert archive.testzip() is None


def test_the_records_are_in_json(
    alice: Family, alice_data: FamilyData, alice_client: Client
) -> None:
    archive = download(alice_client)
    account = json.loads(archive.read("account.json"))
    assert account["username"] == "alice"
    assert account["site"] == "Moissy-Cramayel"
    assert "password" not in account
    family = json.loads(archive.read("family.json"))
    assert family["nom"] == "TEST"
    assert family["site"] == "Moissy-Cramayel"
    assert family["billing_profile"]["quotient_familial"] == 812
    # UTF-8 as is, not "\u00eb" escapes: a family reads this in a text editor.
    students_text = archive.read("students.json").decode("utf-8")
    assert "Gaëlle" in students_text
    [gaelle] = json.loads(students_text)
    assert gaelle["prenom"] == "Gaëlle"
    assert gaelle["school_levels"][0]["niveau"] == "CM1"
    [enrolment] = gaelle["enrolments"]
    assert enrolment["course"] == alice_data.enrolments[0].slot.course.name
    assert enrolment["evaluations"][0]["appreciation"] == "ALICE progresse bien"
    assert enrolment["absences"][0]["family_comment"] == "ALICE avait de la fièvre"
    assert enrolment["absences"][0]["family_reason"] == "Maladie"
    assert gaelle["repertoire"][0]["title"] == "Sonate ALICE"
    [request] = gaelle["reenrollment_requests"]
    assert request["status"] == "Envoyée"
    assert request["comment"] == "Remarque ALICE"
    assert len(request["choices"]) == 1
    assert "offer_token" not in request["choices"][0]


def test_the_password_hash_is_nowhere(
    alice: Family, alice_data: FamilyData, alice_client: Client
) -> None:
    password = alice.account.password
    archive = download(alice_client)
    for name in archive.namelist():
        assert password.encode() not in archive.read(name), name


def test_the_documents_are_listed_and_copied(
    alice: Family, alice_data: FamilyData, alice_client: Client
) -> None:
    archive = download(alice_client)
    header, *rows = read_csv(archive, "documents.csv")
    assert header[0] == "Pièce"
    assert len(rows) == 2
    by_name = {row[3]: row for row in rows}
    family_row = by_name["domicile-ALICE.pdf"]
    assert family_row[0] == "Justificatif de domicile ALICE"
    assert family_row[2] == "Famille"
    assert family_row[4] == "Fourni"
    assert by_name["certificat-ALICE.pdf"][2] == "TEST Gaëlle"
    for row in rows:
        assert archive.read(row[-1]) == BLANK_PDF


def test_a_lost_file_is_said_so_and_the_rest_still_comes(
    alice: Family, alice_data: FamilyData, alice_client: Client
) -> None:
    default_storage.delete(alice_data.documents[0].file.name)
    archive = download(alice_client)
    _header, *rows = read_csv(archive, "documents.csv")
    lost = {row[3]: row[-1] for row in rows}["domicile-ALICE.pdf"]
    assert lost == "fichier introuvable"
    assert archive.read("factures/ALICE-F1.pdf").startswith(b"%PDF")


def test_the_invoices_and_payments_come_as_csv_and_pdf(
    alice: Family, alice_data: FamilyData, alice_client: Client
) -> None:
    archive = download(alice_client)
    header, invoice, note = read_csv(archive, "invoices.csv")
    assert header[0] == "Numéro"
    assert invoice[:2] == ["ALICE-F1", "Facture"]
    assert invoice[7] == "300,00"
    assert invoice[11] == "150,00"  # 300 - 50 (credit note) - 100 (cheque).
    assert note[:2] == ["ALICE-AV1", "Avoir"]
    assert note[8] == "ALICE-F1"
    for row in (invoice, note):
        assert archive.read(row[-1]).startswith(b"%PDF")
    _header, payment = read_csv(archive, "payments.csv")
    assert payment[1:4] == ["ALICE-R1", "ALICE-F1", "Chèque"]
    assert payment[5] == "100,00"


def test_balances_are_counted_as_billing_counts_them(alice: Family, alice_data: FamilyData) -> None:
    payments = list(alice.payments.all())  # type: ignore[attr-defined]
    balances = _balances(alice_data.invoices, payments)
    for invoice in alice_data.invoices:
        assert balances[invoice.pk] == invoice_balance(invoice), invoice.number


def test_it_never_holds_another_familys_data(
    alice: Family,
    alice_data: FamilyData,
    bob: Family,
    bob_data: FamilyData,
    alice_client: Client,
    bob_client: Client,
) -> None:
    archive = download(alice_client)
    for name in archive.namelist():
        content = archive.read(name)
        for secret in (b"BOB", b"MARTIN", "Léo".encode()):
            assert secret not in content, f"{secret!r} in {name}"
    assert not any("BOB" in name for name in archive.namelist())
    # And the other way round: bob's archive is bob's.
    theirs = download(bob_client)
    assert json.loads(theirs.read("family.json"))["nom"] == "MARTIN"
    assert b"ALICE" not in theirs.read("invoices.csv")


@pytest.mark.parametrize("children", [1, 5], ids=["1 child", "5 children"])
@pytest.mark.parametrize("invoices", [1, 3], ids=["1 invoice", "3 invoices"])
def test_the_archive_runs_a_fixed_number_of_queries(
    alice: Family,
    alice_client: Client,
    children: int,
    invoices: int,
    django_assert_num_queries: Callable,
) -> None:
    StudentFactory.create_batch(children - 1, family=alice)
    give_family_data(alice, tag="ALICE", invoices=invoices)
    # 1. the session
    # 2. the account, with its site
    # 3. the family
    # 4. its pupils
    # 5-11. their school levels, courses, marks, absences, pieces, re-enrollments and choices
    # 12. the pre-registrations (their children and documents: none here, so no query)
    # 13-15. the invoices and credit notes, with their lines and instalments
    # 16. the payments
    # 17. the billing profile (quotient familial)
    # 18. the instrument rentals
    # 19. the supporting documents
    with django_assert_num_queries(19):
        response = alice_client.get(ARCHIVE)
        archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert len(json.loads(archive.read("students.json"))) == children
    assert len([n for n in archive.namelist() if n.startswith("factures/")]) == 2 * invoices
