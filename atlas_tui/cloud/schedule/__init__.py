"""Snapshot-policy schedules: CloudStack's schedule string, and when the server will run it.

One concern a module, each importing only the standard library and its siblings:

* ``codec``: ``Schedule``, ``encode``/``decode``, and reading any string as the server does;
* ``zones``: timezone ids as the server resolves them (unknown ids become GMT);
* ``next_run``: ``next_runs`` and ``server_interpretation``, a port of the server's
  ``DateUtil.getNextRunTime`` with its lenient Calendar and DST quirks;
* ``lint``: findings about a stored string (rolls over, looks like a swapped ``HH:MM``, …);
* ``words``: a schedule in words.
"""
