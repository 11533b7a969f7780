"""The console's parts on their own: sessions and their idle end, the login limiter, masking,
the strings of both languages, the vendored files, the offline tile files."""

from __future__ import annotations

import gzip
import re
import sqlite3
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.console.privacy import mask_identity, mask_phone
from gateway.console.sessions import LoginLimiter, Sessions, csrf_matches
from gateway.console.strings import STRINGS, translator
from gateway.console.tiles import MBTiles, PMTiles, tile_id

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "gateway" / "console" / "templates"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_ends_after_its_idle_time_and_its_csrf_token_is_its_own():
    clock = Clock()
    sessions = Sessions(idle=60, clock=clock)
    first, second = sessions.new(user_id=1), sessions.new(user_id=2)
    clock.now += 59
    assert sessions.get(first.token) is first
    assert sessions.get(second.token, touch=False) is second  # a live stream does not touch
    clock.now += 30
    assert sessions.get(first.token) is first and sessions.get(second.token) is None
    assert csrf_matches(first, first.csrf) and not csrf_matches(first, second.csrf)
    assert not csrf_matches(first, None) and not csrf_matches(None, first.csrf)
    clock.now += 61
    assert sessions.get(first.token) is None and len(sessions) == 0


def test_past_the_limit_anonymous_sessions_make_room_before_signed_in_ones():
    clock = Clock()
    sessions = Sessions(idle=600, clock=clock, limit=3)
    signed_in = sessions.new(user_id=7)
    clock.now += 1
    anonymous = [sessions.new() for _ in range(2)]
    clock.now += 1
    newest = sessions.new()
    assert len(sessions) == 3
    assert sessions.get(signed_in.token) is signed_in and sessions.get(newest.token) is newest
    assert sessions.get(anonymous[0].token) is None


def test_logins_are_limited_per_name_and_per_address_within_the_window():
    clock = Clock()
    limiter = LoginLimiter(per_user=3, per_address=5, window=100, clock=clock)
    for _ in range(3):
        limiter.failed("duty", "10.0.0.9")
    assert limiter.blocked("duty", "10.0.0.8") and not limiter.blocked("chief", "10.0.0.8")
    limiter.failed("a", "10.0.0.9")
    limiter.failed("b", "10.0.0.9")
    assert limiter.blocked("chief", "10.0.0.9")  # five from one address, whatever the names
    clock.now += 101
    assert not limiter.blocked("duty", "10.0.0.9")


@pytest.mark.parametrize(("number", "masked"), [
    ("+243991234501", "+243 99• ••• •01"),
    ("+243810000042", "+243 81• ••• •42"),
    ("+25670123456", "+256 70• ••• 56"),
])
def test_numbers_are_masked_to_prefix_and_last_two_digits(number, masked):
    assert mask_phone(number, "+243") == masked


def test_callsigns_and_operator_names_keep_two_characters():
    assert mask_identity("9Q2KAM-1", "+243") == "9Q••••••"
    assert mask_identity("VODACOM", "+243") == "VO•••••"


def test_every_string_a_template_uses_exists_in_english_and_french():
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""t\(["']([a-z_]+\.[a-z_.-]+)["']""", template.read_text()))
    assert used and not used - set(STRINGS)
    for key, (english, french) in STRINGS.items():
        assert english.strip() and french.strip(), key
        assert re.findall(r"{\w+}", english) == re.findall(r"{\w+}", french), key
    assert translator("fr")("nav.feed") == "Fil en direct"
    assert translator("en")("map.hint", hours=6).startswith("Villages coloured")
    assert translator("en")("channel.fakeline") == "fakeline"  # a link the strings do not know


def test_the_vendored_browser_libraries_match_their_recorded_hashes():
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "fetch-web-assets"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    sums = (REPO / "gateway/console/static/vendor/SHA256SUMS").read_text()
    for name in ("htmx.min.js", "htmx.LICENSE", "leaflet/leaflet.js", "leaflet/LICENSE"):
        assert f"  {name}\n" in sums


def test_the_pmtiles_tile_ids_are_the_formats_hilbert_order():
    # from the format's specification and its reference implementations
    cases = {(0, 0, 0): 0, (1, 0, 0): 1, (1, 0, 1): 2, (1, 1, 1): 3, (1, 1, 0): 4,
             (2, 1, 3): 11, (3, 3, 0): 26, (12, 3423, 1763): 19078479}
    assert {key: tile_id(*key) for key in cases} == cases


def test_mbtiles_rows_count_from_the_south(tmp_path):
    path = tmp_path / "map.mbtiles"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INT, tile_column INT, tile_row INT, tile_data BLOB)")
        db.execute("INSERT INTO metadata VALUES ('format', 'jpg')")
        db.execute("INSERT INTO tiles VALUES (2, 1, 0, x'ffd8')")  # the southern row at zoom 2
    tiles = MBTiles(path)
    assert tiles.media_type == "image/jpeg"
    assert tiles.tile(2, 1, 3) == b"\xff\xd8" and tiles.tile(2, 1, 0) is None


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _directory(entries: list[tuple[int, int, int, int]]) -> bytes:
    """A PMTiles directory: count, id deltas, run lengths, lengths, offsets (+1)."""
    data, last = _varint(len(entries)), 0
    for tile, *_ in entries:
        data += _varint(tile - last)
        last = tile
    data += b"".join(_varint(run) for _, _, _, run in entries)
    data += b"".join(_varint(length) for _, _, length, _ in entries)
    data += b"".join(_varint(offset + 1) for _, offset, _, _ in entries)
    return data


def test_a_pmtiles_file_serves_its_tiles_through_a_leaf_directory(tmp_path):
    tiles = {tile_id(0, 0, 0): b"world", tile_id(3, 5, 2): b"kivu"}
    blob = b"".join(tiles.values())
    offsets = {0: 0, 1: len(b"world")}
    leaf = gzip.compress(_directory([(tid, offsets[i], len(data), 1)
                                     for i, (tid, data) in enumerate(tiles.items())]))
    root = gzip.compress(_directory([(0, 0, len(leaf), 0)]))  # everything in one leaf
    header_length = 127
    root_offset = header_length
    leaf_offset = root_offset + len(root)
    data_offset = leaf_offset + len(leaf)
    header = b"PMTiles" + bytes([3]) + struct.pack(
        "<8Q", root_offset, len(root), 0, 0, leaf_offset, len(leaf), data_offset, len(blob))
    header += struct.pack("<3Q", 2, 2, 2) + bytes([0, 2, 1, 2]) + bytes(header_length - 100)
    path = tmp_path / "map.pmtiles"
    assert len(header) == header_length
    path.write_bytes(header + root + leaf + blob)
    source = PMTiles(path)
    assert source.media_type == "image/png"
    assert source.tile(0, 0, 0) == b"world" and source.tile(3, 5, 2) == b"kivu"
    assert source.tile(3, 5, 3) is None
