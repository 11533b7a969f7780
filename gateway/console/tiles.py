"""Offline map tiles from one file on the Pi: raster MBTiles (SQLite) or PMTiles (v3).

The browser asks the console for /map/tiles/z/x/y as it would ask a tile server; the tiles
come out of the file named in `[console] tiles`, so the page never needs the internet and
nothing about the base is asked of anyone else.
"""

from __future__ import annotations

import gzip
import sqlite3
import struct
from abc import ABC, abstractmethod
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
PMTILES_TYPES = {2: "image/png", 3: "image/jpeg", 4: "image/webp"}


class TileSource(ABC):
    """A tile file opened once; `tile(z, x, y)` is the image's bytes, or None where the file
    has no tile."""

    media_type = "image/png"

    @abstractmethod
    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The tile's image bytes, or None where the file has none."""


class MBTiles(TileSource):
    def __init__(self, path: Path):
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        row = self.conn.execute("SELECT value FROM metadata WHERE name = 'format'").fetchone()
        self.media_type = TYPES.get(row[0] if row else "png", "image/png")

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        # MBTiles count rows from the south (TMS), web maps from the north
        row = self.conn.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            [z, x, (1 << z) - 1 - y]).fetchone()
        return bytes(row[0]) if row else None


class PMTiles(TileSource):
    """A PMTiles v3 archive: a header, a root directory of (tile id, offset, length, run)
    entries, leaf directories, and the tiles; directories may be gzip-compressed."""

    HEADER = 127

    def __init__(self, path: Path):
        self.handle = open(path, "rb")  # noqa: SIM115 - open for the console's lifetime
        header = self._read(0, self.HEADER)
        if header[:7] != b"PMTiles" or header[7] != 3:
            raise ValueError(f"{path}: not a PMTiles v3 file")
        (self.root_offset, self.root_length, _, _, self.leaf_offset, _, self.data_offset, _) = \
            struct.unpack_from("<8Q", header, 8)
        self.compression = header[97]
        self.tile_compression = header[98]
        self.media_type = PMTILES_TYPES.get(header[99], "application/octet-stream")
        self._directory = lru_cache(maxsize=64)(self._load_directory)

    def _read(self, offset: int, length: int) -> bytes:
        self.handle.seek(offset)
        return self.handle.read(length)

    def _load_directory(self, offset: int, length: int) -> list[tuple[int, int, int, int]]:
        data = self._read(offset, length)
        if self.compression == 2:
            data = gzip.decompress(data)
        return parse_directory(data)

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        wanted = tile_id(z, x, y)
        offset, length = self.root_offset, self.root_length
        for _ in range(4):  # the format allows at most three levels of leaves
            entry = find_entry(self._directory(offset, length), wanted)
            if entry is None:
                return None
            _, entry_offset, entry_length, run = entry
            if run > 0:
                data = self._read(self.data_offset + entry_offset, entry_length)
                return gzip.decompress(data) if self.tile_compression == 2 else data
            offset, length = self.leaf_offset + entry_offset, entry_length
        return None


def _varints(data: bytes) -> Iterator[int]:
    value = shift = 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
            continue
        yield value
        value = shift = 0


def parse_directory(data: bytes) -> list[tuple[int, int, int, int]]:
    """(tile id, offset, length, run length) entries of a PMTiles directory."""
    numbers = _varints(data)
    count = next(numbers)
    ids: list[int] = []
    offsets: list[int] = []
    last = 0
    for _ in range(count):
        last += next(numbers)
        ids.append(last)
    runs = [next(numbers) for _ in range(count)]
    lengths = [next(numbers) for _ in range(count)]
    for index in range(count):
        value = next(numbers)
        offsets.append(offsets[-1] + lengths[index - 1] if value == 0 and index > 0 else value - 1)
    return list(zip(ids, offsets, lengths, runs, strict=True))


def find_entry(entries: list[tuple[int, int, int, int]], wanted: int
               ) -> tuple[int, int, int, int] | None:
    """The entry holding `wanted`: an exact id, or a run (or a leaf, run 0) starting before it."""
    low, high = 0, len(entries) - 1
    while low <= high:
        middle = (low + high) // 2
        if entries[middle][0] < wanted:
            low = middle + 1
        elif entries[middle][0] > wanted:
            high = middle - 1
        else:
            return entries[middle]
    if high >= 0:
        entry = entries[high]
        if entry[3] == 0 or wanted - entry[0] < entry[3]:
            return entry
    return None


def tile_id(z: int, x: int, y: int) -> int:
    """The PMTiles id of a tile: the tiles of lower zooms, then the Hilbert curve's index."""
    base = sum(4 ** level for level in range(z))
    n = 1 << z
    index, tx, ty = 0, x, y
    s = n >> 1
    while s > 0:
        rx = 1 if tx & s else 0
        ry = 1 if ty & s else 0
        index += s * s * ((3 * rx) ^ ry)
        if ry == 0:
            if rx == 1:
                tx, ty = s - 1 - tx, s - 1 - ty
            tx, ty = ty, tx
        s >>= 1
    return base + index


def open_tiles(path: Path | None) -> TileSource | None:
    if path is None:
        return None
    return PMTiles(path) if path.suffix == ".pmtiles" else MBTiles(path)
