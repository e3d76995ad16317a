"""Business actions, grouped by what the business does.

``parties`` (customers, company, billing agreements), ``inventory`` (catalog,
stock, warehouses), ``sales`` (quoting, pricing, ordering, invoicing,
fulfilment, picking) and ``settlement`` (payments, credit memos, returns), in
that order: each group imports only the groups before it.

Every function takes the session as a keyword argument, checks the SPEC rules
it names, writes, and returns a value. None of them commits: the command's
``unit_of_work`` commits once, so a refusal anywhere changes nothing.
"""
