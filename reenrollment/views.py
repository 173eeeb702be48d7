"""The Réinscription and Documents fournis tabs, document files, waiting-list offers."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import SuspiciousFileOperation
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from extranet.decorators import family_required
from extranet.models import User
from families.models import Family
from reenrollment import selectors, services
from reenrollment.forms import (
    ChildFormSet,
    PreRegistrationDocumentsForm,
    PreRegistrationForm,
    ReenrollmentForm,
    UploadForm,
)
from reenrollment.models import Choice, Document, DocumentType, PreRegistrationDocument
from reenrollment.services import ChoiceInput, ReenrollmentError
from students.models import Student
from students.selectors import get_student_for_family


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _family(student: Student, user: User) -> Family:
    # The family's site and account are the login's (get_student_for_family checked it).
    family = student.family
    family.site = user.site
    family.account = user
    return family


def _page_context(
    request: HttpRequest,
    student: Student,
    students: list[Student],
    page: selectors.ReenrollmentPage,
) -> dict[str, object]:
    return {
        "student": student,
        "students": students,
        "page": page,
        "campaign": page.campaign,
        "upload_form": UploadForm(),
        "tab": "students",
        "subtab": "reinscription",
    }


@family_required
def reenrollment_tab(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    student, students = get_student_for_family(user, pk)
    family = _family(student, user)
    if request.method == "POST":
        return _submit(request, student, students, family)
    page = selectors.reenrollment_page(student, family, user.site, children=students)
    context = _page_context(request, student, students, page)
    context["form"] = _form_for(page, None)
    return render(request, "reenrollment/tab.html", context)


def _submit(
    request: HttpRequest, student: Student, students: list[Student], family: Family
) -> HttpResponse:
    """Valider. The form is checked against this year's courses and next year's slots only;
    the whole tab is read again only to show it with a refusal."""
    user = _user(request)
    campaign = selectors.campaign_for_site(user.site)
    if campaign is None or not campaign.is_open():
        messages.error(request, _("La campagne de réinscription est fermée."))
        return redirect("reenrollment:tab", pk=student.pk)
    rows = selectors.course_rows(student, campaign, occupancy=False)
    form = ReenrollmentForm(request.POST, rows=rows)
    refusal = None
    if form.is_valid():
        choices = []
        for row in rows:
            slot_id, waitlist = form.slot_choice(row)
            choices.append(
                ChoiceInput(
                    enrolment=row.enrolment,
                    renew=form.cleaned_data[f"renew_{row.enrolment.pk}"],
                    slot_id=slot_id,
                    waitlist=waitlist,
                )
            )
        try:
            services.reenrollment_submit(
                campaign=campaign,
                student=student,
                family=family,
                administrative=form.cleaned_data["administrative"],
                choices=choices,
                comment=form.cleaned_data["comment"],
                accept_rules=form.cleaned_data["accept_rules"],
                base_url=request.build_absolute_uri("/"),
            )
        except ReenrollmentError as error:
            refusal = error.message
        else:
            messages.success(
                request,
                _(
                    "Votre demande de réinscription est envoyée. Un accusé de réception "
                    "vous a été adressé par e-mail."
                ),
            )
            return redirect("reenrollment:tab", pk=student.pk)
    # Show the slots as they are now (one may have just filled up), with what the family
    # chose, and the refusal at the top.
    page = selectors.reenrollment_page(student, family, user.site, children=students)
    shown = _form_for(page, request.POST)
    if shown is None:  # Closed in the meantime.
        messages.error(request, _("La campagne de réinscription est fermée."))
        return redirect("reenrollment:tab", pk=student.pk)
    shown.is_valid()
    if refusal is not None:
        shown.add_error(None, refusal)
    context = _page_context(request, student, students, page)
    context["form"] = shown
    return render(request, "reenrollment/tab.html", context, status=400)


@require_POST
@family_required
def document_upload(request: HttpRequest, pk: int, type_pk: int) -> HttpResponse:
    user = _user(request)
    student, _students = get_student_for_family(user, pk)
    family = _family(student, user)
    document_type = get_object_or_404(
        DocumentType.objects.select_related("campaign"), pk=type_pk, campaign__site=user.site
    )
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        error = form.errors["files"][0]
        return _tab_with_upload_error(request, student, document_type, str(error))
    try:
        document = services.document_upload(
            document_type=document_type,
            family=family,
            student=student,
            files=form.cleaned_data["files"],
        )
    except ReenrollmentError as error:
        return _tab_with_upload_error(request, student, document_type, str(error.message))
    else:
        messages.success(
            request,
            ngettext(
                "« %(name)s » importé (%(pages)s page).",
                "« %(name)s » importé (%(pages)s pages).",
                document.pages,
            )
            % {"name": document.display_name, "pages": document.pages},
        )
        if document.page_warning:
            messages.warning(request, document.page_warning)
    return redirect(f"{_tab_url(student)}#piece-{document_type.pk}")


def _tab_with_upload_error(
    request: HttpRequest, student: Student, document_type: DocumentType, error: str
) -> HttpResponse:
    """The tab again, the refusal written next to the document's "Importer" button."""
    user = _user(request)
    student, students = get_student_for_family(user, student.pk)
    page = selectors.reenrollment_page(
        student, _family(student, user), user.site, children=students
    )
    context = _page_context(request, student, students, page)
    context["form"] = _form_for(page, None)
    context["upload_errors"] = {document_type.pk: error}
    return render(request, "reenrollment/tab.html", context, status=400)


