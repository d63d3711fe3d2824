"""minigrad's benchmarks: each workload against a hand-written numpy step, in the same process.

Run all of them with `python -m benchmarks [--quick] [--json PATH]` from the checkout. This file
must not import numpy: `__main__` pins BLAS to one thread first, and that only works before
numpy (and its BLAS) is loaded.
"""
