"""Check a learner's own network: `python -m fnn.exercise my_network.py`.

The learner copies exercises/network.py and writes its four functions (init_params, forward,
backward, update) from docs/math.md; this package checks them one by one against fnn and
finite differences, and names the classic mistakes (docs/exercises.md):

    learner   import the file by path; calls bounded in time; errors in the learner's lines
    checks    the checks, one line each, in the order the functions are written
    mistakes  what the classic mistakes compute, so a wrong answer can be named

It is not part of fnn's derivation: it only calls fnn's public functions.
"""
from fnn.exercise.checks import Report, check_file
from fnn.exercise.learner import FUNCTIONS, LoadError, load

__all__ = ["check_file", "Report", "load", "LoadError", "FUNCTIONS"]
