"""The AWS Lambda deployment zip: the service and its runtime dependencies for Lambda's Python 3.11 runtime.

`graphql-api package lambda` installs the project's `dependencies` (never the `local` or `dev` extras, so no
moto and no test tools) with pip for Lambda's platform (manylinux x86_64 wheels, CPython 3.11), pinned to
the versions installed where it runs (the ones the tests ran with), adds the `graphql_api` package without
`graphql_api/local` (the local default, which needs moto) and GraphiQL's assets when they were fetched
(scripts/graphiql-assets.sh), precompiles every module (the function's code is read-only, so Python could
not cache its bytecode there: without this, every cold start compiles) and the texts the standard library
compiles while the init phase imports (graphql_api.compiled_texts), and writes a reproducible zip.
"""

from __future__ import annotations

import compileall
import hashlib
import importlib.metadata
import os
import platform
import py_compile
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import graphql_api
from graphql_api import compiled_texts
from graphql_api.http.graphiql import assets_dir, problems, read_defaults, template, template_assets

PYTHON_VERSION = "3.11"
"""Lambda runtime `python3.11`: compiled wheels (pydantic-core, cryptography) are made for one Python version."""
PLATFORM = "manylinux2014_x86_64"
"""Lambda architecture `x86_64`."""
TASK_ROOT = "/var/task"
"""Where Lambda unpacks the zip."""
DEFAULT_OUTPUT = Path("build") / "lambda" / "graphql-api-lambda.zip"
BUNDLED_CACHE = "graphql-api-cache"
"""The zip's copy of GraphiQL's assets, laid out as under the user's cache (graphql_api.aws_lambda reads it)."""

PACKAGE = Path(graphql_api.__file__).resolve().parent
PROJECT = PACKAGE.parent
DISTRIBUTION = "faux-sql-graphql-api"
"""This project's distribution name (pyproject.toml): "graphql-api" on the package index is someone else's."""
EXCLUDED_FROM_PACKAGE = ("local",)
"""Subpackages of graphql_api left out: the local default (moto) never runs on Lambda."""

# botocore ships the models of every AWS service (about 27 MB, already gzipped): the zip keeps those the
# service's clients use, plus those its credential providers may call (assumed roles, SSO profiles).
BOTOCORE_SERVICES = ("dynamodb", "dynamodbstreams", "sts", "sso", "sso-oidc")

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the zip's timestamps: the same sources make the same bytes


class PackagingError(RuntimeError):
    pass


@dataclass(frozen=True)
class LambdaPackage:
    path: Path
    size: int
    """Bytes of the zip (Lambda's limit: 50 MB uploaded directly, 250 MB unzipped)."""
    unzipped_size: int
    graphiql_assets: bool
    """GraphiQL's assets are in the zip; if not, the page loads them from the CDN."""
    precompiled: bool
    """The modules' bytecode is in the zip (only a Python of the runtime's version can make it)."""


def build_lambda_zip(output: Path = DEFAULT_OUTPUT) -> LambdaPackage:
    """Build the deployment zip at `output` (replaced only once complete)."""
    with tempfile.TemporaryDirectory(prefix="graphql-api-lambda-") as staging_name:
        staging = Path(staging_name) / "package"
        install_dependencies(staging)
        trim_dependencies(staging)
        copy_package(staging)
        graphiql_assets = copy_graphiql_assets(staging)
        precompiled = compile_modules(staging)
        if precompiled:
            record_compiled_texts(staging)  # needs the runtime's Python too (and its platform: skipped off it)
        unzipped_size = sum(file.stat().st_size for file in _files(staging))
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(output.name + ".partial")
        try:
            write_zip(staging, partial)
            partial.replace(output)
        finally:
            partial.unlink(missing_ok=True)
    return LambdaPackage(output, output.stat().st_size, unzipped_size, graphiql_assets, precompiled)


def runtime_dependencies() -> list[str]:
    """The project's `dependencies`: from pyproject.toml in a source checkout, else the installed metadata."""
    pyproject = PROJECT / "pyproject.toml"
    if pyproject.is_file():
        dependencies: list[str] = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
        return dependencies
    required = importlib.metadata.requires(DISTRIBUTION) or []
    return [requirement for requirement in required if "extra ==" not in requirement]


def installed_versions() -> list[str]:
    """`name==version` of every distribution installed here (but this project): the zip's constraints."""
    pins = {}
    for distribution in importlib.metadata.distributions():
        name = distribution.metadata["Name"]
        if name and _normalized(name) != DISTRIBUTION:
            pins[_normalized(name)] = f"{name}=={distribution.version}"
    return sorted(pins.values())


