"""Live order sessions: pages (routes.py) and the Socket.IO "/live" namespace (events.py)."""
