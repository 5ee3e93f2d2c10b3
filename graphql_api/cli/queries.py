"""The example queries the local default prints and GraphiQL opens on (also the tests' and benchmarks' request)."""

_CUSTOMER_PAGE = """\
    name email
    orders(first: 20) {
      edges { cursor node { orderId status orderDate total itemCount
        items { quantity unitPrice lineTotal product { productId name price } } } }
      pageInfo { hasNextPage endCursor }
    }"""

EXAMPLE_QUERY = f"""\
query Canonical($id: ID!) {{
  customer(customerId: $id) {{
{_CUSTOMER_PAGE}
  }}
}}"""
"""The canonical query for a customer by id (the tests' and benchmarks' request, with `{"id": ...}`)."""

ME_QUERY = f"""\
query Me {{
  me {{
{_CUSTOMER_PAGE}
  }}
}}"""
"""The canonical query through `me`: the local default's example, which GraphiQL opens on."""
