"""Every tunable of the fingerprint pipeline, in one reviewable place.

Calibration changes are then one diff here, and a reviewer can see at a glance
which figures came from a paper (the MCC constants, Cappelli et al. 2010,
table 1) and which were fitted on the FVC B sets (the score thresholds).
Names follow SourceAFIS: ``MIN_``/``MAX_`` for bounds, ``_RADIUS`` for
distances in pixels at :data:`TARGET_DPI`.
"""

from __future__ import annotations

import math

# --- intake -------------------------------------------------------------------

TARGET_DPI = 500
"""Every image is resampled to this resolution before any other stage."""
DEFAULT_DPI = 500
"""Assumed when neither the file nor the caller states a resolution."""
MIN_DPI = 250
MAX_DPI = 1200
MIN_PLAUSIBLE_FILE_DPI = 100
"""Files that claim less (FVC TIFFs say 1 dpi) are treated as having no resolution."""
MIN_SIDE = 96
"""Smaller than about 5 mm at 500 dpi cannot hold enough minutiae to match."""
MAX_SIDE = 2048
"""Larger than about 10 cm at 500 dpi is not one fingerprint (a whole-hand slap is out of scope)."""
MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_DECODED_PIXELS = 16_000_000
"""Checked on the header before decoding so a decompression bomb is refused cheaply."""
MIN_BLANK_STD = 4.0
"""Grey-level standard deviation below which an image is blank."""

# --- segmentation and quality ----------------------------------------------------

BLOCK_SIZE = 16
MIN_FOREGROUND_BLOCK_STD = 10.0
MIN_FOREGROUND_FRACTION = 0.08
"""Less foreground than this is not a fingerprint (or only a fingertip's edge)."""
MIN_RIDGE_PERIOD = 5.0
MAX_RIDGE_PERIOD = 13.0
"""Ridge period bounds at 500 dpi: ridges are about 0.25-0.65 mm apart."""
MIN_RIDGE_BLOCK_CLARITY = 0.4
MIN_RIDGE_BLOCK_COHERENCE = 0.3
MIN_RIDGE_BLOCK_SHARE = 0.12
"""Share of foreground blocks that look like ridges (plausible period, clear spectral peak,
coherent orientation) below which the image is not a fingerprint. Measured: every FVC B and
nbis sample image scores 0.30 or more, a landscape photo 0.03."""
QUALITY_RECAPTURE_THRESHOLD = 35
"""Scores below this should be rescanned at enrolment (NFIQ 2 level 1-2 territory)."""

# --- minutiae -------------------------------------------------------------------------

DEFAULT_EXTRACTOR = "leader"
"""``leader`` (pyfing end-to-end network), ``enhanced`` (pyfing networks + Gabor + SBMEX) or
``classic`` (pyfing without networks); chosen by measured accuracy, see
docs/benchmarks-fingerprints.md."""
LEADER_MIN_QUALITY = 0.6
MAX_MINUTIAE = 128
"""Highest-quality minutiae kept; matching cost grows with the square of the count."""
MIN_MINUTIAE = 8
"""Fewer than this cannot give a meaningful MCC score."""

# --- MCC matcher (Cappelli, Ferrara, Maltoni, TPAMI 2010, table 1, bit-based MCC16b) ----------

MCC_RADIUS = 70.0
MCC_NS = 16
MCC_ND = 6
MCC_SIGMA_S = 28.0 / 3.0
MCC_SIGMA_D = 2.0 * math.pi / 9.0
MCC_MU_PSI = 0.01
MCC_HULL_OFFSET = 50.0
"""omega: how far beyond the minutiae's convex hull cells still count as valid."""
MCC_MIN_VALID_CELLS = 0.75
MCC_MIN_NEIGHBOURS = 2
MCC_MIN_MATCHABLE = 0.6
"""Share of a cylinder's cells that must be valid in both cylinders to compare them."""
MCC_MAX_DIRECTION_DIFF = math.pi / 2.0
MCC_MIN_NP = 4
MCC_MAX_NP = 12
MCC_MU_P = 20.0
MCC_TAU_P = 0.4
MCC_RELAXATION_ITERATIONS = 5
MCC_RELAXATION_WEIGHT = 0.5
MCC_MU_RHO = (5.0, math.pi / 12.0, math.pi / 12.0)
MCC_TAU_RHO = (-8.0 / 5.0, -30.0, -30.0)

# --- decisions ----------------------------------------------------------------------

SCORE_SCALE = 1000.0
"""MCC similarity (0-1) is reported multiplied by this. After LSS-R relaxation impostors
score about 0.001-0.004, so this scale puts the thresholds where SourceAFIS users expect
them (20 for 1 % FMR, 30 for 0.1 %, 40-ish for 0.01 %)."""
THRESHOLDS_BY_FMR = {
    0.01: 20.0,
    0.001: 30.0,
    0.0001: 45.0,
}
"""Score thresholds per target false-match rate, from 12,160 impostor pairs of LEADER
templates (FVC2002 DB2_B and FVC2004 DB4_B, all cross-finger pairs within and across the
sets): the empirical thresholds were 19.2, 29.0 and 41.0. The 0.01 % value rests on one
pair and is rounded up; see docs/benchmarks-fingerprints.md."""
DEFAULT_FMR = 0.001

# --- synthetic fingerprints ----------------------------------------------------------

SYNTH_RIDGE_PERIOD = 9.0
SYNTH_GROWTH_ITERATIONS = 14
SYNTH_ORIENTATION_BINS = 16
SYNTH_GABOR_SIGMA = 3.5

# --- 1:N identification (see docs/identification.md) -----------------------------------

LSH_TABLES = 24
"""L: hash tables of the MCC index; a genuine cylinder pair must collide in at least one."""
LSH_MINHASHES = 4
"""k: MinHashes concatenated per table; more makes buckets smaller and collisions rarer."""
LSH_BUCKET_BITS = 20
"""Each table has 2**bits buckets (the k MinHashes are mixed into that many)."""
LSH_CELL_RADIUS = 70.0
"""Only cylinder cells this close to the minutia feed the index (all cells at MCC_RADIUS)."""
LSH_SEED = 20110501
"""The hash functions are drawn from this seed: every shard and every process hashes alike."""
SHORTLIST_FRACTION = 0.001
"""Share of the gallery's subjects the index passes to the matcher (the penetration rate)."""
MIN_SHORTLIST = 100
"""Small galleries are re-scored at least this deep, where the matcher costs nothing."""
