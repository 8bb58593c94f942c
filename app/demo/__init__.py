"""The demo: an account for every organization that acts, and a year of history written through the
service's own intake and lifecycle code (``jiefen seed demo [--history]``)."""
