"""The viewflow side of bench/peer_viewflow.py: a bench-only Django app (never imported by the product)."""
