"""The Cognito user pool that issues the service's tokens: where it is, signing in to it, and the local one.

Decisions:

- A pool is named by its issuer (`https://cognito-idp.<region>.amazonaws.com/<pool id>`) and an app
  client id; `endpoint_url` points the calls at a Cognito-compatible server instead of AWS.
- The local default's pool is moto's Cognito on the embedded server, with three demo users who share
  `DEMO_PASSWORD` (permanent: no first-sign-in challenge). moto signs every token with the private key
  published in its source, so anyone can forge this pool's tokens: it is for a laptop, never a network.
- A running local default writes `LOCAL_STATE_FILE` in its working directory (and removes it on exit) so
  that `graphql-api token` in another terminal finds the pool without any setting. It holds no secret.
- Signing in (InitiateAuth USER_PASSWORD_AUTH) is an unsigned call, as in Cognito: no AWS credentials are
  looked up. boto3 is synchronous: async callers run `sign_in` in a thread (`CachedAccessToken`).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from graphql_api.auth.identity import subject_of
from graphql_api.ops.seed import DEMO_EMAIL

LOCAL_STATE_FILE = Path(".graphql-api-local.json")
DEMO_PASSWORD = "Local-Demo-Pass-1"  # noqa: S105 (the local default's demo users only; printed by `serve`)

_COGNITO_ISSUER = re.compile(r"https://cognito-idp\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<pool_id>[\w-]+_\w+)/?")


class UserPoolNotConfigured(Exception):
    """No pool to sign in to: neither the auth settings name a Cognito pool nor a local default runs here."""


class SignInFailed(Exception):
    """The pool refused the sign-in: wrong password, unknown user, or a challenge pending."""


class UserPoolUnreachable(SignInFailed):
    """Nothing answered at the pool's endpoint (a local default that has stopped, a network problem)."""


@dataclass(frozen=True)
class UserPool:
    region: str
    pool_id: str
    client_id: str
    endpoint_url: str | None = None
    """A Cognito-compatible server (the embedded one); None means Amazon Cognito itself."""

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.pool_id}"

    @property
    def jwks_url(self) -> str:
        base = f"{self.endpoint_url.rstrip('/')}/{self.pool_id}" if self.endpoint_url else self.issuer
        return f"{base}/.well-known/jwks.json"

    @classmethod
    def from_issuer(cls, issuer: str, client_id: str, endpoint_url: str | None = None) -> UserPool:
        """The pool behind a Cognito issuer URL; `UserPoolNotConfigured` for any other issuer."""
        match = _COGNITO_ISSUER.fullmatch(issuer)
        if not match:
            raise UserPoolNotConfigured(
                f"AUTH_ISSUER {issuer!r} is not a Cognito user pool issuer "
                "(https://cognito-idp.<region>.amazonaws.com/<pool id>); sign in with your identity provider instead"
            )
        return cls(match["region"], match["pool_id"], client_id, endpoint_url)


def sign_in(pool: UserPool, email: str, password: str) -> str:
    """An access token for `email` (InitiateAuth USER_PASSWORD_AUTH); `SignInFailed` says why not."""
    client = boto3.client(
        "cognito-idp",
        region_name=pool.region,
        endpoint_url=pool.endpoint_url,
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 2}),
    )
    try:
        response = client.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
    except ClientError as error:
        # Cognito's own message ("Incorrect username or password.") is written for the person signing in.
        raise SignInFailed(f"sign-in refused for {email}: {error.response['Error'].get('Message', error)}") from None
    except BotoCoreError as error:
        raise UserPoolUnreachable(f"user pool {pool.issuer} unreachable: {error}") from None
    if "AuthenticationResult" not in response:
        raise SignInFailed(f"sign-in for {email} needs the {response.get('ChallengeName')} challenge first")
    token: str = response["AuthenticationResult"]["AccessToken"]
    return token


