from typing import Any

from django.http import HttpRequest

from extranet import __version__

TEXT_SIZES = {"normal", "large", "xlarge"}


def portal(request: HttpRequest) -> dict[str, Any]:
    size = request.COOKIES.get("text_size", "normal")
    user = getattr(request, "user", None)
    site = user.site if user is not None and user.is_authenticated else None
    return {
        "portal_version": __version__,
        "text_size": size if size in TEXT_SIZES else "normal",
        "current_site": site,
    }
