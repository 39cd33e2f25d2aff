#!/usr/bin/env python3
"""FVC-protocol accuracy and speed of openpesel.biometrics, optionally beside NBIS.

    python bench/fingerprint_accuracy.py FOLDER[:DPI] ... [--method leader|enhanced|classic ...]
        [--baseline] [--out-dir DIR] [--limit-fingers N]

Each FOLDER holds FVC-named images ``{finger}_{impression}.{tif,png,...}``.
DPI overrides the resolution (FVC2002 DB2 is 569 dpi; FVC TIFFs claim 1 dpi).

Protocol (Maio et al., FVC2002/FVC2004):
  genuine   all impression pairs of the same finger, each once (280 on a B set);
  impostor  "fvc": first impressions of different fingers (45 on a B set);
            "all": every cross-finger pair (2,880), reported too because 45
            impostor scores cannot resolve FMR100 or FMR1000.
A failed extraction scores -1 in all its comparisons (a rejection), as in FVC.

Reported: EER (interpolated where FNMR - FMR changes sign), FMR100, FMR1000,
ZeroFMR, extraction ms per image, comparisons per second on one core (torch
and numba single-threaded), mean quality, and FNMR of low- versus
high-quality genuine pairs (does low quality go with match failures?).
A DET curve is drawn with matplotlib when it is installed.

--baseline also runs NIST MINDTCT + Bozorth3 (nbis-python, made importable by
../shared/tools/nbis-baseline/build.sh DIR and PYTHONPATH=DIR) on the same pairs.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")
NAME = re.compile(r"^(\d+)_(\d+)\.(tif|tiff|png|bmp|jpg|jpeg|wsq)$", re.IGNORECASE)


@dataclass
class Scores:
    genuine: list[float] = field(default_factory=list)
    genuine_quality: list[int] = field(default_factory=list)
    impostor_fvc: list[float] = field(default_factory=list)
    impostor_all: list[float] = field(default_factory=list)


def find_images(folder: Path) -> dict[tuple[int, int], Path]:
    images = {}
    for path in sorted(folder.iterdir()):
        match = NAME.match(path.name)
        if match:
            images[(int(match.group(1)), int(match.group(2)))] = path
    return images


def pairs(keys: Sequence[tuple[int, int]]) -> tuple[list[Any], list[Any], list[Any]]:
    genuine, fvc, every = [], [], []
    for a, b in itertools.combinations(sorted(keys), 2):
        if a[0] == b[0]:
            genuine.append((a, b))
        else:
            every.append((a, b))
            if a[1] == 1 and b[1] == 1:
                fvc.append((a, b))
    return genuine, fvc, every


def error_rates(genuine: Sequence[float], impostor: Sequence[float]) -> dict[str, float]:
    """EER, FMR100, FMR1000 and ZeroFMR in %, accepting a pair when score >= t."""
    g = np.sort(np.asarray(genuine, dtype=float))
    i = np.sort(np.asarray(impostor, dtype=float))
    thresholds = np.unique(np.concatenate([g, i, [np.inf]]))
    fmr = 1.0 - np.searchsorted(i, thresholds, side="left") / len(i)
    fnmr = np.searchsorted(g, thresholds, side="left") / len(g)
    diff = fnmr - fmr
    eer = float("nan")
    for k in range(1, len(thresholds)):
        if diff[k - 1] <= 0 <= diff[k]:
            span = diff[k] - diff[k - 1]
            w = 0.0 if span == 0 else -diff[k - 1] / span
            eer = float(
                (fmr[k - 1] + w * (fmr[k] - fmr[k - 1]) + fnmr[k - 1] + w * (fnmr[k] - fnmr[k - 1]))
                / 2.0
            )
            break

    def fnmr_at(max_fmr: float) -> float:
        ok = fmr <= max_fmr + 1e-12
        return float(fnmr[ok].min()) if ok.any() else 1.0

    return {
        "EER": 100 * eer,
        "FMR100": 100 * fnmr_at(0.01),
        "FMR1000": 100 * fnmr_at(0.001),
        "ZeroFMR": 100 * fnmr_at(0.0),
    }


def threshold_at(impostor: Sequence[float], max_fmr: float) -> float:
    """Lowest score threshold whose FMR on these impostors is <= max_fmr."""
    i = np.sort(np.asarray(impostor, dtype=float))
    allowed = int(np.floor(max_fmr * len(i)))
    return float(i[len(i) - allowed - 1] + 1e-9) if allowed < len(i) else float(i[0])


def score_pairs(
    score: Callable[[Any, Any], float], items: dict[Any, Any], pair_list: Sequence[Any]
) -> list[float]:
    return [
        -1.0 if items.get(a) is None or items.get(b) is None else score(items[a], items[b])
        for a, b in pair_list
    ]


def run_openpesel(
    images: dict[Any, Path], dpi: float | None, method: str, template_dir: Path
) -> dict[str, Any]:
    from openpesel import biometrics as bio

    template_dir.mkdir(parents=True, exist_ok=True)

    load_times, extract_times = [], []
    matchers: dict[Any, Any] = {}
    quality: dict[Any, int] = {}
    failures = 0
    first = next(iter(images.values()))
    bio.extract_template(bio.load_image(first, dpi=dpi), method=method)  # warm-up: models load
    for key, path in images.items():
        t0 = time.perf_counter()
        try:
            image = bio.load_image(path, dpi=dpi)
            t1 = time.perf_counter()
            template = bio.extract_template(image, method=method)
            t2 = time.perf_counter()
        except bio.BiometricsError as e:
            print(f"  {path.name}: rejected ({type(e).__name__}: {e})", file=sys.stderr)
            failures += 1
            continue
        load_times.append(t1 - t0)
        extract_times.append(t2 - t1)
        quality[key] = template.quality
        (template_dir / f"{key[0]}_{key[1]}.iso").write_bytes(bio.encode_template(template))
        matchers[key] = bio.Matcher(template)
    t = time.perf_counter()
    for m in matchers.values():
        bio.Matcher(m.template)
    cylinder_ms = 1000 * (time.perf_counter() - t) / max(len(matchers), 1)
    genuine, fvc, every = pairs(list(images))

    def score(a: Any, b: Any) -> float:
        return float(a.score(b))

    any_pair = next(iter(itertools.combinations(matchers.values(), 2)))
    score(*any_pair)  # numba compile or cache load
    t = time.process_time()  # CPU time of this single thread: "per core"
    scores = Scores(
        genuine=score_pairs(score, matchers, genuine),
        impostor_all=score_pairs(score, matchers, every),
    )
    elapsed = time.process_time() - t
    fvc_set = set(fvc)
    scores.impostor_fvc = [
        s for p, s in zip(every, scores.impostor_all, strict=True) if p in fvc_set
    ]
    scores.genuine_quality = [min(quality.get(a, 0), quality.get(b, 0)) for a, b in genuine]
    counts = [len(m.template.minutiae) for m in matchers.values()]
    return {
        "scores": scores,
        "extract_ms": 1000 * statistics.mean(extract_times) if extract_times else float("nan"),
        "decode_ms": 1000 * statistics.mean(load_times) if load_times else float("nan"),
        "cylinder_ms": cylinder_ms,
        "comparisons_per_s": (len(genuine) + len(every)) / elapsed,
        "failures": failures,
        "minutiae_mean": statistics.mean(counts) if counts else 0.0,
        "quality_mean": statistics.mean(quality.values()) if quality else 0.0,
        "quality_min": min(quality.values()) if quality else 0,
        "below_recapture_threshold": sum(
            q < bio.parameters.QUALITY_RECAPTURE_THRESHOLD for q in quality.values()
        ),
    }


def run_nbis(images: dict[Any, Path]) -> dict[str, Any]:
    import nbis  # type: ignore[import-not-found]

    settings = nbis.NbisExtractorSettings(
        min_quality=0, get_center=False, check_fingerprint=False, compute_nfiq2=False, ppi=500
    )
    extractor = nbis.new_nbis_extractor(settings)
    data = {k: p.read_bytes() for k, p in images.items()}
    extractor.extract_minutiae(next(iter(data.values())))
    minutiae, times = {}, []
    for key, blob in data.items():
        t = time.perf_counter()
        try:
            minutiae[key] = extractor.extract_minutiae(blob)
        except Exception as e:  # the binding raises its own error types
            print(f"  nbis {images[key].name}: {e}", file=sys.stderr)
            minutiae[key] = None
        times.append(time.perf_counter() - t)
    genuine, fvc, every = pairs(list(images))

    def score(a: Any, b: Any) -> float:
        return float(a.compare(b))

    t = time.perf_counter()
    scores = Scores(
        genuine=score_pairs(score, minutiae, genuine),
        impostor_all=score_pairs(score, minutiae, every),
    )
    elapsed = time.perf_counter() - t
    fvc_set = set(fvc)
    scores.impostor_fvc = [
        s for p, s in zip(every, scores.impostor_all, strict=True) if p in fvc_set
    ]
    return {
        "scores": scores,
        "extract_ms": 1000 * statistics.mean(times),
        "comparisons_per_s": (len(genuine) + len(every)) / elapsed,
    }


def quality_split(scores: Scores, threshold: float) -> dict[str, Any]:
    """FNMR at the FMR100 threshold for genuine pairs below and above the median pair quality."""
    q = np.asarray(scores.genuine_quality)
    g = np.asarray(scores.genuine)
    median = float(np.median(q))
    low, high = q < median, q >= median
    return {
        "median_pair_quality": median,
        "fnmr_low_quality_%": 100 * float((g[low] < threshold).mean()) if low.any() else None,
        "fnmr_high_quality_%": 100 * float((g[high] < threshold).mean()) if high.any() else None,
        "spearman_quality_vs_genuine_score": _spearman(q, g),
    }


def _spearman(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> float:
    ra = np.argsort(np.argsort(a)).astype(float)
    rb = np.argsort(np.argsort(b)).astype(float)
    return float(np.corrcoef(ra, rb)[0, 1])


def det_plot(curves: dict[str, Scores], path: Path) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed; DET curve skipped"
    fig, ax = plt.subplots(figsize=(5, 5))
    for label, s in curves.items():
        g = np.sort(np.asarray(s.genuine))
        i = np.sort(np.asarray(s.impostor_all))
        t = np.unique(np.concatenate([g, i]))
        fmr = 1.0 - np.searchsorted(i, t, side="left") / len(i)
        fnmr = np.searchsorted(g, t, side="left") / len(g)
        ax.plot(np.maximum(fmr, 1e-4) * 100, np.maximum(fnmr, 1e-4) * 100, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("FMR (%)")
    ax.set_ylabel("FNMR (%)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return str(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", help="FOLDER or FOLDER:DPI")
    parser.add_argument("--method", action="append", choices=["leader", "enhanced", "classic"])
    parser.add_argument("--baseline", action="store_true", help="also run NBIS MINDTCT+Bozorth3")
    parser.add_argument("--limit-fingers", type=int, default=0, help="use only the first N fingers")
    parser.add_argument(
        "--out-dir", type=Path, default=Path(tempfile.gettempdir()) / "openpesel-fingerprint-bench"
    )
    args = parser.parse_args(argv)
    methods = args.method or ["leader"]
    args.out_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("OPENPESEL_EXTRACTOR_THREADS", "1")  # LEADER on onnxruntime
    try:
        import torch

        torch.set_num_threads(1)  # figures are per core
    except ImportError:
        pass
    report: dict[str, Any] = {"machine": _machine(), "command": " ".join(sys.argv), "sets": {}}
    for spec in args.folders:
        folder_text, _, dpi_text = spec.partition(":")
        folder, dpi = Path(folder_text), float(dpi_text) if dpi_text else None
        images = find_images(folder)
        if args.limit_fingers:
            fingers = sorted({k[0] for k in images})[: args.limit_fingers]
            images = {k: v for k, v in images.items() if k[0] in fingers}
        print(f"== {folder.name}: {len(images)} images, dpi {dpi or 'from file'}")
        curves: dict[str, Scores] = {}
        results: dict[str, Any] = {}
        runs: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            (
                f"openpesel-{m}+mcc",
                functools.partial(
                    run_openpesel, images, dpi, m, args.out_dir / f"templates-{folder.name}-{m}"
                ),
            )
            for m in methods
        ]
        if args.baseline:
            runs.append(("nbis-mindtct+bozorth3", functools.partial(run_nbis, images)))
        for label, run in runs:
            try:
                outcome = run()
            except ImportError as e:
                print(f"  {label}: skipped ({e})")
                continue
            s: Scores = outcome.pop("scores")
            curves[label] = s
            entry = {
                **{k: round(v, 3) if isinstance(v, float) else v for k, v in outcome.items()},
                "fvc": error_rates(s.genuine, s.impostor_fvc),
                "all": error_rates(s.genuine, s.impostor_all),
                "genuine_pairs": len(s.genuine),
                "impostor_pairs_fvc": len(s.impostor_fvc),
                "impostor_pairs_all": len(s.impostor_all),
                "threshold_fmr1%": threshold_at(s.impostor_all, 0.01),
                "threshold_fmr0.1%": threshold_at(s.impostor_all, 0.001),
            }
            if s.genuine_quality:
                entry["quality_vs_failure"] = quality_split(s, threshold_at(s.impostor_all, 0.01))
            results[label] = entry
            print(f"  {label}: {json.dumps(entry)}")
        det = det_plot(curves, args.out_dir / f"det-{folder.name}.png")
        print(f"  DET: {det}")
        report["sets"][folder.name] = {
            "dpi": dpi,
            "images": len(images),
            "results": results,
            "det": det,
        }
        (args.out_dir / f"scores-{folder.name}.json").write_text(
            json.dumps({k: v.__dict__ for k, v in curves.items()})
        )
    (args.out_dir / "report.json").write_text(json.dumps(report, indent=2))
    print(f"report: {args.out_dir / 'report.json'}")
    return 0


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


if __name__ == "__main__":
    sys.exit(main())
