"""Anonymising a family that has left: personal data gone, invoices kept as issued."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

import pytest
from axes.models import AccessLog
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.db import models
from django.test import Client

from billing.models import Invoice, InvoiceLine, Payment
from courses.models import Absence, Evaluation
from extranet.models import AuditEntry, OutboxMessage, User
from families.models import Family
from families.privacy import family_anonymise
from families.services import FamiliesError, family_update
from reenrollment.models import (
    Document,
    PreRegistration,
    PreRegistrationChild,
    ReenrollmentRequest,
)
from students.models import Student
from tests.families.privacy_data import (
    FamilyData,
    closed_campaign,
    give_family_data,
    last_school_year,
)
from tests.html import attr, find_all, page, text

FAMILIES = "/admin/families/family/"
# What names alice's family in the records: none of it may be left outside billing.
ALICE_TRACES = ("ALICE", "Gaëlle", "TEST", "alice", "fièvre", "Remarque")


@pytest.fixture(autouse=True)
def private_media(private_media: Path) -> Path:
    """Every test here stores its documents in a folder of its own (tests/conftest.py)."""
    return private_media


@pytest.fixture
def alice_left(alice: Family) -> FamilyData:
    """alice's family took courses last year and re-enrolled in none: it has left."""
    alice.email = "alice.test@example.org"
    alice.adresse = "1 rue des Lilas"
    alice.save()
    return give_family_data(
        alice,
        tag="ALICE",
        school_year=last_school_year(),
        campaign=closed_campaign(alice),
        request_status=ReenrollmentRequest.Status.REFUSED,
    )


@pytest.fixture
def staff_client(moissy_staff: User, client_for: Callable[[User], Client]) -> Client:
    return client_for(moissy_staff)


def text_values(obj: models.Model) -> list[str]:
    return [
        str(getattr(obj, field.attname))
        for field in obj._meta.concrete_fields
        if isinstance(field, (models.CharField, models.TextField))
    ]


def assert_no_trace(rows: object) -> None:
    for obj in rows:  # type: ignore[attr-defined]
        for value in text_values(obj):
            for trace in ALICE_TRACES:
                assert trace not in value, f"{trace!r} left in {obj._meta.label} {obj.pk}: {value}"


def run_action(client: Client, *families: Family, confirm: bool = True) -> object:
    data: dict[str, object] = {
        "action": "anonymise_selected",
        "_selected_action": [family.pk for family in families],
    }
    if confirm:
        data["post"] = "yes"
    return client.post(FAMILIES, data, follow=confirm)


def admin_messages(response: object) -> list[str]:
    return [
        text(li)
        for ul in find_all(page(response), "ul", class_="messagelist")  # type: ignore[arg-type]
        for li in find_all(ul, "li")
    ]


# What goes -------------------------------------------------------------------------------------


def test_it_wipes_the_family_its_pupils_and_its_account(
    alice: Family, alice_left: FamilyData, moissy_staff: User
) -> None:
    gaelle = alice.students.get()
    born = gaelle.date_naissance
    account = alice.account
    family_anonymise(family=alice, actor=moissy_staff)

    alice.refresh_from_db()
    assert alice.nom == "Anonyme"
    assert alice.anonymised_at is not None
    assert {alice.adresse, alice.email, alice.mobile, alice.prenom, alice.ville} == {""}
    gaelle.refresh_from_db()
    assert (gaelle.nom, gaelle.prenom) == ("Anonyme", "")
    assert gaelle.date_naissance == datetime.date(born.year, 1, 1)
    assert gaelle.droit_image is None
    account.refresh_from_db()
    assert account.username.startswith("anonyme-")
    assert not account.is_active
    assert not account.has_usable_password()
    assert (account.email, account.first_name, account.last_name) == ("", "", "")
    assert account.last_login is None
    assert_no_trace([alice, gaelle, account])


