"""Fields added to a form by a forged request (ids, owners, amounts, statuses, rights) change
nothing: each form is sent twice from the same data, as the page sends it and with the forged
fields, and both must do exactly the same thing to the database."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from billing.models import OnlineTransaction
from courses.models import RepertoireEntry
from extranet.models import User
from reenrollment.models import Choice
from tests.security.routes import BY_KEY, pdf_upload
from tests.security.snapshot import Change, changes, db_state, same_effect
from tests.security.world import World

pytestmark = pytest.mark.django_db

Login = Callable[[User], Client]


def forged_fields(world: World) -> dict[str, Any]:
    """What a forged request could add: another family's, teacher's or site's ids, amounts,
    statuses, rights, dates."""
    bob, dora = world.bob, world.dora
    ids = {
        "site": dora.site.site.pk,
        "family": bob.family.pk,
        "account": bob.account.pk,
        "user": bob.account.pk,
        "student": bob.student.pk,
        "enrolment": bob.enrolment.pk,
        "slot": bob.slot.pk,
        "course": dora.site.course.pk,
        "teacher": bob.teacher.pk,
        "invoice": bob.invoice.pk,
        "payment": bob.payment.pk,
        "campaign": dora.site.campaign.pk,
        "request": bob.request.pk,
        "choice": bob.choice.pk,
        "document_type": dora.site.family_piece.pk,
        "school_year": dora.site.next_slot.school_year_id,
        "recorded_by": bob.teacher.pk,
        "added_by": bob.teacher.pk,
        "reviewed_by": world.superuser.pk,
        "decided_by": world.superuser.pk,
    }
    return {
        "id": bob.family.pk,
        "pk": bob.family.pk,
        **ids,
        **{f"{name}_id": value for name, value in ids.items()},
        "amount": "1.00",
        "amount_cents": "100",
        "total": "1.00",
        "vads_amount": "100",
        "balance": "0",
        "status": "validated",
        "state": "confirmed",
        "paid": "on",
        "validated": "on",
        "accepted": "on",
        "justified": "on",
        "justification": "accepted",
        "source": "teacher",
        "notified": "on",
        "kind": "staff",
        "is_staff": "on",
        "is_superuser": "on",
        "is_active": "",
        "username": "pirate",
        "language": "en",
        "groups": "1",
        "staff_sites": dora.site.site.pk,
        "proof_of_address_needed": "on",
        "address_changed_at": "2001-01-01 00:00",
        "anonymised_at": "2001-01-01 00:00",
        "submitted_at": "2001-01-01 00:00",
        "created_at": "2001-01-01 00:00",
        "token": "pirate-token",
        "offer_token": "pirate-token",
        "order_id": "pirate",
        "pages": "99",
        "moyenne": "0",
    }


@dataclass(frozen=True)
class Case:
    """A form of the portal: who sends it, and fields specific to it that a forger may add."""

    route: str
    actor: str  # "family": alice's account; "teacher": her child's teacher
    form: int = 0  # Which of the route's forms.
    extra: Callable[[World], dict[str, Any]] = lambda world: {}

    @property
    def id(self) -> str:
        return f"{self.route}-{self.form}"


CASES = [
    Case("families:family", "family"),
    Case("students:identity", "family"),
    Case("courses:follow_up", "family"),
    Case("courses:calendar_renew", "family"),
    Case(
        "reenrollment:tab",
        "family",
        extra=lambda w: {
            f"renew_{w.bob.enrolment.pk}": "on",
            f"slot_{w.bob.enrolment.pk}": str(w.bob.site.next_slot.pk),
        },
    ),
    Case("reenrollment:upload", "family"),
    Case("reenrollment:offer", "family"),
    Case("reenrollment:offer", "family", form=1),
    Case("billing:pay", "family"),
    Case("extranet:password_change", "family"),
    Case("set_language", "family"),
    Case(
        "courses:slot_roll",
        "teacher",
        extra=lambda w: {
            f"status_{w.bob.enrolment.pk}": "absent",
            f"justified_{w.bob.enrolment.pk}": "on",
        },
    ),
    Case(
        "courses:slot_evaluations",
        "teacher",
        extra=lambda w: {
            f"note_{w.bob.enrolment.pk}": "0",
            f"appreciation_{w.bob.enrolment.pk}": "Pirate",
        },
    ),
    *(
        Case(
            "courses:teacher_pupil",
            "teacher",
            form=form,
            extra=lambda w: {f"note_{w.bob.enrolment.pk}": "0", "entry_id": w.bob.repertoire.pk},
        )
        for form in range(4)
    ),
]


def run(client: Client, url: str, data: dict[str, Any]) -> tuple[int, Change]:
    """Post the form, note what it changed, and undo it (the browser's cookies too: a new
    session made by the request is undone with the rest)."""
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        before = db_state()
        response = client.post(url, data)
        after = db_state()
        transaction.set_rollback(True)
    client.cookies = cookies
    return response.status_code, changes(before, after)


def fresh(data: dict[str, Any]) -> dict[str, Any]:
    """The form again, with new file objects (a posted file is read once)."""
    return {name: pdf_upload() if name == "files" else value for name, value in data.items()}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_forged_fields_change_nothing(login: Login, world: World, case: Case) -> None:
    route = BY_KEY[case.route]
    party = world.alice
    user = party.account if case.actor == "family" else party.teacher_account
    client = login(user)
    url = route.url(party) if route.ids else route.url()
    honest = route.data(party)[case.form]
    forged = {**forged_fields(world), **case.extra(world)}
    forged = {name: value for name, value in forged.items() if name not in honest}

    status, honest_change = run(client, url, fresh(honest))
    forged_status, forged_change = run(client, url, {**fresh(honest), **forged})

    assert status in (200, 302) and honest_change, f"the form itself did nothing:\n{honest_change}"
    assert forged_status == status
    assert same_effect(honest_change, forged_change), (
        f"as sent by the page:\n{honest_change}\n\nwith forged fields:\n{forged_change}"
    )


def test_a_family_pays_the_balance_of_its_own_invoice_whatever_it_sends(
    login: Login, world: World
) -> None:
    client = login(world.alice.account)
    invoice = world.alice.invoice

    response = client.post(
        f"/facturation/factures/{invoice.pk}/payer/",
        {"instalments": "1", **forged_fields(world)},
    )

    assert response.status_code == 200
    tx = OnlineTransaction.objects.filter(invoice=invoice).latest("pk")
    assert tx.amount_cents == 20000  # 300 € billed, 100 € paid by cheque.
    assert tx.family_id == world.alice.family.pk
    assert tx.status == OnlineTransaction.Status.CREATED
    assert 'name="vads_amount" value="20000"' in response.content.decode()


def test_a_teacher_cannot_delete_a_piece_of_another_pupil(login: Login, world: World) -> None:
    client = login(world.alice.teacher_account)
    url = f"/enseignant/eleves/{world.alice.enrolment.pk}/"

    for victim in (world.bob, world.dora):
        response = client.post(url, {"action": "repertoire_delete", "entry": victim.repertoire.pk})
        assert response.status_code == 404
        assert RepertoireEntry.objects.filter(pk=victim.repertoire.pk).exists()


def test_a_family_cannot_choose_a_slot_of_another_site(login: Login, world: World) -> None:
    client = login(world.alice.account)
    enrolment = world.alice.enrolment
    data = BY_KEY["reenrollment:tab"].data(world.alice)[0]
    foreign = world.dora.site.next_slot

    for value in (str(foreign.pk), f"wait:{foreign.pk}"):
        response = client.post(
            f"/eleves/{world.alice.student.pk}/reinscription/",
            {**data, f"slot_{enrolment.pk}": value},
        )
        assert response.status_code == 400, value
    assert not Choice.objects.filter(slot=foreign, request__family=world.alice.family.pk).exists()
