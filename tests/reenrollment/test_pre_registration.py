"""Pré-inscription: the public form for new families, duplicates, and staff turning a request
into a family with its account."""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pypdf import PdfWriter

from extranet.models import Site, User
from families.models import Family
from reenrollment.models import PreRegistration
from students.models import Student
from tests.conftest import make_staff, verify_second_factor


def pdf_file(name: str = "Avis d'impôt (copie).pdf") -> SimpleUploadedFile:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def form_data(site: Site, **changes: Any) -> dict[str, Any]:
    data = {
        "site": site.pk,
        "civilite": "Madame",
        "nom": "Nouvelle",
        "prenom": "Camille",
        "adresse": "3 rue des Lilas",
        "code_postal": "77550",
        "ville": "Moissy-Cramayel",
        "mobile": "0611223344",
        "email": "camille.nouvelle@example.org",
        "message": "",
        "enfants-TOTAL_FORMS": "3",
        "enfants-INITIAL_FORMS": "0",
        "enfants-MIN_NUM_FORMS": "1",
        "enfants-MAX_NUM_FORMS": "6",
        "enfants-0-prenom": "Lou",
        "enfants-0-nom": "Nouvelle",
        "enfants-0-date_naissance": "2016-04-02",
        "enfants-0-disciplines": "piano",
        "enfants-0-availabilities": "mercredi",
    }
    data.update(changes)
    return data


@pytest.fixture
def send(client: Client, django_capture_on_commit_callbacks: Callable) -> Callable[..., Any]:
    def post(data: dict[str, Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/pre-inscription/", data)

    return post


def test_the_public_form_is_reachable_from_the_landing_page(client: Client, moissy: Site) -> None:
    assert 'href="/pre-inscription/"' in client.get("/").content.decode()
    response = client.get("/pre-inscription/")
    assert response.status_code == 200
    content = response.content.decode()
    for label in ("Conservatoire", "Nom", "Prénom de l&#x27;enfant", "Disciplines souhaitées"):
        assert label in content


def test_a_new_family_is_recorded_with_its_children_and_documents(
    moissy: Site, send: Callable[..., Any]
) -> None:
    moissy.email = "conservatoire.moissy@example.org"
    moissy.save()
    data = form_data(moissy, proof_of_address=pdf_file())

    response = send(data)

    assert response.status_code == 302
    pre = PreRegistration.objects.get()
    assert (pre.nom, pre.mobile, pre.duplicate_note) == ("Nouvelle", "06 11 22 33 44", "")
    assert [c.prenom for c in pre.children.all()] == ["Lou"]
    [document] = pre.documents.all()
    assert document.display_name == "Avis d'impôt (copie).pdf"
    assert not document.file.name.startswith("Avis")  # The stored name is generated.
    assert sorted(m.to[0] for m in mail.outbox) == [
        "camille.nouvelle@example.org",
        "conservatoire.moissy@example.org",
    ]


def test_bad_input_is_refused_next_to_the_field_and_nothing_is_saved(
    moissy: Site, send: Callable[..., Any]
) -> None:
    response = send(form_data(moissy, email="pas-une-adresse", **{"enfants-0-prenom": ""}))

    assert response.status_code == 400
    content = response.content.decode()
    assert "Adresse e-mail invalide" in content
    assert "Ce champ est obligatoire." in content
    assert 'value="Nouvelle"' in content  # What was typed is kept.
    assert not PreRegistration.objects.exists()


def test_a_file_that_is_not_a_document_is_refused_and_nothing_is_saved(
    moissy: Site, send: Callable[..., Any]
) -> None:
    fake = SimpleUploadedFile("avis.pdf", b"MZ this is a program", content_type="application/pdf")

    response = send(form_data(moissy, tax_notice=fake))

    assert response.status_code == 400
    assert "ni un PDF ni une photo" in response.content.decode()
    assert not PreRegistration.objects.exists()


def test_a_known_email_or_child_is_flagged_as_a_possible_duplicate(
    alice: Family, moissy: Site, send: Callable[..., Any]
) -> None:
    child = alice.students.get()
    data = form_data(
        moissy,
        email=alice.email.upper(),
        **{
            "enfants-0-prenom": child.prenom,
            "enfants-0-nom": child.nom,
            "enfants-0-date_naissance": child.date_naissance.isoformat(),
        },
    )

    send(data)

    note = PreRegistration.objects.get().duplicate_note
    assert alice.email.casefold() in note.casefold()
    assert "est déjà élève du site" in note


def test_staff_turn_a_request_into_a_family_whose_account_gets_a_password_link(
    moissy: Site, send: Callable[..., Any], django_capture_on_commit_callbacks: Callable
) -> None:
    send(form_data(moissy))
    pre = PreRegistration.objects.get()
    staff = make_staff(moissy, "secretariat")
    client = Client()
    client.force_login(staff)
    verify_second_factor(client, staff)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/reenrollment/preregistration/",
            {"action": "convert", "_selected_action": [pre.pk]},
            follow=True,
        )

    assert response.status_code == 200
    pre.refresh_from_db()
    assert pre.status == PreRegistration.Status.CONVERTED
    family = Family.objects.get(pk=pre.family_id)
    account = family.account
    assert account is not None
    assert (account.site, account.kind, account.username) == (
        moissy,
        User.Kind.FAMILY,
        "camille.nouvelle",
    )
    assert not account.has_usable_password()
    assert [s.prenom for s in Student.objects.filter(family=family)] == ["Lou"]
    [message] = mail.outbox
    assert message.to == ["camille.nouvelle@example.org"]
    assert re.search(r"/mot-de-passe/nouveau/[\w-]+/[\w-]+/", message.body)
    assert "demo" not in message.body and "mot de passe :" not in message.body.lower()


def test_a_request_is_turned_into_a_family_only_once(
    moissy: Site, send: Callable[..., Any]
) -> None:
    from reenrollment import services
    from reenrollment.services import ReenrollmentError

    send(form_data(moissy))
    pre = PreRegistration.objects.get()
    staff = make_staff(moissy, "secretariat")
    services.preregistration_convert(pre=pre, by=staff, base_url="http://testserver/")

    with pytest.raises(ReenrollmentError):
        services.preregistration_convert(pre=pre, by=staff, base_url="http://testserver/")
    assert Family.objects.filter(email="camille.nouvelle@example.org").count() == 1


def test_staff_of_another_site_do_not_see_the_request(
    moissy: Site, charlie: User, send: Callable[..., Any]
) -> None:
    send(form_data(moissy))
    pre = PreRegistration.objects.get()
    client = Client()
    client.force_login(charlie)
    verify_second_factor(client, charlie)

    listing = client.get("/admin/reenrollment/preregistration/").content.decode()
    assert "camille.nouvelle@example.org" not in listing
    assert "NOUVELLE" not in listing
    listing_page = client.get("/admin/reenrollment/preregistration/")
    assert listing_page.status_code == 200
    changed = client.get(f"/admin/reenrollment/preregistration/{pre.pk}/change/", follow=True)
    # The admin answers an object out of scope as missing: back to the index with a message.
    assert "camille.nouvelle@example.org" not in changed.content.decode()


def test_a_birth_date_in_the_future_is_not_a_crash(moissy: Site, send: Callable[..., Any]) -> None:
    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    response = send(form_data(moissy, **{"enfants-0-date_naissance": "31/02/2020"}))
    assert response.status_code == 400
    assert send(form_data(moissy, **{"enfants-0-date_naissance": tomorrow})).status_code in (
        302,
        400,
    )
