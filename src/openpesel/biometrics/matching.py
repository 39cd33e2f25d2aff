"""1:1 verification with the MCC matcher, and decisions at a configured false-match rate.

Build a :class:`Matcher` once per template when one template is compared
with many (its cylinders are the costly part); :func:`verify` is the
one-shot convenience.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpesel.biometrics import parameters as p
from openpesel.biometrics._engine import cylinders, mcc_similarity
from openpesel.biometrics.template import FingerprintTemplate
from openpesel.biometrics.transparency import current


@dataclass(frozen=True)
class Verdict:
    score: float
    """0-1000; higher means more similar. Impostors rarely exceed 30, genuine pairs
    typically score 100-600."""
    threshold: float
    false_match_rate: float
    """The false-match rate the threshold was set for."""

    @property
    def is_match(self) -> bool:
        return self.score >= self.threshold


def threshold_for(false_match_rate: float) -> float:
    """Score threshold for a target FMR: the calibrated one at that rate or the nearest stricter."""
    stricter = [fmr for fmr in p.THRESHOLDS_BY_FMR if fmr <= false_match_rate]
    if not stricter:
        raise ValueError(
            f"No threshold is calibrated for FMR {false_match_rate:g}; "
            f"the lowest is {min(p.THRESHOLDS_BY_FMR):g}."
        )
    return p.THRESHOLDS_BY_FMR[max(stricter)]


class Matcher:
    """A template prepared for matching: its cylinders, built once."""

    def __init__(self, template: FingerprintTemplate) -> None:
        self.template = template
        self.search = cylinders.build(template.to_array())
        current().log("cylinders", lambda: self.search)

    def score(self, other: Matcher) -> float:
        return p.SCORE_SCALE * mcc_similarity.similarity(self.search, other.search)


def verify(
    probe: FingerprintTemplate | Matcher,
    reference: FingerprintTemplate | Matcher,
    *,
    false_match_rate: float = p.DEFAULT_FMR,
) -> Verdict:
    """Compare two templates; the verdict says match or not at ``false_match_rate``."""
    a = probe if isinstance(probe, Matcher) else Matcher(probe)
    b = reference if isinstance(reference, Matcher) else Matcher(reference)
    return Verdict(
        score=a.score(b),
        threshold=threshold_for(false_match_rate),
        false_match_rate=false_match_rate,
    )
