"""offtui: see, diagnose and fix Linux flow offloading from one terminal screen."""

__version__ = "0.1.0"
