"""Seller review (tab "Sellers", ``/staff/sellers…``): approve, suspend, restore, the KOL badge."""
