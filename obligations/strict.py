"""The base of every rules and config model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Base of every model: unknown keys are errors, so a typo cannot silently drop a rule."""

    model_config = ConfigDict(extra="forbid", frozen=True)



__all__ = ["Strict"]
