"""The involvement pool: partners' profiles, opportunities offered to them, interest, selection,
sessions with attendance, and the fees attendance makes (as partners' involvement)."""
