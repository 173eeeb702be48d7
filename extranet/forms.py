from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from extranet.models import Site, User


class LoginForm(forms.Form):
    """Connexion: a login is (site, identifiant, password)."""

    site = forms.ModelChoiceField(
        label=_("Site"),
        queryset=Site.objects.all(),
        empty_label=_("Choisissez votre site"),
        error_messages={"required": _("Choisissez le site de votre conservatoire.")},
    )
    username = forms.CharField(
        label=_("Identifiant"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
        error_messages={"required": _("Saisissez votre identifiant.")},
    )
    password = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Saisissez votre mot de passe.")},
    )

    error_messages = {
        "invalid_login": _(
            "Site, identifiant ou mot de passe incorrect. Vérifiez le site choisi et réessayez, "
            "ou utilisez « Mot de passe perdu »."
        ),
    }

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.user: User | None = None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        site, username, password = (cleaned.get(k) for k in ("site", "username", "password"))
        if site and username and password:
            user = authenticate(self.request, site=site, username=username, password=password)
            if user is None:
                # One message whatever was wrong: nothing tells whether the identifiant exists.
                raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid")
            self.user = user  # type: ignore[assignment]
        return cleaned


class PasswordLostForm(forms.Form):
    username = forms.CharField(
        label=_("Identifiant"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
        error_messages={"required": _("Saisissez votre identifiant.")},
    )
    email = forms.EmailField(
        label=_("E-mail"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": _("Saisissez l'adresse e-mail connue du conservatoire."),
            "invalid": _("Adresse e-mail invalide, par exemple prenom.nom@exemple.fr."),
        },
    )


class TextSizeForm(forms.Form):
    size = forms.ChoiceField(
        choices=[("normal", _("Normale")), ("large", _("Grande")), ("xlarge", _("Très grande"))]
    )


class OTPCodeForm(forms.Form):
    """The 6-digit code of the staff member's authenticator app (TOTP, RFC 6238)."""

    code = forms.CharField(
        label=_("Code à 6 chiffres"),
        max_length=10,
        help_text=_("Le code affiché par votre application d'authentification."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
        error_messages={"required": _("Saisissez le code à 6 chiffres.")},
    )

    error_messages = {
        "invalid": _(
            "Ce code n'est pas le bon, ou il a expiré. Saisissez le code affiché maintenant."
        ),
        "throttled": _("Trop de codes erronés. Attendez quelques secondes avant de réessayer."),
        "format": _("Le code est fait de 6 chiffres."),
    }

    def __init__(self, device: TOTPDevice, *args: Any, **kwargs: Any) -> None:
        self.device = device
        super().__init__(*args, **kwargs)

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError(self.error_messages["format"], code="format")
        allowed, _details = self.device.verify_is_allowed()
        if not allowed:
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        if not self.device.verify_token(code):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return code
