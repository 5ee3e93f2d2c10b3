"""The DynamoDB access the service used during the integration tests, and its comparison with the IAM policy.

tests/integration/conftest.py records every call of the apps the integration tests build (as IAM grants,
see graphql_api.ops.iam_policy) into `RECORD`. At the end of the session, tests/conftest.py compares the
record with the policy's data (infra_terraform/dynamodb_access.auto.tfvars.json), in both directions, part
by part, and fails the run on any drift. Under pytest-xdist each worker records what it ran and hands its
record to the controller (`workeroutput`), which merges them before comparing: no test has to run last.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from graphql_api.ops.iam_policy import DATA_FILE, PARTS, REGENERATE, SINGLE_TABLE, Grant, compare, declared_by, load
from tests.backends import ROOT

WORKER_OUTPUT_KEY = "dynamodb_access"


@dataclass
class AccessRecord:
    """The grants the service used, by part (`api` and `migration`: its DynamoDB client; `subscriptions`: its stream
    readers)."""

    used: dict[str, dict[Grant, str]] = field(default_factory=lambda: {part: {} for part in PARTS})
    """Each grant with the first test that used it, by part (the single table's: `migration`, iam_policy.part_of)."""
    prefixes: set[str] = field(default_factory=set)
    """The table prefixes of the apps built so far: how a physical table name becomes a declared one."""
    stand_ins: set[str] = field(default_factory=set)
    """Tables a test uses in place of the single table (its own copy of it): recorded as the single table."""
    current_test: str = "?"
    complete: bool = False
    """The session runs every integration module, nothing deselected: only then is the record complete."""
    failed: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def note(self, part: str, grants: list[Grant]) -> None:
        with self._lock:
            for grant in grants:
                self.used[part].setdefault(grant, self.current_test)

    def as_declared(self, grant: Grant) -> Grant:
        """The grant as production would need it: on the single table where a test used its own copy of it."""
        return dataclasses.replace(grant, table=SINGLE_TABLE.table.name) if grant.table in self.stand_ins else grant

    def prefix_of(self, physical_name: str) -> str:
        """The longest known prefix of a physical table name (the apps' prefixes are random, so distinct)."""
        candidates = [prefix for prefix in self.prefixes if physical_name.startswith(prefix)]
        return max(candidates, key=len, default="")

    def export(self) -> dict[str, Any]:
        """As plain data, for a pytest-xdist worker's output."""
        return {
            "used": {part: [[asdict(grant), test] for grant, test in used.items()] for part, used in self.used.items()},
            "complete": self.complete,
            "failed": self.failed,
        }

    def merge(self, exported: dict[str, Any]) -> None:
        """Add a worker's record; the whole is complete only if every worker collected the whole tier."""
        for part, used in exported["used"].items():
            for grant, test in used:
                self.used[part].setdefault(Grant(**grant), test)
        self.complete = self.complete and exported["complete"]
        self.failed += exported["failed"]


RECORD = AccessRecord()


def drift_report(record: AccessRecord) -> str:
    """Empty when the policy grants exactly what the record used; otherwise what differs and how to fix it."""
    granted = load((ROOT / "infra_terraform" / DATA_FILE).read_text(encoding="utf-8"))
    reports = []
    for part, used in record.used.items():
        drift = compare(used, granted[part])
        if drift:
            reports.append(drift.report(part, used, declared_by(PARTS[part])))
    if not reports:
        return ""
    failed = ""
    if record.failed:
        failed = f"\n({len(record.failed)} integration tests failed, so some calls may be missing: {record.failed[:5]})"
    return (
        "The IAM policy and the DynamoDB calls of the integration tests disagree.\n"
        + "\n".join(reports)
        + f"\nDeclare the access in graphql_api/ops/iam_policy.py, then run: {REGENERATE}{failed}"
    )
