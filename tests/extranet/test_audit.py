"""The audit log: what staff do in the admin (adds, changes, deletes, accounts and their rights)
and their logins are written down; superusers read the log, nobody edits it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings

from courses.models import Department
from extranet.admin import AuditEntryAdmin
from extranet.admin_scope import AuditedAdmin
from extranet.audit import Action
from extranet.models import AuditEntry, Site, User
from families.models import Family
from tests.factories import PASSWORD, DepartmentFactory, UserFactory
from tests.html import attr, find, find_all, page, text

AUDIT = "/admin/extranet/auditentry/"
DEPARTMENTS = "/admin/courses/department/"


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


@pytest.fixture
def staff_client(client_for: Callable[[User], Client], moissy_staff: User) -> Client:
    return client_for(moissy_staff)


@pytest.fixture
def superuser_client(client_for: Callable[[User], Client], superuser: User) -> Client:
    return client_for(superuser)


@pytest.fixture
def strings(moissy: Site) -> Department:
    return DepartmentFactory(site=moissy, name="Cordes")


# Records edited in the admin ------------------------------------------------------------------


def test_a_record_added_in_the_admin_is_logged_with_its_author_site_and_address(
    staff_client: Client, moissy_staff: User, moissy: Site
) -> None:
    response = staff_client.post(
        f"{DEPARTMENTS}add/", {"site": moissy.pk, "name": "Vents"}, REMOTE_ADDR="192.0.2.7"
    )

    assert response.status_code == 302
    department = Department.objects.get(name="Vents")
    [entry] = entries(Action.ADMIN_ADD)
    assert (entry.actor, entry.site, entry.object_type, entry.object_id, entry.object_repr) == (
        moissy_staff,
        moissy,
        "courses.department",
        str(department.pk),
        "Vents",
    )
    assert entry.actor_name == "secretariat.moissy (Moissy-Cramayel)"
    assert entry.ip_address == "192.0.2.7"
    assert entry.request_id == response["X-Request-ID"]
    assert entry.details == {"message": [{"added": {}}]}


def test_an_address_a_proxy_garbled_is_left_out_without_failing_the_change(
    staff_client: Client, moissy: Site, settings: Settings
) -> None:
    settings.PROXY_COUNT = 1

    response = staff_client.post(
        f"{DEPARTMENTS}add/",
        {"site": moissy.pk, "name": "Vents"},
        HTTP_X_FORWARDED_FOR="pas-une-adresse",
    )

    assert response.status_code == 302
    [entry] = entries(Action.ADMIN_ADD)
    assert entry.ip_address is None


def test_a_change_in_the_admin_names_the_fields_changed(
    staff_client: Client, moissy_staff: User, strings: Department
) -> None:
    response = staff_client.post(
        f"{DEPARTMENTS}{strings.pk}/change/", {"site": strings.site_id, "name": "Cordes frottées"}
    )

    assert response.status_code == 302
    [entry] = entries(Action.ADMIN_CHANGE)
    assert (entry.actor, entry.object_id, entry.object_repr) == (
        moissy_staff,
        str(strings.pk),
        "Cordes frottées",
    )
    assert entry.details == {"message": [{"changed": {"fields": ["Nom"]}}]}


def test_a_deletion_in_the_admin_keeps_the_name_of_what_was_deleted(
    staff_client: Client, moissy_staff: User, moissy: Site, strings: Department
) -> None:
    pk = strings.pk

    response = staff_client.post(f"{DEPARTMENTS}{pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Department.objects.filter(pk=pk).exists()
    [entry] = entries(Action.ADMIN_DELETE)
    assert (entry.actor, entry.site, entry.object_id, entry.object_repr) == (
        moissy_staff,
        moissy,
        str(pk),
        "Cordes",
    )


def test_deleting_several_records_at_once_logs_each_one(
    staff_client: Client, moissy: Site, strings: Department
) -> None:
    brass = DepartmentFactory(site=moissy, name="Cuivres")

    response = staff_client.post(
        DEPARTMENTS,
        {"action": "delete_selected", "_selected_action": [strings.pk, brass.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert not Department.objects.exists()
    assert sorted(e.object_repr for e in entries(Action.ADMIN_DELETE)) == ["Cordes", "Cuivres"]


def test_a_refused_form_logs_nothing(staff_client: Client, boulogne: Site) -> None:
    # Boulogne is not among the sites this secretariat manages: the form refuses it.
    response = staff_client.post(f"{DEPARTMENTS}add/", {"site": boulogne.pk, "name": "Vents"})

    assert response.status_code == 200
    assert not AuditEntry.objects.exclude(action=Action.LOGIN).exists()


def test_every_model_of_the_admin_is_audited() -> None:
    unaudited = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, AuditedAdmin | AuditEntryAdmin)
    ]

    assert unaudited == []
    assert isinstance(admin.site.get_model_admin(Group), AuditedAdmin)


def test_a_superuser_deleting_a_second_factor_is_logged(
    superuser_client: Client, superuser: User, moissy_staff: User
) -> None:
    device = TOTPDevice.objects.create(user=moissy_staff, name="Téléphone", confirmed=True)

    response = superuser_client.post(
        f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    [entry] = entries(Action.ADMIN_DELETE)
    assert (entry.actor, entry.object_type, entry.object_id) == (
        superuser,
        "otp_totp.totpdevice",
        str(device.pk),
    )


# Accounts -------------------------------------------------------------------------------------


def test_an_account_created_in_the_admin_is_logged_as_such(
    staff_client: Client, moissy_staff: User, moissy: Site
) -> None:
    response = staff_client.post(
        "/admin/extranet/user/add/",
        {
            "site": moissy.pk,
            "username": "nouvelle.famille",
            "kind": User.Kind.FAMILY,
            "email": "nouvelle@example.org",
            "usable_password": "false",
        },
    )

    assert response.status_code == 302
    account = User.objects.get(username="nouvelle.famille")
    [entry] = entries(Action.ACCOUNT_CREATED)
    assert (entry.actor, entry.site, entry.object_id) == (moissy_staff, moissy, str(account.pk))
    assert not entries(Action.ADMIN_ADD)


def test_a_change_of_rights_is_logged_with_the_values_before_and_after(
    superuser_client: Client, superuser: User, charlie: User, moissy: Site, boulogne: Site
) -> None:
    form = superuser_client.get(f"/admin/extranet/user/{charlie.pk}/change/")
    data = {
        "site": boulogne.pk,
        "username": "charlie",
        "kind": User.Kind.STAFF,
        "email": charlie.email,
        "language": "fr",
        "is_active": "on",
        "is_staff": "on",
        "staff_sites": [boulogne.pk, moissy.pk],
        "groups": [g.pk for g in charlie.groups.all()],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "01/09/2025",
        "date_joined_1": "10:00:00",
    }
    assert form.status_code == 200

    response = superuser_client.post(f"/admin/extranet/user/{charlie.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert set(charlie.staff_sites.all()) == {boulogne, moissy}
    [entry] = entries(Action.ACCOUNT_RIGHTS_CHANGED)
    assert (entry.actor, entry.object_id) == (superuser, str(charlie.pk))
    assert entry.details == {
        "changes": {
            "staff_sites": {
                "before": ["Boulogne-Billancourt"],
                "after": ["Boulogne-Billancourt", "Moissy-Cramayel"],
            }
        }
    }
    [change] = entries(Action.ADMIN_CHANGE)
    assert "Sites gérés" in change.details["message"][0]["changed"]["fields"]
    shown = superuser_client.get(f"{AUDIT}{entry.pk}/change/")
    assert text(find(page(shown), "dl")) == (
        "changements sites gérés : Boulogne-Billancourt → Boulogne-Billancourt, Moissy-Cramayel"
    )


def test_a_password_link_sent_by_the_secretariat_is_logged(
    staff_client: Client, moissy_staff: User, alice: Family
) -> None:
    response = staff_client.post(
        "/admin/extranet/user/",
        {"action": "send_password_link", "_selected_action": [alice.account_id]},
    )

    assert response.status_code == 302
    [entry] = entries(Action.PASSWORD_LINK_SENT)
    assert (entry.actor, entry.object_id) == (moissy_staff, str(alice.account_id))


# Logins -------------------------------------------------------------------------------------


def log_in(client: Client, site: Site, username: str, password: str) -> None:
    client.post(
        "/connexion/",
        {"site": site.pk, "username": username, "password": password},
        REMOTE_ADDR="198.51.100.4",
    )


def test_a_staff_login_is_logged_with_its_address(
    client: Client, moissy_staff: User, moissy: Site
) -> None:
    log_in(client, moissy, "secretariat.moissy", PASSWORD)

    [entry] = entries(Action.LOGIN)
    assert (entry.actor, entry.site, entry.ip_address) == (moissy_staff, moissy, "198.51.100.4")


def test_a_failed_login_on_a_staff_account_is_logged_without_an_author(
    client: Client, moissy_staff: User, moissy: Site
) -> None:
    log_in(client, moissy, "SECRETARIAT.moissy", "pas le bon")

    [entry] = entries(Action.LOGIN_FAILED)
    assert (entry.actor, entry.object_id, entry.site, entry.ip_address) == (
        None,
        str(moissy_staff.pk),
        moissy,
        "198.51.100.4",
    )


def test_families_logins_and_unknown_identifiants_are_not_logged(
    client: Client, alice: Family, moissy: Site
) -> None:
    log_in(client, moissy, "alice", PASSWORD)
    log_in(Client(), moissy, "alice", "pas le bon")
    log_in(Client(), moissy, "inconnu", "pas le bon")

    assert not AuditEntry.objects.exists()


# Rollback -------------------------------------------------------------------------------------


def test_an_entry_goes_with_the_change_it_describes(
    staff_client: Client, moissy: Site, alice: Family
) -> None:
    # A change rolled back after its entry was written takes the entry with it.
    class Undone(Exception):
        pass

    with pytest.raises(Undone), transaction.atomic():
        staff_client.post(f"{DEPARTMENTS}add/", {"site": moissy.pk, "name": "Vents"})
        assert entries(Action.ADMIN_ADD)
        raise Undone

    assert not Department.objects.exists()
    assert not entries(Action.ADMIN_ADD)


# Reading the log -------------------------------------------------------------------------------


def test_the_log_is_for_superusers_only(
    staff_client: Client, superuser_client: Client, strings: Department
) -> None:
    staff_client.post(
        f"{DEPARTMENTS}{strings.pk}/change/", {"site": strings.site_id, "name": "Cordes 2"}
    )
    entry = entries(Action.ADMIN_CHANGE)[0]

    index = staff_client.get("/admin/")
    assert AUDIT not in index.content.decode()
    assert staff_client.get(AUDIT).status_code == 403
    assert staff_client.get(f"{AUDIT}{entry.pk}/change/").status_code == 403

    index = superuser_client.get("/admin/")
    assert f'href="{AUDIT}"' in index.content.decode()
    assert superuser_client.get(AUDIT).status_code == 200


def test_nobody_adds_changes_or_deletes_an_entry(
    superuser_client: Client, staff_client: Client, strings: Department
) -> None:
    staff_client.post(
        f"{DEPARTMENTS}{strings.pk}/change/", {"site": strings.site_id, "name": "Cordes 2"}
    )
    entry = entries(Action.ADMIN_CHANGE)[0]

    assert superuser_client.get(f"{AUDIT}add/").status_code == 403
    changed = superuser_client.post(f"{AUDIT}{entry.pk}/change/", {"action": "admin.delete"})
    deleted = superuser_client.post(f"{AUDIT}{entry.pk}/delete/", {"post": "yes"})
    bulk = superuser_client.post(
        AUDIT, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    )

    assert changed.status_code == 403
    assert deleted.status_code == 403
    assert bulk.status_code == 200
    entry.refresh_from_db()
    assert entry.action == Action.ADMIN_CHANGE
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def rows(response: object) -> list[dict[str, str]]:
    table = find(page(response), "table", id="result_list")  # type: ignore[arg-type]
    headers = [text(th) for th in find_all(find(table, "thead"), "th")]
    return [
        dict(
            zip(
                headers, [text(cell) for cell in row.children if hasattr(cell, "name")], strict=True
            )
        )
        for row in find_all(find(table, "tbody"), "tr")
    ]


def test_the_list_reads_in_french_and_links_to_objects_still_there(
    superuser_client: Client, staff_client: Client, moissy: Site, strings: Department
) -> None:
    brass = DepartmentFactory(site=moissy, name="Cuivres")
    staff_client.post(f"{DEPARTMENTS}{strings.pk}/change/", {"site": moissy.pk, "name": "Cordes 2"})
    staff_client.post(f"{DEPARTMENTS}{brass.pk}/delete/", {"post": "yes"})

    response = superuser_client.get(AUDIT)

    listed = rows(response)
    assert [(r["Action"], r["Objet"], r["Site"]) for r in listed[:2]] == [
        ("Suppression dans l'administration", "département : Cuivres", "Moissy-Cramayel"),
        ("Modification dans l'administration", "département : Cordes 2", "Moissy-Cramayel"),
    ]
    links = [attr(a, "href") for a in find_all(page(response), "a")]
    assert f"{DEPARTMENTS}{strings.pk}/change/" in links
    assert f"{DEPARTMENTS}{brass.pk}/change/" not in links


def test_the_detail_page_shows_the_details_in_words(
    superuser_client: Client, staff_client: Client, strings: Department
) -> None:
    staff_client.post(
        f"{DEPARTMENTS}{strings.pk}/change/", {"site": strings.site_id, "name": "Cordes 2"}
    )
    entry = entries(Action.ADMIN_CHANGE)[0]

    response = superuser_client.get(f"{AUDIT}{entry.pk}/change/")

    assert response.status_code == 200
    details = text(find(page(response), "dl"))
    assert details == "modifications Modification de Nom."


def test_the_log_is_searched_by_author_and_filtered_by_action(
    superuser_client: Client, staff_client: Client, charlie: User, strings: Department
) -> None:
    staff_client.post(
        f"{DEPARTMENTS}{strings.pk}/change/", {"site": strings.site_id, "name": "Cordes 2"}
    )

    by_author = rows(superuser_client.get(AUDIT, {"q": "secretariat.moissy"}))
    by_action = rows(superuser_client.get(AUDIT, {"action": Action.ADMIN_CHANGE.value}))
    nobody = superuser_client.get(AUDIT, {"q": "charlie\x00"})

    assert {r["Action"] for r in by_author} == {
        "Connexion du personnel",
        "Modification dans l'administration",
    }
    assert [r["Action"] for r in by_action] == ["Modification dans l'administration"]
    assert nobody.status_code == 200


def test_the_list_costs_the_same_queries_for_few_or_many_entries(
    superuser_client: Client,
    moissy: Site,
    moissy_staff: User,
    django_assert_max_num_queries: Callable,
) -> None:
    def log(count: int) -> None:
        for index in range(count):
            department = DepartmentFactory(site=moissy, name=f"Département {index}")
            account = UserFactory(site=moissy)
            for obj in (department, account):
                AuditEntry.objects.create(
                    actor=moissy_staff,
                    site=moissy,
                    action=Action.ADMIN_CHANGE,
                    object_type=obj._meta.label_lower,
                    object_id=str(obj.pk),
                    object_repr=str(obj),
                )

    log(2)
    superuser_client.get(AUDIT)
    with django_assert_max_num_queries(20) as few:
        superuser_client.get(AUDIT)
    log(40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = superuser_client.get(AUDIT)

    assert len(rows(response)) == 84 + 1  # The superuser's own login is one more.
