"""Listing review (tab "Review listings", ``/staff/listings…``): the queue, approve, reject with a reason, bulk
approve, and the OCOP check made from a listing's page."""
