#!/usr/bin/env python3
"""The longest files and functions of the core (`core/src`), tests excluded.

    python3 scripts/core-stats.py [--top N]

A function is counted from its `fn` line to its closing brace (brace matching on the
source with strings and comments stripped); `#[cfg(test)] mod tests` blocks are skipped.
Also lists the import cycles among files (`use crate::...`/`use super::...` edges; a
`crate::X` re-exported from `lib.rs` counts as an edge to `lib.rs`).
"""
import argparse
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "core" / "src"


def strip(src: str) -> str:
    """Blank out comments and string literals, keeping line structure."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            out.append('"' + re.sub(r"[^\n]", " ", src[i + 1 : j]) + '"')
            i = j + 1
        elif c == "'" and i + 2 < n and (src[i + 2] == "'" or (src[i + 1] == "\\" and src[i + 3 : i + 4] == "'")):
            j = src.find("'", i + 2 if src[i + 1] != "\\" else i + 3)
            out.append(" " * (j + 1 - i))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def test_ranges(lines):
    """Line ranges of `#[cfg(test)]` modules."""
    ranges = []
    for k, line in enumerate(lines):
        if line.strip() == "#[cfg(test)]" and k + 1 < len(lines) and re.match(r"\s*(pub\s+)?mod\s+\w+\s*\{", lines[k + 1]):
            end = block_end(lines, k + 1)
            ranges.append((k, end))
    return ranges


def block_end(lines, start):
    depth, seen = 0, False
    for k in range(start, len(lines)):
        for ch in lines[k]:
            if ch == "{":
                depth += 1
                seen = True
            elif ch == "}":
                depth -= 1
                if seen and depth == 0:
                    return k
        if not seen and lines[k].rstrip().endswith(";"):
            return k
    return len(lines) - 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", type=int, default=12)
    args = ap.parse_args()
    files, funcs, edges = [], [], set()
    for path in sorted(ROOT.rglob("*.rs")):
        rel = path.relative_to(ROOT).as_posix()
        src = strip(path.read_text())
        lines = src.split("\n")
        tests = test_ranges(lines)
        in_test = lambda k: any(a <= k <= b for a, b in tests)
        code = sum(1 for k, l in enumerate(lines) if l.strip() and not in_test(k))
        files.append((code, rel))
        for k, line in enumerate(lines):
            if in_test(k):
                continue
            m = re.match(r"\s*(pub(\([^)]*\))?\s+)?(const\s+)?fn\s+(\w+)", line)
            if m:
                end = block_end(lines, k)
                funcs.append((end - k + 1, f"{rel}:{k + 1}", m.group(4)))
            for u in re.finditer(r"\buse\s+(crate|super|self)::([\w:]*)(\{[^}]*\})?", line):
                if in_test(k):
                    continue
                head = u.group(1) + "::" + u.group(2)
                if u.group(3):
                    for item in u.group(3).strip("{}").split(","):
                        if item.strip():
                            edges.add((rel, head + item.strip()))
                else:
                    edges.add((rel, head))
    reexports = {}
    for m in re.finditer(r"pub use (\w+)::(?:\{([^}]*)\}|(\w+));", (ROOT / "lib.rs").read_text()):
        for name in (m.group(2) or m.group(3)).split(","):
            reexports[name.strip()] = m.group(1)
    graph = {}
    for rel, target in edges:
        parts = target.split("::")
        if parts[0] == "crate" and len(parts) == 2 and parts[1] in reexports:
            target = f"crate::{reexports[parts[1]]}::{parts[1]}"
        dst = resolve(rel, target)
        if dst and dst != rel:
            graph.setdefault(rel, set()).add(dst)
    cycles = find_cycles(graph)
    print(f"core/src: {len(files)} files, {sum(c for c, _ in files)} non-blank code lines (tests excluded)\n")
    print("longest files (non-blank lines, tests excluded):")
    for c, rel in sorted(files, reverse=True)[: args.top]:
        print(f"  {c:5}  {rel}")
    print("\nlongest functions (lines):")
    for c, loc, name in sorted(funcs, reverse=True)[: args.top]:
        print(f"  {c:5}  {name:28} {loc}")
    print("\nimport cycles between files:", "none" if not cycles else "")
    for c in cycles:
        print("  " + ", ".join(c))
    return 0


def resolve(rel, target):
    """The file a `use crate::a::b::X` / `use super::x` in `rel` refers to."""
    parts = target.split("::")
    if parts[0] == "super":
        base = pathlib.PurePosixPath(rel).parent
        if pathlib.PurePosixPath(rel).name in ("mod.rs", "lib.rs"):
            base = base.parent
        parts = [p for p in base.parts] + parts[1:]
    else:
        parts = parts[1:]
    if rel.endswith(".rs") and not rel.endswith("mod.rs") and target.startswith("self::"):
        parts = [rel[:-3]] + parts[1:]
    for k in range(len(parts), 0, -1):
        stem = "/".join(parts[:k])
        for cand in (f"{stem}.rs", f"{stem}/mod.rs"):
            if (ROOT / cand).exists():
                return cand
    return "lib.rs"


def find_cycles(graph):
    """Strongly connected components with more than one file (Tarjan): each a set of files that import each other."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


if __name__ == "__main__":
    sys.exit(main())
