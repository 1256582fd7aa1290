"""Operation ids are byte-identical to the official SDK's (the official check values)."""

from durable_mp import ids

ROOT_1 = "1ced8f5be2db23a6513eba4d819c73806424748a7bc6fa0d792cc1c7d1775a97"
BRANCH_0 = "1712f93e2f51df042e2b933907d75accfe34a48fe4a42a24e0b08131bc72d591"
STEP_1_IN_BRANCH = "48550629202cb2d0e1bd4f07d826361bbd2defa71565264c01647fc2da0e9b1e"


def test_root_operation_id() -> None:
    assert ids.child_id(None, 1) == ROOT_1
    assert ids.hash_id("1") == ROOT_1


def test_map_item_and_nested_step_ids() -> None:
    branch = ids.item_id(ROOT_1, 0)
    assert branch == BRANCH_0
    assert ids.child_id(branch, 1) == STEP_1_IN_BRANCH


def test_ids_are_64_hex_chars_and_distinct() -> None:
    seen = {ids.child_id(None, n) for n in range(1, 200)} | {ids.item_id(ROOT_1, i) for i in range(200)}
    assert len(seen) == 399
    assert all(len(s) == 64 and int(s, 16) >= 0 for s in seen)
