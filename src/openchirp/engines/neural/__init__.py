"""What the neural engines share: devices, dtypes, memory figures, out-of-memory, model folders.

Imports torch only inside functions, so an engine's class (its capabilities, its checks) can be
read on a machine without the ``neural`` extra."""
