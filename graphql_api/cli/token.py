"""`graphql-api token EMAIL`: sign in to the configured user pool (or the local default's) and print the token."""

from __future__ import annotations

import argparse
import getpass

from graphql_api.cli.command import Command, argument, fail
from graphql_api.local.user_pool import (
    DEMO_PASSWORD,
    LOCAL_STATE_FILE,
    SignInFailed,
    UserPool,
    UserPoolNotConfigured,
    UserPoolUnreachable,
    read_local_state,
    sign_in,
)
from graphql_api.settings import Settings


def token(settings: Settings, args: argparse.Namespace) -> int:
    """Print an access token for `email`, alone on stdout (for `$(graphql-api token ...)`)."""
    email: str = args.email
    password: str | None = args.password
    try:
        pool, local = _configured_user_pool(settings)
    except UserPoolNotConfigured as error:
        fail(f"token: {error}")
        return 2
    if password is None:
        password = DEMO_PASSWORD if local else getpass.getpass(f"Password for {email}: ")
    try:
        print(sign_in(pool, email, password))
    except UserPoolUnreachable as error:
        stale = f" (is the local default still running? if not, delete {LOCAL_STATE_FILE})" if local else ""
        fail(f"token: {error}{stale}")
        return 1
    except SignInFailed as error:
        fail(f"token: {error}")
        return 1
    return 0


def _configured_user_pool(settings: Settings) -> tuple[UserPool, bool]:
    """The pool the settings name, else the local default's running here; and whether it is the local one."""
    if settings.auth_issuer:
        if not settings.auth_audience:
            raise UserPoolNotConfigured("AUTH_AUDIENCE is unset: it names the app client to sign in with")
        named = UserPool.from_issuer(settings.auth_issuer, settings.auth_audience[0], settings.cognito_endpoint_url)
        return named, False
    pool = read_local_state()
    if pool is None:
        raise UserPoolNotConfigured(
            "no user pool to sign in to: set AUTH_ISSUER (a Cognito user pool's issuer URL) and AUTH_AUDIENCE "
            f"(its app client id), or run `graphql-api serve` (the local default) in this directory, which "
            f"writes {LOCAL_STATE_FILE}"
        )
    return pool, True


TOKEN = Command(
    "token",
    help="sign in to the configured user pool (or the local default's) and print an access token",
    description="Sign in (USER_PASSWORD_AUTH) to the Cognito user pool of AUTH_ISSUER with the app client "
    "AUTH_AUDIENCE (COGNITO_ENDPOINT_URL: a Cognito-compatible server instead of AWS), or else to the local "
    f"default running in this directory ({LOCAL_STATE_FILE}), and print the access token alone on stdout.",
    run=token,
    arguments=(
        argument("email", metavar="EMAIL"),
        argument(
            "--password",
            help=f"default: the local default's demo password ({DEMO_PASSWORD}); asked for on other pools",
        ),
    ),
)