class CachedAccessToken:
    """One user's access token for async callers, signed in again once older than `max_age` seconds
    (well inside the token's lifetime: 1 hour for moto and Cognito's default)."""

    def __init__(self, pool: UserPool, email: str, password: str, max_age: float = 30 * 60) -> None:
        self.pool, self.email, self.password, self.max_age = pool, email, password, max_age
        self._token: str | None = None
        self._signed_in_at = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> str:
        async with self._lock:  # one sign-in however many pages load at once
            if self._token is None or time.monotonic() - self._signed_in_at > self.max_age:
                self._token = await asyncio.to_thread(sign_in, self.pool, self.email, self.password)
                self._signed_in_at = time.monotonic()
            return self._token


@dataclass(frozen=True)
class DemoUser:
    email: str
    role: str
    group: str | None


@dataclass(frozen=True)
class LocalUserPool:
    """The local default's pool and its demo users, with each user's `sub`."""

    pool: UserPool
    users: tuple[DemoUser, ...]
    subs: dict[str, str]

    def subject(self, email: str) -> str:
        """The identity the service sees in `email`'s tokens (graphql_api.auth.identity)."""
        return subject_of(self.pool.issuer, self.subs[email])


def create_local_user_pool(endpoint_url: str, region: str, staff_group: str, admin_group: str) -> LocalUserPool:
    """A pool on the embedded server: an app client allowing password sign-in, the staff and admin groups,
    and the demo users, all with `DEMO_PASSWORD`."""
    client: Any = boto3.client(
        "cognito-idp",
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id="local",  # the embedded server accepts any credentials
        aws_secret_access_key="local",  # noqa: S106 (a dummy for the embedded server)
    )
    pool_id = client.create_user_pool(PoolName="graphql-api-local")["UserPool"]["Id"]
    client_id = client.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="graphql-api-local",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    users = (
        DemoUser(DEMO_EMAIL, "customer", None),  # the demo customer Ada (graphql_api.ops.seed)
        DemoUser("staff@example.com", "staff", staff_group),
        DemoUser("admin@example.com", "admin", admin_group),
    )
    for group in (staff_group, admin_group):
        client.create_group(UserPoolId=pool_id, GroupName=group)
    subs = {}
    for user in users:
        client.admin_create_user(
            UserPoolId=pool_id,
            Username=user.email,
            UserAttributes=[{"Name": "email", "Value": user.email}, {"Name": "email_verified", "Value": "true"}],
            MessageAction="SUPPRESS",
        )
        client.admin_set_user_password(UserPoolId=pool_id, Username=user.email, Password=DEMO_PASSWORD, Permanent=True)
        if user.group:
            client.admin_add_user_to_group(UserPoolId=pool_id, Username=user.email, GroupName=user.group)
        attributes = client.admin_get_user(UserPoolId=pool_id, Username=user.email)["UserAttributes"]
        subs[user.email] = next(attribute["Value"] for attribute in attributes if attribute["Name"] == "sub")
    return LocalUserPool(UserPool(region, pool_id, client_id, endpoint_url), users, subs)


def write_local_state(pool: UserPool, path: Path = LOCAL_STATE_FILE) -> str:
    """Record the running local default's pool for `graphql-api token`; returns what was written."""
    state = {
        "endpoint": pool.endpoint_url,
        "region": pool.region,
        "userPoolId": pool.pool_id,
        "clientId": pool.client_id,
        "issuer": pool.issuer,
    }
    text = json.dumps(state, indent=2) + "\n"
    path.write_text(text)
    return text


def remove_local_state(written: str, path: Path = LOCAL_STATE_FILE) -> None:
    """Remove the state file, unless another local default started here since has replaced it."""
    try:
        if path.read_text() == written:
            path.unlink()
    except FileNotFoundError:
        pass


def read_local_state(path: Path = LOCAL_STATE_FILE) -> UserPool | None:
    """The pool of the local default running in this directory, if its state file is here."""
    try:
        state = json.loads(path.read_text())
        return UserPool(state["region"], state["userPoolId"], state["clientId"], state["endpoint"])
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as error:
        raise UserPoolNotConfigured(f"{path} is not a local default's state file ({error}); delete it") from None
