"""`graphql-api package lambda`: the AWS Lambda deployment zip."""

from __future__ import annotations

import argparse
from pathlib import Path

from graphql_api.cli.command import Command, Group, argument, fail
from graphql_api.ops.package_lambda import DEFAULT_OUTPUT, PYTHON_VERSION, PackagingError, build_lambda_zip
from graphql_api.settings import Settings


def package_lambda(settings: Settings, args: argparse.Namespace) -> int:
    output: Path = args.output
    try:
        built = build_lambda_zip(output)
    except PackagingError as error:
        fail(f"package lambda: {error}")
        return 1
    assets = "with GraphiQL's assets" if built.graphiql_assets else "GraphiQL loads its assets from the CDN"
    print(
        f"{built.path}: {built.size / 1e6:.1f} MB ({built.unzipped_size / 1e6:.1f} MB unzipped), {assets}; "
        f"handler graphql_api.aws_lambda.handler, runtime python{PYTHON_VERSION} (x86_64)"
    )
    if not built.precompiled:
        print(f"not precompiled (run it with Python {PYTHON_VERSION} for that): cold starts compile every module")
    return 0


PACKAGE = Group(
    "package",
    help="build a deployment package",
    commands=(
        Command(
            "lambda",
            help=f"the AWS Lambda zip (python{PYTHON_VERSION}, x86_64) for the handler graphql_api.aws_lambda.handler",
            description="Install the runtime dependencies for Lambda's platform (no moto, no dev tools), add the "
            "package without graphql_api/local and GraphiQL's assets if fetched, precompile, and zip.",
            run=package_lambda,
            arguments=(
                argument(
                    "--output",
                    type=Path,
                    default=DEFAULT_OUTPUT,
                    help=f"where to write the zip (default {DEFAULT_OUTPUT})",
                ),
            ),
        ),
    ),
)
