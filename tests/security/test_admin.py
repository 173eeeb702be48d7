"""The secretariat of one site reaches that site's data only, in every admin view of every
registered model and in the staff's own views (PDFs, files, invoicing); models of the whole
network are for superusers; nothing in the admin opens before the second factor."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import models
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django_otp.plugins.otp_totp.models import TOTPDevice

from courses.models import Enrolment
from extranet.models import OutboxMessage, User
from tests.security.admin_models import (
    NETWORK_WIDE,
    admin_url,
    label,
    registered,
    rows_of_site,
    scoped_models,
    superuser_models,
)
from tests.security.helpers import drained, form_fields, private_texts, sample_url, shows_any
from tests.security.routes import BY_KEY, CATCH_ALL, Access, routes, with_ids
from tests.security.snapshot import changes, db_state
from tests.security.world import Party, SiteData, World

pytestmark = pytest.mark.django_db

Login = Callable[[User], Client]

# (staff, the family whose site they attack): Boulogne's secretariat against Moissy's data.
# One direction is enough: the scope is the same code both ways (tests/extranet has the other).
ATTACKS = [("boulogne", "alice")]


def staff_and_victim(world: World, attack: tuple[str, str]) -> tuple[SiteData, Party]:
    site, victim = attack
    return getattr(world, site), getattr(world, victim)


def is_refused(response: Any) -> bool:
    """404, 403, or the admin's redirect to its index for an object it does not find."""
    drained(response)
    if response.status_code in (403, 404):
        return True
    return response.status_code == 302 and response["Location"] == "/admin/"


# The staff's own views ---------------------------------------------------------------------


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: "-".join(a))
@pytest.mark.parametrize("key", [route.key for route in with_ids(Access.STAFF)])
def test_staff_views_refuse_the_objects_of_another_site(
    login: Login, world: World, key: str, attack: tuple[str, str]
) -> None:
    route = BY_KEY[key]
    staff, victim = staff_and_victim(world, attack)
    client = login(staff.staff)
    urls = [route.url(victim, ids=ids) for ids in route.id_variants()]
    before = db_state()

    for url in urls:
        assert is_refused(client.get(url)), url
        for data in route.data(victim):
            assert is_refused(client.post(url, data)), url

    assert not changes(before, db_state())
    assert mail.outbox == []
    # The secretariat of the object's site opens them: the refusal is about the site.
    own = login(victim.site.staff)
    for url in urls:
        response = own.get(url)
        drained(response)
        assert response.status_code == 200, url


def test_the_secretariat_cannot_set_the_password_of_a_staff_account(
    login: Login, world: World
) -> None:
    client = login(world.moissy.staff)
    other_staff = world.boulogne.staff
    before = db_state()

    for user in (world.superuser, other_staff):
        url = f"/admin/extranet/user/{user.pk}/password/"
        assert is_refused(client.get(url))
        assert is_refused(
            client.post(url, {"password1": "Pirate-2026!", "password2": "Pirate-2026!"})
        )

    assert not changes(before, db_state())


def test_invoicing_refuses_another_site(login: Login, world: World) -> None:
    client = login(world.boulogne.staff)
    before = db_state()

    for data in BY_KEY["admin:billing_invoice_generate"].data(world.alice):
        response = client.post("/admin/billing/invoice/generer/", data)
        assert response.status_code == 200
        assert "site" in response.context["form"].errors

    assert not changes(before, db_state())


def test_the_unpaid_list_and_its_reminders_are_the_sites_own(login: Login, world: World) -> None:
    client = login(world.boulogne.staff)
    before = db_state()

    listed = client.get("/admin/billing/invoice/impayes/")
    reminded = client.post(
        "/admin/billing/invoice/impayes/",
        {"invoice": [world.alice.invoice.pk, world.bob.invoice.pk]},
    )

    assert listed.status_code == 200
    assert world.dora.invoice.number in listed.content.decode()
    assert shows_any(listed, private_texts(world.alice) + private_texts(world.bob)) == []
    assert reminded.status_code == 302
    assert not changes(before, db_state())
    assert mail.outbox == []


# Every registered model ----------------------------------------------------------------------


def as_user(user: User) -> HttpRequest:
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def victim_row(model: type[models.Model], party: Party) -> models.Model:
    """A row of the party's site that the site's own secretariat sees in the admin."""
    visible = registered()[model].get_queryset(as_user(party.site.staff))
    row = visible.filter(pk__in=rows_of_site(model, party.site.site)).order_by("pk").first()
    assert row is not None, f"tests/security/world.py makes no {label(model)} of a site"
    return row


