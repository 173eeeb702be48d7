"""Addresses and checks shared by the security tests."""

from __future__ import annotations

import io
import zipfile
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.contrib.contenttypes.models import ContentType
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from families.models import Family
from tests.html import attr, elements, find_all, page, text
from tests.security.routes import Route
from tests.security.world import Party

LOGIN = "/connexion/"


def sample_url(route: Route, party: Party) -> str:
    """An address of the route about the party's objects (or the party's site)."""
    if route.key == "extranet:password_reset_confirm":
        uid = urlsafe_base64_encode(force_bytes(party.account.pk))
        return reverse(route.key, kwargs={"uidb64": uid, "token": "cqz4z1-0123456789abcdef"})
    if route.key == "admin:view_on_site":
        content_type = ContentType.objects.get_for_model(Family)
        return reverse(
            route.key, kwargs={"content_type_id": content_type.pk, "object_id": party.family.pk}
        )
    if route.key == "admin:app_list":
        return reverse(route.key, kwargs={"app_label": "families"})
    if route.key.startswith("admin:otp_totp_totpdevice_"):
        device, _created = TOTPDevice.objects.get_or_create(
            user=party.site.staff, defaults={"name": "Téléphone", "confirmed": True}
        )
        return reverse(route.key, kwargs={"pk": device.pk})
    return route.url(party)


def private_texts(party: Party) -> list[str]:
    """What a page must not show to anyone but the family, its teachers and its site's staff."""
    return [
        party.family.nom,
        party.family.email,
        party.student.prenom,
        party.invoice.number,
        party.teacher.nom,
        party.rental.instrument,
    ]


def drained(response: HttpResponseBase) -> bytes:
    """The body of an answer. A file is streamed: reading it to the end closes it, as a WSGI
    server does (never close() an answer in a test: it would close the database connection,
    and with it the transaction the test runs in, on PostgreSQL)."""
    if response.streaming:
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return bytes(response.content)  # type: ignore[attr-defined]


def readable(response: HttpResponseBase) -> str:
    """The text of an answer as a person reads it: a page, a PDF's text, a ZIP's files."""
    content = drained(response)
    kind = response.get("Content-Type", "")
    if kind.startswith("application/zip"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "\n".join(
                archive.read(name).decode(errors="replace") for name in archive.namelist()
            )
    if kind.startswith("application/pdf"):
        try:
            pages = PdfReader(io.BytesIO(content)).pages
            return "\n".join(page.extract_text() for page in pages)
        except PdfReadError:
            pass  # A file as a family sent it (the suite's is a minimal PDF): read its bytes.
    return content.decode(errors="replace")


def sent_to_login(response: HttpResponse, url: str) -> bool:
    """A redirect to the portal's login, coming back to `url` afterwards."""
    if response.status_code != 302:
        return False
    location = urlsplit(response["Location"])
    return location.path == LOGIN and parse_qs(location.query).get("next") == [url]


def shows_any(response: HttpResponseBase, texts: list[str]) -> list[str]:
    content = readable(response)
    return [text for text in texts if text in content]


def form_fields(response: HttpResponse, form_id: str) -> dict[str, Any]:
    """What the browser sends back from a form of the page, unchanged."""
    forms = find_all(page(response), "form", id=form_id)
    assert len(forms) == 1, f"no form {form_id!r} on the page"
    data: dict[str, list[str]] = {}
    for element in elements(forms[0]):
        name = attr(element, "name")
        if not name or name == "csrfmiddlewaretoken" or attr(element, "disabled") is not None:
            continue
        values = data.setdefault(name, [])
        if element.name == "input":
            kind = attr(element, "type") or "text"
            if kind in ("checkbox", "radio") and attr(element, "checked") is None:
                continue
            if kind in ("submit", "button", "file", "image"):
                continue
            values.append(attr(element, "value") or ("on" if kind == "checkbox" else ""))
        elif element.name == "textarea":
            values.append(text(element))
        elif element.name == "select":
            values += [
                attr(option, "value") or ""
                for option in find_all(element, "option")
                if attr(option, "selected") is not None
            ]
    return {name: values for name, values in data.items() if values}
