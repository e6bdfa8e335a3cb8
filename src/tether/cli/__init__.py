"""The ``tether`` command. Heavy modules (services, sandbox) load inside the commands that use
them, so ``tether --help`` stays fast."""
