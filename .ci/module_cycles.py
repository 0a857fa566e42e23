#!/usr/bin/env python3
"""Fails on any import cycle between the modules of src/.

Edges are the `crate::` and `super::` paths each module's code names (in `use`
lines and inline; comments, strings and the `#[cfg(test)] mod tests` left
out), resolved to the module that holds the item: the longest module prefix
of the path, or, for a name re-exported at the root (`crate::BodyMode`), the
module lib.rs re-exports it from. An edge u -> v is an edge between the two
siblings under u's and v's common ancestor that hold them; a cycle is a cycle
among the children of some module (the crate root included). So a parent
naming its children is no cycle, but two siblings naming each other are, and
so is a child of one naming its parent's sibling that names back.

    python3 .ci/module_cycles.py [src]
"""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "src"
files = {}
for dirpath, _, names in os.walk(root):
    for name in names:
        if name.endswith(".rs"):
            parts = os.path.relpath(os.path.join(dirpath, name), root)[:-3].split(os.sep)
            if parts[-1] in ("mod", "lib"):
                parts = parts[:-1]
            files["::".join(parts)] = os.path.join(dirpath, name)


def code(path):
    text = open(path).read()
    cut = re.search(r"#\[cfg\(test\)\]\s*mod tests", text)
    text = text[: cut.start()] if cut else text
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


def paths(text, prefix):
    """The paths after `prefix::`, groups (`{a::B, c}`) flattened."""
    found = []
    for m in re.finditer(prefix + r"::((?:\w+::)*)(\w+|\{)", text):
        head = m.group(1)
        if m.group(2) != "{":
            found.append(head + m.group(2))
            continue
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        group = text[m.end() : i - 1]
        found += [head + p for p in re.findall(r"(\w+(?:::\w+)*)", re.sub(r"\{[^{}]*\}", "", group))]
    return found


# Names lib.rs re-exports at the root, and the module each comes from.
reexported = {}
for m in re.finditer(r"pub use (\w+(?:::\w+)*)::\{([^}]*)\}", code(files[""])):
    for name in re.findall(r"\w+", m.group(2)):
        reexported[name] = m.group(1)
for m in re.finditer(r"pub use (\w+(?:::\w+)*)::(\w+);", code(files[""])):
    reexported[m.group(2)] = m.group(1)


def module_of(path):
    parts = path.split("::")
    for n in range(len(parts), 0, -1):
        if "::".join(parts[:n]) in files:
            return "::".join(parts[:n])
    return reexported.get(parts[0])


edges = {}
for module, path in files.items():
    if not module:
        continue
    text = code(path)
    found = {module_of(p) for p in paths(text, r"\bcrate")}
    parent = module.rsplit("::", 1)[0] if "::" in module else ""
    found |= {module_of(f"{parent}::{p}" if parent else p) for p in paths(text, r"\bsuper")}
    edges[module] = {t for t in found if t and t != module}


def split(a, b):
    """The siblings under a's and b's common ancestor that hold a and b."""
    pa, pb = a.split("::"), b.split("::")
    n = 0
    while n < min(len(pa), len(pb)) and pa[n] == pb[n]:
        n += 1
    if n == len(pa) or n == len(pb):
        return None  # one holds the other: a parent and its child
    return "::".join(pa[:n]), "::".join(pa[: n + 1]), "::".join(pb[: n + 1])


levels = {}
for a, targets in edges.items():
    for b in targets:
        s = split(a, b)
        if s:
            levels.setdefault(s[0], {}).setdefault(s[1], {}).setdefault(s[2], []).append(f"{a} -> {b}")


def cycles(graph):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


found = False
for parent, graph in sorted(levels.items()):
    for component in cycles(graph):
        found = True
        print(f"module cycle among the children of {parent or 'the crate'}: {', '.join(component)}")
        for a in component:
            for b in component:
                for why in graph.get(a, {}).get(b, []):
                    print(f"    {why}")
if found:
    sys.exit(1)
imports = sum(map(len, edges.values()))
print(f"no module cycle in {root}/ ({len(files)} modules, {imports} imports between them)")
