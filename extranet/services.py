from __future__ import annotations

from functools import partial

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.db.models import Q
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.html import escape
from django.utils.http import urlsafe_base64_encode

from extranet.models import OutboxMessage, User
from extranet.outbox import outbox_deliver


def _render_plain(name: str, context: dict[str, object]) -> str:
    """A plain-text template, without HTML escaping: "d'assurance" stays as typed."""
    template = get_template(name).template  # type: ignore[attr-defined]
    return str(template.render(Context(context, autoescape=False)))


def send_templated_email(
    *, to: str, template: str, context: dict[str, object], language: str = "fr"
) -> OutboxMessage:
    """Queue a text + HTML email rendered from <template>.txt|.html and <template>_subject.txt.

    The message is written to the outbox in the caller's transaction: it leaves only if the
    change behind it is committed. The worker sends it (at once after commit too, when
    OUTBOX_SEND_ON_COMMIT is on).
    """
    with translation.override(language):
        subject = " ".join(_render_plain(f"{template}_subject.txt", context).split())
        text = _render_plain(f"{template}.txt", context)
        try:
            html = render_to_string(f"{template}.html", context)
        except TemplateDoesNotExist:
            # No HTML layout of its own: the text, escaped, in the portal's plain HTML frame.
            html = render_to_string(
                "extranet/emails/frame.html",
                {**context, "body": escape(text), "subject": subject},
            )
    message = OutboxMessage.objects.create(
        to=to, subject=subject[:300], text_body=text, html_body=html
    )
    if settings.OUTBOX_SEND_ON_COMMIT:
        transaction.on_commit(partial(outbox_deliver, ids=[message.pk]))
    return message


def password_link_send(*, user: User, base_url: str, to: str | None = None) -> None:
    """Email a single-use link, valid PASSWORD_RESET_TIMEOUT, to choose a new password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("extranet:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    context = {
        "user": user,
        "site": user.site,
        "link": base_url.rstrip("/") + path,
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    send_templated_email(
        to=to or user.email,
        template="extranet/emails/password_link",
        context=context,
        language=user.language,
    )


def password_reset_request(*, username: str, email: str, base_url: str) -> int:
    """Send a link to every active account with this identifiant and email, on any site.

    The email may be the account's or the one the family keeps on its Famille tab (it may have
    changed it there). The same identifiant may exist on two sites; each email names its site.
    Returns how many were sent, which the view never shows (the page answers the same).
    """
    email = email.strip()
    users = (
        User.objects.select_related("site")
        .filter(username__iexact=username.strip(), is_active=True)
        .filter(Q(email__iexact=email) | Q(family__email__iexact=email))
        .distinct()
    )
    count = 0
    for user in users:
        password_link_send(user=user, base_url=base_url, to=email)
        count += 1
    return count