def change_links(response: Any, model: type[models.Model]) -> set[int]:
    meta = model._meta
    pattern = rf'href="/admin/{meta.app_label}/{meta.model_name}/(\d+)/change/'
    return {int(pk) for pk in re.findall(pattern, response.content.decode())}


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: "-".join(a))
@pytest.mark.parametrize("model", scoped_models(), ids=label)
def test_admin_views_of_another_sites_rows_show_and_change_nothing(
    login: Login, world: World, model: type[models.Model], attack: tuple[str, str]
) -> None:
    staff, victim = staff_and_victim(world, attack)
    row = victim_row(model, victim)
    change = admin_url(model, "change", row.pk)
    # What the browser of the row's own secretariat would send back, unchanged: saving it
    # is a change (a history entry, a log entry) that must not happen.
    own = login(victim.site.staff)
    opened = own.get(change)
    assert opened.status_code == 200
    form = form_fields(opened, f"{model._meta.model_name}_form")
    client = login(staff.staff)
    before = db_state()

    for view in ("change", "delete", "history"):
        assert is_refused(client.get(admin_url(model, view, row.pk))), view
    assert is_refused(client.post(change, {**form, "_save": "Enregistrer"}))
    assert is_refused(client.post(admin_url(model, "delete", row.pk), {"post": "yes"}))

    assert not changes(before, db_state())


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: "-".join(a))
@pytest.mark.parametrize("model", scoped_models(), ids=label)
def test_admin_lists_show_the_staffs_own_site_only(
    login: Login, world: World, model: type[models.Model], attack: tuple[str, str]
) -> None:
    staff, victim = staff_and_victim(world, attack)
    row = victim_row(model, victim)
    others = [p for p in world.parties() if p.site is victim.site]
    client = login(staff.staff)
    url = admin_url(model, "changelist")

    # The list, and the list as the pop-up of a raw-id field opens it, filtered on the row.
    for query in ({}, {"_popup": "1", "_to_field": "id", "q": "", "pk__exact": row.pk}):
        response = client.get(url, query)
        assert response.status_code == 200, query
        assert row.pk not in change_links(response, model), query
        assert shows_any(response, [t for p in others for t in private_texts(p)]) == [], query

    assert row.pk in change_links(login(victim.site.staff).get(url), model)


def actions_of(model: type[models.Model], user: User) -> list[str]:
    return list(registered()[model].get_actions(as_user(user)))


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: "-".join(a))
@pytest.mark.parametrize("model", scoped_models(), ids=label)
def test_admin_actions_ignore_another_sites_rows(
    login: Login, world: World, model: type[models.Model], attack: tuple[str, str]
) -> None:
    staff, victim = staff_and_victim(world, attack)
    row = victim_row(model, victim)
    client = login(staff.staff)
    actions = actions_of(model, staff.staff)
    before = db_state()

    for action in actions:
        response = client.post(
            admin_url(model, "changelist"),
            {"action": action, "_selected_action": [row.pk], "post": "yes"},
        )
        assert response.status_code in (200, 302), action
        assert shows_any(response, private_texts(victim)) == [], action

    assert not changes(before, db_state())
    assert mail.outbox == []


def autocompletes() -> list[tuple[type[models.Model], str]]:
    """(model, field) of every autocomplete of the admin, inlines included."""
    found = set()
    for model, model_admin in registered().items():
        for name in model_admin.autocomplete_fields:
            found.add((model, name))
        for inline in model_admin.inlines:
            for name in inline.autocomplete_fields:
                found.add((inline.model, name))
    return sorted(found, key=lambda item: (label(item[0]), item[1]))


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: "-".join(a))
@pytest.mark.parametrize(
    ("model", "field_name"), autocompletes(), ids=lambda v: v if isinstance(v, str) else label(v)
)
def test_autocompletes_find_the_staffs_own_site_only(
    login: Login, world: World, model: type[models.Model], field_name: str, attack: tuple[str, str]
) -> None:
    staff, victim = staff_and_victim(world, attack)
    remote = model._meta.get_field(field_name).related_model
    assert remote is not None
    params = {
        "app_label": model._meta.app_label,
        "model_name": model._meta.model_name,
        "field_name": field_name,
    }

    def found(client: Client) -> set[str]:
        response = client.get("/admin/autocomplete/", {**params, "term": ""})
        assert response.status_code == 200
        return {result["id"] for result in response.json()["results"]}

    theirs = {str(pk) for pk in rows_of_site(remote, victim.site.site).values_list("pk", flat=True)}
    assert theirs
    assert found(login(staff.staff)).isdisjoint(theirs)
    assert found(login(victim.site.staff)) & theirs


