#!/usr/bin/env python3
"""Prints the size in bytes of a section of an ELF file (32 or 64 bits, little
endian), read from its section headers: no binutils needed.

    python3 firmware/elf_size.py ELF [SECTION]      (SECTION: .text by default)
"""
import struct
import sys


def section_sizes(path):
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[5] != 1:
        sys.exit(f"{path}: not a little-endian ELF file")
    wide = data[4] == 2
    if wide:
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    else:
        shoff, = struct.unpack_from("<I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x2E)

    def header(i):
        at = shoff + i * shentsize
        if wide:
            name, _, _, _, offset, size = struct.unpack_from("<IIQQQQ", data, at)
        else:
            name, _, _, _, offset, size = struct.unpack_from("<IIIIII", data, at)
        return name, offset, size

    _, names_at, _ = header(shstrndx)
    sizes = {}
    for i in range(shnum):
        name, _, size = header(i)
        end = data.index(b"\0", names_at + name)
        sizes[data[names_at + name:end].decode()] = size
    return sizes


if __name__ == "__main__":
    sizes = section_sizes(sys.argv[1])
    print(sizes.get(sys.argv[2] if len(sys.argv) > 2 else ".text", 0))
