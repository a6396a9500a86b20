"""The package's layers import only downward, and without a cycle."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "optanim"
# Each layer may import itself and those before it.
LAYERS = [
    {"optanim.lesson", "optanim.narration"},
    {"optanim.render"},
    {"optanim.build"},
    {"optanim.qa", "optanim.outputs"},
    {"optanim.cli", "optanim.doctor"},
]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The optanim modules ``path`` imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    return {name for name in found if name in modules}


def layer(module: str) -> int:
    for n, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return n
    raise AssertionError(f"{module} is in no layer")


GRAPH = {module_name(p): imports(p) for p in PACKAGE.rglob("*.py")}


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if m != "optanim"))
def test_a_module_imports_only_its_layer_and_those_below(module):
    upward = [m for m in GRAPH[module] if m != "optanim" and layer(m) > layer(module)]
    assert not upward, f"{module} imports {upward} from a later layer"


def test_lesson_and_narration_never_import_manim():
    for path in [*PACKAGE.glob("lesson/*.py"), *PACKAGE.glob("narration/*.py")]:
        tree = ast.parse(path.read_text())
        names = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in (
                node.names
                if isinstance(node, ast.Import)
                else [ast.alias(node.module or "")]
            )
        }
        assert not {n for n in names if n.split(".")[0] in ("manim", "manim_slides")}, (
            path
        )


def test_modules_import_one_another_without_a_cycle():
    visiting, done = set(), set()

    def visit(module, trail):
        if module in done:
            return
        assert module not in visiting, "cycle: " + " -> ".join([*trail, module])
        visiting.add(module)
        for imported in GRAPH.get(module, ()):
            if imported != "optanim":
                visit(imported, [*trail, module])
        visiting.discard(module)
        done.add(module)

    for module in GRAPH:
        visit(module, [])


def test_scenes_holds_only_scene_files():
    for path in (ROOT / "scenes").iterdir():
        assert path.suffix == ".py", f"{path.name} is not a scene file"
        tree = ast.parse(path.read_text())
        classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
        functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
        assert classes, f"{path.name} defines no scene"
        assert not functions, f"{path.name} holds more than scenes"
