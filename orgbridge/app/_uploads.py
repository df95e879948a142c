"""Uploaded files, checked before a byte is decoded: size, name and kind.

The browser sends an upload as a base64 data URL inside the callback's JSON. The role is
checked first (by the service), then :func:`decode_upload` refuses anything over the size
limit from the length of the text alone, before decoding it. A file is saved under a name
the server makes (``staff.csv``), never the one the client sent: only its suffix is used,
from an allow-list, so ``..``, a NUL or 300 characters are harmless.

Example
-------
>>> decode_upload("staff", "people.csv", "data:text/csv;base64,YSxiCg==", max_bytes=100)
Upload(kind='staff', shown_name='people.csv', saved_name='staff.csv', payload=b'a,b\\n')
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from orgbridge.disclosure._params import shown
from orgbridge.errors import ParameterError

__all__ = ["ALLOWED_SUFFIXES", "DEFAULT_MAX_UPLOAD_BYTES", "Upload", "decode_upload"]

#: Default largest file one upload may carry (32 MiB): a browser sends it base64-encoded
#: inside one JSON request; larger imports go through ``orgbridge ingest``.
DEFAULT_MAX_UPLOAD_BYTES = 32 * 1024 * 1024
#: The longest file name accepted (most file systems stop at 255 bytes).
MAX_NAME = 255
#: Suffixes a data file may have, by kind.
ALLOWED_SUFFIXES = {
    "staff": (".csv", ".xlsx", ".tsv", ".txt"),
    "projects": (".csv", ".xlsx", ".tsv", ".txt"),
    "pairs": (".csv", ".xlsx", ".tsv", ".txt"),
    "sponsorships": (".csv", ".xlsx", ".tsv", ".txt"),
    "viva_p2p": (".csv", ".xlsx", ".tsv", ".txt"),
    "mapping": (".json", ".csv"),
}


@dataclass(frozen=True)
class Upload:
    """One decoded upload: its kind, the client's name (printable, shortened, for messages
    only), the name it is saved under, and its bytes."""

    kind: str
    shown_name: str
    saved_name: str
    payload: bytes


def decode_upload(kind: str, filename: Any, contents: Any, *, max_bytes: int) -> Upload:
    """Check and decode one ``dcc.Upload`` file.

    Raises
    ------
    ParameterError
        Unknown kind, a name without an allowed suffix, contents that are not a base64 data
        URL, or a file over ``max_bytes`` (refused from the text length, before decoding).
    """
    if kind not in ALLOWED_SUFFIXES:
        raise ParameterError(f"unknown kind of file {shown(kind)}")
    if not isinstance(filename, str) or not isinstance(contents, str):
        raise ParameterError(f"the {kind} upload is not a file")
    name = "".join(c if c.isprintable() else "?" for c in filename)[:80] or "(no name)"
    if len(filename) > MAX_NAME or not filename.isprintable():
        raise ParameterError(
            f"{name!r}: a file name must be printable and at most {MAX_NAME} characters"
        )
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename[-6:] else ""
    if suffix not in ALLOWED_SUFFIXES[kind]:
        raise ParameterError(
            f"{name!r}: a {kind.replace('_', ' ')} file must be "
            + " or ".join(ALLOWED_SUFFIXES[kind])
        )
    head, _, data = contents.partition(",")
    if not head.startswith("data:") or ";base64" not in head:
        raise ParameterError(f"{name!r}: not a file upload")
    # 4 characters of base64 carry 3 bytes: refuse from the length alone
    if len(data) // 4 * 3 > max_bytes:
        raise ParameterError(
            f"{name!r} is larger than the upload limit of {max_bytes / 1024 / 1024:,.0f} MB"
        )
    try:
        payload = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ParameterError(f"{name!r}: the upload is damaged (not base64)") from None
    return Upload(kind, name, f"{kind}{suffix}", payload)
