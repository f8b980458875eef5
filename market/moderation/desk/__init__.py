"""The staff desk (tab "Desk", ``/staff/``): what waits for the staff member in her communes."""
