"""Warm the fingerprint stack up before anyone waits for it.

A server's first fingerprint request used to take 15.9 s: the extractor's
model was loaded and the matcher's compiled kernels were read back only when
that request came (issue 13, item 10). :func:`warm_up` does all of it once, at
start: extraction, 1:1 matching and a 1:N search over a gallery of one, on a
small synthetic finger (no person's data). It is idempotent and cheap after
the first call in a process, so every server start may call it.
"""

from __future__ import annotations

import threading

from openpesel.biometrics.finger import FingerPosition

SEED = 13
"""A fixed synthetic finger: 160 x 192 pixels, about 17 minutiae, made in under 0.1 s."""

_done = threading.Event()
_lock = threading.Lock()


def warm_up() -> None:
    """Load the extractor and the matching and search kernels; once per process."""
    if _done.is_set():
        return
    with _lock:
        if _done.is_set():
            return
        from openpesel.biometrics.extraction import extract_template
        from openpesel.biometrics.identification import InProcessGallery
        from openpesel.biometrics.matching import verify
        from openpesel.biometrics.synthetic import SyntheticFinger

        finger = SyntheticFinger.create(SEED, width=160, height=192, iterations=10)
        template = extract_template(finger.impression(0))
        verify(template, template)
        gallery = InProcessGallery()
        gallery.add("warm-up", {int(FingerPosition.RIGHT_INDEX): template})
        gallery.search({int(FingerPosition.RIGHT_INDEX): template}, k=1)
        _done.set()
