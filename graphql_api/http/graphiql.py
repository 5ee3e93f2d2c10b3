"""GraphiQL without a CDN: Strawberry's GraphiQL page, loading its scripts and styles from this service.

`scripts/graphiql-assets.sh` fetches the npm packages that the page names, at the versions it names,
into the user's cache directory (see `assets_dir`); the app serves exactly those files under
`/graphiql/assets/` and keeps the page's integrity hashes, which are checked here at start too. When
they were not fetched, the page is Strawberry's own, loading them from the CDN, and a warning says so.

Editors filled in (the local default's example query and header): the page's inline script is changed once,
when the page is built, to read `{"query", "variables", "headers"}` from a `<script type="application/json">`
block if the page has one, so the script, and the hash the CSP allows it by, are the same on every page;
`GraphiQLPage.with_defaults` only adds that block, which is data and never runs.

`python -m graphql_api.http.graphiql dir|assets|verify DIR` is what the fetch script asks of this module.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from strawberry.http.ides import get_graphql_ide_html

logger = logging.getLogger(__name__)

CDN = "https://unpkg.com/"
ASSETS_PATH = "/graphiql/assets/"

_TAG = re.compile(r"<(?:script|link)\b[^>]*>")
_CDN_URL = re.compile(r'(?:src|href)="' + re.escape(CDN) + r'((?:@[^/"]+/)?[^/"]+@[^/"]+)/([^"]+)"')
_INTEGRITY = re.compile(r'integrity="([^"]+)"')
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
DEFAULTS_ELEMENT_ID = "graphiql-defaults"
# Strawberry's bootstrap script, changed to open on the page's defaults: URL parameters (a shared link, the
# user's edits) still come first, then the defaults, then Strawberry's welcome text. `defaultQuery` and
# `defaultHeaders` are what GraphiQL 3 puts in a new tab; `query`, `variables`, `headers` open the first one.
_DEFAULTS_READER = (
    (
        "const EXAMPLE_QUERY = ",
        f'const PAGE_DEFAULTS = JSON.parse(document.getElementById("{DEFAULTS_ELEMENT_ID}")?.textContent || "{{}}");'
        "\n      const EXAMPLE_QUERY = ",
    ),
    ("parameters.q || EXAMPLE_QUERY", "parameters.q || PAGE_DEFAULTS.query || EXAMPLE_QUERY"),
    ("parameters.variables,", "parameters.variables || PAGE_DEFAULTS.variables,"),
    ("React.useState(parameters.headers)", "React.useState(parameters.headers || PAGE_DEFAULTS.headers)"),
    # With a header to show (Ada's), open the Headers tab: GraphiQL picks Variables whenever they are non-empty.
    (
        "defaultEditorToolsVisibility: true,",
        'defaultEditorToolsVisibility: PAGE_DEFAULTS.headers ? "headers" : true,',
    ),
    (
        "fetcher: fetcher,",
        "fetcher: fetcher,\n"
        "          defaultQuery: PAGE_DEFAULTS.query,\n"
        "          defaultHeaders: PAGE_DEFAULTS.headers,",
    ),
    # Subscriptions carry the token in connection_init: GraphiQL sends the defaults' headers there.
    (
        "subscriptionUrl,\n      });",
        'subscriptionUrl,\n        wsConnectionParams: JSON.parse(PAGE_DEFAULTS.headers || "{}"),\n      });',
    ),
)


@dataclass(frozen=True)
class Asset:
    """One file the page loads: `package` is `name@version` as npm knows it, `path` a file in that package."""

    package: str
    path: str
    integrity: str | None

    @property
    def name(self) -> str:
        """Its path under the CDN, under `ASSETS_PATH`, and in the assets directory alike."""
        return f"{self.package}/{self.path}"


@dataclass(frozen=True)
class GraphiQLDefaults:
    """What GraphiQL's editors open with (the local default's example query, Ada's variables and header)."""

    query: str
    variables: dict[str, Any]
    headers: dict[str, str]


