from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

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
