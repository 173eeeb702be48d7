import logging

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from extranet.decorators import family_required
from extranet.models import User
from families.forms import FamilyForm
from families.models import ADDRESS_FIELDS
from families.privacy import archive_file_name, family_archive
from families.selectors import get_family_for_user
from families.services import family_update

logger = logging.getLogger(__name__)


@family_required
def home(request: HttpRequest) -> HttpResponse:
    """Accueil: the greeting, one button per child, the site's welcome message."""
    family = get_family_for_user(request.user)  # type: ignore[arg-type]
    students = family.students.order_by("prenom", "pk")  # type: ignore[attr-defined]
    return render(
        request, "families/home.html", {"family": family, "students": students, "tab": "home"}
    )


@family_required
def family_record(request: HttpRequest) -> HttpResponse:
    """Famille: the responsible's record."""
    family = get_family_for_user(request.user)  # type: ignore[arg-type]
    form = FamilyForm(request.POST or None, instance=family)
    if request.method == "POST" and form.is_valid():
        changed = family_update(family=family, data=form.cleaned_data)
        if changed:
            messages.success(request, _("Éléments modifiés"))
        else:
            messages.info(request, _("Aucune modification."))
        if any(name in ADDRESS_FIELDS for name in changed):
            messages.warning(
                request,
                _(
                    "Vous avez changé d'adresse : il faudra fournir un nouveau justificatif de "
                    "domicile de moins de 3 mois lors de la réinscription."
                ),
            )
        return redirect("families:family")
    return render(
        request, "families/family.html", {"family": family, "form": form, "tab": "family"}
    )


@family_required
def my_data(request: HttpRequest) -> HttpResponse:
    """Mes données: what the conservatoire keeps, why and how long, the family's rights."""
    family = get_family_for_user(request.user)  # type: ignore[arg-type]
    return render(
        request, "families/my_data.html", {"family": family, "site": family.site, "tab": ""}
    )


@family_required
def my_data_archive(request: HttpRequest) -> FileResponse:
    """Everything the portal keeps about the family, as one ZIP file."""
    assert isinstance(request.user, User)
    family = get_family_for_user(request.user)
    archive = family_archive(family, account=request.user)
    # A copy of all of a family's data leaves the portal: the log line shows it when an
    # account was stolen (the audit log is for staff actions).
    logger.info("Data archive downloaded by family %s", family.pk)
    response = FileResponse(
        archive,
        as_attachment=True,
        filename=archive_file_name(family),
        content_type="application/zip",
    )
    response["Cache-Control"] = "private, no-store"
    return response
