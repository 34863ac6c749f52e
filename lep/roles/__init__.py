"""Roles: pay frameworks (Agenda for Change), involvement rate cards, roles and their criteria."""