def test_history_versions_of_another_sites_rows_are_not_found(login: Login, world: World) -> None:
    client = login(world.boulogne.staff)

    for row in (world.alice.family, world.alice.student):
        meta = row._meta
        version = row.history.order_by("history_id").first()  # type: ignore[attr-defined]
        url = f"/admin/{meta.app_label}/{meta.model_name}/{row.pk}/history/{version.history_id}/"
        assert is_refused(client.get(url)), url
        assert login(world.moissy.staff).get(url).status_code == 200


# The network's models ----------------------------------------------------------------------


def some_row(model: type[models.Model], world: World) -> models.Model | None:
    if label(model) == "extranet.outboxmessage":
        OutboxMessage.objects.create(to="x@example.org", subject="Secret", text_body="...")
    if label(model) == "otp_totp.totpdevice":
        TOTPDevice.objects.get_or_create(user=world.superuser, name="Téléphone", confirmed=True)
    return model._default_manager.order_by("pk").first()


@pytest.mark.parametrize("model", superuser_models(), ids=label)
def test_models_of_the_network_are_for_superusers_only(
    login: Login, world: World, model: type[models.Model]
) -> None:
    row = some_row(model, world)
    client = login(world.moissy.staff)
    before = db_state()

    assert client.get(admin_url(model, "changelist")).status_code == 403
    assert client.get(admin_url(model, "add")).status_code == 403
    assert client.post(admin_url(model, "add"), {"name": "Pirate"}).status_code == 403
    if row is not None:
        for view in ("change", "delete", "history"):
            assert client.get(admin_url(model, view, row.pk)).status_code == 403, view
        assert client.post(admin_url(model, "delete", row.pk), {"post": "yes"}).status_code == 403

    assert not changes(before, db_state())


@pytest.mark.parametrize("model_label", sorted(NETWORK_WIDE))
def test_the_secretariat_reads_network_wide_rows_without_changing_them(
    login: Login, world: World, model_label: str
) -> None:
    model = next(m for m in registered() if label(m) == model_label)
    row = model._default_manager.order_by("pk").first()
    assert row is not None
    client = login(world.moissy.staff)
    before = db_state()

    assert client.get(admin_url(model, "changelist")).status_code == 200
    assert client.get(admin_url(model, "add")).status_code == 403
    assert client.post(admin_url(model, "change", row.pk), {"label": "Pirate"}).status_code == 403
    assert client.post(admin_url(model, "delete", row.pk), {"post": "yes"}).status_code == 403

    assert not changes(before, db_state())


@pytest.mark.parametrize("view", ["config", "qrcode"])
def test_no_one_reads_a_second_factors_secret_in_the_admin(
    login: Login, world: World, view: str
) -> None:
    device, _created = TOTPDevice.objects.get_or_create(
        user=world.moissy.staff, name="Téléphone", confirmed=True
    )

    for user in (world.moissy.staff, world.superuser):
        client = login(user)
        assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/{view}/").status_code == 403
        assert client.get(f"/admin/otp_totp/totpdevice/{device.pk + 999}/{view}/").status_code in (
            403,
            404,
        )
    change = login(world.superuser).get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert device.key not in change.content.decode()


# The second factor -----------------------------------------------------------------------


ADMIN_PAGES = [r.key for r in routes(Access.ADMIN, Access.STAFF)] + [CATCH_ALL]


def admin_pages(world: World, *, every_view: bool = True) -> list[str]:
    """The admin's own pages, the staff views, and each model's list (and, with every_view,
    its other views on one of its rows)."""
    urls = [
        "/admin/pas-une-page/" if key == CATCH_ALL else sample_url(BY_KEY[key], world.alice)
        for key in ADMIN_PAGES
    ]
    for model in registered():
        urls.append(admin_url(model, "changelist"))
        row = model._default_manager.order_by("pk").first()
        if every_view:
            urls.append(admin_url(model, "add"))
            if row is not None:
                urls += [admin_url(model, v, row.pk) for v in ("change", "delete", "history")]
    return urls


@pytest.mark.parametrize("account", ["staff", "superuser"])
def test_nothing_in_the_admin_opens_before_the_second_factor(world: World, account: str) -> None:
    user = world.moissy.staff if account == "staff" else world.superuser
    client = Client()
    client.force_login(user)  # The password is right; no TOTP code yet.
    urls = admin_pages(world)
    before = db_state()

    for url in urls:
        # Redirects within the admin, then to the code page (not opened: it pairs a device).
        location = url
        for _hop in range(3):
            response = client.get(location)
            assert response.status_code == 302, url
            location = response["Location"]
            if not location.startswith("/admin/"):
                break
        assert location.startswith("/connexion/verification/"), url
        posted = client.post(url, {"post": "yes"})
        assert posted.status_code == 302, url
        # To the code, or to the admin's index (which asks for it, see above).
        location = posted["Location"]
        assert location == "/admin/" or location.startswith(
            ("/admin/login/?", "/connexion/verification/?")
        ), url

    assert not changes(before, db_state())


