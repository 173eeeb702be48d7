"""Helpers of the billing tests: the tariff grid, PayZen notifications, PDFs, threads."""

from __future__ import annotations

import io
import secrets
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import connections
from pypdf import PdfReader

from billing import payzen
from billing.models import OnlineTransaction, Residence, TariffGrid, TariffKind
from courses.models import Course, Enrolment
from extranet.models import SchoolYear, Site
from students.models import Student
from tests.factories import EnrolmentFactory, TariffGridFactory, TariffLineFactory

BRACKETS = (0, 600, 1000, 1500)
# Yearly fee per kind for the residents of the territory, by QF bracket; the last one is the
# ceiling tariff. Those who live outside pay OUTSIDE_EXTRA more in every bracket.
INSIDE = {
    TariffKind.INSTRUMENT_FM: (150, 200, 250, 300),
    TariffKind.SECOND_INSTRUMENT: (100, 130, 160, 190),
    TariffKind.FM_ONLY: (60, 80, 100, 120),
    TariffKind.DANCE: (120, 150, 180, 210),
    TariffKind.THEATRE: (110, 140, 170, 200),
    TariffKind.ADULT: (250, 300, 350, 400),
}
OUTSIDE_EXTRA = 150


def tariff(kind: str, quotient: int | None, residence: str = Residence.INSIDE) -> Decimal:
    """What the grid of `grid_for` asks for a kind: the reference the tests compare with."""
    amounts = INSIDE[TariffKind(kind)]
    index = 3 if quotient is None else max(i for i, q in enumerate(BRACKETS) if quotient >= q)
    extra = OUTSIDE_EXTRA if residence == Residence.OUTSIDE else 0
    return Decimal(amounts[index] + extra).quantize(Decimal("0.01"))


def grid_for(site: Site, school_year: SchoolYear, **kwargs: Any) -> TariffGrid:
    grid = TariffGridFactory(site=site, school_year=school_year, **kwargs)
    for kind, amounts in INSIDE.items():
        for qf_min, amount in zip(BRACKETS, amounts, strict=True):
            TariffLineFactory(
                grid=grid, kind=kind, residence=Residence.INSIDE, qf_min=qf_min, amount=amount
            )
            TariffLineFactory(
                grid=grid,
                kind=kind,
                residence=Residence.OUTSIDE,
                qf_min=qf_min,
                amount=amount + OUTSIDE_EXTRA,
            )
    return grid


def enrol(student: Student, course: Course, school_year: SchoolYear) -> Enrolment:
    return EnrolmentFactory(
        student=student,
        slot__course=course,
        slot__site=course.site,
        slot__school_year=school_year,
    )


def notification(
    tx: OnlineTransaction,
    *,
    status: str = "AUTHORISED",
    key: str = payzen.TEST_KEY,
    **overrides: str,
) -> dict[str, str]:
    """A notification (IPN) as PayZen sends it for this transaction, signed with `key`;
    `overrides` change fields before signing."""
    fields = {
        "vads_action_mode": "INTERACTIVE",
        "vads_amount": str(tx.amount_cents),
        "vads_ctx_mode": tx.mode,
        "vads_currency": "978",
        "vads_cust_email": "test@example.org",
        "vads_effective_amount": str(tx.amount_cents),
        "vads_hash": secrets.token_hex(32),
        "vads_operation_type": "DEBIT",
        "vads_order_id": tx.order_id,
        "vads_page_action": "PAYMENT",
        "vads_payment_config": tx.payment_config,
        "vads_result": "00" if status == "AUTHORISED" else "05",
        "vads_site_id": payzen.TEST_SITE_ID,
        "vads_trans_date": tx.trans_date,
        "vads_trans_id": tx.trans_id,
        "vads_trans_status": status,
        "vads_trans_uuid": secrets.token_hex(16),
        "vads_url_check_src": "PAY",
        "vads_version": "V2",
        **overrides,
    }
    fields["signature"] = payzen.signature(fields, key)
    return fields


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def run_concurrently(tasks: list[Callable[[], Any]]) -> list[Any]:
    """Run each task in a thread of its own, all released at once; return what each returned
    or raised. Each thread has its own database connection, closed when it ends."""
    barrier = threading.Barrier(len(tasks))
    results: list[Any] = [None] * len(tasks)

    def run(index: int, task: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = task()
        except BaseException as error:  # noqa: BLE001 (the test looks at every outcome)
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, task)) for i, task in enumerate(tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is still blocked"
    return results
