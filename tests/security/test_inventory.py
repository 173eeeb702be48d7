"""Every route and every admin model is classified, so that the rest of the suite covers it."""

from __future__ import annotations

from extranet.admin_scope import SiteScopedAdmin
from tests.security.admin_models import (
    NETWORK_WIDE,
    SUPERUSER_ONLY,
    label,
    registered,
    scoped_models,
)
from tests.security.routes import BY_KEY, CATCH_ALL, resolver_routes, standard_admin_keys


def test_every_route_is_classified() -> None:
    known = set(BY_KEY) | standard_admin_keys() | {CATCH_ALL}

    unclassified = sorted(
        f"{route.key} ({route.pattern})" for route in resolver_routes() if route.key not in known
    )

    assert unclassified == [], "add these routes to tests/security/routes.py"


def test_the_table_names_only_routes_that_exist() -> None:
    assert sorted(set(BY_KEY) - {route.key for route in resolver_routes()}) == []


def test_no_two_routes_share_a_name() -> None:
    # One name for two addresses: the table's entry would cover one of them only.
    keys = [route.key for route in resolver_routes()]

    assert sorted({key for key in keys if keys.count(key) > 1}) == []


def test_only_the_payment_endpoints_are_exempt_from_csrf() -> None:
    exempt = {route.key for route in resolver_routes() if getattr(route.callback, "csrf_exempt", 0)}

    assert exempt == {key for key, route in BY_KEY.items() if route.csrf_exempt}


def test_every_registered_model_is_scoped_or_restricted() -> None:
    scoped = {label(model) for model in scoped_models()}

    unclassified = sorted(
        label(model)
        for model in registered()
        if label(model) not in scoped | NETWORK_WIDE | SUPERUSER_ONLY
    )

    assert unclassified == [], "scope these models to a site, or name them in admin_models.py"
    assert scoped.isdisjoint(SUPERUSER_ONLY)


def test_every_site_scoped_model_has_a_scoped_admin() -> None:
    unscoped = sorted(
        label(model)
        for model in scoped_models()
        if not isinstance(registered()[model], SiteScopedAdmin)
    )

    assert unscoped == []
