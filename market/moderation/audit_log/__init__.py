"""Reading the audit log (tab "Audit log", ``/staff/audit``): filters and CSV export. Writing it is
``moderation.audit``, which every tab calls."""
