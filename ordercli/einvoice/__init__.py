"""E-invoices (EN 16931): the ledger's invoices and credit memos as CII and UBL XML,
Factur-X/ZUGFeRD PDFs, and the validator that checks them with the official rules."""
