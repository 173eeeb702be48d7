"""Paying online through the built-in test gateway, as a family's browser does: the portal's
signed form, the gateway's page, its notification to the IPN, the way back to the portal.

The gateway notifies the address the form names (vads_url_check, built from the request's
host), so the journeys run against a live server with a `requests` session.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
import requests
from django.test import Client
from django.test.html import Element, parse_html
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from billing import payzen, services
from billing.models import Invoice, OnlineTransaction, Payment, PaymentNotification
from families.models import Family
from tests.billing.helpers import notification
from tests.factories import PASSWORD, PaymentFactory
from tests.html import attr, find, find_all, messages_of, page, text

GATEWAY = "/facturation/passerelle-test/"


def form_fields(html: str, action: str | None = None) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the page's POST form with this action, or of its signed
    payment form (the one with a signature)."""
    forms = [
        form
        for form in find_all(page_of(html), "form")
        if attr(form, "method") == "post"
        and (
            attr(form, "action") == action
            if action is not None
            else bool(find_all(form, "input", name="signature"))
        )
    ]
    assert len(forms) == 1, html
    fields = {
        attr(i, "name") or "": attr(i, "value") or ""
        for i in find_all(forms[0], "input")
        if attr(i, "type") == "hidden"
    }
    return attr(forms[0], "action") or "", fields


def page_of(html: str) -> Element:
    return parse_html(html)


class Browser:
    """A family's browser on the live server."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()

    def get(self, path: str, **params: str) -> requests.Response:
        response = self.session.get(self.base + path, params=params, timeout=30)
        response.raise_for_status()
        return response

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        url = path if path.startswith("http") else self.base + path
        return self.session.post(url, data=data, timeout=30)

    def log_in(self, family: Family) -> None:
        _action, fields = form_fields(self.get("/connexion/").text, "/connexion/")
        response = self.post(
            "/connexion/",
            {
                **fields,
                "site": str(family.site_id),
                "username": family.account.username,
                "password": PASSWORD,
            },
        )
        assert response.status_code == 200
        assert "/connexion/" not in response.url

    def start_payment(self, invoice: Invoice, instalments: str = "1") -> dict[str, str]:
        """From the Facturation tab to the gateway's page; the fields the portal signed."""
        path = f"/facturation/factures/{invoice.pk}/payer/"
        _action, hidden = form_fields(self.get("/facturation/").text, path)
        redirect_page = self.post(path, {**hidden, "instalments": instalments})
        assert redirect_page.status_code == 200
        action, fields = form_fields(redirect_page.text)
        assert action == GATEWAY
        return fields

    def pay(self, invoice: Invoice, outcome: str) -> requests.Response:
        fields = self.start_payment(invoice)
        gateway_page = self.post(GATEWAY, fields)
        assert gateway_page.status_code == 200
        buttons = [text(b) for b in find_all(page_of(gateway_page.text), "button")]
        assert buttons[-3:] == ["Paiement accepté", "Paiement refusé", "Abandon"]
        _action, echoed = form_fields(gateway_page.text)
        assert echoed == fields
        return self.post(GATEWAY, {**echoed, "outcome": outcome})


@pytest.fixture
def browser(live_server: LiveServer, alice: Family, alice_invoice: Invoice) -> Browser:
    browser = Browser(live_server.url)
    browser.log_in(alice)
    return browser


def test_an_accepted_payment_settles_the_invoice(
    browser: Browser, alice: Family, alice_invoice: Invoice, mailoutbox: list
) -> None:
    back = browser.pay(alice_invoice, "accepted")

    tx = OnlineTransaction.objects.get()
    assert back.status_code == 200
    assert back.url.startswith(f"{browser.base}/facturation/paiement/retour/{tx.order_id}/?")
    assert "Paiement de 300,00 € accepté. Merci !" in text(page_of(back.text))
    assert tx.status == OnlineTransaction.Status.PAID
    payment = Payment.objects.get()
    assert (payment.invoice, payment.mode, payment.amount) == (
        alice_invoice,
        Payment.Mode.EN_LIGNE,
        Decimal("300.00"),
    )
    assert tx.payment == payment
    assert services.invoice_balance(alice_invoice) == Decimal("0.00")
    assert PaymentNotification.objects.get().outcome == "paid"
    [email] = mailoutbox
    assert email.to == [alice.email]
    assert payment.receipt_number in email.subject
    assert f"{browser.base}/facturation/" in email.body


