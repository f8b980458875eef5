"""OCOP verification (tab "OCOP", ``/staff/ocop``): claims to check against the certificate, verified ones by expiry.
The check itself is made from the listing's page (``listings.routes``)."""
