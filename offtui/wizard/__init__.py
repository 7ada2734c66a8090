"""The offload wizard: status -> plan -> preview -> apply with rollback -> confirm -> verify.

``status`` reads the target, ``plan`` is pure (a :class:`~offtui.wizard.plan.Plan` from a
status and an intent), ``apply`` changes the target only after saving its prior state and
arming a rollback job on the target itself, ``verify`` checks the result. Everything goes
through an :mod:`~offtui.wizard.executor` so it works locally, in a netns and over SSH.
See docs/wizard.md.
"""
