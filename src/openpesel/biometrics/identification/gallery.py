"""The gallery interface every 1:N back end offers, and ``identify`` from images."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from openpesel.biometrics.extraction import extract_template
from openpesel.biometrics.identification.candidates import Candidate, SubjectInfo
from openpesel.biometrics.image import FingerprintImage
from openpesel.biometrics.template import FingerprintTemplate


@runtime_checkable
class Gallery(Protocol):
    """Enrolled subjects, each with templates by finger position (ANSI/NIST 1-10, 0 unknown)."""

    def add(
        self,
        key: str,
        fingers: Mapping[int, FingerprintTemplate],
        info: SubjectInfo = SubjectInfo(),
    ) -> None:
        """Enrol ``key``, replacing whatever it had."""
        ...

    def remove(self, key: str) -> bool:
        """Take ``key`` out of every future result; False if it was not enrolled."""
        ...

    def search(
        self,
        probe: Mapping[int, FingerprintTemplate],
        k: int = 10,
        *,
        sex: str | None = None,
        birth_years: tuple[int, int] | None = None,
    ) -> list[Candidate]:
        """The ``k`` best candidates for the probe's fingers, best first."""
        ...

    def __len__(self) -> int: ...

    def __contains__(self, key: object) -> bool: ...


def identify(
    gallery: Gallery,
    images: Mapping[int, FingerprintImage],
    k: int = 10,
    *,
    sex: str | None = None,
    birth_years: tuple[int, int] | None = None,
) -> list[Candidate]:
    """Extract a template from each image (by finger position) and search the gallery."""
    probe = {finger: extract_template(image) for finger, image in images.items()}
    return gallery.search(probe, k, sex=sex, birth_years=birth_years)
