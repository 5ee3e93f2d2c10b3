"""`python -m graphql_api.cli`: the `graphql-api` command (the tests and benchmarks start it this way)."""

import sys

from graphql_api.cli.main import main

sys.exit(main())
