from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

from extranet.models import User


def account_required(kind: str) -> Callable[..., Callable[..., HttpResponse]]:
    """Log in first; then only accounts of this kind reach the view, the others get 404."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            assert isinstance(user, User)
            if user.kind != kind:
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


family_required = account_required(User.Kind.FAMILY)
teacher_required = account_required(User.Kind.TEACHER)
