"""ccsync: keeps Vtiger CRM Contacts and Constant Contact contacts in sync."""

__version__ = "0.1.0"
