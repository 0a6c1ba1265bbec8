"""Textual screens and widgets. Never builds API parameters, never opens a socket."""