def _form_for(page: selectors.ReenrollmentPage, data: object) -> ReenrollmentForm | None:
    if page.campaign is None or not page.campaign.is_open():
        return None
    initial = {}
    if page.request is not None:
        initial = {"administrative": page.request.administrative, "comment": page.request.comment}
    return ReenrollmentForm(data, rows=page.rows, initial=initial)


def _tab_url(student: Student) -> str:
    return reverse("reenrollment:tab", kwargs={"pk": student.pk})


def _family_document(user: User, student: Student, doc_pk: int) -> Document:
    """A document of this family: its family pieces or this pupil's; 404 otherwise."""
    return get_object_or_404(
        Document.objects.select_related("document_type__campaign"),
        Q(student__isnull=True) | Q(student=student),
        pk=doc_pk,
        family__account=user,
    )


@family_required
def document_download(request: HttpRequest, pk: int, doc_pk: int) -> HttpResponseBase:
    user = _user(request)
    student, _students = get_student_for_family(user, pk)
    document = _family_document(user, student, doc_pk)
    return serve_document(document)


def serve_document(document: Document | PreRegistrationDocument) -> HttpResponseBase:
    """Stream a private document as an attachment, under its cleaned name."""
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, SuspiciousFileOperation):
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=document.display_name, content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@family_required
def document_delete(request: HttpRequest, pk: int, doc_pk: int) -> HttpResponse:
    user = _user(request)
    student, _students = get_student_for_family(user, pk)
    document = _family_document(user, student, doc_pk)
    try:
        services.document_delete(document=document)
    except ReenrollmentError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Document supprimé."))
    return redirect(_tab_url(student))


@family_required
def documents_tab(request: HttpRequest, pk: int) -> HttpResponse:
    """Documents fournis: every file the family gave for this pupil, and the family's own."""
    user = _user(request)
    student, students = get_student_for_family(user, pk)
    documents = (
        Document.objects.filter(family__account=user)
        .filter(Q(student__isnull=True) | Q(student=student))
        .select_related("document_type__campaign__school_year")
        .order_by("-uploaded_at")
    )
    return render(
        request,
        "reenrollment/documents.html",
        {
            "student": student,
            "students": students,
            "documents": documents,
            "tab": "students",
            "subtab": "documents",
        },
    )


@family_required
def offer(request: HttpRequest, token: str) -> HttpResponse:
    """A seat offered from the waiting list: accept or decline (the family must be logged in)."""
    user = _user(request)
    choice = get_object_or_404(
        Choice.objects.select_related(
            "slot__teacher", "slot__room", "course", "request__student", "request__family"
        ),
        offer_token=token,
        request__family__account=user,
    )
    if request.method == "POST":
        accept = request.POST.get("answer") == "accept"
        try:
            services.offer_answer(
                choice=choice,
                family=choice.request.family,
                accept=accept,
                base_url=request.build_absolute_uri("/"),
            )
        except ReenrollmentError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Place acceptée : elle est réservée pour votre enfant.")
                if accept
                else _("Proposition déclinée : la place passe à la famille suivante."),
            )
        return redirect("reenrollment:tab", pk=choice.request.student_id)
    return render(request, "reenrollment/offer.html", {"choice": choice, "tab": "students"})


def pre_registration(request: HttpRequest) -> HttpResponse:
    """Public form for new families: responsible, children, wishes, documents."""
    data = request.POST if request.method == "POST" else None
    form = PreRegistrationForm(data)
    children = ChildFormSet(data, prefix="enfants")
    documents = PreRegistrationDocumentsForm(data, request.FILES if data else None)
    if (
        request.method == "POST"
        and form.is_valid()
        and children.is_valid()
        and documents.is_valid()
    ):
        try:
            services.preregistration_submit(
                data=form.cleaned_data,
                children=[c for c in children.cleaned_data if c],
                documents=[
                    (name, documents.cleaned_data[field])
                    for field, name in documents.DOCUMENT_NAMES.items()
                ],
            )
        except ReenrollmentError as error:
            documents.add_error(None, error.message)
        else:
            return redirect("reenrollment:pre_registration_sent")
    return render(
        request,
        "reenrollment/pre_registration.html",
        {"form": form, "children": children, "documents": documents},
        status=400 if request.method == "POST" else 200,
    )


def pre_registration_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "reenrollment/pre_registration_sent.html")
