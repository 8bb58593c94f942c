"""督办: supervisors urge the holder of a case whose clock is at risk or breached; the holder answers."""
