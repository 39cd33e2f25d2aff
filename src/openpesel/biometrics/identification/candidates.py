"""What a 1:N search answers: ranked candidates with per-finger evidence, and how fingers fuse.

Fusion rule: a candidate's score is the **sum** of its per-finger matcher
scores over the fingers both the probe and the candidate have. MCC
impostor scores sit near 10 and rarely pass 30 whatever the finger, while a
mated finger scores in the hundreds, so summing keeps impostors low
(a sum of small numbers) and lets every extra mated finger add evidence;
a finger the candidate lacks adds nothing instead of counting against
them. There is no training data to calibrate a likelihood-ratio fusion
on, and the sum needs none; see docs/identification.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class FingerScore:
    finger: int
    """ANSI/NIST finger position of the probe finger (1-10; 0 unknown)."""
    score: float
    """0-1000 on the matcher's scale."""


@dataclass(frozen=True)
class Candidate:
    key: str
    """The enrolled subject's key (the register uses the PESEL)."""
    score: float
    """Fused over fingers (the sum of ``fingers``' scores)."""
    rank: int
    """1-based."""
    fingers: tuple[FingerScore, ...]
    """Per-finger evidence, best first."""


@dataclass(frozen=True)
class SubjectInfo:
    """Demographics a search may filter on."""

    sex: str | None = None
    """"F" or "M", as in the register."""
    birth_year: int | None = None


def fuse(per_finger: Mapping[int, float]) -> float:
    """The fused score of one candidate from its per-finger scores."""
    return float(sum(per_finger.values()))


def ranked(scored: Iterable[tuple[str, Mapping[int, float]]], k: int) -> list[Candidate]:
    """The ``k`` best candidates, best first; equal scores are ordered by key, so any
    gallery layout (one shard or many) gives the same list."""
    fused = [(fuse(fingers), key, fingers) for key, fingers in scored]
    fused.sort(key=lambda item: (-item[0], item[1]))
    return [
        Candidate(
            key=key,
            score=total,
            rank=rank,
            fingers=tuple(
                FingerScore(finger, score)
                for finger, score in sorted(fingers.items(), key=lambda f: (-f[1], f[0]))
            ),
        )
        for rank, (total, key, fingers) in enumerate(fused[:k], start=1)
    ]
