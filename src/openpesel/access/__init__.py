"""Access control and accountability: who may see what, and a provable record of who did."""
