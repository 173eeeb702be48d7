"""Every route of the portal, classified by who may use it, with what the suite needs to attack
it: the ids in its address (taken from a family's objects) and a form that would change
something if it got through.

A route that the URL resolver knows and this table does not fails test_inventory: nobody adds
a page without saying who may open it, so that every test of this folder covers it at once.
The standard views of the admin (list, add, change, delete, history of each registered model)
are covered model by model instead (see admin_models.py).
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.contrib.admin.sites import site as admin_site
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from courses.models import AbsenceReason
from tests.factories import PASSWORD
from tests.pages import family_form_data, student_form_data
from tests.reenrollment.helpers import pdf_bytes
from tests.security.world import Party


class Access(StrEnum):
    PUBLIC = "anyone, about no one in particular"
    TOKEN = "whoever holds the secret in the address or the signature"
    ACCOUNT = "any logged-in account, about itself"
    FAMILY = "the family account the objects belong to"
    TEACHER = "the teacher of the slot"
    STAFF_LOGIN = "a staff member between the password and the second factor"
    ADMIN = "staff with the second factor: the admin's own pages"
    STAFF = "staff with the second factor, for the objects of their sites"


Data = Callable[[Party], list[dict[str, Any]]]


@dataclass(frozen=True)
class Route:
    """`ids` maps each argument of the address to a path in a Party ("enrolment" gives the
    enrolment's pk, "choice.offer_token" that attribute); an empty path is an id of no family's
    (a device, an app's name), built by helpers.sample_url. `forms` gives, for a party, the
    forms that would act on its objects; a route without forms is attacked with an empty POST."""

    key: str
    access: Access
    ids: Mapping[str, str] = field(default_factory=dict)
    forms: Data | None = None
    # Answers GET only with 405 (require_POST): nothing to read there.
    post_only: bool = False
    # Exempt from CSRF on purpose; the test checks what protects it instead.
    csrf_exempt: bool = False

    def url(self, *parties: Party, ids: Mapping[str, str] | None = None) -> str:
        """The address, each id taken from the party at the same position (the last one for
        the rest): url(alice) is alice's, url(alice, bob) mixes alice's student with bob's
        document. "a|b" in `ids` names two kinds of objects: the first one unless `ids`
        (one of id_variants()) says otherwise."""
        values = {}
        for index, (name, path) in enumerate((ids or self.ids).items()):
            party = parties[min(index, len(parties) - 1)]
            values[name] = value_at(party, path.split("|")[0])
        if self.key.startswith("admin/"):
            return "/" + self.key
        return reverse(self.key, kwargs=values or None)

    def id_variants(self) -> list[dict[str, str]]:
        """One `ids` per kind of object each id may name."""
        names = list(self.ids)
        options = [self.ids[name].split("|") for name in names]
        return [dict(zip(names, chosen, strict=True)) for chosen in itertools.product(*options)]

    def data(self, party: Party) -> list[dict[str, Any]]:
        return self.forms(party) if self.forms else [{}]


def value_at(party: Party, path: str) -> Any:
    value: Any = party
    for name in path.split("."):
        value = getattr(value, name)
    return value.pk if isinstance(value, models.Model) else value


# Forms as the browser sends them --------------------------------------------------------


def _coming_lesson(party: Party) -> str:
    today = timezone.localdate()
    return next(d for d in party.slot.lesson_dates() if d >= today).isoformat()


def _past_lesson(party: Party) -> str:
    today = timezone.localdate()
    return [d for d in party.slot.lesson_dates() if d < today][-1].isoformat()


def pdf_upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("piece.pdf", pdf_bytes(), "application/pdf")


def login_form(p: Party) -> list[dict[str, Any]]:
    return [{"site": str(p.site.site.pk), "username": p.account.username, "password": PASSWORD}]


def password_lost_form(p: Party) -> list[dict[str, Any]]:
    return [{"username": p.account.username, "email": p.account.email}]


def password_change_form(p: Party) -> list[dict[str, Any]]:
    new = "Pirate-2026-mot-de-passe!"
    return [{"old_password": PASSWORD, "new_password1": new, "new_password2": new}]


def text_size_form(p: Party) -> list[dict[str, Any]]:
    return [{"size": "large"}]


def language_form(p: Party) -> list[dict[str, Any]]:
    return [{"language": "en", "next": "/"}]


def code_form(p: Party) -> list[dict[str, Any]]:
    return [{"code": "123456"}]


def identity_form(p: Party) -> list[dict[str, Any]]:
    return [student_form_data(p.student, nom="PIRATE", prenom="Pirate")]


def family_form(p: Party) -> list[dict[str, Any]]:
    return [family_form_data(p.family, nom="PIRATE", profession="Pirate")]


def absence_form(p: Party) -> list[dict[str, Any]]:
    return [{"date": _coming_lesson(p), "reason": AbsenceReason.values[0], "comment": "Pirate"}]


def reenrollment_form(p: Party) -> list[dict[str, Any]]:
    e = p.enrolment.pk
    return [
        {
            f"renew_{e}": "on",
            f"slot_{e}": str(p.site.next_slot.pk),
            "accept_rules": "on",
            "administrative": "on",
            "comment": "Pirate",
        }
    ]


def upload_form(p: Party) -> list[dict[str, Any]]:
    return [{"files": pdf_upload()}]


def offer_form(p: Party) -> list[dict[str, Any]]:
    return [{"answer": "accept"}, {"answer": "decline"}]


def pay_form(p: Party) -> list[dict[str, Any]]:
    return [{"instalments": "1"}]


def roll_form(p: Party) -> list[dict[str, Any]]:
    e = p.enrolment.pk
    return [{"date": _past_lesson(p), f"status_{e}": "late", f"justified_{e}": "on"}]


def evaluations_form(p: Party) -> list[dict[str, Any]]:
    e = p.enrolment.pk
    today = timezone.localdate().isoformat()
    return [
        {
            "type_evaluation": "Pirate",
            "date": today,
            "type_critere": "Contrôle",
            "note_sur": "5",
            f"note_{e}": "1",
            f"appreciation_{e}": "Pirate",
        }
    ]


def pupil_forms(p: Party) -> list[dict[str, Any]]:
    e = p.enrolment.pk
    return [
        {"action": "evaluation", **evaluations_form(p)[0]},
        {
            "action": "results",
            "moyenne": "1",
            "moyenne_sur": "5",
            "moyenne_lettree": "E",
            "mention": "Pirate",
            "resultat": "Refusé",
            "admission": "",
        },
        {"action": "repertoire", "composer": "Pirate", "title": "Pirate", "status": "acquis"},
        {"action": "repertoire_delete", "entry": str(p.repertoire.pk)},
        {f"note_{e}": "0"},
    ]


def credit_note_form(p: Party) -> list[dict[str, Any]]:
    return [{"amount": "50.00", "reason": "Pirate"}]


def unpaid_form(p: Party) -> list[dict[str, Any]]:
    return [{"invoice": [str(p.invoice.pk)]}]


def generate_form(p: Party) -> list[dict[str, Any]]:
    data = {
        "site": str(p.site.site.pk),
        "school_year": str(p.invoice.school_year_id),
        "label": "Pirate",
        "due_date": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
        "instalments": "1",
    }
    return [data, {**data, "issue": "1"}]


# The table --------------------------------------------------------------------------------

ROUTES = [
    # The portal's shell: public pages, login, password.
    Route("extranet:landing", Access.PUBLIC),
    Route("extranet:login", Access.PUBLIC, forms=login_form),
    Route("extranet:logout", Access.PUBLIC, post_only=True),
    Route("extranet:home", Access.ACCOUNT),
    Route("extranet:password_lost", Access.PUBLIC, forms=password_lost_form),
    Route("extranet:password_lost_sent", Access.PUBLIC),
    Route("extranet:password_reset_confirm", Access.TOKEN, ids={"uidb64": "", "token": ""}),
    Route("extranet:password_reset_complete", Access.PUBLIC),
    Route("extranet:password_change", Access.ACCOUNT, forms=password_change_form),
    Route("extranet:otp_verify", Access.STAFF_LOGIN, forms=code_form),
    Route("extranet:otp_setup", Access.STAFF_LOGIN, forms=code_form),
    Route("extranet:accessibility", Access.PUBLIC),
    Route("extranet:text_size", Access.PUBLIC, forms=text_size_form, post_only=True),
    Route("extranet:legal", Access.PUBLIC),
    Route("extranet:health", Access.PUBLIC),
    Route("extranet:ready", Access.PUBLIC),
    Route("set_language", Access.PUBLIC, forms=language_form, post_only=True),
    Route("reenrollment:pre_registration", Access.PUBLIC),
    Route("reenrollment:pre_registration_sent", Access.PUBLIC),
    Route("billing:simulator", Access.PUBLIC),
    # Family pages.
    Route("families:home", Access.FAMILY),
    Route("families:family", Access.FAMILY, forms=family_form),
    Route("families:my_data", Access.FAMILY),
    Route("families:my_data_archive", Access.FAMILY),
    Route("students:index", Access.FAMILY),
    Route("students:identity", Access.FAMILY, ids={"pk": "student"}, forms=identity_form),
    Route("courses:courses", Access.FAMILY, ids={"pk": "student"}),
    Route(
        "courses:follow_up",
        Access.FAMILY,
        ids={"pk": "student", "enrolment_pk": "enrolment"},
        forms=absence_form,
    ),
    Route("courses:history", Access.FAMILY, ids={"pk": "student"}),
    Route(
        "courses:history_follow_up",
        Access.FAMILY,
        ids={"pk": "student", "enrolment_pk": "enrolment"},
        forms=absence_form,
    ),
    Route("courses:repertoire", Access.FAMILY, ids={"pk": "student"}),
    Route("courses:calendar_renew", Access.FAMILY, ids={"pk": "student"}, post_only=True),
    Route("courses:timetable", Access.FAMILY),
    Route("reenrollment:tab", Access.FAMILY, ids={"pk": "student"}, forms=reenrollment_form),
    Route(
        "reenrollment:upload",
        Access.FAMILY,
        ids={"pk": "student", "type_pk": "site.student_piece|site.family_piece"},
        forms=upload_form,
        post_only=True,
    ),
    Route("reenrollment:documents", Access.FAMILY, ids={"pk": "student"}),
    Route(
        "reenrollment:document",
        Access.FAMILY,
        ids={"pk": "student", "doc_pk": "student_document|family_document"},
    ),
    Route(
        "reenrollment:delete",
        Access.FAMILY,
        ids={"pk": "student", "doc_pk": "student_document|family_document"},
        post_only=True,
    ),
    Route(
        "reenrollment:offer", Access.FAMILY, ids={"token": "choice.offer_token"}, forms=offer_form
    ),
    Route("billing:index", Access.FAMILY),
    Route("billing:invoice_pdf", Access.FAMILY, ids={"pk": "invoice"}),
    Route("billing:receipt_pdf", Access.FAMILY, ids={"pk": "payment"}),
    Route("billing:pay", Access.FAMILY, ids={"pk": "invoice"}, forms=pay_form, post_only=True),
    Route("billing:payment_return", Access.FAMILY, ids={"order_id": "transaction.order_id"}),
    # Secrets in the address, signatures.
    Route("courses:calendar_feed", Access.TOKEN, ids={"token": "feed.token"}),
    Route("billing:ipn", Access.TOKEN, post_only=True, csrf_exempt=True),
    Route("billing:test_gateway", Access.TOKEN, csrf_exempt=True),
    # Teacher pages.
    Route("courses:teacher_week", Access.TEACHER),
    Route("courses:slot_roll", Access.TEACHER, ids={"pk": "slot"}, forms=roll_form),
    Route("courses:slot_evaluations", Access.TEACHER, ids={"pk": "slot"}, forms=evaluations_form),
    Route(
        "courses:teacher_pupil",
        Access.TEACHER,
        ids={"enrolment_pk": "enrolment"},
        forms=pupil_forms,
    ),
    # The admin site's own pages.
    Route("admin/login/", Access.PUBLIC),  # The portal's login, then the second factor.
    Route("admin:index", Access.ADMIN),
    Route("admin:login", Access.ADMIN),
    Route("admin:logout", Access.ADMIN),
    Route("admin:password_change", Access.ADMIN),
    Route("admin:password_change_done", Access.ADMIN),
    Route("admin:autocomplete", Access.ADMIN),
    Route("admin:jsi18n", Access.ADMIN),
    Route("admin:view_on_site", Access.ADMIN, ids={"content_type_id": "", "object_id": ""}),
    Route("admin:app_list", Access.ADMIN, ids={"app_label": ""}),
    # Staff views of the admin beyond the standard ones, on the objects of one site.
    Route("admin:billing_invoice_pdf", Access.STAFF, ids={"pk": "invoice"}),
    Route(
        "admin:billing_invoice_credit", Access.STAFF, ids={"pk": "invoice"}, forms=credit_note_form
    ),
    Route("admin:billing_invoice_generate", Access.STAFF, forms=generate_form),
    Route("admin:billing_invoice_unpaid", Access.STAFF, forms=unpaid_form),
    Route("admin:billing_payment_pdf", Access.STAFF, ids={"pk": "payment"}),
    Route(
        "admin:reenrollment_document_file",
        Access.STAFF,
        ids={"pk": "student_document|family_document"},
    ),
    Route(
        "admin:reenrollment_preregistrationdocument_file",
        Access.STAFF,
        ids={"pk": "site.pre_registration_document"},
    ),
    Route("admin:auth_user_password_change", Access.STAFF, ids={"id": "account"}),
    # django-otp's pages on a staff member's device: superusers only (see test_admin).
    Route("admin:otp_totp_totpdevice_config", Access.STAFF, ids={"pk": ""}),
    Route("admin:otp_totp_totpdevice_qrcode", Access.STAFF, ids={"pk": ""}),
]
BY_KEY = {route.key: route for route in ROUTES}
# The admin's last pattern: any other address under /admin/ (404, or the login when logged out).
CATCH_ALL = "admin/(?P<url>.*)$"
STANDARD_ADMIN_VIEWS = ("changelist", "add", "change", "delete", "history")


def routes(*accesses: Access) -> list[Route]:
    return [route for route in ROUTES if route.access in accesses]


def with_ids(*accesses: Access) -> list[Route]:
    """The routes of these kinds whose address holds ids taken from a family's objects."""
    return [r for r in routes(*accesses) if r.ids and all(r.ids.values())]


@dataclass(frozen=True)
class ResolvedRoute:
    key: str
    pattern: str
    callback: Callable[..., Any]


def _walk(
    patterns: list[URLPattern | URLResolver], prefix: str, namespace: str
) -> Iterator[ResolvedRoute]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        else:
            pattern = prefix + str(entry.pattern)
            if entry.name:
                key = f"{namespace}:{entry.name}" if namespace else entry.name
            else:
                key = pattern
            yield ResolvedRoute(key, pattern, entry.callback)


def resolver_routes() -> list[ResolvedRoute]:
    return list(_walk(get_resolver().url_patterns, "", ""))


def standard_admin_keys() -> set[str]:
    """The list, add, change, delete and history views of every registered model, the
    address without a view name that redirects to the change page, and the past versions of
    the models with simple-history."""
    keys = set()
    for model, model_admin in admin_site._registry.items():
        app, name = model._meta.app_label, model._meta.model_name
        keys |= {f"admin:{app}_{name}_{view}" for view in STANDARD_ADMIN_VIEWS}
        keys.add(f"admin/{app}/{name}/<path:object_id>/")
        if isinstance(model_admin, SimpleHistoryAdmin):
            keys.add(f"admin:{app}_{name}_simple_history")  # One past version of a row.
    return keys