def test_the_second_factor_pages_open_before_it(world: World) -> None:
    client = Client()
    client.force_login(world.moissy.staff)

    assert client.get("/connexion/verification/configurer/").status_code == 200
    TOTPDevice.objects.filter(user=world.moissy.staff).update(confirmed=True)
    assert client.get("/connexion/verification/").status_code == 200


@pytest.mark.parametrize("account", ["family", "teacher"])
def test_families_and_teachers_never_reach_the_admin(
    login: Login, world: World, account: str
) -> None:
    user = world.alice.account if account == "family" else world.alice.teacher_account
    client = login(user)
    # The gate is the admin site's own (AdminSite.has_permission): the lists show it is
    # passed by no view; the second factor test above opens every view.
    urls = admin_pages(world, every_view=False)
    before = db_state()

    for url in urls:
        response = client.get(url, follow=True)
        assert response.request["PATH_INFO"] == "/connexion/", url
        assert client.post(url, {"post": "yes"}).status_code == 302, url
    for url in ("/connexion/verification/", "/connexion/verification/configurer/"):
        assert client.get(url).status_code == 404

    assert not changes(before, db_state())


# Drop-downs and autocompletes of the forms ---------------------------------------------------


def choice_fields(form: Any, parent: str | None = None) -> dict[str, Any]:
    """The fields that pick rows; an inline's link to its parent row is set by the admin, not
    picked (Django replaces it with the parent when it binds the formset)."""
    return {
        name: field
        for name, field in form.base_fields.items()
        if name != parent and getattr(field, "queryset", None) is not None
    }


@pytest.mark.parametrize("model", scoped_models(), ids=label)
def test_admin_forms_offer_the_staffs_own_site_only(
    world: World, model: type[models.Model]
) -> None:
    """Every drop-down of the add and change forms, inlines included: what the form accepts
    is its queryset, whatever the widget shows (an autocomplete only draws a search box)."""
    request = as_user(world.moissy.staff)
    model_admin = registered()[model]
    row = victim_row(model, world.alice)
    offered = []
    for obj in (None, row):
        forms: list[tuple[Any, str | None]] = [(model_admin.get_form(request, obj), None)]
        for inline in model_admin.get_inline_instances(request, obj):
            formset = inline.get_formset(request, obj)
            forms.append((formset.form, formset.fk.name))
        for form, parent in forms:
            for name, field in choice_fields(form, parent).items():
                remote = field.queryset.model
                if remote in registered() and label(remote) in {label(m) for m in scoped_models()}:
                    theirs = rows_of_site(remote, world.boulogne.site)
                    if field.queryset.filter(pk__in=theirs.values("pk")).exists():
                        offered.append(f"{form.__name__}.{name} ({'change' if obj else 'add'})")

    assert offered == [], "these fields accept another site's rows"


def test_a_slot_cannot_enrol_a_pupil_of_another_site(login: Login, world: World) -> None:
    client = login(world.moissy.staff)
    slot = world.alice.slot
    url = f"/admin/courses/slot/{slot.pk}/change/"
    page_data = form_fields(client.get(url), "slot_form")
    total = int(page_data["enrolments-TOTAL_FORMS"][0])

    def enrol(party: Party) -> Any:
        return client.post(
            url,
            {
                **page_data,
                "enrolments-TOTAL_FORMS": str(total + 1),
                f"enrolments-{total}-student": str(party.student.pk),
                f"enrolments-{total}-cycle": "Cycle 1",
                f"enrolments-{total}-active": "on",
                "_save": "Enregistrer",
            },
        )

    refused = enrol(world.dora)

    assert refused.status_code == 200  # The form again, with the error next to the field.
    assert not Enrolment.objects.filter(slot=slot, student=world.dora.student.pk).exists()
    # A pupil of the slot's own site is enrolled by the same form.
    assert enrol(world.bob).status_code == 302
    assert Enrolment.objects.filter(slot=slot, student=world.bob.student.pk).exists()


def test_the_view_on_site_shortcut_reveals_nothing_of_another_site(
    login: Login, world: World
) -> None:
    url = sample_url(BY_KEY["admin:view_on_site"], world.alice)

    response = login(world.boulogne.staff).get(url)

    assert response.status_code == 404
    assert shows_any(response, private_texts(world.alice)) == []
