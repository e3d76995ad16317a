"""The books every business action writes to: journal, numbering, events, the hash
chain, settings, the clock, and the checks that prove them consistent.

Below the services (which post, number, record and seal through here) and above
``db``; nothing here knows a quote, an order or a payment rule.
"""
