"""1:N identification: a gallery of enrolled subjects and a two-stage search over it.

Stage 1, an MCC-LSH index, picks a small share of the gallery; stage 2, the
MCC matcher, re-scores it; per-finger scores are fused into one ranked
candidate list. Pure logic: the register feeds the gallery and stores
nothing here. See docs/identification.md.

    gallery = InProcessGallery()
    gallery.add("44051401359", {2: template}, SubjectInfo(sex="M", birth_year=1944))
    gallery.search({2: probe_template}, k=10)   # [Candidate(key, score, rank, fingers), ...]
"""

from __future__ import annotations

from openpesel.biometrics.identification.candidates import (
    Candidate,
    FingerScore,
    SubjectInfo,
)
from openpesel.biometrics.identification.gallery import Gallery, identify
from openpesel.biometrics.identification.in_process import InProcessGallery
from openpesel.biometrics.identification.pairing import paired_minutiae
from openpesel.biometrics.identification.ray_gallery import RayGallery

__all__ = [
    "Candidate",
    "FingerScore",
    "Gallery",
    "InProcessGallery",
    "RayGallery",
    "SubjectInfo",
    "identify",
    "paired_minutiae",
]
