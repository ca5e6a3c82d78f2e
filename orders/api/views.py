"""Orders, history and statistics for POS plugins: thin views over ``orders.services``."""
