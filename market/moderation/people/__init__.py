"""People (tab "People", ``/staff/users…``): find a person tied to her communes, ban and unban."""
