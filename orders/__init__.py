"""Active orders, order history, the live board and the POS API."""
