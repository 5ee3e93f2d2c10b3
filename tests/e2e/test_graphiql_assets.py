"""GraphiQL works offline: its scripts and styles are served by the app, and its page allows nothing else."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx2
import pytest
from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.http.graphiql import ASSETS_PATH, assets_dir, graphiql_page, template, template_assets
from graphql_api.settings import Settings
from tests.backends import ROOT

# No DynamoDB call is made: the page and its assets are static.
SETTINGS = Settings(dynamodb_endpoint_url="http://127.0.0.1:9", cursor_secret="test-secret", auth_mode="none")


def get(*paths: str) -> list[httpx2.Response]:
    """GET each path from a new app, as a browser asks (so /graphql answers with the GraphiQL page)."""
    with TestClient(create_app(SETTINGS)) as client:
        return [client.get(path, headers={"Accept": "text/html"}) for path in paths]


def directives(policy: str) -> dict[str, list[str]]:
    parsed = (directive.split() for directive in policy.split(";") if directive.strip())
    return {name: sources for name, *sources in parsed}


def test_the_page_loads_every_asset_from_this_service(graphiql_assets: Path) -> None:
    [page] = get("/graphql")
    assert page.status_code == 200
    urls = [url for url in re.findall(r'(?:src|href)="([^"]+)"', page.text) if not url.startswith("data:")]
    assert len(urls) == len(template_assets(template()))
    assert all(url.startswith(ASSETS_PATH) for url in urls), urls
    assert "https://" not in page.text


def test_the_page_policy_allows_this_origin_only(graphiql_assets: Path) -> None:
    [page] = get("/graphql")
    policy = directives(page.headers["content-security-policy"])
    for sources in policy.values():
        assert not [source for source in sources if "http" in source or "unpkg" in source], policy
    # The one inline bootstrap script is allowed by its hash; no other inline script runs.
    assert "'unsafe-inline'" not in policy["script-src"]
    assert [source for source in policy["script-src"] if source.startswith("'sha256-")]
    assert policy["connect-src"] == ["'self'"]


def test_every_asset_is_served_and_matches_the_page_integrity_hash(graphiql_assets: Path) -> None:
    assets = template_assets(template())
    assert {asset.package.rsplit("@", 1)[0] for asset in assets} == {
        "react",
        "react-dom",
        "js-cookie",
        "graphiql",
        "@graphiql/plugin-explorer",
    }
    for asset, response in zip(assets, get(*(ASSETS_PATH + asset.name for asset in assets)), strict=True):
        assert response.status_code == 200, asset.name
        kind = "text/css" if asset.path.endswith(".css") else "text/javascript"
        assert response.headers["content-type"].startswith(kind)
        assert asset.integrity
        algorithm, _, expected = asset.integrity.partition("-")
        assert base64.b64encode(hashlib.new(algorithm, response.content).digest()).decode() == expected


def test_only_the_files_the_page_names_are_served(graphiql_assets: Path) -> None:
    paths = ("react@18.2.0/package.json", "react@18.2.0/umd/react.development.js", "../../../../etc/passwd", "")
    for path, response in zip(paths, get(*(ASSETS_PATH + path for path in paths)), strict=True):
        assert response.status_code == 404, path


def test_without_the_assets_the_page_falls_back_to_the_cdn_and_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with caplog.at_level(logging.WARNING, logger="graphql_api.http.graphiql"):
        page, asset = get("/graphql", ASSETS_PATH + "react@18.2.0/umd/react.production.min.js")
    assert "https://unpkg.com/graphiql@" in page.text
    assert "https://unpkg.com" in directives(page.headers["content-security-policy"])["script-src"]
    assert "scripts/graphiql-assets.sh" in caplog.text
    assert asset.status_code == 404


def test_a_file_that_fails_its_integrity_hash_is_never_served(
    graphiql_assets: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tampered = tmp_path / "assets"
    shutil.copytree(graphiql_assets, tampered)
    (tampered / "js-cookie@3.0.5" / "dist" / "js.cookie.min.js").write_text("alert('tampered')")
    page = graphiql_page(tampered)
    assert not page.local
    assert "https://unpkg.com/" in page.html
    assert "integrity mismatch js-cookie@3.0.5/dist/js.cookie.min.js" in caplog.text


def test_the_fetch_script_caches_under_xdg_cache_home(graphiql_assets: Path, tmp_path: Path) -> None:
    script = ROOT / "scripts" / "graphiql-assets.sh"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    first = subprocess.run(["bash", str(script)], check=True, capture_output=True, text=True, env=env, cwd=ROOT)
    directory = Path(first.stdout.strip())
    assert directory == tmp_path / "graphql-api" / "graphiql" / directory.name
    assert graphiql_page(directory).local
    assert sorted(p.name for p in directory.parent.iterdir()) == [directory.name]  # no staging left behind
    kept = sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())
    assert kept == sorted(asset.name for asset in template_assets(template()))
    again = subprocess.run(["bash", str(script)], check=True, capture_output=True, text=True, env=env, cwd=ROOT)
    assert again.stdout == first.stdout
    assert assets_dir() == graphiql_assets


def test_assets_are_cacheable_for_ever_and_api_answers_never(graphiql_assets: Path) -> None:
    asset = template_assets(template())[0]
    with TestClient(create_app(SETTINGS)) as client:
        served = client.get(ASSETS_PATH + asset.name)
        answer = client.get("/healthz")
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert answer.headers["cache-control"] == "no-store"
