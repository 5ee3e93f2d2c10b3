"""infra_terraform/live_bus.tf across the single-table migration: the stream consumer follows the single table's
stream (one more event source mapping, its stream's reads, the Migration table's phase, LIVE_SINGLE_TABLE) only when
both the live bus and single_table_enabled are on; with either off, the consumer is as it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.terraform.hcl import load_hcl, locals_of


def live_bus(terraform_root: Path) -> dict[str, Any]:
    return load_hcl(terraform_root / "live_bus.tf")


def resource(document: dict[str, Any], kind: str, name: str) -> Any:
    (body,) = [block[f'"{kind}"'][f'"{name}"'] for block in document["resource"] if f'"{kind}"' in block]
    return body


def test_the_single_tables_stream_is_followed_only_with_the_bus_and_the_migration(terraform_root: Path) -> None:
    document = live_bus(terraform_root)
    locals_ = locals_of(document)
    assert locals_["live_single_table"] == "${local.live_bus.enabled && var.single_table_enabled}"
    streams = locals_["live_streams"]
    assert "local.live_single_table ? {(var.single_table_name) = aws_dynamodb_table.single_table[0].stream_arn}" in (
        streams
    )
    assert "module.table[table].table_stream_arn" in streams  # the old tables' as before, under their names
    mapping = resource(document, "aws_lambda_event_source_mapping", "live")
    assert mapping["for_each"] == "${local.live_streams}"
    assert mapping["starting_position"] == '"LATEST"'
    assert mapping["parallelization_factor"] == 1  # per-item order on the single table's shards too


def test_the_consumer_reads_the_phase_and_knows_it_follows_the_migration(terraform_root: Path) -> None:
    document = live_bus(terraform_root)
    variables = resource(document, "aws_lambda_function", "live_consumer")["environment"][0]["variables"]
    assert variables["LIVE_SINGLE_TABLE"] == '${local.live_single_table ? "true" : "false"}'
    assert variables["SINGLE_TABLE_NAME"] == "${var.single_table_name}"
    policy = resource(document, "aws_iam_role_policy", "live_consumer")["policy"]
    assert "Resource = values(local.live_streams)" in policy  # the single table's stream read only where followed
    phase = (
        'local.live_single_table ? [{Sid = "ReadTheMigrationPhase", Effect = "Allow", Action = ["dynamodb:GetItem"], '
        'Resource = module.table["Migration"].table_arn}] : []'
    )
    assert phase in policy
