"""Synthetic residents with life histories, recorded through the real event path.

Only generated people: no real person's data or number ever enters the
repository. The same seed gives the same plan of events.
"""
