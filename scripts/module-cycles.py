#!/usr/bin/env python3
"""Dependency cycles among the userspace modules (userspace/NAME.c + NAME.h).

Usage: scripts/module-cycles.py BUILD_DIR [MODULE ...]

Two kinds of edge from module A to module B:
  call     A's object uses a symbol B's object defines (nm on BUILD_DIR/obj/*.o,
           or BUILD_DIR/tobj/*.o when there is no obj/);
  include  userspace/A.c or A.h includes "B.h". A header with no .c of its own
           (daemon_internal.h, policy_internal.h, ...) stands for what it includes.
Prints every cycle (strongly connected set of modules) with the edges inside it.
With MODULE names, exits 1 if any of them is in a cycle, else 0 (without: 1 if any cycle).
"""
import os
import re
import subprocess
import sys

SRC = "userspace"
DIRS = ("", "postgres", "mariadb")   # engine-neutral code, then each engine's own folder
PATHS = {}                           # module name -> its path without .c/.h, under SRC
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)\.h"', re.M)


def modules():
    for d in DIRS:
        for f in os.listdir(os.path.join(SRC, d)):
            if f.endswith(".c"):
                PATHS[f[:-2]] = os.path.join(d, f[:-2])
            elif f.endswith(".h"):
                PATHS.setdefault(f[:-2], os.path.join(d, f[:-2]))
    return {m for m, p in PATHS.items() if os.path.exists(os.path.join(SRC, p + ".c"))}


def call_edges(build, mods):
    objdir = os.path.join(build, "obj")
    if not os.path.isdir(objdir) or not any(f.endswith(".o") for f in os.listdir(objdir)):
        objdir = os.path.join(build, "tobj")
    objs = {m: os.path.join(objdir, PATHS[m] + ".o") for m in mods}
    missing = [o for o in objs.values() if not os.path.exists(o)]
    if missing:
        sys.exit(f"module-cycles: {missing[0]} is missing: build the objects first "
                 f"(make BUILD={build} {build}/sqlward)")
    defined, used = {}, {}
    for m, o in objs.items():
        out = subprocess.run(["nm", o], capture_output=True, text=True, check=True).stdout
        used[m] = set()
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == "U":
                used[m].add(parts[1])
            elif len(parts) == 3 and parts[1] in "TDBR":
                defined[parts[2]] = m
    edges = {}
    for m, syms in used.items():
        for s in syms:
            d = defined.get(s)
            if d and d != m:
                edges.setdefault((m, d), set()).add(s)
    return edges


def includes_of(path):
    try:
        with open(path) as f:
            return INCLUDE.findall(f.read())
    except FileNotFoundError:
        return []


def include_edges(mods):
    # A header without a .c of its own is resolved to the modules it (transitively) includes.
    def resolve(h, seen):
        if h in mods:
            return {h}
        if h in seen:
            return set()
        seen.add(h)
        out = set()
        for inc in includes_of(os.path.join(SRC, PATHS.get(h, h) + ".h")):
            out |= resolve(inc, seen)
        return out

    edges = {}
    for m in mods:
        for f in (PATHS[m] + ".c", PATHS[m] + ".h"):
            for inc in includes_of(os.path.join(SRC, f)):
                for d in resolve(inc, set()):
                    if d != m:
                        edges.setdefault((m, d), set()).add(f'#include "{inc}.h"')
    return edges


def cycles(nodes, adj):
    """Strongly connected sets of more than one node (Tarjan, iterative)."""
    index, low, on, stack, out, n = {}, {}, set(), [], [], [0]
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(adj.get(root, ()))))]
        index[root] = low[root] = n[0]
        n[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = n[0]
                    n[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(adj.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
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
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    build, watched = sys.argv[1], set(sys.argv[2:])
    mods = modules()
    unknown = watched - mods
    if unknown:
        sys.exit(f"module-cycles: no userspace/{sorted(unknown)[0]}.c: name modules as userspace/NAME.c")
    edges = {}
    for kind, es in (("call", call_edges(build, mods)), ("include", include_edges(mods))):
        for e, why in es.items():
            edges.setdefault(e, []).append(f"{kind}: {', '.join(sorted(why)[:4])}"
                                           + (" ..." if len(why) > 4 else ""))
    adj = {}
    for a, b in edges:
        adj.setdefault(a, set()).add(b)
    found = cycles(mods, adj)
    bad = False
    for comp in found:
        hit = watched & set(comp)
        bad |= bool(hit) or not watched
        print(("CYCLE" if hit or not watched else "cycle") + " among: " + " ".join(comp))
        for a in comp:
            for b in comp:
                if (a, b) in edges:
                    print(f"    {a} -> {b}   ({'; '.join(edges[(a, b)])})")
    if not found:
        print("no cycles")
    elif watched and not bad:
        print("none of " + " ".join(sorted(watched)) + " is in a cycle")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
