# An Amazon Cognito user pool for the service's sign-ins, when var.user_pool.enabled: the pool (users sign
# in with their email), one public app client (browsers, apps and `graphql-api token` cannot keep a
# secret) and the staff and admin groups, which the service reads from the access token's cognito:groups.
# The service (service.tf) trusts this pool unless var.service names an auth_issuer of its own.

locals {
  user_pool_defaults = {
    enabled          = false
    name             = "${var.name_prefix}graphql-api"
    staff_group      = "staff"
    admin_group      = "admin"
    self_sign_up     = false
    password_sign_in = false
  }
  user_pool = merge(local.user_pool_defaults, var.user_pool)

  # AUTH_ISSUER and AUTH_AUDIENCE for the pool's access tokens; null without a pool.
  user_pool_issuer    = local.user_pool.enabled ? "https://${aws_cognito_user_pool.this[0].endpoint}" : null
  user_pool_client_id = local.user_pool.enabled ? aws_cognito_user_pool_client.this[0].id : null

  # The groups that make a signed-in user staff or admin, by role.
  user_pool_groups = {
    for role, group in { staff = local.user_pool.staff_group, admin = local.user_pool.admin_group } :
    role => group if local.user_pool.enabled
  }
}

resource "aws_cognito_user_pool" "this" {
  count = local.user_pool.enabled ? 1 : 0

  name                     = local.user_pool.name
  tags                     = var.tags
  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]
  # The pool holds the users: it follows the tables' deletion protection.
  deletion_protection = var.deletion_protection_enabled ? "ACTIVE" : "INACTIVE"
  mfa_configuration   = "OPTIONAL"

  software_token_mfa_configuration {
    enabled = true
  }

  password_policy {
    minimum_length                   = 12
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = false
    temporary_password_validity_days = 7
  }

  admin_create_user_config {
    allow_admin_create_user_only = !local.user_pool.self_sign_up
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }
}

resource "aws_cognito_user_pool_client" "this" {
  count = local.user_pool.enabled ? 1 : 0

  name            = local.user_pool.name
  user_pool_id    = aws_cognito_user_pool.this[0].id
  generate_secret = false
  # SRP for the Amplify libraries; USER_PASSWORD_AUTH only on request (graphql-api token uses it).
  explicit_auth_flows = concat(
    ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    local.user_pool.password_sign_in ? ["ALLOW_USER_PASSWORD_AUTH"] : [],
  )
  prevent_user_existence_errors = "ENABLED"
  enable_token_revocation       = true
  # The service accepts access tokens only (SPEC section 9); a frontend refreshes them every hour.
  access_token_validity  = 60
  id_token_validity      = 60
  refresh_token_validity = 30

  token_validity_units {
    access_token  = "minutes"
    id_token      = "minutes"
    refresh_token = "days"
  }
}

resource "aws_cognito_user_group" "role" {
  for_each = local.user_pool_groups

  name         = each.value
  user_pool_id = aws_cognito_user_pool.this[0].id
  description  = "Members are ${each.key} to the GraphQL API (AUTH_${upper(each.key)}_GROUP)."
  # Cognito lists a user's groups by precedence: admin first.
  precedence = each.key == "admin" ? 0 : 1
}
