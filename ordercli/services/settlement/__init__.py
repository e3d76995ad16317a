"""After the sale: payments and their allocations, credit memos and refunds, returns."""
