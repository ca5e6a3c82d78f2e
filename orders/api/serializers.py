"""What a POS plugin sends and reads about orders."""
