# CloudFront in front of the HTTP API (var.cdn_enabled, off by default; docs/caching.md). It keeps what the service
# marks public (GETs of trusted documents that read public data only: a strong ETag and PUBLIC_CACHE_CONTROL) and
# revalidates it with If-None-Match, which the service answers 304 without DynamoDB while nothing changed.
# Anything else is `private, no-store` or `no-store` and passes through uncached.

resource "aws_cloudfront_cache_policy" "this" {
  count   = var.cdn_enabled ? 1 : 0
  name    = "${var.name}-graphql"
  comment = "GraphQL GETs: keyed on the query string (document id, variables) and the headers an answer varies on"

  # Cache-Control decides: an answer without it (or with no-store) is not kept.
  min_ttl     = 0
  default_ttl = 0
  max_ttl     = var.cdn_max_ttl

  parameters_in_cache_key_and_forwarded_to_origin {
    # The service does not compress; CloudFront compressing would change the bytes the strong ETag names.
    enable_accept_encoding_gzip   = false
    enable_accept_encoding_brotli = false

    query_strings_config {
      query_string_behavior = "all"
    }

    headers_config {
      header_behavior = "whitelist"
      headers {
        items = local.cdn_cache_key_headers
      }
    }

    cookies_config {
      cookie_behavior = "none"
    }
  }
}

resource "aws_cloudfront_distribution" "this" {
  count           = var.cdn_enabled ? 1 : 0
  enabled         = true
  comment         = "GraphQL API ${var.name}: public catalog answers cached, everything else passed through"
  price_class     = var.cdn_price_class
  is_ipv6_enabled = true

  origin {
    origin_id   = "http-api"
    domain_name = replace(aws_apigatewayv2_api.this.api_endpoint, "https://", "")

    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }
  }

  default_cache_behavior {
    target_origin_id       = "http-api"
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods         = ["GET", "HEAD"]
    cache_policy_id        = aws_cloudfront_cache_policy.this[0].id
    compress               = false
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }

  tags = var.tags
}
