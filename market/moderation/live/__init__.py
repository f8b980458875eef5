"""Live moderation (tab "Live", ``/staff/live…``): the sessions of her communes, the moderator view, ending a
session that breaks the rules, and the communes' chat word filters."""