def test_nothing_that_names_the_family_is_left_outside_billing(
    alice: Family, alice_left: FamilyData, moissy_staff: User
) -> None:
    pre = PreRegistration.objects.create(
        site=alice.site,
        nom="TEST",
        prenom="FAMILLE",
        adresse="1 rue des Lilas",
        code_postal="77550",
        ville="MOISSY",
        mobile="0601020304",
        email="alice.test@example.org",
        message="Gaëlle voudrait jouer du piano",
        family=alice,
        status=PreRegistration.Status.CONVERTED,
    )
    PreRegistrationChild.objects.create(
        pre_registration=pre,
        nom="TEST",
        prenom="Gaëlle",
        date_naissance=datetime.date(2015, 6, 12),
        disciplines="piano",
    )
    OutboxMessage.objects.create(to="Alice.Test@example.org", subject="Bonjour", text_body="TEST")
    OutboxMessage.objects.create(to="martin@example.org", subject="Bonjour", text_body="MARTIN")
    AccessLog.objects.create(username=f"{alice.site_id}:alice", ip_address="192.0.2.1")
    family_anonymise(family=alice, actor=moissy_staff)

    students = Student.objects.filter(family=alice)
    assert_no_trace(Family.objects.filter(pk=alice.pk))
    assert_no_trace(Family.history.filter(id=alice.pk))  # type: ignore[attr-defined]
    assert_no_trace(students)
    assert_no_trace(Student.history.filter(family_id=alice.pk))  # type: ignore[attr-defined]
    assert_no_trace(User.objects.filter(pk=alice.account_id))
    assert_no_trace(Absence.objects.filter(enrolment__student__family=alice))
    assert_no_trace(Evaluation.objects.filter(enrolment__student__family=alice))
    assert_no_trace(ReenrollmentRequest.objects.filter(family=alice))
    assert_no_trace(PreRegistration.objects.filter(pk=pre.pk))
    assert_no_trace(PreRegistrationChild.objects.filter(pre_registration=pre))
    assert not Absence.objects.filter(enrolment__student__family=alice).exclude(family_reason="")
    assert list(OutboxMessage.objects.values_list("to", flat=True)) == ["martin@example.org"]
    assert not AccessLog.objects.exists()
    assert PreRegistrationChild.objects.get().date_naissance == datetime.date(2015, 1, 1)


