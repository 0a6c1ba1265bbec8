"""atlas-tui: snapshot backup and recovery for Apache CloudStack, in the terminal."""

__version__ = "0.1.0"
