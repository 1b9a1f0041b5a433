#!/usr/bin/env python3
"""Fails when a source file includes a header of a layer above its own.

The layers, bottom up: core <- coder <- plugins <- agent (the application). The build already
refuses such an include (each layer compiles with its own include roots); this check also
catches relative includes ("../") that would slip past the include roots.
"""
import os
import re
import sys

LAYERS = ["core", "coder", "plugins", "agent"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def layer_of(path, root):
    rel = os.path.relpath(os.path.normpath(path), root).split(os.sep)[0]
    return LAYERS.index(rel) if rel in LAYERS else None


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    bad = []
    for layer in LAYERS:
        for dirpath, _, files in os.walk(os.path.join(root, layer)):
            for name in files:
                if not name.endswith((".h", ".cpp")):
                    continue
                path = os.path.join(dirpath, name)
                own = LAYERS.index(layer)
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                for inc in INCLUDE.findall(text):
                    first = inc.split("/")[0]
                    target = os.path.join(root, inc) if first in LAYERS else os.path.join(dirpath, inc)
                    other = layer_of(target, root)
                    if other is not None and other > own:
                        bad.append(f"{os.path.relpath(path, root)}: includes {inc} ({LAYERS[other]} is above {layer})")
    for line in bad:
        print(line)
    if bad:
        print(f"{len(bad)} include(s) against the layers' direction: core <- coder <- plugins <- agent")
        return 1
    print("layers: every include points down (core <- coder <- plugins <- agent)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
