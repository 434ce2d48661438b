"""Shared pieces of the wire models: the camelCase base model and JSON value aliases."""

from __future__ import annotations

from typing import Any, ClassVar, TypeAlias

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

__all__ = ("JSONValue", "ProviderMetadata", "ToolMetadata", "WireModel")

JSONValue: TypeAlias = Any
"""Any JSON value: ``None``, ``bool``, ``int``, ``float``, ``str``, lists and dicts of them."""

ProviderMetadata: TypeAlias = dict[str, dict[str, JSONValue]]
"""Provider-specific data keyed by provider name; each value must itself be an object."""

ToolMetadata: TypeAlias = dict[str, JSONValue]
"""Free-form metadata a tool attaches to its call (ai v6+)."""


class WireModel(BaseModel):
    """Base of every wire model: snake_case attributes, camelCase JSON, immutable.

    ``None`` means *absent*: :meth:`to_wire` leaves such keys out, because the client rejects
    ``null`` in optional fields. Fields whose TypeScript type is ``unknown`` (``input``, ``output``,
    ``data``, ``messageMetadata``) are required keys that may hold ``null``; a model lists them in
    ``_nullable`` so that they are always written.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        serialize_by_alias=True,
    )

    _nullable: ClassVar[frozenset[str]] = frozenset()

    def to_wire(self) -> dict[str, Any]:
        """Return the JSON object to send: camelCase keys, absent optional fields left out."""
        out: dict[str, Any] = {}
        nullable = self._nullable
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if value is None and name not in nullable:
                continue
            if isinstance(value, BaseModel):
                value = value.model_dump(mode="json", by_alias=True, exclude_none=True)
            elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
                value = [v.model_dump(mode="json", by_alias=True, exclude_none=True) for v in value]
            out[field.alias or name] = value
        return out
