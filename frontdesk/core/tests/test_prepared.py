"""A query compiled once gives what the ORM gives, and refuses lookups it cannot replay."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from frontdesk.accounts.models import ApiToken, User
from frontdesk.accounts.services import api_token_create, api_token_revoke, token_digest
from frontdesk.core.prepared import PreparedQuery

pytestmark = pytest.mark.django_db


def _token_query() -> PreparedQuery[ApiToken]:
    return PreparedQuery(
        lambda digest: ApiToken.objects.select_related("user").filter(
            digest=digest, revoked_at__isnull=True
        ),
        "stand-in",
    )


def test_rows_come_back_as_the_orm_builds_them(people):
    prepared = _token_query()
    dana_token, dana_key = api_token_create(user=people["dana"], name="laptop")
    alice_token, alice_key = api_token_create(user=people["alice"], name="ci")
    for token, key in ((dana_token, dana_key), (alice_token, alice_key)):
        expected = ApiToken.objects.select_related("user").get(pk=token.pk)
        with CaptureQueriesContext(connection) as queries:
            found = prepared.first(token_digest(key))
            assert found is not None
            user = found.user  # select_related: no second query
        assert len(queries) == 1
        assert found.pk == expected.pk and found.name == expected.name
        # Dates and flags are converted as the ORM converts them (SQLite keeps them as text).
        assert found.created_at == expected.created_at and found.created_at.tzinfo is not None
        assert user.pk == expected.user.pk and user.email == expected.user.email
        assert user.is_active is True and user.date_joined == expected.user.date_joined
        assert user.role == expected.user.role
        assert found._state.adding is False and found._state.db == "default"


def test_no_row_is_none_and_the_filter_still_applies(people):
    prepared = _token_query()
    token, key = api_token_create(user=people["dana"], name="laptop")
    assert prepared.first(token_digest("fd_not-a-key")) is None
    assert prepared.first(token_digest(key)) is not None
    api_token_revoke(token=token)
    assert prepared.first(token_digest(key)) is None  # revoked_at__isnull still holds


def test_a_lookup_that_rewrites_its_value_is_refused(people):
    # contains wraps the value in % (and escapes it): replaying raw values would be wrong.
    prepared = PreparedQuery(lambda email: User.objects.filter(email__contains=email), "x")
    with pytest.raises(ValueError, match="appears 0 times"):
        prepared.first("dana")


def test_a_value_of_another_type_is_refused(people):
    # The ORM would turn True into 1 for an integer column; bound raw it would not be.
    prepared = PreparedQuery(lambda pk: User.objects.filter(pk=pk), -1)
    assert prepared.first(people["dana"].pk).email == "dana@example.com"
    with pytest.raises(TypeError):
        prepared.first(True)
    with pytest.raises(TypeError):
        prepared.first(str(people["dana"].pk))


@pytest.mark.parametrize(
    "build",
    [
        lambda pk: User.objects.filter(pk=pk).annotate(n=Count("api_tokens")),
        lambda pk: User.objects.filter(pk=pk).prefetch_related("api_tokens"),
        lambda pk: User.objects.filter(pk=pk).values("email"),
    ],
    ids=["annotate", "prefetch_related", "values"],
)
def test_what_it_would_not_replay_is_refused(people, build):
    with pytest.raises(ValueError, match="plain model querysets"):
        PreparedQuery(build, -1).first(people["dana"].pk)
