"""Vtiger CRM 8.2 emulator (``ccsync emulate vtiger``): webservice.php and the Cloud restapi."""
