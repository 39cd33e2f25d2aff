"""Feature extraction: the fingerprint pipeline as one readable function.

Image (already decoded and at 500 dpi) -> raw minutiae (pyfing) -> filtered
minutiae -> quality -> template. Each stage is a pure function in
:mod:`openpesel.biometrics._engine`; intermediates are offered to the active
transparency sink under the keys listed in docs/fingerprints.md.
"""

from __future__ import annotations

from openpesel.biometrics import parameters as p
from openpesel.biometrics._engine import minutiae_filter, raw_minutiae
from openpesel.biometrics.errors import TooFewMinutiae
from openpesel.biometrics.image import FingerprintImage
from openpesel.biometrics.quality import assess_quality
from openpesel.biometrics.template import FingerprintTemplate
from openpesel.biometrics.transparency import current


def extract_template(
    image: FingerprintImage,
    *,
    method: str = p.DEFAULT_EXTRACTOR,
    require_minutiae: bool = False,
) -> FingerprintTemplate:
    """Minutiae template of one impression.

    ``method`` is ``leader`` (default), ``enhanced`` or ``classic``; see
    :mod:`openpesel.biometrics._engine.raw_minutiae`. With
    ``require_minutiae`` a template with fewer than ``MIN_MINUTIAE`` minutiae
    raises :class:`~openpesel.biometrics.errors.TooFewMinutiae` (use it at
    enrolment, where the clerk can rescan).
    """
    raw = raw_minutiae.extract(image.pixels, method)
    current().log("raw-minutiae", lambda: raw)
    minutiae = minutiae_filter.apply(raw, image.width, image.height)
    current().log("filtered-minutiae", lambda: minutiae)
    if require_minutiae and len(minutiae) < p.MIN_MINUTIAE:
        raise TooFewMinutiae(f"Only {len(minutiae)} minutiae were found; rescan the finger.")
    quality = assess_quality(image, minutiae_count=len(minutiae))
    return FingerprintTemplate(
        width=image.width,
        height=image.height,
        minutiae=minutiae,
        dpi=p.TARGET_DPI,
        finger=image.finger,
        quality=quality.score,
    )
