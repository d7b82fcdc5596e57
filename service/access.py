"""Who may see and who may act: the one place the web pages ask.

- An **admin** sees every unit (and the duties without units) and acts on all of them.
- A **supervisor** sees the subtree of its ``unit`` (the whole tree without one) and acts on nothing.
- A **unit** user sees and acts for its unit and the units below it.

The tree is the rules' (``RuleSet.descendants``): a unit moved under another one in the rules
moves with its subtree at the next reload. A unit user's own unit id stays visible to it even
when the rules no longer have it (its past windows and files are still its own).
"""

from __future__ import annotations

from obligations.ruleset import RuleSet
from store.accounts import Account, Role


def subtree(unit_id: str, ruleset: RuleSet) -> frozenset[str]:
    """``unit_id`` and every unit below it, at any depth."""
    below = ruleset.descendants(unit_id) if unit_id in ruleset.units else []
    return frozenset([unit_id, *below])


def visible_units(account: Account, ruleset: RuleSet) -> frozenset[str] | None:
    """The units ``account`` may see; None: every unit, and the duties without a unit."""
    if account.disabled:
        return frozenset()
    if account.role == Role.ADMIN or (account.role == Role.SUPERVISOR and account.unit is None):
        return None
    if account.unit is None:  # a unit user without a unit (refused by `user add`) sees nothing
        return frozenset()
    return subtree(account.unit, ruleset)


def may_see(account: Account, unit_id: str | None, ruleset: RuleSet) -> bool:
    """Whether ``account`` may see the windows, files and history of ``unit_id`` (None: a duty without units)."""
    visible = visible_units(account, ruleset)
    return visible is None or (unit_id is not None and unit_id in visible)


def may_act(account: Account, unit_id: str | None, ruleset: RuleSet) -> bool:
    """Whether ``account`` may mark ``unit_id``'s windows done or undo them: admin all, unit user its
    subtree, supervisor never."""
    if account.disabled or account.role == Role.SUPERVISOR:
        return False
    if account.role == Role.ADMIN:
        return True
    return unit_id is not None and account.unit is not None and unit_id in subtree(account.unit, ruleset)


__all__ = ["may_act", "may_see", "subtree", "visible_units"]
