"""The gateway's own HTTP API: knowledge search, procedure records, admin and health."""

from __future__ import annotations

import time

import pytest
from pydantic import SecretStr

from bot import inbox
from channels import webchat

OFFLINE_RASA = "http://127.0.0.1:9"


@pytest.fixture
def client(gateway):
    return gateway([webchat.channel], rasa_url=OFFLINE_RASA, admin_api_token=SecretStr("admin-token"))


def test_search_returns_the_cli_json_shape(client):
    response = client.get("/api/knowledge/search", params={"q": "lam so do lan dau can giay to gi", "k": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["answerable"] is True
    assert body["results"][0]["id"] == "cap-so-do-lan-dau"
    assert len(body["results"]) == 3


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({}, "không được để trống"),
        ({"q": "   "}, "không được để trống"),
        ({"q": "x" * 10_000}, "quá dài"),
        ({"q": "hộ chiếu", "k": 0}, "k"),
        ({"q": "hộ chiếu", "k": 51}, "k"),
        ({"q": "hộ chiếu", "k": "nhiều"}, "k"),
    ],
)
def test_bad_search_requests_get_400_with_a_reason(client, params, reason):
    response = client.get("/api/knowledge/search", params=params)
    assert response.status_code == 400
    assert reason in response.json()["detail"]


@pytest.mark.parametrize("q", ["?!?...", "'; DROP TABLE procedures; --", "<script>alert(1)</script>", "🙂"])
def test_odd_queries_are_declined_not_errors(client, q):
    response = client.get("/api/knowledge/search", params={"q": q})
    assert response.status_code == 200
    assert response.json()["answerable"] is False


def test_procedure_record(client):
    body = client.get("/api/knowledge/procedures/ho-chieu").json()
    assert body["id"] == "ho-chieu" and body["thanh_phan_ho_so"] and body["can_cu_phap_ly"]


def test_unknown_procedure_is_404(client):
    response = client.get("/api/knowledge/procedures/khong-co")
    assert response.status_code == 404 and "khong-co" in response.json()["detail"]


def test_health_reports_rasa_and_queues(client):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["rasa"] is False
    assert body["inbox"] == {} and body["outbox"] == {}


def test_admin_outbox_needs_the_token(client):
    assert client.get("/api/admin/outbox").status_code == 401
    assert client.get("/api/admin/outbox", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = client.get("/api/admin/outbox", headers={"Authorization": "Bearer admin-token"}, params={"status": "failed"})
    assert ok.status_code == 200 and ok.json() == []
    bad = client.get("/api/admin/outbox", headers={"Authorization": "Bearer admin-token"}, params={"status": "x"})
    assert bad.status_code == 400


def test_admin_api_is_disabled_without_a_token(gateway):
    client = gateway([webchat.channel], rasa_url=OFFLINE_RASA)
    assert client.get("/api/admin/outbox", headers={"Authorization": "Bearer "}).status_code == 403


def test_assistant_down_gets_an_apology_not_an_error(client):
    response = client.post("/webhooks/rest/webhook", json={"sender": "w", "message": "xin chào"})
    assert response.status_code == 200
    assert response.json()[0]["text"].startswith("Dạ, hệ thống đang bận")


def test_failed_turns_stay_visible_in_the_inbox(client):
    client.post("/webhooks/rest/webhook", json={"sender": "w", "message": "xin chào", "metadata": {"message_id": 5}})
    db = client.app.state.pipeline.db
    deadline = time.monotonic() + 10
    while inbox.counts(db).get("failed") != 1 and time.monotonic() < deadline:
        time.sleep(0.02)  # the record is written just after the reply
    assert inbox.counts(db) == {"failed": 1}
