"""Stored files: record framing, loaded generations, the key index, trailers and readers."""
