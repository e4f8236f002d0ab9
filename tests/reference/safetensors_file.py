"""A safetensors writer for the reference scripts (the safetensors package is not available here).

Each entry is (name, dtype, shape, raw little-endian bytes); how values become bytes stays in each script.
Layout per the format: 8-byte LE header length, JSON header padded with spaces to 8 bytes, then the data.
"""
import json
import struct


def write_safetensors(path, entries, metadata=None):
    entries = list(entries)
    header = {"__metadata__": metadata if metadata is not None else {"format": "pt"}}
    offset = 0
    for name, dtype, shape, data in entries:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for *_, data in entries:
            f.write(data)
