"""Which policy is in force for a shelf, from the policy rows that reach it. Pure.

A policy row (config.shelf_policies, config.wh_policies, as the CDC source publishes them) has a scope:
one shelf, a subcategory, a category, or everything (all three unset: the global default). For a
shelf, the active row of the narrowest scope wins, the latest `updated_at` among equals. Rows arrive
one by one, keyed by `policy_id`; a delete arrives as `{"policy_id": ..., "deleted": true}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DELETED = "deleted"  # the field a delete (a tombstone on the topic) arrives with


def scope_rank(row: Mapping) -> int:
    """3 for a shelf's own policy, 2 a subcategory's, 1 a category's, 0 the global one."""
    if row.get("shelf_id"):
        return 3
    if row.get("item_subcategory"):
        return 2
    if row.get("item_category"):
        return 1
    return 0


@dataclass
class PolicyBook:
    """The policy rows that reached one shelf, by policy_id (inactive ones are not kept)."""

    rows: dict[str, dict] = field(default_factory=dict)

    def apply(self, record: Mapping) -> None:
        policy_id = str(record["policy_id"])
        if record.get(DELETED) or not record.get("active", True):
            self.rows.pop(policy_id, None)
        else:
            self.rows[policy_id] = dict(record)

    def in_force(self) -> dict | None:
        """The active row of the narrowest scope (latest updated among equals), or None."""
        if not self.rows:
            return None
        return max(self.rows.values(), key=lambda r: (scope_rank(r), str(r.get("updated_at") or "")))

    def to_dict(self) -> dict:
        return dict(self.rows)

    @classmethod
    def from_dict(cls, rows: Mapping | None) -> PolicyBook:
        return cls(dict(rows or {}))
