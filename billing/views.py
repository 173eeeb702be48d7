from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from extranet.decorators import family_required


@family_required
def index(request: HttpRequest) -> HttpResponse:
    """Facturation: filled by the billing issue."""
    return render(request, "billing/coming.html", {"tab": "billing"})