def test_the_documents_go_with_their_files(
    alice: Family,
    alice_left: FamilyData,
    moissy_staff: User,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    names = [document.file.name for document in alice_left.documents]
    assert all(default_storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        family_anonymise(family=alice, actor=moissy_staff)
    assert not Document.objects.filter(family=alice).exists()
    assert not any(default_storage.exists(name) for name in names)


def test_the_history_keeps_only_the_anonymous_version(
    alice: Family, alice_left: FamilyData, moissy_staff: User
) -> None:
    family_update(family=alice, data={"adresse": "2 avenue Foch", "mobile": "0611223344"})
    assert alice.history.count() >= 2  # type: ignore[attr-defined]
    family_anonymise(family=alice, actor=moissy_staff)
    [version] = alice.history.all()  # type: ignore[attr-defined]
    assert version.nom == "Anonyme"
    assert version.adresse == ""
    assert version.history_user == moissy_staff
    for student in alice.students.all():
        [version] = student.history.all()
        assert version.nom == "Anonyme"


def test_the_admin_history_no_longer_shows_the_name(
    alice: Family, alice_left: FamilyData, moissy_staff: User
) -> None:
    LogEntry.objects.create(
        user=moissy_staff,
        content_type=ContentType.objects.get_for_model(Family),
        object_id=str(alice.pk),
        object_repr=str(alice),
        action_flag=CHANGE,
    )
    family_anonymise(family=alice, actor=moissy_staff)
    entry = LogEntry.objects.get()
    assert entry.object_repr.strip() == "Anonyme"


def test_the_old_login_no_longer_works(
    alice: Family, alice_left: FamilyData, alice_client: Client, moissy_staff: User
) -> None:
    family_anonymise(family=alice, actor=moissy_staff)
    response = alice_client.get("/famille/")
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/")


# What stays ----------------------------------------------------------------------------------


def test_invoices_credit_notes_and_payments_stay_as_issued(
    alice: Family, alice_left: FamilyData, moissy_staff: User
) -> None:
    def snapshot() -> list[tuple[object, ...]]:
        return [
            *Invoice.objects.filter(family=alice).values_list(
                "number", "billing_name", "billing_address", "total", "credit_note_of"
            ),
            *InvoiceLine.objects.filter(invoice__family=alice).values_list("label", "amount"),
            *Payment.objects.filter(family=alice).values_list("receipt_number", "amount"),
        ]

    before = snapshot()
    assert len(before) == 5  # An invoice and its credit note, their lines, a payment.
    family_anonymise(family=alice, actor=moissy_staff)
    assert snapshot() == before
    assert Invoice.objects.get(number="ALICE-F1").billing_name == "Madame ALICE"


def test_marks_and_absences_stay_for_the_statistics(
    alice: Family, alice_left: FamilyData, moissy_staff: User
) -> None:
    family_anonymise(family=alice, actor=moissy_staff)
    evaluation = Evaluation.objects.get(enrolment__student__family=alice)
    assert evaluation.note is not None
    assert evaluation.appreciation == ""
    assert Absence.objects.filter(enrolment__student__family=alice).count() == 1


def test_it_writes_an_audit_entry_without_the_name(
    alice: Family, alice_left: FamilyData, moissy_staff: User
) -> None:
    family_anonymise(family=alice, actor=moissy_staff)
    entry = AuditEntry.objects.get(action="family.anonymised")
    assert entry.actor == moissy_staff
    assert entry.site == alice.site
    assert entry.object_id == str(alice.pk)
    assert "TEST" not in entry.object_repr
    assert entry.details == {"students": 1, "documents": 2}


# Who may be anonymised -------------------------------------------------------------------------


def test_it_refuses_a_family_whose_pupils_still_take_courses(
    alice: Family, moissy_staff: User
) -> None:
    give_family_data(alice, tag="ALICE", campaign=closed_campaign(alice))
    with pytest.raises(FamiliesError, match="1 élève a encore une place"):
        family_anonymise(family=alice, actor=moissy_staff)
    alice.refresh_from_db()
    assert alice.nom == "TEST"
    assert alice.anonymised_at is None
    assert Document.objects.filter(family=alice).count() == 2
    assert not AuditEntry.objects.filter(action="family.anonymised").exists()


def test_a_pupil_who_stopped_during_the_year_has_left(alice: Family, moissy_staff: User) -> None:
    data = give_family_data(
        alice,
        tag="ALICE",
        campaign=closed_campaign(alice),
        request_status=ReenrollmentRequest.Status.REFUSED,
    )
    for enrolment in data.enrolments:
        enrolment.active = False
        enrolment.save()
    family_anonymise(family=alice, actor=moissy_staff)
    alice.refresh_from_db()
    assert alice.anonymised_at is not None


@pytest.mark.parametrize(
    "status", [ReenrollmentRequest.Status.SENT, ReenrollmentRequest.Status.INCOMPLETE]
)
def test_it_refuses_a_family_with_a_request_waiting_for_a_decision(
    alice: Family, alice_left: FamilyData, moissy_staff: User, status: str
) -> None:
    ReenrollmentRequest.objects.filter(family=alice).update(status=status)
    with pytest.raises(FamiliesError, match="1 demande de réinscription est encore en cours"):
        family_anonymise(family=alice, actor=moissy_staff)


def test_a_draft_counts_only_while_its_campaign_is_open(
    alice: Family, alice_left: FamilyData, moissy_staff: User
) -> None:
    requests = ReenrollmentRequest.objects.filter(family=alice)
    requests.update(status=ReenrollmentRequest.Status.DRAFT)
    campaign = requests.get().campaign
    campaign.closes_at = campaign.opens_at + datetime.timedelta(days=365)
    campaign.save()
    with pytest.raises(FamiliesError, match="demande de réinscription"):
        family_anonymise(family=alice, actor=moissy_staff)
    campaign.closes_at = campaign.opens_at + datetime.timedelta(days=1)
    campaign.save()
    family_anonymise(family=alice, actor=moissy_staff)


def test_it_is_done_once(alice: Family, alice_left: FamilyData, moissy_staff: User) -> None:
    family_anonymise(family=alice, actor=moissy_staff)
    with pytest.raises(FamiliesError, match="déjà anonymisée"):
        family_anonymise(family=alice, actor=moissy_staff)


# In the admin --------------------------------------------------------------------------------


def test_the_admin_asks_for_a_confirmation_first(
    alice: Family, alice_left: FamilyData, bob: Family, staff_client: Client
) -> None:
    give_family_data(bob, tag="BOB")
    response = run_action(staff_client, alice, bob, confirm=False)
    assert response.status_code == 200  # type: ignore[attr-defined]
    content = response.content.decode()  # type: ignore[attr-defined]
    assert "TEST FAMILLE (Moissy-Cramayel)" in content
    assert "MARTIN Paul : Elle n&#x27;a pas quitté le conservatoire" in content
    # Only alice's family is in the form that confirms.
    hidden = find_all(page(response), "input", name="_selected_action")  # type: ignore[arg-type]
    assert [attr(element, "value") for element in hidden] == [str(alice.pk)]
    alice.refresh_from_db()
    assert alice.anonymised_at is None


def test_the_admin_anonymises_and_names_the_refused_families(
    alice: Family, alice_left: FamilyData, bob: Family, staff_client: Client, moissy_staff: User
) -> None:
    give_family_data(bob, tag="BOB")
    response = run_action(staff_client, alice, bob)
    assert admin_messages(response) == [
        "1 famille a été anonymisée.",
        "1 famille n'a pas été anonymisée : MARTIN Paul : Elle n'a pas quitté le conservatoire : "
        "1 élève a encore une place dans un cours de cette année ou de l'année prochaine.",
    ]
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert alice.anonymised_at is not None
    assert bob.anonymised_at is None
    assert AuditEntry.objects.get(action="family.anonymised").actor == moissy_staff


def test_staff_of_another_site_cannot_anonymise(
    alice: Family, alice_left: FamilyData, charlie: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(charlie)
    response = run_action(client, alice, confirm=False)
    assert "TEST FAMILLE" not in response.content.decode()  # type: ignore[attr-defined]
    run_action(client, alice)
    alice.refresh_from_db()
    assert alice.anonymised_at is None
    assert alice.nom == "TEST"
