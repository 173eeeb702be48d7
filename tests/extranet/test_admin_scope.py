"""The secretariat of a site sees and changes only that site's data in the admin."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core import mail
from django.http import HttpResponse
from django.test import Client

from extranet.models import Site, User
from families.models import Family
from tests.factories import UserFactory
from tests.html import attr, find, find_all, page, text


def listed(response: HttpResponse, model: str) -> set[int]:
    """The ids of the rows of an admin changelist."""
    assert response.status_code == 200
    return {int(pk) for pk in re.findall(rf'href="/admin/{model}/(\d+)/change/', response.text)}


def account(family: Family) -> User:
    assert family.account is not None
    return family.account


@pytest.fixture
def families(alice: Family, bob: Family, dora: Family) -> dict[str, Family]:
    return {"alice": alice, "bob": bob, "dora": dora}


@pytest.mark.parametrize(
    ("staff", "visible"),
    [
        ("moissy_staff", {"alice", "bob"}),
        ("charlie", {"dora"}),
        ("superuser", {"alice", "bob", "dora"}),
    ],
)
def test_the_family_list_shows_the_families_of_the_staff_sites(
    request: pytest.FixtureRequest,
    client_for: Callable[[User], Client],
    families: dict[str, Family],
    staff: str,
    visible: set[str],
) -> None:
    client = client_for(request.getfixturevalue(staff))

    families_listed = listed(client.get("/admin/families/family/"), "families/family")
    students_listed = listed(client.get("/admin/students/student/"), "students/student")

    assert families_listed == {families[name].pk for name in visible}
    assert students_listed == {
        student.pk for name in visible for student in families[name].students.all()
    }


@pytest.mark.parametrize(
    ("staff", "visible"),
    [
        ("moissy_staff", {"alice", "bob"}),
        ("charlie", {"dora"}),
    ],
)
def test_the_account_list_shows_the_family_and_teacher_logins_of_the_staff_sites(
    request: pytest.FixtureRequest,
    client_for: Callable[[User], Client],
    families: dict[str, Family],
    teacher: User,
    moissy_staff: User,
    charlie: User,
    superuser: User,
    staff: str,
    visible: set[str],
) -> None:
    client = client_for(request.getfixturevalue(staff))

    accounts = listed(client.get("/admin/extranet/user/"), "extranet/user")

    expected = {account(families[name]).pk for name in visible}
    if staff == "moissy_staff":
        expected.add(teacher.pk)
    assert accounts == expected


def test_a_superuser_sees_every_account(
    client_for: Callable[[User], Client],
    families: dict[str, Family],
    teacher: User,
    moissy_staff: User,
    charlie: User,
    superuser: User,
) -> None:
    accounts = listed(client_for(superuser).get("/admin/extranet/user/"), "extranet/user")

    assert accounts == {
        *(account(family).pk for family in families.values()),
        teacher.pk,
        moissy_staff.pk,
        charlie.pk,
        superuser.pk,
    }


@pytest.mark.parametrize(
    ("staff", "other"),
    [("moissy_staff", "dora"), ("charlie", "alice")],
)
def test_a_change_page_of_another_site_shows_nothing(
    request: pytest.FixtureRequest,
    client_for: Callable[[User], Client],
    families: dict[str, Family],
    staff: str,
    other: str,
) -> None:
    client = client_for(request.getfixturevalue(staff))
    family = families[other]
    student = family.students.get()

    for url in (
        f"/admin/families/family/{family.pk}/change/",
        f"/admin/students/student/{student.pk}/change/",
        f"/admin/extranet/user/{account(family).pk}/change/",
        f"/admin/families/family/{family.pk}/delete/",
        f"/admin/students/student/{student.pk}/history/",
    ):
        response = client.get(url, follow=True)
        content = response.content.decode()
        assert response.status_code in (200, 404), url
        assert family.nom not in content, url
        assert student.prenom not in content, url
        assert family.mobile not in content, url
        assert account(family).email not in content, url


@pytest.mark.parametrize(("staff", "own"), [("moissy_staff", "alice"), ("charlie", "dora")])
def test_a_change_page_of_the_staff_site_opens(
    request: pytest.FixtureRequest,
    client_for: Callable[[User], Client],
    families: dict[str, Family],
    staff: str,
    own: str,
) -> None:
    client = client_for(request.getfixturevalue(staff))
    family = families[own]

    response = client.get(f"/admin/families/family/{family.pk}/change/")

    assert response.status_code == 200
    assert attr(find(page(response), "input", name="nom"), "value") == family.nom


def test_a_change_of_another_site_is_refused(
    client_for: Callable[[User], Client], moissy_staff: User, dora: Family
) -> None:
    client = client_for(moissy_staff)

    client.post(
        f"/admin/families/family/{dora.pk}/change/",
        {"site": dora.site_id, "nom": "PIRATE", "prenom": "X"},
    )

    dora.refresh_from_db()
    assert dora.nom == "DUPONT"


def test_the_drop_downs_offer_only_the_staff_sites(
    client_for: Callable[[User], Client], moissy_staff: User, moissy: Site, boulogne: Site
) -> None:
    client = client_for(moissy_staff)

    for url in ("/admin/families/family/add/", "/admin/extranet/user/add/"):
        select = find(page(client.get(url)), "select", name="site")
        values = {attr(option, "value") for option in find_all(select, "option")} - {""}
        assert values == {str(moissy.pk)}, url


def test_the_autocomplete_finds_only_families_of_the_staff_sites(
    client_for: Callable[[User], Client], moissy_staff: User, alice: Family, dora: Family
) -> None:
    response = client_for(moissy_staff).get(
        "/admin/autocomplete/",
        {"app_label": "students", "model_name": "student", "field_name": "family", "term": ""},
    )

    assert response.status_code == 200
    found = {int(result["id"]) for result in response.json()["results"]}
    assert alice.pk in found
    assert dora.pk not in found


def test_the_site_list_shows_only_the_staff_sites(
    client_for: Callable[[User], Client], moissy_staff: User, moissy: Site, boulogne: Site
) -> None:
    sites = listed(client_for(moissy_staff).get("/admin/extranet/site/"), "extranet/site")

    assert sites == {moissy.pk}


def new_account(**fields: str) -> dict[str, str]:
    data = {
        "site": "",
        "username": "nouvelle.famille",
        "kind": User.Kind.FAMILY,
        "email": "nouvelle.famille@example.org",
        "first_name": "",
        "last_name": "",
        "usable_password": "false",
        "password1": "",
        "password2": "",
    }
    data.update(fields)
    return data


def test_the_secretariat_creates_family_and_teacher_accounts_of_its_site(
    client_for: Callable[[User], Client], moissy_staff: User, moissy: Site
) -> None:
    client = client_for(moissy_staff)

    response = client.post("/admin/extranet/user/add/", new_account(site=str(moissy.pk)))

    assert response.status_code == 302
    created = User.objects.get(username="nouvelle.famille")
    assert created.site == moissy
    assert created.kind == User.Kind.FAMILY
    assert not created.is_staff
    assert not created.is_superuser


def test_the_secretariat_cannot_create_an_account_on_another_site(
    client_for: Callable[[User], Client], moissy_staff: User, boulogne: Site
) -> None:
    response = client_for(moissy_staff).post(
        "/admin/extranet/user/add/", new_account(site=str(boulogne.pk))
    )

    assert response.status_code == 200
    assert not User.objects.filter(username="nouvelle.famille").exists()


def test_the_secretariat_cannot_create_a_staff_account(
    client_for: Callable[[User], Client], moissy_staff: User, moissy: Site
) -> None:
    client = client_for(moissy_staff)

    form = find(page(client.get("/admin/extranet/user/add/")), "select", name="kind")
    assert {attr(option, "value") for option in find_all(form, "option")} - {""} == {
        "family",
        "teacher",
    }
    response = client.post(
        "/admin/extranet/user/add/", new_account(site=str(moissy.pk), kind=User.Kind.STAFF)
    )

    assert response.status_code == 200
    assert not User.objects.filter(username="nouvelle.famille").exists()


def test_the_secretariat_cannot_create_a_superuser(
    client_for: Callable[[User], Client], moissy_staff: User, moissy: Site
) -> None:
    client = client_for(moissy_staff)
    form = page(client.get("/admin/extranet/user/add/"))
    assert find_all(form, "input", name="is_superuser") == []
    assert find_all(form, "input", name="is_staff") == []

    client.post(
        "/admin/extranet/user/add/",
        {**new_account(site=str(moissy.pk)), "is_superuser": "on", "is_staff": "on"},
    )

    created = User.objects.get(username="nouvelle.famille")
    assert not created.is_superuser
    assert not created.is_staff


def test_the_secretariat_cannot_make_an_account_staff(
    client_for: Callable[[User], Client], moissy_staff: User, alice: Family, moissy: Site
) -> None:
    client = client_for(moissy_staff)
    url = f"/admin/extranet/user/{account(alice).pk}/change/"
    form = page(client.get(url))
    assert find_all(form, "input", name="is_superuser") == []
    assert find_all(form, "input", name="is_staff") == []

    response = client.post(
        url,
        {
            "site": moissy.pk,
            "username": "alice",
            "kind": User.Kind.FAMILY,
            "first_name": "",
            "last_name": "",
            "email": "alice@example.org",
            "language": "fr",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "date_joined_0": "2026-09-01",
            "date_joined_1": "10:00:00",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(pk=account(alice).pk)
    assert not user.is_staff
    assert not user.is_superuser


def test_the_secretariat_cannot_open_a_staff_account(
    client_for: Callable[[User], Client], moissy_staff: User, superuser: User
) -> None:
    client = client_for(moissy_staff)

    for user in (superuser, moissy_staff):
        response = client.get(f"/admin/extranet/user/{user.pk}/change/", follow=True)
        assert find_all(page(response), "input", name="username") == []


def test_the_admin_action_sends_a_password_link(
    client_for: Callable[[User], Client],
    moissy_staff: User,
    alice: Family,
    bob: Family,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    UserFactory(site=alice.site, username="sans.email", email="")
    no_email = User.objects.get(username="sans.email")
    client = client_for(moissy_staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/extranet/user/",
            {
                "action": "send_password_link",
                "_selected_action": [account(alice).pk, account(bob).pk, no_email.pk],
            },
            follow=True,
        )

    assert response.status_code == 200
    assert "2 liens envoyés" in text(page(response))
    assert sorted(message.to[0] for message in mail.outbox) == [
        "alice@example.org",
        "bob@example.org",
    ]
    for message in mail.outbox:
        assert re.search(r"http://testserver/mot-de-passe/nouveau/[\w-]+/[\w-]+/", message.body)


def test_the_admin_action_ignores_accounts_of_another_site(
    client_for: Callable[[User], Client],
    charlie: User,
    alice: Family,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client_for(charlie).post(
            "/admin/extranet/user/",
            {"action": "send_password_link", "_selected_action": [account(alice).pk]},
        )

    assert mail.outbox == []


def test_the_email_outbox_is_for_superusers_only(
    moissy_staff: User, client_for: Callable[[User], Client]
) -> None:
    from extranet.models import OutboxMessage

    OutboxMessage.objects.create(to="x@example.org", subject="Secret", text_body="...")
    client = client_for(moissy_staff)
    assert client.get("/admin/extranet/outboxmessage/").status_code == 403
    assert not moissy_staff.has_perm("extranet.change_schoolyear")


def test_the_admin_pages_carry_the_portals_icon(
    moissy_staff: User, client_for: Callable[[User], Client]
) -> None:
    # Without it, every admin page asks for /favicon.ico, which the portal does not serve.
    html = client_for(moissy_staff).get("/admin/").content.decode()
    assert 'rel="icon"' in html and "favicon" in html
    assert "Secrétariat" in html  # The admin's own header is still there.
