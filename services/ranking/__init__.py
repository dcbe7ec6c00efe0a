"""The ranked home timeline: signals, scoring, diversity, snapshots (docs/architecture.md, 2.11).

It sits above the timeline package: its candidates are the newest posts of the
chronological home timeline, and past them a ranked feed continues chronologically.
"""
