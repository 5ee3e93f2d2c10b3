"""`python -m graphql_api.cli`: the `graphql-api` command (the tests and benchmarks start it this way)."""

import sys

from graphql_api.cli.main import main

if __name__ == "__main__":  # not when imported, as by a walk over every module (tests/unit/test_without_moto.py)
    sys.exit(main())
