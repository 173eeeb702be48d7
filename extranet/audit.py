"""The audit log of staff actions: who did what, to which object, when, from where.

Call `record()` inside the transaction of the change it describes, so that a change rolled
back leaves no entry and an entry never describes a change that did not happen.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from extranet.auth import client_ip
from extranet.models import AuditEntry, Site, User
from extranet.observability import request_id_var


class Action(models.TextChoices):
    """The codes of the log, stable (filters and exports use them), with their French label."""

    DOCUMENT_ACCEPTED = "document.accepted", _("Document accepté")
    DOCUMENT_REFUSED = "document.refused", _("Document refusé")
    REENROLLMENT_VALIDATED = "reenrollment.validated", _("Réinscription validée")
    REENROLLMENT_REFUSED = "reenrollment.refused", _("Réinscription refusée")
    WAITLIST_OFFERED = "waitlist.offered", _("Place proposée à la liste d'attente")
    CAMPAIGN_CLOSED = "campaign.closed", _("Campagne de réinscription clôturée")
    CEILING_TARIFF_CLEARED = "ceiling_tariff.cleared", _("Tarif plafond levé")
    PREREGISTRATION_CONVERTED = "preregistration.converted", _("Pré-inscription convertie")
    INVOICE_ISSUED = "invoice.issued", _("Facture émise")
    CREDIT_NOTE_ISSUED = "credit_note.issued", _("Avoir émis")
    PAYMENT_RECORDED = "payment.recorded", _("Règlement enregistré")
    PAYMENT_ONLINE = "payment.online", _("Paiement en ligne reçu")
    REMINDER_SENT = "reminder.sent", _("Relance envoyée")
    ABSENCE_ACCEPTED = "absence.justification_accepted", _("Justification d'absence acceptée")
    ABSENCE_REFUSED = "absence.justification_refused", _("Justification d'absence refusée")
    ATTENDANCE_RECORDED = "attendance.recorded", _("Appel enregistré")
    EVALUATIONS_RECORDED = "evaluations.recorded", _("Évaluations saisies")
    RESULTS_UPDATED = "results.updated", _("Résultats de fin d'année modifiés")
    ADMIN_ADD = "admin.add", _("Ajout dans l'administration")
    ADMIN_CHANGE = "admin.change", _("Modification dans l'administration")
    ADMIN_DELETE = "admin.delete", _("Suppression dans l'administration")
    ACCOUNT_CREATED = "account.created", _("Compte créé")
    ACCOUNT_RIGHTS_CHANGED = "account.rights_changed", _("Droits d'un compte modifiés")
    PASSWORD_LINK_SENT = "account.password_link_sent", _("Lien de mot de passe envoyé")
    LOGIN = "admin.login", _("Connexion du personnel")
    LOGIN_FAILED = "admin.login_failed", _("Échec de connexion du personnel")
    OTP_FAILED = "admin.otp_failed", _("Code de double authentification refusé")
    OTP_CONFIGURED = "admin.otp_configured", _("Application d'authentification associée")


# The French name of each key of the details, for the admin; a key not listed shows as it is.
DETAIL_LABELS = {
    "message": _("modifications"),
    "changes": _("changements"),
    "reason": _("motif"),
    "document_type": _("pièce"),
    "student": _("élève"),
    "family": _("famille"),
    "slot": _("créneau"),
    "slots": _("créneaux"),
    "offer_expires_at": _("proposition valable jusqu'au"),
    "enrolments": _("inscriptions créées"),
    "families_marked": _("familles au tarif plafond"),
    "username": _("identifiant"),
    "number": _("numéro"),
    "invoice": _("facture"),
    "total": _("montant total"),
    "amount": _("montant"),
    "balance": _("solde"),
    "mode": _("mode de règlement"),
    "receipt_number": _("numéro de reçu"),
    "operation_number": _("numéro d'opération"),
    "transaction_id": _("identifiant de transaction"),
    "order_id": _("commande"),
    "date": _("date"),
    "absent": _("absences"),
    "late": _("retards"),
    "pupils": _("élèves"),
    "count": _("nombre"),
    "type_evaluation": _("type d'évaluation"),
    "fields": _("champs"),
    "site": _("site"),
    "kind": _("type de compte"),
    "is_active": _("actif"),
    "is_staff": _("accès à l'administration"),
    "is_superuser": _("superutilisateur"),
    "staff_sites": _("sites gérés"),
    "groups": _("groupes"),
    "user_permissions": _("permissions"),
}


def detail_label(key: str) -> str:
    return str(DETAIL_LABELS.get(key, key))


def action_label(action: str) -> str:
    """The French label of a code; the code itself for one this release no longer knows."""
    try:
        return str(Action(action).label)
    except ValueError:
        return action


def record(
    action: str,
    *,
    actor: User | None = None,
    request: HttpRequest | None = None,
    obj: models.Model | None = None,
    site: Site | None = None,
    **details: Any,
) -> AuditEntry:
    """Write one entry. `action` is a dotted code such as "document.accepted" (see Action).

    The actor is the request's user unless given; the site is the object's site when it has
    one (a `site` attribute or field), unless given. Details are stored as JSON: dates,
    amounts and translatable texts become strings.

    Services don't get the request: the address is then taken from the request being served
    (the one simple-history keeps for its own records), when its user is the actor.
    """
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user  # type: ignore[assignment]
    if request is None:
        current = current_request()
        user = getattr(current, "user", None)
        if actor is not None and user is not None and user.pk == actor.pk:
            request = current
    if site is None and obj is not None:
        site = _site_of(obj)
    request_id = request_id_var.get()
    return AuditEntry.objects.create(
        actor=actor,
        actor_name=str(actor)[:150] if actor is not None else "",
        site=site,
        action=str(action),
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk)[:64] if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        details=json.loads(json.dumps(details, cls=DjangoJSONEncoder)),
        request_id=request_id[:64] if request_id != "-" else "",
        ip_address=_ip_of(request) if request is not None else None,
    )


def current_request() -> HttpRequest | None:
    """The request this thread is serving, if any (set by simple-history's middleware)."""
    return getattr(HistoricalRecords.context, "request", None)


def _ip_of(request: HttpRequest) -> str | None:
    # The address comes from headers a proxy may pass on as they are: anything that is not an
    # address is dropped rather than fail the change (PostgreSQL refuses it in an inet column).
    try:
        return str(ipaddress.ip_address(client_ip(request)))
    except ValueError:
        return None


def _site_of(obj: models.Model) -> Site | None:
    """The object's site, following the model's SITE_LOOKUP path (as the admin scope does)."""
    if isinstance(obj, Site):
        return obj
    lookup = getattr(type(obj), "SITE_LOOKUP", None)
    path = lookup.split("__") if lookup else ["site"]
    current: Any = obj
    for name in path:
        current = getattr(current, name, None)
        if current is None:
            return None
    return current if isinstance(current, Site) else None


# Logins of staff accounts ----------------------------------------------------------------
# Families' and teachers' logins are not staff actions: only accounts that reach the admin
# are logged, and a failure only when the identifiant typed is one of theirs.


def _reaches_admin(user: Any) -> bool:
    return bool(getattr(user, "is_staff", False) or getattr(user, "is_superuser", False))


def _on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if isinstance(user, User) and _reaches_admin(user):
        record(Action.LOGIN, actor=user, request=request, obj=user)


def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    site, username = credentials.get("site"), credentials.get("username")
    if not isinstance(site, Site) or not username:
        return
    account = User.objects.filter(site=site, username__iexact=str(username)).first()
    if account is not None and _reaches_admin(account):
        # No actor: whoever typed the password is not known to be the account's owner.
        record(Action.LOGIN_FAILED, request=request, obj=account, site=site)


def connect_signals() -> None:
    """Called once from ExtranetConfig.ready(). (The second factor's codes are logged by the
    views that check them, extranet.views.otp_verify and otp_setup.)"""
    user_logged_in.connect(_on_login, dispatch_uid="extranet.audit.login")
    user_login_failed.connect(_on_login_failed, dispatch_uid="extranet.audit.login_failed")
