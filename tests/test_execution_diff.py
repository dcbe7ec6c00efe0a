"""The comparer of the differential tests notices every kind of difference that matters."""

from __future__ import annotations

from tests.execution_diff import first_difference


def test_identical_bytes_are_equal() -> None:
    body = b'{"data":{"a":1,"b":[1,null]}}'
    assert first_difference(body, body) is None


def test_key_order_is_a_difference() -> None:
    assert first_difference(b'{"data":{"a":1,"b":2}}', b'{"data":{"b":2,"a":1}}') == (
        "$.data: keys ['a', 'b'] != ['b', 'a']"
    )


def test_error_order_and_paths_are_differences() -> None:
    first = b'{"errors":[{"message":"x","path":["a"]},{"message":"y","path":["b"]}]}'
    second = b'{"errors":[{"message":"y","path":["b"]},{"message":"x","path":["a"]}]}'
    assert first_difference(first, second) == "$.errors[0].message: 'x' != 'y'"
    moved = b'{"errors":[{"message":"x","path":["a", 0]},{"message":"y","path":["b"]}]}'
    assert first_difference(first, moved) == "$.errors[0].path: 1 items != 2 items"


def test_null_against_value_and_types_are_differences() -> None:
    assert first_difference(b'{"data":{"a":null}}', b'{"data":{"a":{}}}') == "$.data.a: None != {}"
    assert first_difference(b'{"a":1}', b'{"a":1.0}') == "$.a: 1 != 1.0"
    assert first_difference(b'{"a":true}', b'{"a":1}') == "$.a: True != 1"


def test_same_value_in_other_bytes_is_a_difference() -> None:
    assert (
        first_difference(b'{"a":1}', b'{"a": 1}') == "same JSON value, different bytes (spacing or escaping)"
    )
    assert first_difference(b"Internal Server Error", b"Internal Server Errxr") == "bodies differ at byte 19"