def install_dependencies(target: Path) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="constraints-") as constraints:
        constraints.write("\n".join(installed_versions()) + "\n")
        constraints.flush()
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",  # compiled below, for the runtime's Python, whatever Python runs this
            "--target",
            str(target),
            "--platform",
            PLATFORM,
            "--only-binary=:all:",
            "--python-version",
            PYTHON_VERSION,
            "--implementation",
            "cp",
            "--constraint",
            constraints.name,
            *runtime_dependencies(),
        ]
        result = subprocess.run(command, capture_output=True, text=True)  # noqa: S603 (pip, with our own arguments)
    if result.returncode != 0:
        raise PackagingError(f"pip could not install the runtime dependencies:\n{result.stderr.strip()}")


def trim_dependencies(target: Path) -> None:
    """Drop what Lambda never runs: console scripts, and the models of AWS services the service never calls."""
    shutil.rmtree(target / "bin", ignore_errors=True)
    models = target / "botocore" / "data"
    for entry in models.iterdir() if models.is_dir() else ():
        if entry.is_dir() and entry.name not in BOTOCORE_SERVICES:
            shutil.rmtree(entry)


def copy_package(target: Path) -> None:
    ignored = shutil.ignore_patterns("__pycache__", "*.pyc")

    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = set(ignored(directory, names))
        if Path(directory).resolve() == PACKAGE:
            skipped.update(EXCLUDED_FROM_PACKAGE)
        return skipped

    shutil.copytree(PACKAGE, target / PACKAGE.name, ignore=ignore)


def copy_graphiql_assets(target: Path) -> bool:
    """GraphiQL's files as scripts/graphiql-assets.sh fetched them (verified), if it did."""
    html = read_defaults(template())
    assets = template_assets(html)
    directory = assets_dir(html)
    if problems(directory, assets):
        return False
    # assets_dir() is <cache>/graphql-api/graphiql/<version>: the same path under the zip's cache.
    bundled = target / BUNDLED_CACHE / directory.relative_to(directory.parents[2])
    for asset in assets:
        destination = bundled / asset.name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(directory / asset.name, destination)
    return True


def compile_modules(target: Path) -> bool:
    """Bytecode that is used without checking the sources' timestamps (zips do not keep them exactly)."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" != PYTHON_VERSION:
        return False  # another Python's bytecode would be ignored by the runtime
    compileall.compile_dir(
        target,
        stripdir=str(target),
        prependdir=TASK_ROOT,  # the paths in the bytecode are where Lambda unpacks the zip, not this build's
        quiet=2,
        workers=0,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )  # a module that does not compile (some packages ship Python 2 samples) is left to its source
    return True


def record_compiled_texts(target: Path) -> bool:
    """The init phase's dataclass methods and forward references, compiled by importing the zip's own modules in a
    fresh process (which only a Python of the runtime's version, on the runtime's platform, can)."""
    if platform.system() != "Linux" or platform.machine() != "x86_64":
        return False  # the zip's compiled wheels would not import here
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); from graphql_api.compiled_texts import main; main(sys.argv[2:])"
    )
    command = [sys.executable, "-I", "-S", "-B", "-c", script, str(target), str(target / compiled_texts.FILE_NAME)]
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(target)}  # not this shell's settings
    result = subprocess.run(command, cwd=target, env=environment, capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0:
        raise PackagingError(f"could not record the init phase's compiled texts:\n{result.stderr.strip()[-2000:]}")
    return True


def write_zip(source: Path, output: Path) -> None:
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for file in _files(source):
            entry = zipfile.ZipInfo(file.relative_to(source).as_posix(), date_time=_FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            mode = 0o755 if os.access(file, os.X_OK) else 0o644  # readable by the runtime's user
            entry.external_attr = (0o100000 | mode) << 16
            archive.writestr(entry, file.read_bytes())


def source_fingerprint() -> str:
    """A hash of everything the zip is built from: to reuse a built zip while none of it changed."""
    digest = hashlib.sha256()
    digest.update(f"{PYTHON_VERSION} {PLATFORM} {sys.version_info[:2]}\n".encode())
    digest.update("\n".join(runtime_dependencies() + installed_versions()).encode())
    for file in sorted(_files(PACKAGE)):
        relative = file.relative_to(PACKAGE)
        if relative.parts[0] in EXCLUDED_FROM_PACKAGE or "__pycache__" in relative.parts:
            continue
        digest.update(relative.as_posix().encode() + b"\0" + file.read_bytes())
    html = read_defaults(template())
    directory = assets_dir(html)
    digest.update(f"graphiql {directory.name} {not problems(directory, template_assets(html))}".encode())
    return digest.hexdigest()[:16]


def _files(root: Path) -> Iterator[Path]:
    for directory, subdirectories, names in os.walk(root):
        subdirectories.sort()
        for name in sorted(names):
            yield Path(directory) / name


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
