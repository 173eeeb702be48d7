from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from extranet.decorators import family_required
from families.forms import FamilyForm
from families.models import ADDRESS_FIELDS
from families.selectors import get_family_for_user
from families.services import family_update


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
