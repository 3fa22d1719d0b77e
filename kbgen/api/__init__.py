"""Companion API: accounts, tickets, documents, ratings and the agent page (FastAPI + SQLAlchemy 2)."""
