"""GraphQL Code Generator types the example operations against schema.graphql, and TypeScript accepts them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from graphql_api.cli import EXAMPLE_QUERY, ME_QUERY


def run(e2e: Path, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(e2e / "node_modules" / ".bin" / tool), *args], cwd=e2e, capture_output=True, text=True, timeout=120
    )


def test_codegen_types_every_example_operation(e2e_tools: Path) -> None:
    generated = e2e_tools / "generated"
    shutil.rmtree(generated, ignore_errors=True)

    done = run(e2e_tools, "graphql-codegen", "--config", "codegen.yml", "--silent")
    assert done.returncode == 0, done.stdout + done.stderr

    schema = (generated / "schema.ts").read_text()
    operations = (generated / "operations.ts").read_text()
    assert "export type Customer = Node & {" in schema  # a Relay node (Global Object Identification)
    assert "export type OrderStatus =" in schema
    for name in ("CanonicalQuery", "MeQuery", "ProductsByCategoryQuery", "PlaceOrderMutation", "CreateProductMutation"):
        assert f"export type {name} = " in operations
        assert f"export type {name}Variables = " in operations
    # Money and times are strings on the wire, never numbers.
    assert "total: string" in operations

    checked = run(
        e2e_tools, "tsc", "--noEmit", "--strict", "--skipLibCheck", "generated/schema.ts", "generated/operations.ts"
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_example_operations_are_the_documented_ones(e2e_tools: Path) -> None:
    assert (e2e_tools / "operations" / "canonical.graphql").read_text().strip() == EXAMPLE_QUERY.strip()
    assert (e2e_tools / "operations" / "me.graphql").read_text().strip() == ME_QUERY.strip()
