"""Reports, one module each: receivables (aging, statement), sales, the order matrix,
backorders, the dashboard and an order's story. Set-based queries; they read, never write.
"""
