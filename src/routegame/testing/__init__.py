"""Testing helpers for routegame and for code built on it (hypothesis strategies).

Needs the ``dev`` extra (hypothesis).
"""
