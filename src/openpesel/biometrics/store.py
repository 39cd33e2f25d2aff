"""Content-addressed fingerprint image store: ``ROOT/sha256/ab/cd/abcd....png``.

Events and templates refer to images by the SHA-256 of the stored file, so a
stored image can never change under a reference, storing the same scan twice
costs nothing, and a copy can be checked by rehashing. PNG (lossless, with
the resolution recorded) is the default; WSQ (lossy, the FBI's format) is
offered for exchange. Writes go to a temporary file first and are renamed
into place, so a crash never leaves a half-written blob under its hash.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Literal

from openpesel.biometrics import parameters as p
from openpesel.biometrics._engine import decoding
from openpesel.biometrics.errors import BiometricsError
from openpesel.biometrics.image import FingerprintImage, load_image

ImageFormat = Literal["png", "wsq"]
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class ImageNotFound(BiometricsError, KeyError):
    message = "No stored fingerprint image has this hash."


class ImageStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def put(self, image: FingerprintImage, image_format: ImageFormat = "png") -> str:
        """Store the image; returns its SHA-256 hex digest (the image's address)."""
        if image_format == "png":
            data = decoding.encode_png(image.pixels, p.TARGET_DPI)
        elif image_format == "wsq":
            data = decoding.encode_wsq(image.pixels, p.TARGET_DPI)
        else:
            raise ValueError(f"Unknown image format {image_format!r}; use 'png' or 'wsq'.")
        return self.put_bytes(data, image_format)

    def put_bytes(self, data: bytes, image_format: ImageFormat) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest, image_format)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        return digest

    def get_bytes(self, digest: str) -> bytes:
        return self.locate(digest).read_bytes()

    def get(self, digest: str) -> FingerprintImage:
        return load_image(self.get_bytes(digest), dpi=p.TARGET_DPI)

    def contains(self, digest: str) -> bool:
        try:
            self.locate(digest)
        except ImageNotFound:
            return False
        return True

    def locate(self, digest: str) -> Path:
        if not _DIGEST.match(digest):
            raise ImageNotFound("An image address is 64 lower-case hex digits.")
        for image_format in ("png", "wsq"):
            path = self._path(digest, image_format)
            if path.exists():
                return path
        raise ImageNotFound()

    def discard(self, digest: str) -> bool:
        """Delete the image (a retention rule's erasure); False if it was not there."""
        try:
            path = self.locate(digest)
        except ImageNotFound:
            return False
        path.unlink(missing_ok=True)
        return True

    def verify(self, digest: str) -> bool:
        """True when the stored bytes still hash to their address."""
        return hashlib.sha256(self.get_bytes(digest)).hexdigest() == digest

    def _path(self, digest: str, image_format: str) -> Path:
        return self.root / "sha256" / digest[:2] / digest[2:4] / f"{digest}.{image_format}"
