"""Copybooks: source text, COPY expansion, PICTURE strings, and the parsed layout with offsets."""
