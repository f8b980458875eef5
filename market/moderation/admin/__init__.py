"""The admins' tabs: "All communes" (``/staff/overview``, the dashboard's figures for every commune) and "Staff
members" (``/staff/admin/staff…``: who is staff of which commune)."""
