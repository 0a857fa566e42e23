#!/usr/bin/env python3
"""Lists every call into a panic entry in a firmware ELF, and where it comes from.

    python3 firmware/panics.py ELF SRC_DIR [--llvm-bin DIR]

A panic entry is a function from which the panic handler (`rust_begin_unwind`)
can be reached, and that is not itself reached only from others (the chain
core::panicking::panic_fmt <- panic_bounds_check <- ...: every one counts). Each
call instruction into one, from a function that is not an entry itself, is
symbolized with its inlined frames (GNU addr2line -i, from binutils); the first
frame outside the Rust standard library names the code that can panic. Exit 1
when one is in SRC_DIR (the crate's own sources); the others (dependencies,
the firmware itself) are listed.
"""
import collections
import os
import re
import subprocess
import sys


def tool(llvm_bin, name):
    path = os.path.join(llvm_bin, name) if llvm_bin else name
    return path


def main():
    args = sys.argv[1:]
    llvm_bin = None
    if "--llvm-bin" in args:
        i = args.index("--llvm-bin")
        llvm_bin = args[i + 1]
        del args[i : i + 2]
    elf, src = args[0], os.path.realpath(args[1])

    disassembly = subprocess.run(
        [tool(llvm_bin, "llvm-objdump"), "-d", "--no-show-raw-insn", "--demangle", elf],
        capture_output=True, text=True, check=True,
    ).stdout

    # Functions, and the calls (bl/b.w/blx to a symbol) each makes.
    function_at = {}
    calls = collections.defaultdict(list)  # caller -> [(address, callee)]
    current = None
    header = re.compile(r"^([0-9a-f]+) <(.+)>:$")
    call = re.compile(r"^\s*([0-9a-f]+):\s+(bl|blx|b\.w|b)\s+0x[0-9a-f]+ <(.+?)(\+0x[0-9a-f]+)?>")
    for line in disassembly.splitlines():
        m = header.match(line)
        if m:
            current = m.group(2)
            function_at[current] = int(m.group(1), 16)
            continue
        m = call.match(line)
        if m and current:
            callee = m.group(3)
            if m.group(4) is None and callee != current:
                calls[current].append((int(m.group(1), 16), callee))

    # Everything from which the panic handler is reachable.
    callers_of = collections.defaultdict(set)
    for caller, sites in calls.items():
        for _, callee in sites:
            callers_of[callee].add(caller)
    # The panic handler, or panic_fmt when the handler was inlined into it.
    roots = {f for f in function_at if f.startswith(("rust_begin_unwind", "core::panicking::panic_fmt",
                                                       "core::panicking::panic_nounwind_fmt"))}
    reaches = set(roots)
    todo = list(roots)
    while todo:
        f = todo.pop()
        for caller in callers_of.get(f, ()):
            if caller not in reaches:
                reaches.add(caller)
                todo.append(caller)
    # Every call into a function that can reach the handler, symbolized: the
    # first inlined frame outside the Rust standard library is its origin.
    def in_std(name):
        return name.startswith(("core::", "<core::", "compiler_builtins::", "rust_begin_unwind"))
    candidates = [(a, caller, callee) for caller, targets in calls.items() for a, callee in targets if callee in reaches]
    if not candidates:
        print("no call into a panic entry")
        return 0
    out = subprocess.run(
        ["addr2line", "-a", "-i", "-f", "-C", "-e", elf] + [hex(a) for a, _, _ in candidates],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    frames_of = []
    for line in out:
        if re.match(r"^0x[0-9a-f]+$", line):
            frames_of.append([])
        elif frames_of:
            frames_of[-1].append(re.sub(r" \(discriminator \d+\)$", "", line))

    def origin(frames):
        pairs = list(zip(frames[0::2], frames[1::2]))
        return next(((fn, loc) for fn, loc in pairs if "/rustc/" not in loc and "/library/" not in loc and "??" not in loc), None)

    origins = [origin(f) for f in frames_of]
    # A panic entry: a std function whose own calls are all std code (generic
    # std functions instantiated with other code are not: what is inlined in
    # them is attributed to its own source).
    impure = {caller for (a, caller, callee), o in zip(candidates, origins) if o is not None}
    entries = {f for f in reaches if in_std(f) and f not in impure}
    ours, others = [], []
    for (address, caller, callee), o in zip(candidates, origins):
        if callee not in entries or o is None:
            continue
        fn, loc = o
        path = loc.rsplit(":", 1)[0]
        entry = short(callee)
        if os.path.realpath(path).startswith(src + os.sep):
            ours.append((os.path.relpath(loc, os.path.dirname(src)), entry, fn))
        else:
            others.append((crate_of(path), entry, loc, fn))
    sites = ours + others

    print(f"calls into a panic entry: {len(sites)}; from the crate's own sources: {len(ours)}")
    if not sites:
        return 0
    for loc, entry, fn in sorted(ours):
        print(f"  OURS  {loc}  -> {entry}  (in {short(fn)})")
    by_crate = collections.Counter(crate for crate, *_ in others)
    for crate, count in sorted(by_crate.items()):
        print(f"  {crate}: {count}")
        for c, entry, loc, fn in sorted(o for o in others if o[0] == crate):
            print(f"    {short_path(loc)}  -> {entry}")
    return 1 if ours else 0


def short(name):
    return re.sub(r"::h[0-9a-f]{16}$", "", name)


def crate_of(path):
    m = re.search(r"/registry/src/[^/]+/([^/]+)/", path)
    if m:
        return m.group(1)
    if "/firmware/" in path:
        return "the firmware harness"
    return path


def short_path(loc):
    m = re.search(r"/registry/src/[^/]+/(.+)$", loc)
    return m.group(1) if m else loc


if __name__ == "__main__":
    sys.exit(main())
