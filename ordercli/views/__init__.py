"""Read models: the dictionaries behind ``--json`` and the screens, one shape per record kind
(SPEC "JSON shapes"). They read, never write.
"""
