"""Reports (tab "Reports", ``/staff/reports…``), and the reporters' side on the ``reports`` blueprint: the report form
(``/report``) and "My reports" (``/reports``)."""
