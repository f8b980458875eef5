"""Acting for villagers (tab "Help a villager", ``/staff/assisted…``, ``/staff/orders/phone``): sign-up, listings and
phone orders, each with the consent of the person acted for."""
