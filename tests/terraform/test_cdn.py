"""CloudFront in front of the service (modules/lambda_service/cdn.tf): off by default, keyed on what an answer varies
on, forwarding Authorization so that a private answer is never another caller's, and keeping only what the
service's own Cache-Control says (parsed with python-hcl2, locals evaluated with `terraform console`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphql_api.settings import Settings
from tests.terraform.hcl import blocks, documents, load_hcl, locals_of, resources, source, unquoted
from tests.terraform.hcl import terraform_console as evaluate
from tests.terraform.test_service_module import module_inputs, module_workdir

MODULE = Path("modules") / "lambda_service"
CDN_RESOURCES = ("aws_cloudfront_cache_policy.this", "aws_cloudfront_distribution.this")


@pytest.fixture(scope="module")
def cdn(terraform_root: Path) -> dict[str, Any]:
    return resources(load_hcl(terraform_root / MODULE / "cdn.tf"))


def _block(body: dict[str, Any], *path: str) -> dict[str, Any]:
    for name in path:
        body = body[name][0]
    return body


def test_the_cdn_is_off_by_default_in_the_module_and_the_root(terraform_root: Path, cdn: dict[str, Any]) -> None:
    assert sorted(cdn) == sorted(CDN_RESOURCES)
    for name in CDN_RESOURCES:
        assert source(cdn[name]["count"]) == "var.cdn_enabled ? 1 : 0"
    assert blocks(documents(terraform_root / MODULE), "variable")["cdn_enabled"]["default"] is False
    assert locals_of(load_hcl(terraform_root / "service.tf"))["service_defaults"]["cdn_enabled"] is False
    call = blocks(documents(terraform_root), "module")["service"]
    assert source(call["cdn_enabled"]) == "local.service.cdn_enabled"


def test_the_cache_key_is_the_query_string_and_the_headers_an_answer_varies_on(
    terraform: Path, terraform_root: Path, tmp_path: Path, cdn: dict[str, Any]
) -> None:
    policy = cdn["aws_cloudfront_cache_policy.this"]
    key = _block(policy, "parameters_in_cache_key_and_forwarded_to_origin")
    assert unquoted(_block(key, "query_strings_config")["query_string_behavior"]) == "all"
    assert unquoted(_block(key, "cookies_config")["cookie_behavior"]) == "none"
    headers = _block(key, "headers_config")
    assert unquoted(headers["header_behavior"]) == "whitelist"
    assert source(_block(headers, "headers")["items"]) == "local.cdn_cache_key_headers"
    workdir = module_workdir(terraform_root / MODULE, tmp_path, module_inputs())
    # Authorization forwarded (and so in the key): a token's answer is never served from an anonymous copy.
    assert set(evaluate(terraform, workdir, "local.cdn_cache_key_headers")) == {"Authorization", "Accept", "Origin"}
    # The answer's Cache-Control decides: none (or no-store) is not kept; the strong ETag's bytes stay as sent.
    assert (policy["min_ttl"], policy["default_ttl"]) == (0, 0)
    assert (key["enable_accept_encoding_gzip"], key["enable_accept_encoding_brotli"]) == (False, False)


def test_the_distribution_caches_gets_of_the_http_api_through_the_policy(cdn: dict[str, Any]) -> None:
    distribution = cdn["aws_cloudfront_distribution.this"]
    behavior = _block(distribution, "default_cache_behavior")
    assert [unquoted(method) for method in behavior["cached_methods"]] == ["GET", "HEAD"]
    assert "POST" in [unquoted(method) for method in behavior["allowed_methods"]]  # passed through, never kept
    assert source(behavior["cache_policy_id"]) == "aws_cloudfront_cache_policy.this[0].id"
    assert behavior["compress"] is False
    origin = _block(distribution, "origin")
    assert "aws_apigatewayv2_api.this.api_endpoint" in source(origin["domain_name"])
    assert unquoted(_block(origin, "custom_origin_config")["origin_protocol_policy"]) == "https-only"
    assert unquoted(origin["origin_id"]) == unquoted(behavior["target_origin_id"])


def test_the_function_never_follows_the_streams_for_its_304s(
    terraform: Path, terraform_root: Path, tmp_path: Path
) -> None:
    inputs = module_inputs()
    inputs["environment"] = {**inputs["environment"], "PUBLIC_CACHE_FOLLOW_CHANGES": "true"}
    workdir = module_workdir(terraform_root / MODULE, tmp_path, inputs)
    # The map holds the cursor secret, which `terraform console` will not print: this entry only.
    following = evaluate(terraform, workdir, 'local.environment["PUBLIC_CACHE_FOLLOW_CHANGES"]')
    assert following == "false"  # a frozen environment would answer stale 304s
    assert Settings.model_fields["public_cache_follow_changes"].default is True  # the setting it names exists
