"""Point-in-time feature benchmark: generator, contenders, brute-force reference and runner.

Importing this package is cheap on purpose: the Feast contender imports it from a separate
virtual environment, and every contender runs in its own subprocess so that no library is
loaded where it is not measured.
"""
