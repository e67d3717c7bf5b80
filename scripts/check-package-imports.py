#!/usr/bin/env python3
"""Checks that each target in Package.swift declares exactly the modules its sources import.

Usage: scripts/check-package-imports.py   (from the repository root; exit 1 on a mismatch)

System modules (Foundation, Glibc, Synchronization, Testing, …) need no declaration and are ignored.
"""
import pathlib
import re
import sys

SYSTEM = {
    "Foundation", "FoundationEssentials", "FoundationNetworking", "Glibc", "Musl", "Darwin", "Dispatch",
    "Synchronization", "Testing", "XCTest", "_Concurrency", "os", "Android", "WinSDK", "PackageDescription",
}

root = pathlib.Path(__file__).resolve().parent.parent
manifest = (root / "Package.swift").read_text()

targets = {}
for match in re.finditer(r"\.(target|executableTarget|testTarget|systemLibrary)\(\s*name:\s*\"([^\"]+)\"", manifest):
    kind, name = match.group(1), match.group(2)
    # The target's text runs to the next target declaration.
    rest = manifest[match.end():]
    nxt = re.search(r"\.(target|executableTarget|testTarget|systemLibrary)\(\s*name:", rest)
    body = rest[: nxt.start()] if nxt else rest
    deps = set()
    dep_block = re.search(r"dependencies:\s*\[(.*?)\]\s*,?\s*(swiftSettings|path|exclude|resources|linkerSettings|\))", body, re.S)
    if dep_block:
        text = dep_block.group(1)
        deps |= set(re.findall(r"\.product\(\s*name:\s*\"([^\"]+)\"", text))
        text_wo_products = re.sub(r"\.product\([^)]*\)", "", text)
        deps |= set(re.findall(r"\"([^\"]+)\"", text_wo_products))
    targets[name] = (kind, deps)

problems = []
for name, (kind, deps) in sorted(targets.items()):
    if kind == "systemLibrary":
        continue
    folder = root / ("Tests" if kind == "testTarget" else "Sources") / name
    imports = set()
    for file in folder.rglob("*.swift"):
        for line in file.read_text().splitlines():
            stripped = line.strip()
            # Imports come first: stop at the first line that is not blank, a comment, a directive or an import.
            if stripped and not stripped.startswith(("//", "#if", "#else", "#elseif", "#endif", "@")) and " import " not in f" {stripped}":
                break
            m = re.match(r"\s*(?:@testable\s+|@_exported\s+|@preconcurrency\s+)*(?:public\s+|package\s+|internal\s+)?import\s+(?:struct\s+|class\s+|enum\s+|func\s+|protocol\s+)?([A-Za-z_][A-Za-z0-9_]*)", line)
            if m:
                imports.add(m.group(1))
    imports -= SYSTEM
    imports.discard(name)
    missing = sorted(imports - deps)
    unused = sorted(deps - imports)
    if missing:
        problems.append(f"{name}: imports {', '.join(missing)} without declaring them")
    if unused:
        problems.append(f"{name}: declares {', '.join(unused)} but never imports them")

for p in problems:
    print(f"Package.swift: {p}")
sys.exit(1 if problems else 0)
