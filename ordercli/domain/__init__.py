"""Pure values and rules: money, quantities, states and errors. No I/O here."""
