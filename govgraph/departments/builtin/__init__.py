"""The built-in departments, one module each, declared like any other."""
