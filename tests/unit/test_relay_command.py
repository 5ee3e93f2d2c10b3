"""`graphql-api relay` refuses to start without what it needs, saying which setting is missing."""

from __future__ import annotations

import pytest

from graphql_api.cli.main import main


def test_the_relay_needs_live_bus(monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("LIVE_BUS", raising=False)
    monkeypatch.setenv("DYNAMODB_ENDPOINT_URL", "http://127.0.0.1:9")
    assert main(["relay"]) == 2
    assert "set LIVE_BUS" in capfd.readouterr().err


def test_the_relay_needs_a_dynamodb_other_than_the_local_default(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LIVE_BUS", "redis://127.0.0.1:9/0")
    for name in ("DYNAMODB_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert main(["relay"]) == 2
    assert "needs DYNAMODB_ENDPOINT_URL or AWS" in capfd.readouterr().err
