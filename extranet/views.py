from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

import qrcode
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.validators import slug_re
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import i18n as i18n_views
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from qrcode.image.svg import SvgPathImage

from extranet import audit, services
from extranet.forms import LoginForm, OTPCodeForm, PasswordLostForm, TextSizeForm
from extranet.models import Site, User

ACCESS_TITLES = {
    "usager": gettext_lazy("Accès usager"),
    "enseignant": gettext_lazy("Accès enseignant"),
}


def landing(request: HttpRequest) -> HttpResponse:
    """The extranet's front door: Accès usager, Accès enseignant, Pré-inscription, the sites."""
    return render(request, "extranet/landing.html", {"sites": Site.objects.all()})


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    access = request.GET.get("acces", "usager")
    if access not in ACCESS_TITLES:
        access = "usager"
    initial: dict[str, Any] = {}
    site_slug = request.GET.get("site")
    # Only a slug can name a site; anything else (a NUL byte makes PostgreSQL refuse the
    # query) is ignored like an unknown site.
    if site_slug and slug_re.fullmatch(site_slug):
        initial["site"] = Site.objects.filter(slug=site_slug).first()
    form = LoginForm(request, data=request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid() and form.user is not None:
        auth_login(request, form.user)  # Django renews the session key here.
        target = _safe_next(request)
        if form.user.is_staff:
            # Staff confirm with their authenticator app before anything else.
            query = urlencode({"next": target or reverse("admin:index")})
            return redirect(f"{reverse('extranet:otp_verify')}?{query}")
        return redirect(target or reverse("extranet:home"))
    return render(
        request,
        "extranet/login.html",
        {"form": form, "access": access, "next": _safe_next(request) or ""},
    )


def login_locked_out(
    request: HttpRequest, credentials: dict[str, Any] | None = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """django-axes' answer once an (identifiant, address) pair has failed too often."""
    # Show the site and identifiant as typed, without validating them again (an unbound form
    # renders its initial values, not the submitted data).
    typed = {name: request.POST.get(name) for name in ("site", "username")}
    form = LoginForm(request, initial=typed)
    return render(
        request,
        "extranet/login.html",
        {
            "form": form,
            "access": "enseignant" if request.GET.get("acces") == "enseignant" else "usager",
            "locked_out": True,
            "next": "",
        },
        status=429,
    )


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    messages.success(request, _("Vous êtes déconnecté."))
    return redirect("extranet:landing")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each account to its own home."""
    user = request.user
    assert isinstance(user, User)
    if user.kind == User.Kind.FAMILY:
        return redirect("families:home")
    if user.kind == User.Kind.TEACHER:
        return redirect("courses:teacher_week")
    if user.is_staff:
        return redirect("admin:index")
    return redirect("extranet:landing")


@csrf_protect
def password_lost(request: HttpRequest) -> HttpResponse:
    form = PasswordLostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_reset_request(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            base_url=request.build_absolute_uri("/"),
        )
        return redirect("extranet:password_lost_sent")
    return render(request, "extranet/password_lost.html", {"form": form})


def password_lost_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "extranet/password_lost_sent.html")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "extranet/password_reset_confirm.html"
    success_url = reverse_lazy("extranet:password_reset_complete")


def password_reset_complete(request: HttpRequest) -> HttpResponse:
    return render(request, "extranet/password_reset_complete.html")


@login_required
@sensitive_post_parameters()
@csrf_protect
def password_change(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        # This session stays open; every other session of the account ends (its hash changed).
        update_session_auth_hash(request, form.user)
        messages.success(request, _("Votre mot de passe a été modifié."))
        return redirect("extranet:password_change")
    return render(request, "extranet/password_change.html", {"form": form, "tab": "password"})


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "extranet/accessibility.html",
        {"tab": "accessibility", "size_form": TextSizeForm(), "sites": Site.objects.all()},
    )


@require_POST
def text_size(request: HttpRequest) -> HttpResponse:
    form = TextSizeForm(request.POST)
    target = _safe_next(request) or reverse("extranet:accessibility")
    response = HttpResponseRedirect(target)
    if form.is_valid():
        response.set_cookie(
            "text_size", form.cleaned_data["size"], max_age=365 * 24 * 3600, samesite="Lax"
        )
    return response


def legal(request: HttpRequest) -> HttpResponse:
    return render(request, "extranet/legal.html", {"sites": Site.objects.all(), "tab": "legal"})


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin has no login of its own: staff log in with their site like everyone, then
    confirm with a code of their authenticator app."""
    target = _safe_next(request) or reverse("admin:index")
    if request.user.is_authenticated and request.user.is_staff:
        return redirect(f"{reverse('extranet:otp_verify')}?{urlencode({'next': target})}")
    return redirect(f"{reverse('extranet:login')}?{urlencode({'next': target})}")


def _staff_user(request: HttpRequest) -> User:
    user = request.user
    if not (isinstance(user, User) and user.is_active and user.is_staff):
        raise Http404
    return user


def _qr_code_data_uri(text: str) -> str:
    """The QR code of an otpauth:// address, as an SVG image in a data: address (no file, and
    allowed by the Content-Security-Policy's img-src)."""
    image = qrcode.make(text, image_factory=SvgPathImage, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode("ascii")


@sensitive_post_parameters("code")
@never_cache
@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Second step of a staff login: the 6-digit code of the authenticator app."""
    user = _staff_user(request)
    target = _safe_next(request) or reverse("admin:index")
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect(target)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return redirect(f"{reverse('extranet:otp_setup')}?{urlencode({'next': target})}")
    form = OTPCodeForm(device, data=request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            otp_login(request, device)
            request.session.cycle_key()  # A new session id with the new privileges.
            return redirect(target)
        audit.record("admin.otp_failed", request=request, obj=user)
    return render(request, "extranet/otp_verify.html", {"form": form, "next": target})


@sensitive_post_parameters("code")
@never_cache
@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """First staff login: pair an authenticator app (QR code or key), then confirm a code.

    A staff member who lost their phone asks a superuser, who deletes their device in the
    admin (Comptes > TOTP devices); the next login comes back here.
    """
    user = _staff_user(request)
    target = _safe_next(request) or reverse("admin:index")
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect(f"{reverse('extranet:otp_verify')}?{urlencode({'next': target})}")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Application"), confirmed=False)
    form = OTPCodeForm(device, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            audit.record("admin.otp_configured", request=request, obj=user)
        otp_login(request, device)
        request.session.cycle_key()
        return redirect(target)
    secret = base64.b32encode(device.bin_key).decode("ascii")
    return render(
        request,
        "extranet/otp_setup.html",
        {
            "form": form,
            "next": target,
            "qr_code": _qr_code_data_uri(device.config_url),
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        },
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, also remembered on the account (emails follow it)."""
    response = i18n_views.set_language(request)
    language = request.POST.get("language")
    user = request.user
    if isinstance(user, User) and language in dict(settings.LANGUAGES):
        user.language = language
        user.save(update_fields=["language"])
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "extranet/csrf_failure.html", status=403)
