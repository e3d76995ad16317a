"""Who the business deals with: customers, the company itself, billing agreements."""
