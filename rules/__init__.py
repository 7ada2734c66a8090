"""offtui's rules: one pitfall per module (installed as ``offtui.rules``)."""
