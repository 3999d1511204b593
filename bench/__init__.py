"""Load benchmarks: real gunicorn workers, real databases, invariants checked afterwards."""
