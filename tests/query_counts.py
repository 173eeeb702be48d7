"""Query counts without transaction control.

ATOMIC_REQUESTS wraps every view in a transaction: in a test, a savepoint and its release (BEGIN
and COMMIT in production). Those statements read nothing, whatever the page, so the counts of
django_assert_num_queries and django_assert_max_num_queries leave them out and keep listing the
queries a page really runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext

TRANSACTION_CONTROL = re.compile(
    r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT|BEGIN|COMMIT|ROLLBACK)\b", re.I
)


def counted(context: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"]
        for query in context.captured_queries
        if not TRANSACTION_CONTROL.match(query["sql"])
    ]


@contextmanager
def assert_num_queries(
    config: pytest.Config,
    num: int,
    exact: bool = True,
    connection: Any | None = None,
    info: str | None = None,
    *,
    using: str | None = None,
) -> Iterator[CaptureQueriesContext]:
    conn = connection if connection is not None else connections[using or DEFAULT_DB_ALIAS]
    with CaptureQueriesContext(conn) as context:
        yield context
    queries = counted(context)
    if (len(queries) != num) if exact else (len(queries) > num):
        message = (
            f"Expected to perform {num} queries {'' if exact else 'or less '}"
            f"but {len(queries)} were done"
        )
        if info:
            message += f"\n{info}"
        if config.getoption("verbose") > 0:
            message += "\n\nQueries:\n========\n\n" + "\n\n".join(queries)
        else:
            message += " (add -v option to show queries)"
        pytest.fail(message)


@pytest.fixture
def django_assert_num_queries(pytestconfig: pytest.Config) -> Any:
    return partial(assert_num_queries, pytestconfig)


@pytest.fixture
def django_assert_max_num_queries(pytestconfig: pytest.Config) -> Any:
    return partial(assert_num_queries, pytestconfig, exact=False)
