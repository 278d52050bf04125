"""renshi.core.idempotency: replay with the same body, 422 for another body, 409 while the
first request runs, no storage of server errors, purge after 24 h, keys per principal."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from renshi.core import idempotency
from renshi.core.models import IdempotencyRecord

calls: list[int] = []


class EchoView(APIView):
    status = 201

    def post(self, request):
        return idempotency.run(request, lambda: self.work(request))

    def work(self, request):
        calls.append(1)
        return Response({"n": len(calls), "got": request.data}, status=self.status)


def post(user, body, key="k1", view=EchoView):
    request = APIRequestFactory().post("/x/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    force_authenticate(request, user=user)
    return view.as_view()(request)


@pytest.fixture(autouse=True)
def _reset():
    calls.clear()


def test_replay_same_body(world):
    user = world.users["hrvp"]
    first = post(user, {"a": 1})
    second = post(user, {"a": 1})
    assert first.status_code == second.status_code == 201
    assert second.data == first.data and len(calls) == 1
    assert second["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")


def test_other_body_is_422(world):
    user = world.users["hrvp"]
    post(user, {"a": 1})
    other = post(user, {"a": 2})
    assert other.status_code == 422
    assert other.data["error"]["code"] == "idempotency_key_reused"
    assert len(calls) == 1


def test_keys_are_per_principal(world):
    post(world.users["hrvp"], {"a": 1})
    post(world.users["perf"], {"a": 1})
    assert len(calls) == 2 and IdempotencyRecord.objects.count() == 2


def test_in_progress_is_409(world):
    user = world.users["hrvp"]
    IdempotencyRecord.objects.create(
        principal=f"user:{user.pk}",
        key="k1",
        request_hash=idempotency.request_hash("POST", "/x/", {"a": 1}),
        status_code=idempotency.IN_PROGRESS,
    )
    response = post(user, {"a": 1})
    assert response.status_code == 409 and not calls


def test_server_errors_are_not_stored(world):
    class Failing(EchoView):
        status = 503

    user = world.users["hrvp"]
    assert post(user, {"a": 1}, view=Failing).status_code == 503
    assert IdempotencyRecord.objects.count() == 0
    assert post(user, {"a": 1}, view=Failing).status_code == 503
    assert len(calls) == 2


def test_no_header_runs_every_time(world):
    user = world.users["hrvp"]
    post(user, {"a": 1}, key="")
    post(user, {"a": 1}, key="")
    assert len(calls) == 2 and IdempotencyRecord.objects.count() == 0


def test_overlong_key_is_400(world):
    assert post(world.users["hrvp"], {"a": 1}, key="x" * 201).status_code == 400
    assert not calls


def test_old_records_are_purged(world):
    user = world.users["hrvp"]
    post(user, {"a": 1})
    IdempotencyRecord.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))
    again = post(user, {"a": 2})  # the old key is expired: runs again, new record
    assert again.status_code == 201 and len(calls) == 2
    assert IdempotencyRecord.objects.count() == 1
    assert idempotency.purge_expired(timezone.now() + datetime.timedelta(days=2)) == 1
