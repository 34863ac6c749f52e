"""Equality monitoring, kept apart.

Answers live in their own table and are read only through lep.equality.reporting, which gives
HR aggregates with small numbers suppressed. Shortlisting code never imports this package
(tests/equality/test_boundary.py proves it), and no panel page shows it.
"""
