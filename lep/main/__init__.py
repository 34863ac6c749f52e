"""Public pages that belong to no single step: home, dashboard, accessibility statement."""