def test_after_paying_the_tab_shows_the_receipt_and_a_nil_balance(
    browser: Browser, alice_invoice: Invoice
) -> None:
    browser.pay(alice_invoice, "accepted")

    tab = page_of(browser.get("/facturation/").text)

    payment = Payment.objects.get()
    assert "Solde 0,00 €" in text(tab)
    assert find(tab, "a", href=f"/facturation/recus/{payment.pk}/pdf/")
    assert not find_all(tab, "form", action=f"/facturation/factures/{alice_invoice.pk}/payer/")
    receipt = browser.get(f"/facturation/recus/{payment.pk}/pdf/")
    assert receipt.headers["Content-Type"] == "application/pdf"


def test_the_portal_asks_for_what_is_left_to_pay(browser: Browser, alice_invoice: Invoice) -> None:
    PaymentFactory(invoice=alice_invoice, amount=Decimal("95.00"))

    fields = browser.start_payment(alice_invoice)

    assert fields["vads_amount"] == "20500"
    assert fields["vads_url_check"] == f"{browser.base}/facturation/paiement/notification/"
    assert payzen.signature_matches(fields, payzen.TEST_KEY)


@pytest.mark.parametrize(
    ("outcome", "state", "message"),
    [
        (
            "refused",
            OnlineTransaction.Status.REFUSED,
            "Le paiement a été refusé par la banque. Aucun montant n'a été débité.",
        ),
        (
            "abandoned",
            OnlineTransaction.Status.ABANDONED,
            "Paiement abandonné : rien n'a été débité.",
        ),
    ],
)
def test_a_refused_or_abandoned_payment_records_nothing(
    browser: Browser,
    alice_invoice: Invoice,
    mailoutbox: list,
    outcome: str,
    state: str,
    message: str,
) -> None:
    back = browser.pay(alice_invoice, outcome)

    assert back.status_code == 200
    assert message in text(page_of(back.text))
    assert OnlineTransaction.objects.get().status == state
    assert not Payment.objects.exists()
    assert services.invoice_balance(alice_invoice) == Decimal("300.00")
    assert mailoutbox == []


def test_a_family_can_try_again_after_a_refusal(browser: Browser, alice_invoice: Invoice) -> None:
    browser.pay(alice_invoice, "refused")

    back = browser.pay(alice_invoice, "accepted")

    assert "accepté" in text(page_of(back.text))
    assert OnlineTransaction.objects.count() == 2
    assert Payment.objects.count() == 1


def test_three_instalments_ask_the_gateway_for_a_multi_payment(
    browser: Browser, alice_invoice: Invoice
) -> None:
    fields = browser.start_payment(alice_invoice, instalments="3")

    assert fields["vads_payment_config"] == "MULTI:first=10000;count=3;period=30"
    assert fields["vads_amount"] == "30000"


# The test gateway itself ---------------------------------------------------------------------


@pytest.fixture
def signed_form(alice: Family, alice_invoice: Invoice) -> dict[str, str]:
    tx = services.transaction_create(invoice=alice_invoice, family=alice)
    return payzen.payment_fields(
        transaction=tx, shop=payzen.shop_for(None), email=alice.email, base_url="http://testserver/"
    )


def test_the_gateway_refuses_a_form_with_a_bad_signature(
    client: Client, signed_form: dict[str, str]
) -> None:
    response = client.post(GATEWAY, {**signed_form, "vads_amount": "100"})

    assert response.status_code == 400
    assert "Formulaire de paiement invalide (signature incorrecte)." in text(page(response))


def test_the_gateway_shows_the_amount_and_the_order(
    client: Client, signed_form: dict[str, str]
) -> None:
    response = client.post(GATEWAY, signed_form)

    assert response.status_code == 200
    assert f"Montant : 300,00 € · Commande {signed_form['vads_order_id']}" in text(page(response))


def test_the_gateway_only_answers_a_form(client: Client, db: None) -> None:
    assert client.get(GATEWAY).status_code == 404


