"""Business actions, one module per area.

Every function takes the session as a keyword argument, checks the SPEC rules
it names, writes, and returns a value. None of them commits: the command's
``unit_of_work`` commits once, so a refusal anywhere changes nothing.
"""
