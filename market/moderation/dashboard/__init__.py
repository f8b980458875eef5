"""The commune's figures (tab "Figures", ``/staff/dashboard``) and their CSV export."""
