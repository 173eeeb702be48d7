"""Helpers for the re-enrollment tests: the Réinscription form as the browser sends it, the
tab's tables as the family reads them, emails, and files as families send them."""

from __future__ import annotations

import html
import io
import threading
from collections.abc import Callable, Mapping
from typing import Any

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage
from django.db import connections
from django.http import HttpResponse
from django.test import Client
from PIL import Image
from pypdf import PdfWriter

from courses.models import Enrolment, Slot
from reenrollment import services
from reenrollment.models import Campaign, ReenrollmentRequest
from reenrollment.services import ChoiceInput
from students.models import Student
from tests.courses.helpers import rows, table_with
from tests.html import attr, elements, find, find_all, page, text

RULES = "Je reconnais avoir lu le règlement intérieur 2026-2027 du conservatoire."
BASE_URL = "http://testserver/"
ALICE_EMAIL = "test@example.org"
ACCEPT_REQUIRED = "Cochez « J'accepte » pour valider la réinscription."


def tab_url(student: Student) -> str:
    return f"/eleves/{student.pk}/reinscription/"


def form_data(
    choices: Mapping[Enrolment, str | None] | None = None,
    *,
    accept: bool = True,
    administrative: bool = False,
    comment: str = "",
) -> dict[str, str]:
    """What "Valider" sends: each course of `choices` ticked "Réinscrire", with the value
    picked in its "Cours disponible" list (a slot id, "wait:<id>", or None for no list)."""
    data = {"comment": comment}
    if accept:
        data["accept_rules"] = "on"
    if administrative:
        data["administrative"] = "on"
    for enrolment, value in (choices or {}).items():
        data[f"renew_{enrolment.pk}"] = "on"
        if value is not None:
            data[f"slot_{enrolment.pk}"] = value
    return data


def submit(
    client: Client,
    student: Student,
    choices: Mapping[Enrolment, str | None] | None = None,
    **options: Any,
) -> HttpResponse:
    return client.post(tab_url(student), form_data(choices, **options))


def renew(
    campaign: Campaign, enrolment: Enrolment, slot: Slot | None, *, waitlist: bool = False
) -> ReenrollmentRequest:
    """What Valider does for a pupil with one course, called as the view calls the service."""
    student = enrolment.student
    return services.reenrollment_submit(
        campaign=campaign,
        student=student,
        family=student.family,
        administrative=False,
        choices=[
            ChoiceInput(
                enrolment=enrolment,
                renew=True,
                slot_id=slot.pk if slot else None,
                waitlist=waitlist,
            )
        ],
        comment="",
        accept_rules=True,
        base_url=BASE_URL,
    )


def course_rows(response: HttpResponse) -> list[dict[str, str]]:
    """The table of this year's courses, as {column: text}."""
    return rows(table_with(response, "Cours disponible"))


def slot_options(response: HttpResponse, enrolment: Enrolment) -> list[tuple[str, str]]:
    """The "Cours disponible" list of a course: (value sent, label shown)."""
    select = find(page(response), "select", name=f"slot_{enrolment.pk}")
    return [(attr(option, "value") or "", text(option)) for option in find_all(select, "option")]


def chosen_slot(response: HttpResponse, enrolment: Enrolment) -> tuple[str | None, str | None]:
    """The slot a course's "Cours disponible" list shows as chosen, and the full label written
    under the list (the paragraph the list's aria-describedby points at): (label of the selected
    option, text under the list), each None when there is none or it is hidden."""
    html = page(response)
    select = find(html, "select", name=f"slot_{enrolment.pk}")
    selected = [
        text(option)
        for option in find_all(select, "option")
        if attr(option, "selected") is not None
    ]
    assert len(selected) <= 1, f"several options selected: {selected}"
    described_by = (attr(select, "aria-describedby") or "").split()
    [under] = [
        element
        for element in find_all(html, "p", class_="slot-chosen")
        if attr(element, "id") in described_by
    ]
    shown = text(under) if attr(under, "hidden") is None and text(under) else None
    return (selected[0] if selected else None), shown


def documents_table(response: HttpResponse, title: str) -> list[dict[str, str]]:
    """The rows of the documents table under the heading `title`."""
    after_title = False
    for element in elements(page(response)):
        if element.name == "h4" and text(element) == title:
            after_title = True
        elif after_title and element.name == "table":
            return rows(element)
    raise AssertionError(f"no table under {title!r}")


def has_table(response: HttpResponse, title: str) -> bool:
    return any(
        element.name == "h4" and text(element) == title for element in elements(page(response))
    )


def required_names(table: list[dict[str, str]]) -> list[str]:
    """The documents a table marks as required (an asterisk, "obligatoire" for screen readers)."""
    return [
        row["Nom du document"].removesuffix(" (obligatoire) *")
        for row in table
        if row["Nom du document"].endswith("(obligatoire) *")
    ]


def error_summary(response: HttpResponse) -> str:
    found = find_all(page(response), "div", class_="error-summary")
    return text(found[0]) if found else ""


def upload_error(response: HttpResponse, document_type_pk: int) -> str:
    """The refusal written under the "Importer" button of a document."""
    found = find_all(page(response), "p", id=f"file-{document_type_pk}-error")
    return text(found[0]) if found else ""


def as_read(email_text: str) -> str:
    """An email's subject or text part as a mail client shows it.

    The portal renders text emails through HTML-escaping templates, so an apostrophe arrives as
    "&#x27;" (test_outbox has a strict xfail for it); decoding here keeps the other email tests
    about their own subject, and makes them read right once that is fixed.
    """
    return html.unescape(email_text)


def mails_to(address: str) -> list[EmailMessage]:
    return [message for message in mail.outbox if address in message.to]


def pdf_bytes(pages: int = 1) -> bytes:
    """A PDF as office software writes one: A4 pages."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def uploaded(data: bytes, name: str, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type)


def jpeg_bytes(size: tuple[int, int] = (1200, 1600)) -> bytes:
    """A phone photo of a paper page: a JPEG with EXIF data (the camera's orientation)."""
    image = Image.new("RGB", size, "white")
    exif = Image.Exif()
    exif[0x0112] = 1  # Orientation: upright.
    exif[0x010F] = "PhoneMaker"  # Make.
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, exif=exif)
    return buffer.getvalue()


def run_concurrently(tasks: list[Callable[[], Any]]) -> list[Any]:
    """Run each task in a thread of its own, all released at once; return what each returned
    or raised. Each thread has its own database connection, closed when it ends."""
    barrier = threading.Barrier(len(tasks))
    results: list[Any] = [None] * len(tasks)

    def run(index: int, task: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = task()
        except BaseException as error:  # noqa: BLE001 (the test looks at every outcome)
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, task)) for i, task in enumerate(tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is still blocked"
    return results
