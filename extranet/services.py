from __future__ import annotations

from functools import partial

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from extranet.models import User


def send_templated_email(
    *, to: str, template: str, context: dict[str, object], language: str = "fr"
) -> None:
    """Send a text + HTML email rendered from templates/<template>.txt|.html and _subject.txt."""
    with translation.override(language):
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    message.send()


def password_link_send(*, user: User, base_url: str) -> None:
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
    transaction.on_commit(
        partial(
            send_templated_email,
            to=user.email,
            template="extranet/emails/password_link",
            context=context,
            language=user.language,
        )
    )


def password_reset_request(*, username: str, email: str, base_url: str) -> int:
    """Send a link to every active account with this identifiant and email, on any site.

    The same identifiant may exist on two sites; each email names its site. Returns how many
    were sent, which the view never shows (the page answers the same either way).
    """
    users = User.objects.select_related("site").filter(
        username__iexact=username.strip(), email__iexact=email.strip(), is_active=True
    )
    count = 0
    for user in users:
        password_link_send(user=user, base_url=base_url)
        count += 1
    return count
