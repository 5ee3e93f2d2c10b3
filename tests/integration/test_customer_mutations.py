"""createCustomer, updateCustomer, deleteCustomer: unique emails, optimistic locking, guards released."""

from __future__ import annotations

from tests.operations import (
    CREATE_CUSTOMER,
    DELETE_CUSTOMER,
    GET_CUSTOMER,
    UPDATE_CUSTOMER,
    create_customer,
    create_product,
    customer_input,
    error_of,
    place_order,
    unique_email,
)
from tests.support import Api


def test_create_then_read_your_write(api: Api) -> None:
    created = create_customer(api, email=unique_email("Mixed.Case").upper(), name="Grace")
    assert created["version"] == 1
    assert created["orderCount"] == 0
    assert created["email"] == created["email"].lower()
    assert api.data_of(GET_CUSTOMER, {"id": created["customerId"]})["customer"] == created
    found = api.data_of("query($e: String!) { customerByEmail(email: $e) { customerId } }", {"e": created["email"]})
    assert found["customerByEmail"] == {"customerId": created["customerId"]}


def test_an_email_is_unique_case_insensitively(api: Api) -> None:
    email = unique_email("dup")
    create_customer(api, email=email)
    error = error_of(api.query(CREATE_CUSTOMER, {"input": customer_input(email=email.upper())}))
    assert error["extensions"]["code"] == "CONFLICT"
    assert error["extensions"]["field"] == "email"


def test_update_changes_fields_and_bumps_the_version(api: Api) -> None:
    created = create_customer(api)
    updated = api.data_of(
        UPDATE_CUSTOMER,
        {"input": {"customerId": created["customerId"], "expectedVersion": 1, "name": "New Name", "addresses": []}},
    )["updateCustomer"]
    assert updated["name"] == "New Name"
    assert updated["addresses"] == []
    assert updated["version"] == 2
    assert updated["email"] == created["email"]
    assert api.data_of(GET_CUSTOMER, {"id": created["customerId"]})["customer"] == updated


def test_a_stale_version_is_rejected_with_the_current_one(api: Api) -> None:
    created = create_customer(api)
    api.data_of(UPDATE_CUSTOMER, {"input": {"customerId": created["customerId"], "expectedVersion": 1, "name": "A"}})
    error = error_of(
        api.query(UPDATE_CUSTOMER, {"input": {"customerId": created["customerId"], "expectedVersion": 1, "name": "B"}})
    )
    assert error["extensions"] == {"code": "VERSION_MISMATCH", "currentVersion": 2}
    assert api.data_of(GET_CUSTOMER, {"id": created["customerId"]})["customer"]["name"] == "A"


def test_changing_the_email_releases_the_old_one(api: Api) -> None:
    old, new = unique_email("old"), unique_email("new")
    created = create_customer(api, email=old)
    api.data_of(UPDATE_CUSTOMER, {"input": {"customerId": created["customerId"], "expectedVersion": 1, "email": new}})
    assert create_customer(api, email=old)["email"] == old
    error = error_of(api.query(CREATE_CUSTOMER, {"input": customer_input(email=new)}))
    assert error["extensions"]["code"] == "CONFLICT"


def test_changing_to_a_taken_email_is_a_conflict_and_changes_nothing(api: Api) -> None:
    taken = create_customer(api)["email"]
    created = create_customer(api)
    error = error_of(
        api.query(
            UPDATE_CUSTOMER,
            {"input": {"customerId": created["customerId"], "expectedVersion": 1, "email": taken, "name": "Changed"}},
        )
    )
    assert error["extensions"]["code"] == "CONFLICT"
    assert api.data_of(GET_CUSTOMER, {"id": created["customerId"]})["customer"] == created


def test_delete_releases_the_email(api: Api) -> None:
    created = create_customer(api)
    assert api.data_of(DELETE_CUSTOMER, {"id": created["customerId"], "v": 1}) == {"deleteCustomer": True}
    assert api.data_of(GET_CUSTOMER, {"id": created["customerId"]}) == {"customer": None}
    assert create_customer(api, email=created["email"])["email"] == created["email"]


def test_deleting_a_customer_with_orders_is_a_conflict(api: Api) -> None:
    customer = create_customer(api)
    product = create_product(api)
    place_order(api, customer["customerId"], [(product["productId"], 1)])
    version = api.data_of(GET_CUSTOMER, {"id": customer["customerId"]})["customer"]["version"]
    error = error_of(api.query(DELETE_CUSTOMER, {"id": customer["customerId"], "v": version}))
    assert error["extensions"]["code"] == "CONFLICT"
    assert api.data_of(GET_CUSTOMER, {"id": customer["customerId"]})["customer"]["orderCount"] == 1


def test_mutations_on_missing_customers_are_not_found(api: Api) -> None:
    missing = "cus_" + "f" * 32
    for query, variables in (
        (UPDATE_CUSTOMER, {"input": {"customerId": missing, "expectedVersion": 1, "name": "x"}}),
        (DELETE_CUSTOMER, {"id": missing, "v": 1}),
    ):
        assert error_of(api.query(query, variables))["extensions"]["code"] == "NOT_FOUND"
