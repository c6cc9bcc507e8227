"""Writing: whole record files written atomically, and write commands appended to input batches."""
