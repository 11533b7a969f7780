"""What the envelope holds: a plain ZIP archive (any unzip tool lists and extracts it) of UTF-8
files, with `manifest.json` saying whose base it is, when it was made, what each file is
(size and SHA-256) and the last alert number, which the new gateway continues.

Reading checks every name and size before anything is used, so an archive that was built by
another tool (and sealed with the right passphrase) still cannot write outside its folder or
fill the disk.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from gateway.handover.envelope import BundleError

MANIFEST = "manifest.json"
FORMAT = "cangw-handover"
FORMAT_VERSION = 1
MAX_FILES, MAX_TOTAL = 200_000, 2 << 30  # far above a base's years; bounds a hostile archive


@dataclass(frozen=True)
class Contents:
    """An opened bundle: its manifest and its files by name."""

    manifest: dict[str, Any]
    files: dict[str, bytes]

    @property
    def base_id(self) -> str:
        return str(self.manifest["base"]["id"])

    @property
    def last_alert_seq(self) -> int:
        return int(self.manifest["last_alert_seq"])


def pack(files: Mapping[str, bytes], manifest: Mapping[str, Any]) -> bytes:
    """The archive of `files` and the manifest (with each file's size and SHA-256 added)."""
    listing = {name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
               for name, data in sorted(files.items())}
    whole = {"format": FORMAT, "version": FORMAT_VERSION, **manifest, "files": listing}
    stamp = time.gmtime()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in [(MANIFEST, json.dumps(whole, ensure_ascii=False, indent=2).encode()),
                           *sorted(files.items())]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            archive.writestr(info, data)
    return out.getvalue()


def unpack(container: bytes) -> Contents:
    """The manifest and files of an archive; BundleError when it is not a hand-over archive of
    a known version, or a file is missing, unsafe or not what the manifest says."""
    try:
        with zipfile.ZipFile(io.BytesIO(container)) as archive:
            entries = [info for info in archive.infolist() if not info.is_dir()]
            if len(entries) > MAX_FILES or sum(i.file_size for i in entries) > MAX_TOTAL:
                raise BundleError("the bundle's archive is too large to be a base's hand-over")
            for info in entries:
                _check_name(info.filename)
            files = {info.filename: archive.read(info) for info in entries}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        if isinstance(exc, BundleError):
            raise
        raise BundleError(f"the bundle's archive cannot be read: {exc}") from None
    manifest = _manifest(files.pop(MANIFEST, None))
    listing = manifest.get("files", {})
    for name, facts in listing.items():
        data = files.get(name)
        if data is None:
            raise BundleError(f"the bundle lacks {name}, which its manifest lists")
        if hashlib.sha256(data).hexdigest() != facts.get("sha256"):
            raise BundleError(f"{name} in the bundle is not the file its manifest describes")
    return Contents(manifest, {name: data for name, data in files.items() if name in listing})


def _manifest(data: bytes | None) -> dict[str, Any]:
    if data is None:
        raise BundleError(f"the bundle has no {MANIFEST}: not a cangw hand-over")
    try:
        manifest = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{MANIFEST}: not valid JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"{MANIFEST}: not a cangw hand-over manifest")
    if manifest.get("version") != FORMAT_VERSION:
        raise BundleError(f"{MANIFEST}: hand-over version {manifest.get('version')}; this cangw "
                          f"reads version {FORMAT_VERSION} (use a newer cangw)")
    try:
        str(manifest["base"]["id"])
        int(manifest["last_alert_seq"])
        dict(manifest["files"])
    except (KeyError, TypeError, ValueError):
        raise BundleError(f"{MANIFEST}: lacks the base, the last alert number or the file "
                          "list") from None
    return manifest


def _check_name(name: str) -> None:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name or not path.parts:
        raise BundleError(f"the bundle's archive holds an unsafe file name: {name!r}")
