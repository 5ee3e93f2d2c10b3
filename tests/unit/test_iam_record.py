"""The IAM record of the integration tier (tests/dynamodb_access.py): merged over pytest-xdist's workers, it
fails the run on a missing grant and on an unused one, and passes when it matches the policy exactly."""

from __future__ import annotations

from graphql_api.ops.iam_policy import PARTS, Grant, grants
from tests.dynamodb_access import AccessRecord, drift_report


def _record_of(part_grants: dict[str, list[Grant]], test: str = "tests/integration/test_x.py::test_y") -> AccessRecord:
    record = AccessRecord(complete=True)
    for part, used in part_grants.items():
        record.used[part] = dict.fromkeys(used, test)
    return record


def test_a_record_equal_to_the_policy_reports_nothing() -> None:
    record = _record_of({part: grants(accesses) for part, accesses in PARTS.items()})
    assert drift_report(record) == ""


def test_a_missing_and_an_unused_grant_are_both_reported_with_where_they_come_from() -> None:
    used = {part: grants(accesses) for part, accesses in PARTS.items()}
    unused = used["api"].pop(0)
    missing = Grant("dynamodb:DeleteTable", "Orders")
    used["api"].append(missing)
    report = drift_report(_record_of(used, "tests/integration/test_orders.py::test_drop"))
    assert str(missing) in report
    assert "test_drop" in report
    assert str(unused) in report
    assert "graphql_api/ops/iam_policy.py" in report


def test_workers_records_merge_into_one_that_is_complete_only_if_each_was() -> None:
    everything = {part: grants(accesses) for part, accesses in PARTS.items()}
    first = _record_of({"api": everything["api"][:3], "subscriptions": []})
    second = _record_of(
        {
            "api": everything["api"][3:],
            "subscriptions": everything["subscriptions"],
            "migration": everything["migration"],
        }
    )
    merged = AccessRecord(complete=True)
    merged.merge(first.export())
    merged.merge(second.export())
    assert merged.complete
    assert drift_report(merged) == ""

    partial = _record_of({"api": [], "subscriptions": []})
    partial.complete = False
    merged.merge(partial.export())
    assert not merged.complete
