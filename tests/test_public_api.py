from __future__ import annotations

import importlib
import pkgutil

import ai_stream


def test_root_all_is_sorted_complete_and_importable() -> None:
    names = ai_stream.__all__
    assert list(names) == sorted(names)
    for name in names:
        assert hasattr(ai_stream, name), name
    assert {"StreamContext", "UIMessageStreamResponse", "StreamRecord", "parse_chunk"} <= set(names)


def test_every_public_module_declares_a_consistent_all() -> None:
    for info in pkgutil.walk_packages(ai_stream.__path__, "ai_stream."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        module = importlib.import_module(info.name)
        exported = getattr(module, "__all__", None)
        assert exported is not None, f"{info.name} has no __all__"
        for name in exported:
            assert hasattr(module, name), f"{info.name}.{name}"


def test_core_depends_only_on_pydantic_anyio_starlette() -> None:
    from importlib.metadata import requires

    deps = {
        r.split(">")[0].split("=")[0].split("[")[0].strip()
        for r in requires("ai-stream") or []
        if "extra ==" not in r
    }
    assert deps == {"anyio", "pydantic", "starlette"}


LAYERS = {
    "ai_stream.exceptions": 0,
    "ai_stream.protocol": 1,
    "ai_stream.encoding": 1,
    "ai_stream._lifecycle": 2,
    "ai_stream.reducer": 2,
    "ai_stream.state": 2,
    "ai_stream.convert": 2,
    "ai_stream.record": 3,
    "ai_stream._outbox": 4,
    "ai_stream._session": 4,
    "ai_stream.context": 4,
    "ai_stream.resume": 4,
    "ai_stream.chats": 4,
    "ai_stream.objects": 4,
    "ai_stream.responses": 5,
    "ai_stream.django": 5,
    "ai_stream.flask": 5,
    "ai_stream.agent": 6,
    "ai_stream.integrations": 7,
    "ai_stream.testing": 8,
}


def _layer(module: str) -> int:
    for prefix, level in LAYERS.items():
        if module == prefix or module.startswith(prefix + "."):
            return level
    raise AssertionError(f"{module} has no layer")


def test_nothing_imports_upward_and_pure_layers_do_no_io() -> None:
    import ast
    from pathlib import Path

    root = Path(ai_stream.__file__).parent
    for path in root.rglob("*.py"):
        if path.name == "__init__.py" and path.parent == root:
            continue
        module = "ai_stream." + ".".join(path.relative_to(root).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        level = _layer(module)
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            for target in targets:
                if target.startswith("ai_stream"):
                    assert _layer(target) <= level, f"{module} imports upward: {target}"
                if level <= 3 and module != "ai_stream.state":
                    assert target.split(".")[0] not in {"anyio", "starlette", "asyncio", "trio"}, (
                        f"pure module {module} imports {target}"
                    )


def test_no_module_reaches_into_a_private_member() -> None:
    """``obj._name`` only on ``self``/``cls``: other objects are used through public names."""
    import ast
    from pathlib import Path

    root = Path(ai_stream.__file__).parent
    reaches = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Attribute) or not node.attr.startswith("_"):
                continue
            if node.attr.startswith("__") and node.attr.endswith("__"):
                continue
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            reaches.append(f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(node)}")
    assert reaches == []


def test_the_exception_tree_in_the_docstring_is_complete_and_true() -> None:
    """Every exception of ai_stream.exceptions is drawn in the module docstring's tree, under
    its real parent, with the builtins it also derives from."""
    import inspect
    import re

    from ai_stream import exceptions

    drawn: dict[str, tuple[str, str]] = {}  # name -> (parent, builtins)
    parents: list[str] = []
    for line in (exceptions.__doc__ or "").splitlines():
        match = re.match(r"    ((?:[│ ]   )*)(?:[├└]── )?(\w+Error)(?: \((\w+)\))?", line)
        if match is None:
            continue
        depth = len(match.group(1)) // 4 + (1 if "──" in line else 0)
        del parents[depth:]
        drawn[match.group(2)] = (parents[-1] if parents else "", match.group(3) or "")
        parents.append(match.group(2))
    actual = {}
    for name, cls in inspect.getmembers(exceptions, inspect.isclass):
        if issubclass(cls, exceptions.AIStreamError):
            bases = [b for b in cls.__bases__ if issubclass(b, exceptions.AIStreamError)]
            builtins = [b.__name__ for b in cls.__bases__ if b.__module__ == "builtins"]
            builtins = [b for b in builtins if b != "Exception"]
            actual[name] = (bases[0].__name__ if bases else "", "".join(builtins))
    assert drawn == actual