@dataclass(frozen=True)
class GraphiQLPage:
    html: str
    files: dict[str, Path]
    """Asset name -> file, for the local page; empty when the page loads its assets from the CDN."""
    inline_script_hashes: tuple[str, ...]
    """CSP source expressions ('sha256-...') of the page's inline scripts."""

    @property
    def local(self) -> bool:
        return bool(self.files)

    def with_defaults(self, defaults: GraphiQLDefaults) -> str:
        """The page's HTML with its editors filled in from `defaults` (a data block its script reads)."""
        data = {
            "query": defaults.query,
            "variables": json.dumps(defaults.variables, indent=2),  # GraphiQL's editors take text
            "headers": json.dumps(defaults.headers, indent=2),
        }
        # In a <script> element only "</script" (or "<!--") ends it early: no "<" reaches the HTML parser.
        text = json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        block = f'<script type="application/json" id="{DEFAULTS_ELEMENT_ID}">{text}</script>\n  '
        return self.html.replace("</head>", block + "</head>", 1)

    async def serve_asset(self, request: Request) -> Response:
        """`ASSETS_PATH{name}`: only the files the page names, never anything else in the directory."""
        file = self.files.get(request.path_params["name"])
        if file is None:
            return PlainTextResponse("Not Found", status_code=404)
        # Versioned URLs with integrity hashes: the content behind a URL never changes.
        return FileResponse(file, headers={"cache-control": "public, max-age=31536000, immutable"})


def template() -> str:
    return get_graphql_ide_html("graphiql")


def read_defaults(html: str) -> str:
    """`html` (Strawberry's template) with its inline script opening on the page's defaults block, if any."""
    scripts = _INLINE_SCRIPT.findall(html)
    if len(scripts) != 1:
        raise RuntimeError(f"Strawberry's GraphiQL template has {len(scripts)} inline scripts, expected 1")
    script = scripts[0]
    for old, new in _DEFAULTS_READER:
        if script.count(old) != 1:
            raise RuntimeError(f"Strawberry's GraphiQL template changed: {old!r} is not in its script once")
        script = script.replace(old, new)
    return html.replace(scripts[0], script)


def template_assets(html: str) -> list[Asset]:
    assets = []
    for tag in _TAG.findall(html):
        url = _CDN_URL.search(tag)
        if url:
            integrity = _INTEGRITY.search(tag)
            assets.append(Asset(url.group(1), url.group(2), integrity.group(1) if integrity else None))
    return assets


def assets_dir(html: str | None = None) -> Path:
    """Where scripts/graphiql-assets.sh keeps the files: one directory per GraphiQL version."""
    packages = [asset.package for asset in template_assets(html or template())]
    graphiql = next((package for package in packages if package.startswith("graphiql@")), "graphiql@unknown")
    version = graphiql.removeprefix("graphiql@")
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "graphql-api" / "graphiql" / version


def problems(directory: Path, assets: list[Asset]) -> list[str]:
    """What keeps `directory` from serving `assets`: a missing file, or one that fails its integrity hash."""
    found = []
    for asset in assets:
        file = directory / asset.name
        if not file.is_file():
            found.append(f"missing {asset.name}")
        elif asset.integrity and not _matches(file.read_bytes(), asset.integrity):
            found.append(f"integrity mismatch {asset.name}")
    return found


def _matches(content: bytes, integrity: str) -> bool:
    algorithm, _, expected = integrity.partition("-")
    return base64.b64encode(hashlib.new(algorithm, content).digest()).decode() == expected


def graphiql_page(directory: Path | None = None) -> GraphiQLPage:
    """The page on local assets when `directory` (by default `assets_dir()`) holds them all, else the CDN page."""
    html = read_defaults(template())
    assets = template_assets(html)
    directory = directory or assets_dir(html)
    hashes = tuple(_script_hash(script) for script in _INLINE_SCRIPT.findall(html))
    missing = problems(directory, assets)
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        logger.warning(
            "GraphiQL loads its assets from %s, not from %s (%s%s): run scripts/graphiql-assets.sh to serve them",
            CDN,
            directory,
            missing[0],
            more,
        )
        return GraphiQLPage(html=html, files={}, inline_script_hashes=hashes)
    local_html = html.replace(f'="{CDN}', f'="{ASSETS_PATH}')
    files = {asset.name: directory / asset.name for asset in assets}
    return GraphiQLPage(html=local_html, files=files, inline_script_hashes=hashes)


def _script_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def main(argv: list[str]) -> int:
    html = template()
    if argv == ["dir"]:
        print(assets_dir(html))
        return 0
    if argv == ["assets"]:
        for asset in template_assets(html):
            print(asset.package, asset.path)
        return 0
    if len(argv) == 2 and argv[0] == "verify":
        found = problems(Path(argv[1]), template_assets(html))
        for problem in found:
            print(problem, file=sys.stderr)
        return 1 if found else 0
    print("usage: python -m graphql_api.http.graphiql dir | assets | verify DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
