"""The yearly fee: QF brackets, residence, kinds of course, the children's discounts, the
ceiling tariff; and the drafts of the year's invoices with their schedule of payments."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import services
from billing.models import (
    BillingSettings,
    CourseTariff,
    Instalment,
    Invoice,
    Residence,
    TariffGrid,
    TariffKind,
)
from billing.services import BillingError, ChildCourses
from courses.models import Course
from extranet.models import SchoolYear, Site
from families.models import Family
from reenrollment.models import CeilingTariff
from students.models import Student
from tests.billing.helpers import enrol, tariff
from tests.factories import (
    CampaignFactory,
    CourseFactory,
    DepartmentFactory,
    FamilyBillingProfileFactory,
    FamilyFactory,
    InvoiceFactory,
    SchoolYearFactory,
    StudentFactory,
    TariffGridFactory,
    TariffLineFactory,
)

D = Decimal
IFM = TariffKind.INSTRUMENT_FM
DUE = datetime.date(2026, 10, 15)


def amount(grid: TariffGrid, kind: str, quotient: int | None, **kwargs: object) -> Decimal:
    return services.tariff_amount(
        grid,
        kind,
        str(kwargs.get("residence", Residence.INSIDE)),
        quotient,
        ceiling=bool(kwargs.get("ceiling", False)),
    )


# tariff_amount --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quotient", "expected"),
    [
        (0, "150.00"),
        (599, "150.00"),
        (600, "200.00"),
        (999, "200.00"),
        (1000, "250.00"),
        (1499, "250.00"),
        (1500, "300.00"),
        (25000, "300.00"),
    ],
)
def test_the_qf_picks_its_bracket(grid: TariffGrid, quotient: int, expected: str) -> None:
    assert amount(grid, IFM, quotient) == D(expected)


def test_an_unknown_qf_pays_the_ceiling_tariff(grid: TariffGrid) -> None:
    assert amount(grid, IFM, None) == D("300.00")


def test_the_ceiling_tariff_wins_over_a_low_qf(grid: TariffGrid) -> None:
    assert amount(grid, IFM, 100, ceiling=True) == D("300.00")


def test_those_living_outside_the_territory_pay_their_own_tariff(grid: TariffGrid) -> None:
    assert amount(grid, IFM, 800, residence=Residence.OUTSIDE) == D("350.00")
    assert amount(grid, IFM, None, residence=Residence.OUTSIDE) == D("450.00")


def test_the_brackets_are_read_in_qf_order_whatever_their_creation_order(
    moissy: Site, school_year: SchoolYear
) -> None:
    grid = TariffGridFactory(site=moissy, school_year=school_year)
    for qf_min, value in ((1500, 300), (0, 150), (1000, 250), (600, 200)):
        TariffLineFactory(grid=grid, kind=IFM, qf_min=qf_min, amount=value)

    assert [amount(grid, IFM, q) for q in (10, 700, 1200, 1600, None)] == [
        D(150),
        D(200),
        D(250),
        D(300),
        D(300),
    ]


def test_a_kind_missing_from_the_grid_is_refused_in_french(
    moissy: Site, school_year: SchoolYear
) -> None:
    grid = TariffGridFactory(site=moissy, school_year=school_year)
    TariffLineFactory(grid=grid, kind=IFM)

    with pytest.raises(BillingError, match="La grille tarifaire n'a pas de tarif « Danse »."):
        amount(grid, TariffKind.DANCE, 800)


# tariff_compute ---------------------------------------------------------------------------------


def test_one_child_pays_each_of_its_courses(grid: TariffGrid) -> None:
    fee = services.tariff_compute(
        grid=grid,
        quotient=800,
        residence=Residence.INSIDE,
        children=[ChildCourses("Gaëlle", [IFM, TariffKind.SECOND_INSTRUMENT])],
    )

    assert [(line.label, line.base, line.discount, line.amount) for line in fee.lines] == [
        ("Gaëlle : Instrument et formation musicale", D(200), 0, D("200.00")),
        ("Gaëlle : Second instrument", D(130), 0, D("130.00")),
    ]
    assert fee.total == D("330.00")
    assert not fee.ceiling


def test_children_are_ranked_by_their_fee_for_the_discounts(grid: TariffGrid) -> None:
    fee = services.tariff_compute(
        grid=grid,
        quotient=800,
        residence=Residence.INSIDE,
        children=[
            ChildCourses("Anna", [TariffKind.FM_ONLY]),  # 80
            ChildCourses("Basile", [IFM, TariffKind.DANCE]),  # 200 + 150
            ChildCourses("Chloé", [IFM]),  # 200
        ],
    )

    # Basile first (no discount), Chloé second (-10 %), Anna third (-20 %).
    assert [(line.child.name, line.discount, line.amount) for line in fee.lines] == [
        ("Basile", 0, D("200.00")),
        ("Basile", 0, D("150.00")),
        ("Chloé", 10, D("180.00")),
        ("Anna", 20, D("64.00")),
    ]
    assert fee.total == D("594.00")


def test_the_fourth_child_gets_the_next_children_discount_too(grid: TariffGrid) -> None:
    fee = services.tariff_compute(
        grid=grid,
        quotient=0,
        residence=Residence.INSIDE,
        children=[ChildCourses(f"Enfant {n}", [IFM]) for n in range(4)],
    )

    assert [line.discount for line in fee.lines] == [0, 10, 20, 20]
    assert fee.total == D("150.00") + D("135.00") + D("120.00") + D("120.00")


def test_the_discounts_come_from_the_grid_and_are_rounded_to_the_cent(
    moissy: Site, school_year: SchoolYear
) -> None:
    grid = TariffGridFactory(
        site=moissy, school_year=school_year, second_child_discount=15, next_children_discount=33
    )
    TariffLineFactory(grid=grid, kind=IFM, amount=D("155.55"))

    fee = services.tariff_compute(
        grid=grid,
        quotient=500,
        residence=Residence.INSIDE,
        children=[ChildCourses(n, [IFM]) for n in ("A", "B", "C")],
    )

    # 155.55 x 0.85 = 132.2175 ; 155.55 x 0.67 = 104.2185
    assert [line.amount for line in fee.lines] == [D("155.55"), D("132.22"), D("104.22")]
    assert fee.total == D("391.99")


def test_without_a_qf_every_line_is_at_the_ceiling(grid: TariffGrid) -> None:
    fee = services.tariff_compute(
        grid=grid,
        quotient=None,
        residence=Residence.OUTSIDE,
        children=[ChildCourses("Gaëlle", [IFM, TariffKind.THEATRE])],
    )

    assert fee.ceiling
    assert [line.amount for line in fee.lines] == [D("450.00"), D("350.00")]


def test_the_ceiling_mark_applies_whatever_the_qf(grid: TariffGrid) -> None:
    fee = services.tariff_compute(
        grid=grid,
        quotient=300,
        residence=Residence.INSIDE,
        children=[ChildCourses("Gaëlle", [IFM])],
        ceiling=True,
    )

    assert fee.ceiling
    assert fee.total == D("300.00")


# course_kinds -----------------------------------------------------------------------------------


@pytest.fixture
def kinds_of(alice_student: Student, school_year: SchoolYear):
    def kinds(*courses: Course, adult: bool = False) -> list[str]:
        enrolments = [enrol(alice_student, course, school_year) for course in courses]
        return services.course_kinds(enrolments, adult=adult)

    return kinds


def test_the_first_instrument_comes_with_formation_musicale(kinds_of, piano, fm) -> None:
    assert kinds_of(piano, fm) == [IFM]


def test_each_further_instrument_is_a_second_instrument(kinds_of, piano, violin, fm) -> None:
    assert kinds_of(fm, piano, violin) == [IFM, TariffKind.SECOND_INSTRUMENT]


def test_collective_music_alone_is_billed_once(kinds_of, fm, orchestra) -> None:
    assert kinds_of(fm, orchestra) == [TariffKind.FM_ONLY]


def test_dance_and_theatre_have_their_own_kinds(kinds_of, dance, theatre, piano) -> None:
    assert kinds_of(dance, theatre, piano) == [TariffKind.DANCE, TariffKind.THEATRE, IFM]


@pytest.mark.parametrize("name", ["Théâtre", "theatre", "THÉÂTRE"])
def test_the_theatre_department_is_recognised_however_written(
    kinds_of, moissy: Site, name: str
) -> None:
    course = CourseFactory(site=moissy, department=DepartmentFactory(site=moissy, name=name))

    assert kinds_of(course) == [TariffKind.THEATRE]


def test_an_adult_pays_the_adult_fee_for_the_first_instrument(kinds_of, piano, violin) -> None:
    assert kinds_of(piano, violin, adult=True) == [TariffKind.ADULT, TariffKind.SECOND_INSTRUMENT]


def test_a_course_tariff_overrides_the_rule(kinds_of, orchestra, piano, violin) -> None:
    CourseTariff.objects.create(course=orchestra, kind=TariffKind.THEATRE)
    CourseTariff.objects.create(course=violin, kind=TariffKind.FM_ONLY)

    # The orchestra is no longer collective music; the violin does not count as an instrument.
    assert kinds_of(orchestra, violin, piano) == [TariffKind.THEATRE, TariffKind.FM_ONLY, IFM]


# invoices_preview -------------------------------------------------------------------------------


@pytest.fixture
def families(
    grid: TariffGrid,
    billing_settings: BillingSettings,
    alice: Family,
    alice_student: Student,
    bob_student: Student,
    piano: Course,
    violin: Course,
    fm: Course,
    dance: Course,
    school_year: SchoolYear,
) -> None:
    """alice (QF 800, lives on the territory): Gaëlle piano and FM, Hugo dance; bob (no QF):
    Léo violin."""
    FamilyBillingProfileFactory(family=alice, quotient_familial=800)
    enrol(alice_student, piano, school_year)
    enrol(alice_student, fm, school_year)
    enrol(StudentFactory(family=alice, prenom="Hugo", nom="TEST"), dance, school_year)
    enrol(bob_student, violin, school_year)


def preview(site: Site, school_year: SchoolYear, instalments: int = 1) -> list:
    return services.invoices_preview(
        site=site, school_year=school_year, due_date=DUE, instalments=instalments
    )


def described(draft: services.InvoiceDraft) -> list[tuple[str, int, Decimal]]:
    return [(line.label, line.discount, line.amount) for line in draft.fee.lines]


def test_there_is_one_draft_per_family_with_a_line_per_child_and_course(
    families: None, moissy: Site, school_year: SchoolYear, alice: Family, bob: Family
) -> None:
    drafts = preview(moissy, school_year)

    assert [d.family for d in drafts] == [alice, bob]
    assert described(drafts[0]) == [
        ("Gaëlle TEST : Instrument et formation musicale", 0, D("200.00")),
        ("Hugo TEST : Danse", 10, D("135.00")),
    ]
    assert drafts[0].total == D("335.00")
    assert not drafts[0].fee.ceiling
    # bob gave no QF: the ceiling tariff.
    assert described(drafts[1]) == [("Léo MARTIN : Instrument et formation musicale", 0, D(300))]
    assert drafts[1].fee.ceiling


def test_a_family_with_an_active_ceiling_mark_for_the_year_gets_the_ceiling_tariff(
    families: None, moissy: Site, school_year: SchoolYear, alice: Family
) -> None:
    campaign = CampaignFactory(site=moissy, school_year=school_year)
    CeilingTariff.objects.create(campaign=campaign, family=alice, missing="Avis d'imposition")

    [draft, _bob] = preview(moissy, school_year)

    assert draft.fee.ceiling
    assert [line.amount for line in draft.fee.lines] == [D("300.00"), D("189.00")]


def test_a_cleared_ceiling_mark_no_longer_counts(
    families: None, moissy: Site, school_year: SchoolYear, alice: Family
) -> None:
    campaign = CampaignFactory(site=moissy, school_year=school_year)
    CeilingTariff.objects.create(
        campaign=campaign, family=alice, missing="Avis", cleared_at=timezone.now()
    )

    [draft, _bob] = preview(moissy, school_year)

    assert not draft.fee.ceiling
    assert draft.total == D("335.00")


def test_a_ceiling_mark_of_another_years_campaign_does_not_count(
    families: None, moissy: Site, school_year: SchoolYear, alice: Family
) -> None:
    campaign = CampaignFactory(site=moissy)  # next school year's
    assert campaign.school_year != school_year
    CeilingTariff.objects.create(campaign=campaign, family=alice, missing="Avis")

    [draft, _bob] = preview(moissy, school_year)

    assert not draft.fee.ceiling


def test_families_already_invoiced_for_the_year_are_left_out(
    families: None, moissy: Site, school_year: SchoolYear, alice: Family, bob: Family
) -> None:
    InvoiceFactory(family=alice, school_year=school_year)
    InvoiceFactory(family=bob, school_year=school_year, kind=Invoice.Kind.LOCATION)
    InvoiceFactory(family=bob, school_year=SchoolYearFactory(start_date=datetime.date(2020, 9, 1)))

    assert [d.family for d in preview(moissy, school_year)] == [bob]


def test_only_this_years_active_enrolments_count(
    families: None,
    moissy: Site,
    school_year: SchoolYear,
    bob_student: Student,
    bob: Family,
    piano: Course,
) -> None:
    stopped = enrol(bob_student, piano, school_year)
    stopped.active = False
    stopped.save()
    enrol(bob_student, piano, SchoolYearFactory(start_date=datetime.date(2020, 9, 1)))

    drafts = {d.family: d for d in preview(moissy, school_year)}

    assert described(drafts[bob]) == [("Léo MARTIN : Instrument et formation musicale", 0, D(300))]


def test_a_family_off_the_territory_pays_the_outside_tariff(
    families: None, moissy: Site, school_year: SchoolYear, violin: Course
) -> None:
    family = FamilyFactory(site=moissy, code_postal="75011", ville="PARIS")
    enrol(StudentFactory(family=family), violin, school_year)

    drafts = {d.family: d for d in preview(moissy, school_year)}

    assert drafts[family].total == tariff(IFM, None, Residence.OUTSIDE) == D("450.00")


def test_an_adult_pupil_pays_the_adult_fee(
    families: None, moissy: Site, school_year: SchoolYear, piano: Course
) -> None:
    family = FamilyFactory(site=moissy)
    FamilyBillingProfileFactory(family=family, quotient_familial=1200)
    adult = StudentFactory(
        family=family,
        date_naissance=school_year.start_date.replace(year=school_year.start_date.year - 30),
    )
    enrol(adult, piano, school_year)

    drafts = {d.family: d for d in preview(moissy, school_year)}

    assert [line.kind for line in drafts[family].fee.lines] == [TariffKind.ADULT]
    assert drafts[family].total == D("350.00")


def test_without_a_grid_there_is_nothing_to_preview(moissy: Site, school_year: SchoolYear) -> None:
    with pytest.raises(BillingError, match="Aucune grille tarifaire pour ce site et cette année."):
        preview(moissy, school_year)


@pytest.mark.parametrize("count", [3, 10])
def test_the_schedule_sums_to_the_total_exactly(
    families: None, moissy: Site, school_year: SchoolYear, count: int
) -> None:
    for draft in preview(moissy, school_year, instalments=count):
        assert len(draft.instalments) == count
        assert sum(a for _d, a in draft.instalments) == draft.total
        assert max(a for _d, a in draft.instalments) - min(a for _d, a in draft.instalments) <= D(
            "0.09"
        )


def test_the_schedule_falls_due_monthly_from_the_first_due_date(
    families: None, moissy: Site, school_year: SchoolYear
) -> None:
    alice_draft = preview(moissy, school_year, instalments=3)[0]

    # 335 / 3: two instalments of 111.67, the last takes the rounding.
    assert alice_draft.instalments == [
        (datetime.date(2026, 10, 15), D("111.67")),
        (datetime.date(2026, 11, 15), D("111.67")),
        (datetime.date(2026, 12, 15), D("111.66")),
    ]


def test_ten_instalments_run_across_the_new_year() -> None:
    schedule = services._schedule(D("1000.01"), datetime.date(2026, 9, 30), 10)

    assert [d for d, _a in schedule] == [
        datetime.date(2026, 9, 28),
        datetime.date(2026, 10, 28),
        datetime.date(2026, 11, 28),
        datetime.date(2026, 12, 28),
        datetime.date(2027, 1, 28),
        datetime.date(2027, 2, 28),
        datetime.date(2027, 3, 28),
        datetime.date(2027, 4, 28),
        datetime.date(2027, 5, 28),
        datetime.date(2027, 6, 28),
    ]
    assert sum(a for _d, a in schedule) == D("1000.01")


def test_one_instalment_means_no_schedule(
    families: None, moissy: Site, school_year: SchoolYear
) -> None:
    assert all(d.instalments == [] for d in preview(moissy, school_year))


# invoices_issue ---------------------------------------------------------------------------------


def test_issued_invoices_keep_the_previewed_lines_and_schedule(
    families: None,
    moissy: Site,
    school_year: SchoolYear,
    alice: Family,
    billing_settings: BillingSettings,
) -> None:
    billing_settings.online_payment_days = 45
    billing_settings.save()

    issued = services.invoices_issue(
        site=moissy, school_year=school_year, due_date=DUE, label="Cotisation", instalments=3
    )

    invoice = issued[0]
    today = timezone.localdate()
    assert (invoice.family, invoice.total, invoice.label) == (alice, D("335.00"), "Cotisation")
    assert (invoice.issued_at, invoice.due_date) == (today, DUE)
    assert invoice.online_until == today + datetime.timedelta(days=45)
    assert invoice.billing_name == "Madame TEST FAMILLE"
    assert invoice.billing_address == "1 rue de la Mare l'Evêque\n77550 MOISSY CRAMAYEL"
    assert [(line.label, line.amount, line.student) for line in invoice.lines.all()] == [
        (
            "Gaëlle TEST : Instrument et formation musicale",
            D("200.00"),
            alice.students.get(prenom="Gaëlle"),
        ),
        ("Hugo TEST : Danse (-10 %)", D("135.00"), alice.students.get(prenom="Hugo")),
    ]
    amounts = list(Instalment.objects.filter(invoice=invoice).values_list("amount", flat=True))
    assert amounts == [D("111.67"), D("111.67"), D("111.66")]
    assert issued[1].ceiling_tariff


def test_issuing_twice_invoices_each_family_once(
    families: None, moissy: Site, school_year: SchoolYear
) -> None:
    first = services.invoices_issue(site=moissy, school_year=school_year, due_date=DUE, label="1")
    again = services.invoices_issue(site=moissy, school_year=school_year, due_date=DUE, label="2")

    assert (len(first), again) == (2, [])
    assert Invoice.objects.count() == 2
