"""The case kernel: abstract models every lifecycle declares on, and the kernel's own tables."""
