"""`python -m graphql_api.local --port P`: moto's server alone, one request at a time (the tests' backend)."""

from graphql_api.local.embedded import main

if __name__ == "__main__":
    main()