def test_the_gateway_notifies_only_this_portal(
    client: Client, signed_form: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its key is public: anybody can sign a form naming any address to notify or return to.
    posted: list[str] = []
    monkeypatch.setattr(requests, "post", lambda url, **kwargs: posted.append(url))
    elsewhere = {
        **signed_form,
        "vads_url_check": "http://169.254.169.254/latest/meta-data/",
        "vads_url_return": "https://phishing.example.com/",
    }
    elsewhere["signature"] = payzen.signature(elsewhere, payzen.TEST_KEY)

    response = client.post(GATEWAY, {**elsewhere, "outcome": "accepted"})

    assert response.status_code == 400
    assert posted == []
    assert not Payment.objects.exists()


# The return page and the deadline -------------------------------------------------------------


def test_the_return_page_changes_nothing_whatever_it_is_sent(
    alice_client: Client, alice: Family, alice_invoice: Invoice
) -> None:
    tx = services.transaction_create(invoice=alice_invoice, family=alice)
    forged = notification(tx)  # even rightly signed: only the IPN records payments

    response = alice_client.get(f"/facturation/paiement/retour/{tx.order_id}/", forged)

    assert response.status_code == 200
    assert "La banque n'a pas encore confirmé le paiement." in text(page(response))
    tx.refresh_from_db()
    assert tx.status == OnlineTransaction.Status.CREATED
    assert not Payment.objects.exists()
    assert not PaymentNotification.objects.exists()


def test_another_family_cannot_see_the_return_page(
    bob_client: Client, alice: Family, alice_invoice: Invoice
) -> None:
    tx = services.transaction_create(invoice=alice_invoice, family=alice)

    assert bob_client.get(f"/facturation/paiement/retour/{tx.order_id}/").status_code == 404


def test_paying_after_the_deadline_is_refused_with_a_message(
    alice_client: Client, alice_invoice: Invoice
) -> None:
    alice_invoice.online_until = timezone.localdate() - datetime.timedelta(days=1)
    alice_invoice.save()

    response = alice_client.post(
        f"/facturation/factures/{alice_invoice.pk}/payer/", {"instalments": "1"}, follow=True
    )

    assert response.redirect_chain == [("/facturation/", 302)]
    assert messages_of(page(response)) == [
        "Le paiement en ligne n'est plus possible : contactez le secrétariat."
    ]
    assert not OnlineTransaction.objects.exists()


def test_a_paid_invoice_cannot_be_paid_again(alice_client: Client, alice_invoice: Invoice) -> None:
    PaymentFactory(invoice=alice_invoice, amount=Decimal("300.00"))

    response = alice_client.post(f"/facturation/factures/{alice_invoice.pk}/payer/", follow=True)

    assert messages_of(page(response)) == [
        "Le paiement en ligne n'est plus possible : contactez le secrétariat."
    ]
    assert not OnlineTransaction.objects.exists()


def test_three_instalments_below_the_threshold_are_refused(
    alice_client: Client, alice_invoice: Invoice
) -> None:
    PaymentFactory(invoice=alice_invoice, amount=Decimal("150.01"))

    response = alice_client.post(
        f"/facturation/factures/{alice_invoice.pk}/payer/", {"instalments": "3"}, follow=True
    )

    assert messages_of(page(response)) == [
        "Le paiement en 3 fois n'est pas proposé pour ce montant."
    ]
    assert not OnlineTransaction.objects.exists()


def test_a_family_cannot_pay_another_familys_invoice(
    bob_client: Client, alice_invoice: Invoice
) -> None:
    response = bob_client.post(f"/facturation/factures/{alice_invoice.pk}/payer/")

    assert response.status_code == 404
    assert not OnlineTransaction.objects.exists()


def test_starting_a_payment_needs_a_post(alice_client: Client, alice_invoice: Invoice) -> None:
    assert alice_client.get(f"/facturation/factures/{alice_invoice.pk}/payer/").status_code == 405


def test_the_amount_comes_from_the_invoice_not_the_browser(
    alice_client: Client, alice_invoice: Invoice
) -> None:
    response = alice_client.post(
        f"/facturation/factures/{alice_invoice.pk}/payer/",
        {"instalments": "1", "amount": "1", "vads_amount": "100"},
    )

    fields = dict(re.findall(r'name="(vads_[a-z_]+)" value="([^"]*)"', response.content.decode()))
    assert fields["vads_amount"] == "30000"
    assert OnlineTransaction.objects.get().amount_cents == 30000
