"""The writers' chunk shapes (``TypedDict``) mirror the chunk models key for key."""

from __future__ import annotations

import typing
from typing import Any, Literal, NotRequired, get_args, get_origin

import pytest

from ai_stream.protocol import _shapes, chunks
from ai_stream.protocol._base import WireModel

MODELS_BY_TYPE: dict[str, type[WireModel]] = {
    model.model_fields["type"].default: model for model in chunks._MODELS
}
MODELS_BY_TYPE["data-*"] = chunks.DataChunk

SHAPES: list[type[Any]] = [
    shape
    for shape in (getattr(_shapes, name) for name in _shapes.__all__)
    if isinstance(shape, type)  # the TypedDicts, not the aliases
]


def shape_keys(shape: type[Any]) -> dict[str, bool]:
    """Key → required, as mypy reads the shape."""
    hints = typing.get_type_hints(shape, include_extras=True)
    return {key: get_origin(hint) is not NotRequired for key, hint in hints.items()}


def model_keys(model: type[WireModel]) -> dict[str, bool]:
    """Wire key → required (a required field, or one the model always writes, null included)."""
    nullable: frozenset[str] = model._nullable
    return {
        field.alias or name: field.is_required() or name in nullable or name == "type"
        for name, field in model.model_fields.items()
    }


def chunk_types(shape: type[Any]) -> list[str]:
    hint = typing.get_type_hints(shape)["type"]
    return list(get_args(hint)) if get_origin(hint) is Literal else ["data-*"]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda shape: shape.__name__)
def test_a_shape_has_the_keys_of_its_models(shape: type[Any]) -> None:
    # a shape of several chunk types (text-end and reasoning-end) has the keys of all of them,
    # required where every one of them requires it
    expected: dict[str, bool] = {}
    for kind in chunk_types(shape):
        for key, required in model_keys(MODELS_BY_TYPE[kind]).items():
            expected[key] = expected.get(key, True) and required
    for kind in chunk_types(shape):
        for key in expected.keys() - model_keys(MODELS_BY_TYPE[kind]).keys():
            expected[key] = False
    assert shape_keys(shape) == expected


def test_every_shape_is_a_chunk_shape_and_every_model_written_by_the_writers_has_one() -> None:
    assert set(get_args(_shapes.ChunkShape)) == set(SHAPES)
    covered = {kind for shape in SHAPES for kind in chunk_types(shape)}
    # custom and steering-message chunks come only hand-written, never from a writer
    assert set(MODELS_BY_TYPE) - covered == {"custom", "steering-message"}
