"""Organisations (studios, agencies, law firms, unions, estates) and who works for them in which role."""
