"""The Ray-sharded gallery answers exactly as the in-process one, whatever the shard count."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import pytest

from openpesel.biometrics import FingerprintTemplate, Minutia
from openpesel.biometrics._engine.synthesis import minutiae_sets
from openpesel.biometrics.identification import InProcessGallery, RayGallery, SubjectInfo

SUBJECTS = 60
Minutiae = dict[int, npt.NDArray[np.float64]]


def fingers(subject: int, index: int) -> Minutiae:
    return {
        f: minutiae_sets.impression(minutiae_sets.master(5000 + 10 * subject + f), index)
        for f in (1, 6)
    }


def subjects() -> list[tuple[str, Minutiae, SubjectInfo]]:
    return [
        (f"R{s:03d}", fingers(s, 0), SubjectInfo("F" if s % 3 else "M", 1950 + s % 40))
        for s in range(SUBJECTS)
    ]


@pytest.fixture(scope="module")
def ray_session() -> Iterator[None]:
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def test_in_process_gallery_does_not_import_ray() -> None:
    code = (
        "import sys\n"
        "from openpesel.biometrics.identification import InProcessGallery\n"
        "InProcessGallery()\n"
        "assert 'ray' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_shards_give_the_same_candidates_as_one_process(ray_session: None) -> None:
    local = InProcessGallery(min_shortlist=10)
    local.add_many(subjects())
    one = RayGallery(1, min_shortlist=10)
    three = RayGallery(3, min_shortlist=10)
    for gallery in (one, three):
        gallery.add_many(subjects())
    Filter = tuple[str | None, tuple[int, int] | None]
    probes: list[tuple[Minutiae, Filter]] = [(fingers(s, 1), (None, None)) for s in (0, 41)]
    probes += [
        ({1: fingers(4, 2)[1]}, ("F", None)),
        ({0: fingers(9, 2)[6]}, (None, (1955, 1975))),
        ({6: fingers(30, 3)[6][::3]}, (None, None)),  # weak: the ranking below rank 1 matters
    ]
    for probe, (sex, years) in probes:
        expected = local.search_minutiae(probe, 8, sex=sex, birth_years=years)
        assert len(expected) == 8
        templates = {f: _template(m) for f, m in probe.items()}
        assert one.search(templates, 8, sex=sex, birth_years=years) == expected
        assert three.search(templates, 8, sex=sex, birth_years=years) == expected
    assert len(three) == SUBJECTS and "R005" in three
    assert three.remove("R005") and "R005" not in three
    again = three.search({f: _template(m) for f, m in fingers(5, 1).items()}, 20)
    assert "R005" not in {c.key for c in again}
    one.close()
    three.close()


def _template(minutiae: npt.NDArray[np.float64]) -> FingerprintTemplate:
    return FingerprintTemplate(
        width=400,
        height=500,
        minutiae=tuple(Minutia(int(x), int(y), float(a)) for x, y, a in minutiae),
    )
